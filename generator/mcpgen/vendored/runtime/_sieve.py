"""The `tools/list` result as the SDK would send it on each protocol version, made once."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mcp_types as types
from mcp_types.methods import serialize_server_result

from ._definitions import UNLISTED_OUTPUT_SCHEMA

NO_TOOLS = types.ListToolsResult(tools=[])

# The members of a tool that are JSON Schemas, whose object-valued members the protocol
# leaves opaque (`properties: {[key: string]: object}`; `$defs` and other keywords unknown
# to its schema are extra members, taken as they are).
_SCHEMA_KEYS = ("inputSchema", "outputSchema")


def sieve_tools(tools: Sequence[Mapping[str, Any]], version: str) -> list[dict[str, Any]]:
    """`tools` as the SDK would send them on a `version` connection, at a fraction of the cost.

    The SDK checks every result against the negotiated version's wire schema and dumps it
    again: it drops what that version does not define and None-valued members, and orders
    keys. On GitHub's API that walk through 8.8 MB of schemas took ~0.4 s of the first
    `tools/list`. The walk is needed only above the schemas' object-valued members, which
    it passes through as opaque JSON. So the SDK's own check runs here on a copy of the
    tools in which each such member is `{}`, and the real member goes back wherever the SDK
    kept that `{}` as it was; a tool whose `{}` came back changed or not at all (an SDK
    that looks inside them) goes through the SDK whole. mcpgen's tests hold the result to
    the SDK's own, byte for byte, on every protocol version.
    """
    # What the server checks but does not list stays on the server.
    tools = [
        {k: v for k, v in tool.items() if k != UNLISTED_OUTPUT_SCHEMA}
        if UNLISTED_OUTPUT_SCHEMA in tool
        else tool
        for tool in tools
    ]
    stubs: list[dict[str, Any]] = []
    stubbed: list[dict[str, tuple[str, ...]]] = []
    for tool in tools:
        stub = dict(tool)
        hollowed: dict[str, tuple[str, ...]] = {}
        for key in _SCHEMA_KEYS:
            schema = tool.get(key)
            if isinstance(schema, Mapping):
                members = tuple(k for k, v in schema.items() if isinstance(v, Mapping) and v)
                if members:
                    stub[key] = {k: {} if k in members else v for k, v in schema.items()}
                    hollowed[key] = members
        stubs.append(stub)
        stubbed.append(hollowed)
    sieved = _sdk_sieve(stubs, version)
    wire: list[dict[str, Any]] = []
    for tool, out, hollowed in zip(tools, sieved, stubbed, strict=True):
        for key, members in hollowed.items():
            schema = out.get(key)
            if schema is None:
                continue  # the version does not define it: gone, whatever it held
            if any(schema.get(k) != {} for k in members):
                out = _sdk_sieve([tool], version)[0]
                break
            out[key] = {k: tool[key][k] if k in members else v for k, v in schema.items()}
        wire.append(out)
    return wire


def _sdk_sieve(tools: Sequence[Mapping[str, Any]], version: str) -> list[dict[str, Any]]:
    """The SDK's check and dump of a `tools/list` result: its tools."""
    envelope = NO_TOOLS.model_dump(by_alias=True, mode="json", exclude_none=True)
    result = {**envelope, "tools": tools}
    sieved: list[dict[str, Any]] = serialize_server_result("tools/list", version, result)["tools"]
    return sieved
