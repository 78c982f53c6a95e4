"""What the rest of the runtime needs of tasks, which a package carries only if it uses them.

The tasks extension (`_tasks.py`) is vendored only into servers whose spec has a tool that
may run as a task, so nothing else imports it: the dispatcher and the handler context talk
to it through the two protocols here, and `build_sdk_server` takes any `TaskRunner`.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.server.lowlevel import Server
from mcp_types import InputRequest

if TYPE_CHECKING:  # the state's modules import the handlers' definitions, which import this
    from ._state import State

TaskSupport = Literal["forbidden", "optional", "required"]
TaskStarts = Literal["at_once", "at_detach"]


class RunningTask(Protocol):
    """What a handler's context uses while its call runs as a task."""

    @property
    def task_id(self) -> str: ...

    async def request_input(self, request: InputRequest) -> Any:
        """Ask the client (it answers with `tasks/update`); its answer as wire JSON."""
        ...

    async def set_status(self, message: str) -> None:
        """The task's `statusMessage` (progress, in a task)."""
        ...


class Detacher:
    """What an `at_detach` handler's context holds until `ctx.detach()` makes it a task."""

    def __init__(self, detach: Callable[[], RunningTask]) -> None:
        self._detach = detach

    def detach(self) -> RunningTask:
        return self._detach()


# Runs the tool's handler, given how the call runs (a task, one that may detach, or plain),
# and maps its outcome to the tool's result.
Body = Callable[[RunningTask | Detacher | None], Awaitable[HandlerResult]]


class TaskRunner(Protocol):
    """Where tool calls run as tasks: `_tasks.Tasks`."""

    def install(
        self,
        server: Server[Any],
        support: Mapping[str, TaskSupport],
        bus: Any | None,
        state: State,
    ) -> None:
        """Register the extension's methods on `server`; tasks live in `state`."""
        ...

    def running(self) -> AbstractAsyncContextManager[None]:
        """The task group tasks run in, for the server's lifetime."""
        ...

    async def call(
        self,
        ctx: ServerRequestContext[Any, Any],
        tool: str,
        support: TaskSupport,
        starts: TaskStarts,
        body: Body,
    ) -> HandlerResult | None:
        """Start the call as a task if the client asked for one; None: run it plainly."""
        ...
