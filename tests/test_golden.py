"""Golden cases: each spec under tests/cases/golden generates exactly its `expected/` tree.

The expected trees are checked in, so a change to any template shows up in review as a
diff of generated code. Regenerate them with MCPGEN_UPDATE_GOLDEN=1 and read the diff.
The static checks (ruff, ruff format, mypy --strict) run on every expected tree and
every example: generated code must pass the checks its own project configures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcpgen import emit
from mcpgen.pipeline import generate

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "cases" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "spec.toml").is_file())
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "pyproject.toml").is_file())
UPDATE = os.environ.get("MCPGEN_UPDATE_GOLDEN") == "1"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".mypy_cache" not in p.parts
    }


def generate_into(spec: Path, out: Path) -> None:
    result = generate(spec)
    plan = emit.plan(out, result.files, result.ir.server.package)
    emit.apply(out, plan, result.ir.spec_sha256, result.refs)


@pytest.mark.parametrize("case", CASES)
def test_generates_the_expected_tree(case: str, tmp_path: Path) -> None:
    generate_into(GOLDEN / case / "spec.toml", tmp_path)
    expected_dir = GOLDEN / case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path, expected_dir)
    actual, expected = tree(tmp_path), tree(expected_dir)
    assert sorted(actual) == sorted(expected)
    for path in expected:
        assert actual[path] == expected[path], f"{case}: {path} differs"


def _static_check_targets() -> list[Path]:
    return [GOLDEN / case / "expected" for case in CASES] + [
        REPO / "examples" / e for e in EXAMPLES
    ]


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} in {cwd}:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "project", _static_check_targets(), ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_generated_code_passes_its_static_checks(project: Path) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    _run([*ruff, "check", "--no-cache", "."], project)
    _run([*ruff, "format", "--check", "--no-cache", "."], project)
    # --cache-dir=/dev/null keeps mypy from writing a cache into the checked-in tree.
    _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, "src", "tests"],
        project,
    )
