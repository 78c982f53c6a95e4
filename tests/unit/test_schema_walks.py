"""Every walk over a schema reads one table of where a schema holds subschemas and where it
holds data (`mcpgen.schema_keywords`): a value under `default`, `const`, `enum`, `examples` or
`example` is data, whatever it looks like, and no walk takes it for a schema or a reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcpgen.models import render_models
from mcpgen.openapi.summary import tools_list_size
from mcpgen.pipeline import check

# Data that looks like a schema whose requirement none of its properties meets.
LOOKS_LIKE_A_SCHEMA = {"properties": {"a": {}}, "required": ["b"]}


def _spec(tmp_path: Path, data: dict[str, Any]) -> Path:
    spec = tmp_path / "server.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    return spec


def _server(tools: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"server": {"name": "walks"}, "tools": tools, **more}


@pytest.mark.parametrize("keyword", ["default", "const", "example", "examples"])
def test_data_is_not_checked_as_a_schema(tmp_path: Path, keyword: str) -> None:
    value = [LOOKS_LIKE_A_SCHEMA] if keyword == "examples" else LOOKS_LIKE_A_SCHEMA
    holder = {"type": "object", keyword: value}
    tool = {"name": "take", "input": {"type": "object", "properties": {"holder": holder}}}
    ir, _ = check(_spec(tmp_path, _server([tool])))
    assert ir.tools[0].input_schema["properties"]["holder"] == holder


def test_a_type_named_only_in_data_is_not_advertised(tmp_path: Path) -> None:
    shared = {"type": "object", "properties": {"text": {"type": "string"}}}
    holder = {"type": "object", "example": {"$ref": "#/$defs/Shared"}}
    tool = {"name": "take", "input": {"type": "object", "properties": {"holder": holder}}}
    ir, _ = check(_spec(tmp_path, _server([tool], types={"Shared": shared})))
    assert "$defs" not in ir.tools[0].input_schema


def test_the_tools_list_size_counts_no_type_that_data_names(tmp_path: Path) -> None:
    big = {"type": "object", "description": "x" * 1000}
    holder = {"type": "object", "default": {"$ref": "#/types/Big"}}
    tool = {"name": "take", "input": {"type": "object", "properties": {"holder": holder}}}
    data = _server([tool], types={"Big": big})
    ir, _ = check(_spec(tmp_path, data))
    listed = {"tools": [{"name": "take", "inputSchema": ir.tools[0].input_schema}]}
    advertised = json.dumps(listed, ensure_ascii=False, separators=(",", ":"))
    assert tools_list_size(data).size == len(advertised.encode())


@pytest.mark.slow
def test_a_large_spec_whose_data_looks_like_a_reference_makes_its_models(tmp_path: Path) -> None:
    """Cut into chunks (64 models no other refers to and more), each chunk's references are
    looked up among the models: a reference in data names none."""
    tools = [
        {
            "name": f"tool_{i}",
            "input": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "output": {"type": "object", "properties": {"m": {"type": "integer"}}},
        }
        for i in range(40)
    ]
    tools[0]["input"]["properties"]["holder"] = {
        "type": "object",
        "default": {"$ref": "#/$defs/NoSuchModel"},
    }
    ir, _ = check(_spec(tmp_path, _server(tools)))
    source = render_models(ir, "# header\n")
    assert "class Tool0Input(BaseModel)" in source


@pytest.mark.slow
def test_a_model_reads_no_format_wherever_the_schema_holds_it(tmp_path: Path) -> None:
    """A model types a value by its JSON type alone (`model_schemas.as_a_model_reads`), in every
    subschema the keyword table names: a date-time stays text, as the schema accepts it."""
    dated = {"type": "string", "format": "date-time"}
    holders: dict[str, Any] = {
        "items": {"type": "array", "items": dated},
        "prefix_items": {"type": "array", "prefixItems": [dated]},
        "additional": {"type": "object", "additionalProperties": dated},
        "any_of": {"anyOf": [dated, {"type": "integer"}]},
        "one_of": {"oneOf": [dated, {"type": "integer"}]},
        "all_of": {"allOf": [{"type": "object", "properties": {"at": dated}}]},
        "nested": {"type": "object", "properties": {"at": dated}},
        "local": {"$ref": "#/$defs/Dated"},
    }
    tool = {
        "name": "take",
        "input": {"type": "object", "properties": holders, "$defs": {"Dated": dated}},
    }
    ir, _ = check(_spec(tmp_path, _server([tool])))
    source = render_models(ir, "# header\n")
    assert "datetime" not in source.lower(), source


@pytest.mark.parametrize("ref", ["elsewhere.json", "https://example.com/schema.json"])
def test_load_follows_no_reference_that_data_holds(tmp_path: Path, ref: str) -> None:
    """A file or URL named in data is no schema to load: nothing is read, nothing refused."""
    holder = {"type": "object", "default": {"$ref": ref}}
    tool = {
        "name": "take",
        "input": {"type": "object", "properties": {"holder": holder}},
        "examples": [{"holder": {"$ref": ref}}],
    }
    ir, _ = check(_spec(tmp_path, _server([tool])))
    assert ir.tools[0].input_schema["properties"]["holder"] == holder
