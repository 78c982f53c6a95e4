"""A large spec's models are made in chunks on several processes, and the output shows none of it.

The model generator decides some things for a whole call (an import a field name hides is
aliased, a derived class name already taken is numbered); `model_chunks.chunked` makes each chunk
decide as one batch would instead of falling back to one batch. Which process made which chunk,
and whether the cache had it, changes nothing in the bytes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcpgen import (
    meta_schema,
    model_chunks,
    model_generator,
    model_stand_ins,
    models,
    pipeline,
    resolve,
    resolver,
    workers,
)
from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import SpecError
from mcpgen.load import load_spec

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
    beside `date`-typed fields elsewhere, and two different `result` classes.

    A tool's `format = "date"` is text in its model; a resource template's parameter keeps
    its type, so the `date`-typed fields are templates' (in a run of their own)."""
    data = synth_spec.build_spec(TOOLS)
    first, last = data["tools"][0]["input"], data["tools"][-1]["input"]
    first["properties"]["date"] = {"type": "string"}
    first["properties"]["result"] = _result("first")
    last["properties"]["result"] = _result("last")
    data["resource_templates"] += [
        {
            "uri_template": f"synthetic://day{i}/{{when}}",
            "name": f"day{i}",
            "params": {"when": {"type": "string", "format": "date"}},
        }
        for i in range(8)
    ]
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
    runs = model_chunks.cut_into_runs(ir.models)
    assert runs is not None
    run_of = {name: index for index, run in enumerate(runs) for name in run}
    firsts = [name for name in run_of if name.endswith("Input")]
    assert run_of[firsts[0]] != run_of[firsts[-1]], "the two `result`s share a run"

    def one_batch(*args: object) -> str:
        raise AssertionError("the chunks fell back to one batch")

    monkeypatch.setattr(models, "one_batch", one_batch)
    source = _models_py(interfering_spec)
    # Every `date` type goes through the alias the field `date` calls for, in every chunk.
    imports = [line for line in source.splitlines() if line.startswith("from datetime ")]
    assert "from datetime import date as date_aliased" in imports
    assert not [line for line in imports if re.search(r"\bdate\b(?! as date_aliased)", line)]
    assert model_chunks.SHADOWS not in source
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
    for count in (1, 2):
        monkeypatch.setattr(workers, "WORKERS", count)
        outputs[f"{count} cold"] = _models_py(interfering_spec)
        project = tmp_path / f"project{count}"
        outputs[f"{count} filling"] = _models_py(interfering_spec, ProjectCache(project))
        outputs[f"{count} warm"] = _models_py(interfering_spec, ProjectCache(project))
    assert len(set(outputs.values())) == 1, sorted(outputs)


# Shared types a run refers to by a cut-down stand-in: each shape that decides how a
# reference is written (null from a type list, an anyOf member, `nullable` or an enum; an
# alias of an alias; an array alias; recursion; a free or empty object; a constrained or
# formatted scalar; properties beside an anyOf of `required`s, from which the generator
# derives classes), a discriminated union.
TRICKY_TYPES: dict[str, Any] = {
    "MaybeMoney": {"anyOf": [{"$ref": "#/types/Money"}, {"type": "null"}]},
    "MaybeBox": {"type": ["object", "null"], "properties": {"label": {"type": "string"}}},
    "LegacyNullable": {
        "type": "object",
        "nullable": True,
        "properties": {"inner": {"$ref": "#/types/GeoPoint"}},
    },
    "Mood": {"type": ["string", "null"], "enum": ["calm", "tense", None]},
    "AliasOfMoney": {"$ref": "#/types/Money"},
    "Tags": {"type": "array", "items": {"$ref": "#/types/Tag"}},
    "Tag": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
    "Tree": {
        "type": "object",
        "description": "A node and its children.",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/types/Tree"}}},
    },
    "Meta": {"type": "object"},
    "Anything": {},
    "Code": {"type": "string", "pattern": "^[A-Z]{2,4}$", "minLength": 2},
    "When": {"type": "string", "format": "date-time"},
    "PatchOneOf": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
    },
    "Cat": {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}},
    },
    "Dog": {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"const": "dog"}, "good": {"type": "boolean"}},
    },
    "Pet": {
        "oneOf": [{"$ref": "#/types/Cat"}, {"$ref": "#/types/Dog"}],
        "discriminator": {"propertyName": "kind"},
    },
}


@pytest.fixture
def stand_in_spec(tmp_path: Path) -> Path:
    """The synthetic spec whose tools, spread over several runs, refer to `TRICKY_TYPES`."""
    data = synth_spec.build_spec(TOOLS)
    data["types"].update(json.loads(json.dumps(TRICKY_TYPES)))
    for index in (0, TOOLS // 3, 2 * TOOLS // 3, TOOLS - 1):
        properties = data["tools"][index]["input"]["properties"]
        for name in TRICKY_TYPES:
            properties[f"tricky_{name.lower()}"] = {"$ref": f"#/types/{name}"}
        properties["with_default"] = {
            "$ref": "#/types/Money",
            "default": {"amount_minor": 100, "currency": "EUR"},
        }
        properties["required_code"] = {"$ref": "#/types/Code"}
        required = data["tools"][index]["input"].setdefault("required", [])
        required.append("required_code")
        if index == TOOLS // 3:  # required, a reference's nullability shows
            required.extend(f"tricky_{name.lower()}" for name in TRICKY_TYPES)
        data["tools"][index].pop("examples", None)
    # The generator names a class derived from an object nested in an allOf after its
    # property alone: here a shared model's name, which one batch numbers, in two runs.
    for index in (1, TOOLS - 2):
        data["tools"][index]["output"] = {
            "type": "object",
            "allOf": [
                {
                    "type": "object",
                    "properties": {
                        "address": {
                            "type": "object",
                            "properties": {f"line_{index}": {"type": "string"}},
                        }
                    },
                }
            ],
        }
    # A run's own discriminated union rewrites the models it names: they come in whole.
    data["tools"][0]["input"]["properties"]["own_pet"] = {
        "oneOf": [{"$ref": "#/types/Cat"}, {"$ref": "#/types/Dog"}],
        "discriminator": {"propertyName": "kind"},
    }
    spec = tmp_path / "spec" / "server.json"
    spec.parent.mkdir()
    spec.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return spec


def _definitions(source: str) -> list[str]:
    return sorted(text for text, _ in model_generator.split_definitions(source, {}).values())


@pytest.mark.slow
def test_stand_ins_change_no_definition(stand_in_spec: Path) -> None:
    """Runs made against stand-ins of the shared models define, to the character, what one
    batch made with every model whole defines."""
    ir, _ = pipeline.check(stand_in_spec)
    runs = model_chunks.cut_into_runs(ir.models)
    assert runs is not None
    schemas = {m.class_name: m.schema for m in ir.models}
    cut = [model_stand_ins.with_references(run, ir.models, schemas)[1] for run in runs]
    assert {"MaybeMoney", "Mood", "Tree", "PatchOneOf", "AliasOfMoney", "Pet"} <= set().union(*cut)
    first = next(i for i, run in enumerate(runs) if ir.tools[0].input_model in run)
    assert {"Cat", "Dog"}.isdisjoint(cut[first]), "an own discriminator's models were cut"

    chunked = model_chunks.chunked(ir.models, runs, None)
    assert chunked is not None, "the chunks fell back to one batch"
    batch = model_chunks.one_batch(ir.models, None)
    assert _definitions(chunked) == _definitions(batch)


@pytest.mark.slow
def test_schemas_checked_on_the_helpers_report_as_resolve_does(tmp_path: Path) -> None:
    """From scratch, the helpers check the spec's schemas against the meta-schema ahead of
    resolve; a bad one is still reported by resolve, where it is, as `validate` does."""
    data = synth_spec.build_spec(TOOLS)
    data["tools"][TOOLS // 2]["input"]["properties"]["broken"] = {"type": "strng"}
    data["types"]["Money"]["properties"]["amount_minor"]["minimum"] = "zero"
    spec = tmp_path / "spec" / "server.json"
    spec.parent.mkdir()
    spec.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    schemas = [schema for _, schema in resolve.own_schemas(load_spec(spec).spec)]
    assert len(schemas) > 64, "too few schemas to be shared out"
    with model_generator.generator_helpers():
        verdicts = workers.in_helpers(meta_schema.meets_meta_schema, schemas)
    assert verdicts == [meta_schema.meets_meta_schema(schema) for schema in schemas]
    assert verdicts.count(False) == 2

    with pytest.raises(SpecError) as generating:
        pipeline.generate(spec)
    with pytest.raises(SpecError) as checking:
        pipeline.check(spec)
    reported = [str(d) for d in generating.value.diagnostics]
    assert reported == [str(d) for d in checking.value.diagnostics]
    assert len(reported) == 2 and all("invalid JSON Schema" in line for line in reported)


def test_the_schemas_checked_ahead_are_the_ones_resolve_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`own_schemas` names schemas by the paths resolve checks them at; a path that drifted
    would only be checked twice, so it is held here."""
    loaded = load_spec(REPO / "specs" / "kitchen-sink.toml")
    checked: list[tuple[str, tuple[object, ...]]] = []
    original = resolver.Resolver.check_schema

    def spy(self: Any, schema: Any, path: Any, document: str = "") -> bool:
        checked.append((document, tuple(path)))
        return original(self, schema, path, document)

    monkeypatch.setattr(resolver.Resolver, "check_schema", spy)
    ahead = [path for path, _ in resolve.own_schemas(loaded.spec)]
    resolve.build_ir(loaded, None, frozenset(ahead))
    assert ahead and set(ahead) <= {path for document, path in checked if not document}


def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_helpers_end_with_a_generation_that_is_killed(tmp_path: Path) -> None:
    """A generation killed outright (SIGKILL: a CI timeout, the OOM killer) cannot stop its
    helpers; they must see it gone and end, not wait on its pipe forever (each held the
    other end of its own pipe, so no end of input ever came: seven outlived one test run)."""
    spec = synth_spec.write_spec(tmp_path, TOOLS)
    process = subprocess.Popen(
        [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    helpers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(helpers) < workers.WORKERS and time.monotonic() < deadline:
        helpers = _children(process.pid)
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert helpers, "no helper started"
    deadline = time.monotonic() + 10
    while any(map(_alive, helpers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = sorted(pid for pid in helpers if _alive(pid))
    for pid in survivors:  # not left running whatever the verdict
        os.kill(pid, signal.SIGKILL)
    assert not survivors
