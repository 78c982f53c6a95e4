"""A generated project's tests run against state the user controls, and leave nothing behind.

A server whose lifespan opens a SQLite database relative to the working directory (as
`sqlite3.connect("notes.db")` does) must not write it into the project when its generated
tests run; the user's `server` fixture in `tests/conftest.py` decides what state the tests
get, and mcpgen never overwrites it. Running the tests, the linters and a forced
regeneration (which backs up a hand-edited file) must leave git nothing new to track.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
SPEC = """\
[server]
name = "notes"
lifespan = true

[[tools]]
name = "where"
description = "Which lifespan set up the state."
input.type = "object"
output.type = "object"
output.required = ["source"]
output.properties.source = { type = "string" }
examples = [{}]
"""
LIFESPAN = '''\
"""The notes database, opened where the server runs."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from notes._generated import runtime


@dataclass
class State:
    source: str


@asynccontextmanager
async def lifespan(server: runtime.ServerHandle) -> AsyncIterator[State]:
    with open(os.environ["NOTES_MARKER"], "a") as marker:
        marker.write("lifespan\\n")
    database = sqlite3.connect("notes.db")
    database.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
    database.commit()
    try:
        yield State(source="lifespan")
    finally:
        database.close()
'''
HANDLER = '''\
"""Handler of the where tool."""

from __future__ import annotations

from notes._generated import models, runtime
from notes.handlers.lifespan import State


async def where(ctx: runtime.Context[State], args: models.WhereInput) -> models.WhereOutput:
    return models.WhereOutput(source=ctx.state.source)
'''
# The user's own fixture: the tests get state from a lifespan of the tests' own.
USER_CONFTEST = '''\
"""The tests run on a state of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from notes import build_server
from notes._generated import runtime
from notes.handlers.lifespan import State


@asynccontextmanager
async def test_lifespan(server: runtime.ServerHandle) -> AsyncIterator[State]:
    with open(os.environ["NOTES_MARKER"], "a") as marker:
        marker.write("fixture\\n")
    yield State(source="fixture")


@pytest.fixture
def server() -> runtime.SdkServer:
    return build_server(lifespan=test_lifespan)
'''


def _run(
    command: list[str | Path], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # As on a user's machine, Python writes bytecode (this environment may turn it off).
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def _untracked(project: Path) -> str:
    return _run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout


def test_generated_tests_use_the_users_state_and_leave_the_project_clean(
    tmp_path: Path,
) -> None:
    project = tmp_path / "notes"
    project.mkdir()
    (project / "spec.toml").write_text(SPEC)
    _run([BIN / "mcpgen", "generate", "spec.toml", "-o", "."], project)
    handlers = project / "src" / "notes" / "handlers"
    (handlers / "lifespan.py").write_text(LIFESPAN)
    (handlers / "tools" / "where.py").write_text(HANDLER)
    _run(["git", "init", "-q", "-b", "main"], project)
    _run(["git", "add", "-A"], project)
    _run(["git", "commit", "-qm", "notes"], project)

    marker = tmp_path / "marker.txt"
    env = {"PYTHONPATH": str(project / "src"), "NOTES_MARKER": str(marker)}
    pytest_command: list[str | Path] = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist"]
    tests = _run(pytest_command, project, env)
    assert "xfail" not in tests.stdout  # the example ran, against the real lifespan
    assert "lifespan\n" in marker.read_text()
    assert not list(project.rglob("notes.db"))  # it went to the tests' temporary folder
    _run([BIN / "ruff", "check", "."], project)
    _run([sys.executable, "-m", "mypy"], project, env)

    # A hand edit that --force overwrites is kept as a backup, out of git's way.
    server = project / "src" / "notes" / "_generated" / "server.py"
    server.write_text(server.read_text() + "# edited\n")
    _run([BIN / "mcpgen", "generate", "--force"], project)
    assert (project / ".mcpgen-backup" / "src" / "notes" / "_generated" / "server.py").is_file()
    assert _untracked(project) == ""

    # The user's fixture decides the state: the generated tests run on it.
    conftest = project / "tests" / "conftest.py"
    conftest.write_text(USER_CONFTEST)
    marker.unlink()
    _run(pytest_command, project, env)
    assert set(marker.read_text().splitlines()) == {"fixture"}
    _run([sys.executable, "-m", "mypy"], project, env)
    _run([BIN / "mcpgen", "generate"], project)
    assert conftest.read_text() == USER_CONFTEST  # mcpgen never rewrites it
    assert _untracked(project) == " M tests/conftest.py\n"
