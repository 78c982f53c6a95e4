"""`tools/list` sends the tools exactly as the SDK would, without the SDK walking every schema.

The runtime lets the SDK check and shape a hollow copy of the tools (each object-valued
member of a schema emptied) and puts the members back where the SDK kept them
(`sieve_tools`). These tests hold it to the SDK's own result, byte for byte, on
every protocol version the installed SDK supports: the tools of every example and golden
case, and definitions made to find the SDK's edits (None-valued members it drops, fields
a version does not define, key order, members a version's schema types).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_types.methods import serialize_server_result
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from mcpgen.vendored.runtime import _sieve
from mcpgen.vendored.runtime._definitions import load_tools
from mcpgen.vendored.runtime._sieve import sieve_tools

REPO = Path(__file__).resolve().parents[2]
STORED = sorted(
    [
        *REPO.glob("examples/*/src/*/_generated/tools.json"),
        *REPO.glob("tests/cases/golden/*/expected/src/*/_generated/tools.json"),
    ]
)


def sdk_wire(tools: list[dict[str, Any]], version: str) -> str:
    """The tools as the SDK sends them: its check and dump of the whole result."""
    envelope = {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}
    result = serialize_server_result("tools/list", version, {**envelope, "tools": tools})
    return json.dumps(result["tools"], ensure_ascii=False)


# Each made to meet one of the SDK's edits, or to look like one.
ODD_TOOLS: list[dict[str, Any]] = [
    {"name": "bare", "inputSchema": {"type": "object"}},
    {
        "name": "nones",
        "inputSchema": {
            "type": "object",
            "description": None,  # a None-valued member: the SDK drops it
            "properties": {"a": {"type": ["string", "null"], "default": None}},
            "x-extra": {"nested": None, "list": [None, 1.0, 2, True, "é"]},
        },
        "outputSchema": {
            "properties": {"r": {"const": None}},
            "type": "object",
            "required": ["r"],
            "$defs": {"D": {"enum": [None, 1]}},
        },
    },
    {
        "name": "every_field",
        "title": "Every field",
        "description": 'uses "quotes", \\ and \u2603',
        "inputSchema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"n": {"type": "number", "minimum": 1.5, "maximum": 10**30}},
            "required": ["n"],
            "additionalProperties": False,
            "$defs": {"Unused": {"type": "string"}, "Empty": {}},
            "empty": {},
        },
        "outputSchema": {
            "type": "object",
            "properties": {"result": {"$ref": "#/$defs/Unused"}},
            "$defs": {"Unused": {"type": "string"}},
        },
        "annotations": {"title": "T", "readOnlyHint": True, "openWorldHint": False},
        "execution": {"taskSupport": "optional"},
        "icons": [{"src": "https://example.com/i.png", "mimeType": "image/png"}],
        "_meta": {"dev.mcpgen/x": {"deep": None}, "none": None},
    },
    {
        "name": "object_members_of_every_kind",
        "inputSchema": {
            "type": "object",
            "properties": {},
            "patternProperties": {"^x": {"type": "integer"}},
            "dependentSchemas": {"a": {"required": ["b"]}},
            "not": {"type": "null"},
            "if": {"properties": {"a": {"const": 1}}},
            "then": {"required": ["a"]},
            "items": {"type": "string"},
            "anyOf": [{"required": ["a"]}, {}],
        },
    },
]


@pytest.mark.parametrize("version", SUPPORTED_PROTOCOL_VERSIONS)
def test_odd_definitions_go_out_as_the_sdk_sends_them(version: str) -> None:
    wire = sieve_tools(ODD_TOOLS, version)
    assert json.dumps(wire, ensure_ascii=False) == sdk_wire(ODD_TOOLS, version)


@pytest.mark.parametrize("version", SUPPORTED_PROTOCOL_VERSIONS)
@pytest.mark.parametrize("stored", STORED, ids=lambda path: path.parts[-3])
def test_generated_tools_go_out_as_the_sdk_sends_them(
    stored: Path, version: str, tmp_path: Path
) -> None:
    # load_tools reads a package's tools.json: give it one of its own.
    package = tmp_path / "sieved"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tools.json").write_bytes(stored.read_bytes())
    sys.path.insert(0, str(tmp_path))
    try:
        tools = load_tools("sieved")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("sieved", None)
    assert tools
    wire = sieve_tools(tools, version)
    assert json.dumps(wire, ensure_ascii=False) == sdk_wire(tools, version)


def test_a_member_the_sdk_changes_sends_that_tool_through_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An SDK that looked inside `properties` (here: renamed every key) must not be
    # bypassed: the tool goes out as that SDK shapes it, the others as before.
    real = serialize_server_result

    def meddling(method: str, version: str, data: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = real(method, version, data)
        for tool in result["tools"]:
            properties = tool["inputSchema"].get("properties")
            if tool["name"] == "touched" and properties is not None:
                tool["inputSchema"]["properties"] = {f"_{k}": v for k, v in properties.items()}
                tool["inputSchema"]["properties"].setdefault("_seen", {})
        return result

    monkeypatch.setattr(_sieve, "serialize_server_result", meddling)
    tools = [
        {"name": "touched", "inputSchema": {"type": "object", "properties": {"a": {}}}},
        {"name": "left", "inputSchema": {"type": "object", "properties": {"a": {}}}},
    ]
    wire = sieve_tools(tools, "2025-11-25")
    assert wire[0]["inputSchema"]["properties"] == {"_a": {}, "_seen": {}}
    assert wire[1]["inputSchema"]["properties"] == {"a": {}}
