"""Models are made for the code that reads them, and for nothing else.

A generated HTTP handler sends a tool's arguments on as they came (checked against the input
schema) and checks the answer against the output schema: its tool's models, and the types only
they reach, would be dead code, and most of an imported API's generation time.
"""

from __future__ import annotations

from pathlib import Path

from mcpgen.ir import SpecIR
from mcpgen.pipeline import check

SPEC = """\
[server]
name = "read"

[http]
base_url = "https://api.example.com"

[types.Sent]
type = "object"
properties.inner = {{ "$ref" = "#/types/OnlySent" }}

[types.OnlySent]
type = "object"
properties.x = {{ type = "integer" }}

[types.Got]
type = "object"
properties.shared = {{ "$ref" = "#/types/Shared" }}

[types.Shared]
type = "object"
properties.y = {{ type = "string" }}

[types.Loop]
type = "object"
properties.next = {{ "$ref" = "#/types/Loop" }}

[types.Standalone]
type = "object"
properties.z = {{ type = "boolean" }}

[types.Ping]
type = "object"
properties.pong = {{ "$ref" = "#/types/Pong" }}

[types.Pong]
type = "object"
properties.ping = {{ "$ref" = "#/types/Ping" }}

[types.Problem]
type = "object"
properties.detail = {{ type = "string" }}

[errors.Failed]
code = -32010
message = "failed"
data = {{ "$ref" = "#/types/Problem" }}

[[tools]]
name = "generated"
input.type = "object"
input.properties.sent = {{ "$ref" = "#/types/Sent" }}
input.properties.loop = {{ "$ref" = "#/types/Loop" }}
output = {{ "$ref" = "#/types/Got" }}
errors = ["Failed"]
http = {{ method = "POST", path = "/g", body = {{}}{handler} }}

[[tools]]
name = "custom"
input.type = "object"
input.properties.shared = {{ "$ref" = "#/types/Shared" }}
http = {{ method = "GET", path = "/c", handler = "custom" }}

[[tools]]
name = "plain"
output.type = "object"
output.properties.total = {{ type = "integer" }}
"""


def _ir(tmp_path: Path, handler: str = "") -> SpecIR:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(handler=handler), encoding="utf-8")
    ir, _ = check(spec)
    return ir


def _models(ir: SpecIR) -> list[str]:
    return [model.class_name for model in ir.models]


def test_a_generated_handler_reads_no_models(tmp_path: Path) -> None:
    ir = _ir(tmp_path)
    tools = {tool.name: tool for tool in ir.tools}
    assert (tools["generated"].input_model, tools["generated"].output_model) == (None, None)
    assert tools["custom"].input_model == "CustomInput"
    plain = tools["plain"]
    assert (plain.input_model, plain.output_model) == ("PlainInput", "PlainOutput")
    # Sent, OnlySent, Got and Loop are only the generated handler's; Shared is also the custom
    # one's, Problem the error's, and nothing refers to Standalone, nor to Ping and Pong but
    # each other: they are the user's to use.
    assert sorted(_models(ir)) == [
        "CustomInput",
        "Ping",
        "PlainInput",
        "PlainOutput",
        "Pong",
        "Problem",
        "Shared",
        "Standalone",
    ]
    # The wire schemas still carry every definition, the generated tool's included.
    assert sorted(tools["generated"].input_schema["$defs"]) == ["Loop", "OnlySent", "Sent"]


def test_a_handler_made_the_users_brings_its_models_and_renames_none(tmp_path: Path) -> None:
    generated = _ir(tmp_path)
    custom = _ir(tmp_path, handler=', handler = "custom"')
    [tool] = [tool for tool in custom.tools if tool.name == "generated"]
    assert (tool.input_model, tool.output_model) == ("GeneratedInput", "Got")
    assert set(_models(custom)) - set(_models(generated)) == {
        "GeneratedInput",
        "Sent",
        "OnlySent",
        "Got",
        "Loop",
    }
    kept = {m.class_name: m.schema for m in generated.models}
    assert {m.class_name: m.schema for m in custom.models if m.class_name in kept} == kept
