"""A project whose pyproject (the user's, written once) lacks what the runtime now imports
hears of it from `mcpgen generate`, on the full path and the fast one alike.

A project made before the runtime imported jsonschema-rs (which `mcp` does not bring)
regenerates fine, then fails at its first tool call after a fresh install.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcpgen.cli import main as mcpgen_cli
from mcpgen.pyproject import (
    RUNTIME_DEPENDENCIES,
    RUNTIME_EXTRAS,
    TEST_EXTRA,
    optional_dependencies,
    undeclared,
    undeclared_extras,
)
from mcpgen.render import vendored_sources

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "specs" / "weather.toml"
OLD_DEPENDENCIES = """\
dependencies = [
    "mcp>=2.3,<3",
    "pydantic>=2.12,<3",
    # JSON Schema patterns are ECMA-262 regular expressions: regress runs them as such.
    "regress>=2024.11.1,<2028",
]"""


def generate(root: Path) -> str:
    result = CliRunner().invoke(mcpgen_cli, ["generate", str(SPEC), "-o", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_an_older_pyproject_is_told_what_to_add(tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert "does not declare" not in generate(root)  # a fresh project declares it all
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    start, end = text.index("dependencies = ["), text.index("]\n", text.index("dependencies = ["))
    pyproject.write_text(text[:start] + OLD_DEPENDENCIES + text[end + 1 :], encoding="utf-8")
    for _ in range(2):  # the second run takes the fast path: the same words
        output = generate(root)
        assert "pyproject.toml does not declare what the generated runtime imports" in output
        assert '"jsonschema-rs>=' in output and '"mcp>=' not in output


def test_undeclared_reads_names_as_pip_does(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"

    def declare(*items: str) -> None:
        listed = ", ".join(json.dumps(item) for item in items)
        pyproject.write_text(f"[project]\ndependencies = [{listed}]\n", encoding="utf-8")

    # Other spellings of each name (case, `_` for `-`), a marker, no range: all declared.
    declare(
        *(
            line.split(">")[0].upper().replace("-", "_") + " ; python_version>='3'"
            for line, _ in RUNTIME_DEPENDENCIES
        )
    )
    assert undeclared(pyproject) == []
    declare("mcp")
    assert undeclared(pyproject) == [
        line for line, _ in RUNTIME_DEPENDENCIES if not line.startswith("mcp>")
    ]
    pyproject.write_text("not toml [", encoding="utf-8")
    assert undeclared(pyproject) == []
    assert undeclared(tmp_path / "missing.toml") == []


def test_undeclared_extras_names_the_runtimes_extras_a_project_lacks(tmp_path: Path) -> None:
    """A project made before `--state-url` has no `redis` extra: its Dockerfile's
    `pip install '.[redis]'` only warns, and the replicas then refuse to start."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["mcp"]\n', encoding="utf-8")
    assert undeclared_extras(pyproject) == [
        f'{extra} = ["{requirement}"]' for extra, (requirement, _) in RUNTIME_EXTRAS.items()
    ]
    pyproject.write_text(
        '[project]\ndependencies = ["mcp"]\n[project.optional-dependencies]\n'
        'aws = ["botocore"]\nredis = ["Redis>=5"]\nsearch = ["bm25s"]\n',
        encoding="utf-8",
    )
    assert undeclared_extras(pyproject) == []
    # An extra of that name that does not bring the package is not the runtime's extra.
    pyproject.write_text(
        '[project]\ndependencies = ["mcp"]\n[project.optional-dependencies]\n'
        'aws = ["botocore"]\nredis = []\n',
        encoding="utf-8",
    )
    assert undeclared_extras(pyproject) == [
        'redis = ["redis>=5,<9"]',
        f'search = ["{RUNTIME_EXTRAS["search"][0]}"]',
    ]
    pyproject.write_text("not toml [", encoding="utf-8")
    assert undeclared_extras(pyproject) == []


@pytest.mark.slow
def test_an_older_pyproject_is_told_to_add_the_redis_extra(tmp_path: Path) -> None:
    root = tmp_path / "project"
    generate(root)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    start = text.index("[project.optional-dependencies]")
    end = text.index("test = [", start)
    pyproject.write_text(text[:start] + "[project.optional-dependencies]\n" + text[end:])
    output = generate(root)
    assert (
        'add to [project.optional-dependencies]: aws = ["botocore>=1.34,<2"]; redis = [' in output
    )


def test_the_test_extra_installs_only_the_extras_its_type_check_needs() -> None:
    """`pip install -e '.[test]'` installed every runtime extra, so that mypy could check
    the whole vendored runtime: numpy (with bm25s, ~40 MB) and botocore (~13 MB) in every
    project, a weather server's too. The runtime imports both only when a run needs them,
    under ignores that hold with or without the package; redis it imports at module level,
    and its types are what mypy checks `--state-url` with."""
    extras = tomllib.loads("[x]\n" + optional_dependencies())["x"]
    assert extras["test"] == [*TEST_EXTRA, RUNTIME_EXTRAS["redis"][0]]
    for package in ("bm25s", "botocore"):  # of the `search` and `aws` extras
        imports = [
            line
            for source in vendored_sources().values()
            for line in source.splitlines()
            if re.match(rf"\s+(import|from) {package}\b", line)
        ]
        assert imports, f"no vendored module imports {package}"
        for line in imports:
            # Indented: inside the function that needs it. The ignore holds either way.
            assert "import-not-found" in line and "unused-ignore" in line, line
