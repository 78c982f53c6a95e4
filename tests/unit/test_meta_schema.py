"""The flattened meta-schema gives the published one's verdict on every schema we ship or refuse."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcpgen.meta_schema import fast_meta_validator

REPO = Path(__file__).resolve().parents[2]

INVALID = [
    {"type": "strnig"},
    {"type": ["string", 3]},
    {"minimum": "3"},
    {"minLength": -1},
    {"required": "name"},
    {"required": ["a", "a"]},
    {"properties": {"x": {"type": "nope"}}},
    {"properties": []},
    {"items": {"enum": "x"}},
    {"pattern": "("},
    {"allOf": []},
    {"anyOf": [{"maximum": "x"}]},
    {"$defs": {"a": {"multipleOf": 0}}},
    {"additionalProperties": {"type": 1}},
    {"dependentRequired": {"a": [1]}},
    {"prefixItems": [{"const": 1}, {"format": 3}]},
]


def _schemas(value: Any) -> Iterator[Any]:
    """Every dict in a spec: schemas and non-schemas alike, to compare verdicts widely."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _schemas(item)
    elif isinstance(value, list):
        for item in value:
            yield from _schemas(item)


def _published(schema: Any) -> bool:
    return not list(
        Draft202012Validator(
            Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).iter_errors(schema)
    )


@pytest.mark.parametrize("schema", INVALID, ids=lambda s: json.dumps(s))
def test_refuses_what_the_published_meta_schema_refuses(schema: Any) -> None:
    assert not _published(schema)
    assert not fast_meta_validator().is_valid(schema)


def test_agrees_on_every_table_in_every_spec_of_the_repository() -> None:
    specs = [
        *REPO.glob("specs/*.toml"),
        *REPO.glob("tests/cases/**/spec.toml"),
        *REPO.glob("tests/functional/*.toml"),
    ]
    compared = 0
    for spec in specs:
        try:
            data = tomllib.loads(spec.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        for schema in _schemas(data):
            assert fast_meta_validator().is_valid(schema) == _published(schema), (spec, schema)
            compared += 1
    assert compared > 500
