"""Concurrency and rate limits, of one tool or of the whole server: a call over a limit
waits for room (up to `max_wait`) or is refused at once with `ToolBusy`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context
from mcpgen.vendored.runtime._definitions import Limits
from runtime_support import build, error_of, text_of, tool

pytestmark = pytest.mark.anyio


class Gate:
    """Holds calls inside their handler until the test opens it; counts who is inside."""

    def __init__(self) -> None:
        self.opened = anyio.Event()
        self.entered = 0
        self.inside = 0
        self.peak = 0

    async def handler(self, ctx: Context[Any], args: Mapping[str, Any]) -> str:
        self.entered += 1
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        try:
            await self.opened.wait()
        finally:
            self.inside -= 1
        return "through"

    async def until_inside(self, count: int) -> None:
        with anyio.fail_after(5):
            while self.entered < count:
                await anyio.sleep(0.001)  # polling a counter, bounded by fail_after


async def pong(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    return "pong"


def busy(limit: str, retry_after: float) -> dict[str, Any]:
    return {
        "type": "ToolBusy",
        "code": -32050,
        "message": f"{limit} is busy; retry in {retry_after:.2f} s",
        "retryable": True,
        "data": {"retry_after": retry_after},
    }


async def test_a_call_over_the_concurrency_limit_is_refused_at_once(mode: str) -> None:
    gate = Gate()
    limits = Limits(max_concurrency=2, when_busy="reject")
    results: list[types.CallToolResult] = []
    async with Client(build(tool("job", gate.handler, limits=limits)), mode=mode) as client:
        async with anyio.create_task_group() as group:
            for _ in range(2):
                group.start_soon(lambda: _append(results, client.call_tool("job", {})))
            await gate.until_inside(2)
            refused = await client.call_tool("job", {})
            gate.opened.set()
        again = await client.call_tool("job", {})  # the places were given back
    assert error_of(refused) == busy("tool 'job'", 1.0)
    assert [text_of(r) for r in results] == ["through", "through"]
    assert text_of(again) == "through"
    assert gate.peak == 2


async def test_a_call_over_the_concurrency_limit_waits_for_a_place(mode: str) -> None:
    gate = Gate()
    limits = Limits(max_concurrency=1, when_busy="wait", max_wait=5)
    results: list[types.CallToolResult] = []
    async with (
        Client(build(tool("job", gate.handler, limits=limits)), mode=mode) as client,
        anyio.create_task_group() as group,
    ):
        for _ in range(3):
            group.start_soon(lambda: _append(results, client.call_tool("job", {})))
        await gate.until_inside(1)
        await anyio.sleep(0.05)
        assert gate.entered == 1  # the others wait outside
        gate.opened.set()
    assert [text_of(r) for r in results] == ["through"] * 3
    assert gate.peak == 1


async def test_a_wait_longer_than_max_wait_is_refused(mode: str) -> None:
    gate = Gate()
    limits = Limits(max_concurrency=1, when_busy="wait", max_wait=0.1)
    async with (
        Client(build(tool("job", gate.handler, limits=limits)), mode=mode) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(client.call_tool, "job", {})
        await gate.until_inside(1)
        started = time.monotonic()
        refused = await client.call_tool("job", {})
        waited = time.monotonic() - started
        gate.opened.set()
    assert error_of(refused) == busy("tool 'job'", 1.0)
    assert 0.1 <= waited < 1


async def test_calls_over_the_rate_are_refused_until_the_window_moves(mode: str) -> None:
    limits = Limits(rate_limit=(3, 0.15), when_busy="reject")
    async with Client(build(tool("ping", pong, limits=limits)), mode=mode) as client:
        first = [await client.call_tool("ping", {}) for _ in range(4)]
        await anyio.sleep(0.15)
        later = await client.call_tool("ping", {})
    assert [r.is_error for r in first] == [False, False, False, True]
    error = error_of(first[3])
    assert error["type"] == "ToolBusy"
    assert 0 < error["data"]["retry_after"] <= 0.15
    assert text_of(later) == "pong"


async def test_a_call_over_the_rate_waits_for_the_window(mode: str) -> None:
    limits = Limits(rate_limit=(2, 0.1), when_busy="wait", max_wait=5)
    async with Client(build(tool("ping", pong, limits=limits)), mode=mode) as client:
        started = time.monotonic()
        results = [await client.call_tool("ping", {}) for _ in range(3)]
        elapsed = time.monotonic() - started
    assert [text_of(r) for r in results] == ["pong"] * 3
    assert 0.1 <= elapsed < 1  # the third waited for the first to leave the window


async def test_the_servers_limit_counts_every_tools_calls(mode: str) -> None:
    gate = Gate()
    server = build(
        tool("job", gate.handler),
        tool("ping", pong),
        limits=Limits(max_concurrency=1, when_busy="reject"),
    )
    async with Client(server, mode=mode) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(client.call_tool, "job", {})
            await gate.until_inside(1)
            refused = await client.call_tool("ping", {})
            gate.opened.set()
        after = await client.call_tool("ping", {})
    assert error_of(refused) == busy("the server", 1.0)
    assert text_of(after) == "pong"


async def test_a_waiting_call_that_is_cancelled_takes_no_place(mode: str) -> None:
    gate = Gate()
    limits = Limits(max_concurrency=1, when_busy="wait", max_wait=5)
    async with Client(build(tool("job", gate.handler, limits=limits)), mode=mode) as client:
        async with anyio.create_task_group() as holder:
            holder.start_soon(client.call_tool, "job", {})
            await gate.until_inside(1)
            async with anyio.create_task_group() as waiter:
                waiter.start_soon(client.call_tool, "job", {})
                await anyio.sleep(0.05)
                waiter.cancel_scope.cancel()  # gives up while waiting for the place
            gate.opened.set()
        with anyio.fail_after(2):
            assert text_of(await client.call_tool("job", {})) == "through"
    assert gate.entered == 2


async def _append(
    results: list[types.CallToolResult], call: Awaitable[types.CallToolResult]
) -> None:
    results.append(await call)
