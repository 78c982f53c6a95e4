"""The wheel is the product: built, installed into a fresh venv, it generates what the checkout does.

An editable install finds the templates beside the source tree; a wheel must carry them
inside the package (hatch force-include). If it did not, the installed `mcpgen` would fail,
or (worse) quietly pick up a different copy; byte-identical output proves it does neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
WEATHER = REPO / "specs" / "weather.toml"
_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "dist",
    "build",
)


def _run(
    command: list[str | Path], cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@dataclass(frozen=True)
class Installed:
    source: Path  # the snapshot of the checkout the wheel was built from
    wheel: Path
    python: Path  # the fresh venv's interpreter
    mcpgen: Path  # the fresh venv's console script
    work: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so the build cannot leave anything in the checkout.
    source = work / "source"
    shutil.copytree(REPO, source, ignore=_IGNORE)
    dist = work / "dist"
    # No isolation: hatchling comes from the test environment, not a download per run.
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source],
        work,
    )
    wheels = sorted(dist.glob("mcpgen-*.whl"))
    assert len(wheels) == 1, wheels

    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True, symlinks=os.name != "nt").create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # Dependencies come from the index the local pip configuration names; the cache is reused.
    _run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", wheels[0]],
        work,
    )
    return Installed(source, wheels[0], python, bin_dir / "mcpgen", work)


def test_wheel_carries_the_templates(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert "mcpgen/templates/server/server.py.jinja" in names
    # The packages every generated server carries a copy of.
    vendored = {
        p.relative_to(installed.source / "generator").as_posix()
        for p in (installed.source / "generator" / "mcpgen" / "vendored").rglob("*.py")
    }
    assert vendored <= names, sorted(vendored - names)
    # `mcpgen init` finds the copier template's root in the package (mcpgen.project).
    assert "mcpgen/copier.yml" in names
    shipped = {
        n.removeprefix("mcpgen/templates/") for n in names if n.startswith("mcpgen/templates/")
    }
    in_checkout = {
        p.relative_to(installed.source / "templates").as_posix()
        for p in (installed.source / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert in_checkout <= shipped, (
        f"templates missing from the wheel: {sorted(in_checkout - shipped)}"
    )
    assert "mcpgen/cli.py" in names and "mcpgen/pipeline.py" in names
    assert not [n for n in names if n.startswith(("tests/", "specs/", "generator/"))], sorted(names)


def test_installed_mcpgen_uses_its_own_templates(installed: Installed) -> None:
    outside = installed.work / "elsewhere"
    outside.mkdir(exist_ok=True)
    done = _run(
        [installed.python, "-c", "import mcpgen; print(mcpgen.templates_dir().resolve())"],
        outside,
    )
    templates = Path(done.stdout.strip())
    assert templates.is_relative_to(installed.python.parent.parent.resolve()), templates
    assert (templates / "server" / "server.py.jinja").is_file()
    assert REPO not in templates.parents


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_installed_wheel_generates_what_the_checkout_generates(installed: Installed) -> None:
    spec_dir = installed.work / "spec"
    spec_dir.mkdir(exist_ok=True)
    spec = spec_dir / WEATHER.name
    shutil.copyfile(WEATHER, spec)
    from_wheel = installed.work / "from-wheel"
    from_checkout = installed.work / "from-checkout"
    _run([installed.mcpgen, "generate", spec, "-o", from_wheel], spec_dir)
    # The checkout side runs as the editable install does (package from `generator/`,
    # templates found beside it), on the snapshot the wheel was built from: others may be
    # editing the live checkout meanwhile.
    checkout = {"PYTHONPATH": str(installed.source / "generator")}
    where = _run(
        [sys.executable, "-c", "import mcpgen; print(mcpgen.templates_dir())"], spec_dir, checkout
    )
    assert Path(where.stdout.strip()) == installed.source / "templates"
    _run(
        [sys.executable, "-m", "mcpgen", "generate", spec, "-o", from_checkout],
        spec_dir,
        checkout,
    )
    wheel_files, checkout_files = _tree(from_wheel), _tree(from_checkout)
    assert len(wheel_files) > 20
    assert sorted(wheel_files) == sorted(checkout_files)
    differing = [name for name in wheel_files if wheel_files[name] != checkout_files[name]]
    assert not differing, f"the wheel's output differs in {differing}"


def test_installed_cli_reports_its_version(installed: Installed) -> None:
    done = _run([installed.mcpgen, "--version"], installed.work)
    import mcpgen

    assert mcpgen.__version__ in done.stdout


def test_a_project_made_by_the_installed_wheel_carries_that_wheel(installed: Installed) -> None:
    """A wheel installed from a local file is on this machine only: the project gets a copy
    (byte for byte the one installed), named relative to the project for other machines."""
    project = installed.work / "from-wheel-project"
    _run([installed.mcpgen, "init", project, "--defaults"], installed.work)
    vendored = project / "vendor" / installed.wheel.name
    assert vendored.read_bytes() == installed.wheel.read_bytes()
    requirement = (project / "requirements-dev.txt").read_text().splitlines()[-1]
    assert requirement == f"./vendor/{installed.wheel.name}"
