"""The generated behaviour server, driven in-process by the SDK client, in both protocol eras.

`mode` (from conftest) runs each test twice: "legacy" (the 2025-11-25 initialize handshake,
JSON-RPC over in-memory streams) and "2026-07-28" (no handshake, the SDK's direct dispatcher).
"""

from __future__ import annotations

import base64
import json
import logging
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import anyio
import mcp_types as types
import pytest
from functional_support import HAMMER, ITEM_NOT_FOUND_999, REFERENCE, only_text
from mcp.client import Client
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio

BuildServer = Callable[[], Server[Any]]

ITEM_TEMPLATE = "behaviour://items/{id}"


class Probe(Protocol):
    """handlers/concurrency_probe.py's ConcurrencyProbe, as the tests use it."""

    active: int
    peak: int
    events: list[str]

    def reset(self) -> None: ...
    async def wait_entered(self) -> None: ...
    def open_gate(self) -> None: ...


def on_the_wire(schema: dict[str, Any], spec_types: dict[str, Any]) -> dict[str, Any]:
    """A spec schema as the server must advertise it, derived independently of mcpgen.

    `#/types/X` becomes `#/$defs/X`, every type referenced (transitively) is carried under
    `$defs`, and a schema that is only a `$ref` is replaced by the type it names.
    """

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: value.replace("#/types/", "#/$defs/")
                if key == "$ref" and isinstance(value, str)
                else rewrite(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"].removeprefix("#/types/")] if "$ref" in node else []
            return found + [name for value in node.values() for name in refs(value)]
        if isinstance(node, list):
            return [name for item in node for name in refs(item)]
        return []

    if set(schema) == {"$ref"}:
        schema = spec_types[schema["$ref"].removeprefix("#/types/")]
    wire: dict[str, Any] = rewrite(schema)
    needed: list[str] = []
    queue = refs(schema)
    while queue:
        name = queue.pop(0)
        if name not in needed:
            needed.append(name)
            queue.extend(refs(spec_types[name]))
    if needed:
        wire["$defs"] = {name: rewrite(spec_types[name]) for name in needed}
    return wire


# -- tools/list ---------------------------------------------------------------------------


async def test_tools_list_advertises_the_spec_verbatim(
    build_server: BuildServer, mode: str, spec: dict[str, Any]
) -> None:
    async with Client(build_server(), mode=mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert list(listed) == [tool["name"] for tool in spec["tools"]]
    wire_keys = {
        "title": "title",
        "read_only": "read_only_hint",
        "destructive": "destructive_hint",
        "idempotent": "idempotent_hint",
        "open_world": "open_world_hint",
    }
    for declared in spec["tools"]:
        tool = listed[declared["name"]]
        assert tool.title == declared.get("title")
        assert tool.description == declared.get("description")
        expected_input = on_the_wire(declared.get("input", {"type": "object"}), spec["types"])
        assert tool.input_schema == expected_input, tool.name
        if "output" in declared:
            assert tool.output_schema == on_the_wire(declared["output"], spec["types"])
        else:
            assert tool.output_schema is None, tool.name
        if "annotations" in declared:
            assert tool.annotations is not None, tool.name
            assert tool.annotations.model_dump(exclude_none=True) == {
                wire_keys[key]: value for key, value in declared["annotations"].items()
            }
        else:
            assert tool.annotations is None, tool.name


async def test_referenced_types_travel_under_defs(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    get_item = listed["get_item"]
    assert get_item.input_schema["properties"]["kind"] == {"$ref": "#/$defs/Kind"}
    assert set(get_item.input_schema["$defs"]) == {"Kind"}
    # The output is `$ref = "#/types/Item"`: the Item schema itself, inlined at the root.
    assert get_item.output_schema is not None
    assert get_item.output_schema["type"] == "object"
    assert get_item.output_schema["required"] == ["id", "name", "kind", "tags"]
    assert set(get_item.output_schema["$defs"]) == {"Kind"}


async def test_handshake_reports_identity_and_capabilities(build_server: BuildServer) -> None:
    async with Client(build_server(), mode="legacy") as client:
        info = client.server_info
        capabilities = client.server_capabilities
        instructions = client.instructions
    assert info is not None
    assert (info.name, info.version, info.title) == ("behaviour", "1.2.3", "Behaviour")
    assert instructions == "A test fixture; nothing here is useful to a model."
    assert capabilities.tools is not None
    assert capabilities.resources is not None
    assert capabilities.prompts is not None
    assert capabilities.completions is not None


# -- tools/call -------------------------------------------------------------------------


async def test_structured_call_returns_structured_content_and_json_text(
    build_server: BuildServer, mode: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_item", {"id": 1})
    assert not result.is_error
    assert result.structured_content == HAMMER
    assert json.loads(only_text(result)) == HAMMER


async def test_structured_call_leaves_out_unset_optional_fields(
    build_server: BuildServer, mode: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_item", {"id": 2, "detail": "full"})
    expected = {"id": 2, "name": "kite (toy)", "kind": "toy", "tags": []}
    assert result.structured_content == expected  # no "price": null
    assert json.loads(only_text(result)) == expected


async def test_structured_call_keeps_a_required_null(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        try:
            result = await client.call_tool("whois", {"name": "anon"})
        except RuntimeError as error:  # the SDK client checks the result's output schema
            rejected: str | None = str(error)
        else:
            rejected = None
    assert rejected is None, rejected
    assert result.structured_content == {"name": "anon", "email": None}


async def test_structured_call_with_a_required_nullable_property_set(
    build_server: BuildServer, mode: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("whois", {"name": "ada"})
    assert result.structured_content == {"name": "ada", "email": "ada@example.org"}


async def test_plain_text_call(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        once = await client.call_tool("echo", {"text": "hi"})
        thrice = await client.call_tool("echo", {"text": "hi", "times": 3, "on": "2026-07-28"})
        # Formats are annotations (the schema accepts any string): the handler gets the text.
        someday = await client.call_tool("echo", {"text": "hi", "on": "yesterday"})
    assert not once.is_error
    assert once.structured_content is None
    assert only_text(once) == "hi"
    assert only_text(thrice) == "hi hi hi on 2026-07-28"
    assert only_text(someday) == "hi on yesterday"


@pytest.mark.parametrize(
    ("tool", "arguments", "field", "complaint"),
    [
        ("get_item", {}, '"id"', "required"),
        ("get_item", {"id": 0}, "id", "minimum"),
        ("get_item", {"id": 1001}, "id", "maximum"),
        ("get_item", {"id": "one"}, "id", '"integer"'),
        ("get_item", {"id": 1, "detail": "long"}, "detail", "is not one of"),
        ("get_item", {"id": 1, "kind": "car"}, "kind", "is not one of"),
        ("get_item", {"id": 1, "colour": "red"}, "'colour'", "Additional properties"),
        ("echo", {"text": ""}, "text", '""'),
    ],
    ids=[
        "missing",
        "below-minimum",
        "above-maximum",
        "wrong-type",
        "not-in-enum",
        "not-in-ref-enum",
        "additional",
        "min-length",
    ],
)
async def test_invalid_arguments_are_a_tool_error_naming_the_field(
    build_server: BuildServer,
    mode: str,
    tool: str,
    arguments: dict[str, Any],
    field: str,
    complaint: str,
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.structured_content is None
    message = only_text(result)
    assert message.startswith(f"Invalid arguments for tool {tool!r}:"), message
    assert field in message
    assert complaint in message


async def test_a_result_that_breaks_the_output_schema_is_refused(
    build_server: BuildServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("broken_item", {})
    assert result.is_error
    assert result.structured_content is None
    reference = REFERENCE.search(only_text(result))
    assert reference is not None
    assert only_text(result).startswith("Tool 'broken_item' produced an invalid result")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert reference[1] in logged
    assert "price: -1.0 is less than the minimum of 0" in logged


async def test_unknown_tool_is_a_protocol_error_up_to_2025(build_server: BuildServer) -> None:
    async with Client(build_server(), mode="legacy") as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("no_such_tool", {})
    assert raised.value.code == types.INVALID_PARAMS == -32602
    assert "no_such_tool" in raised.value.message


async def test_unknown_tool_is_a_tool_error_from_2026(build_server: BuildServer) -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool("no_such_tool", {})
    assert result.is_error
    assert only_text(result) == "Unknown tool: no_such_tool"


async def test_declared_error_is_a_structured_tool_error(
    build_server: BuildServer, mode: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_item", {"id": 999})
    assert result.is_error
    assert only_text(result) == "No item with id 999"
    # get_item has an output schema: the error is data in _meta, not structured content
    # (which clients check against the schema).
    assert result.structured_content is None
    assert result.meta is not None
    assert result.meta["dev.mcpgen/error"] == ITEM_NOT_FOUND_999


async def test_unexpected_exception_is_masked_with_a_reference(
    build_server: BuildServer,
    mode: str,
    handler_module: Callable[[str], ModuleType],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret: str = handler_module("tools.explode").SECRET
    with caplog.at_level(logging.ERROR, logger="mcpgen.runtime"):
        async with Client(build_server(), mode=mode) as client:
            result = await client.call_tool("explode", {})
    assert result.is_error
    message = only_text(result)
    assert secret not in message
    assert "RuntimeError" not in message
    assert "secrets.env" not in message
    reference = REFERENCE.search(message)
    assert reference is not None, message
    # The reference leads the operator to the full story in the server's log.
    logged = [r for r in caplog.records if reference[1] in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert secret in str(logged[0].exc_info[1])


async def test_each_failure_gets_its_own_reference(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        first = only_text(await client.call_tool("explode", {}))
        second = only_text(await client.call_tool("explode", {}))
    first_reference, second_reference = REFERENCE.search(first), REFERENCE.search(second)
    assert first_reference is not None and second_reference is not None
    assert first_reference[1] != second_reference[1]


async def test_unimplemented_stub_is_flagged(
    build_server: BuildServer, mode: str, runtime: ModuleType
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("unwritten", {})
    assert result.is_error
    assert (result.meta or {}).get(runtime.NOT_IMPLEMENTED_META) is True
    assert "'unwritten' is not implemented yet" in only_text(result)


async def test_failures_other_than_stubs_carry_no_stub_flag(
    build_server: BuildServer, mode: str, runtime: ModuleType
) -> None:
    async with Client(build_server(), mode=mode) as client:
        results = [
            await client.call_tool("explode", {}),
            await client.call_tool("get_item", {"id": 999}),
            await client.call_tool("get_item", {}),
        ]
    for result in results:
        assert result.is_error
        assert runtime.NOT_IMPLEMENTED_META not in (result.meta or {})


async def test_progress_arrives_in_order_and_only_grows(
    build_server: BuildServer, mode: str, runtime: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The count handler does not pause between steps; without the rate limit every
    # step is sent (test_progress_is_rate_limited covers the limit).
    monkeypatch.setattr(runtime.Context, "PROGRESS_INTERVAL", 0.0)
    received: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        received.append((progress, total, message))

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("count", {"to": 5}, progress_callback=on_progress)
    assert only_text(result) == "counted to 5"
    # The handler also repeats each step and steps back by half: the runtime drops both.
    assert received == [(float(n), 5.0, f"step {n}") for n in range(1, 6)]


async def test_progress_is_rate_limited(build_server: BuildServer, mode: str) -> None:
    received: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        received.append(progress)

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("count", {"to": 50}, progress_callback=on_progress)
    assert only_text(result) == "counted to 50"
    # 50 steps in a tight loop: the first goes out, the rest fall within the interval,
    # and the last (done == total) always goes out.
    assert received[0] == 1.0
    assert received[-1] == 50.0
    assert len(received) < 10


async def test_no_progress_callback_no_problem(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("count", {"to": 3})
    assert not result.is_error
    assert only_text(result) == "counted to 3"


async def two_overlapping_calls(
    build_server: BuildServer, mode: str, tool: str, probe: Probe
) -> tuple[int, list[str]]:
    """Call `tool` twice, the second while the first waits at the probe's gate.

    Returns how many calls were inside the handler once every task had blocked (the second
    call at the concurrency limiter, or inside the handler if nothing stopped it), and the
    probe's record of entries and exits. Synchronises on events, never on time.
    """
    probe.reset()
    results: dict[str, types.CallToolResult] = {}
    async with Client(build_server(), mode=mode) as client:

        async def call(label: str) -> None:
            results[label] = await client.call_tool(tool, {"label": label})

        async with anyio.create_task_group() as group:
            group.start_soon(call, "first")
            await probe.wait_entered()
            group.start_soon(call, "second")
            await anyio.wait_all_tasks_blocked()
            inside = probe.active
            probe.open_gate()
    assert {label: only_text(result) for label, result in results.items()} == {
        "first": "done first",
        "second": "done second",
    }
    return inside, list(probe.events)


async def test_max_concurrency_one_serialises_calls(
    build_server: BuildServer, mode: str, handler_module: Callable[[str], ModuleType]
) -> None:
    probe: Probe = handler_module("tools.serial").PROBE
    inside, events = await two_overlapping_calls(build_server, mode, "serial", probe)
    assert inside == 1
    assert probe.peak == 1
    assert events == ["enter first", "leave first", "enter second", "leave second"]


async def test_without_a_limit_calls_overlap(
    build_server: BuildServer, mode: str, handler_module: Callable[[str], ModuleType]
) -> None:
    """The control: the same probe sees two calls at once when nothing limits them."""
    probe: Probe = handler_module("tools.parallel").PROBE
    inside, events = await two_overlapping_calls(build_server, mode, "parallel", probe)
    assert inside == 2
    assert probe.peak == 2
    assert events[:2] == ["enter first", "enter second"]


async def test_log_messages_follow_the_requested_level_on_2026(
    build_server: BuildServer,
) -> None:
    received: list[tuple[str, Any]] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        received.append((params.level, params.data))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # logging is deprecated in 2026-07-28, still served
        async with Client(
            build_server(), mode="2026-07-28", logging_callback=on_log, log_level="info"
        ) as client:
            result = await client.call_tool("chatty", {})
    assert only_text(result) == "logged"
    assert received == [
        ("info", {"message": "info note", "step": 1}),
        ("warning", {"message": "warning sign"}),
    ]


async def test_log_messages_follow_set_level_on_legacy(build_server: BuildServer) -> None:
    received: list[str] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        received.append(params.level)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # set_logging_level is deprecated, still served
        async with Client(build_server(), mode="legacy", logging_callback=on_log) as client:
            capability = client.server_capabilities.logging
            try:
                await client.set_logging_level("warning")
            except MCPError as error:
                refused: str | None = error.message
            else:
                refused = None
            await client.call_tool("chatty", {})
    assert capability is not None
    assert refused is None, refused
    assert received == ["warning"]


# -- resources ------------------------------------------------------------------------


async def test_resources_list(build_server: BuildServer, mode: str, spec: dict[str, Any]) -> None:
    async with Client(build_server(), mode=mode) as client:
        listed = (await client.list_resources()).resources
    assert [(str(r.uri), r.name, r.title, r.description, r.mime_type) for r in listed] == [
        (r["uri"], r["name"], r.get("title"), r.get("description"), r.get("mime_type"))
        for r in spec["resources"]
    ]


async def test_resource_templates_list(
    build_server: BuildServer, mode: str, spec: dict[str, Any]
) -> None:
    async with Client(build_server(), mode=mode) as client:
        listed = (await client.list_resource_templates()).resource_templates
    assert [(t.uri_template, t.name, t.title, t.description, t.mime_type) for t in listed] == [
        (t["uri_template"], t["name"], t.get("title"), t.get("description"), t.get("mime_type"))
        for t in spec["resource_templates"]
    ]


async def test_read_inline_text_resource(
    build_server: BuildServer, mode: str, spec: dict[str, Any]
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.read_resource("behaviour://readme")
    [contents] = result.contents
    assert isinstance(contents, types.TextResourceContents)
    assert str(contents.uri) == "behaviour://readme"
    assert contents.mime_type == "text/plain"
    assert contents.text == spec["resources"][0]["text"]


async def test_read_blob_resource_from_a_handler(
    build_server: BuildServer, mode: str, handler_module: Callable[[str], ModuleType]
) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.read_resource("behaviour://logo")
    [contents] = result.contents
    assert isinstance(contents, types.BlobResourceContents)
    assert str(contents.uri) == "behaviour://logo"
    assert contents.mime_type == "image/png"
    assert base64.b64decode(contents.blob) == handler_module("resources.logo").LOGO


async def test_read_template_with_a_typed_parameter(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.read_resource("behaviour://items/1")
    [contents] = result.contents
    assert isinstance(contents, types.TextResourceContents)
    assert str(contents.uri) == "behaviour://items/1"
    assert contents.mime_type == "application/json"
    assert json.loads(contents.text) == HAMMER


@pytest.mark.parametrize("bad", ["abc", "1.5", "0", "-3"])
async def test_template_parameter_is_validated(
    build_server: BuildServer, mode: str, bad: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(f"behaviour://items/{bad}")
    assert raised.value.code == types.INVALID_PARAMS
    assert "id" in raised.value.message


async def test_template_handler_declared_error_keeps_its_code(
    build_server: BuildServer, mode: str
) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("behaviour://items/999")
    assert raised.value.code == -32004
    assert raised.value.message == "No item with id 999"
    assert raised.value.data == ITEM_NOT_FOUND_999["data"]


async def test_template_handler_crash_is_masked(
    build_server: BuildServer, mode: str, handler_module: Callable[[str], ModuleType]
) -> None:
    secret: str = handler_module("resource_templates.item").SECRET
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("behaviour://items/13")
    assert raised.value.code == types.INTERNAL_ERROR
    assert secret not in raised.value.message
    assert secret not in repr(raised.value.data)
    assert REFERENCE.search(raised.value.message) is not None


async def test_unknown_uri_code_depends_on_the_era(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("behaviour://nothing/here")
    expected = {"legacy": -32002, "2026-07-28": types.INVALID_PARAMS}[mode]
    assert raised.value.code == expected
    assert raised.value.data == {"uri": "behaviour://nothing/here"}


# -- prompts ------------------------------------------------------------------------


async def test_prompts_list(build_server: BuildServer, mode: str, spec: dict[str, Any]) -> None:
    async with Client(build_server(), mode=mode) as client:
        [prompt] = (await client.list_prompts()).prompts
    [declared] = spec["prompts"]
    assert (prompt.name, prompt.title, prompt.description) == (
        declared["name"],
        declared["title"],
        declared["description"],
    )
    assert [(a.name, a.description, a.required) for a in prompt.arguments or []] == [
        (a["name"], a["description"], a.get("required", False)) for a in declared["arguments"]
    ]


async def test_prompt_renders(build_server: BuildServer, mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        plain = await client.get_prompt("greet", {"name": "Ada"})
        formal = await client.get_prompt("greet", {"name": "Ada", "style": "formal"})
        pirate = await client.get_prompt("greet", {"name": "Ada", "style": "pirate"})
    assert plain.description == "A greeting in a chosen style."
    assert [(m.role, m.content) for m in plain.messages] == [
        ("user", types.TextContent(text="Hello, Ada!"))
    ]
    assert [(m.role, m.content) for m in formal.messages] == [
        ("user", types.TextContent(text="Good day, Ada."))
    ]
    assert [(m.role, m.content) for m in pirate.messages] == [
        ("user", types.TextContent(text="Greet Ada like a pirate.")),
        ("assistant", types.TextContent(text="Ahoy, Ada!")),
    ]


@pytest.mark.parametrize(
    ("name", "arguments", "complaint"),
    [
        ("greet", {}, "missing required argument 'name'"),
        ("greet", {"style": "formal"}, "missing required argument 'name'"),
        ("greet", {"name": "Ada", "mood": "grumpy"}, "unknown argument 'mood'"),
        ("no_such_prompt", {}, "Unknown prompt"),
    ],
    ids=["no-arguments", "missing-required", "unknown-argument", "unknown-prompt"],
)
async def test_bad_prompt_requests_are_invalid_params(
    build_server: BuildServer,
    mode: str,
    name: str,
    arguments: dict[str, str],
    complaint: str,
) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt(name, arguments)
    assert raised.value.code == types.INVALID_PARAMS
    assert complaint in raised.value.message


# -- completions --------------------------------------------------------------------


async def test_complete_template_parameter(build_server: BuildServer, mode: str) -> None:
    ref = types.ResourceTemplateReference(uri=ITEM_TEMPLATE)
    async with Client(build_server(), mode=mode) as client:
        some = (await client.complete(ref, {"name": "id", "value": "1"})).completion
        many = (await client.complete(ref, {"name": "id", "value": ""})).completion
        none = (await client.complete(ref, {"name": "id", "value": "x"})).completion
    ones = ["1", *map(str, range(10, 20)), *map(str, range(100, 151))]
    assert (some.values, some.total, some.has_more) == (ones, len(ones), False)
    # 150 candidates: the protocol allows 100 per answer, and says there are more.
    assert many.values == [str(n) for n in range(1, 101)]
    assert (many.total, many.has_more) == (150, True)
    assert none.values == []


async def test_complete_prompt_argument(build_server: BuildServer, mode: str) -> None:
    ref = types.PromptReference(name="greet")
    async with Client(build_server(), mode=mode) as client:
        typed = (await client.complete(ref, {"name": "style", "value": "f"})).completion
        everything = (await client.complete(ref, {"name": "style", "value": ""})).completion
        in_context = await client.complete(
            ref, {"name": "style", "value": ""}, context_arguments={"name": "Captain"}
        )
        not_completable = (await client.complete(ref, {"name": "name", "value": "A"})).completion
    assert typed.values == ["formal"]
    assert everything.values == ["formal", "casual", "pirate"]
    assert in_context.completion.values == ["pirate"]
    assert not_completable.values == []
