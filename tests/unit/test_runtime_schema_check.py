"""The runtime's compiled schema predicates never accept what jsonschema rejects.

`_SchemaCheck` trusts a compiled predicate's "valid" and asks jsonschema otherwise, so a
predicate that accepted an invalid value would let it through. Each schema below is checked
on thousands of random JSON values (fixed seeds): the predicate must agree with jsonschema
exactly, and the schemas built only of common keywords must compile at all.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

RUNTIME = Path(__file__).resolve().parents[2] / "templates" / "server" / "runtime.py"


@pytest.fixture(scope="module")
def runtime() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mcpgen_runtime_under_test", RUNTIME)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


NOTE = {
    "type": "object",
    "required": ["id", "title"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer", "minimum": 1, "maximum": 9},
        "title": {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^a"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "kind": {"enum": ["a", 1, True, None, [1], {"a": 1}]},
        "score": {"type": ["number", "null"], "exclusiveMinimum": 0, "exclusiveMaximum": 2},
        "flag": {"const": False},
    },
}
COMPILABLE: list[dict[str, Any]] = [
    NOTE,
    {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    {"type": "integer"},
    {"type": "number", "minimum": 0.5},
    {"type": "array", "items": {"$ref": "#/$defs/Node"}, "$defs": {"Node": NOTE}},
    {
        "$defs": {
            "Tree": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}},
                "additionalProperties": {"type": "integer"},
            }
        },
        "$ref": "#/$defs/Tree",
    },
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"oneOf": [{"type": "number"}, {"type": "integer"}]},
    {"allOf": [{"minProperties": 1}, {"maxProperties": 2}]},
    {"type": "string", "format": "date", "description": "format only annotates", "x-any": 1},
    {"properties": {"a": True, "x": False}, "additionalProperties": False},
]
NOT_COMPILED: list[dict[str, Any]] = [
    {"type": "integer", "multipleOf": 2},
    {"not": {"type": "string"}},
    {"if": {"type": "string"}, "then": {"minLength": 2}},
    {"type": "array", "uniqueItems": True},
    {"patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
    {"$id": "https://example.com/s", "type": "string"},
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value drawn to hit the edges: bool vs int, 1 vs 1.0, keys of the schemas."""
    scalars: list[Any] = [
        None, True, False, 0, 1, 2, 9, 10, -1, 1.0, 1.5, 0.5, 2.0, "", "a", "ab", "abc",
        "abcd", "b", "ba",
    ]  # fmt: skip
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rng.choice(scalars)
    if roll < 0.75:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["id", "title", "tags", "kind", "score", "flag", "text", "children", "a", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _complete_note(rng: random.Random) -> dict[str, Any]:
    """A mostly valid note, so valid and invalid values are both frequent."""
    note: dict[str, Any] = {"id": rng.randint(0, 10), "title": rng.choice(["a", "ab", "b", ""])}
    for key in ("tags", "kind", "score", "flag"):
        if rng.random() < 0.5:
            note[key] = random_json(rng, 2)
    return note


@pytest.mark.parametrize("index", range(len(COMPILABLE)))
def test_compiled_predicate_agrees_with_jsonschema(runtime: ModuleType, index: int) -> None:
    schema = COMPILABLE[index]
    predicate = runtime._compile(schema, schema, {})
    assert predicate is not None, "built of common keywords only: it must compile"
    validator = Draft202012Validator(schema)
    rng = random.Random(index)
    verdicts = {True: 0, False: 0}
    for _ in range(4000):
        value = _complete_note(rng) if rng.random() < 0.5 else random_json(rng)
        expected = validator.is_valid(value)
        assert predicate(value) == expected, (schema, value)
        verdicts[expected] += 1
    assert verdicts[True] and verdicts[False], verdicts


@pytest.mark.parametrize("index", range(len(NOT_COMPILED)))
def test_other_keywords_fall_back_to_jsonschema(runtime: ModuleType, index: int) -> None:
    schema = NOT_COMPILED[index]
    assert runtime._compile(schema, schema, {}) is None
    check = runtime._SchemaCheck(schema)
    rng = random.Random(index)
    validator = Draft202012Validator(schema)
    for _ in range(500):
        value = random_json(rng)
        assert (check.errors(value) == []) == validator.is_valid(value), (schema, value)


def test_messages_still_come_from_jsonschema(runtime: ModuleType) -> None:
    check = runtime._SchemaCheck(NOTE)
    assert check.errors({"id": 0, "title": "a"}) == ["id: 0 is less than the minimum of 1"]
    assert check.errors({"id": 1, "title": "a"}) == []


def test_the_ecma_pattern_keyword_is_one_between_generator_and_runtime(runtime: ModuleType) -> None:
    """mcpgen moves a pattern Python cannot read under this keyword in an advertised output
    schema; the runtime must read that very keyword as `pattern`, on both of its paths."""
    from mcpgen.resolve_tools import ECMA_PATTERN_KEYWORD

    assert runtime.ECMA_PATTERN_KEYWORD == ECMA_PATTERN_KEYWORD
    schema = {
        "type": "object",
        "properties": {"k": {"type": "string", ECMA_PATTERN_KEYWORD: r"^\p{L}+$"}},
    }
    check = runtime._SchemaCheck(schema, "result")
    assert check.errors({"k": "école"}) == []
    assert check.errors({"k": "école!"}) != []
