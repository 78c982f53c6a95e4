"""Helpers of the runtime tests: servers built from the runtime in place, and what a client saw.

A test declares its tools as a generated `server.py` does (a wire definition and a
`Binding`), builds the SDK server with `build_sdk_server`, and talks to it through the SDK's
own `Client`, in-process, in both protocol eras (`ERAS`). No code is generated: the runtime
under test is `mcpgen.vendored.runtime`, imported where it lives.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import anyio
import mcp_types as types
from mcp.client import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from mcpgen.vendored.runtime import ERROR_META, SdkServer, ServerInfo
from mcpgen.vendored.runtime._definitions import (
    Binding,
    Prompt,
    Resource,
    ResourceTemplate,
    ToolBinder,
)
from mcpgen.vendored.runtime._server import build_sdk_server
from pydantic import BaseModel, ConfigDict

# The 2025-11-25 initialize handshake ("legacy") and 2026-07-28 (no handshake).
ERAS = ("legacy", "2026-07-28")
MODERN = "2026-07-28"
INFO = ServerInfo(name="runtime-test", version="0.0.1")
OBJECT: Mapping[str, Any] = {"type": "object"}
TASKS = "io.modelcontextprotocol/tasks"


@dataclass(frozen=True)
class ToolDef:
    """One tool as a generated server declares it: its wire definition and its binding."""

    definition: dict[str, Any]
    binding: Binding[Any]


def tool(
    name: str,
    handler: Callable[..., Any],
    *,
    input_schema: Mapping[str, Any] = OBJECT,
    output_schema: Mapping[str, Any] | None = None,
    task_support: Literal["optional", "required"] | None = None,
    **options: Any,
) -> ToolDef:
    """A tool whose handler gets its arguments as they came (no input model) unless
    `options` names an `input_model`; the other options are `Binding`'s."""
    definition: dict[str, Any] = {"name": name, "inputSchema": dict(input_schema)}
    if output_schema is not None:
        definition["outputSchema"] = dict(output_schema)
    if task_support is not None:
        definition["execution"] = {"taskSupport": task_support}
    model = options.pop("input_model", None)
    return ToolDef(definition, Binding(model, handler, **options))


class NoArguments(BaseModel):
    """The arguments model of a prompt that takes none."""


def resource(uri: str, **declared: Any) -> Resource:
    """A static resource: `text=` or `handler=`, and what else `Resource` takes (its
    name is its URI, and it has no title, description or MIME type, unless given)."""
    facts: dict[str, Any] = {"name": uri, "title": None, "description": None, "mime_type": None}
    return Resource(uri=uri, **{**facts, **declared})


def template(
    uri_template: str, params_model: type[BaseModel], handler: Callable[..., Any], **declared: Any
) -> ResourceTemplate[Any]:
    """A resource template, named after its URI template unless `name=` says otherwise;
    the rest is `ResourceTemplate`'s."""
    facts: dict[str, Any] = {
        "name": uri_template,
        "title": None,
        "description": None,
        "mime_type": None,
    }
    return ResourceTemplate(
        uri_template=uri_template,
        params_model=params_model,
        handler=handler,
        **{**facts, **declared},
    )


def prompt(name: str, handler: Callable[..., Any], **declared: Any) -> Prompt[Any]:
    """A prompt of no arguments unless `arguments=` and `arguments_model=` say otherwise;
    the rest is `Prompt`'s."""
    facts: dict[str, Any] = {
        "title": None,
        "description": None,
        "arguments": [],
        "arguments_model": NoArguments,
    }
    return Prompt(name=name, handler=handler, **{**facts, **declared})


def build(*tools: ToolDef, **server: Any) -> SdkServer:
    """The SDK server of `tools` (bound on the first call, as generated servers do); the
    keyword arguments go to `build_sdk_server` (resources, prompts, limits, tasks, ...)."""

    bindings = {t.definition["name"]: t.binding for t in tools}

    def bind_tool(_: ToolBinder, name: str) -> Binding[Any]:
        return bindings[name]

    return build_sdk_server(
        INFO,
        tools=[t.definition for t in tools],
        bind_tool=bind_tool if tools else None,
        **server,
    )


def modern(client: Client) -> bool:
    return client.protocol_version in MODERN_PROTOCOL_VERSIONS


def text_of(result: types.CallToolResult) -> str:
    """The one text block of a tool result."""
    assert len(result.content) == 1, result.content
    block = result.content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


def error_of(result: types.CallToolResult) -> dict[str, Any]:
    """The error of an `isError` result as data: in `_meta`, and in `structuredContent`
    when the tool has no output schema."""
    assert result.is_error, result
    assert result.meta is not None, result
    error: dict[str, Any] = result.meta[ERROR_META]
    return error


@dataclass
class Seen:
    """What a client received besides results: progress, log messages, other notifications."""

    progress: list[tuple[float, float | None, str | None]] = field(default_factory=list)
    logs: list[types.LoggingMessageNotificationParams] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, total, message))

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        self.logs.append(params)

    async def on_message(self, message: Any) -> None:
        self.messages.append(message)

    def log_texts(self) -> list[tuple[str, str]]:
        """(level, message) of each log message the runtime sent (`{"message": ...}`)."""
        return [(log.level, log.data["message"]) for log in self.logs]


async def set_level(client: Client, level: types.LoggingLevel) -> None:
    """`logging/setLevel` on a 2025-era connection (2026-07-28 opts in per request)."""
    if not modern(client):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.set_logging_level(level)


async def eventually(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait until `check()` holds; fail after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not check():
            await anyio.sleep(0.005)  # polling a condition, bounded by fail_after


# -- the tasks extension, client side (SDK 2.3 has none) ---------------------------------


class CreatedTask(types.Result):
    """What `tools/call` answers when it starts a task."""

    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"]
    task_id: str
    status: str


class _TaskParams(types.RequestParams):
    model_config = ConfigDict(extra="allow")
    task_id: str


class _TaskRequest(types.Request[_TaskParams, str]):
    """tasks/get, tasks/update or tasks/cancel (the task id names it, as a header on HTTP)."""

    name_param: ClassVar[str | None] = "taskId"


class _AnyResult(types.Result):
    model_config = ConfigDict(extra="allow")


Answer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class TasksClient(ClientExtension):
    """Speaks io.modelcontextprotocol/tasks: `client.call_tool` polls a task it started to
    its end, answering its input requests with `answer` (wire JSON in, wire JSON out);
    `statuses` records what each poll saw, in order."""

    identifier = TASKS

    def __init__(self, answer: Answer | None = None, pause: float = 0.005) -> None:
        self.answer = answer
        self.pause = pause
        self.statuses: list[str] = []
        self.task_ids: list[str] = []

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self._resolve)]

    async def _resolve(self, created: CreatedTask, ctx: ClaimContext) -> types.CallToolResult:
        self.task_ids.append(created.task_id)
        self.statuses.append(created.status)
        with anyio.fail_after(10):
            while True:
                task = await task_request(ctx.session, "tasks/get", created.task_id)
                if task["status"] != self.statuses[-1]:
                    self.statuses.append(task["status"])
                if task["status"] == "completed":
                    return types.CallToolResult.model_validate(task["result"])
                if task["status"] in ("failed", "cancelled"):
                    raise TaskEnded(task)
                if task["status"] == "input_required" and self.answer is not None:
                    answers = {
                        key: await self.answer(request)
                        for key, request in task["inputRequests"].items()
                    }
                    await task_request(
                        ctx.session, "tasks/update", created.task_id, inputResponses=answers
                    )
                await anyio.sleep(self.pause)


class TaskEnded(Exception):
    """A task the client polled failed or was cancelled; `task` is its last `tasks/get`."""

    def __init__(self, task: dict[str, Any]) -> None:
        super().__init__(f"task {task['status']}: {task.get('error')}")
        self.task = task


async def task_request(session: Any, method: str, task_id: str, **params: Any) -> dict[str, Any]:
    """One request of the tasks extension, its result as wire JSON."""
    request = _TaskRequest(method=method, params=_TaskParams(task_id=task_id, **params))
    result = await session.send_request(request, _AnyResult)
    dumped: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


async def start_task(client: Client, name: str, arguments: dict[str, Any]) -> CreatedTask:
    """Call `name` and get the task it started, without polling it."""
    created = await client.session.call_tool(name, arguments, allow_claimed=True)
    assert isinstance(created, CreatedTask), created
    return created
