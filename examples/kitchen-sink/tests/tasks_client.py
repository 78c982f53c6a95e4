"""A client side of the io.modelcontextprotocol/tasks extension, for the tests.

The MCP Python SDK 2.3 has no tasks client, but it lets an extension claim a result type:
this one claims `resultType: "task"` on tools/call, polls `tasks/get`, answers the task's
input requests (`tasks/update`) with the elicitation callback given, and returns the
task's final `CallToolResult`, so `client.call_tool` reads the same as for a plain call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Literal

import anyio
import mcp_types as types
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from pydantic import ConfigDict

TASKS = "io.modelcontextprotocol/tasks"
Answer = Callable[[types.ElicitRequestFormParams], Awaitable[types.ElicitResult]]


class CreatedTask(types.Result):
    """What tools/call answers when it starts a task."""

    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"]
    task_id: str
    status: str
    poll_interval_ms: int | None = None


class TaskParams(types.RequestParams):
    model_config = ConfigDict(extra="allow")
    task_id: str


class TaskRequest(types.Request[TaskParams, str]):
    """tasks/get, tasks/update or tasks/cancel; the task id goes in the Mcp-Name header."""

    name_param: ClassVar[str | None] = "taskId"


class AnyResult(types.Result):
    model_config = ConfigDict(extra="allow")


class TasksClient(ClientExtension):
    """Speaks the tasks extension; `seen` records each task's statuses, for the tests."""

    identifier = TASKS

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.seen: dict[str, list[str]] = {}

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self.resolve)]

    async def resolve(self, created: CreatedTask, ctx: ClaimContext) -> types.CallToolResult:
        statuses = self.seen.setdefault(created.task_id, [created.status])
        pause = (created.poll_interval_ms or 100) / 1000
        with anyio.fail_after(30):
            while True:
                task = await send(ctx, "tasks/get", created.task_id)
                if statuses[-1] != task["status"]:
                    statuses.append(task["status"])
                if task["status"] == "completed":
                    return types.CallToolResult.model_validate(task["result"])
                if task["status"] in ("failed", "cancelled"):
                    raise RuntimeError(f"task {task['status']}: {task.get('error')}")
                if task["status"] == "input_required":
                    answers = {
                        key: (
                            await self.answer(types.ElicitRequestFormParams(**request["params"]))
                        ).model_dump(mode="json", by_alias=True, exclude_none=True)
                        for key, request in task["inputRequests"].items()
                    }
                    await send(ctx, "tasks/update", created.task_id, inputResponses=answers)
                await anyio.sleep(pause)


async def send(ctx: ClaimContext, method: str, task_id: str, **params: Any) -> dict[str, Any]:
    request = TaskRequest(method=method, params=TaskParams(task_id=task_id, **params))
    result = await ctx.session.send_request(request, AnyResult)
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)
