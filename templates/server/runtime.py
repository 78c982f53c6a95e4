"""The runtime shim of an mcpgen server: everything between the MCP SDK and the handlers.

mcpgen copies this one file verbatim into every generated package, so a generated server
never depends on mcpgen itself. Generated code imports the SDK only through this module;
handlers receive a `Context` and typed models, and never see the SDK's request plumbing.

It holds the dispatch tables (tools, resources, resource templates, prompts, completions),
argument and output validation, limits and timeouts, the handler context (progress,
cancellation, logging, sampling, elicitation, resource-change notifications), the error
boundary that keeps internals off the wire, and the stdio and streamable-HTTP entry points.
Both protocol eras are served from one code path: where the 2026-07-28 era replaces a
server-to-client request with an `InputRequiredResult` and a retry, the shim does the
round trip, so a handler reads the same on either.
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import functools
import gc
import ipaddress
import itertools
import json
import logging
import math
import os
import secrets
import socket
import sys
import time
import uuid
import warnings
import weakref
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar
from urllib.parse import urlsplit

import anyio
import anyio.abc
import anyio.lowlevel
import anyio.to_thread
import mcp_types as types
import uvicorn
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.streamable_http import (
    REQUEST_CANCELLED,
    EventCallback,
    EventMessage,
    EventStore,
    StreamableHTTPServerTransport,
)
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    ToolsListChanged,
)
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.inbound import MCP_NAME_HEADER, decode_header_value
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.path_security import contains_path_traversal, is_absolute_path
from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY, event_matches, event_to_notification
from mcp.shared.uri_template import UriTemplate
from mcp_types.methods import INPUT_REQUIRED_METHODS, is_input_required, serialize_server_result
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    RootModel,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from starlette.applications import Starlette
from starlette.routing import Route
from typing_extensions import TypeVar as DefaultTypeVar

if TYPE_CHECKING:
    from types import FrameType

    from jsonschema.protocols import Validator
    from mcp.server.auth.middleware.bearer_auth import AuthorizationContext

__all__ = [
    "ERROR_META",
    "NOT_IMPLEMENTED_META",
    "AudioContent",
    "BindTools",
    "Binding",
    "BlobResourceContents",
    "Completer",
    "ContentBlock",
    "Context",
    "CreateMessageResult",
    "DeclaredError",
    "EcmaPattern",
    "Elicitation",
    "EmbeddedResource",
    "EventLog",
    "ImageContent",
    "InputRequired",
    "Lifespan",
    "Limits",
    "LogLevel",
    "MemoryEventStore",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "PromptReturn",
    "Resource",
    "ResourceLink",
    "ResourceReturn",
    "ResourceTemplate",
    "Root",
    "SamplingMessage",
    "SdkServer",
    "ServerHandle",
    "ServerInfo",
    "TaskHandle",
    "Tasks",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolBinder",
    "ToolBusy",
    "ToolChunk",
    "ToolReturn",
    "ToolTimeout",
    "build_server",
    "elicitation_request",
    "load_tools",
    "main",
    "roots_request",
    "sampling_request",
]

RUNTIME_VERSION = "0.2.0"

# Wire types handlers may build and return; re-exported so handlers import the SDK
# through this module only.
TextContent = types.TextContent
ImageContent = types.ImageContent
AudioContent = types.AudioContent
ResourceLink = types.ResourceLink
EmbeddedResource = types.EmbeddedResource
TextResourceContents = types.TextResourceContents
BlobResourceContents = types.BlobResourceContents
PromptMessage = types.PromptMessage
SamplingMessage = types.SamplingMessage
CreateMessageResult = types.CreateMessageResult
Root = types.Root
ContentBlock: TypeAlias = types.ContentBlock
LogLevel: TypeAlias = types.LoggingLevel
InputRequest: TypeAlias = types.InputRequest
SdkServer: TypeAlias = Server[Any]

ToolReturn: TypeAlias = str | ContentBlock | Sequence[ContentBlock]
"""What a tool without an output schema returns: text, one content block, or several."""

ToolChunk: TypeAlias = str | ContentBlock
"""What a streaming tool yields: text, or a content block."""

ResourceReturn: TypeAlias = str | bytes
"""What a resource handler returns: text, or bytes sent base64-encoded as a blob."""

PromptReturn: TypeAlias = str | Sequence[PromptMessage]
"""What a prompt handler returns: text becomes one user message."""

Arguments: TypeAlias = BaseModel | Mapping[str, Any]
"""A tool's arguments as its handler gets them: its input model, or as they came."""

INVALID_PARAMS = types.INVALID_PARAMS
INTERNAL_ERROR = types.INTERNAL_ERROR
# `_meta` flag on the result of a tool whose handler is still the scaffolded stub, so tests
# (and curious clients) can tell "not written yet" from "failed".
NOT_IMPLEMENTED_META = "dev.mcpgen/not-implemented"
# `_meta` key of a tool's failure as data: {"type", "code", "message", "data"?, "retryable"?}.
ERROR_META = "dev.mcpgen/error"
# resources/read of an unknown URI: -32002 up to 2025-11-25; 2026-07-28 folded it into -32602.
RESOURCE_NOT_FOUND_LEGACY = -32002
# A handler in the multi-round style may ask for input this many times in one call.
MAX_INPUT_ROUNDS = 16

logger = logging.getLogger("mcpgen.runtime")

ModelT = TypeVar("ModelT", bound=BaseModel)
OutputT = TypeVar("OutputT")
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
NumberT = TypeVar("NumberT", int, float)
StateT = DefaultTypeVar("StateT", covariant=True, default=None)


# -- errors ------------------------------------------------------------------------------


class DeclaredError(Exception):
    """Base of the error types a spec declares; raised in a handler, reaches the client.

    A tool that raises one answers with an `isError` result carrying the message as text and
    the error as structured content (`{"error": {...}}`), unless the type is declared
    `jsonrpc`, when (like an error anywhere outside a tool) it becomes a JSON-RPC error with
    its code.
    """

    error_type: ClassVar[str] = "DeclaredError"
    code: ClassVar[int] = -32000
    message_template: ClassVar[str] = ""
    jsonrpc: ClassVar[bool] = False
    retryable: ClassVar[bool] = False

    def __init__(self, data: BaseModel | None = None, *, message: str | None = None) -> None:
        self.data = data
        fields = data.model_dump(mode="json", by_alias=True) if data is not None else {}
        self.message = message if message is not None else self.message_template.format_map(fields)
        super().__init__(self.message)

    def to_mcp_error(self) -> MCPError:
        """The JSON-RPC error form: the code, the message, and the typed data as `data`."""
        return MCPError(self.code, self.message, to_json(self.data) if self.data else None)

    def to_json(self) -> dict[str, Any]:
        """The structured form sent in a tool's `isError` result."""
        body: dict[str, Any] = {"type": self.error_type, "code": self.code, "message": self.message}
        if self.retryable:
            body["retryable"] = True
        if self.data is not None:
            body["data"] = to_json(self.data)
        return body


class _RetryAfter(BaseModel):
    retry_after: float


class ToolBusy(DeclaredError):
    """A call went over a concurrency or rate limit and was refused; it may be retried."""

    error_type = "ToolBusy"
    code = -32050
    retryable = True

    def __init__(self, limit: str, retry_after: float) -> None:
        super().__init__(
            _RetryAfter(retry_after=round(retry_after, 3)),
            message=f"{limit} is busy; retry in {retry_after:.2f} s",
        )


class ToolTimeout(DeclaredError):
    """A call ran longer than its tool's timeout and was stopped."""

    error_type = "ToolTimeout"
    code = -32051
    retryable = True

    def __init__(self, tool: str, seconds: float) -> None:
        super().__init__(None, message=f"Tool {tool!r} timed out after {seconds:g} s")


class InputRequired(Exception):
    """Raised by a handler that needs the client's input before it can answer.

    The multi-round style of the 2026-07-28 protocol: the handler names each request with a
    key, may carry opaque `state`, and reads the answers from `ctx.input_responses` and
    `ctx.request_state` when it runs again. On 2026-07-28 connections the shim sends an
    `InputRequiredResult` and the client retries; on older ones the shim sends the requests
    to the client itself and runs the handler again. `ctx.elicit`, `ctx.sample` and
    `ctx.list_roots` do all of this for a handler written straight through.
    """

    def __init__(self, requests: Mapping[str, InputRequest], state: str | None = None) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests = dict(requests)
        self.state = state


def elicitation_request(message: str, schema: Mapping[str, Any]) -> InputRequest:
    """A request for the user to fill in a form of `schema`'s fields (for `InputRequired`)."""
    return types.ElicitRequest(
        params=types.ElicitRequestFormParams(message=message, requested_schema=dict(schema))
    )


def sampling_request(
    prompt: str | Sequence[SamplingMessage],
    *,
    max_tokens: int,
    system_prompt: str | None = None,
    temperature: float | None = None,
) -> InputRequest:
    """A request for a completion by the client's model (for `InputRequired`)."""
    messages = (
        [types.SamplingMessage(role="user", content=types.TextContent(text=prompt))]
        if isinstance(prompt, str)
        else list(prompt)
    )
    return types.CreateMessageRequest(
        params=types.CreateMessageRequestParams(
            messages=messages,
            max_tokens=max_tokens,
            system_prompt=system_prompt,
            temperature=temperature,
        )
    )


def roots_request() -> InputRequest:
    """A request for the client's roots (for `InputRequired`)."""
    return types.ListRootsRequest()


# -- the handler context -----------------------------------------------------------------


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
_current: contextvars.ContextVar[Context[Any] | None] = contextvars.ContextVar(
    "mcpgen_context", default=None
)


def _wants_progress(request: ServerRequestContext[Any, Any]) -> bool:
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


def _connection_of(session: object) -> Any:
    """The object that lives as long as the client's connection.

    `ctx.session` is a new proxy for every request; SDK 2.3 keeps the connection it
    proxies in a private attribute, and exposes no public per-connection state.
    """
    return getattr(session, "_connection", session)


@dataclass(frozen=True, slots=True)
class Elicitation(Generic[OutputT]):
    """The client's answer to `ctx.elicit`: accepted with data, declined, or cancelled."""

    action: Literal["accept", "decline", "cancel"]
    data: OutputT | None

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


class _Inputs:
    """Answers the client gave so far in a multi-round call, and the handler's own state."""

    __slots__ = ("asked", "responses", "state")

    def __init__(self, responses: dict[str, Any], state: str | None) -> None:
        self.responses = responses
        self.state = state
        self.asked = 0

    @classmethod
    def from_params(cls, params: Any) -> _Inputs:
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
        "_progress_sent_at",
        "_request",
        "_task",
    )

    def __init__(
        self,
        request: ServerRequestContext[Any, Any],
        handle: ServerHandle,
        inputs: _Inputs | None = None,
        mode: TaskHandle | Detacher | None = None,
    ) -> None:
        self._request = request
        self._handle = handle
        self._inputs = inputs if inputs is not None else _Inputs({}, None)
        self._last_progress: float | None = None
        self._progress_sent_at = -math.inf
        self._pending_logs: list[tuple[LogLevel, str]] = []
        # Set while the call runs as a task: input and progress go through the task then,
        # since the request (and on HTTP its connection) is gone.
        self._task: TaskHandle | None = mode if isinstance(mode, TaskHandle) else None
        self._detacher: Detacher | None = mode if isinstance(mode, Detacher) else None

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
        return anyio.current_effective_deadline() == -math.inf

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
        answer = await self.elicit_schema(message, schema.model_json_schema(), key=key)
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
            threshold = _session_log_levels.get(_connection_of(session))
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
        context = _current.get()
        if context is None:
            return
        try:
            context._pending_logs.append((_mcp_level(record.levelno), self.format(record)))
        except Exception:
            self.handleError(record)


# -- definitions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Identity of the server as the spec declares it."""

    name: str
    version: str
    title: str | None = None
    description: str | None = None
    instructions: str | None = None
    website_url: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency and rate limits of one tool, or of every tool call of the server."""

    max_concurrency: int | None = None
    rate_limit: tuple[int, float] | None = None  # (calls, per seconds)
    when_busy: Literal["wait", "reject"] = "wait"
    max_wait: float = 30.0


@dataclass(frozen=True, slots=True)
class Binding(Generic[ModelT]):
    """How a tool runs: its input model, its handler, and the limits it runs under.

    A server binds its tools on the first tool call, not at start-up: a large API's models
    and handler modules take seconds to import, and listing the tools needs none of them.
    Without an input model (`None`), the handler gets the arguments as they came, already
    checked against the tool's input schema: a generated HTTP handler sends them on so.
    """

    input_model: type[ModelT] | None
    handler: Callable[[Context[Any], ModelT], Any]
    _: KW_ONLY
    limits: Limits | None = None
    timeout: float | None = None
    validate_output: bool = True
    stream: bool = False
    task_starts: Literal["at_once", "at_detach"] = "at_once"


class Tool:
    """A tool as advertised (its wire definition, as data) and, once bound, how it runs."""

    __slots__ = ("_checks", "binding", "definition", "input_schema", "name", "output_schema")

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.name: str = definition["name"]
        self.input_schema: Mapping[str, Any] = definition["inputSchema"]
        self.output_schema: Mapping[str, Any] | None = definition.get("outputSchema")
        self.binding: Binding[Any] | None = None
        self._checks: dict[str, _SchemaCheck] = {}

    @property
    def task_support(self) -> TaskSupport:
        support: TaskSupport = (self.definition.get("execution") or {}).get(
            "taskSupport", "forbidden"
        )
        return support

    def validation_errors(self, arguments: Mapping[str, Any]) -> list[str]:
        """Where `arguments` break the advertised input schema, one readable line each."""
        return self._check("arguments", self.input_schema).errors(arguments)

    def output_errors(self, structured: Mapping[str, Any]) -> list[str]:
        """Where a structured result breaks the advertised output schema."""
        assert self.output_schema is not None
        return self._check("result", self.output_schema).errors(structured)

    def _check(self, what: str, schema: Mapping[str, Any]) -> _SchemaCheck:
        check = self._checks.get(what)
        if check is None:
            check = self._checks[what] = _SchemaCheck(schema, what)
        return check


class ToolBinder:
    """What a server's `bind_tools` gets on the first tool call: the tools as advertised,
    and where to hand what binding opened (an HTTP client, say) to be closed at shutdown."""

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = tools
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def at_exit(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run `close` when the server stops (after the lifespan), or a connection ends."""
        self._closers.append(close)

    async def close(self) -> None:
        for close in reversed(self._closers):
            await close()


BindTools: TypeAlias = Callable[[ToolBinder], Mapping[str, Binding[Any]]]
"""Binds every tool: name -> `Binding`. Generated as `server.bind_tools`."""


def load_tools(package: str | None, resource: str = "tools.json") -> list[dict[str, Any]]:
    """The tool definitions `tools/list` answers with, from the JSON file beside server.py.

    The file holds each `$defs` entry once (`"defs"`), and each schema's `$defs` names the
    entries it uses by index: GitHub's API takes 3.2 MB so, 8.8 MB spelled out per tool,
    and loads in a tenth of the time. Tools share the entries, which nothing mutates.
    """
    from importlib.resources import files

    assert package is not None, "called from a module of the generated package"
    document = json.loads(files(package).joinpath(resource).read_bytes())
    shared: list[Any] = document["defs"]
    tools: list[dict[str, Any]] = document["tools"]
    for tool in tools:
        for key in ("inputSchema", "outputSchema"):
            schema = tool.get(key)
            if schema is not None and "$defs" in schema:
                schema["$defs"] = {name: shared[at] for name, at in schema["$defs"].items()}
    return tools


class _SchemaCheck:
    """Checks values against one JSON Schema (2020-12), fast when they are valid.

    jsonschema is the judge, but it costs ~10 µs for even a small object, twice per call
    (arguments and result): most of what a generated server adds to a call. So schemas made
    only of the common keywords are also compiled to plain Python predicates (`_compile`)
    that accept a valid value in ~1 µs; jsonschema runs only when the predicate says no,
    and then its verdict and its messages are the ones that count. A predicate may wrongly
    say no (it only costs time), never wrongly yes.
    """

    __slots__ = ("_quick", "_schema", "_validator", "_what")

    def __init__(self, schema: Mapping[str, Any], what: str = "value") -> None:
        self._schema = dict(schema)
        self._what = what  # what a message calls the value itself: "arguments", "result"
        self._quick = _compile(self._schema, self._schema, {})
        self._validator: Validator | None = None

    def errors(self, value: Any) -> list[str]:
        if self._quick is not None and self._quick(value):
            return []
        validator = self._validator
        if validator is None:
            validator = self._validator = _ecma_validator()(self._schema)
        if validator.is_valid(value):
            return []
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
        return [f"{_json_path(e.absolute_path, self._what)}: {e.message}" for e in errors]


Predicate: TypeAlias = Callable[[Any], bool]


# JSON Schema reads `pattern` and `patternProperties` as ECMA-262 regular expressions built
# with the `u` flag (2020-12 core, "Regular Expressions"; the official test suite's
# ecmascript-regex cases): `\p{L}` matches letters, `\d` only ASCII digits, `$` never before
# a trailing newline. Python's `re` (jsonschema's own choice) and pydantic's Rust engine
# differ on each, so every pattern here is run by regress, an ECMA-262 engine. mcpgen
# checks each one compiles so when it generates.
_ECMA_FLAGS = "u"
# An advertised output schema carries a pattern Python's `re` cannot read under this key
# (mcpgen moves it there: the SDK's client checks results with jsonschema, whose `re`
# refuses `\p{L}`); the checks here read it as `pattern`.
ECMA_PATTERN_KEYWORD = "x-ecma262-pattern"


@functools.lru_cache(maxsize=1024)
def _ecma_search(pattern: str) -> Callable[[str], bool]:
    """Whether `pattern` matches somewhere in a string (JSON Schema patterns are not anchored)."""
    import regress

    find = regress.Regex(pattern, _ECMA_FLAGS).find
    return lambda text: find(text) is not None


@functools.cache
def _ecma_validator() -> type[Validator]:
    """jsonschema's 2020-12 validator with every keyword that runs a pattern running it as
    ECMA-262: `pattern`, `patternProperties`, and `additionalProperties` (which tells the
    names `patternProperties` covers)."""
    # jsonschema costs ~60 ms to import: pay for it on first use, not at start-up.
    from jsonschema import Draft202012Validator, validators
    from jsonschema import ValidationError as Violation

    def pattern(
        validator: Any, regex: str, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if validator.is_type(instance, "string") and not _ecma_search(regex)(instance):
            yield Violation(f"{instance!r} does not match {regex!r}")

    def pattern_properties(
        validator: Any, regexes: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if validator.is_type(instance, "object"):
            for regex, subschema in regexes.items():
                for name, value in instance.items():
                    if _ecma_search(regex)(name):
                        yield from validator.descend(value, subschema, path=name, schema_path=regex)

    def additional_properties(
        validator: Any, extra: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        regexes = [_ecma_search(regex) for regex in schema.get("patternProperties", {})]
        others = [n for n in instance if n not in known and not any(m(n) for m in regexes)]
        if validator.is_type(extra, "object"):
            for name in others:
                yield from validator.descend(instance[name], extra, path=name)
        elif not extra and others:
            # jsonschema's own messages, word for word.
            listed = ", ".join(repr(name) for name in sorted(others))
            if regexes:
                verb = "does" if len(others) == 1 else "do"
                shown = ", ".join(repr(r) for r in sorted(schema["patternProperties"]))
                yield Violation(f"{listed} {verb} not match any of the regexes: {shown}")
            else:
                were = "was" if len(others) == 1 else "were"
                yield Violation(
                    f"Additional properties are not allowed ({listed} {were} unexpected)"
                )

    extended: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        {
            "pattern": pattern,
            ECMA_PATTERN_KEYWORD: pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )
    return extended


@dataclass(frozen=True)
class EcmaPattern:
    r"""A model field's JSON Schema `pattern`, matched as ECMA-262 like the schema checks.

    The generated models carry it in place of pydantic's `pattern=`, whose Rust engine reads
    `\d` and `\w` as Unicode classes and refuses lookarounds at import: a value the schema
    check accepted must not fail again in the model.
    """

    regex: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        matches = _ecma_search(self.regex)
        regex = self.regex

        def check(value: Any) -> Any:
            if isinstance(value, str) and not matches(value):
                raise ValueError(f"{value!r} does not match {regex!r}")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = handler(schema)
        if shown.get("type") == "string":
            shown["pattern"] = self.regex
        return shown


# Keywords that only annotate: they never make a value invalid (no format checker is used).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "$anchor",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "format",
        "readOnly",
        "writeOnly",
        "deprecated",
        "contentMediaType",
        "contentEncoding",
    }
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_TESTS: dict[str, Predicate] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _compile(
    schema: Any, root: Mapping[str, Any], refs: dict[str, Predicate | None]
) -> Predicate | None:
    """A predicate true only of values valid under `schema`, or None if it uses keywords
    beyond the common ones (then jsonschema alone decides)."""
    if isinstance(schema, bool):
        verdict = schema
        return lambda v: verdict
    if not isinstance(schema, dict):
        return None
    tests: list[Predicate] = []
    for key, value in schema.items():
        test = _keyword(key, value, schema, root, refs)
        if test is _UNSUPPORTED:
            return None
        if test is not None:
            tests.append(test)
    return _all_of(tests)


def _all_of(tests: Sequence[Predicate]) -> Predicate:
    # Plain loops and closures: a generator per call costs more than the checks themselves.
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)

    def every(v: Any) -> bool:
        for test in tests:  # noqa: SIM110 - all() over a generator is the slow way here
            if not test(v):
                return False
        return True

    return every


def _unsupported(_: Any) -> bool:
    return False


_UNSUPPORTED: Predicate = _unsupported


def _keyword(
    key: str,
    value: Any,
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    refs: dict[str, Predicate | None],
) -> Predicate | None:
    """The predicate of one keyword; None for annotations; `_UNSUPPORTED` to give up."""
    if key == "type":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(n in _TYPE_TESTS for n in names):
            return _UNSUPPORTED
        accepted = [_TYPE_TESTS[n] for n in names]
        if len(accepted) == 1:
            return accepted[0]
        return lambda v: any(test(v) for test in accepted)
    if key in ("enum", "const"):
        options = value if key == "enum" else [value]
        if not isinstance(options, list):
            return _UNSUPPORTED
        return lambda v: any(_json_equal(v, option) for option in options)
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if not _is_number(value):
            return _UNSUPPORTED
        bound = value
        if key == "minimum":
            return lambda v: not _is_number(v) or v >= bound
        if key == "maximum":
            return lambda v: not _is_number(v) or v <= bound
        if key == "exclusiveMinimum":
            return lambda v: not _is_number(v) or v > bound
        return lambda v: not _is_number(v) or v < bound
    if key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        if not isinstance(value, int) or isinstance(value, bool):
            return _UNSUPPORTED
        kind = {"L": str, "I": list, "P": dict}[key[3]]
        low = key.startswith("min")
        return lambda v: not isinstance(v, kind) or (len(v) >= value if low else len(v) <= value)
    if key in ("pattern", ECMA_PATTERN_KEYWORD):
        if not isinstance(value, str):
            return _UNSUPPORTED
        matches = _ecma_search(value)
        return lambda v: not isinstance(v, str) or matches(v)
    if key == "required":
        if not isinstance(value, list):
            return _UNSUPPORTED
        names = tuple(value)

        def has_required(v: Any) -> bool:
            if isinstance(v, dict):
                for name in names:
                    if name not in v:
                        return False
            return True

        return has_required
    if key == "properties":
        if not isinstance(value, dict):
            return _UNSUPPORTED
        compiled = {name: _compile(sub, root, refs) for name, sub in value.items()}
        if any(c is None for c in compiled.values()):
            return _UNSUPPORTED
        checks = [(name, c) for name, c in compiled.items() if c is not None]

        def properties_valid(v: Any) -> bool:
            if isinstance(v, dict):
                for name, check in checks:
                    if name in v and not check(v[name]):
                        return False
            return True

        return properties_valid
    if key == "additionalProperties":
        if "patternProperties" in schema:
            return _UNSUPPORTED
        known = frozenset(schema.get("properties", {}))
        extra = _compile(value, root, refs)
        if extra is None:
            return _UNSUPPORTED

        def others_valid(v: Any) -> bool:
            if isinstance(v, dict):
                for name, item in v.items():
                    if name not in known and not extra(item):
                        return False
            return True

        return others_valid
    if key == "items":
        each = _compile(value, root, refs)
        if each is None or "prefixItems" in schema:
            return _UNSUPPORTED

        def items_valid(v: Any) -> bool:
            if isinstance(v, list):
                for item in v:
                    if not each(item):
                        return False
            return True

        return items_valid
    if key in ("anyOf", "oneOf", "allOf"):
        if not isinstance(value, list) or not value:
            return _UNSUPPORTED
        branches = [_compile(sub, root, refs) for sub in value]
        if any(b is None for b in branches):
            return _UNSUPPORTED
        ready = [b for b in branches if b is not None]
        if key == "anyOf":
            return lambda v: any(b(v) for b in ready)
        if key == "allOf":
            return lambda v: all(b(v) for b in ready)
        return lambda v: sum(1 for b in ready if b(v)) == 1
    if key == "$ref":
        return _reference(value, root, refs)
    return None if key in _ANNOTATIONS or key.startswith("x-") else _UNSUPPORTED


def _reference(ref: Any, root: Mapping[str, Any], refs: dict[str, Predicate | None]) -> Predicate:
    """A `#/$defs/Name` reference, compiled once (and lazily, so recursion works)."""
    if not isinstance(ref, str) or not ref.startswith(("#/$defs/", "#/definitions/")):
        return _UNSUPPORTED
    container, name = ref[2:].split("/", 1)
    if "/" in name or "~" in name:
        return _UNSUPPORTED
    target = root.get(container, {}).get(name)
    if target is None:
        return _UNSUPPORTED
    if ref not in refs:
        refs[ref] = None  # a cycle reaching back here resolves through the lookup below
        refs[ref] = _compile(target, root, refs)
        if refs[ref] is None:
            return _UNSUPPORTED

    def follow(v: Any) -> bool:
        compiled = refs[ref]
        return compiled is not None and compiled(v)

    return follow


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A static resource at a fixed URI, served from `text` or by a handler."""

    uri: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    handler: Callable[[Context[Any]], Awaitable[ResourceReturn]] | None = None
    text: str | None = None
    subscribe: bool = False
    meta: Mapping[str, Any] | None = None

    def definition(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
            _meta=dict(self.meta) if self.meta else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceTemplate(Generic[ModelT]):
    """An RFC 6570 URI template whose variables are validated into a typed model."""

    uri_template: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    params_model: type[ModelT]
    handler: Callable[[Context[Any], ModelT], Awaitable[ResourceReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)
    subscribe: bool = False
    meta: Mapping[str, Any] | None = None
    _parsed: list[UriTemplate] = field(default_factory=list, init=False, repr=False)

    def definition(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
            _meta=dict(self.meta) if self.meta else None,
        )

    @property
    def parsed(self) -> UriTemplate:
        if not self._parsed:
            self._parsed.append(UriTemplate.parse(self.uri_template))
        return self._parsed[0]

    def match(self, uri: str) -> dict[str, str | list[str]] | None:
        """The template's variables in `uri`, or None when the URI is not one of its own.

        Raises MCPError for a match whose values try to leave their place: a `..`
        segment, an absolute path or a NUL byte (after percent-decoding) in any variable
        outside the query.
        """
        variables = self.parsed.match(uri)
        if variables is None:
            return None
        query = self.parsed.query_variable_names
        for name, value in variables.items():
            for part in [value] if isinstance(value, str) else value:
                unsafe = "\x00" in part or (
                    name not in query and (contains_path_traversal(part) or is_absolute_path(part))
                )
                if unsafe:
                    raise MCPError(
                        INVALID_PARAMS,
                        f"Invalid resource URI {uri!r}: {name!r} may not hold a path that "
                        "leaves its place",
                    )
        return variables


@dataclass(frozen=True, slots=True)
class PromptArgument:
    name: str
    description: str | None
    required: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Prompt(Generic[ModelT]):
    """A prompt template with typed arguments."""

    name: str
    title: str | None
    description: str | None
    arguments: Sequence[PromptArgument]
    arguments_model: type[ModelT]
    handler: Callable[[Context[Any], ModelT], Awaitable[PromptReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)
    meta: Mapping[str, Any] | None = None

    def definition(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
            _meta=dict(self.meta) if self.meta else None,
        )


Completer: TypeAlias = Callable[[Context[Any], str, Mapping[str, str]], Awaitable[Sequence[str]]]
"""Suggests values for one argument: `(ctx, partial value, other arguments) -> values`."""

Lifespan: TypeAlias = Callable[["ServerHandle"], AbstractAsyncContextManager[Any]]
"""The user's lifespan: set up state at start-up, yield it, tear it down at shutdown."""

MAX_COMPLETION_VALUES = 100


# -- JSON --------------------------------------------------------------------------------


def to_json(model: BaseModel) -> dict[str, Any]:
    """A model as JSON, leaving out optional fields that are None.

    Omitting them (rather than sending null) keeps the result valid for schemas whose
    optional properties are not nullable; a required field is always sent, null or not.
    """
    data = model.model_dump(mode="json", by_alias=True)
    _drop_optional_nones(model, data)
    return data


def _drop_optional_nones(value: Any, data: Any) -> None:
    if isinstance(value, RootModel):
        _drop_optional_nones(value.root, data)
    elif isinstance(value, BaseModel) and isinstance(data, dict):
        for name, key, required in _field_facts(type(value)):
            # A model built with `model_construct` may lack a field: the output check says so.
            attribute = getattr(value, name, None)
            if attribute is None:
                if not required:
                    data.pop(key, None)
            elif key in data and not isinstance(attribute, _SCALARS):
                _drop_optional_nones(attribute, data[key])
    elif isinstance(value, (list, tuple)) and isinstance(data, list):
        for item, dumped in zip(value, data, strict=False):
            _drop_optional_nones(item, dumped)
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in value.items():
            if key in data:
                _drop_optional_nones(item, data[key])


_SCALARS = (str, int, float, bool)
_FIELD_FACTS: dict[type[BaseModel], list[tuple[str, str, bool]]] = {}


def _field_facts(model: type[BaseModel]) -> list[tuple[str, str, bool]]:
    """(attribute, JSON key, required) of each field of a model class, computed once."""
    facts = _FIELD_FACTS.get(model)
    if facts is None:
        facts = _FIELD_FACTS[model] = [
            (name, info.alias or name, info.is_required())
            for name, info in model.model_fields.items()
        ]
    return facts


def _json_path(path: Sequence[str | int], whole: str) -> str:
    """Where in a value a problem is (`items[2].name`); `whole` names the value itself."""
    if not path:
        return whole
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _pydantic_errors(error: ValidationError, whole: str) -> list[str]:
    return [f"{_json_path(e['loc'], whole)}: {e['msg']}" for e in error.errors()]


def _text_result(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


def _error_result(error: DeclaredError, tool: Tool) -> types.CallToolResult:
    """A tool's failure: the message for the model, the error as data for the client.

    The data goes in `_meta` always, and in `structuredContent` too when the tool declares
    no output schema: clients such as the TypeScript SDK check any structured content
    against the output schema, error or not.
    """
    body = error.to_json()
    return types.CallToolResult(
        content=[types.TextContent(text=error.message)],
        structured_content={"error": body} if tool.output_schema is None else None,
        is_error=True,
        _meta={ERROR_META: body},
    )


def _incident(what: str) -> str:
    """Log the exception being handled under a fresh reference the client may quote."""
    reference = uuid.uuid4().hex[:12]
    logger.exception("%s failed (reference %s)", what, reference)
    return reference


def _tool_content(value: object) -> list[ContentBlock]:
    if isinstance(value, str):
        return [types.TextContent(text=value)]
    if isinstance(value, Sequence):
        return list(value)
    return [value]  # type: ignore[list-item]


# -- limits ------------------------------------------------------------------------------


class _Limiter:
    """Admits calls under one `Limits`: a concurrency cap and a sliding-window rate."""

    def __init__(self, what: str, limits: Limits) -> None:
        self.what = what
        self.limits = limits
        self._slots = anyio.Semaphore(limits.max_concurrency) if limits.max_concurrency else None
        self._recent: deque[float] = deque()

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        limits = self.limits
        patience = limits.max_wait if limits.when_busy == "wait" else 0.0
        deadline = time.monotonic() + patience
        if limits.rate_limit is not None:
            calls, per = limits.rate_limit
            while True:
                now = time.monotonic()
                while self._recent and self._recent[0] <= now - per:
                    self._recent.popleft()
                if len(self._recent) < calls:
                    self._recent.append(now)
                    break
                free_at = self._recent[0] + per
                if free_at > deadline:
                    raise ToolBusy(self.what, free_at - now)
                await anyio.sleep(free_at - now)
        if self._slots is None:
            yield
            return
        acquired = False
        if patience == 0.0:
            try:
                self._slots.acquire_nowait()
                acquired = True
            except anyio.WouldBlock:
                pass
        else:
            # Only the wait is bounded: the call itself runs outside this scope.
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                await self._slots.acquire()
                acquired = True
        if not acquired:
            raise ToolBusy(self.what, 1.0)
        try:
            yield
        finally:
            self._slots.release()


# -- the server handle: notifications outside a request -----------------------------------


class ServerHandle:
    """The running server, for code outside a single request (the lifespan, background work).

    `resource_updated(uri)` tells every client subscribed to `uri` that it changed: 2025-era
    clients that called `resources/subscribe`, and 2026-07-28 clients listening with
    `subscriptions/listen`.
    """

    def __init__(self, info: ServerInfo) -> None:
        self.info = info
        self.bus = InMemorySubscriptionBus()
        self._subscribers: dict[str, weakref.WeakSet[Any]] = {}
        # 2025-era connections seen so far, for list-change notifications.
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()

    async def resource_updated(self, uri: str) -> None:
        """Notify the subscribers of `uri` that its content changed."""
        for connection in list(self._subscribers.get(uri, ())):
            if not await _send_quietly(connection.send_resource_updated(uri)):
                self._subscribers[uri].discard(connection)
        await self.bus.publish(ResourceUpdated(uri=uri))

    async def tools_changed(self) -> None:
        """Tell every client that the tool list changed."""
        await self._list_changed("send_tool_list_changed", ToolsListChanged())

    async def prompts_changed(self) -> None:
        """Tell every client that the prompt list changed."""
        await self._list_changed("send_prompt_list_changed", PromptsListChanged())

    async def resources_changed(self) -> None:
        """Tell every client that the resource list changed."""
        await self._list_changed("send_resource_list_changed", ResourcesListChanged())

    async def _list_changed(self, method: str, event: ServerEvent) -> None:
        for connection in list(self._connections):
            if not await _send_quietly(getattr(connection, method)()):
                self._connections.discard(connection)
        await self.bus.publish(event)

    def seen(self, ctx: ServerRequestContext[Any, Any]) -> None:
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            self._connections.add(_connection_of(ctx.session))

    def subscribe(self, uri: str, connection: Any) -> None:
        self._subscribers.setdefault(uri, weakref.WeakSet()).add(connection)

    def unsubscribe(self, uri: str, connection: Any) -> None:
        subscribers = self._subscribers.get(uri)
        if subscribers is not None:
            subscribers.discard(connection)
            if not subscribers:
                del self._subscribers[uri]


async def _send_quietly(sending: Awaitable[None]) -> bool:
    """Send a notification; False when the connection is gone."""
    try:
        await sending
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
        return False
    return True


# -- dispatch ----------------------------------------------------------------------------

_NO_TOOLS = types.ListToolsResult(tools=[])

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
    envelope = _NO_TOOLS.model_dump(by_alias=True, mode="json", exclude_none=True)
    result = {**envelope, "tools": tools}
    sieved: list[dict[str, Any]] = serialize_server_result("tools/list", version, result)["tools"]
    return sieved


class _Dispatcher:
    """The request handlers registered with the SDK `Server`."""

    def __init__(
        self,
        handle: ServerHandle,
        tools: Sequence[Mapping[str, Any]],
        bind_tools: BindTools | None,
        resources: Sequence[Resource],
        templates: Sequence[ResourceTemplate[Any]],
        prompts: Sequence[Prompt[Any]],
        limits: Limits | None,
        tasks: Tasks | None,
    ) -> None:
        self.handle = handle
        self.tasks = tasks
        self.tools = {tool.name: tool for tool in map(Tool, tools)}
        self.binder = ToolBinder(self.tools)
        self._bind_tools = bind_tools
        self._binding: anyio.Lock | None = None  # made in the loop that first binds
        self.resources = {r.uri: r for r in resources}
        # The generator orders templates most specific first, so the first match wins.
        self.templates = list(templates)
        self.prompts = {p.name: p for p in prompts}
        self.server_limiter = _Limiter("the server", limits) if limits is not None else None
        self.limiters: dict[str, _Limiter] = {}  # of the tools that have limits, once bound
        self._tool_definitions = list(tools)
        self._wire_tools: dict[str, list[dict[str, Any]]] = {}  # per protocol version
        self._resource_list = types.ListResourcesResult(
            resources=[r.definition() for r in resources]
        )
        self._template_list = types.ListResourceTemplatesResult(
            resource_templates=[t.definition() for t in templates]
        )
        self._prompt_list = types.ListPromptsResult(prompts=[p.definition() for p in prompts])

    async def _run(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: Any,
        call: Callable[[Context[Any]], Awaitable[OutputT]],
        mode: TaskHandle | Detacher | None = None,
    ) -> OutputT | types.InputRequiredResult:
        """Run a handler in its context, doing the rounds of input it asks for.

        On 2026-07-28 a request for input ends the call with an `InputRequiredResult` (the
        client answers and retries); on older connections, and in a task, the shim asks
        the client itself and runs the handler again with the answers.
        """
        self.handle.seen(ctx)
        inputs = _Inputs.from_params(params)
        for _ in range(MAX_INPUT_ROUNDS):
            context: Context[Any] = Context(ctx, self.handle, inputs, mode)
            token = _current.set(context)
            try:
                value = await call(context)
                if context._pending_logs:
                    await context._flush_logs()
                return value
            except InputRequired as needed:
                await context._flush_logs()
                task = context._task
                if task is None and ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
                    return types.InputRequiredResult(
                        input_requests=needed.requests, request_state=inputs.seal(needed.state)
                    )
                for key, request in needed.requests.items():
                    if task is not None:
                        answer = await task.request_input(request)
                    else:
                        answer = (
                            await ctx.session.send_request(
                                request,
                                _RESULT_TYPES[request.method],
                                metadata=ServerMessageMetadata(related_request_id=ctx.request_id),
                            )
                        ).model_dump(mode="json", by_alias=True, exclude_none=True)
                    inputs.responses[key] = answer
                inputs = _Inputs(inputs.responses, needed.state)
                mode = task if task is not None else mode  # a detached call stays a task
            finally:
                _current.reset(token)
        raise MCPError(INTERNAL_ERROR, f"the handler asked for input {MAX_INPUT_ROUNDS} times")

    # -- tools ---------------------------------------------------------------------------

    async def list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        # The envelope only: the SDK checks and shapes it like any result, and the boundary
        # puts the tools in afterwards (`wire_tools`).
        return _NO_TOOLS

    def wire_tools(self, version: str) -> list[dict[str, Any]]:
        """The tools as the SDK sends them on a `version` connection; made once per version."""
        wire = self._wire_tools.get(version)
        if wire is None:
            wire = self._wire_tools[version] = sieve_tools(self._tool_definitions, version)
        return wire

    async def _bind(self, tool: Tool) -> Binding[Any]:
        """How `tool` runs, on its first call: the first call of any tool binds them all.

        Binding imports the models and the handler modules (seconds, for a server of a
        thousand tools), so it runs in a worker thread: the event loop goes on answering
        other requests meanwhile.
        """
        if self._binding is None:
            self._binding = anyio.Lock()  # the first calls, arriving together, bind once
        async with self._binding:
            if tool.binding is None:
                if self._bind_tools is None:
                    raise RuntimeError("the server has tools but no bind_tools")
                bindings = await anyio.to_thread.run_sync(self._bind_tools, self.binder)
                for name, binding in bindings.items():
                    self.tools[name].binding = binding
                    if binding.limits is not None:
                        self.limiters[name] = _Limiter(f"tool {name!r}", binding.limits)
            if tool.binding is None:
                raise RuntimeError(f"bind_tools did not bind the tool {tool.name!r}")
            return tool.binding

    def tool_input_schema(self, name: str) -> Mapping[str, Any] | None:
        tool = self.tools.get(name)
        return dict(tool.input_schema) if tool is not None else None

    async def call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> HandlerResult:
        tool = self.tools.get(params.name)
        if tool is None:
            # -32602 up to 2025-11-25; 2026-07-28 clients (and the conformance suite) expect
            # a result they can show the model, as for any other failed call.
            if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
                return _text_result(f"Unknown tool: {params.name}", is_error=True)
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {params.name}")
        arguments = params.arguments or {}
        problems = tool.validation_errors(arguments)
        if problems:
            return _text_result(
                f"Invalid arguments for tool {tool.name!r}:\n- " + "\n- ".join(problems),
                is_error=True,
            )
        binding = tool.binding or await self._bind(tool)
        args: Arguments = arguments
        if binding.input_model is not None:
            try:
                args = binding.input_model.model_validate(arguments)
            except ValidationError as error:
                return _text_result(
                    f"Invalid arguments for tool {tool.name!r}:\n- "
                    + "\n- ".join(_pydantic_errors(error, "arguments")),
                    is_error=True,
                )
        if tool.task_support != "forbidden" and self.tasks is not None:
            started = await self.tasks.call(
                ctx,
                tool.name,
                tool.task_support,
                binding.task_starts,
                lambda mode: self._complete(ctx, params, tool, binding, args, mode),
            )
            if started is not None:
                return started
        return await self._complete(ctx, params, tool, binding, args, None)

    async def _complete(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: types.CallToolRequestParams,
        tool: Tool,
        binding: Binding[Any],
        args: Arguments,
        mode: TaskHandle | Detacher | None,
    ) -> types.CallToolResult | types.InputRequiredResult:
        """Run the tool's handler, under its limits, and make its result or its error."""
        try:
            if self.server_limiter is None and tool.name not in self.limiters:
                value = await self._run(
                    ctx, params, lambda context: _invoke(tool.name, binding, context, args), mode
                )
            else:
                async with self._admit(tool):
                    value = await self._run(
                        ctx,
                        params,
                        lambda context: _invoke(tool.name, binding, context, args),
                        mode,
                    )
        except DeclaredError as error:
            if error.jsonrpc:
                raise error.to_mcp_error() from None
            return _error_result(error, tool)
        except NotImplementedError as error:
            detail = f": {error}" if str(error) else ""
            return types.CallToolResult(
                content=[
                    types.TextContent(text=f"Tool {tool.name!r} is not implemented yet{detail}")
                ],
                is_error=True,
                _meta={NOT_IMPLEMENTED_META: True},
            )
        except (MCPError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            reference = _incident(f"tool {tool.name!r}")
            return _text_result(
                f"Tool {tool.name!r} failed with an internal error (reference {reference}).",
                is_error=True,
            )
        if isinstance(value, (types.InputRequiredResult, types.CallToolResult)):
            return value
        return self._tool_result(tool, binding, value)

    @asynccontextmanager
    async def _admit(self, tool: Tool) -> AsyncIterator[None]:
        server = self.server_limiter
        own = self.limiters.get(tool.name)
        async with server.admit() if server else _nothing(), own.admit() if own else _nothing():
            yield

    def _tool_result(self, tool: Tool, binding: Binding[Any], value: Any) -> types.CallToolResult:
        if tool.output_schema is None:
            return types.CallToolResult(content=_tool_content(value))
        structured = to_json(value) if isinstance(value, BaseModel) else dict(value)
        if binding.validate_output:
            problems = tool.output_errors(structured)
            if problems:
                reference = uuid.uuid4().hex[:12]
                logger.error(
                    "tool %r returned a result that breaks its output schema (reference %s):\n- %s",
                    tool.name,
                    reference,
                    "\n- ".join(problems),
                )
                return _text_result(
                    f"Tool {tool.name!r} produced an invalid result (reference {reference}).",
                    is_error=True,
                )
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(structured, ensure_ascii=False))],
            structured_content=structured,
        )

    # -- resources -----------------------------------------------------------------------

    async def list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return self._resource_list

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return self._template_list

    async def read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult | types.InputRequiredResult:
        uri = str(params.uri)
        resource = self.resources.get(uri)
        if resource is not None:
            if resource.text is not None:
                return _read_result(uri, resource.mime_type, resource.text)
            handler = resource.handler
            assert handler is not None  # the generator wires one or the other
            value = await self._guarded(
                f"resource {uri!r}", self._run(ctx, params, lambda context: handler(context))
            )
            return _read_result(uri, resource.mime_type, value)
        for template in self.templates:
            variables = template.match(uri)
            if variables is None:
                continue
            try:
                model = template.params_model.model_validate(variables)
            except ValidationError as error:
                raise MCPError(
                    INVALID_PARAMS,
                    f"Invalid resource URI {uri!r}: "
                    + "; ".join(_pydantic_errors(error, "parameters")),
                ) from None
            return await self._read_template(ctx, params, template, model)
        raise self._not_found(ctx, uri)

    async def _read_template(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: types.ReadResourceRequestParams,
        template: ResourceTemplate[ModelT],
        model: ModelT,
    ) -> types.ReadResourceResult | types.InputRequiredResult:
        value = await self._guarded(
            f"resource template {template.name!r}",
            self._run(ctx, params, lambda context: template.handler(context, model)),
        )
        return _read_result(str(params.uri), template.mime_type, value)

    def _not_found(self, ctx: ServerRequestContext[Any, Any], uri: str) -> MCPError:
        code = (
            INVALID_PARAMS
            if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
            else RESOURCE_NOT_FOUND_LEGACY
        )
        return MCPError(code, f"Resource not found: {uri}", {"uri": uri})

    def subscribable(self, uri: str) -> bool | None:
        """Whether `uri` may be subscribed to; None when no resource has that URI."""
        resource = self.resources.get(uri)
        if resource is not None:
            return resource.subscribe
        for template in self.templates:
            try:
                if template.match(uri) is not None:
                    return template.subscribe
            except MCPError:
                return None
        return None

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        uri = str(params.uri)
        allowed = self.subscribable(uri)
        if allowed is None:
            raise self._not_found(ctx, uri)
        if not allowed:
            raise MCPError(INVALID_PARAMS, f"Resource {uri} does not support subscriptions")
        self.handle.subscribe(uri, _connection_of(ctx.session))
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self.handle.unsubscribe(str(params.uri), _connection_of(ctx.session))
        return types.EmptyResult()

    # -- prompts -------------------------------------------------------------------------

    async def list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return self._prompt_list

    async def get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult | types.InputRequiredResult:
        prompt = self.prompts.get(params.name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {params.name}")
        given = dict(params.arguments or {})
        known = {a.name for a in prompt.arguments}
        problems = [f"unknown argument {name!r}" for name in sorted(given) if name not in known]
        problems += [
            f"missing required argument {a.name!r}"
            for a in prompt.arguments
            if a.required and a.name not in given
        ]
        if problems:
            raise MCPError(
                INVALID_PARAMS,
                f"Invalid arguments for prompt {prompt.name!r}: {'; '.join(problems)}",
            )
        try:
            args = prompt.arguments_model.model_validate(given)
        except ValidationError as error:
            raise MCPError(
                INVALID_PARAMS,
                f"Invalid arguments for prompt {prompt.name!r}: "
                + "; ".join(_pydantic_errors(error, "arguments")),
            ) from None
        render = prompt.handler
        value = await self._guarded(
            f"prompt {prompt.name!r}", self._run(ctx, params, lambda context: render(context, args))
        )
        if isinstance(value, types.InputRequiredResult):
            return value
        if isinstance(value, str):
            messages = [types.PromptMessage(role="user", content=types.TextContent(text=value))]
        else:
            messages = list(value)
        return types.GetPromptResult(description=prompt.description, messages=messages)

    # -- completions ---------------------------------------------------------------------

    async def complete(
        self, ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        ref = params.ref
        completers: Mapping[str, Completer] = {}
        if isinstance(ref, types.PromptReference):
            prompt = self.prompts.get(ref.name)
            completers = prompt.completers if prompt is not None else {}
        else:
            for template in self.templates:
                if template.uri_template == ref.uri:
                    completers = template.completers
                    break
        completer = completers.get(params.argument.name)
        if completer is None:
            return types.CompleteResult(completion=types.Completion(values=[]))
        context = dict(params.context.arguments or {}) if params.context else {}
        values = list(
            await self._guarded(
                f"completion of {params.argument.name!r}",
                completer(Context(ctx, self.handle), params.argument.value, context),
            )
        )
        return types.CompleteResult(
            completion=types.Completion(
                values=values[:MAX_COMPLETION_VALUES],
                total=len(values),
                has_more=len(values) > MAX_COMPLETION_VALUES,
            )
        )

    async def _guarded(self, what: str, call: Awaitable[OutputT]) -> OutputT:
        """Run a handler; declared errors keep their code, anything unexpected is masked."""
        try:
            return await call
        except (MCPError, anyio.get_cancelled_exc_class()):
            raise
        except DeclaredError as error:
            raise error.to_mcp_error() from None
        except NotImplementedError as error:
            detail = f": {error}" if str(error) else ""
            raise MCPError(INTERNAL_ERROR, f"{what} is not implemented yet{detail}") from None
        except Exception:
            raise MCPError(
                INTERNAL_ERROR, f"Internal error (reference {_incident(what)})"
            ) from None


def _invoke(
    name: str, binding: Binding[Any], context: Context[Any], args: Arguments
) -> Awaitable[Any]:
    """The handler's call; the plain case is the handler's own coroutine, with no wrapper."""
    if binding.timeout is None and not binding.stream:
        return binding.handler(context, args)  # type: ignore[no-any-return]
    return _invoke_with_care(name, binding, context, args)


async def _invoke_with_care(
    name: str, binding: Binding[Any], context: Context[Any], args: Arguments
) -> Any:
    if binding.timeout is None:
        return await _produce(binding, context, args)
    with anyio.move_on_after(binding.timeout) as scope:
        return await _produce(binding, context, args)
    if scope.cancelled_caught:
        raise ToolTimeout(name, binding.timeout)
    raise AssertionError("unreachable: the scope only ends early when it times out")


async def _produce(binding: Binding[Any], context: Context[Any], args: Arguments) -> Any:
    if not binding.stream:
        return await binding.handler(context, args)
    return await _Stream(context).drain(binding.handler(context, args))


class _Stream:
    """Relays what a streaming handler yields, and gathers it into the final result.

    Chunks go out as progress messages when the client asked for progress, else as log
    messages. Text that arrives faster than `Context.PROGRESS_INTERVAL` is sent together
    with the next, so nothing is lost and a fast generator cannot flood the client.
    """

    def __init__(self, context: Context[Any]) -> None:
        self.context = context
        self.as_progress = _wants_progress(context._request)
        self.count = 0
        self.unsent: list[str] = []
        self.sent_at = -math.inf

    async def drain(self, chunks: AsyncIterator[ToolChunk]) -> types.CallToolResult:
        content: list[ContentBlock] = []
        async for chunk in chunks:
            block = types.TextContent(text=chunk) if isinstance(chunk, str) else chunk
            last = content[-1] if content else None
            if isinstance(block, types.TextContent) and isinstance(last, types.TextContent):
                content[-1] = types.TextContent(text=last.text + block.text)
            else:
                content.append(block)
            self.count += 1
            self.unsent.append(block.text if isinstance(block, types.TextContent) else "")
            if time.monotonic() - self.sent_at >= Context.PROGRESS_INTERVAL:
                await self.flush()
        await self.flush()
        return types.CallToolResult(content=content)

    async def flush(self) -> None:
        if not self.unsent:
            return
        text = "".join(self.unsent)
        self.unsent.clear()
        self.sent_at = time.monotonic()
        task = self.context._task
        if task is not None:  # no request to stream on: the task's status tells how far
            await task.set_status(f"{self.count} chunk{'s' * (self.count != 1)}")
            return
        if self.as_progress:
            await self.context._request.session.report_progress(self.count, None, text)
        elif text:
            await self.context.log("info", text)


_RESULT_TYPES: dict[str, type[BaseModel]] = {
    "elicitation/create": types.ElicitResult,
    "sampling/createMessage": types.CreateMessageResult,
    "roots/list": types.ListRootsResult,
}


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


def _read_result(
    uri: str, mime_type: str | None, value: ResourceReturn | types.InputRequiredResult
) -> types.ReadResourceResult | types.InputRequiredResult:
    if isinstance(value, types.InputRequiredResult):
        return value
    contents: types.TextResourceContents | types.BlobResourceContents
    if isinstance(value, bytes):
        contents = types.BlobResourceContents(
            uri=uri, mime_type=mime_type, blob=base64.b64encode(value).decode("ascii")
        )
    else:
        contents = types.TextResourceContents(uri=uri, mime_type=mime_type, text=value)
    return types.ReadResourceResult(contents=[contents])


class _Boundary:
    """The server's one middleware: what crosses the wire, in both directions.

    Out: no exception text and no non-standard code reach the client. Without this the SDK
    answers an unexpected exception on 2025-era connections with code 0 and `str(exc)`;
    MCPError and the SDK's own params ValidationError already map correctly.
    Both ways, on the methods that can ask for input: `requestState` goes to the client and
    comes back, so the SDK's boundary seals it (AES-GCM, a key per process) and verifies
    it: a client can neither read nor forge what the shim carries between rounds. Out, on
    `tools/list`: the tools go into the envelope the SDK made (see `sieve_tools`). One
    middleware rather than two, as each layer costs every request a call.
    """

    def __init__(
        self, server_name: str, wire_tools: Callable[[str], list[dict[str, Any]]] | None
    ) -> None:
        self._state = RequestStateBoundary(
            RequestStateSecurity.ephemeral(), default_audience=server_name
        )
        self._wire_tools = wire_tools

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        try:
            if ctx.method not in _INPUT_METHODS:
                result = await call_next(ctx)
                if ctx.method == "tools/list" and self._wire_tools is not None:
                    # The SDK made the envelope from an empty list (its checks, hints and
                    # stamps); the tools go in as it would have sent them (`sieve_tools`).
                    return {**result, "tools": self._wire_tools(ctx.protocol_version)}
                return result
            if ctx.params is not None and ctx.params.get("requestState") is not None:
                return await self._state(ctx, call_next)
            # Most calls carry no state and need none: only a result asking for input goes
            # through the sealing boundary (which costs a plain call ~5 µs otherwise).
            result = await call_next(ctx)
            if not is_input_required(result):
                return result

            async def answered(_: ServerRequestContext[Any, Any]) -> Any:
                return result

            return await self._state(ctx, answered)
        except (MCPError, ValidationError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            raise MCPError(
                INTERNAL_ERROR, f"Internal error (reference {_incident(ctx.method)})"
            ) from None


# The requests whose answer may be an InputRequiredResult, and so carry requestState.
_INPUT_METHODS = INPUT_REQUIRED_METHODS


async def _set_log_level(
    ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
) -> types.EmptyResult:
    _session_log_levels[_connection_of(ctx.session)] = params.level
    return types.EmptyResult()


def build_server(
    info: ServerInfo,
    *,
    tools: Sequence[Mapping[str, Any]] = (),
    bind_tools: BindTools | None = None,
    resources: Sequence[Resource] = (),
    resource_templates: Sequence[ResourceTemplate[Any]] = (),
    prompts: Sequence[Prompt[Any]] = (),
    limits: Limits | None = None,
    lifespan: Lifespan | None = None,
    log_namespace: str | None = None,
    tasks: Tasks | None = None,
) -> Server[Any]:
    """Build the SDK server; only the capabilities the spec uses are registered.

    `log_namespace` names the logger whose records (and its children's) are bridged to
    the client of the request that logs them.
    """
    handle = ServerHandle(info)
    dispatcher = _Dispatcher(
        handle, tools, bind_tools, resources, resource_templates, prompts, limits, tasks
    )
    has_completions = any(t.completers for t in resource_templates) or any(
        p.completers for p in prompts
    )
    has_resources = bool(resources or resource_templates)
    subscriptions = any(r.subscribe for r in resources) or any(
        t.subscribe for t in resource_templates
    )
    # 2026-07-28 clients get resource updates and list changes on subscriptions/listen.
    listen = ListenHandler(handle.bus)

    @asynccontextmanager
    async def server_lifespan(_: Server[Any]) -> AsyncIterator[Any]:
        try:
            async with tasks.running() if tasks is not None else _nothing():
                if lifespan is None:
                    yield None
                else:
                    async with lifespan(handle) as state:
                        yield state
        finally:
            listen.close()
            await dispatcher.binder.close()

    with warnings.catch_warnings():
        # on_set_logging_level is deprecated for 2026-07-28 only; 2025-era clients need it.
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server: Server[Any] = Server(
            info.name,
            version=info.version,
            title=info.title,
            description=info.description,
            instructions=info.instructions,
            website_url=info.website_url,
            lifespan=server_lifespan,
            get_tool_input_schema=dispatcher.tool_input_schema if tools else None,
            on_list_resources=dispatcher.list_resources if has_resources else None,
            on_list_resource_templates=dispatcher.list_resource_templates
            if has_resources
            else None,
            on_read_resource=dispatcher.read_resource if has_resources else None,
            on_subscribe_resource=dispatcher.subscribe if subscriptions else None,
            on_unsubscribe_resource=dispatcher.unsubscribe if subscriptions else None,
            on_subscriptions_listen=listen,
            on_list_prompts=dispatcher.list_prompts if prompts else None,
            on_get_prompt=dispatcher.get_prompt if prompts else None,
            on_completion=dispatcher.complete if has_completions else None,
            on_set_logging_level=_set_log_level,
        )
    if tools:
        # Registered directly: `tools/list` answers with the definitions as they are, not a
        # model, and a call that starts a task answers with a result the SDK has no model
        # for (CreateTaskResult); `on_list_tools` and `on_call_tool` allow neither.
        server.add_request_handler(
            "tools/list", types.PaginatedRequestParams, dispatcher.list_tools
        )
        server.add_request_handler("tools/call", types.CallToolRequestParams, dispatcher.call_tool)
    server.middleware.append(_Boundary(info.name, dispatcher.wire_tools if tools else None))
    if tasks is not None:
        tasks.install(
            server, {t.name: t.task_support for t in dispatcher.tools.values()}, handle.bus
        )
    if log_namespace is not None:
        _install_log_bridge(log_namespace)
    return server


def _install_log_bridge(namespace: str) -> None:
    bridged = logging.getLogger(namespace)
    if not any(isinstance(h, _LogBridge) for h in bridged.handlers):
        bridged.addHandler(_LogBridge())


# -- tasks (io.modelcontextprotocol/tasks) ------------------------------------------------
#
# Tool calls a client starts, then polls. SDK 2.3 defines the wire types only, so the
# extension is built here on the SDK's public seams: request handlers for `tasks/get`,
# `tasks/update` and `tasks/cancel`, a middleware that gates them, and the server lifespan,
# which owns the task group tasks run in (a 2026-07-28 HTTP request's connection closes
# when its response is written, so a task cannot live in its request). `tasks/result` and
# `tasks/list` are gone from the extension: the SDK answers them -32601. Tasks are a
# 2026-07-28 feature: on older connections a task tool runs as a plain call (or, if it
# requires a task, is refused with -32021).

_tasks_logger = logging.getLogger("mcpgen.tasks")

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
_TASK_METHODS = frozenset({"tasks/get", "tasks/update", "tasks/cancel"})
_TERMINAL = frozenset({"completed", "failed", "cancelled"})
TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]
TaskSupport = Literal["forbidden", "optional", "required"]

# Runs the tool's handler, given how the call runs (a task, one that may detach, or plain),
# and maps its outcome to the tool's result.
Body = Callable[["TaskHandle | Detacher | None"], Awaitable[HandlerResult]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _missing_extension(message: str) -> MCPError:
    return MCPError(
        types.MISSING_REQUIRED_CLIENT_CAPABILITY,
        message,
        {"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}},
    )


@dataclass
class _PendingInput:
    request: dict[str, Any]
    answered: anyio.Event = field(default_factory=anyio.Event)
    response: Any = None


@dataclass
class _Task:
    """One task: its state, and its forms on the wire."""

    task_id: str
    ttl_ms: int | None
    poll_interval_ms: int | None
    created_at: str = field(default_factory=_now)
    last_updated_at: str = ""
    started: float = field(default_factory=time.monotonic)
    status: TaskStatus = "working"
    status_message: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    pending: dict[str, _PendingInput] = field(default_factory=dict)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)

    def __post_init__(self) -> None:
        self.last_updated_at = self.last_updated_at or self.created_at

    @property
    def terminal(self) -> bool:
        return self.status in _TERMINAL

    def expired(self, now: float) -> bool:
        return self.ttl_ms is not None and now - self.started > self.ttl_ms / 1000

    def fields(self) -> dict[str, Any]:
        """The `Task` shape shared by every answer about it."""
        out: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "ttlMs": self.ttl_ms,
        }
        if self.poll_interval_ms is not None:
            out["pollIntervalMs"] = self.poll_interval_ms
        if self.status_message is not None:
            out["statusMessage"] = self.status_message
        return out

    def created(self) -> dict[str, Any]:
        """`CreateTaskResult`: what `tools/call` answers when it starts a task."""
        return {"resultType": "task", **self.fields()}

    def detailed(self) -> dict[str, Any]:
        """`tasks/get`: the task with its result, error or pending input requests."""
        out = self.fields()
        if self.status == "completed" and self.result is not None:
            out["result"] = self.result
        elif self.status == "failed" and self.error is not None:
            out["error"] = self.error
        elif self.status == "input_required":
            out["inputRequests"] = {key: p.request for key, p in self.pending.items()}
        return out


class TaskHandle:
    """What a handler's context uses while its call runs as a task."""

    def __init__(self, tasks: Tasks, task: _Task) -> None:
        self._tasks = tasks
        self._task = task

    @property
    def task_id(self) -> str:
        return self._task.task_id

    async def request_input(self, request: types.InputRequest) -> Any:
        """Park the task (`input_required`) until the client answers with `tasks/update`.

        Requests made at once (from a task group) are pending together under their own
        keys; each is answered on its own. Returns the client's answer as wire JSON.
        """
        return await self._tasks._request_input(self._task, request)

    async def set_status(self, message: str) -> None:
        """The task's `statusMessage`, as `tasks/get` shows it (progress, in a task)."""
        self._task.status_message = message
        await self._tasks._touch(self._task)


class _TaskIdParams(types.RequestParams):
    task_id: str


class _TaskUpdateParams(types.RequestParams):
    model_config = ConfigDict(extra="allow")
    task_id: str
    input_responses: dict[str, Any] = Field(default_factory=dict)


class _Notification(BaseModel):
    """A notification the SDK has no type for (the session only dumps what it sends)."""

    method: str
    params: dict[str, Any] | None = None


def _client_declares_tasks(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether this request's client said it speaks the extension (asked per request)."""
    params = ctx.params if isinstance(ctx.params, Mapping) else {}
    meta = params.get("_meta")
    if isinstance(meta, Mapping):
        declared = meta.get(types.CLIENT_CAPABILITIES_META_KEY)
        if isinstance(declared, Mapping):
            extensions = declared.get("extensions")
            return isinstance(extensions, Mapping) and TASKS_EXTENSION in extensions
    capabilities = ctx.session.client_capabilities
    return bool(
        capabilities is not None
        and capabilities.extensions
        and TASKS_EXTENSION in capabilities.extensions
    )


class Tasks:
    """The server's tasks: where they run, what clients may ask of them, and for how long.

    `ttl_ms` is how long a task stays readable after it starts; `poll_interval_ms` is the
    pause clients are told to leave between polls.
    """

    def __init__(
        self,
        *,
        ttl_ms: int | None = 300_000,
        poll_interval_ms: int | None = 250,
        sweep_interval: float = 5.0,
    ) -> None:
        self.ttl_ms = ttl_ms
        self.poll_interval_ms = poll_interval_ms
        self.sweep_interval = sweep_interval
        self._tasks: dict[str, _Task] = {}
        self._group: anyio.abc.TaskGroup | None = None
        self._listeners: list[Callable[[_Task], None]] = []
        self._keys = itertools.count(1)
        self._support: dict[str, TaskSupport] = {}

    # -- wiring --------------------------------------------------------------------------

    def install(
        self, server: Server[Any], support: Mapping[str, TaskSupport], bus: Any | None
    ) -> None:
        """Register the extension's methods, its gate, and its listen stream on `server`."""
        self._support = dict(support)
        server.extensions[TASKS_EXTENSION] = {}
        server.middleware.append(self._gate)
        server.add_request_handler("tasks/get", _TaskIdParams, self._get)
        server.add_request_handler("tasks/update", _TaskUpdateParams, self._update)
        server.add_request_handler("tasks/cancel", _TaskIdParams, self._cancel)
        server.add_request_handler(
            "subscriptions/listen",
            types.SubscriptionsListenRequestParams,
            _ListenWithTasks(self, bus),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The task group tasks run in, for the server's lifetime (enter it in the lifespan)."""
        async with anyio.create_task_group() as group:
            self._group = group
            group.start_soon(self._sweep_forever)
            try:
                yield
            finally:
                self._group = None
                group.cancel_scope.cancel()

    async def _gate(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        """Before lookup: the extension's methods need it declared (and the right header).

        After: `tools/list` gets each tool's `execution.taskSupport` back; the SDK's
        2026-07-28 result check drops that 2025-11-25 field, and this runs outside it.
        """
        if ctx.method in _TASK_METHODS:
            if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                raise MCPError(types.METHOD_NOT_FOUND, "Method not found", ctx.method)
            if not _client_declares_tasks(ctx):
                raise _missing_extension(f"{ctx.method} needs the {TASKS_EXTENSION} extension")
            headers = getattr(ctx.request, "headers", None)
            if headers is not None:  # streamable HTTP names the task in a header too
                params = ctx.params if isinstance(ctx.params, Mapping) else {}
                named = decode_header_value(headers.get(MCP_NAME_HEADER))
                if named is None or named.strip() != params.get("taskId"):
                    raise MCPError(
                        types.HEADER_MISMATCH,
                        f"{MCP_NAME_HEADER} header does not match the request's 'taskId'",
                    )
        result = await call_next(ctx)
        if ctx.method == "tools/list" and isinstance(result, dict):
            for tool in result.get("tools") or []:
                support = (
                    self._support.get(str(tool.get("name"))) if isinstance(tool, dict) else None
                )
                if support is not None and "execution" not in tool:
                    tool["execution"] = {"taskSupport": support}
        return result

    # -- tools/call ----------------------------------------------------------------------

    async def call(
        self,
        ctx: ServerRequestContext[Any, Any],
        tool: str,
        support: TaskSupport,
        starts: Literal["at_once", "at_detach"],
        body: Body,
    ) -> HandlerResult | None:
        """Start `tool`'s call as a task if the client asked for tasks; None: run it plainly.

        `body(handle)` runs the handler and maps its outcome to a `CallToolResult`; with
        `at_detach` it gets no handle until the handler calls `ctx.detach()`.
        """
        declared = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS and _client_declares_tasks(ctx)
        if not declared:
            if support == "required":
                raise _missing_extension(f"Tool {tool!r} only runs as a task")
            return None
        if self._group is None:
            raise MCPError(types.INTERNAL_ERROR, "tasks are not running")
        if starts == "at_once":
            task = self._new()
            self._group.start_soon(self._run, task, body, TaskHandle(self, task))
            return task.created()
        return await self._run_until_detached(body)

    async def _run_until_detached(self, body: Body) -> HandlerResult:
        """Run the handler where it can outlive this request; answer when it detaches.

        Until then the call is an ordinary request: a finished handler answers with its
        result, one that needs input with an `InputRequiredResult`, and a cancelled request
        cancels the handler. After, the task owns it.
        """
        assert self._group is not None
        answered = anyio.Event()
        outcome: list[HandlerResult] = []
        failure: list[Exception] = []
        detached: list[_Task] = []
        scope = anyio.CancelScope()

        def detach() -> TaskHandle:
            task = self._new()
            task.scope = scope
            detached.append(task)
            answered.set()
            return TaskHandle(self, task)

        async def run() -> None:
            with scope:
                try:
                    value = await body(Detacher(detach))
                except Exception as error:
                    if detached:
                        self._finish_failed(detached[0], error)
                        await self._touch(detached[0])
                    else:
                        failure.append(error)
                    return
                finally:
                    answered.set()
                if detached:
                    await self._complete(detached[0], value)
                else:
                    outcome.append(value)
            if detached and scope.cancelled_caught and not detached[0].terminal:
                await self._settle(detached[0], "cancelled")

        self._group.start_soon(run)
        try:
            await answered.wait()
        except anyio.get_cancelled_exc_class():
            if not detached:
                scope.cancel()  # the client gave up on the call before it became a task
            raise
        if detached:
            return detached[0].created()
        if failure:
            raise failure[0]
        if not outcome:
            raise MCPError(types.INTERNAL_ERROR, "the call ended without an answer")
        return outcome[0]

    def _new(self) -> _Task:
        task = _Task(secrets.token_urlsafe(16), self.ttl_ms, self.poll_interval_ms)
        self._tasks[task.task_id] = task  # readable before the client hears of it
        return task

    async def _run(self, task: _Task, body: Body, handle: TaskHandle) -> None:
        with task.scope:
            try:
                value = await body(handle)
            except Exception as error:
                self._finish_failed(task, error)
                await self._touch(task)
                return
            await self._complete(task, value)
        if task.scope.cancelled_caught and not task.terminal:
            await self._settle(task, "cancelled")  # by its lifetime ending, or shutdown

    async def _complete(self, task: _Task, value: HandlerResult) -> None:
        if isinstance(value, BaseModel):
            result = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        else:
            result = dict(value or {})
        result.setdefault("resultType", "complete")
        task.result = result
        await self._settle(task, "completed")

    def _finish_failed(self, task: _Task, error: BaseException) -> None:
        """A failure of the request itself (a JSON-RPC error); a tool's own error is a result."""
        if task.terminal:
            return
        if isinstance(error, MCPError):
            task.error = error.error.model_dump(mode="json", by_alias=True, exclude_none=True)
        else:
            _tasks_logger.error("task %s failed", task.task_id, exc_info=error)
            task.error = {"code": types.INTERNAL_ERROR, "message": "Internal error in the task"}
        task.status = "failed"
        task.pending.clear()

    async def _settle(self, task: _Task, status: TaskStatus) -> None:
        if task.terminal:
            return  # final: a cancel that races a finish keeps what came first
        task.status = status
        if status in _TERMINAL:
            task.pending.clear()
        await self._touch(task)

    async def _touch(self, task: _Task) -> None:
        task.last_updated_at = _now()
        for listener in list(self._listeners):
            listener(task)

    # -- input inside a task ---------------------------------------------------------------

    async def _request_input(self, task: _Task, request: types.InputRequest) -> Any:
        key = f"input-{next(self._keys)}"
        pending = _PendingInput(request.model_dump(mode="json", by_alias=True, exclude_none=True))
        task.pending[key] = pending
        if task.status != "input_required":
            await self._settle(task, "input_required")
        else:
            await self._touch(task)
        try:
            await pending.answered.wait()
        finally:
            task.pending.pop(key, None)
        return pending.response

    # -- the extension's methods ---------------------------------------------------------

    def _find(self, task_id: str) -> _Task:
        task = self._tasks.get(task_id)
        if task is None or task.expired(time.monotonic()):
            raise MCPError(types.INVALID_PARAMS, f"Unknown taskId: {task_id}")
        return task

    async def _get(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskIdParams
    ) -> dict[str, Any]:
        return self._find(params.task_id).detailed()

    async def _update(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskUpdateParams
    ) -> dict[str, Any]:
        task = self._find(params.task_id)
        answered = False
        for key, response in params.input_responses.items():
            pending = task.pending.pop(key, None)
            if pending is None:
                continue  # not (or no longer) asked: ignored, as the extension says
            pending.response = response
            pending.answered.set()
            answered = True
        if answered and not task.pending and task.status == "input_required":
            await self._settle(task, "working")
        return {}

    async def _cancel(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskIdParams
    ) -> dict[str, Any]:
        task = self._find(params.task_id)
        if not task.terminal:
            await self._settle(task, "cancelled")  # settled before the client hears back
            task.scope.cancel()
        return {}

    # -- lifetime ------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await anyio.sleep(self.sweep_interval)
            now = time.monotonic()
            for task_id, task in list(self._tasks.items()):
                if task.expired(now):
                    task.scope.cancel()
                    del self._tasks[task_id]

    def listen(self, listener: Callable[[_Task], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)


class Detacher:
    """What an `at_detach` handler's context holds until `ctx.detach()` makes it a task."""

    def __init__(self, detach: Callable[[], TaskHandle]) -> None:
        self._detach = detach

    def detach(self) -> TaskHandle:
        return self._detach()


class _ListenWithTasks:
    """`subscriptions/listen` with the extension's `notifications/tasks` for `taskIds`.

    Everything else (list changes, resource updates) comes from the server's bus, as with
    the SDK's own listen handler.
    """

    def __init__(self, tasks: Tasks, bus: Any | None, max_buffered: int = 1024) -> None:
        self.tasks = tasks
        self.bus = bus
        self.max_buffered = max_buffered

    async def __call__(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: types.SubscriptionsListenRequestParams,
    ) -> types.SubscriptionsListenResult:
        subscription = ctx.request_id
        if subscription is None:
            raise MCPError(types.INVALID_REQUEST, "subscriptions/listen requires a request id")
        asked = params.notifications
        task_ids = (asked.model_extra or {}).get("taskIds")
        watched = frozenset(task_ids) if isinstance(task_ids, list) else None
        served = self.bus is not None
        honored = types.SubscriptionFilter(
            tools_list_changed=True if asked.tools_list_changed and served else None,
            prompts_list_changed=True if asked.prompts_list_changed and served else None,
            resources_list_changed=True if asked.resources_list_changed and served else None,
            resource_subscriptions=list(asked.resource_subscriptions)
            if asked.resource_subscriptions and served
            else None,
            **({"taskIds": sorted(watched)} if watched is not None else {}),
        )
        uris = frozenset(honored.resource_subscriptions or ())
        meta: dict[str, Any] = {SUBSCRIPTION_ID_META_KEY: subscription}
        send, receive = anyio.create_memory_object_stream[Any](self.max_buffered)

        def push(item: Any) -> None:
            try:
                send.send_nowait(item)
            except (anyio.WouldBlock, anyio.ClosedResourceError):
                send.close()  # a reader that fell behind loses its stream, and re-listens

        def on_task(task: _Task) -> None:
            if watched is not None and task.task_id in watched:
                push(
                    _Notification(
                        method="notifications/tasks", params={**task.detailed(), "_meta": meta}
                    )
                )

        def on_event(event: Any) -> None:
            if event_matches(honored, uris, event):
                push(event_to_notification(event, meta))

        stops = [self.tasks.listen(on_task)]
        if self.bus is not None:
            stops.append(self.bus.subscribe(on_event))
        try:
            await ctx.session.send_notification(
                types.SubscriptionsAcknowledgedNotification(
                    params=types.SubscriptionsAcknowledgedNotificationParams(
                        notifications=honored, _meta=meta
                    )
                ),
                related_request_id=subscription,
            )
            async for item in receive:
                await ctx.session.send_notification(item, related_request_id=subscription)
        finally:
            for stop in stops:
                stop()
            send.close()
            receive.close()
        return types.SubscriptionsListenResult(_meta=meta)


# -- transports ------------------------------------------------------------------------


class EventLog(ABC):
    """Where the event streams of HTTP sessions are kept, so a client can resume one it lost.

    Each stream has an owner: a random key the server makes for each session and never
    sends to a client. Event ids are random too, so none can be guessed. A replay names its
    owner, and a log replays a stream only to the owner that wrote it: a client that holds
    another session's event id, or that numbers its requests as others do (a stream is
    named by its request's id), reads nothing of anyone else's. Serving HTTP reaches the log
    only through this interface, so a log shared by several server processes can replace
    the one in memory.
    """

    @abstractmethod
    async def append(self, owner: str, stream: str, message: types.JSONRPCMessage | None) -> str:
        """Keep `message` at the end of `owner`'s `stream`; its new event id.

        `None` is a stream's priming event: an id for the client to resume from.
        """

    @abstractmethod
    async def replay_after(self, owner: str, event_id: str, send: EventCallback) -> str | None:
        """Send the messages of `owner`'s stream that came after `event_id`; the stream.

        None, and nothing sent, when `event_id` is not an event of `owner`'s.
        """


_StreamKey: TypeAlias = tuple[str, str]
"""A stream in the event log: (its owner, its name)."""


@dataclass(slots=True)
class _Event:
    stream: _StreamKey
    message: types.JSONRPCMessage | None


class MemoryEventStore(EventLog):
    """The event log of one server process: the last `max_events` events, in memory."""

    def __init__(self, max_events: int = 10_000) -> None:
        self._max_events = max_events
        # Oldest first (dicts keep insertion order): the first key is the next to go.
        self._events: dict[str, _Event] = {}
        self._streams: dict[_StreamKey, deque[str]] = {}

    async def append(self, owner: str, stream: str, message: types.JSONRPCMessage | None) -> str:
        # 128 random bits: an id a client cannot guess, whatever it has seen.
        event_id = secrets.token_urlsafe(16)
        key = (owner, stream)
        self._events[event_id] = _Event(key, message)
        self._streams.setdefault(key, deque()).append(event_id)
        if len(self._events) > self._max_events:
            oldest = self._events.pop(next(iter(self._events)))
            ids = self._streams[oldest.stream]
            ids.popleft()  # a stream's oldest event is the oldest of all that it still has
            if not ids:
                del self._streams[oldest.stream]
        return event_id

    async def replay_after(self, owner: str, event_id: str, send: EventCallback) -> str | None:
        event = self._events.get(event_id)
        if event is None:
            return None
        if event.stream[0] != owner:
            logger.warning("refused to replay a stream to a session that does not own it")
            return None
        # Taken before the first send: the stream may grow, or lose its oldest events,
        # while the replay awaits.
        ids = list(itertools.dropwhile(event_id.__ne__, self._streams[event.stream]))[1:]
        later = [(i, self._events[i].message) for i in ids]
        for later_id, message in later:
            if message is not None:
                await send(EventMessage(message, later_id))
        return event.stream[1]


class _SessionEvents(EventStore):
    """One HTTP session's view of the event log: the SDK's `EventStore`, bound to an owner.

    It also tells `_Calls` which resumable stream the exchange being served carries: the
    SDK stores a stream's priming event (no message) on the request that opens or resumes
    it, and a replay returns the stream it resumes.
    """

    def __init__(self, log: EventLog, calls: _Calls) -> None:
        self._log = log
        self._calls = calls
        self._owner = secrets.token_urlsafe(16)

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        event_id = await self._log.append(self._owner, stream_id, message)
        if message is None:
            self._carried(stream_id)
        return event_id

    async def replay_events_after(
        self, last_event_id: str, send_callback: EventCallback
    ) -> str | None:
        stream = await self._log.replay_after(self._owner, last_event_id, send_callback)
        if stream is not None:
            self._carried(stream)
        return stream

    def _carried(self, stream: str) -> None:
        exchange = _exchange.get()
        if exchange is not None:
            self._calls.carries(exchange, (self._owner, stream))


class _SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, giving each session its own view of the event log,
    making room at the session cap (`_admit_session`), and ending every session at shutdown.

    SDK 2.3 hands every session's transport the one `event_store` it was given, and the
    transport names each stream by its request's id alone, so all sessions shared each
    other's streams. The manager reads `event_store` once for each session it opens, to
    give that session's transport: here each read makes a new view, with its own owner. If
    a later SDK read it anywhere else, that read would see no one's events: a lost replay,
    never a replay of another session's.
    """

    def __init__(self, app: Server[Any], log: EventLog, calls: _Calls, **options: Any) -> None:
        self._log = log
        self._calls = calls
        super().__init__(app, **options)

    @property
    def event_store(self) -> EventStore | None:
        return _SessionEvents(self._log, self._calls)

    @event_store.setter
    def event_store(self, given: EventStore | None) -> None:
        # The SDK's __init__ stores what it was given, which is nothing: the log is ours.
        if given is not None:
            raise TypeError("_SessionManager keeps its own event log")

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


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over this process's stdin and stdout."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


# -- serving HTTP: calls, the exchanges that carry their answers, and stopping them ---------

# How long a call whose client lost its stream waits for the client to resume it before it
# is cancelled. Clients of 2025-11-25 are told (the `retry` of the stream's priming event)
# to come back after 100 ms, and SDK 2.3's client tries twice: twenty times that.
_RESUME_GRACE = 2.0
# After the shutdown grace, how long the answers of the calls it stopped get to go out:
# they are written within milliseconds; this bounds a client that reads slowly.
_ANSWER_TIME = 1.0

_GONE = "gone"
_SHUTDOWN = "shutdown"


class _Exchange:
    """One HTTP request, from its first byte to its last, or to its client's disconnect."""

    __slots__ = ("calls", "ended", "posted", "stream")

    def __init__(self, posted: bool) -> None:
        self.posted = posted  # a POST, which carries an answer (a GET carries a stream)
        self.ended = False
        self.stream: _StreamKey | None = None  # the resumable stream it carries, if any
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
        self.stream: _StreamKey | None = None

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


class _Calls:
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
        self._streams: dict[_StreamKey, _Resumable] = {}

    def opened(self, exchange: _Exchange) -> None:
        if exchange.posted:
            self.open_posts += 1

    def carries(self, exchange: _Exchange, key: _StreamKey) -> None:
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

    def _forget_if_done(self, key: _StreamKey) -> None:
        stream = self._streams.get(key)
        if stream is not None and not stream.listeners and not stream.calls:
            del self._streams[key]


class _Stoppable:
    """Serving HTTP, the server's innermost middleware: each request runs in a scope that
    `_Calls` can stop, and is answered with the reason if it does."""

    def __init__(self, calls: _Calls) -> None:
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


class _Exchanges:
    """Follows each HTTP request from its first byte to its last, or to its client's
    disconnect, for `_Calls`; the requests it carries run with it as `_exchange`."""

    def __init__(self, app: Any, calls: _Calls) -> None:
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
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                calls.ended(exchange)

        token = _exchange.set(exchange)
        try:
            await self.app(scope, receive_watched, send_watched)
        finally:
            _exchange.reset(token)
            calls.ended(exchange)


@dataclass(frozen=True)
class HttpOptions:
    """How `serve_http` serves: where, to whom, for how long."""

    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    session_idle_timeout: float = 600.0
    max_sessions: int = 1000
    """Open sessions at most; at the cap the one idle longest makes room (`_SessionManager`)."""
    shutdown_grace: float = 8.0
    """Seconds calls in flight get to finish after SIGTERM/SIGINT; the rest are stopped and
    answered with an error. `docker stop` kills after 10 s: 8 leaves time to answer."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (`name` for any port, `name:port`) requests may name besides the defaults."""
    allowed_origins: tuple[str, ...] = ()
    """Origins (`https://app.example.com`, `http://name:*`) browser pages may call from."""
    env_prefix: str = ""
    """`<PACKAGE>_`, of the environment variables that extend the two lists."""


async def serve_http(server: Server[Any], options: HttpOptions) -> None:
    """Serve streamable HTTP (stateful, resumable) until SIGINT or SIGTERM.

    A client that vanishes without ending its session (no DELETE) leaves it open until
    `session_idle_timeout` seconds pass without a request; then its calls are cancelled
    and its streams closed; a call nobody can receive the answer of is cancelled at once
    (`_Calls`). Requests must name the server by a host it answers to, and come from an
    allowed origin if a browser sends them (`_HostGuard`), wherever it binds. A signal
    drains it: calls in flight get `shutdown_grace` seconds, then an error answer.
    """
    calls = _Calls()
    server.middleware.append(_Stoppable(calls))
    manager = _SessionManager(
        server,
        MemoryEventStore(),
        calls,
        # Clients told to reconnect (a closed event stream) come back after this many ms.
        retry_interval=100,
        session_idle_timeout=options.session_idle_timeout,
        max_sessions=options.max_sessions,
        # The SDK checks Host and Origin only when bound to loopback, and knows no Host
        # without a port: _HostGuard checks them in front of everything, wherever it binds.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    # What `Server.streamable_http_app` builds, with this manager in it.
    app = Starlette(
        routes=[Route(options.path, endpoint=StreamableHTTPASGIApp(manager))],
        lifespan=lambda _: manager.run(),
    )
    front = _HostGuard(
        _RetryAfterOn503(_Exchanges(app, calls)), options.allowed_hosts, options.allowed_origins
    )
    config = uvicorn.Config(
        front,
        host=options.host,
        port=options.port,
        log_level="warning",
        lifespan="on",
        # Once drained, what still holds a connection open is cut after this long.
        timeout_graceful_shutdown=2,
    )
    await _Uvicorn(config, f"{server.name} MCP server", options, calls, manager).serve()


def _host_and_port(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` as a Host header spells it (IPv6 in brackets), or None if malformed."""
    if value.count(":") > 1 and not value.startswith("["):
        value = f"[{value}]"  # an IPv6 address written bare, as in `--allowed-host ::1`
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path:
        return None
    return parts.hostname, port


def _origin(value: str) -> tuple[str, str, int | None] | None:
    """An Origin as (scheme, host, port), the scheme's default port filled in; `:*` is any."""
    any_port = value.endswith(":*")
    try:
        parts = urlsplit(value.removesuffix(":*"))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if any_port:
        return parts.scheme, parts.hostname, None
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _is_loopback(name: str) -> bool:
    """`localhost`, or an address of the loopback interface (127.0.0.0/8, ::1)."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _HostGuard:
    """Refuses a request that names the server by a host it does not answer to (421), or
    that a browser page of an origin not allowed sent (403): DNS rebinding protection.

    A web page whose name an attacker points at this machine's address sends its own name
    as Host, and its own origin as Origin; non-browser clients send no Origin. Answered by
    default: loopback names (`localhost`, 127.0.0.0/8, `[::1]`) and the address the
    request reached (an address, not a name, cannot be rebound), on any port or none (a
    reverse proxy may send `Host: 127.0.0.1`); browser pages from loopback origins, as
    local tools such as the MCP Inspector are. `--allowed-host` / `--allowed-origin` add.
    """

    def __init__(self, app: Any, hosts: Iterable[str], origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = {parsed for parsed in map(_host_and_port, hosts) if parsed is not None}
        self.origins = {parsed for parsed in map(_origin, origins) if parsed is not None}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k: v for k, v in scope["headers"] if k in (b"host", b"origin")}
            host = headers.get(b"host", b"").decode("latin-1")
            origin = headers.get(b"origin", b"").decode("latin-1")
            local = scope.get("server")
            if not self.host_allowed(host, local[0] if local else None):
                logger.warning("refused a request naming host %r (--allowed-host adds one)", host)
                reason = f"Host {host!r} is not a name this server answers to"
                await _refuse(send, 421, reason)
                return
            if origin and not self.origin_allowed(origin):
                logger.warning(
                    "refused a request from origin %r (--allowed-origin adds one)", origin
                )
                await _refuse(send, 403, f"Origin {origin!r} may not call this server")
                return
        await self.app(scope, receive, send)

    def host_allowed(self, host: str, local_address: str | None) -> bool:
        parsed = _host_and_port(host)
        if parsed is None:
            return False
        name, port = parsed
        return (
            _is_loopback(name)
            or name == local_address
            or (name, None) in self.hosts
            or (name, port) in self.hosts
        )

    def origin_allowed(self, origin: str) -> bool:
        parsed = _origin(origin)
        if parsed is None:
            return False
        scheme, name, _ = parsed
        return _is_loopback(name) or parsed in self.origins or (scheme, name, None) in self.origins


class _RetryAfterOn503:
    """Tells a client refused with 503 (every session busy, at `--max-sessions`) when to
    come back: a busy session frees its place when its request ends, which nobody can know;
    a few seconds keep refused clients from hammering."""

    SECONDS = 5

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_retry_after(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                retry = (b"retry-after", str(self.SECONDS).encode())
                message = {**message, "headers": [*message.get("headers", ()), retry]}
            await send(message)

        await self.app(scope, receive, send_retry_after)


async def _refuse(send: Any, status: int, message: str) -> None:
    """Answer with `status` and a JSON-RPC error (no id) carrying `message`."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": types.INVALID_REQUEST, "message": message}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Uvicorn(uvicorn.Server):
    """uvicorn, announcing on stderr where it serves once it listens (as uvicorn itself does
    at its INFO level; the server's own log starts at WARNING) and what it exposes when it
    listens beyond loopback; and draining on SIGINT or SIGTERM before it shuts down.

    uvicorn's own shutdown begins when its signal handler sets `should_exit`, and that ends
    every SSE stream at once (sse_starlette, which the SDK's transport answers with, watches
    the flag): a 2025-era call in flight lost its answer. Here the signal starts the drain
    first, and uvicorn hears of it only once every call is answered.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        what: str,
        options: HttpOptions,
        calls: _Calls,
        manager: _SessionManager,
    ) -> None:
        super().__init__(config)
        self.what = what
        self.options = options
        self.calls = calls
        self.manager = manager
        self.signals: list[int] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # The port the system gave, when asked for port 0.
            port: int = self.servers[0].sockets[0].getsockname()[1]
            print(_announcement(self.what, self.options, port), file=sys.stderr, flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: it only notes the signal (a second one skips the grace).
        self.signals.append(sig)

    async def on_tick(self, counter: int) -> bool:
        # uvicorn's loop asks this every 0.1 s whether to stop: on a signal, to drain.
        return bool(self.signals) or await super().on_tick(counter)

    async def main_loop(self) -> None:
        await super().main_loop()
        if self.signals:
            await self.drain()
            # uvicorn's own handler now: it shuts down, and raises the signal again once
            # it is done (a SIGINT is then a KeyboardInterrupt, which `main` takes).
            super().handle_exit(self.signals[0], None)

    async def drain(self) -> None:
        """Give the calls in flight the grace to finish, stop the rest (each answered with
        an error), and end the sessions (their GET streams); uvicorn then shuts down (and
        stops listening).

        Requests go on being served meanwhile: a client finishing a call may need one more
        (SDK 2.3's client lists the tools to check a result), and one that starts a call
        now gets the same answer as the others if it is still running at the deadline.
        """
        calls = self.calls
        calls.stop_all("subscriptions/listen")  # a stream of notifications never finishes
        with anyio.move_on_after(self.options.shutdown_grace):
            while calls.running and len(self.signals) == 1:
                await anyio.sleep(0.05)
        if calls.running:
            logger.warning(
                "stopping %d call%s still running after the %g s --shutdown-grace",
                len(calls.running),
                "" if len(calls.running) == 1 else "s",
                self.options.shutdown_grace,
            )
            calls.stop_all()
        with anyio.move_on_after(_ANSWER_TIME):
            while calls.running or calls.open_posts:
                await anyio.sleep(0.02)
        await self.manager.end_sessions()


def _announcement(what: str, options: HttpOptions, port: int) -> str:
    """What a server says when it starts listening: its URL, and whom it answers."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    lines = [f"{what} running on http://{host}:{port}{options.path} (SIGINT or SIGTERM stops it)"]
    beyond = not _is_loopback(options.host)
    if beyond:
        lines.append(
            f"WARNING: it listens beyond this machine's loopback ({options.host}): whoever "
            "can reach it can call every tool, and there is no authorization. Bind to "
            "127.0.0.1, or put a proxy that authenticates in front."
        )
    if beyond or options.allowed_hosts or options.allowed_origins:
        hosts = ", ".join(["localhost", "127.0.0.1", "[::1]", *options.allowed_hosts])
        origins = ", ".join(["http(s)://localhost, 127.0.0.1, [::1]", *options.allowed_origins])
        lines.append(
            f"Requests must name it {hosts} (on any port unless one is given) or the address "
            f"they reached it at; --allowed-host or {options.env_prefix}ALLOWED_HOSTS adds names."
        )
        lines.append(
            f"Browser pages may call it from {origins} (any port); --allowed-origin or "
            f"{options.env_prefix}ALLOWED_ORIGINS adds origins."
        )
    return "\n".join(lines)


def _number(
    kind: Callable[[str], NumberT], low: float, high: float = math.inf, *, above: bool = False
) -> Callable[[str], NumberT]:
    """An argparse type: a finite number from `low` (or above it, when `above`) to `high`."""

    def parse(value: str) -> NumberT:
        try:
            number = kind(value)
        except ValueError:
            number_ = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"not {number_}: {value!r}") from None
        if not math.isfinite(number) or number < low or (above and number == low):
            raise argparse.ArgumentTypeError(
                f"{value} is not {'above' if above else 'at least'} {low:g}"
            )
        if number > high:
            raise argparse.ArgumentTypeError(f"{value} is above {high:g}")
        return number

    return parse


def _listed(checked: Callable[[str], object], what: str) -> Callable[[str], str]:
    """An argparse type: `value` if `checked(value)` is not None, else a usage error."""

    def parse(value: str) -> str:
        if checked(value) is None:
            raise argparse.ArgumentTypeError(f"not {what}: {value!r}")
        return value

    return parse


def main(
    build: Callable[[], Server[Any]],
    name: str,
    argv: Sequence[str] | None = None,
    *,
    epilog: str | None = None,
) -> None:
    """The command line of a generated server: `python -m <package> [--transport http]`.

    `epilog` ends `--help` as written (the environment variables an HTTP server reads).
    The garbage collector is on once the server is built (`__main__` keeps it off while
    the SDK is imported and the server built).
    """
    # The package that built the server names its environment variables, as `<PKG>_BASE_URL`.
    env_prefix = build.__module__.partition(".")[0].upper() + "_"
    host_name = _listed(_host_and_port, "a host name (name or name:port)")
    origin_name = _listed(_origin, "an origin (http(s)://name[:port|:*])")
    parser = argparse.ArgumentParser(
        prog=name,
        description=f"Run the {name} MCP server.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio (default) for a client that spawns the server; http for streamable HTTP",
    )
    parser.add_argument(
        "--host", default=HttpOptions.host, help="HTTP bind address (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_number(int, 0, 65535),
        default=HttpOptions.port,
        help="HTTP port; 0 takes a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--path",
        type=_listed(lambda path: path if path.startswith("/") else None, "a path (/...)"),
        default=HttpOptions.path,
        help="HTTP endpoint path (default: %(default)s)",
    )
    parser.add_argument(
        "--session-idle-timeout",
        type=_number(float, 0, above=True),
        default=HttpOptions.session_idle_timeout,
        metavar="SECONDS",
        help="HTTP: end a session idle this long, e.g. of a client that vanished "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_number(int, 1),
        default=HttpOptions.max_sessions,
        metavar="N",
        help="HTTP: sessions (2025-era clients) open at most; a new one past that ends the "
        "session idle longest, or is refused (503, Retry-After) while all are busy "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=_number(float, 0),
        default=HttpOptions.shutdown_grace,
        metavar="SECONDS",
        help="HTTP: on SIGTERM or SIGINT, how long calls in flight get to finish before they "
        "are stopped and answered with an error (default: %(default)s)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        type=host_name,
        default=[],
        metavar="NAME",
        help="HTTP: a host name requests may name the server by, besides loopback names and "
        f"the address they reach (repeatable; also {env_prefix}ALLOWED_HOSTS, comma-separated)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        type=origin_name,
        default=[],
        metavar="ORIGIN",
        help="HTTP: an origin browser pages may call from, besides loopback ones (repeatable; "
        f"also {env_prefix}ALLOWED_ORIGINS, comma-separated)",
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="WARNING",
        help="level of the server's own log on stderr (default: %(default)s)",
    )
    options = parser.parse_args(argv)
    allowed: dict[str, list[str]] = {
        "HOSTS": options.allowed_host,
        "ORIGINS": options.allowed_origin,
    }
    for kind, parse in (("HOSTS", host_name), ("ORIGINS", origin_name)):
        variable = f"{env_prefix}ALLOWED_{kind}"
        for value in filter(None, map(str.strip, os.environ.get(variable, "").split(","))):
            try:
                allowed[kind].append(parse(value))
            except argparse.ArgumentTypeError as error:
                parser.error(f"{variable}: {error}")
    # stdout belongs to the protocol on stdio: the server's own log goes to stderr.
    logging.basicConfig(level=options.log_level, stream=sys.stderr)
    server = build()
    # What start-up made lives as long as the process: frozen, it is left out of the
    # collector's passes from now on.
    gc.freeze()
    gc.enable()
    transport: Literal["stdio", "http"] = options.transport
    try:
        if transport == "http":
            http = HttpOptions(
                host=options.host,
                port=options.port,
                path=options.path,
                session_idle_timeout=options.session_idle_timeout,
                max_sessions=options.max_sessions,
                shutdown_grace=options.shutdown_grace,
                allowed_hosts=tuple(allowed["HOSTS"]),
                allowed_origins=tuple(allowed["ORIGINS"]),
                env_prefix=env_prefix,
            )
            anyio.run(serve_http, server, http)
        else:
            anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
