"""Helpers of the functional tests (imported by conftest.py and the test modules).

`generate_project` runs the real `mcpgen generate` on behaviour.toml and copies the handlers
of tests/functional/handlers/ over the scaffolded stubs. `http_server` runs the generated
package's streamable-HTTP entry point as a subprocess on a loopback port.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mcp_types as types
from regeneration_support import cli
from server_process import SHUTDOWN_TIMEOUT, HttpServer, serve_http

__all__ = ["SHUTDOWN_TIMEOUT", "HttpServer"]

HERE = Path(__file__).parent
SPEC_FILE = HERE / "behaviour.toml"
HANDLERS = HERE / "handlers"
PACKAGE = "behaviour"
ERAS = ("legacy", "2026-07-28")
# Copied with the handlers, but replacing no stub.
HELPERS = frozenset({Path("concurrency_probe.py")})
# The one tool left as mcpgen scaffolded it.
STUB = Path("tools/unwritten.py")


# What get_item answers for id 1, and how the runtime quotes an incident.
HAMMER = {"id": 1, "name": "hammer", "kind": "tool", "tags": ["steel", "heavy"], "price": 12.5}
ITEM_NOT_FOUND_999 = {
    "type": "ItemNotFound",
    "code": -32004,
    "message": "No item with id 999",
    "data": {"id": 999, "known_ids": [1, 2, 12]},
}
REFERENCE = re.compile(r"\(reference ([0-9a-f]{12})\)")


def only_text(result: types.CallToolResult) -> str:
    """The single text block of a tool result."""
    assert len(result.content) == 1, result.content
    block = result.content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


@dataclass(frozen=True)
class Project:
    """A generated behaviour project with the test handlers in place."""

    root: Path
    src: Path
    package: str
    env: dict[str, str]
    """Environment for subprocesses: PYTHONPATH leads with `src`."""


def generate_project(root: Path) -> Project:
    """`mcpgen generate behaviour.toml -o root` (in this process: a fresh interpreter took
    0.5 s more), then the handlers over the stubs."""
    generated = cli("generate", SPEC_FILE, "-o", root)
    assert generated.exit_code == 0, f"mcpgen generate failed:\n{generated.output}"
    src = root / "src"
    handlers = src / PACKAGE / "handlers"
    assert (handlers / STUB).is_file(), "the stub of the unwritten tool is missing"
    for source in sorted(HANDLERS.rglob("*.py")):
        relative = source.relative_to(HANDLERS)
        target = handlers / relative
        # A handler that replaces no stub would be dead code: a typo in its path.
        assert relative in HELPERS or target.is_file(), f"no scaffolded stub at {target}"
        assert relative != STUB, "the unwritten tool must keep its stub"
        shutil.copyfile(source, target)
    pythonpath = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}
    return Project(root=root, src=src, package=PACKAGE, env=env)


@contextlib.contextmanager
def http_server(project: Project, log: Path) -> Iterator[HttpServer]:
    """The behaviour server over streamable HTTP, ready; always stopped afterwards."""
    with serve_http(project.package, project.env, log) as server:
        yield server
