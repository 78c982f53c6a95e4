"""The request handlers registered with the SDK `Server`: tools, resources, resource
templates, prompts and completions, each run in its handler's `Context`.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from ._binding import Bindings
from ._context import Context, Inputs, current_context
from ._definitions import (
    Binding,
    BindTool,
    Completer,
    Limits,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
    ToolBinder,
)
from ._errors import (
    ERROR_META,
    NOT_IMPLEMENTED_META,
    DeclaredError,
    InputRequired,
    log_incident,
)
from ._handle import ServerHandle
from ._invoking import invoke
from ._json import pydantic_errors, to_json
from ._limits import Limiter
from ._sdk_internals import connection_of
from ._search import SearchSurface
from ._sieve import NO_TOOLS, sieve_tools
from ._tasking import Detacher, RunningTask, TaskRunner
from ._toolsets import DYNAMIC_DEFINITIONS, DynamicToolsets
from ._types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    Arguments,
    ContentBlock,
    ModelT,
    OutputT,
    ResourceReturn,
    logger,
)

# resources/read of an unknown URI: -32002 up to 2025-11-25; 2026-07-28 folded it into -32602.
RESOURCE_NOT_FOUND_LEGACY = -32002
# A handler in the multi-round style may ask for input this many times in one call.
MAX_INPUT_ROUNDS = 16

MAX_COMPLETION_VALUES = 100


def _text_result(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


def _error_result(error: DeclaredError, tool: Tool) -> types.CallToolResult:
    """A tool's failure: the message for the model, the error as data for the client.

    The data goes in `_meta` always, and in `structuredContent` too when the tool lists no
    output schema: clients such as the TypeScript SDK check any structured content against
    a listed output schema, error or not (an unlisted one they never see).
    """
    body = error.to_json()
    return types.CallToolResult(
        content=[types.TextContent(text=error.message)],
        structured_content={"error": body} if "outputSchema" not in tool.definition else None,
        is_error=True,
        _meta={ERROR_META: body},
    )


def _tool_content(value: object) -> list[ContentBlock]:
    if isinstance(value, str):
        return [types.TextContent(text=value)]
    if isinstance(value, Sequence):
        return list(value)
    return [value]  # type: ignore[list-item]


class Dispatcher:
    """The request handlers registered with the SDK `Server`."""

    def __init__(
        self,
        handle: ServerHandle,
        tools: Sequence[Mapping[str, Any]],
        bind_tool: BindTool | None,
        resources: Sequence[Resource],
        templates: Sequence[ResourceTemplate[Any]],
        prompts: Sequence[Prompt[Any]],
        limits: Limits | None,
        tasks: TaskRunner | None,
        surface: SearchSurface | None = None,
        dynamic: DynamicToolsets | None = None,
        prepare: Callable[[ToolBinder], object] | None = None,
    ) -> None:
        self.handle = handle
        self.tasks = tasks
        self.tools = {tool.name: tool for tool in map(Tool, tools)}
        # Search mode: `tools/list` shows the surface's tools; all of `tools` stay callable.
        self.surface = surface
        self.dynamic = dynamic  # `--dynamic-toolsets`: which tools each session sees
        self.bindings = Bindings(self.tools, bind_tool, prepare, bound=self._bound)
        self.resources = {r.uri: r for r in resources}
        # The generator orders templates most specific first, so the first match wins.
        self.templates = list(templates)
        self.prompts = {p.name: p for p in prompts}
        self._limiter = handle.state.limiter
        self.server_limiter = self._limiter("the server", limits) if limits is not None else None
        self.limiters: dict[str, Limiter] = {}  # of the tools that have limits, once bound
        self._tool_definitions = list(surface.definitions if surface is not None else tools)
        if dynamic is not None:
            self._tool_definitions += DYNAMIC_DEFINITIONS
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
        mode: RunningTask | Detacher | None = None,
    ) -> OutputT | types.InputRequiredResult:
        """Run a handler in its context, doing the rounds of input it asks for.

        On 2026-07-28 a request for input ends the call with an `InputRequiredResult` (the
        client answers and retries); on older connections, and in a task, the shim asks
        the client itself and runs the handler again with the answers.
        """
        self.handle.seen(ctx)
        inputs = Inputs.from_params(params)
        for _ in range(MAX_INPUT_ROUNDS):
            context: Context[Any] = Context(ctx, self.handle, inputs, mode)
            token = current_context.set(context)
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
                inputs = Inputs(inputs.responses, needed.state)
                mode = task if task is not None else mode  # a detached call stays a task
            except Exception:
                await context._flush_logs()  # what it logged before failing goes out first
                raise
            finally:
                current_context.reset(token)
        raise MCPError(INTERNAL_ERROR, f"the handler asked for input {MAX_INPUT_ROUNDS} times")

    # -- tools ---------------------------------------------------------------------------

    async def list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        self.handle.seen(ctx)  # a client that listed them wants to hear when they change
        self.bindings.listed()
        # The envelope only: the SDK checks and shapes it like any result, and the boundary
        # puts the tools in afterwards (`wire_tools`).
        return NO_TOOLS

    def wire_tools(self, version: str) -> list[dict[str, Any]]:
        """The tools as the SDK sends them on a `version` connection; made once per version."""
        wire = self._wire_tools.get(version)
        if wire is None:
            wire = self._wire_tools[version] = sieve_tools(self._tool_definitions, version)
        return wire

    def listed_tools(self, ctx: ServerRequestContext[Any, Any]) -> list[dict[str, Any]]:
        """The tools `ctx`'s `tools/list` answers with: those its session sees, if any."""
        wire = self.wire_tools(ctx.protocol_version)
        return wire if self.dynamic is None else self.dynamic.listed(ctx, wire)

    def _bound(self, tool: Tool, binding: Binding[Any]) -> None:
        if binding.limits is not None:
            self.limiters[tool.name] = self._limiter(f"tool {tool.name!r}", binding.limits)

    def tool_input_schema(self, name: str) -> Mapping[str, Any] | None:
        tool = self.tools.get(name)
        if tool is None and self.surface is not None:
            tool = self.surface.tools.get(name)
        return dict(tool.input_schema) if tool is not None else None

    async def call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> HandlerResult:
        if self.surface is not None:
            routed = await self.surface.route(params)
            if isinstance(routed, types.CallToolResult):
                return routed
            params = routed  # `call_operation`: the operation's own call, from here on
        tool = self.tools.get(params.name)
        if self.dynamic is not None:
            answered = await self.dynamic.answer(ctx, params)
            if answered is not None:
                return answered
            if tool is not None and not self.dynamic.visible(
                self.dynamic.connection(ctx), tool.name
            ):
                tool = None  # in a toolset this session has not enabled: unknown to it
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
        binding = tool.binding or await self.bindings.bind(tool)
        args: Arguments = arguments
        if binding.input_model is not None:
            try:
                args = binding.input_model.model_validate(arguments)
            except ValidationError as error:
                return _text_result(
                    f"Invalid arguments for tool {tool.name!r}:\n- "
                    + "\n- ".join(pydantic_errors(error, "arguments")),
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
        mode: RunningTask | Detacher | None,
    ) -> types.CallToolResult | types.InputRequiredResult:
        """Run the tool's handler, under its limits, and make its result or its error."""
        try:
            if self.server_limiter is None and tool.name not in self.limiters:
                value = await self._run(
                    ctx, params, lambda context: invoke(tool.name, binding, context, args), mode
                )
            else:
                async with self._admit(tool):
                    value = await self._run(
                        ctx,
                        params,
                        lambda context: invoke(tool.name, binding, context, args),
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
            reference = log_incident(f"tool {tool.name!r}")
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
        async with (
            server.admit() if server else nullcontext(),
            own.admit() if own else nullcontext(),
        ):
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
        self.handle.seen(ctx)
        return self._resource_list

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        self.handle.seen(ctx)
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
                    + "; ".join(pydantic_errors(error, "parameters")),
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
        self.handle.subscribe(uri, connection_of(ctx.session))
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self.handle.unsubscribe(str(params.uri), connection_of(ctx.session))
        return types.EmptyResult()

    # -- prompts -------------------------------------------------------------------------

    async def list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        self.handle.seen(ctx)
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
                + "; ".join(pydantic_errors(error, "arguments")),
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
        given = dict(params.context.arguments or {}) if params.context else {}
        context: Context[Any] = Context(ctx, self.handle)
        token = current_context.set(context)  # where the completer's `logging` records go
        try:
            values = list(
                await self._guarded(
                    f"completion of {params.argument.name!r}",
                    completer(context, params.argument.value, given),
                )
            )
        except MCPError:
            await context._flush_logs()
            raise
        finally:
            current_context.reset(token)
        await context._flush_logs()
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
                INTERNAL_ERROR, f"Internal error (reference {log_incident(what)})"
            ) from None


_RESULT_TYPES: dict[str, type[BaseModel]] = {
    "elicitation/create": types.ElicitResult,
    "sampling/createMessage": types.CreateMessageResult,
    "roots/list": types.ListRootsResult,
}


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
