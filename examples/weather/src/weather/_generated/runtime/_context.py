"""The handler's `Context`: what it knows of the request it serves, and what it may do
(progress, cancellation, logs, elicitation, sampling, roots, batches, detaching), and the
bridge that sends the server's own `logging` records to the client of the request.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import contextvars
import json
import logging
import math
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from ._errors import InputRequired, elicitation_request, roots_request, sampling_request
from ._handle import ServerHandle
from ._sdk_internals import connection_of
from ._tasking import Detacher, RunningTask
from ._types import (
    INVALID_PARAMS,
    CreateMessageResult,
    InputRequest,
    ItemT,
    LogLevel,
    ModelT,
    OutputT,
    ResultT,
    Root,
    SamplingMessage,
    StateT,
)

_CHECKPOINT_YIELDS = 8
_LOG_ORDER: dict[str, int] = {
    level: rank
    for rank, level in enumerate(
        ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
    )
}
_PYTHON_LEVELS: tuple[tuple[int, LogLevel], ...] = (
    (logging.CRITICAL, "critical"),
    (logging.ERROR, "error"),
    (logging.WARNING, "warning"),
    (logging.INFO, "info"),
    (logging.DEBUG, "debug"),
)
# The level each 2025-era connection asked for; entries go with their connections.
_session_log_levels: weakref.WeakKeyDictionary[object, LogLevel] = weakref.WeakKeyDictionary()
# The context of the request the running task serves: where bridged log records go.
current_context: contextvars.ContextVar[Context[Any] | None] = contextvars.ContextVar(
    "mcpgen_context", default=None
)


@dataclass(frozen=True, slots=True)
class Elicitation(Generic[OutputT]):
    """The client's answer to `ctx.elicit`: accepted with data, declined, or cancelled."""

    action: Literal["accept", "decline", "cancel"]
    data: OutputT | None

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who called, as the bearer token of the request says (servers with `[server.auth]`,
    over HTTP): `ctx.principal`. Two callers are the same principal when their issuer,
    subject and client id are."""

    subject: str | None
    """The token's `sub`: the user (or, with no user, the client) it was issued to."""
    issuer: str | None
    """The token's `iss`: `subject` is unique only within it."""
    client_id: str
    """The OAuth client the token was issued to (`client_id` or `azp`; "" if it names none)."""
    scopes: frozenset[str]
    claims: Mapping[str, Any]
    """All the token's claims (a JWT's payload, an introspection answer)."""


def _principal() -> Principal | None:
    token = get_access_token()
    if token is None:
        return None
    claims = token.claims or {}
    issuer = claims.get("iss")
    return Principal(
        subject=token.subject,
        issuer=str(issuer) if issuer is not None else None,
        client_id=token.client_id,
        scopes=frozenset(token.scopes),
        claims=claims,
    )


# Headers of the MCP request that never go on to an API, whatever a spec lists: the
# client's credentials for this server (the spec refuses them too, at load).
NEVER_FORWARDED = frozenset({"authorization", "proxy-authorization", "cookie"})


def forwarded_headers(ctx: Context[Any], names: Iterable[str]) -> dict[str, str]:
    """The headers named (lower case) of the HTTP request that brought `ctx`'s call: what a
    spec's `[http] forward_headers` sends on to the API. None over stdio."""
    request = ctx._request.request
    headers = getattr(request, "headers", None)
    if headers is None:
        return {}
    return {
        name: headers[name] for name in names if name not in NEVER_FORWARDED and name in headers
    }


class Inputs:
    """Answers the client gave so far in a multi-round call, and the handler's own state."""

    __slots__ = ("asked", "responses", "state")

    def __init__(self, responses: dict[str, Any], state: str | None) -> None:
        self.responses = responses
        self.state = state
        self.asked = 0

    @classmethod
    def from_params(cls, params: Any) -> Inputs:
        """Unpack the sealed state the shim minted last round, plus this round's answers."""
        if params.request_state is None and not params.input_responses:
            return cls({}, None)
        carried: dict[str, Any] = {}
        user_state: str | None = None
        raw_state = params.request_state
        if raw_state:
            try:
                envelope = json.loads(raw_state)
                carried = dict(envelope["responses"])
                user_state = envelope.get("state")
            except (ValueError, KeyError, TypeError):
                # Not ours (the boundary verified it was minted here): treat as no state.
                carried = {}
        for key, answer in (params.input_responses or {}).items():
            carried[key] = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
        return cls(carried, user_state)

    def seal(self, state: str | None) -> str:
        """The state to send with the next `InputRequiredResult` (sealed by the SDK)."""
        return json.dumps({"responses": self.responses, "state": state}, sort_keys=True)


class Context(Generic[StateT]):
    """What a handler knows about the request it serves, and what it may do with it.

    `StateT` is the type of the lifespan state (`ctx.state`); servers without a lifespan
    have `None` there.
    """

    PROGRESS_INTERVAL: ClassVar[float] = 0.05
    """Seconds between two progress notifications; updates in between are dropped."""

    __slots__ = (
        "_detacher",
        "_handle",
        "_inputs",
        "_last_progress",
        "_pending_logs",
        "_principal",
        "_progress_sent_at",
        "_request",
        "_task",
    )

    def __init__(
        self,
        request: ServerRequestContext[Any, Any],
        handle: ServerHandle,
        inputs: Inputs | None = None,
        mode: RunningTask | Detacher | None = None,
    ) -> None:
        self._request = request
        self._handle = handle
        self._inputs = inputs if inputs is not None else Inputs({}, None)
        self._last_progress: float | None = None
        self._progress_sent_at = -math.inf
        self._pending_logs: list[tuple[LogLevel, str]] = []
        # Set while the call runs as a task: input and progress go through the task then,
        # since the request (and on HTTP its connection) is gone.
        self._task: RunningTask | None = (
            None if mode is None or isinstance(mode, Detacher) else mode
        )
        self._detacher: Detacher | None = mode if isinstance(mode, Detacher) else None
        # Taken now: the request's token is not in the context a task runs on in.
        self._principal = _principal()

    @property
    def request_id(self) -> str | int | None:
        """The JSON-RPC id of the request being served."""
        return self._request.request_id

    @property
    def protocol_version(self) -> str:
        """The protocol version negotiated with (or declared by) the client."""
        return self._request.protocol_version

    @property
    def state(self) -> StateT:
        """What the server's lifespan set up at start-up (None without a lifespan)."""
        state: StateT = self._request.lifespan_context
        return state

    @property
    def principal(self) -> Principal | None:
        """Who called: the bearer token's subject, issuer, client, scopes and claims.
        None over stdio, and over HTTP when the server declares no authorization."""
        return self._principal

    @property
    def server(self) -> ServerHandle:
        """The server: notifications to every client (resource changes, list changes)."""
        return self._handle

    @property
    def client_capabilities(self) -> types.ClientCapabilities | None:
        """What the client said it supports (sampling, elicitation, roots, ...)."""
        return self._request.session.client_capabilities

    @property
    def cancelled(self) -> bool:
        """True once the client cancelled the call (or its timeout passed).

        A handler that polls this should stop soon; `await ctx.checkpoint()` stops it
        at once by raising the cancellation.
        """
        # A timeout's scope is cancelled by the event loop, which code that never awaits
        # does not give a turn: the clock says the deadline passed before the scope does.
        return anyio.current_effective_deadline() <= anyio.current_time()

    async def checkpoint(self) -> None:
        """Yield to the event loop; raises the cancellation if the client cancelled.

        CPU-bound loops call this now and then so a `notifications/cancelled` can stop them.
        A cancellation takes a few turns of the loop to arrive (read, decode, dispatch,
        cancel), so this yields that many times: once per checkpoint, a busy handler took
        ~40 ms (four checkpoints 10 ms apart) to stop; eight yields stop it within ~1 ms,
        for microseconds of cost when nothing else is waiting.
        """
        await self._flush_logs()
        for _ in range(_CHECKPOINT_YIELDS):
            await anyio.lowlevel.checkpoint()

    async def progress(
        self, done: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Report progress; a no-op when the client did not ask for it.

        Progress only grows (the protocol says so): a value not above the last one sent is
        dropped. Updates closer together than `PROGRESS_INTERVAL` are dropped too, so a
        tight loop cannot flood the client; the final one (done >= total) always goes out.
        """
        await self._flush_logs()
        if self._last_progress is not None and done <= self._last_progress:
            return
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - self._progress_sent_at < self.PROGRESS_INTERVAL:
            return
        self._last_progress = done
        self._progress_sent_at = now
        if self._task is not None:
            shown = f"{done:g}/{total:g}" if total is not None else f"{done:g}"
            await self._task.set_status(f"{message} ({shown})" if message else shown)
            return
        await self._request.session.report_progress(done, total, message)

    async def log(self, level: LogLevel, message: str, **fields: Any) -> None:
        """Send a log message to the client (`notifications/message`).

        On 2025-era connections the level the client set with `logging/setLevel` filters
        here (the SDK does not); on 2026-07-28 the SDK filters by the request's opt-in.
        Records of the standard `logging` module under the server's package arrive here too.
        """
        await self._flush_logs()
        await self._send_log(level, message, fields)

    async def elicit(
        self, message: str, schema: type[ModelT], *, key: str | None = None
    ) -> Elicitation[ModelT]:
        """Ask the user for structured input through the client (a form of `schema`'s fields).

        `key` names the question across retries on 2026-07-28 connections; by default
        questions are numbered in the order the handler asks them, which suits any handler
        that asks the same questions in the same order each time it runs.
        """
        answer = await self.elicit_schema(message, _form_schema(schema), key=key)
        data = schema.model_validate(answer.data) if answer.accepted else None
        return Elicitation(answer.action, data)

    async def elicit_schema(
        self, message: str, schema: Mapping[str, Any], *, key: str | None = None
    ) -> Elicitation[dict[str, Any]]:
        """`elicit` with a raw JSON Schema; the accepted data is a plain dict."""
        request = elicitation_request(message, schema)
        result = await self._ask(key or self._next_key("elicit"), request, types.ElicitResult)
        data = dict(result.content or {}) if result.action == "accept" else None
        return Elicitation(result.action, data)

    async def sample(
        self,
        prompt: str | Sequence[SamplingMessage],
        *,
        max_tokens: int,
        system_prompt: str | None = None,
        temperature: float | None = None,
        key: str | None = None,
    ) -> CreateMessageResult:
        """Ask the client's model for a completion (`sampling/createMessage`)."""
        request = sampling_request(
            prompt, max_tokens=max_tokens, system_prompt=system_prompt, temperature=temperature
        )
        return await self._ask(key or self._next_key("sample"), request, CreateMessageResult)

    async def list_roots(self, *, key: str | None = None) -> list[Root]:
        """The roots (directories, say) the client exposes to the server."""
        result = await self._ask(
            key or self._next_key("roots"), roots_request(), types.ListRootsResult
        )
        return list(result.roots)

    @property
    def input_responses(self) -> Mapping[str, Any]:
        """Answers to the requests of `InputRequired`, by key, as wire JSON (multi-round style)."""
        return self._inputs.responses

    @property
    def request_state(self) -> str | None:
        """The `state` the handler gave with its last `InputRequired`, if any."""
        return self._inputs.state

    async def close_sse_stream(self) -> None:
        """On streamable HTTP, end this request's event stream; the client reconnects.

        Long calls use it to free the connection; what they send meanwhile is kept in the
        event store and replayed when the client comes back (a no-op on other transports).
        """
        close = self._request.close_sse_stream
        if close is not None and self._task is None:
            await close()

    @property
    def task_id(self) -> str | None:
        """The id of the task this call runs as, if it is one."""
        return self._task.task_id if self._task is not None else None

    async def detach(self) -> None:
        """End the request here and go on as a task the client polls.

        For a tool the spec marks `task_starts = "at_detach"`: what comes before (asking
        for input, say) belongs to the request; what comes after runs as the task. Without
        a client that asked for tasks it does nothing, and the call goes on as a request.
        """
        if self._detacher is not None:
            await self._flush_logs()
            self._task = self._detacher.detach()
            self._detacher = None

    async def batch(
        self,
        items: Iterable[ItemT],
        work: Callable[[ItemT], Awaitable[ResultT]],
        *,
        concurrency: int = 4,
        message: str | None = None,
    ) -> list[ResultT]:
        """Run `work` over `items`, at most `concurrency` at once; results in input order.

        Progress goes out as items finish. The first failure, or a cancellation, stops
        every item still running (their `finally` blocks run) and propagates.
        """
        pending = list(items)
        results: list[Any] = [None] * len(pending)
        done = 0
        limiter = anyio.Semaphore(max(1, concurrency))

        async def run(index: int, item: ItemT) -> None:
            nonlocal done
            async with limiter:
                results[index] = await work(item)
            done += 1
            await self.progress(done, len(pending), message)

        try:
            async with anyio.create_task_group() as group:
                for index, item in enumerate(pending):
                    group.start_soon(run, index, item)
        except BaseExceptionGroup as failed:
            # The first failure cancelled the other items; it, not the group, is the error
            # (a declared error must reach the client as itself).
            first = _first_failure(failed)
            if first is None:
                raise
            raise first from None
        return results

    # -- internals ------------------------------------------------------------------------

    def _next_key(self, kind: str) -> str:
        self._inputs.asked += 1
        return f"{kind}-{self._inputs.asked}"

    async def _ask(self, key: str, request: InputRequest, result_type: type[ModelT]) -> ModelT:
        await self._flush_logs()
        if self._task is not None:
            return result_type.model_validate(await self._task.request_input(request))
        if self.protocol_version in MODERN_PROTOCOL_VERSIONS:
            answer = self._inputs.responses.get(key)
            if answer is None:
                raise InputRequired({key: request}, self._inputs.state)
            try:
                return result_type.model_validate(answer)
            except ValidationError:
                raise MCPError(
                    INVALID_PARAMS, f"the input response {key!r} is not a {request.method} result"
                ) from None
        return await self._request.session.send_request(
            request,
            result_type,
            metadata=ServerMessageMetadata(related_request_id=self.request_id),
        )

    async def _send_log(self, level: LogLevel, message: str, fields: Mapping[str, Any]) -> None:
        if self._task is not None:
            return  # a task has no request to log on; its status says how it goes
        session = self._request.session
        if self.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            threshold = _session_log_levels.get(connection_of(session))
            if threshold is not None and _LOG_ORDER[level] < _LOG_ORDER[threshold]:
                return
        data: dict[str, Any] = {"message": message, **fields} if fields else {"message": message}
        # Logging is deprecated in the 2026 era but is how 2025-era clients get logs. The
        # warning fires when the coroutine is made, so only that is guarded: holding
        # catch_warnings across the await would let concurrent handlers interleave its
        # save and restore of the process-wide filters.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            sending = session.send_log_message(
                level, data, logger=self._handle.info.name, related_request_id=self.request_id
            )
        await sending

    async def _flush_logs(self) -> None:
        """Send the records the `logging` bridge collected since the last await."""
        while self._pending_logs:
            level, message = self._pending_logs.pop(0)
            await self._send_log(level, message, {})


def _form_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON Schema as an elicitation form, with each field's `$ref` inlined.

    A form's fields are primitive schemas, with no `$defs` beside them (2026-07-28 drops
    them); pydantic puts an enum field's schema in `$defs` and refers to it.
    """
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})
    fields: dict[str, Any] = {}
    for name, field in schema.get("properties", {}).items():
        ref = field.get("$ref", "")
        if ref.startswith("#/$defs/"):
            siblings = {k: v for k, v in field.items() if k != "$ref"}
            field = {**defs[ref.removeprefix("#/$defs/")], **siblings}
        fields[name] = field
    return {**schema, "properties": fields}


def _mcp_level(levelno: int) -> LogLevel:
    for number, name in _PYTHON_LEVELS:
        if levelno >= number:
            return name
    return "debug"


def _first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            found = _first_failure(error)
            if found is not None:
                return found
        elif not isinstance(error, anyio.get_cancelled_exc_class()):
            return error
    return None


class _LogBridge(logging.Handler):
    """Routes records of the server's own loggers to the client of the running request.

    `emit` cannot await, so records wait in the request's context until its next await
    (any `ctx` call, or the end of the handler): they reach the client in order and
    before the result.
    """

    def emit(self, record: logging.LogRecord) -> None:
        context = current_context.get()
        if context is None:
            return
        try:
            context._pending_logs.append((_mcp_level(record.levelno), self.format(record)))
        except Exception:
            self.handleError(record)


async def set_log_level(
    ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
) -> types.EmptyResult:
    _session_log_levels[connection_of(ctx.session)] = params.level
    return types.EmptyResult()


def install_log_bridge(namespace: str) -> None:
    bridged = logging.getLogger(namespace)
    if not any(isinstance(h, _LogBridge) for h in bridged.handlers):
        bridged.addHandler(_LogBridge())
