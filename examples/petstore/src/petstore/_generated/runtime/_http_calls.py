"""Serving HTTP: the calls in flight, the exchanges that carry their answers, and stopping
them when nobody can receive the answer any more, or at shutdown.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import contextvars
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import CallNext, ServerRequestContext
from mcp.server.streamable_http import REQUEST_CANCELLED, EventCallback, EventMessage, EventStore
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from ._event_store import EventLog, StreamKey

# The messages of a stream, as the log keeps them (JSON) and as the SDK sends them.
_WIRE: TypeAdapter[types.JSONRPCMessage] = TypeAdapter(types.JSONRPCMessage)


class SessionEvents(EventStore):
    """One HTTP session's view of the event log: the SDK's `EventStore`, bound to an owner.

    It also tells `Calls` which resumable stream the exchange being served carries: the
    SDK stores a stream's priming event (no message) on the request that opens or resumes
    it, and a replay returns the stream it resumes.
    """

    def __init__(self, log: EventLog, calls: Calls) -> None:
        self._log = log
        self._calls = calls
        self._owner = secrets.token_urlsafe(16)

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        if message is None:
            event_id = await self._log.append(self._owner, stream_id, None)
            self._carried(stream_id)
            return event_id
        # As the SDK writes it to the stream, so a replay sends the very same JSON. The
        # message's own serializer, not the union's: 1.5 against 2.6 µs a message.
        sent = message.model_dump_json(by_alias=True, exclude_unset=True).encode()
        return await self._log.append(self._owner, stream_id, sent)

    async def replay_events_after(
        self, last_event_id: str, send_callback: EventCallback
    ) -> str | None:
        found = await self._log.after(self._owner, last_event_id)
        if found is None:
            return None
        stream, later = found
        self._carried(stream)
        for event_id, message in later:
            await send_callback(EventMessage(_WIRE.validate_json(message), event_id))
        return stream

    def _carried(self, stream: str) -> None:
        exchange = _exchange.get()
        if exchange is not None:
            self._calls.carries(exchange, (self._owner, stream))


# How long a call whose client lost its stream waits for the client to resume it before it
# is cancelled. Clients of 2025-11-25 are told (the `retry` of the stream's priming event)
# to come back after 100 ms, and SDK 2.3's client tries twice: twenty times that.
_RESUME_GRACE = 2.0

_GONE = "gone"
_SHUTDOWN = "shutdown"


class _Exchange:
    """One HTTP request, from its first byte to its last, or to its client's disconnect."""

    __slots__ = ("calls", "ended", "posted", "stream")

    def __init__(self, posted: bool) -> None:
        self.posted = posted  # a POST, which carries an answer (a GET carries a stream)
        self.ended = False
        self.stream: StreamKey | None = None  # the resumable stream it carries, if any
        self.calls: set[_Call] = set()  # the calls it answers without a resumable stream


# The exchange that brought the request a task serves: handlers inherit it from the task
# that received their request (the SDK's dispatcher passes the sender's context on).
_exchange: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar(
    "mcpgen_exchange", default=None
)


class _Call:
    """A request being served over HTTP, in a scope that stops it."""

    __slots__ = ("exchange", "method", "scope", "stopped", "stream")

    def __init__(self, method: str, exchange: _Exchange | None) -> None:
        self.method = method
        self.exchange = exchange
        self.scope = anyio.CancelScope()
        self.stopped: str | None = None  # why: _GONE, _SHUTDOWN
        self.stream: StreamKey | None = None

    def stop(self, why: str, after: float = 0.0) -> None:
        self.stopped = why
        if after:
            self.scope.deadline = min(self.scope.deadline, anyio.current_time() + after)
        else:
            self.scope.cancel()

    def resumed(self) -> None:
        """Its client came back for its stream in time: it goes on."""
        if self.stopped == _GONE and not self.scope.cancel_called:
            self.stopped = None
            self.scope.deadline = math.inf

    def error(self) -> MCPError:
        if self.stopped == _SHUTDOWN:
            return MCPError(
                types.CONNECTION_CLOSED,
                "The server is shutting down: the request was stopped before it finished; retry it",
            )
        # Only a 2025-era stream nobody listens to any more carries this (a 2026 request
        # whose client went away is never answered); it is stored for a late resume.
        return MCPError(REQUEST_CANCELLED, "Request cancelled: its client went away")


@dataclass(slots=True)
class _Resumable:
    """A resumable stream's listeners and the calls it will carry the answers of."""

    listeners: int = 0  # exchanges carrying it now
    calls: set[_Call] = field(default_factory=set)


class Calls:
    """The requests a server serves over HTTP, and the exchanges that carry their answers.

    A call's answer goes out on the exchange that brought it (2026-07-28; 2025 clients that
    cannot resume a stream) or on its stream, which a 2025-11-25 client that lost it may
    resume on another exchange. A call whose answer nobody can receive any more is
    cancelled, as a client's `notifications/cancelled` would: at once, or when its stream
    has had no listener for `_RESUME_GRACE` seconds. (The spec asks servers not to take a
    disconnect for a cancellation; a client that can resume gets the time to.) At shutdown
    every call is stopped, and answered with an error, after a grace (`_Uvicorn`).
    """

    def __init__(self) -> None:
        self.running: set[_Call] = set()
        self.open_posts = 0
        self._streams: dict[StreamKey, _Resumable] = {}

    def opened(self, exchange: _Exchange) -> None:
        if exchange.posted:
            self.open_posts += 1

    def carries(self, exchange: _Exchange, key: StreamKey) -> None:
        """`exchange` carries the resumable stream `key` (opens it, or resumes it)."""
        if exchange.ended or exchange.stream == key:
            return
        exchange.stream = key
        stream = self._streams.setdefault(key, _Resumable())
        stream.listeners += 1
        for call in stream.calls:
            call.resumed()

    def ended(self, exchange: _Exchange) -> None:
        """`exchange` sent its last byte, or its client went away."""
        if exchange.ended:
            return
        exchange.ended = True
        if exchange.posted:
            self.open_posts -= 1
        key = exchange.stream
        if key is None:
            for call in exchange.calls:
                call.stop(_GONE)
            return
        stream = self._streams[key]
        stream.listeners -= 1
        if not stream.listeners:
            for call in stream.calls:
                call.stop(_GONE, after=_RESUME_GRACE)
        self._forget_if_done(key)

    def started(self, call: _Call) -> None:
        self.running.add(call)
        exchange = call.exchange
        if exchange is None:
            return
        key = exchange.stream
        if key is None:
            exchange.calls.add(call)
            if exchange.ended:
                call.stop(_GONE)
            return
        call.stream = key
        stream = self._streams.setdefault(key, _Resumable())
        stream.calls.add(call)
        if not stream.listeners:
            call.stop(_GONE, after=_RESUME_GRACE)

    def finished(self, call: _Call) -> None:
        self.running.discard(call)
        if call.stream is not None:
            self._streams[call.stream].calls.discard(call)
            self._forget_if_done(call.stream)
        elif call.exchange is not None:
            call.exchange.calls.discard(call)

    def stop_all(self, method: str | None = None) -> None:
        """Stop every call (of `method`) for the shutdown: each is answered with an error."""
        for call in list(self.running):
            if method is None or call.method == method:
                call.stop(_SHUTDOWN)

    def _forget_if_done(self, key: StreamKey) -> None:
        stream = self._streams.get(key)
        if stream is not None and not stream.listeners and not stream.calls:
            del self._streams[key]


class Stoppable:
    """Serving HTTP, the server's innermost middleware: each request runs in a scope that
    `Calls` can stop, and is answered with the reason if it does."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        call = _Call(ctx.method, _exchange.get())
        with call.scope:
            self.calls.started(call)
            try:
                return await call_next(ctx)
            finally:
                self.calls.finished(call)
        raise call.error()


# Seconds a client refused with 503 (every session busy, at `--max-sessions`) is told to wait
# before it comes back: a busy session frees its place when its request ends, which nobody
# can know; a few seconds keep refused clients from hammering.
RETRY_AFTER_BUSY = 5


def with_retry_after(start: Any) -> Any:
    """A 503 answer's `http.response.start`, saying when to come back (`Retry-After`)."""
    retry = (b"retry-after", str(RETRY_AFTER_BUSY).encode())
    return {**start, "headers": [*start.get("headers", ()), retry]}


class Exchanges:
    """Follows each HTTP request from its first byte to its last, or to its client's
    disconnect, for `Calls`; the requests it carries run with it as `_exchange`."""

    def __init__(self, app: Any, calls: Calls) -> None:
        self.app = app
        self.calls = calls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        calls = self.calls
        exchange = _Exchange(posted=scope["method"] == "POST")
        calls.opened(exchange)

        async def receive_watched() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                calls.ended(exchange)
            return message

        async def send_watched(message: Any) -> None:
            kind = message["type"]
            if kind == "http.response.start" and message["status"] == 503:
                message = with_retry_after(message)
            await send(message)
            if kind == "http.response.body" and not message.get("more_body"):
                calls.ended(exchange)

        token = _exchange.set(exchange)
        try:
            await self.app(scope, receive_watched, send_watched)
        finally:
            _exchange.reset(token)
            calls.ended(exchange)
