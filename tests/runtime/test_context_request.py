"""What a handler knows of its request and its server: `ctx.request_id`,
`ctx.protocol_version`, `ctx.client_capabilities`, `ctx.state` (the lifespan's), `ctx.server`;
and the server's life around it: the lifespan, binding tools once, closing what they opened."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.context import ClientRequestContext
from mcp.client.subscriptions import ToolsListChanged
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import Context, ServerHandle
from mcpgen.vendored.runtime._definitions import Binding, ToolBinder
from mcpgen.vendored.runtime._server import build_sdk_server
from runtime_support import INFO, MODERN, build, modern, text_of, tool

pytestmark = pytest.mark.anyio


@dataclass
class State:
    """What the lifespan sets up; `events` records the server's life."""

    handle: ServerHandle
    events: list[str] = field(default_factory=list)


async def describe(ctx: Context[State], args: Mapping[str, Any]) -> str:
    capabilities = ctx.client_capabilities
    return json.dumps(
        {
            "request_id": ctx.request_id,
            "protocol_version": ctx.protocol_version,
            "elicitation": capabilities is not None and capabilities.elicitation is not None,
            "same_handle": ctx.server is ctx.state.handle,
            "task_id": ctx.task_id,
        }
    )


async def never_asked(context: ClientRequestContext, params: Any) -> types.ElicitResult:
    raise AssertionError("not asked")


async def test_a_handler_knows_its_request(mode: str) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(handle: ServerHandle) -> AsyncIterator[State]:
        events.append("started")
        yield State(handle, events)
        events.append("stopped")

    sdk = build(tool("describe", describe), lifespan=lifespan)
    async with Client(sdk, mode=mode, elicitation_callback=never_asked) as client:
        first = json.loads(text_of(await client.call_tool("describe", {})))
        second = json.loads(text_of(await client.call_tool("describe", {})))
        version = client.protocol_version
        assert events == ["started"]
    assert events == ["started", "stopped"]
    assert first["protocol_version"] == version
    assert version == MODERN if mode == MODERN else version == "2025-11-25"
    assert first["request_id"] is not None and first["request_id"] != second["request_id"]
    assert first["elicitation"] is True  # the client has an elicitation callback
    assert first["same_handle"] is True
    assert first["task_id"] is None


async def test_a_server_without_a_lifespan_gives_no_state(mode: str) -> None:
    async def state(ctx: Context[None], args: Mapping[str, Any]) -> str:
        return repr(ctx.state)

    async with Client(build(tool("state", state)), mode=mode) as client:
        assert text_of(await client.call_tool("state", {})) == "None"


async def test_a_tool_is_bound_on_its_own_first_call_off_the_event_loop(mode: str) -> None:
    # A big API's first call took seconds binding its thousand tools: each tool is bound by
    # itself, once, when first called; what the tools share is made once, closed at the end.
    binds: list[tuple[str, str]] = []
    made: list[str] = []
    closed: list[str] = []

    def connection(binder: ToolBinder) -> str:
        async def close() -> None:
            closed.append("closed")

        made.append("connection")
        binder.at_exit(close)
        return "the connection"

    def bind_tool(binder: ToolBinder, name: str) -> Binding[Any]:
        binds.append((name, threading.current_thread().name))
        shared = binder.shared(connection)

        async def describe_plain(ctx: Context[Any], args: Mapping[str, Any]) -> str:
            return f"{name} bound for {sorted(args)} over {shared}"

        return Binding(None, describe_plain)

    sdk = build_sdk_server(
        INFO,
        tools=[
            {"name": name, "inputSchema": {"type": "object"}} for name in ("one", "two", "three")
        ],
        bind_tool=bind_tool,
    )
    async with Client(sdk, mode=mode) as client:
        await client.list_tools()
        assert binds == []  # listing needs no binding
        results: list[str] = []
        async with anyio.create_task_group() as group:
            for n in range(5):

                async def call(n: int = n) -> None:
                    results.append(text_of(await client.call_tool("one", {"n": n})))

                group.start_soon(call)
        assert [name for name, _ in binds] == ["one"]  # together, once; the others wait
        assert text_of(await client.call_tool("two", {})) == "two bound for [] over the connection"
        assert [name for name, _ in binds] == ["one", "two"]
        assert closed == []
    assert results == ["one bound for ['n'] over the connection"] * 5
    assert all(thread != threading.main_thread().name for _, thread in binds)
    assert made == ["connection"]  # shared by the tools
    assert closed == ["closed"]


async def test_a_tool_its_server_cannot_bind_is_an_internal_error(mode: str) -> None:
    def bind_tool(binder: ToolBinder, name: str) -> Binding[Any]:
        raise LookupError(f"the server has no tool {name!r}")

    sdk = build_sdk_server(
        INFO, tools=[{"name": "missing", "inputSchema": {"type": "object"}}], bind_tool=bind_tool
    )
    async with Client(sdk, mode=mode) as client:
        with pytest.raises(MCPError) as failed:
            await client.call_tool("missing", {})
    assert failed.value.code == types.INTERNAL_ERROR
    assert failed.value.message.startswith("Internal error (reference ")


async def test_the_handle_tells_of_changes_from_outside_any_request(mode: str) -> None:
    handles: list[ServerHandle] = []

    @asynccontextmanager
    async def lifespan(handle: ServerHandle) -> AsyncIterator[None]:
        handles.append(handle)
        yield None

    changed: list[Any] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.append(message)

    sdk = build(tool("describe", describe), lifespan=lifespan)
    async with Client(sdk, mode=mode, message_handler=on_message) as client:
        if modern(client):
            async with client.listen(tools_list_changed=True) as events:
                await handles[0].tools_changed()  # background work, say
                with anyio.fail_after(5):
                    async for event in events:
                        assert event == ToolsListChanged()
                        break
        else:
            await client.list_tools()
            await handles[0].tools_changed()
            with anyio.fail_after(5):
                while not changed:
                    await anyio.sleep(0.005)  # polling for the notification, bounded
    # On 2026-07-28 the listen stream's notification reaches the message handler too.
    assert len(changed) == 1
