"""What the runtime reads of the SDK that the SDK does not make public, held to the installed SDK.

Every such access lives in `runtime/_sdk_internals.py`, whose docstring names the SDK change
that would remove each. These tests fail loudly, naming the attribute, when an SDK release
moves one: each access falls back quietly at run time (a `getattr` default), so without them
a moved attribute would only show as a lost feature (no progress for in-process clients,
log levels forgotten between requests, sessions that share an event store).
"""

from __future__ import annotations

import inspect
from typing import Any

import mcp_types as types
import pytest
from mcp.client import Client
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import EventCallback, EventStore
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcpgen.vendored.runtime._sdk_internals import SessionManager, connection_of, wants_progress

pytestmark = pytest.mark.anyio

ERAS = ("legacy", "2026-07-28")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def probe_server(seen: list[ServerRequestContext[Any, Any]]) -> Server[Any]:
    """A low-level server whose one tool keeps the request context it was called with."""

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        seen.append(ctx)
        return types.CallToolResult(content=[types.TextContent(text="ok")])

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        schema = {"type": "object"}
        return types.ListToolsResult(tools=[types.Tool(name="probe", input_schema=schema)])

    return Server("probe", on_call_tool=call_tool, on_list_tools=list_tools)


@pytest.mark.parametrize("mode", ERAS)
async def test_wants_progress_sees_an_in_process_clients_callback(mode: str) -> None:
    seen: list[ServerRequestContext[Any, Any]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        pass

    async with Client(probe_server(seen), mode=mode) as client:
        await client.call_tool("probe", {}, progress_callback=on_progress)
        await client.call_tool("probe", {})
    asked, not_asked = seen
    token = (asked.meta or {}).get("progress_token")
    if mode == "legacy":
        # Over JSON-RPC streams the callback travels as a token: the public way.
        assert token is not None
    else:
        # Dispatched in process (2026-07-28), it stays a callback on the outbound channel.
        assert token is None, "the client now sends a token: wants_progress may read it alone"
        assert hasattr(asked.session, "_request_outbound"), "SDK moved _request_outbound"
    assert wants_progress(asked) is True, "SDK moved the outbound channel's _on_progress/_inner"
    assert wants_progress(not_asked) is False


async def test_connection_of_is_one_object_per_connection() -> None:
    seen: list[ServerRequestContext[Any, Any]] = []
    server = probe_server(seen)
    async with Client(server, mode="legacy") as first, Client(server, mode="legacy") as second:
        await first.call_tool("probe", {})
        await first.call_tool("probe", {})
        await second.call_tool("probe", {})
    one, again, other = (ctx.session for ctx in seen)
    assert one is not again, "the session is no longer a per-request proxy: use it directly"
    assert hasattr(one, "_connection"), "SDK moved the proxied connection (session._connection)"
    assert connection_of(one) is connection_of(again)
    assert connection_of(one) is not connection_of(other)


class CountingStore(EventStore):
    """An event store that only says which session it was made for."""

    def __init__(self, number: int) -> None:
        self.number = number

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        return f"{self.number}-{stream_id}"

    async def replay_events_after(self, last_event_id: str, send_callback: EventCallback) -> None:
        return None


def test_the_session_manager_hooks_are_where_the_runtime_expects_them() -> None:
    made: list[CountingStore] = []

    def new_store() -> CountingStore:
        made.append(CountingStore(len(made)))
        return made[-1]

    admit = StreamableHTTPSessionManager._admit_session
    assert list(inspect.signature(admit).parameters) == ["self", "requestor"], (
        "SDK changed _admit_session, which SessionManager overrides"
    )
    manager = SessionManager(Server("probe"), new_store, max_sessions=2)
    first = manager._admit_session(None)
    second = manager._admit_session(None)
    assert first is not None and second is not None
    # The SDK reads `event_store` once for each session it admits, and for nothing else:
    # each session gets a store of its own.
    assert len(made) == 2, f"SDK read event_store {len(made)} times for 2 sessions"
    assert isinstance(manager._server_instances, dict), "SDK moved _server_instances"
    assert isinstance(manager._session_owners, dict), "SDK moved _session_owners"
    assert set(manager._server_instances) == {first.mcp_session_id, second.mcp_session_id}
    assert hasattr(first, "idle_scope"), "SDK moved the transport's idle_scope"
    assert first.idle_scope is None  # set once the session runs
    with pytest.raises(TypeError):
        manager.event_store = CountingStore(99)
