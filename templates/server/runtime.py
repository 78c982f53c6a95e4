"""The runtime shim of an mcpgen server: everything between the MCP SDK and the handlers.

mcpgen copies this one file verbatim into every generated package, so a generated server
never depends on mcpgen itself. Generated code imports the SDK only through this module;
handlers receive a `Context` and typed models, and never see the SDK's request plumbing.

It holds the dispatch tables (tools, resources, resource templates, prompts, completions),
argument validation, the error boundary that keeps internals off the wire, and the stdio
and streamable-HTTP entry points.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import sys
import uuid
import warnings
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.uri_template import UriTemplate
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, RootModel, ValidationError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "NOT_IMPLEMENTED_META",
    "AudioContent",
    "BlobResourceContents",
    "Completer",
    "ContentBlock",
    "Context",
    "DeclaredError",
    "EmbeddedResource",
    "ImageContent",
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
    "SdkServer",
    "ServerInfo",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolAnnotations",
    "ToolReturn",
    "build_server",
    "main",
]

RUNTIME_VERSION = "0.1.0"

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
ToolAnnotations = types.ToolAnnotations
ContentBlock: TypeAlias = types.ContentBlock
LogLevel: TypeAlias = types.LoggingLevel
SdkServer: TypeAlias = Server[Any]

ToolReturn: TypeAlias = str | ContentBlock | Sequence[ContentBlock]
"""What a tool without an output schema returns: text, one content block, or several."""

ResourceReturn: TypeAlias = str | bytes
"""What a resource handler returns: text, or bytes sent base64-encoded as a blob."""

PromptReturn: TypeAlias = str | Sequence[PromptMessage]
"""What a prompt handler returns: text becomes one user message."""

INVALID_PARAMS = types.INVALID_PARAMS
INTERNAL_ERROR = types.INTERNAL_ERROR
# `_meta` flag on the result of a tool whose handler is still the scaffolded stub, so tests
# (and curious clients) can tell "not written yet" from "failed".
NOT_IMPLEMENTED_META = "dev.mcpgen/not-implemented"
# resources/read of an unknown URI: -32002 up to 2025-11-25; 2026-07-28 folded it into -32602.
RESOURCE_NOT_FOUND_LEGACY = -32002

logger = logging.getLogger("mcpgen.runtime")

ModelT = TypeVar("ModelT", bound=BaseModel)
OutputT = TypeVar("OutputT")


class Context:
    """What a handler knows about the request it serves, and what it may do with it."""

    __slots__ = ("_last_progress", "_request", "_server_name")

    def __init__(self, request: ServerRequestContext[Any, Any], server_name: str) -> None:
        self._request = request
        self._server_name = server_name
        self._last_progress: float | None = None

    @property
    def request_id(self) -> str | int | None:
        """The JSON-RPC id of the request being served."""
        return self._request.request_id

    @property
    def protocol_version(self) -> str:
        """The protocol version negotiated with (or declared by) the client."""
        return self._request.protocol_version

    async def progress(
        self, done: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Report progress; a no-op when the client did not ask for it.

        Progress must only grow (the protocol says so), so a value that is not larger than
        the last one sent is dropped rather than confusing the client.
        """
        if self._last_progress is not None and done <= self._last_progress:
            return
        self._last_progress = done
        await self._request.session.report_progress(done, total, message)

    async def log(self, level: LogLevel, message: str, **fields: Any) -> None:
        """Send a log message to the client (`notifications/message`).

        On 2025-era connections the level the client set with `logging/setLevel` filters
        here (the SDK does not); on 2026-07-28 the SDK filters by the request's opt-in.
        """
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
                level, data, logger=self._server_name, related_request_id=self._request.request_id
            )
        await sending

    async def checkpoint(self) -> None:
        """Yield to the event loop; raises the cancellation if the client cancelled.

        CPU-bound loops call this now and then so a `notifications/cancelled` can stop them.
        """
        await anyio.lowlevel.checkpoint()


_LOG_ORDER: dict[str, int] = {
    level: rank
    for rank, level in enumerate(
        ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
    )
}
# The level each 2025-era connection asked for; entries go with their connections.
_session_log_levels: weakref.WeakKeyDictionary[object, LogLevel] = weakref.WeakKeyDictionary()


def _connection_of(session: object) -> object:
    """The object that lives as long as the client's connection.

    `ctx.session` is a new proxy for every request; SDK 2.3 keeps the connection it
    proxies in a private attribute, and exposes no public per-connection state.
    """
    return getattr(session, "_connection", session)


async def _set_log_level(
    ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
) -> types.EmptyResult:
    _session_log_levels[_connection_of(ctx.session)] = params.level
    return types.EmptyResult()


class DeclaredError(Exception):
    """Base of the error types a spec declares; raised in a handler, reaches the client.

    A tool that raises one answers with an `isError` result carrying the message as text and
    the error as structured content; elsewhere it becomes a JSON-RPC error with its code.
    """

    error_type: ClassVar[str] = "DeclaredError"
    code: ClassVar[int] = -32000
    message_template: ClassVar[str] = ""

    def __init__(self, data: BaseModel | None = None, *, message: str | None = None) -> None:
        self.data = data
        fields = data.model_dump(mode="json", by_alias=True) if data is not None else {}
        self.message = message if message is not None else self.message_template.format_map(fields)
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        """The structured form sent to the client."""
        body: dict[str, Any] = {"type": self.error_type, "code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = to_json(self.data)
        return body


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Identity of the server as the spec declares it."""

    name: str
    version: str
    title: str | None = None
    description: str | None = None
    instructions: str | None = None
    website_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool(Generic[ModelT, OutputT]):
    """A tool: its advertised definition and the typed handler behind it."""

    name: str
    title: str | None
    description: str | None
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any] | None
    annotations: ToolAnnotations | None
    input_model: type[ModelT]
    handler: Callable[[Context, ModelT], Awaitable[OutputT]]
    max_concurrency: int | None = None
    _limiter: anyio.Semaphore | None = field(default=None, init=False, repr=False)
    _validator: list[Validator] = field(default_factory=list, init=False, repr=False)

    def definition(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=dict(self.input_schema),
            output_schema=dict(self.output_schema) if self.output_schema is not None else None,
            annotations=self.annotations,
        )

    def validation_errors(self, arguments: Mapping[str, Any]) -> list[str]:
        """Where `arguments` break the advertised input schema, one readable line each."""
        if not self._validator:
            # jsonschema costs ~60 ms to import: pay for it on the first call, not at start-up.
            from jsonschema import Draft202012Validator

            self._validator.append(Draft202012Validator(dict(self.input_schema)))
        validator = self._validator[0]
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(map(str, e.path)))
        return [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A static resource at a fixed URI, served from `text` or by a handler."""

    uri: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    handler: Callable[[Context], Awaitable[ResourceReturn]] | None = None
    text: str | None = None

    def definition(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
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
    handler: Callable[[Context, ModelT], Awaitable[ResourceReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)
    _parsed: list[UriTemplate] = field(default_factory=list, init=False, repr=False)

    def definition(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )

    def match(self, uri: str) -> dict[str, str | list[str]] | None:
        if not self._parsed:
            self._parsed.append(UriTemplate.parse(self.uri_template))
        return self._parsed[0].match(uri)


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
    handler: Callable[[Context, ModelT], Awaitable[PromptReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)

    def definition(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
        )


Completer: TypeAlias = Callable[[Context, str, Mapping[str, str]], Awaitable[Sequence[str]]]
"""Suggests values for one argument: `(ctx, partial value, other arguments) -> values`."""

MAX_COMPLETION_VALUES = 100


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
        for name, info in type(value).model_fields.items():
            key = info.alias or name
            attribute = getattr(value, name)
            if attribute is None and not info.is_required():
                data.pop(key, None)
            elif key in data:
                _drop_optional_nones(attribute, data[key])
    elif isinstance(value, (list, tuple)) and isinstance(data, list):
        for item, dumped in zip(value, data, strict=False):
            _drop_optional_nones(item, dumped)
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in value.items():
            if key in data:
                _drop_optional_nones(item, data[key])


def _json_path(path: Sequence[str | int]) -> str:
    if not path:
        return "arguments"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _pydantic_errors(error: ValidationError) -> list[str]:
    return [f"{_json_path(e['loc']) if e['loc'] else 'value'}: {e['msg']}" for e in error.errors()]


def _text_result(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


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


class _Dispatcher:
    """The request handlers registered with the SDK `Server`."""

    def __init__(
        self,
        info: ServerInfo,
        tools: Sequence[Tool[Any, Any]],
        resources: Sequence[Resource],
        templates: Sequence[ResourceTemplate[Any]],
        prompts: Sequence[Prompt[Any]],
    ) -> None:
        self.info = info
        self.tools = {t.name: t for t in tools}
        self.resources = {r.uri: r for r in resources}
        # The generator orders templates most specific first, so the first match wins.
        self.templates = list(templates)
        self.prompts = {p.name: p for p in prompts}
        self.limiters = {
            t.name: anyio.Semaphore(t.max_concurrency) for t in tools if t.max_concurrency
        }
        self._tool_list = types.ListToolsResult(tools=[t.definition() for t in tools])
        self._resource_list = types.ListResourcesResult(
            resources=[r.definition() for r in resources]
        )
        self._template_list = types.ListResourceTemplatesResult(
            resource_templates=[t.definition() for t in templates]
        )
        self._prompt_list = types.ListPromptsResult(prompts=[p.definition() for p in prompts])

    def context(self, request: ServerRequestContext[Any, Any]) -> Context:
        return Context(request, self.info.name)

    # -- tools ---------------------------------------------------------------------------

    async def list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return self._tool_list

    async def call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = self.tools.get(params.name)
        if tool is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {params.name}")
        arguments = params.arguments or {}
        problems = tool.validation_errors(arguments)
        if problems:
            return _text_result(
                f"Invalid arguments for tool {tool.name!r}:\n- " + "\n- ".join(problems),
                is_error=True,
            )
        try:
            args = tool.input_model.model_validate(arguments)
        except ValidationError as error:
            return _text_result(
                f"Invalid arguments for tool {tool.name!r}:\n- "
                + "\n- ".join(_pydantic_errors(error)),
                is_error=True,
            )
        limiter = self.limiters.get(tool.name)
        try:
            if limiter is None:
                value = await tool.handler(self.context(ctx), args)
            else:
                async with limiter:
                    value = await tool.handler(self.context(ctx), args)
        except DeclaredError as error:
            return types.CallToolResult(
                content=[types.TextContent(text=error.message)],
                structured_content={"error": error.to_json()},
                is_error=True,
            )
        except NotImplementedError as error:
            detail = f": {error}" if str(error) else ""
            return types.CallToolResult(
                content=[
                    types.TextContent(text=f"Tool {tool.name!r} is not implemented yet{detail}")
                ],
                is_error=True,
                _meta={NOT_IMPLEMENTED_META: True},
            )
        except Exception:
            reference = _incident(f"tool {tool.name!r}")
            return _text_result(
                f"Tool {tool.name!r} failed with an internal error (reference {reference}).",
                is_error=True,
            )
        if tool.output_schema is None:
            return types.CallToolResult(content=_tool_content(value))
        structured = to_json(value)
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
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        resource = self.resources.get(uri)
        if resource is not None:
            if resource.text is not None:
                value: ResourceReturn = resource.text
            else:
                assert resource.handler is not None  # the generator wires one or the other
                value = await self._guarded(
                    f"resource {uri!r}", resource.handler(self.context(ctx))
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
                    f"Invalid resource URI {uri!r}: " + "; ".join(_pydantic_errors(error)),
                ) from None
            value = await self._guarded(
                f"resource template {template.name!r}", template.handler(self.context(ctx), model)
            )
            return _read_result(uri, template.mime_type, value)
        not_found = (
            INVALID_PARAMS
            if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
            else RESOURCE_NOT_FOUND_LEGACY
        )
        raise MCPError(not_found, f"Resource not found: {uri}", {"uri": uri})

    # -- prompts -------------------------------------------------------------------------

    async def list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return self._prompt_list

    async def get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
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
                + "; ".join(_pydantic_errors(error)),
            ) from None
        value = await self._guarded(
            f"prompt {prompt.name!r}", prompt.handler(self.context(ctx), args)
        )
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
                completer(self.context(ctx), params.argument.value, context),
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
            raise MCPError(error.code, error.message, error.to_json()) from None
        except NotImplementedError as error:
            detail = f": {error}" if str(error) else ""
            raise MCPError(INTERNAL_ERROR, f"{what} is not implemented yet{detail}") from None
        except Exception:
            raise MCPError(
                INTERNAL_ERROR, f"Internal error (reference {_incident(what)})"
            ) from None


def _read_result(
    uri: str, mime_type: str | None, value: ResourceReturn
) -> types.ReadResourceResult:
    contents: types.TextResourceContents | types.BlobResourceContents
    if isinstance(value, bytes):
        contents = types.BlobResourceContents(
            uri=uri, mime_type=mime_type, blob=base64.b64encode(value).decode("ascii")
        )
    else:
        contents = types.TextResourceContents(uri=uri, mime_type=mime_type, text=value)
    return types.ReadResourceResult(contents=[contents])


async def _error_boundary(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
    """Last line of defence: no exception text and no non-standard code reach the client.

    Without it the SDK answers an unexpected exception on 2025-era connections with code 0
    and `str(exc)`. MCPError and the SDK's own params ValidationError already map correctly.
    """
    try:
        return await call_next(ctx)
    except (MCPError, ValidationError, anyio.get_cancelled_exc_class()):
        raise
    except Exception:
        raise MCPError(
            INTERNAL_ERROR, f"Internal error (reference {_incident(ctx.method)})"
        ) from None


def build_server(
    info: ServerInfo,
    *,
    tools: Sequence[Tool[Any, Any]] = (),
    resources: Sequence[Resource] = (),
    resource_templates: Sequence[ResourceTemplate[Any]] = (),
    prompts: Sequence[Prompt[Any]] = (),
) -> Server[Any]:
    """Build the SDK server; only the capabilities the spec uses are registered."""
    dispatcher = _Dispatcher(info, tools, resources, resource_templates, prompts)
    has_completions = any(t.completers for t in resource_templates) or any(
        p.completers for p in prompts
    )
    has_resources = bool(resources or resource_templates)
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
            on_list_tools=dispatcher.list_tools if tools else None,
            on_call_tool=dispatcher.call_tool if tools else None,
            on_list_resources=dispatcher.list_resources if has_resources else None,
            on_list_resource_templates=dispatcher.list_resource_templates
            if has_resources
            else None,
            on_read_resource=dispatcher.read_resource if has_resources else None,
            on_list_prompts=dispatcher.list_prompts if prompts else None,
            on_get_prompt=dispatcher.get_prompt if prompts else None,
            on_completion=dispatcher.complete if has_completions else None,
            on_set_logging_level=_set_log_level,
        )
    server.middleware.append(_error_boundary)
    return server


# -- transports ------------------------------------------------------------------------


class MemoryEventStore(EventStore):
    """A bounded in-memory event store, so HTTP clients can resume an interrupted stream."""

    def __init__(self, max_events: int = 10_000) -> None:
        self._max_events = max_events
        self._events: dict[str, tuple[str, types.JSONRPCMessage | None]] = {}
        self._next = 0

    async def store_event(self, stream_id: str, message: types.JSONRPCMessage | None) -> str:
        self._next += 1
        event_id = f"{self._next:016x}"
        self._events[event_id] = (stream_id, message)
        if len(self._events) > self._max_events:
            # Dicts keep insertion order, so the first key is the oldest event.
            del self._events[next(iter(self._events))]
        return event_id

    async def replay_events_after(
        self, last_event_id: str, send_callback: EventCallback
    ) -> str | None:
        found = self._events.get(last_event_id)
        if found is None:
            return None
        stream_id = found[0]
        replay = False
        for event_id, (event_stream, message) in list(self._events.items()):
            if replay and event_stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
            replay = replay or event_id == last_event_id
        return stream_id


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over this process's stdin and stdout."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(server: Server[Any], host: str, port: int, path: str) -> None:
    """Serve streamable HTTP (stateful, resumable) until SIGINT or SIGTERM."""
    import uvicorn

    app = server.streamable_http_app(
        streamable_http_path=path, event_store=MemoryEventStore(), host=host
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


def main(build: Callable[[], Server[Any]], name: str, argv: Sequence[str] | None = None) -> None:
    """The command line of a generated server: `python -m <package> [--transport http]`."""
    parser = argparse.ArgumentParser(prog=name, description=f"Run the {name} MCP server.")
    parser.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio (default) for a client that spawns the server; http for streamable HTTP",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="HTTP bind address (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default: %(default)s)")
    parser.add_argument("--path", default="/mcp", help="HTTP endpoint path (default: %(default)s)")
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="WARNING",
        help="level of the server's own log on stderr (default: %(default)s)",
    )
    options = parser.parse_args(argv)
    # stdout belongs to the protocol on stdio: the server's own log goes to stderr.
    logging.basicConfig(level=options.log_level, stream=sys.stderr)
    server = build()
    transport: Literal["stdio", "http"] = options.transport
    try:
        if transport == "http":
            anyio.run(serve_http, server, options.host, options.port, options.path)
        else:
            anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
