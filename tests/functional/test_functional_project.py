"""The generated project as its owner sees it: its own tests pass and it type-checks.

The handlers of tests/functional/handlers/ stand in for the owner's code, so mypy also checks
that they match the protocols mcpgen generated from the spec.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from functional_support import Project

pytestmark = pytest.mark.slow


def run(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_generated_surface_tests_pass(project: Project) -> None:
    done = run(project, "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_project_type_checks_with_the_handlers(project: Project, tmp_path: Path) -> None:
    done = run(project, "mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert done.returncode == 0, done.stdout + done.stderr
