"""`build_sdk_server`: the SDK server a generated package serves, with only what its spec uses."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import ListenHandler
from mcp.shared.exceptions import MCPDeprecationWarning

from ._boundary import Boundary
from ._context import install_log_bridge, set_log_level
from ._definitions import (
    BindTool,
    Lifespan,
    Limits,
    Prompt,
    Resource,
    ResourceTemplate,
    ToolBinder,
)
from ._dispatch import Dispatcher
from ._handle import ServerHandle, ServerInfo
from ._search import CALL, SearchSurface
from ._serving import chosen
from ._state import MemoryState, State
from ._tasking import TaskRunner
from ._toolsets import DynamicToolsets, ServingError, ToolSurface, in_toolsets


class _Server(Server[Any]):
    """The SDK server, telling 2025-era clients that its lists may change.

    Any handler may call `ctx.server.tools_changed()` and the like, and 2025-era clients
    refetch a list only if the server said it may change. The SDK says so only when given
    `NotificationOptions`, which its transports (in-process, stdio, HTTP) never pass; on
    2026-07-28 it says so by itself, as `subscriptions/listen` is served.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or _LISTS_MAY_CHANGE, experimental_capabilities, extensions
        )


_LISTS_MAY_CHANGE = NotificationOptions(
    prompts_changed=True, resources_changed=True, tools_changed=True
)


def build_sdk_server(
    info: ServerInfo,
    *,
    tools: Sequence[Mapping[str, Any]] = (),
    bind_tool: BindTool | None = None,
    resources: Sequence[Resource] = (),
    resource_templates: Sequence[ResourceTemplate[Any]] = (),
    prompts: Sequence[Prompt[Any]] = (),
    limits: Limits | None = None,
    lifespan: Lifespan | None = None,
    log_namespace: str | None = None,
    tasks: TaskRunner | None = None,
    state: State | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
    tool_surface: ToolSurface = "tools",
    prepare: Callable[[ToolBinder], object] | None = None,
) -> Server[Any]:
    """Build the SDK server; only the capabilities the spec uses are registered.

    `log_namespace` names the logger whose records (and its children's) are bridged to
    the client of the request that logs them. `state` keeps what outlives a request
    (by default the command line's `--state-url`, else this process's memory).
    `tags` groups tools in toolsets (tool name -> its tags); `tool_surface` is the spec's,
    which the command line's `--tool-surface` overrides, as `--toolsets` picks the tools.
    `prepare` makes what every tool call needs (an HTTP API's client, as `binder.shared`
    makes it) in the background once the tools are listed, not on the first call.
    """
    choice = chosen()
    kept = state if state is not None else choice.state
    if kept is None:
        kept = MemoryState()
    handle = ServerHandle(info, kept)
    tags = tags or {}
    served = in_toolsets(tools, tags, choice.toolsets)
    # A server without tools has nothing to search: it serves as it would anyway.
    searched = bool(served) and (choice.surface or tool_surface) == "search"
    search = SearchSurface(served, tags) if searched else None
    dynamic: DynamicToolsets | None = None
    if choice.dynamic:
        if search is not None:
            raise ServingError("--dynamic-toolsets serves tools, not the search surface")
        # Every tool, as any session may enable any toolset; `--toolsets` is where they start.
        dynamic, served = DynamicToolsets(tools, tags, choice.toolsets), list(tools)
    dispatcher = Dispatcher(
        handle,
        served,
        bind_tool,
        resources,
        resource_templates,
        prompts,
        limits,
        tasks,
        search,
        dynamic,
        prepare,
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
            async with (
                kept.running(),
                tasks.running() if tasks is not None else nullcontext(),
                anyio.create_task_group() as background,
            ):
                dispatcher.bindings.background = background
                try:
                    if lifespan is None:
                        yield None
                    else:
                        async with lifespan(handle) as state:
                            yield state
                finally:
                    dispatcher.bindings.background = None
                    background.cancel_scope.cancel()
        finally:
            listen.close()
            await dispatcher.bindings.binder.close()

    with warnings.catch_warnings():
        # on_set_logging_level is deprecated for 2026-07-28 only; 2025-era clients need it.
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server: Server[Any] = _Server(
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
            on_set_logging_level=set_log_level,
        )
    if tools:
        # Registered directly: `tools/list` answers with the definitions as they are, not a
        # model, and a call that starts a task answers with a result the SDK has no model
        # for (CreateTaskResult); `on_list_tools` and `on_call_tool` allow neither.
        server.add_request_handler(
            "tools/list", types.PaginatedRequestParams, dispatcher.list_tools
        )
        server.add_request_handler("tools/call", types.CallToolRequestParams, dispatcher.call_tool)
    if tasks is not None:
        # First, so its middleware is outermost: it sees `tools/list` as the boundary makes it.
        support = {t.name: t.task_support for t in dispatcher.tools.values()}
        if search is not None and any(s != "forbidden" for s in support.values()):
            support[CALL] = "optional"  # a call of an operation that runs as a task
        tasks.install(server, support, handle.bus, kept)
    server.middleware.append(
        Boundary(info.name, dispatcher.listed_tools if tools else None, kept.security)
    )
    if log_namespace is not None:
        install_log_bridge(log_namespace)
    return server
