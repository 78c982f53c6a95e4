"""Every example is exactly what mcpgen generates from its spec, and its own tests pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcpgen.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "pyproject.toml").is_file())


def test_every_example_has_a_spec() -> None:
    assert EXAMPLES
    for example in EXAMPLES:
        assert (REPO / "specs" / f"{example}.toml").is_file(), example


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_is_up_to_date_with_its_spec(example: str) -> None:
    spec = REPO / "specs" / f"{example}.toml"
    result = CliRunner().invoke(
        main, ["generate", str(spec), "-o", str(REPO / "examples" / example), "--check"]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_passes_its_own_tests(example: str) -> None:
    project = REPO / "examples" / example
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
