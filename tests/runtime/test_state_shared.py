"""Limits and notices on each store (memory and Redis, the same contract), and across
replicas on Redis: a rate and a cap hold for both together, a dead replica's slot comes
back, and a resource update on one reaches a listener on the other."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from mcp.server.subscriptions import ResourceUpdated
from mcpgen.vendored.runtime import ServerInfo, ToolBusy
from mcpgen.vendored.runtime._handle import ServerHandle
from mcpgen.vendored.runtime._limits import Limits
from state_support import STATES, replica, state_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("kind", STATES)
async def test_a_rate_limit_admits_its_calls_and_refuses_the_next(
    kind: str, redis_url: str
) -> None:
    state = state_of(kind, redis_url)
    limits = Limits(rate_limit=(2, 60.0), when_busy="reject")
    async with state.running():
        limiter = state.limiter("tool 'x'", limits)
        for _ in range(2):
            async with limiter.admit():
                pass
        with pytest.raises(ToolBusy):
            async with limiter.admit():
                pass


async def test_limits_hold_across_replicas(redis_url: str) -> None:
    a, b = replica(redis_url), replica(redis_url)
    rate = Limits(rate_limit=(3, 60.0), when_busy="reject")
    cap = Limits(max_concurrency=1, when_busy="reject")
    async with a.running(), b.running():
        admitted = 0
        for state in (a, b, a, b):
            try:
                async with state.limiter("the server", rate).admit():
                    admitted += 1
            except ToolBusy:
                pass
        async with a.limiter("tool 'y'", cap).admit():
            with pytest.raises(ToolBusy):
                async with b.limiter("tool 'y'", cap).admit():
                    pass
        async with b.limiter("tool 'y'", cap).admit():  # released: free again
            pass
    assert admitted == 3


async def test_a_waiting_call_gets_the_slot_another_replica_frees(redis_url: str) -> None:
    a, b = replica(redis_url), replica(redis_url)
    cap = Limits(max_concurrency=1, when_busy="wait", max_wait=5.0)
    order: list[str] = []
    async with a.running(), b.running():

        async def hold_on_a() -> None:
            async with a.limiter("tool 'z'", cap).admit():
                order.append("a in")
                await anyio.sleep(0.2)
                order.append("a out")

        async with anyio.create_task_group() as group:
            group.start_soon(hold_on_a)
            await anyio.sleep(0.05)
            async with b.limiter("tool 'z'", cap).admit():
                order.append("b in")
    assert order == ["a in", "a out", "b in"]


async def test_a_dead_replicas_slot_comes_back_when_its_lease_lapses(redis_url: str) -> None:
    dead, alive = replica(redis_url, lease_ms=300), replica(redis_url, lease_ms=300)
    cap = Limits(max_concurrency=1, when_busy="reject")
    async with alive.running():
        async with dead.running():
            assert await dead.take_slot(f"{dead.prefix}slots:w", 1, "gone")  # never released
            await anyio.sleep(0.4)  # unrenewed: it held it only by its lease
        async with alive.limiter("w", cap).admit():
            pass


@pytest.mark.parametrize("kind", STATES)
async def test_a_resource_update_reaches_every_listener(kind: str, redis_url: str) -> None:
    # In memory, the one process's listeners; on Redis, a second replica's too.
    states = [state_of(kind, redis_url), *([replica(redis_url)] if kind == "redis" else [])]
    handles = [ServerHandle(ServerInfo("s", "1"), state) for state in states]
    heard: list[list[Any]] = [[] for _ in handles]
    for seen, handle in zip(heard, handles, strict=True):
        handle.bus.subscribe(seen.append)
    async with AsyncExitStack() as running:
        for state in states:
            await running.enter_async_context(state.running())
        await handles[0].resource_updated("file:///a")
        await handles[-1].tools_changed()
        with anyio.fail_after(5):
            while any(len(seen) < 2 for seen in heard):
                await anyio.sleep(0.01)
    for seen in heard:
        assert seen[0] == ResourceUpdated(uri="file:///a")
        assert type(seen[1]).__name__ == "ToolsListChanged"
