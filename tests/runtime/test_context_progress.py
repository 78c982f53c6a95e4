"""`ctx.progress`: what reaches a client that asked for progress, in both eras."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import mcp_types as types
import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context
from runtime_support import Seen, build, text_of, tool

pytestmark = pytest.mark.anyio


async def steps(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    for done in args["values"]:
        await ctx.progress(done, args.get("total"), f"at {done}")
    return "done"


async def test_progress_arrives_in_order_with_total_and_message(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)
    seen = Seen()
    async with Client(build(tool("steps", steps)), mode=mode) as client:
        result = await client.call_tool(
            "steps", {"values": [1, 2, 3], "total": 3}, progress_callback=seen.on_progress
        )
    assert text_of(result) == "done"
    assert seen.progress == [(1, 3, "at 1"), (2, 3, "at 2"), (3, 3, "at 3")]


async def test_progress_never_goes_back(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)
    seen = Seen()
    async with Client(build(tool("steps", steps)), mode=mode) as client:
        await client.call_tool(
            "steps", {"values": [1, 3, 2, 3, 4.5]}, progress_callback=seen.on_progress
        )
    assert [(done, total) for done, total, _ in seen.progress] == [
        (1, None),
        (3, None),
        (4.5, None),
    ]


async def test_a_tight_loop_is_thinned_to_the_interval_and_the_final_update_goes_out(
    mode: str,
) -> None:
    elapsed: list[float] = []

    async def tight(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        started = time.monotonic()
        for done in range(1, 2001):
            await ctx.progress(done, 2000)
        elapsed.append(time.monotonic() - started)
        return "done"

    seen = Seen()
    async with Client(build(tool("tight", tight)), mode=mode) as client:
        await client.call_tool("tight", {}, progress_callback=seen.on_progress)
    values = [done for done, _, _ in seen.progress]
    assert values[0] == 1
    assert values[-1] == 2000
    # At most one update per interval, plus the first and the final one.
    assert len(values) <= elapsed[0] / Context.PROGRESS_INTERVAL + 2, values


# Only a 2025-era client sees notifications it did not ask for (its message handler gets
# them all); in-process 2026-07-28 delivers progress to the call's callback alone.
async def test_without_a_progress_token_nothing_is_sent() -> None:
    mode = "legacy"
    seen = Seen()
    async with Client(
        build(tool("steps", steps)), mode=mode, message_handler=seen.on_message
    ) as client:
        result = await client.call_tool("steps", {"values": [1, 2], "total": 2})
    assert text_of(result) == "done"
    assert not [m for m in seen.messages if isinstance(m, types.ProgressNotification)]
