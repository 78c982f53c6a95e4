"""An output schema left out of `tools/list` (`list_output_schema = false`): the list is
smaller, the server's checks are not weaker.

The tool's definition holds the schema under `UNLISTED_OUTPUT_SCHEMA`, as the generated
`tools.json` does; a client sees no `outputSchema`, and a result the schema refuses is still
refused by the server, exactly as for a listed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context
from mcpgen.vendored.runtime._definitions import UNLISTED_OUTPUT_SCHEMA
from runtime_support import build, text_of, tool

pytestmark = pytest.mark.anyio

OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {"temperature": {"$ref": "#/$defs/Celsius"}},
    "required": ["temperature"],
    "$defs": {"Celsius": {"type": "number", "minimum": -273.15}},
}


async def reading(_: Context[Any], arguments: dict[str, Any]) -> dict[str, Any]:
    return {"temperature": arguments["value"]}


def tools() -> list[Any]:
    listed = tool("listed", reading, output_schema=OUTPUT)
    unlisted = tool("unlisted", reading)
    unlisted.definition[UNLISTED_OUTPUT_SCHEMA] = dict(OUTPUT)
    return [listed, unlisted]


async def test_an_unlisted_output_schema_is_not_sent(mode: str) -> None:
    async with Client(build(*tools()), mode=mode) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert listed["listed"].output_schema == OUTPUT
    assert listed["unlisted"].output_schema is None
    assert UNLISTED_OUTPUT_SCHEMA not in (listed["unlisted"].model_extra or {})


async def test_an_unlisted_output_schema_still_checks_every_result(mode: str) -> None:
    async with Client(build(*tools()), mode=mode) as client:
        results = {
            (name, value): await client.call_tool(name, {"value": value})
            for name in ("listed", "unlisted")
            for value in (21.5, -300)
        }
    for name in ("listed", "unlisted"):
        good, bad = results[name, 21.5], results[name, -300]
        assert not good.is_error
        assert good.structured_content == {"temperature": 21.5}
        # Below absolute zero: the `$defs` entry's minimum refuses it, listed or not.
        assert bad.is_error
        assert bad.structured_content is None
        assert text_of(bad).startswith(f"Tool {name!r} produced an invalid result (reference ")


async def test_a_declared_error_of_an_unlisted_schemas_tool_carries_its_data(mode: str) -> None:
    """Structured error content is left out only where a client would check it against a
    listed output schema; a client that sees none gets the error as data, as for a tool
    without one."""
    from test_errors import City, CityNotFound

    async def fails(_: Context[Any], arguments: dict[str, Any]) -> dict[str, Any]:
        raise CityNotFound(City(city="Atlantis"))

    unlisted = tool("unlisted", fails)
    unlisted.definition[UNLISTED_OUTPUT_SCHEMA] = dict(OUTPUT)
    async with Client(build(unlisted), mode=mode) as client:
        failed = await client.call_tool("unlisted", {})
    assert failed.is_error
    assert failed.structured_content is not None
    assert failed.structured_content["error"]["type"] == "CityNotFound"
