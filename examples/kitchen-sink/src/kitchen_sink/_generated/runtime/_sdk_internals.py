"""Every use of what the SDK (mcp 2.3) does not make public, in one place.

`tests/runtime/test_sdk_internals.py` checks each against the installed SDK and fails
loudly when a release moves one. What each reads, and the SDK change that would remove it:

- `wants_progress`: the request's outbound channel (`session._request_outbound`, wrapped
  once as `_inner` on 2026-07-28) and its `_on_progress`, where an in-process client's
  progress callback lives. Gone once `ServerRequestContext` says whether the client asked
  for progress (a public flag, or a public `on_progress`).
- `connection_of`: `session._connection`, the connection a per-request session proxies.
  Gone once the session exposes the connection, or state that lives as long as it.
- `SessionManager`: `event_store` read once per new session (each read makes that
  session's store), `_admit_session` overridden, `_server_instances` and `_session_owners`
  edited to end the session idle longest. Gone once `StreamableHTTPSessionManager` takes
  an event store factory and a policy for a new session at `max_sessions`.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import EventStore, StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from ._types import logger

if TYPE_CHECKING:
    from mcp.server.auth.middleware.bearer_auth import AuthorizationContext


def wants_progress(request: ServerRequestContext[Any, Any]) -> bool:
    """Whether the client asked for progress on this request.

    A progress token in `_meta` says so on the wire; in-process clients give a callback
    instead, which SDK 2.3 keeps in the request's private outbound channel (no public flag).
    """
    if (request.meta or {}).get("progress_token") is not None:
        return True
    outbound = getattr(request.session, "_request_outbound", None)
    while outbound is not None:  # 2026-07-28 wraps the channel (`_inner`) once
        if getattr(outbound, "_on_progress", None) is not None:
            return True
        outbound = getattr(outbound, "_inner", None)
    return False


def connection_of(session: object) -> Any:
    """The object that lives as long as the client's connection.

    `ctx.session` is a new proxy for every request; SDK 2.3 keeps the connection it
    proxies in a private attribute, and exposes no public per-connection state.
    """
    return getattr(session, "_connection", session)


class SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, giving each session an event store of its own, making
    room at the session cap (`_admit_session`), and ending every session at shutdown.

    SDK 2.3 hands every session's transport the one `event_store` it was given, and the
    transport names each stream by its request's id alone, so all sessions shared each
    other's streams. The manager reads `event_store` once for each session it opens, to
    give that session's transport: here each read makes a new store (`session_events()`).
    If a later SDK read it anywhere else, that read would see no one's events: a lost
    replay, never a replay of another session's.
    """

    def __init__(
        self, app: Server[Any], session_events: Callable[[], EventStore], **options: Any
    ) -> None:
        self._session_events = session_events
        super().__init__(app, **options)

    @property
    def event_store(self) -> EventStore | None:
        return self._session_events()

    @event_store.setter
    def event_store(self, given: EventStore | None) -> None:
        # The SDK's __init__ stores what it was given, which is nothing: the log is ours.
        if given is not None:
            raise TypeError("SessionManager makes an event store for each session")

    def _admit_session(
        self, requestor: AuthorizationContext | None
    ) -> StreamableHTTPServerTransport | None:
        # SDK 2.3 admits each new session here, under its lock, and at `max_sessions` refuses
        # it (503). Ending the session idle longest first means that one client opening
        # sessions locks others out only while every session has a request in flight.
        if self.max_sessions is not None and len(self._server_instances) >= self.max_sessions:
            self._end_longest_idle()
        return super()._admit_session(requestor)

    def _end_longest_idle(self) -> None:
        """End the session that has had no request in flight for longest, if any is idle."""
        # A transport's idle scope has no deadline while a request (or its GET stream) is
        # in flight; after, its deadline is when it expires: the earliest is idle longest.
        idle = {
            session_id: transport.idle_scope
            for session_id, transport in self._server_instances.items()
            if transport.idle_scope is not None and math.isfinite(transport.idle_scope.deadline)
        }
        if not idle:
            return
        session_id = min(idle, key=lambda s: idle[s].deadline)
        idle_for = (self.session_idle_timeout or 0.0) - (
            idle[session_id].deadline - anyio.current_time()
        )
        logger.warning(
            "%d sessions open (--max-sessions): ended the one idle longest (%.0f s) for a new one",
            len(self._server_instances),
            idle_for,
        )
        # Forgotten now, so the SDK counts it gone; its own loop ends it (as the idle
        # timeout would), and its id is answered 404 from here on.
        del self._server_instances[session_id]
        self._session_owners.pop(session_id, None)
        idle[session_id].cancel()

    async def end_sessions(self) -> None:
        """End every session, closing its streams (its open GET stream among them)."""
        for transport in list(self._server_instances.values()):
            await transport.terminate()
