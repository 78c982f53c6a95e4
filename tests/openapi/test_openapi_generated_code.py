"""Every fixture that imports also generates a server that passes the static checks.

Real API descriptions use schema shapes hand-written specs rarely do (allOf over a shared
base, recursive types, every parameter style, bodies of every kind), so each one is imported,
generated, and then checked like the golden trees: ruff, ruff format and mypy --strict, in one
invocation each over all the projects (one mypy run shares the analysis of pydantic and the
SDK, which would dominate a run per project).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcpgen.cli import main
from openapi_support import FIXTURES, import_spec

pytestmark = pytest.mark.slow

# Describes webhooks only: no tools, which the import refuses (test_openapi_no_tools).
WEBHOOKS_ONLY = FIXTURES / "oas-examples-webhooks-3.1.yaml"
DOCUMENTS = sorted(
    [*(p for p in [*FIXTURES.glob("*.yaml"), *FIXTURES.glob("*.json")] if p != WEBHOOKS_ONLY)]
    + [FIXTURES / "petstore-separate" / "spec" / "openapi.yaml"]
    + [
        FIXTURES / "edge" / name
        for name in ("clashes.yaml", "bodies.yaml", "servers.yaml", "patterns.yaml")
    ]
    + [FIXTURES / "edge" / "split" / "openapi.yaml"]
    + [FIXTURES / "edge" / "swagger2-split" / "swagger.yaml"]
)


def _package(source: Path) -> str:
    stem = source.stem if source.stem != "openapi" else source.parent.parent.name
    return "api_" + "".join(c if c.isalnum() else "_" for c in stem.lower())


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command[:4])}:\n{done.stdout[-6000:]}{done.stderr}"


def test_imported_servers_pass_ruff_and_mypy(tmp_path: Path) -> None:
    packages = []
    for source in DOCUMENTS:
        package = _package(source)
        spec = tmp_path / f"{package}.toml"
        import_spec(source, spec, server_name=package.replace("_", "-"))
        project = tmp_path / package
        result = CliRunner().invoke(main, ["generate", str(spec), "-o", str(project)])
        assert result.exit_code == 0, f"{source.name}:\n{result.output}"
        packages.append(package)

    projects = [str(tmp_path / p) for p in packages]
    ruff = [sys.executable, "-m", "ruff"]
    _run([*ruff, "check", "--no-cache", *projects], tmp_path)
    _run([*ruff, "format", "--check", "--no-cache", *projects], tmp_path)
    env_path = os.pathsep.join(str(tmp_path / p / "src") for p in packages)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull]
    done = subprocess.run(
        [*mypy, *(arg for p in packages for arg in ("-p", p))],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": env_path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr
