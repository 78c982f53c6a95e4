"""New projects: the copier template's Jinja helpers, and `mcpgen init` over copier's API.

The template (root `copier.yml`, files under `templates/project/`) asks for a spec file
to start from; only mcpgen can read one, so the template loads this module as a Jinja
extension. That also means copier and mcpgen share one environment, which the template's
tasks rely on when they run `python -m mcpgen generate`, and which tells where the project
installs mcpgen from (`generator_source`: the very mcpgen that made it, on any machine).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import jinja2.ext

from mcpgen import __version__
from mcpgen.diagnostics import SpecError
from mcpgen.names import to_package_name, words
from mcpgen.pyproject import dependency_lines, optional_dependencies, tool_tables
from mcpgen.render import _toml_string

# The question of copier.yml that names a spec file to start from.
SPEC_SOURCE = "spec_source"
# A distribution name (PEP 508: letters, digits, '.', '_', '-', ending in a letter or digit)
# that is also a valid spec `server.name` (starting with a letter, at most 100 characters),
# so one answer serves both.
PROJECT_NAME = re.compile(r"[A-Za-z]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
MAX_PROJECT_NAME = 100
# Where a project keeps the mcpgen wheel its requirements-dev.txt installs, when no index or
# repository that other machines reach has that mcpgen (see `generator_source`).
VENDOR_DIR = "vendor"


def project_name_from_folder(folder: str) -> str:
    """The default project name for a folder: its name if valid, else made valid from it."""
    if PROJECT_NAME.fullmatch(folder):
        return folder
    name = "-".join(words(folder))[:MAX_PROJECT_NAME].rstrip("-") or "mcp-server"
    if not name[0].isalpha():
        name = f"mcp-{name}"[:MAX_PROJECT_NAME].rstrip("-")
    return name


def project_name_problem(name: str) -> str:
    """Why `name` cannot name a project, or "" when it can (copier's validator shows it)."""
    if PROJECT_NAME.fullmatch(name):
        return ""
    return (
        f"{name!r} is not a usable project name: start with a letter, then letters, digits, "
        f"'.', '_' or '-', end with a letter or digit, at most {MAX_PROJECT_NAME} characters."
    )


@dataclass(frozen=True)
class GeneratorSource:
    """Where a new project gets mcpgen: the mcpgen that made the project.

    `generate --check` in the project's CI compares byte for byte, so it must run the very
    mcpgen that generated the code, on the user's machine and on a CI runner alike.
    """

    requirement: str  # the line of the project's requirements-dev.txt that installs it
    vendor_from: str | None  # what pip turns into the project's own wheel, when it needs one


def _wheel_name(version: str) -> str:
    """The file name pip gives mcpgen's wheel (pure Python; the version is in PEP 440's
    normal form already, as `__version__` is written)."""
    return f"mcpgen-{version}-py3-none-any.whl"


def generator_source(direct_url: Mapping[str, Any] | None, version: str) -> GeneratorSource:
    """The requirement for the mcpgen that pip installed with this PEP 610 record.

    No record: it came from an index, so `mcpgen==version` finds it anywhere. A git (or
    other VCS) repository or an archive on a server: a direct reference to that commit or
    file, which any machine can fetch. A local folder, wheel or clone exists on this
    machine only (a CI runner has no `file:///home/...`), so its wheel is copied into the
    project's `vendor/` and named by a path relative to the project, which a requirements
    file allows (package metadata does not: PEP 508 references are absolute URLs).
    """
    if direct_url is None:
        return GeneratorSource(f"mcpgen=={version}", None)
    url = str(direct_url["url"])
    vcs = direct_url.get("vcs_info")
    if vcs is not None:
        reference = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    elif "archive_info" in direct_url:
        hashes = direct_url["archive_info"].get("hashes") or {}
        reference = f"{url}#sha256={hashes['sha256']}" if "sha256" in hashes else url
    else:
        reference = url
    if direct_url.get("subdirectory"):
        reference += f"#subdirectory={direct_url['subdirectory']}"
    if urlsplit(url).scheme != "file":
        return GeneratorSource(f"mcpgen @ {reference}", None)
    # Bare, as pip takes it: older pips refuse `mcpgen @ git+file:///...` (no host).
    return GeneratorSource(f"./{VENDOR_DIR}/{_wheel_name(version)}", reference)


def installed_generator_source() -> GeneratorSource:
    """`generator_source` of the mcpgen running now, from its install record."""
    try:
        text = distribution("mcpgen").read_text("direct_url.json")
    except PackageNotFoundError:
        text = None
    return generator_source(json.loads(text) if text else None, __version__)


def vendor_generator(project: Path = Path()) -> None:
    """Put the wheel of this mcpgen into `project/vendor/`, where requirements-dev.txt names it.

    pip builds it (a folder or a clone) or copies it (a wheel), so the wheel is the code
    that is running now; wheels of other versions left by an earlier run are removed.
    Run by the copier template's tasks after a copy and after an update.
    """
    source = installed_generator_source()
    if source.vendor_from is None:
        sys.exit(
            f"error: this mcpgen was installed as {source.requirement!r}, which any machine "
            f"reaches: requirements-dev.txt should say that, not name a wheel in {VENDOR_DIR}/."
        )
    name = _wheel_name(__version__)
    with tempfile.TemporaryDirectory() as work:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
        built = subprocess.run(
            [*command, "--wheel-dir", work, source.vendor_from],
            capture_output=True,
            text=True,
            check=False,
        )
        wheel = Path(work) / name
        if built.returncode != 0 or not wheel.is_file():
            sys.exit(
                f"error: cannot make {VENDOR_DIR}/{name}, the mcpgen wheel this project's "
                f"requirements-dev.txt installs: `pip wheel {source.vendor_from}` failed.\n"
                f"{built.stdout}{built.stderr}"
            )
        folder = project / VENDOR_DIR
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("mcpgen-*.whl"):
            if stale.name != name:
                stale.unlink()
        shutil.copyfile(wheel, folder / name)


def template_root() -> Path:
    """The copier template's root (the folder holding `copier.yml`).

    In a wheel, hatch force-includes `copier.yml` beside the package's `templates/`, so
    the package folder is the root and `_subdirectory: templates/project` holds in both.
    An editable install maps only `generator/mcpgen`: there the checkout's root is it.
    """
    packaged = Path(__file__).parent
    if (packaged / "copier.yml").is_file():
        return packaged
    return packaged.resolve().parent.parent


@cache
def _spec_facts(path: str, mtime_ns: int) -> dict[str, str]:
    """What the template needs from a spec, or its problems; cached per file version."""
    from mcpgen.pipeline import check

    try:
        ir, _ = check(Path(path))
    except SpecError as error:
        problems = [d.render() for d in error.diagnostics if d.level == "error"]
        more = f"\n(and {len(problems) - 5} more)" if len(problems) > 5 else ""
        return {"problems": "\n".join(problems[:5]) + more}
    server = ir.server
    return {
        "problems": "",
        "name": server.name,
        "package": server.package,
        "description": server.description or server.title or "",
    }


def spec_facts(path: str) -> dict[str, str]:
    """The spec's name, package and description, or `problems` saying why it is unusable."""
    if not path:
        return {"problems": ""}
    file = Path(path).expanduser()
    try:
        mtime = file.stat().st_mtime_ns
    except OSError as error:
        return {"problems": f"cannot read the spec {path}: {error.strerror or error}"}
    if not file.is_file():
        return {"problems": f"the spec {path} is not a file"}
    return _spec_facts(str(file.resolve()), mtime)


def read_spec(path: str) -> str:
    """The spec's text exactly, newlines included, to copy it into the project."""
    with Path(path).expanduser().open(encoding="utf-8", newline="") as handle:
        return handle.read()


def without(mapping: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The mapping minus some keys: the answers file leaves out the one-off spec source."""
    return {k: v for k, v in mapping.items() if k not in keys}


class ProjectExtension(jinja2.ext.Extension):
    """Filters and globals for `templates/project`, named `mcpgen_*` to stay out of the way."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.filters["mcpgen_spec"] = spec_facts
        environment.filters["mcpgen_read_spec"] = read_spec
        environment.filters["mcpgen_package"] = to_package_name
        environment.filters["mcpgen_toml"] = _toml_string
        environment.filters["mcpgen_without"] = without
        environment.filters["mcpgen_project_name"] = project_name_from_folder
        environment.filters["mcpgen_project_name_problem"] = project_name_problem
        # The destination as the user gave it, quoted for the shell the next steps go to.
        environment.filters["mcpgen_shell"] = shlex.quote
        environment.globals["mcpgen_runtime_dependencies"] = dependency_lines
        environment.globals["mcpgen_tool_tables"] = tool_tables
        environment.globals["mcpgen_optional_dependencies"] = optional_dependencies
        environment.globals["mcpgen_installed"] = installed_generator_source()
        # Template versions before `mcpgen_requirement` pinned this; `copier update` renders
        # the version a project was made with, so it must still find it.
        environment.globals["mcpgen_version"] = __version__


class InitError(Exception):
    """`mcpgen init` cannot go ahead; the message says why and nothing was written."""


def init_project(
    destination: Path,
    *,
    spec: Path | None,
    data: Mapping[str, str],
    defaults: bool,
    quiet: bool = False,
) -> Path:
    """Make a new project at `destination` from the copier template; return its path.

    The spec is checked before copier starts, and copier works in a temporary folder beside
    the destination that is renamed into place only once everything (the generation task
    too) succeeded, so a failure leaves nothing behind.
    """
    import copier
    from copier.errors import CopierError

    answers: dict[str, Any] = {"destination": str(destination), **data}
    destination = destination.absolute()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise InitError(f"{destination} already exists and is not an empty folder.")
    # copier's validator says the same, but only after it has copied the template.
    name = answers.get("project_name")
    if name is not None and (problem := project_name_problem(str(name))):
        raise InitError(problem)
    if spec is not None:
        facts = spec_facts(str(spec))
        if facts["problems"]:
            raise InitError(facts["problems"])
        answers[SPEC_SOURCE] = str(spec.absolute())
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mcpgen-init-", dir=destination.parent) as work:
        staged = Path(work) / destination.name
        try:
            copier.run_copy(
                src_path=str(template_root()),
                dst_path=staged,
                data=answers,
                defaults=defaults,
                unsafe=True,  # the template's task runs `mcpgen generate`
                quiet=quiet,
            )
        except (CopierError, ValueError) as error:
            raise InitError(f"copier could not make the project: {error}") from error
        if destination.exists():
            destination.rmdir()
        shutil.move(staged, destination)
    return destination
