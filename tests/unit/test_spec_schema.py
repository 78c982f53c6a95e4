"""The exported JSON Schema of the spec language stays equal to the models."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from jsonschema import Draft202012Validator
from mcpgen.spec import spec_json_schema

REPO = Path(__file__).resolve().parents[2]
EXPORTED = REPO / "specs" / "mcpgen-spec.schema.json"


def test_exported_schema_matches_the_models() -> None:
    assert json.loads(EXPORTED.read_text(encoding="utf-8")) == spec_json_schema(), (
        "specs/mcpgen-spec.schema.json is stale: run `mcpgen schema -o specs/mcpgen-spec.schema.json`"
    )


def test_exported_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(spec_json_schema())


def test_every_shipped_spec_validates_against_the_exported_schema() -> None:
    validator = Draft202012Validator(spec_json_schema())
    specs = sorted(REPO.glob("specs/*.toml")) + sorted(REPO.glob("tests/cases/golden/*/spec.toml"))
    assert specs
    for spec in specs:
        errors = [e.message for e in validator.iter_errors(tomllib.loads(spec.read_text("utf-8")))]
        assert errors == [], spec
