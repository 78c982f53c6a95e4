"""The tasks extension (io.modelcontextprotocol/tasks): a 2026-07-28 client that speaks it
starts a tool call as a task and polls it; input, progress, cancellation, lifetime, failures;
`at_detach` tools that become tasks part-way; and every other client gets a plain call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.context import ClientRequestContext
from mcp.client.extension import NotificationBinding
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import (
    Context,
    DeclaredError,
    InputRequired,
    ToolChunk,
    elicitation_request,
)
from mcpgen.vendored.runtime._tasks import Tasks
from pydantic import BaseModel, ConfigDict
from runtime_support import (
    MODERN,
    Seen,
    TaskEnded,
    TasksClient,
    build,
    error_of,
    eventually,
    start_task,
    task_request,
    text_of,
    tool,
)

pytestmark = pytest.mark.anyio


class Options(BaseModel):
    with_tags: bool = True


class Gate:
    """Lets a test hold a handler where it is, and know it got there or ended."""

    def __init__(self) -> None:
        self.reached = anyio.Event()
        self.opened = anyio.Event()
        self.ended = anyio.Event()
        self.outcome: list[str] = []

    async def hold(self) -> None:
        self.reached.set()
        try:
            await self.opened.wait()
        except anyio.get_cancelled_exc_class():
            self.outcome.append("cancelled")
            raise
        finally:
            self.ended.set()


async def poll(client: Client, task_id: str, until: str, timeout: float = 5) -> dict[str, Any]:
    """`tasks/get` until the task's status is `until`."""
    with anyio.fail_after(timeout):
        while True:
            task = await task_request(client.session, "tasks/get", task_id)
            if task["status"] == until:
                return task
            await anyio.sleep(0.005)  # polling the task, bounded by fail_after


async def echo(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    return f"echo {args.get('text')} (task {ctx.task_id is not None})"


def tasks_server(*tools: Any, **options: Any) -> Any:
    return build(*tools, tasks=Tasks(**options))


# -- starting, polling, the result --------------------------------------------------------


async def test_a_client_that_speaks_tasks_gets_a_task_it_polls_to_the_result() -> None:
    tasks = TasksClient()
    sdk = tasks_server(tool("echo", echo, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        result = await client.call_tool("echo", {"text": "hi"})
        second = await start_task(client, "echo", {"text": "again"})
        done = await poll(client, second.task_id, "completed")
    assert text_of(result) == "echo hi (task True)"
    assert tasks.statuses == ["working", "completed"]
    assert second.status == "working"
    assert done["result"] == {
        "content": [{"type": "text", "text": "echo again (task True)"}],
        "isError": False,
        "resultType": "complete",
    }
    assert {"createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs"} <= set(done)
    # Unguessable ids: 128 random bits, URL-safe.
    assert len(second.task_id) == 22 and second.task_id != tasks.task_ids[0]


@pytest.mark.parametrize("mode", ["legacy", MODERN])
async def test_a_client_that_does_not_speak_tasks_gets_a_plain_call(mode: str) -> None:
    sdk = tasks_server(tool("echo", echo, task_support="optional"))
    async with Client(sdk, mode=mode) as client:
        result = await client.call_tool("echo", {"text": "hi"})
    assert text_of(result) == "echo hi (task False)"


@pytest.mark.parametrize("mode", ["legacy", MODERN])
async def test_a_tool_that_requires_a_task_refuses_other_clients(mode: str) -> None:
    sdk = tasks_server(tool("echo", echo, task_support="required"))
    async with Client(sdk, mode=mode) as client:
        with pytest.raises(MCPError) as refused:
            await client.call_tool("echo", {})
    assert refused.value.code == types.MISSING_REQUIRED_CLIENT_CAPABILITY
    assert refused.value.message == "Tool 'echo' only runs as a task"
    assert refused.value.data == {
        "requiredCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}
    }


async def test_tools_list_says_which_tools_may_run_as_tasks(mode: str) -> None:
    sdk = tasks_server(
        tool("optional", echo, task_support="optional"),
        tool("required", echo, task_support="required"),
        tool("plain", echo),
    )
    async with Client(sdk, mode=mode) as client:
        listed = {t.name: t.execution for t in (await client.list_tools()).tools}
    assert {name: e.task_support if e else None for name, e in listed.items()} == {
        "optional": "optional",
        "required": "required",
        "plain": None,
    }


# -- inside a task: progress, input, streaming --------------------------------------------


async def test_progress_in_a_task_is_its_status_message() -> None:
    gate = Gate()

    async def pack(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await ctx.progress(1, 3, "packing")
        await gate.hold()
        await ctx.progress(3, 3)
        return "packed"

    sdk = tasks_server(tool("pack", pack, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "pack", {})
        with anyio.fail_after(5):
            await gate.reached.wait()
        working = await task_request(client.session, "tasks/get", created.task_id)
        gate.opened.set()
        done = await poll(client, created.task_id, "completed")
    assert (working["status"], working["statusMessage"]) == ("working", "packing (1/3)")
    assert done["statusMessage"] == "3/3"


async def test_a_task_asks_for_input_and_goes_on_with_the_answer() -> None:
    async def export(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.elicit("Export: which options?", Options)
        assert answer.data is not None
        return f"exported, tags {answer.data.with_tags}"

    sdk = tasks_server(tool("export", export, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "export", {})
        asking = await poll(client, created.task_id, "input_required")
        (key,) = asking["inputRequests"]
        answer = {"action": "accept", "content": {"with_tags": False}}
        await task_request(
            client.session,
            "tasks/update",
            created.task_id,
            inputResponses={key: answer, "never-asked": answer},
        )
        done = await poll(client, created.task_id, "completed")
    request = asking["inputRequests"][key]
    assert request["method"] == "elicitation/create"
    assert request["params"]["message"] == "Export: which options?"
    assert request["params"]["requestedSchema"]["properties"]["with_tags"]["type"] == "boolean"
    assert done["result"]["content"] == [{"type": "text", "text": "exported, tags False"}]


async def test_a_task_may_ask_every_kind_of_question() -> None:
    async def survey(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        options = await ctx.elicit("Options?", Options)
        poem = await ctx.sample("A haiku", max_tokens=10)
        roots = await ctx.list_roots()
        assert options.data is not None and isinstance(poem.content, types.TextContent)
        return f"{options.data.with_tags}, {poem.content.text}, {[str(r.uri) for r in roots]}"

    asked: list[str] = []

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        asked.append(request["method"])
        replies: dict[str, dict[str, Any]] = {
            "elicitation/create": {"action": "accept", "content": {"with_tags": False}},
            "sampling/createMessage": {
                "role": "assistant",
                "content": {"type": "text", "text": "a haiku"},
                "model": "test-model",
            },
            "roots/list": {"roots": [{"uri": "file:///work"}]},
        }
        return replies[request["method"]]

    tasks = TasksClient(answer)
    sdk = tasks_server(tool("survey", survey, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        result = await client.call_tool("survey", {})
    assert text_of(result) == "False, a haiku, ['file:///work']"
    assert asked == ["elicitation/create", "sampling/createMessage", "roots/list"]
    assert tasks.statuses[0] == "working" and tasks.statuses[-1] == "completed"
    assert "input_required" in tasks.statuses


async def test_a_streaming_task_counts_its_chunks_in_its_status() -> None:
    async def read(ctx: Context[Any], args: Mapping[str, Any]) -> AsyncIterator[ToolChunk]:
        for word in ["one ", "two ", "three"]:
            yield word

    sdk = tasks_server(tool("read", read, stream=True, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "read", {})
        done = await poll(client, created.task_id, "completed")
    assert done["result"]["content"] == [{"type": "text", "text": "one two three"}]
    assert done["statusMessage"] == "3 chunks"


# -- how tasks end: cancelled, expired, failed --------------------------------------------


async def test_a_cancelled_task_stops_its_handler_and_stays_cancelled() -> None:
    gate = Gate()

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.hold()
        return "finished"

    sdk = tasks_server(
        tool("job", job, task_support="optional"), tool("echo", echo, task_support="optional")
    )
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "job", {})
        with anyio.fail_after(5):
            await gate.reached.wait()
        await task_request(client.session, "tasks/cancel", created.task_id)
        cancelled = await task_request(client.session, "tasks/get", created.task_id)
        with anyio.fail_after(5):
            await gate.ended.wait()
        finished = await start_task(client, "echo", {})
        await poll(client, finished.task_id, "completed")
        await task_request(client.session, "tasks/cancel", finished.task_id)
        still = await task_request(client.session, "tasks/get", finished.task_id)
    assert cancelled["status"] == "cancelled"
    assert "result" not in cancelled
    assert gate.outcome == ["cancelled"]
    assert still["status"] == "completed"  # a finished task is final


async def test_a_task_past_its_lifetime_is_stopped_and_forgotten() -> None:
    gate = Gate()

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.hold()
        return "finished"

    sdk = tasks_server(tool("job", job, task_support="optional"), ttl_ms=100, sweep_interval=0.02)
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "job", {})
        assert created.model_extra is not None and created.model_extra["ttlMs"] == 100
        with anyio.fail_after(5):
            await gate.ended.wait()  # the sweep cancelled it
        with pytest.raises(MCPError) as unknown:
            await task_request(client.session, "tasks/get", created.task_id)
    assert gate.outcome == ["cancelled"]
    assert (unknown.value.code, unknown.value.message) == (
        types.INVALID_PARAMS,
        f"Unknown taskId: {created.task_id}",
    )


class Refused(DeclaredError):
    error_type = "Refused"
    code = -32042
    message_template = "refused"


class Fatal(DeclaredError):
    error_type = "Fatal"
    code = -32043
    message_template = "fatal"
    jsonrpc: ClassVar[bool] = True


async def failing(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    if args["kind"] == "declared":
        raise Refused()
    if args["kind"] == "jsonrpc":
        raise Fatal()
    raise RuntimeError("secret internal detail")


async def test_a_tasks_failures_are_as_a_calls() -> None:
    sdk = tasks_server(tool("failing", failing, task_support="optional"))
    tasks = TasksClient()
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        declared = await client.call_tool("failing", {"kind": "declared"})
        masked = await client.call_tool("failing", {"kind": "bug"})
        with pytest.raises(TaskEnded) as failed:
            await client.call_tool("failing", {"kind": "jsonrpc"})
    # A tool's own error is its result: the task completed.
    assert error_of(declared) == {"type": "Refused", "code": -32042, "message": "refused"}
    assert masked.is_error and "secret" not in text_of(masked)
    assert text_of(masked).startswith("Tool 'failing' failed with an internal error (reference ")
    # A JSON-RPC error fails the task, and is its error.
    assert failed.value.task["status"] == "failed"
    assert failed.value.task["error"] == {"code": -32043, "message": "fatal"}


# -- the extension's methods, for clients that may not use them ---------------------------


async def test_task_methods_need_the_2026_era_and_the_extension() -> None:
    sdk = tasks_server(tool("echo", echo, task_support="optional"))
    async with Client(sdk, mode="legacy") as legacy:
        with pytest.raises(MCPError) as old:
            await task_request(legacy.session, "tasks/get", "anything")
    async with Client(sdk, mode=MODERN) as undeclared:
        with pytest.raises(MCPError) as missing:
            await task_request(undeclared.session, "tasks/get", "anything")
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as declared:
        with pytest.raises(MCPError) as unknown:
            await task_request(declared.session, "tasks/cancel", "no-such-task")
    assert old.value.code == types.METHOD_NOT_FOUND
    assert missing.value.code == types.MISSING_REQUIRED_CLIENT_CAPABILITY
    assert (unknown.value.code, unknown.value.message) == (
        types.INVALID_PARAMS,
        "Unknown taskId: no-such-task",
    )


# -- at_detach: a request first, a task after ---------------------------------------------


class Detaching:
    """A handler that asks a question as a request, then detaches and goes on as a task."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.task_ids: list[tuple[str, str | None]] = []

    async def __call__(self, ctx: Context[Any], args: Mapping[str, Any]) -> str:
        self.task_ids.append(("before", ctx.task_id))
        options = await ctx.elicit("Which options?", Options)
        await ctx.detach()
        self.task_ids.append(("after", ctx.task_id))
        await ctx.progress(1, 2, "halfway")
        if args.get("hold"):
            await self.gate.hold()
        assert options.data is not None
        return f"exported, tags {options.data.with_tags}"


async def keep_tags(context: ClientRequestContext, params: Any) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"with_tags": False})


async def test_a_detaching_call_asks_as_a_request_then_runs_as_a_task() -> None:
    handler = Detaching()
    tasks = TasksClient()
    sdk = tasks_server(tool("export", handler, task_support="optional", task_starts="at_detach"))
    async with Client(
        sdk, mode=MODERN, extensions=[tasks], elicitation_callback=keep_tags
    ) as client:
        result = await client.call_tool("export", {})
        (task_id,) = tasks.task_ids
        task = await task_request(client.session, "tasks/get", task_id)
    assert text_of(result) == "exported, tags False"
    # Asked on the request (an InputRequiredResult and a retry), then detached.
    assert handler.task_ids == [("before", None), ("before", None), ("after", task_id)]
    assert task["statusMessage"] == "halfway (1/2)"


async def test_a_detached_task_can_be_cancelled() -> None:
    handler = Detaching()
    sdk = tasks_server(tool("export", handler, task_support="optional", task_starts="at_detach"))
    async with Client(
        sdk, mode=MODERN, extensions=[TasksClient()], elicitation_callback=keep_tags
    ) as client:
        created = await client.session.call_tool(
            "export", {"hold": True}, allow_claimed=True, allow_input_required=True
        )
        assert isinstance(created, types.InputRequiredResult)
        (key,) = created.input_requests or {}
        detached = await client.session.call_tool(
            "export",
            {"hold": True},
            input_responses={key: types.ElicitResult(action="accept", content={})},
            request_state=created.request_state,
            allow_claimed=True,
        )
        task_id = getattr(detached, "task_id", None)
        assert isinstance(task_id, str), detached
        with anyio.fail_after(5):
            await handler.gate.reached.wait()
        await task_request(client.session, "tasks/cancel", task_id)
        with anyio.fail_after(5):
            await handler.gate.ended.wait()
        task = await task_request(client.session, "tasks/get", task_id)
    assert task["status"] == "cancelled"
    assert handler.gate.outcome == ["cancelled"]


@pytest.mark.parametrize("mode", ["legacy", MODERN])
async def test_without_tasks_a_detaching_call_runs_to_its_end_as_a_request(mode: str) -> None:
    handler = Detaching()
    seen = Seen()

    sdk = tasks_server(tool("export", handler, task_support="optional", task_starts="at_detach"))
    async with Client(sdk, mode=mode, elicitation_callback=keep_tags) as client:
        result = await client.call_tool("export", {}, progress_callback=seen.on_progress)
    assert text_of(result) == "exported, tags False"
    assert ("after", None) in handler.task_ids
    assert seen.progress == [(1, 2, "halfway")]


async def test_a_detaching_call_cancelled_before_it_detaches_stops() -> None:
    gate = Gate()

    async def slow_start(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.hold()
        await ctx.detach()
        return "never"

    sdk = tasks_server(tool("job", slow_start, task_support="optional", task_starts="at_detach"))
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(client.call_tool, "job", {})
            with anyio.fail_after(5):
                await gate.reached.wait()
            group.cancel_scope.cancel()
        with anyio.fail_after(5):
            await gate.ended.wait()
    assert gate.outcome == ["cancelled"]


# -- subscriptions/listen with taskIds: notifications/tasks -------------------------------


class _TaskNotice(types.NotificationParams):
    model_config = ConfigDict(extra="allow")


class HearsTasks(TasksClient):
    """Also hears `notifications/tasks`, as wire JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[dict[str, Any]] = []

    def notifications(self) -> Sequence[NotificationBinding[Any]]:
        async def heard(params: _TaskNotice) -> None:
            self.heard.append(params.model_dump(mode="json", by_alias=True, exclude_none=True))

        return [
            NotificationBinding(
                method="notifications/tasks", params_type=_TaskNotice, handler=heard
            )
        ]


async def test_a_listener_hears_of_the_tasks_it_named_as_they_change() -> None:
    gates = {"watched": anyio.Event(), "other": anyio.Event()}

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gates[args["name"]].wait()
        await ctx.progress(1, 2, "half")
        return "done"

    client_side, seen = HearsTasks(), Seen()
    sdk = tasks_server(tool("job", job, task_support="optional"))
    async with Client(
        sdk, mode=MODERN, extensions=[client_side], message_handler=seen.on_message
    ) as client:
        watched = await start_task(client, "job", {"name": "watched"})
        other = await start_task(client, "job", {"name": "other"})
        listen = types.SubscriptionsListenRequest(
            params=types.SubscriptionsListenRequestParams(
                notifications=types.SubscriptionFilter.model_validate(
                    {"taskIds": [watched.task_id]}
                )
            )
        )
        async with anyio.create_task_group() as group:
            group.start_soon(client.session.send_request, listen, types.SubscriptionsListenResult)
            await eventually(lambda: bool(seen.messages), "the acknowledgement")
            gates["other"].set()
            await poll(client, other.task_id, "completed")
            gates["watched"].set()
            await eventually(lambda: len(client_side.heard) == 2, "two notifications")
            group.cancel_scope.cancel()
    (ack,) = seen.messages
    assert isinstance(ack, types.SubscriptionsAcknowledgedNotification)
    assert ack.params.notifications.model_extra == {"taskIds": [watched.task_id]}
    assert [(n["taskId"], n["status"], n["statusMessage"]) for n in client_side.heard] == [
        (watched.task_id, "working", "half (1/2)"),
        (watched.task_id, "completed", "half (1/2)"),
    ]
    assert client_side.heard[1]["result"]["content"] == [{"type": "text", "text": "done"}]
    assert ack.params.meta is not None
    subscription = ack.params.meta["io.modelcontextprotocol/subscriptionId"]
    assert {n["_meta"]["io.modelcontextprotocol/subscriptionId"] for n in client_side.heard} == {
        subscription
    }


async def test_the_server_says_it_speaks_the_extension_on_2026_only() -> None:
    sdk = tasks_server(tool("echo", echo, task_support="optional"))
    async with Client(sdk, mode="auto") as modern_client:
        modern_extensions = modern_client.server_capabilities.extensions
    async with Client(sdk, mode="legacy") as legacy_client:
        legacy_extensions = legacy_client.server_capabilities.extensions
    assert modern_extensions == {"io.modelcontextprotocol/tasks": {}}
    assert legacy_extensions is None


async def test_a_task_may_ask_in_the_multi_round_style() -> None:
    async def plan(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        if ctx.request_state is None:
            form = {"type": "object", "properties": {"guests": {"type": "integer"}}}
            raise InputRequired({"form": elicitation_request("How many?", form)}, "asked")
        return f"{ctx.request_state}: {ctx.input_responses['form']['content']['guests']} guests"

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        return {"action": "accept", "content": {"guests": 6}}

    tasks = TasksClient(answer)
    sdk = tasks_server(tool("plan", plan, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        result = await client.call_tool("plan", {})
    assert text_of(result) == "asked: 6 guests"
    assert "input_required" in tasks.statuses


async def test_tasks_still_running_when_the_server_stops_are_cancelled() -> None:
    gate = Gate()

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.hold()
        return "finished"

    sdk = tasks_server(tool("job", job, task_support="optional"))
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        await start_task(client, "job", {})
        with anyio.fail_after(5):
            await gate.reached.wait()
    assert gate.ended.is_set()
    assert gate.outcome == ["cancelled"]
