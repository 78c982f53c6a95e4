"""New projects: the copier template through copier's own CLI, `mcpgen init`, `copier update`.

A new project must pass its own checks at once (tests, ruff, mypy --strict, `generate
--check`), also as a user meets it: a new venv, its README's commands and its CI's steps,
verbatim, leaving git nothing new to track. An update must bring the template's change
while the user's README edit, handler and spec survive byte for byte. Copier only updates
from a git template with versions, so the template is copied into a temporary repository
and tagged there. The generated tests run on the user's `server` fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mcpgen import __version__
from mcpgen.cli import main
from mcpgen.project import template_root

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
HANDLER = '''"""Handler of the greet tool."""

from __future__ import annotations

from my_server._generated import models, runtime


async def greet(ctx: runtime.Context, args: models.GreetInput) -> models.GreetOutput:
    return models.GreetOutput(greeting=f"Hello, {args.name}!")
'''


def _fresh_machine_env() -> dict[str, str]:
    """This machine's environment as a new shell has it: no venv active, no PYTHONPATH, and
    Python writing bytecode (this environment may turn that off; a user's does not)."""
    env = {**os.environ, **GIT_ENV}
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in path if Path(p).resolve() != BIN.resolve())
    return env


def _run(
    command: list[str | Path], cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**_fresh_machine_env(), **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return done


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(["bash", "-euo", "pipefail", "-c", script], cwd)


def _copier(*args: str | Path, cwd: Path) -> None:
    _run([sys.executable, "-m", "copier", *args], cwd)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """The template alone in a fresh git repository, tagged 0.1.0."""
    repo = tmp_path / "template"
    repo.mkdir()
    shutil.copy2(REPO / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO / "templates" / "project", repo / "templates" / "project")
    _run(["git", "init", "-q", "-b", "main"], repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "template 0.1.0"], repo)
    _run(["git", "tag", "0.1.0"], repo)
    return repo


def _copy_project(template: Path, tmp_path: Path, *data: str) -> Path:
    """`copier copy` of the template with its defaults (and `data`), as my-server."""
    project = tmp_path / "my-server"
    answers = [arg for item in data for arg in ("-d", item)]
    _copier("copy", "--defaults", "--trust", *answers, template, project, cwd=tmp_path)
    return project


def _check_project(project: Path, package: str) -> None:
    """What the project's CI does, with this interpreter standing in for its venv."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-4000:]
    _run([BIN / "ruff", "check", "--no-cache", "."], project)
    _run([BIN / "ruff", "format", "--no-cache", "--check", "."], project)
    _run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull], project)
    _run([BIN / "mcpgen", "generate", "spec.toml", "-o", ".", "--check"], project)
    assert (project / "src" / package / "_generated" / "server.py").is_file()


def test_the_templates_gitignore_covers_what_mcpgen_scaffolds() -> None:
    """copier writes its .gitignore before mcpgen generates, so mcpgen's is not written."""

    def patterns(path: Path) -> set[str]:
        lines = path.read_text().splitlines()
        return {line for line in lines if line and not line.startswith(("#", "{#"))}

    scaffold = patterns(REPO / "templates" / "server" / "scaffold" / "gitignore.jinja")
    assert scaffold and scaffold <= patterns(REPO / "templates" / "project" / ".gitignore")


def test_template_root_holds_the_template() -> None:
    root = template_root()
    assert (root / "copier.yml").is_file()
    assert (root / "templates" / "project" / "pyproject.toml.jinja").is_file()


@pytest.mark.slow
def test_copier_copy_makes_a_project_that_passes_its_own_checks(
    template: Path, tmp_path: Path
) -> None:
    project = _copy_project(template, tmp_path)
    for path in (
        "pyproject.toml",
        "README.md",
        "spec.toml",
        ".copier-answers.yml",
        ".gitattributes",
        ".gitignore",
        ".github/workflows/ci.yml",
        "tests/test_server.py",
        "tests/test_mcp_surface.py",
        "src/my_server/handlers/tools/greet.py",
    ):
        assert (project / path).is_file(), path
    assert (
        "src/my_server/_generated/** linguist-generated=true"
        in (project / ".gitattributes").read_text()
    )
    # copier wrote these before mcpgen ran; mcpgen writes its own only where none exist.
    assert 'readme = "README.md"' in (project / "pyproject.toml").read_text()
    readme = (project / "README.md").read_text()
    assert "copier update" in readme
    # Where the variables an HTTP API's server reads are listed (its own --help).
    assert "MY_SERVER_BASE_URL" in readme and "`python -m my_server --help` lists them" in readme
    _check_project(project, "my_server")


@pytest.mark.slow
def test_mcpgen_init_with_the_starter_spec(tmp_path: Path) -> None:
    project = tmp_path / "starter"
    result = CliRunner().invoke(main, ["init", str(project), "--defaults"])
    assert result.exit_code == 0, result.output
    assert 'package = "starter"' in (project / "spec.toml").read_text()
    _check_project(project, "starter")


def _readme_commands(project: Path, heading: str) -> str:
    """The first shell block under `## heading` of the project's README, verbatim."""
    readme = (project / "README.md").read_text()
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def _follow_readme_and_ci(project: Path) -> None:
    """What a user with only Python 3 does: the README's install and test commands (they
    make the venv), then each `run:` step of the project's CI workflow in that venv; and
    all of it leaves git nothing new to track."""
    _run(["git", "init", "-q", "-b", "main"], project)
    _run(["git", "add", "-A"], project)
    _run(["git", "commit", "-qm", "new project"], project)
    _bash(_readme_commands(project, "Install"), project)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    steps = [step["run"] for step in workflow["jobs"]["test"]["steps"] if "run" in step]
    assert any("--check" in step for step in steps) and any("mypy" in step for step in steps)
    for step in steps:
        _bash(f". .venv/bin/activate\n{step}", project)
    status = _run(["git", "status", "--porcelain", "--untracked-files=all"], project)
    assert status.stdout == "", status.stdout


@pytest.mark.slow
def test_mcpgen_init_makes_a_project_that_installs_on_a_fresh_venv_from_its_readme(
    tmp_path: Path,
) -> None:
    project = tmp_path / "my projects" / "fresh"
    project.parent.mkdir()
    printed = _run([BIN / "mcpgen", "init", "my projects/fresh", "--defaults"], tmp_path)
    _follow_readme_and_ci(project)
    # The next steps it prints go to the project from where the user stands, and make the
    # venv the install goes into, as the README does.
    assert "cd 'my projects/fresh'\n" in printed.stdout + printed.stderr
    assert "python3 -m venv .venv && . .venv/bin/activate" in printed.stdout + printed.stderr
    shown = _bash(". .venv/bin/activate && python -m fresh --help", project)
    assert "--transport" in shown.stdout


@pytest.mark.slow
def test_copier_copy_names_the_project_after_its_folder_and_installs_from_its_readme(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "weather-tools"
    _copier("copy", "--defaults", "--trust", template, project, cwd=tmp_path)
    assert 'name = "weather-tools"' in (project / "pyproject.toml").read_text()
    assert (project / "src" / "weather_tools" / "_generated" / "server.py").is_file()
    _follow_readme_and_ci(project)


@pytest.mark.slow
def test_a_project_on_an_imported_api_installs_and_type_checks_from_its_readme(
    tmp_path: Path,
) -> None:
    """A server that calls an API carries the HTTP client, whose SigV4 signer imports
    botocore, and every server the search surface, which imports bm25s: the `test` extra
    installs neither (their ~55 MB are for the runs that use them), so the project's
    mypy --strict must pass without them, in the venv its README makes."""
    project = tmp_path / "pets"
    spec = REPO / "specs" / "petstore.toml"
    _run([BIN / "mcpgen", "init", project, "--defaults", "--spec", spec], tmp_path)
    assert (project / "src" / "petstore" / "_generated" / "http_client" / "_sigv4.py").is_file()
    _follow_readme_and_ci(project)
    probe = "import importlib.util as u; print(u.find_spec('botocore'), u.find_spec('bm25s'))"
    missing = _bash(f'. .venv/bin/activate && python -c "{probe}"', project)
    assert missing.stdout.strip() == "None None"


@pytest.mark.slow
def test_mcpgen_init_with_a_spec_copies_it_exactly(tmp_path: Path) -> None:
    spec = REPO / "specs" / "weather.toml"
    project = tmp_path / "forecasts"
    result = CliRunner().invoke(
        main, ["init", str(project), "--defaults", "--spec", str(spec), "-d", "author_name=Ada"]
    )
    assert result.exit_code == 0, result.output
    assert (project / "spec.toml").read_bytes() == spec.read_bytes()
    answers = (project / ".copier-answers.yml").read_text()
    assert "package_name: weather" in answers
    assert "spec_source" not in answers  # a one-off: an update must not read it again
    assert 'authors = [{ name = "Ada" }]' in (project / "pyproject.toml").read_text()
    assert (project / "src" / "weather" / "handlers" / "tools" / "get_forecast.py").is_file()


def test_mcpgen_init_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    result = runner.invoke(main, ["init", str(taken), "--defaults"])
    assert result.exit_code == 1
    assert "not an empty folder" in result.output
    assert sorted(p.name for p in taken.iterdir()) == ["keep.txt"]

    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nname = 3\n[[tools]]\nname = "x"\n')
    result = runner.invoke(main, ["init", str(tmp_path / "a"), "--defaults", "--spec", str(bad)])
    assert result.exit_code == 1
    assert "bad.toml:2:1" in result.output
    assert not (tmp_path / "a").exists()

    # PEP 508: a distribution name ends with a letter or digit (hatchling refuses others).
    result = runner.invoke(
        main, ["init", str(tmp_path / "c"), "--defaults", "-d", "project_name=server-"]
    )
    assert result.exit_code == 1
    assert "'server-' is not a usable project name" in result.output
    assert not (tmp_path / "c").exists()

    result = runner.invoke(
        main, ["init", str(tmp_path / "b"), "--defaults", "-d", "package_name=Not-Valid"]
    )
    assert result.exit_code == 1
    assert "package_name" in result.output
    assert not (tmp_path / "b").exists()
    assert not list(tmp_path.glob(".mcpgen-init-*"))


@pytest.mark.slow
def test_a_project_lifecycle_keeps_every_user_byte(template: Path, tmp_path: Path) -> None:
    """copy -> handlers -> spec edits (add, rename, remove, a schema) -> regenerate ->
    a newer template -> copier update: the user's code is intact and the checks pass."""
    # As if an older mcpgen from an index made it: the update must move the pin.
    project = _copy_project(template, tmp_path, "mcpgen_requirement=mcpgen==0.0.9")
    requirements = project / "requirements-dev.txt"
    assert requirements.read_text().endswith("\nmcpgen==0.0.9\n")
    assert not (project / "vendor").exists()
    _run(["git", "init", "-q", "-b", "main"], project)
    _run(["git", "add", "-A"], project)
    _run(["git", "commit", "-qm", "new project"], project)

    # The user writes the handler, notes something in the README and grows the spec.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nNotes of the user.\n")
    handler = project / "src" / "my_server" / "handlers" / "tools" / "greet.py"
    handler.write_text(HANDLER)
    spec = project / "spec.toml"
    tool = '\n\n[[tools]]\nname = "{}"\ninput.type = "object"\ninput.properties.text = {{ type = "string" }}\n'
    spec.write_text(spec.read_text() + tool.format("shout") + tool.format("whisper"))
    _run([BIN / "mcpgen", "generate", "spec.toml", "-o", "."], project)
    tools = project / "src" / "my_server" / "handlers" / "tools"
    assert (tools / "shout.py").is_file() and (tools / "whisper.py").is_file()

    # Then: shout is renamed yell, whisper removed, greet's input grows an optional field.
    spec.write_text(
        spec.read_text()
        .replace('name = "shout"', 'name = "yell"')
        .replace(tool.format("whisper"), "")
        .replace(
            "input.properties.name = {",
            'input.properties.excited = { type = "boolean", default = false }\n'
            "input.properties.name = {",
        )
    )
    regenerated = _run([BIN / "mcpgen", "generate", "spec.toml", "-o", "."], project)
    assert "shout" in regenerated.stderr and "whisper" in regenerated.stderr  # kept, named
    assert (tools / "shout.py").is_file() and (tools / "whisper.py").is_file()
    assert (tools / "yell.py").is_file()
    assert handler.read_text() == HANDLER  # regenerating never touches a handler
    stale = subprocess.run(
        [BIN / "mcpgen", "generate", "spec.toml", "-o", ".", "--check"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert stale.returncode == 1  # until the user resolves the handlers the spec dropped
    (tools / "shout.py").unlink()  # the user moves on: nothing was in those stubs
    (tools / "whisper.py").unlink()
    _run([BIN / "mcpgen", "generate", "spec.toml", "-o", ".", "--check"], project)
    _run(["git", "add", "-A"], project)
    _run(["git", "commit", "-qm", "user edits"], project)
    user_files = {p: p.read_bytes() for p in (readme, handler, spec)}

    # A newer template version changes the README's last section and the .gitignore.
    readme_template = template / "templates" / "project" / "README.md.jinja"
    readme_template.write_text(
        readme_template.read_text().replace("## Change it\n", "## Change it (since 0.2.0)\n")
    )
    gitignore = template / "templates" / "project" / ".gitignore"
    gitignore.write_text(gitignore.read_text() + ".coverage\n")
    _run(["git", "commit", "-qam", "template 0.2.0"], template)
    _run(["git", "tag", "0.2.0"], template)

    _copier("update", "--defaults", "--trust", cwd=project)

    updated_readme = readme.read_text()
    assert "## Change it (since 0.2.0)" in updated_readme
    assert updated_readme.endswith("\nNotes of the user.\n")
    assert ".coverage" in (project / ".gitignore").read_text()
    assert handler.read_bytes() == user_files[handler]
    assert spec.read_bytes() == user_files[spec]
    assert "_commit: 0.2.0" in (project / ".copier-answers.yml").read_text()
    # The pin follows the mcpgen that remade the generated code (this checkout: vendored).
    wheel = f"vendor/mcpgen-{__version__}-py3-none-any.whl"
    assert requirements.read_text().endswith(f"\n./{wheel}\n")
    assert f"mcpgen_requirement: ./{wheel}" in (project / ".copier-answers.yml").read_text()
    assert f"It is `{wheel}`" in updated_readme
    assert zipfile.ZipFile(project / wheel).getinfo("mcpgen/copier.yml")
    assert not list(project.rglob("*.rej"))
    # The generated code follows the spec, and the user's handler makes the example pass.
    assert (tools / "yell.py").is_file() and not (tools / "shout.py").exists()
    _check_project(project, "my_server")


# A server whose lifespan opens a SQLite database relative to the working directory, as
# `sqlite3.connect("notes.db")` does: its generated tests must not write it into the project;
# the user's `server` fixture in tests/conftest.py decides what state the tests get.
NOTES_SPEC = """\
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
NOTES_LIFESPAN = '''\
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
NOTES_HANDLER = '''\
"""Handler of the where tool."""

from __future__ import annotations

from notes._generated import models, runtime
from notes.handlers.lifespan import State


async def where(ctx: runtime.Context[State], args: models.WhereInput) -> models.WhereOutput:
    return models.WhereOutput(source=ctx.state.source)
'''
# The user's own fixture: the tests get state from a lifespan of the tests' own.
NOTES_CONFTEST = '''\
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


def _untracked(project: Path) -> str:
    return _run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout


@pytest.mark.slow
def test_generated_tests_use_the_users_state_and_leave_the_project_clean(
    tmp_path: Path,
) -> None:
    project = tmp_path / "notes"
    project.mkdir()
    (project / "spec.toml").write_text(NOTES_SPEC)
    _run([BIN / "mcpgen", "generate", "spec.toml", "-o", "."], project)
    handlers = project / "src" / "notes" / "handlers"
    (handlers / "lifespan.py").write_text(NOTES_LIFESPAN)
    (handlers / "tools" / "where.py").write_text(NOTES_HANDLER)
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
    conftest.write_text(NOTES_CONFTEST)
    marker.unlink()
    _run(pytest_command, project, env)
    assert set(marker.read_text().splitlines()) == {"fixture"}
    _run([sys.executable, "-m", "mypy"], project, env)
    _run([BIN / "mcpgen", "generate"], project)
    assert conftest.read_text() == NOTES_CONFTEST  # mcpgen never rewrites it
    assert _untracked(project) == " M tests/conftest.py\n"
