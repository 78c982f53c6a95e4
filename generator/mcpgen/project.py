"""New projects: the copier template's Jinja helpers, and `mcpgen init` over copier's API.

The template (root `copier.yml`, files under `templates/project/`) asks for a spec file
to start from; only mcpgen can read one, so the template loads this module as a Jinja
extension. That also means copier and mcpgen share one environment, which the template's
tasks rely on when they run `python -m mcpgen generate`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext

from mcpgen import __version__
from mcpgen.diagnostics import SpecError
from mcpgen.names import to_package_name
from mcpgen.render import _toml_string

# The question of copier.yml that names a spec file to start from.
SPEC_SOURCE = "spec_source"
# A distribution name that is also a valid spec `server.name`, so one answer serves both.
PROJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")


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

    destination = destination.absolute()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise InitError(f"{destination} already exists and is not an empty folder.")
    answers: dict[str, Any] = dict(data)
    if spec is not None:
        facts = spec_facts(str(spec))
        if facts["problems"]:
            raise InitError(facts["problems"])
        answers[SPEC_SOURCE] = str(spec.absolute())
    answers.setdefault("project_name", destination.name)
    if not PROJECT_NAME.fullmatch(str(answers["project_name"])):
        raise InitError(
            f"{answers['project_name']!r} is not a usable project name: start with a letter, "
            "then letters, digits, '.', '_' or '-' (or pass --data project_name=...)."
        )
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
