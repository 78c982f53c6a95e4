"""A large spec's models are made in chunks on several processes, and the output shows none of it.

The model generator decides some things for a whole call (an import a field name hides is
aliased, a derived class name already taken is numbered); `models._chunked` makes each chunk
decide as one batch would instead of falling back to one batch. Which process made which chunk,
and whether the cache had it, changes nothing in the bytes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcpgen import models, pipeline
from mcpgen.cache import ProjectCache

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import synth_spec  # noqa: E402

TOOLS = 40


def _result(extra: str) -> dict[str, Any]:
    """A property the generator derives a class `Result` from, whatever the tool."""
    return {
        "allOf": [
            {"$ref": "#/types/Money"},
            {"type": "object", "properties": {extra: {"type": "string"}}},
        ]
    }


@pytest.fixture
def interfering_spec(tmp_path: Path) -> Path:
    """The synthetic spec with, in the first and last tools (different runs), a field `date`
    beside `date`-typed fields elsewhere, and two different `result` classes."""
    data = synth_spec.build_spec(TOOLS)
    first, last = data["tools"][0]["input"], data["tools"][-1]["input"]
    first["properties"]["date"] = {"type": "string"}
    first["properties"]["result"] = _result("first")
    last["properties"]["result"] = _result("last")
    spec = tmp_path / "spec" / "server.json"
    spec.parent.mkdir()
    spec.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return spec


def _models_py(spec: Path, cache: ProjectCache | None = None) -> str:
    files = pipeline.generate(spec, cache).files
    return next(f.text for path, f in files.items() if path.endswith("_generated/models.py"))


@pytest.mark.slow
def test_interfering_models_are_chunked_as_one_batch_decides(
    interfering_spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ir, _ = pipeline.check(interfering_spec)
    runs = models._runs(ir.models)
    assert runs is not None
    run_of = {name: index for index, run in enumerate(runs) for name in run}
    firsts = [name for name in run_of if name.endswith("Input")]
    assert run_of[firsts[0]] != run_of[firsts[-1]], "the two `result`s share a run"

    def one_batch(*args: object) -> str:
        raise AssertionError("the chunks fell back to one batch")

    monkeypatch.setattr(models, "_chunk", one_batch)
    source = _models_py(interfering_spec)
    # Every `date` type goes through the alias the field `date` calls for, in every chunk.
    imports = [line for line in source.splitlines() if line.startswith("from datetime ")]
    assert "from datetime import date as date_aliased" in imports
    assert not [line for line in imports if re.search(r"\bdate\b(?! as date_aliased)", line)]
    assert models._SHADOWS not in source
    namespace: dict[str, Any] = {"__name__": "interfering_models"}
    exec(compile(source, "<models>", "exec"), namespace)
    results = {
        name: set(cls.model_fields)
        for name, cls in namespace.items()
        if name.startswith("Result") and isinstance(cls, type)
    }
    assert sorted(map(frozenset, results.values()), key=sorted) == [
        {"amount_minor", "currency", "first"},
        {"amount_minor", "currency", "last"},
    ]


@pytest.mark.slow
def test_workers_and_cache_leave_no_trace(
    interfering_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {}
    for workers in (1, 2):
        monkeypatch.setattr(models, "WORKERS", workers)
        outputs[f"{workers} cold"] = _models_py(interfering_spec)
        project = tmp_path / f"project{workers}"
        outputs[f"{workers} filling"] = _models_py(interfering_spec, ProjectCache(project))
        outputs[f"{workers} warm"] = _models_py(interfering_spec, ProjectCache(project))
    assert len(set(outputs.values())) == 1, sorted(outputs)
