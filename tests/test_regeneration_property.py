"""Random spec edits interleaved with user edits: no user byte is ever lost.

Hypothesis draws short sequences of edits (add, rename, remove a tool; change its input
or its output; add a resource, template or prompt; the user appends code to a handler).
After every regeneration: each user edit is still there byte for byte (orphaned handlers
included), the package imports, and, once the user deletes the handlers the spec left,
`--check` is clean.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from regeneration_support import HANDLERS, PACKAGE, cli, spec_data, write_spec

NAMES = ["alpha", "beta", "gamma", "delta"]
EDITS = st.lists(
    st.tuples(
        st.sampled_from(
            ["add", "rename", "remove", "input", "output", "resource", "template", "prompt", "user"]
        ),
        st.sampled_from(NAMES),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=4,
)


def _apply(edit: tuple[str, str, int], state: dict[str, Any], root: Path) -> None:
    kind, name, number = edit
    tools: dict[str, dict[str, Any]] = state["tools"]
    existing = sorted(tools)
    target = existing[number % len(existing)] if existing else None
    if kind == "add" and name not in tools:
        tools[name] = {}
    elif kind == "rename" and target is not None and name not in tools:
        tools[name] = tools.pop(target)
    elif kind == "remove" and target is not None and len(tools) > 1:
        del tools[target]
    elif kind == "input" and target is not None:
        tools[target] = {**tools[target], "fields": [f"f{i}" for i in range(number)]}
    elif kind == "output" and target is not None:
        tools[target] = {**tools[target], "output": [None, "Old", "New", "Old"][number]}
    elif kind in ("resource", "template", "prompt"):
        state[kind].add(f"{kind[0]}{number}")
    elif kind == "user" and target is not None:
        handler = root / HANDLERS / "tools" / f"{target}.py"
        if handler.is_file():
            with handler.open("a", encoding="utf-8") as stream:
                stream.write(f"\n\nUSER_{number} = {target!r}  # the user's own code\n")


def _import_package(root: Path) -> None:
    """Import the server wiring (and so every handler) fresh from this project."""
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[module]
    importlib.invalidate_caches()
    sys.path.insert(0, str(root / "src"))
    try:
        importlib.import_module(f"{PACKAGE}._generated.server")
    finally:
        sys.path.remove(str(root / "src"))


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=EDITS)
def test_no_user_byte_is_lost(
    edits: list[tuple[str, str, int]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    folder = tmp_path_factory.mktemp("property")
    spec, root = folder / "regen.json", folder / "project"
    state: dict[str, Any] = {
        "tools": {"alpha": {"output": "Old"}},
        "resource": set(),
        "template": set(),
        "prompt": set(),
    }
    for edit in [("add", "alpha", 0), *edits]:
        _apply(edit, state, root)
        edited = {
            p.relative_to(root).as_posix(): p.read_bytes() for p in (root / HANDLERS).rglob("*.py")
        }
        write_spec(
            spec,
            spec_data(
                state["tools"],
                tuple(sorted(state["resource"])),
                tuple(sorted(state["template"])),
                tuple(sorted(state["prompt"])),
            ),
        )
        result = cli("generate", spec, "-o", root)
        assert result.exit_code == 0, result.output
        for path, data in edited.items():
            assert (root / path).read_bytes() == data, f"{path} lost user bytes after {edit}"
        _import_package(root)
        # The user resolves what the spec left behind, and the handlers it no longer fits
        # (here by starting them again from the stub); then the project is up to date.
        refit = False
        for line in result.stderr.splitlines():
            if "which the spec no longer declares" in line:
                (root / line.split()[1]).unlink()
            elif line.startswith("warning: handler of "):
                (root / line.split("(")[1].split(":")[0]).unlink(missing_ok=True)
                refit = True
        if refit:
            assert cli("generate", spec, "-o", root).exit_code == 0
        check = cli("generate", "--check", spec, "-o", root)
        assert check.exit_code == 0, check.output
