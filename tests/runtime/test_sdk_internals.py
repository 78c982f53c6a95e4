"""What the runtime reads of the SDK that the SDK does not make public (`_sdk_internals`),
checked against the installed SDK: each test fails when a release moves what it reads."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import pytest
from mcp.client import Client
from mcp.server.streamable_http import EventStore, StreamableHTTPServerTransport
from mcpgen.vendored.runtime import Context
from mcpgen.vendored.runtime._event_store import MemoryEventStore
from mcpgen.vendored.runtime._http_calls import _Calls, _SessionEvents
from mcpgen.vendored.runtime._sdk_internals import SessionManager, connection_of, wants_progress
from runtime_support import Seen, build, tool

pytestmark = pytest.mark.anyio


async def test_wants_progress_sees_an_in_process_clients_callback(mode: str) -> None:
    asked: list[bool] = []

    async def probe(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        asked.append(wants_progress(ctx._request))
        return "ok"

    async with Client(build(tool("probe", probe)), mode=mode) as client:
        await client.call_tool("probe", {}, progress_callback=Seen().on_progress)
        await client.call_tool("probe", {})
    assert asked == [True, False]


async def test_connection_of_is_the_same_for_each_request_of_a_connection() -> None:
    seen: list[tuple[Any, Any]] = []

    async def probe(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        session = ctx._request.session
        seen.append((session, connection_of(session)))
        return "ok"

    sdk = build(tool("probe", probe))
    async with Client(sdk, mode="legacy") as one, Client(sdk, mode="legacy") as two:
        await one.call_tool("probe", {})
        await one.call_tool("probe", {})
        await two.call_tool("probe", {})
    (first, a), (second, b), (_, c) = seen
    assert first is not second  # a proxy per request...
    assert a is b  # ...of the connection, which lives as long as it
    assert a is not first
    assert c is not a


def test_the_session_manager_makes_an_event_store_for_each_session_it_admits() -> None:
    log, calls = MemoryEventStore(), _Calls()
    made: list[EventStore] = []

    def session_events() -> EventStore:
        made.append(_SessionEvents(log, calls))
        return made[-1]

    manager = SessionManager(build(), session_events, max_sessions=4, session_idle_timeout=60)
    assert list(inspect.signature(manager._admit_session).parameters) == ["requestor"]
    first = manager._admit_session(None)
    second = manager._admit_session(None)
    assert isinstance(first, StreamableHTTPServerTransport)
    assert isinstance(second, StreamableHTTPServerTransport)
    assert len(made) == 2  # one store per session, read as each is admitted
    assert set(manager._server_instances.values()) == {first, second}
    assert manager._session_owners == {}
    # Ending the session idle longest reads each transport's idle scope.
    assert first.idle_scope is None  # set when the transport connects
    with pytest.raises(TypeError):
        manager.event_store = _SessionEvents(log, calls)
