"""Where a new project's requirements-dev.txt finds mcpgen: from how this mcpgen was installed.

The PEP 610 records below are the shapes pip writes (`direct_url.json`) for each way of
installing; a project made on one machine must install on another (its CI), so only a
source every machine reaches is referenced as it is, and anything local is vendored.
"""

from __future__ import annotations

import json
from importlib.metadata import distribution
from typing import Any

import pytest
from mcpgen import __version__
from mcpgen.project import (
    GeneratorSource,
    generator_source,
    installed_generator_source,
    project_name_from_folder,
)

WHEEL = f"mcpgen-{__version__}-py3-none-any.whl"
VENDORED = f"./vendor/{WHEEL}"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # From an index: no record; the version pin is exact and any index has it.
        (None, GeneratorSource(f"mcpgen=={__version__}", None)),
        # From a public git repository: that commit, as pip would fetch it anywhere.
        (
            {
                "url": "https://github.com/example/mcpgen.git",
                "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "main"},
            },
            GeneratorSource(f"mcpgen @ git+https://github.com/example/mcpgen.git@{SHA}", None),
        ),
        (
            {
                "url": "ssh://git@example.com/tools/monorepo",
                "vcs_info": {"vcs": "git", "commit_id": SHA},
                "subdirectory": "mcpgen",
            },
            GeneratorSource(
                f"mcpgen @ git+ssh://git@example.com/tools/monorepo@{SHA}#subdirectory=mcpgen",
                None,
            ),
        ),
        # A wheel on a web server: that file, checked against the hash pip recorded.
        (
            {
                "url": f"https://example.com/dist/{WHEEL}",
                "archive_info": {"hashes": {"sha256": "ab" * 32}},
            },
            GeneratorSource(f"mcpgen @ https://example.com/dist/{WHEEL}#sha256={'ab' * 32}", None),
        ),
        # Local sources exist on this machine only: the project gets a wheel of its own.
        (
            {"url": "file:///home/ada/src/mcpgen", "dir_info": {"editable": True}},
            GeneratorSource(VENDORED, "file:///home/ada/src/mcpgen"),
        ),
        (
            {"url": "file:///home/ada/src/mcpgen", "dir_info": {}},
            GeneratorSource(VENDORED, "file:///home/ada/src/mcpgen"),
        ),
        (
            {"url": f"file:///tmp/{WHEEL}", "archive_info": {}},
            GeneratorSource(VENDORED, f"file:///tmp/{WHEEL}"),
        ),
        (
            {"url": "file:///home/ada/src/mcpgen", "vcs_info": {"vcs": "git", "commit_id": SHA}},
            GeneratorSource(VENDORED, f"git+file:///home/ada/src/mcpgen@{SHA}"),
        ),
    ],
)
def test_the_requirement_follows_where_mcpgen_came_from(
    record: dict[str, Any] | None, expected: GeneratorSource
) -> None:
    assert generator_source(record, __version__) == expected


def test_this_mcpgen_is_read_from_its_own_install_record() -> None:
    text = distribution("mcpgen").read_text("direct_url.json")
    record = json.loads(text) if text else None
    assert installed_generator_source() == generator_source(record, __version__)


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("weather-tools", "weather-tools"),
        ("MyServer", "MyServer"),  # valid names are kept as they are
        ("my.server_2", "my.server_2"),
        ("9lives", "mcp-9lives"),  # a name starts with a letter
        ("My Server!", "my-server"),
        ("server-", "server"),  # and ends with a letter or digit (PEP 508)
        ("Ünïcode tools", "unicode-tools"),
        ("---", "mcp-server"),
        ("x" * 150, "x" * 100),  # a spec's server name has at most 100 characters
    ],
)
def test_a_folder_name_gives_a_valid_project_name(folder: str, name: str) -> None:
    assert project_name_from_folder(folder) == name


def test_the_version_is_in_the_form_wheel_names_carry() -> None:
    """The vendored wheel's name is written from `__version__` before pip builds it."""
    from packaging.version import Version

    assert str(Version(__version__)) == __version__
