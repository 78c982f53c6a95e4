"""The tasks extension (`io.modelcontextprotocol/tasks`): tool calls a client starts, then
polls. Vendored only into servers whose spec has a tool that may run as a task.

SDK 2.3 defines the wire types only, so the extension is built here on the SDK's public
seams: request handlers for `tasks/get`, `tasks/update` and `tasks/cancel`, a middleware
that gates them, and the server lifespan, which owns the task group tasks run in (a
2026-07-28 HTTP request's connection closes when its response is written, so a task cannot
live in its request). `tasks/result` and `tasks/list` are gone from the extension: the SDK
answers them -32601. Tasks are a 2026-07-28 feature: on older connections a task tool runs
as a plain call (or, if it requires a task, is refused with -32021).

A task runs where it started; with shared state (`_state`) its record is in the store too,
so any replica answers `tasks/get`, and hands `tasks/update` and `tasks/cancel` to the
replica that runs it. A task is its caller's: another principal is told it does not exist.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
import anyio.abc
import mcp_types as types
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import MCP_NAME_HEADER, decode_header_value
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ConfigDict, Field

from ._state import SharedTasks, State, caller
from ._tasking import Body, Detacher, TaskSupport
from ._tasks_listen import Listener, ListenWithTasks

_tasks_logger = logging.getLogger("mcpgen.tasks")

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
_TASK_METHODS = frozenset({"tasks/get", "tasks/update", "tasks/cancel"})
_TERMINAL = frozenset({"completed", "failed", "cancelled"})
TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]


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
    owner: str = ""
    """Who started it (`_state.caller`): only they may read, answer or cancel it."""
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
        self._listeners: list[Listener] = []
        self._keys = itertools.count(1)
        self._support: dict[str, TaskSupport] = {}
        self._shared: SharedTasks | None = None

    # -- wiring --------------------------------------------------------------------------

    def install(
        self,
        server: Server[Any],
        support: Mapping[str, TaskSupport],
        bus: Any | None,
        state: State,
    ) -> None:
        """Register the extension's methods, its gate, and its listen stream on `server`;
        with shared state, the store every replica reads and commands the tasks through."""
        self._support = dict(support)
        self._shared = state.tasks()
        if self._shared is not None:
            self._shared.on_command(self._commanded)
            state.receive(self._heard)
        server.extensions[TASKS_EXTENSION] = {}
        server.middleware.append(self._gate)
        server.add_request_handler("tasks/get", _TaskIdParams, self._get)
        server.add_request_handler("tasks/update", _TaskUpdateParams, self._update)
        server.add_request_handler("tasks/cancel", _TaskIdParams, self._cancel)
        server.add_request_handler(
            "subscriptions/listen",
            types.SubscriptionsListenRequestParams,
            ListenWithTasks(self.listen, bus),
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
            result["tools"] = [self._with_support(tool) for tool in result.get("tools") or []]
        return result

    def _with_support(self, tool: Any) -> Any:
        """`tool` with its `execution.taskSupport`; a copy, as the tools are the
        dispatcher's, made once per protocol version."""
        if not isinstance(tool, dict) or "execution" in tool:
            return tool
        support = self._support.get(str(tool.get("name")), "forbidden")
        if support == "forbidden":
            return tool
        return {**tool, "execution": {"taskSupport": support}}

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
        owner = caller()
        if starts == "at_once":
            task = self._new(owner)
            await self._share(task)  # readable everywhere before the client hears of it
            self._group.start_soon(self._run, task, body, TaskHandle(self, task))
            return task.created()
        return await self._run_until_detached(body, owner)

    async def _run_until_detached(self, body: Body, owner: str) -> HandlerResult:
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
            task = self._new(owner)
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
            await self._share(detached[0])
            return detached[0].created()
        if failure:
            raise failure[0]
        if not outcome:
            raise MCPError(types.INTERNAL_ERROR, "the call ended without an answer")
        return outcome[0]

    def _new(self, owner: str) -> _Task:
        task = _Task(secrets.token_urlsafe(16), self.ttl_ms, self.poll_interval_ms, owner)
        self._tasks[task.task_id] = task  # readable before the client hears of it
        if self._shared is not None:
            self._shared.hold(task.task_id)
        return task

    async def _share(self, task: _Task) -> None:
        """Write the task's record to the shared store (if any); adopt what a replica made
        of it first (a cancel through another replica wins over a later finish here)."""
        if self._shared is None:
            return
        if task.terminal:
            self._shared.release(task.task_id)
        # The record lives as long as the task: `ttl_ms` from its start, not from this write.
        left = 0
        if task.ttl_ms is not None:
            left = task.ttl_ms - int((time.monotonic() - task.started) * 1000)
            if left <= 0:
                self._shared.release(task.task_id)
                return  # past its lifetime: forgotten everywhere
        if not await self._shared.save(task.task_id, task.owner, task.detailed(), left):
            # Final in the store already (cancelled through another replica): so it is here
            # too, whatever this replica had made of it since.
            self._shared.release(task.task_id)
            found = await self._shared.load(task.task_id)
            stored: dict[str, Any] = found[1] if found is not None else {"status": "cancelled"}
            task.status = stored["status"]
            task.result, task.error = stored.get("result"), stored.get("error")
            task.pending.clear()
            task.scope.cancel()

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
        if self._shared is not None:
            await self._share(task)  # the listeners hear of it from the store, everywhere
        elif self._listeners:
            record = task.detailed()
            for listener in list(self._listeners):
                listener(task.owner, record)

    async def _heard(self, notice: dict[str, Any]) -> None:
        """A task's change, saved by any replica: told to this replica's listeners."""
        record = notice.get("task")
        if isinstance(record, dict):
            for listener in list(self._listeners):
                listener(str(notice.get("owner", "")), record)

    async def _commanded(self, task_id: str, command: dict[str, Any]) -> None:
        """`tasks/update` or `tasks/cancel` through another replica, for a task run here."""
        task = self._tasks.get(task_id)
        if task is None:
            return  # another replica's
        if command.get("kind") == "cancel":
            await self._cancel_here(task)
        else:
            await self._answer(task, command.get("inputResponses") or {})

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

    async def _find(self, task_id: str) -> _Task | tuple[str, dict[str, Any]]:
        """The task if it runs here, else its (owner, record) in the shared store; a task
        of another caller is as unknown as one that never was."""
        task = self._tasks.get(task_id)
        if task is not None and not task.expired(time.monotonic()):
            if task.owner == caller():
                return task
        elif task is None and self._shared is not None:
            found = await self._shared.load(task_id)
            if found is not None and found[0] == caller():
                return found
        raise MCPError(types.INVALID_PARAMS, f"Unknown taskId: {task_id}")

    async def _get(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskIdParams
    ) -> dict[str, Any]:
        task = await self._find(params.task_id)
        return task.detailed() if isinstance(task, _Task) else task[1]

    async def _update(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskUpdateParams
    ) -> dict[str, Any]:
        task = await self._find(params.task_id)
        if isinstance(task, _Task):
            await self._answer(task, params.input_responses)
        elif self._shared is not None:
            owner, record = task
            asked = record.get("inputRequests") or {}
            left = {key: asked[key] for key in asked if key not in params.input_responses}
            if record["status"] == "input_required" and len(left) < len(asked):
                # Settled in the store before the client hears back, as the replica running
                # it will settle it: a `tasks/get` through any replica right after shows the
                # answers taken (the running replica hears of them a round trip later).
                record = {**record, "lastUpdatedAt": _now()}
                if left:
                    record["inputRequests"] = left
                else:
                    del record["inputRequests"]
                    record["status"] = "working"
                await self._shared.save(params.task_id, owner, record, 0, running=False)
            command = {"kind": "update", "inputResponses": params.input_responses}
            await self._shared.send(params.task_id, command)
        return {}

    async def _answer(self, task: _Task, responses: Mapping[str, Any]) -> None:
        answered = False
        for key, response in responses.items():
            pending = task.pending.pop(key, None)
            if pending is None:
                continue  # not (or no longer) asked: ignored, as the extension says
            pending.response = response
            pending.answered.set()
            answered = True
        if answered and not task.pending and task.status == "input_required":
            await self._settle(task, "working")
        elif answered:
            await self._touch(task)  # fewer requests pending: what `tasks/get` shows changed

    async def _cancel(
        self, ctx: ServerRequestContext[Any, Any], params: _TaskIdParams
    ) -> dict[str, Any]:
        task = await self._find(params.task_id)
        if isinstance(task, _Task):
            await self._cancel_here(task)
        elif self._shared is not None and task[1]["status"] not in _TERMINAL:
            owner, record = task
            record = {**record, "status": "cancelled", "lastUpdatedAt": _now()}
            record.pop("inputRequests", None)
            # Settled in the store before the client hears back; then the replica running
            # it stops it (one that finished first keeps its result).
            if await self._shared.save(params.task_id, owner, record, 0, running=False):
                await self._shared.send(params.task_id, {"kind": "cancel"})
        return {}

    async def _cancel_here(self, task: _Task) -> None:
        if not task.terminal:
            await self._settle(task, "cancelled")  # settled before the client hears back
            task.scope.cancel()

    # -- lifetime ------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await anyio.sleep(self.sweep_interval)
            now = time.monotonic()
            for task_id, task in list(self._tasks.items()):
                if task.expired(now):
                    del self._tasks[task_id]
                    if self._shared is not None:
                        # Forgotten everywhere before it stops, not when the store expires
                        # its record (timed from a save a round trip after the start).
                        await self._shared.forget(task_id)
                    task.scope.cancel()

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
