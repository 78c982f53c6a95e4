"""The lean wire, from a real generation: `[server] list_output_schemas` and a tool's
`list_output_schema` decide what `tools.json` lists while the server still checks every
result; a tool's schemas carry only the `$defs` entries they reach.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from mcpgen.pipeline import generate
from mcpgen.tools_file import TOOLS_PATH, UNLISTED_OUTPUT_SCHEMA, stored_tools_list_size
from mcpgen.vendored.runtime import _definitions
from mcpgen.vendored.runtime._definitions import Tool
from mcpgen.vendored.runtime._sieve import sieve_tools

SPEC = """\
[server]
name = "lean"
list_output_schemas = false

[types.Reading]
type = "object"
required = ["celsius"]
properties.celsius = { type = "number", minimum = -273.15 }

[[tools]]
name = "unlisted"
output = { type = "object", properties = { reading = { "$ref" = "#/types/Reading" } } }

[[tools]]
name = "listed"
list_output_schema = true
output = { type = "object", properties = { reading = { "$ref" = "#/types/Reading" } } }

[[tools]]
name = "no_output"
"""


def stored_tools(tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    result = generate(spec)
    text = result.files[TOOLS_PATH.format(pkg=result.ir.server.package)].text
    stored = json.loads(text)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tools.json").write_text(text)

    sys.path.insert(0, str(tmp_path))
    try:
        loaded = _definitions.load_tools("pkg")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("pkg", None)
    assert [t["name"] for t in stored["tools"]] == ["unlisted", "listed", "no_output"]
    return stored, loaded


def test_the_server_setting_and_the_tool_override_decide_what_is_listed(tmp_path: Path) -> None:
    stored, loaded = stored_tools(tmp_path)
    unlisted, listed, no_output = stored["tools"]
    assert "outputSchema" not in unlisted and UNLISTED_OUTPUT_SCHEMA in unlisted
    assert "outputSchema" in listed and UNLISTED_OUTPUT_SCHEMA not in listed
    assert "outputSchema" not in no_output and UNLISTED_OUTPUT_SCHEMA not in no_output
    # The two tools share the one `Reading` entry, listed or not.
    assert unlisted[UNLISTED_OUTPUT_SCHEMA]["$defs"] == listed["outputSchema"]["$defs"]
    for version in SUPPORTED_PROTOCOL_VERSIONS:
        sent = sieve_tools(loaded, version)
        # What an up-to-date `generate` reports, read off the file, is what the server sends.
        size = len(json.dumps({"tools": sent}, separators=(",", ":")).encode())
        assert stored_tools_list_size(json.dumps(stored)).size == size
        wire = {t["name"]: t for t in sent}
        assert "outputSchema" not in wire["unlisted"]
        assert UNLISTED_OUTPUT_SCHEMA not in json.dumps(wire)
        assert wire["listed"]["outputSchema"]["$defs"]["Reading"]["required"] == ["celsius"]


def test_an_unlisted_output_schema_checks_as_strictly_as_a_listed_one(tmp_path: Path) -> None:
    _, loaded = stored_tools(tmp_path)
    tools = {d["name"]: Tool(d) for d in loaded}
    assert tools["unlisted"].output_schema == tools["listed"].output_schema
    for value, problems in (
        ({"reading": {"celsius": 21.5}}, 0),
        ({"reading": {"celsius": -300}}, 1),  # below the `$defs` entry's minimum
        ({"reading": {}}, 1),  # its `required`
    ):
        for name in ("unlisted", "listed"):
            assert len(tools[name].output_errors(value)) == problems, (name, value)
    assert tools["no_output"].output_schema is None


REACH = """\
[server]
name = "reach"

[types.A]
type = "object"
properties.b = { "$ref" = "#/types/B" }
[types.B]
type = "string"
[types.Unused]
type = "integer"

[[tools]]
name = "one"
input.type = "object"
input.properties.a = { "$ref" = "#/types/A" }
input.properties.x = { "$ref" = "#/$defs/X" }
input."$defs".X = { type = "string", maxLength = 3 }
input."$defs".Unreached = { type = "integer" }
"""


def test_a_tool_carries_only_the_defs_it_reaches(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(REACH)
    result = generate(spec)
    (tool,) = result.ir.tools
    # `Unused` is no tool's, `Unreached` is in the tool's own `$defs` but nothing refers to
    # it; B is reached through A.
    assert sorted(tool.input_schema["$defs"]) == ["A", "B", "X"]
    check = Tool({"name": "one", "inputSchema": tool.input_schema})
    assert check.validation_errors({"a": {"b": "ok"}, "x": "abc"}) == []
    assert len(check.validation_errors({"x": "abcd"})) == 1
