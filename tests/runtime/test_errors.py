"""Failures, as the client sees them: declared errors (an `isError` result with the error
as data, or a JSON-RPC error), masked unexpected ones (a reference to the server's log),
stubs not written yet, unknown tools and invalid arguments or results; in both eras."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import mcp_types as types
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import ERROR_META, NOT_IMPLEMENTED_META, Context, DeclaredError
from mcpgen.vendored.runtime._definitions import Binding, ToolBinder
from mcpgen.vendored.runtime._server import build_sdk_server
from pydantic import BaseModel, Field
from runtime_support import INFO, build, error_of, modern, resource, text_of, tool

pytestmark = pytest.mark.anyio

REFERENCE = re.compile(r"\(reference ([0-9a-f]{12})\)")


def incident(text: str, caplog: pytest.LogCaptureFixture) -> tuple[str, logging.LogRecord]:
    """The reference `text` quotes, and the one record of the server's log that has it."""
    quoted = REFERENCE.search(text)
    assert quoted is not None, text
    (record,) = [r for r in caplog.records if quoted.group(1) in r.getMessage()]
    return quoted.group(1), record


class City(BaseModel):
    city: str


class CityNotFound(DeclaredError):
    error_type = "CityNotFound"
    code = -32004
    message_template = "No forecast for {city}"


class Overloaded(DeclaredError):
    error_type = "Overloaded"
    code = -32009
    message_template = "Try again later"
    retryable = True


class QuotaExceeded(DeclaredError):
    error_type = "QuotaExceeded"
    code = -32010
    message_template = "Quota exceeded for {city}"
    jsonrpc: ClassVar[bool] = True


async def raises(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    kind = args["kind"]
    if kind == "declared":
        raise CityNotFound(City(city="Atlantis"))
    if kind == "retryable":
        raise Overloaded()
    if kind == "jsonrpc":
        raise QuotaExceeded(City(city="Paris"))
    if kind == "mcp":
        raise MCPError(-32099, "as the handler said", {"why": "because"})
    if kind == "stub":
        raise NotImplementedError
    if kind == "stub-with-detail":
        raise NotImplementedError("waiting for the API")
    raise KeyError("secret internal detail")


OUTPUT = {
    "type": "object",
    "required": ["temperature"],
    "properties": {"temperature": {"type": "number"}, "note": {"type": "string"}},
}


def server() -> Any:
    return build(tool("raises", raises), tool("structured", raises, output_schema=OUTPUT))


async def test_a_declared_error_is_an_error_result_with_the_error_as_data(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        plain = await client.call_tool("raises", {"kind": "declared"})
        structured = await client.call_tool("structured", {"kind": "declared"})
    body = {
        "type": "CityNotFound",
        "code": -32004,
        "message": "No forecast for Atlantis",
        "data": {"city": "Atlantis"},
    }
    assert text_of(plain) == "No forecast for Atlantis"
    assert error_of(plain) == body
    assert plain.structured_content == {"error": body}
    # A tool with an output schema: its structured content would have to match it.
    assert error_of(structured) == body
    assert structured.structured_content is None


async def test_a_retryable_declared_error_says_so(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        result = await client.call_tool("raises", {"kind": "retryable"})
    assert error_of(result) == {
        "type": "Overloaded",
        "code": -32009,
        "message": "Try again later",
        "retryable": True,
    }


async def test_a_jsonrpc_declared_error_and_an_mcp_error_are_protocol_errors(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        with pytest.raises(MCPError) as declared:
            await client.call_tool("raises", {"kind": "jsonrpc"})
        with pytest.raises(MCPError) as raw:
            await client.call_tool("raises", {"kind": "mcp"})
    assert (declared.value.code, declared.value.message, declared.value.data) == (
        -32010,
        "Quota exceeded for Paris",
        {"city": "Paris"},
    )
    assert (raw.value.code, raw.value.message, raw.value.data) == (
        -32099,
        "as the handler said",
        {"why": "because"},
    )


async def test_an_unexpected_error_is_masked_and_logged_under_a_reference(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="mcpgen.runtime"):
        async with Client(server(), mode=mode) as client:
            result = await client.call_tool("raises", {"kind": "bug"})
    assert result.is_error
    text = text_of(result)
    assert re.fullmatch(r"Tool 'raises' failed with an internal error \(reference \w+\)\.", text)
    assert "secret" not in text
    assert result.meta is None or ERROR_META not in result.meta
    reference, record = incident(text, caplog)
    assert record.getMessage() == f"tool 'raises' failed (reference {reference})"
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("stub", "Tool 'raises' is not implemented yet"),
        ("stub-with-detail", "Tool 'raises' is not implemented yet: waiting for the API"),
    ],
)
async def test_a_stub_says_it_is_not_implemented(mode: str, kind: str, text: str) -> None:
    async with Client(server(), mode=mode) as client:
        result = await client.call_tool("raises", {"kind": kind})
    assert result.is_error
    assert text_of(result) == text
    assert result.meta is not None
    assert result.meta[NOT_IMPLEMENTED_META] is True


async def test_an_unknown_tool_is_refused_as_each_era_expects(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        if modern(client):
            result = await client.call_tool("nope", {})
            assert result.is_error
            assert text_of(result) == "Unknown tool: nope"
        else:
            with pytest.raises(MCPError) as refused:
                await client.call_tool("nope", {})
            assert refused.value.code == types.INVALID_PARAMS
            assert refused.value.message == "Unknown tool: nope"


class Forecast(BaseModel):
    city: str = Field(min_length=2)
    days: int = Field(default=3, ge=1, le=14)


async def forecast(ctx: Context[Any], args: Forecast) -> dict[str, Any]:
    if args.city == "Nowhere":
        return {"temperature": "warm"}  # breaks the output schema
    return {"temperature": 21.5, "note": f"{args.city} for {args.days} days"}


FORECAST_INPUT = {
    "type": "object",
    "required": ["city"],
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "maximum": 14}},
}


async def test_invalid_arguments_are_a_readable_error_result(mode: str) -> None:
    typed = tool(
        "forecast",
        forecast,
        input_schema=FORECAST_INPUT,
        output_schema=OUTPUT,
        input_model=Forecast,
    )
    async with Client(build(typed), mode=mode) as client:
        by_schema = await client.call_tool("forecast", {"days": 15})
        by_model = await client.call_tool("forecast", {"city": "X", "days": 0})
        good = await client.call_tool("forecast", {"city": "Oslo"})
    assert by_schema.is_error and by_model.is_error
    assert text_of(by_schema) == (
        "Invalid arguments for tool 'forecast':\n"
        '- arguments: "city" is a required property\n'
        "- days: 15 is greater than the maximum of 14"
    )
    assert text_of(by_model) == (
        "Invalid arguments for tool 'forecast':\n"
        "- city: String should have at least 2 characters\n"
        "- days: Input should be greater than or equal to 1"
    )
    assert good.structured_content == {"temperature": 21.5, "note": "Oslo for 3 days"}


async def test_a_result_that_breaks_the_output_schema_is_masked(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    typed = tool(
        "forecast",
        forecast,
        input_schema=FORECAST_INPUT,
        output_schema=OUTPUT,
        input_model=Forecast,
    )
    with caplog.at_level(logging.ERROR, logger="mcpgen.runtime"):
        async with Client(build(typed), mode=mode) as client:
            result = await client.call_tool("forecast", {"city": "Nowhere"})
    assert result.is_error
    reference, record = incident(text_of(result), caplog)
    assert text_of(result) == f"Tool 'forecast' produced an invalid result (reference {reference})."
    assert 'temperature: "warm" is not of type "number"' in record.getMessage()


async def test_a_failure_outside_any_handler_is_masked(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    def bind_tool(_: ToolBinder, name: str) -> Binding[Any]:
        raise RuntimeError("secret: the handlers failed to import")

    sdk = build_sdk_server(INFO, tools=[{"name": "t", "inputSchema": {}}], bind_tool=bind_tool)
    with caplog.at_level(logging.ERROR, logger="mcpgen.runtime"):
        async with Client(sdk, mode=mode) as client:
            with pytest.raises(MCPError) as masked:
                await client.call_tool("t", {})
    assert masked.value.code == types.INTERNAL_ERROR
    reference, record = incident(masked.value.message, caplog)
    assert masked.value.message == f"Internal error (reference {reference})"
    assert "secret" not in str(masked.value.data or "")
    assert record.exc_info is not None and "secret" in str(record.exc_info[1])


# -- outside tools: JSON-RPC errors -------------------------------------------------------


async def failing_read(ctx: Context[Any]) -> str:
    raise KeyError("secret internal detail")


async def missing_read(ctx: Context[Any]) -> str:
    raise CityNotFound(City(city="Atlantis"))


async def stub_read(ctx: Context[Any]) -> str:
    raise NotImplementedError


async def test_resource_handlers_fail_as_json_rpc_errors(mode: str) -> None:
    sdk = build(
        resources=[
            resource("test://fails", handler=failing_read),
            resource("test://missing", handler=missing_read),
            resource("test://stub", handler=stub_read),
        ]
    )
    async with Client(sdk, mode=mode) as client:
        with pytest.raises(MCPError) as masked:
            await client.read_resource("test://fails")
        with pytest.raises(MCPError) as declared:
            await client.read_resource("test://missing")
        with pytest.raises(MCPError) as stub:
            await client.read_resource("test://stub")
    assert masked.value.code == types.INTERNAL_ERROR
    assert re.fullmatch(r"Internal error \(reference [0-9a-f]{12}\)", masked.value.message)
    assert (declared.value.code, declared.value.message, declared.value.data) == (
        -32004,
        "No forecast for Atlantis",
        {"city": "Atlantis"},
    )
    assert (stub.value.code, stub.value.message) == (
        types.INTERNAL_ERROR,
        "resource 'test://stub' is not implemented yet",
    )


class _Body(BaseModel):
    message: str
    retry: bool | None = None


class _MissingData(BaseModel):
    status: int
    body: _Body | None = None


class Missing(DeclaredError):
    """An error an API answers with: its data comes as JSON, checked by its schema."""

    error_type = "Missing"
    code = -32070
    message_template = "Not there (HTTP {status}, retry {retry})"
    built: ClassVar[int] = 0

    @classmethod
    def data_model(cls) -> type[BaseModel]:
        cls.built += 1
        return _MissingData

    @classmethod
    def data_schema(cls) -> Mapping[str, Any]:
        return {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "integer"},
                "body": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": {"type": "string"}, "retry": {"type": "boolean"}},
                },
            },
        }


def test_an_error_from_json_is_checked_by_its_schema_and_typed_when_read() -> None:
    answer = {"status": 404, "body": {"message": "gone", "extra": [1, 2]}}
    error = Missing.from_json(answer)
    assert error is not None and Missing.built == 0  # no model built to check it
    # An optional property the data leaves out reads as None, as in the model's dump.
    assert error.message == "Not there (HTTP 404, retry None)"
    # The client gets the data as it came.
    assert error.to_json()["data"] == answer
    assert error.to_mcp_error().error.data == answer
    data = error.data
    assert isinstance(data, _MissingData) and Missing.built == 1
    assert data.body is not None and data.body.message == "gone"
    # Data that breaks the schema is not this error (the caller says what came instead).
    assert Missing.from_json({"status": "404"}) is None
    assert Missing.from_json({"status": 404, "body": {"retry": True}}) is None
    # An error that declares no data schema is never made from JSON.
    assert CityNotFound.from_json({"city": "Atlantis"}) is None
