"""Golden cases: each spec under tests/cases/golden generates exactly its `expected/` tree.

The expected trees are checked in, so a change to any template shows up in review as a
diff of generated code. Regenerate them with MCPGEN_UPDATE_GOLDEN=1 and read the diff.
They leave out the vendored packages (`_generated/runtime/`, `_generated/http_client/`):
those are mcpgen's own source, copied, and are held to it here and in every example.
The static checks (ruff, ruff format, mypy --strict) run on every golden case and every
example: generated code must pass the checks its own project configures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcpgen import emit
from mcpgen.pipeline import generate
from mcpgen.render import VENDORED_SOURCE, vendored_sources

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "cases" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "spec.toml").is_file())
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "pyproject.toml").is_file())
UPDATE = os.environ.get("MCPGEN_UPDATE_GOLDEN") == "1"
MANIFEST = ".mcpgen-manifest.json"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".mypy_cache" not in p.parts
    }


def is_vendored(path: str) -> bool:
    """`src/<pkg>/_generated/runtime/...` or `.../http_client/...`: a vendored module."""
    parts = path.split("/")
    return (
        len(parts) > 4
        and parts[0] == "src"
        and parts[2] == "_generated"
        and parts[3]
        in (
            "runtime",
            "http_client",
        )
    )


def golden_form(files: dict[str, bytes]) -> dict[str, bytes]:
    """A generated tree as a golden case keeps it: without the vendored modules, and without
    them in the manifest either (so a runtime change touches no golden file)."""
    kept = {path: text for path, text in files.items() if not is_vendored(path)}
    manifest = json.loads(kept[MANIFEST])
    manifest["files"] = {p: h for p, h in manifest["files"].items() if not is_vendored(p)}
    kept[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    return kept


def vendored_copies(root: Path) -> dict[str, bytes]:
    """The vendored modules in a generated tree, by their path below `_generated/`."""
    return {path.split("/", 3)[3]: text for path, text in tree(root).items() if is_vendored(path)}


def generate_into(spec: Path, out: Path) -> None:
    result = generate(spec)
    plan = emit.plan(out, result.files, result.ir.server.package)
    emit.apply(out, plan, result.ir.spec_sha256, result.refs)


@pytest.mark.parametrize("case", CASES)
def test_generates_the_expected_tree(case: str, tmp_path: Path) -> None:
    generate_into(GOLDEN / case / "spec.toml", tmp_path)
    expected_dir = GOLDEN / case / "expected"
    actual = golden_form(tree(tmp_path))
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, text in actual.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_bytes(text)
    expected = tree(expected_dir)
    assert sorted(actual) == sorted(expected)
    for path in expected:
        assert actual[path] == expected[path], f"{case}: {path} differs"


def test_golden_trees_carry_no_vendored_copy() -> None:
    for case in CASES:
        assert not vendored_copies(GOLDEN / case / "expected"), case


@pytest.mark.parametrize("project", [*(GOLDEN / c / "spec.toml" for c in CASES), *EXAMPLES])
def test_vendored_copies_equal_their_source(project: Path | str, tmp_path: Path) -> None:
    """Each generated package carries the vendored modules byte for byte (the runtime's
    optional modules only where its spec uses them); the examples carry them on disk."""
    if isinstance(project, Path):
        generate_into(project, tmp_path)
        root = tmp_path
    else:
        root = REPO / "examples" / project
    copies = vendored_copies(root)
    sources = vendored_sources()
    assert "runtime/__init__.py" in copies
    for module, text in copies.items():
        assert module in sources, f"{root}: {module} is no module of {VENDORED_SOURCE}"
        assert text.decode("utf-8") == sources[module], f"{root}: {module} differs from its source"


def _static_check_targets() -> list[Path]:
    return [GOLDEN / case / "spec.toml" for case in CASES] + [
        REPO / "examples" / e for e in EXAMPLES
    ]


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} in {cwd}:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "project", _static_check_targets(), ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_generated_code_passes_its_static_checks(project: Path, tmp_path: Path) -> None:
    if project.name == "spec.toml":  # a golden case: checked whole, vendored copies too
        generate_into(project, tmp_path)
        project = tmp_path
    ruff = [sys.executable, "-m", "ruff"]
    _run([*ruff, "check", "--no-cache", "."], project)
    _run([*ruff, "format", "--check", "--no-cache", "."], project)
    # --cache-dir=/dev/null keeps mypy from writing a cache into the checked-in tree.
    _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, "src", "tests"],
        project,
    )
