"""Tasks on shared state: every test of test_tasks.py again with the server on Redis (the
contract both stores keep), then replicas: a task started through one is polled, answered
and cancelled through another, fails with a reason when its replica dies, and is its
caller's alone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import anyio
import pytest
import test_tasks
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import Context
from mcpgen.vendored.runtime._tasks import Tasks
from runtime_support import MODERN, TasksClient, build, start_task, task_request, tool
from state_support import every_server_on_redis, replica, signed_in
from test_tasks import Gate, Options, echo, poll

pytestmark = pytest.mark.anyio

# The contract: test_tasks.py's tests, each server on its own replica state.
globals().update({n: f for n, f in vars(test_tasks).items() if n.startswith("test_")})


@pytest.fixture(autouse=True)
def on_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[None]:
    every_server_on_redis(monkeypatch, redis_url)
    yield


def replicas(*tools: Any, redis_url: str, **tasks: Any) -> tuple[Any, Any]:
    """Two servers of the same tools on one Redis, as two replicas behind a balancer."""
    return (
        build(*tools, tasks=Tasks(**tasks), state=replica(redis_url)),
        build(*tools, tasks=Tasks(**tasks), state=replica(redis_url)),
    )


async def test_a_task_started_on_one_replica_is_polled_and_answered_on_another(
    redis_url: str,
) -> None:
    async def export(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.elicit("Export: which options?", Options)
        assert answer.data is not None
        return f"exported, tags {answer.data.with_tags}"

    a, b = replicas(tool("export", export, task_support="optional"), redis_url=redis_url)
    async with (
        Client(a, mode=MODERN, extensions=[TasksClient()]) as on_a,
        Client(b, mode=MODERN, extensions=[TasksClient()]) as on_b,
    ):
        created = await start_task(on_a, "export", {})
        asking = await poll(on_b, created.task_id, "input_required")
        (key,) = asking["inputRequests"]
        answer = {"action": "accept", "content": {"with_tags": False}}
        await task_request(
            on_b.session, "tasks/update", created.task_id, inputResponses={key: answer}
        )
        done = await poll(on_b, created.task_id, "completed")
    assert asking["inputRequests"][key]["params"]["message"] == "Export: which options?"
    assert done["result"]["content"] == [{"type": "text", "text": "exported, tags False"}]


@pytest.mark.parametrize("answered_on", ["the running replica", "another replica"])
async def test_an_answer_shows_at_once_on_every_replica(answered_on: str, redis_url: str) -> None:
    """The conformance suite's tasks-mrtr scenarios answer one of two pending requests and
    read the task back at once, each request through whichever replica nginx picks: the
    answer taken must show on every replica then. Through another replica it showed once
    the running one heard of it (a pub/sub round trip later: 1 run in 3 failed through
    nginx); through the running one a partial answer never reached the store."""
    gate = Gate()

    async def export(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        async with anyio.create_task_group() as group:
            for message in ("tags?", "notes?"):
                group.start_soon(ctx.elicit, message, Options)
        await gate.hold()
        return "exported"

    a, b = replicas(tool("export", export, task_support="optional"), redis_url=redis_url)
    async with (
        Client(a, mode=MODERN, extensions=[TasksClient()]) as on_a,
        Client(b, mode=MODERN, extensions=[TasksClient()]) as on_b,
    ):
        created = await start_task(on_a, "export", {})
        with anyio.fail_after(5):
            while (
                len(
                    (asking := await poll(on_b, created.task_id, "input_required"))["inputRequests"]
                )
                < 2
            ):
                await anyio.sleep(0.005)
        first, second = sorted(asking["inputRequests"])
        answer = {"action": "accept", "content": {"with_tags": True}}
        answering = on_a if answered_on == "the running replica" else on_b
        await task_request(
            answering.session, "tasks/update", created.task_id, inputResponses={first: answer}
        )
        half = await task_request(on_b.session, "tasks/get", created.task_id)
        assert half["status"] == "input_required"
        assert sorted(half["inputRequests"]) == [second]
        await task_request(
            answering.session, "tasks/update", created.task_id, inputResponses={second: answer}
        )
        whole = await task_request(on_b.session, "tasks/get", created.task_id)
        assert whole["status"] == "working" and "inputRequests" not in whole
        await gate.reached.wait()
        gate.opened.set()
        await poll(on_a, created.task_id, "completed")


async def test_an_answer_through_another_replica_leaves_the_runners_lease(
    redis_url: str,
) -> None:
    """Only the replica that runs a task renews its lease. An answer through another one is
    settled in the store first, and that write renewed the lease for a whole `LEASE` (6 s):
    a task whose runner had just died read `input_required` or `working` that much longer
    before it was failed."""
    dead, alive = replica(redis_url, lease_ms=400), replica(redis_url, lease_ms=60_000)
    asked = {"method": "elicitation/create", "params": {"message": "?", "requestedSchema": {}}}
    record = {
        "taskId": "t1",
        "status": "input_required",
        "createdAt": "x",
        "lastUpdatedAt": "x",
        "inputRequests": {"tags": asked, "notes": asked},
    }
    async with dead.running():
        await dead.tasks().save("t1", "", record, 60_000)
    leases = dead.prefix + "task-leases"
    leased = await dead.redis.zscore(leases, "t1")
    server = build(tasks=Tasks(), state=alive)
    async with Client(server, mode=MODERN, extensions=[TasksClient()]) as client:
        answer = {"action": "accept", "content": {"with_tags": True}}
        await task_request(client.session, "tasks/update", "t1", inputResponses={"tags": answer})
        assert await dead.redis.zscore(leases, "t1") == leased
        seen = await task_request(client.session, "tasks/get", "t1")
        assert seen["status"] == "input_required" and list(seen["inputRequests"]) == ["notes"]
        failed = await poll(client, "t1", "failed", timeout=2)
    assert failed["error"]["message"] == (
        "The server process running the task stopped before it ended"
    )


async def test_a_task_cancelled_on_another_replica_stops_where_it_runs(redis_url: str) -> None:
    gate = Gate()

    async def held(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.hold()
        return "finished"

    a, b = replicas(tool("held", held, task_support="optional"), redis_url=redis_url)
    async with (
        Client(a, mode=MODERN, extensions=[TasksClient()]) as on_a,
        Client(b, mode=MODERN, extensions=[TasksClient()]) as on_b,
    ):
        created = await start_task(on_a, "held", {})
        await gate.reached.wait()
        await task_request(on_b.session, "tasks/cancel", created.task_id)
        with anyio.fail_after(5):
            await gate.ended.wait()
        seen_on_a = await task_request(on_a.session, "tasks/get", created.task_id)
        seen_on_b = await task_request(on_b.session, "tasks/get", created.task_id)
    assert gate.outcome == ["cancelled"]
    assert seen_on_a["status"] == seen_on_b["status"] == "cancelled"


async def test_a_task_whose_replica_died_is_failed_with_a_reason(redis_url: str) -> None:
    dead, alive = replica(redis_url, lease_ms=200), replica(redis_url, lease_ms=200)
    async with alive.running():
        async with dead.running():
            record = {"taskId": "t1", "status": "working", "createdAt": "x", "lastUpdatedAt": "x"}
            await dead.tasks().save("t1", "", record, 60_000)
            dead.tasks().hold("t1")  # renewed while its replica runs ...
            await anyio.sleep(0.5)
            assert (await alive.tasks().load("t1")) == ("", record)
        # ... and no more once it is gone (its renewals stop as when it is killed).
        await anyio.sleep(0.3)
        found = await alive.tasks().load("t1")
    assert found is not None
    assert found[0] == ""  # unowned: no authorization
    failed = found[1]
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == (
        "The server process running the task stopped before it ended"
    )


async def test_another_principal_is_told_a_task_does_not_exist(redis_url: str) -> None:
    a, b = replicas(tool("echo", echo, task_support="optional"), redis_url=redis_url)
    async with (
        Client(signed_in(a, "alice"), mode=MODERN, extensions=[TasksClient()]) as alice,
        Client(signed_in(b, "bob"), mode=MODERN, extensions=[TasksClient()]) as bob,
    ):
        created = await start_task(alice, "echo", {"text": "mine"})
        done = await poll(alice, created.task_id, "completed")
        with pytest.raises(MCPError) as refused:
            await task_request(bob.session, "tasks/get", created.task_id)
        with pytest.raises(MCPError):
            await task_request(bob.session, "tasks/cancel", created.task_id)
        with pytest.raises(MCPError):
            await task_request(bob.session, "tasks/update", created.task_id, inputResponses={})
        again = await task_request(alice.session, "tasks/get", created.task_id)
    assert refused.value.error.message == f"Unknown taskId: {created.task_id}"
    assert done["result"]["content"][0]["text"] == "echo mine (task True)"
    assert again["status"] == "completed"


async def test_a_cancel_through_another_replica_wins_over_a_later_finish(redis_url: str) -> None:
    gate = Gate()

    async def held(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await gate.opened.wait()
        return "finished"

    b_state = replica(redis_url)
    a = build(tool("held", held, task_support="optional"), tasks=Tasks(), state=replica(redis_url))
    async with Client(a, mode=MODERN, extensions=[TasksClient()]) as on_a, b_state.running():
        created = await start_task(on_a, "held", {})
        found = await b_state.tasks().load(created.task_id)
        assert found is not None
        # Replica B settles the cancel in the store; A finishes before it hears of it.
        cancelled = {**found[1], "status": "cancelled"}
        assert await b_state.tasks().save(created.task_id, found[0], cancelled, 0)
        gate.opened.set()
        await poll(on_a, created.task_id, "cancelled")
        seen_in_store = await b_state.tasks().load(created.task_id)
    assert seen_in_store is not None and seen_in_store[1]["status"] == "cancelled"
