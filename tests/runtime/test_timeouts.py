"""A tool's `timeout`: a call that runs longer ends with a `ToolTimeout` error result."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context
from runtime_support import build, error_of, text_of, tool

pytestmark = pytest.mark.anyio

TIMED_OUT = {
    "type": "ToolTimeout",
    "code": -32051,
    "message": "Tool 'job' timed out after 0.1 s",
    "retryable": True,
}


async def test_a_call_over_its_timeout_is_stopped_with_a_structured_error(mode: str) -> None:
    cleaned: list[str] = []

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        try:
            await anyio.sleep(args["seconds"])
        finally:
            cleaned.append(f"{args['seconds']}")
        return f"slept {args['seconds']}"

    async with Client(build(tool("job", job, timeout=0.1)), mode=mode) as client:
        started = time.monotonic()
        late = await client.call_tool("job", {"seconds": 30})
        elapsed = time.monotonic() - started
        quick = await client.call_tool("job", {"seconds": 0})
    assert error_of(late) == TIMED_OUT
    assert late.structured_content == {"error": TIMED_OUT}
    assert text_of(late) == TIMED_OUT["message"]
    assert 0.1 <= elapsed < 2
    assert cleaned == ["30", "0"]  # the stopped handler's `finally` ran
    assert text_of(quick) == "slept 0"


async def test_a_cpu_bound_handler_polling_ctx_cancelled_stops_at_its_timeout(mode: str) -> None:
    stopped_after: list[float] = []

    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        started = time.monotonic()
        # CPU-bound work that never awaits: it learns of the timeout from ctx.cancelled.
        while not ctx.cancelled and time.monotonic() - started < 3:
            time.sleep(0.001)
        stopped_after.append(time.monotonic() - started)
        return "finished"

    async with Client(build(tool("job", job, timeout=0.1)), mode=mode) as client:
        result = await client.call_tool("job", {})
    assert stopped_after[0] < 1, stopped_after
    assert error_of(result) == TIMED_OUT


async def test_a_streaming_call_over_its_timeout_is_stopped(mode: str) -> None:
    async def job(ctx: Context[Any], args: Mapping[str, Any]) -> AsyncIterator[str]:
        for n in range(100):
            yield f"{n} "
            await anyio.sleep(0.05)

    async with Client(build(tool("job", job, timeout=0.1, stream=True)), mode=mode) as client:
        result = await client.call_tool("job", {})
    assert error_of(result) == TIMED_OUT
