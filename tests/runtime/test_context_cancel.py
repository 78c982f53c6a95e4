"""Cancellation: a client's `notifications/cancelled` stops the handler it names, at its
next await or `ctx.checkpoint()`, and `ctx.cancelled` says so; in both eras."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context
from runtime_support import build, text_of, tool

pytestmark = pytest.mark.anyio


class Run:
    """What a handler let the test know: that it started, and how it ended."""

    def __init__(self) -> None:
        self.started = anyio.Event()
        self.ended = anyio.Event()
        self.notes: list[Any] = []


async def cancel_once_started(client: Client, name: str, run: Run) -> float:
    """Call `name`, cancel the call once its handler runs; when the cancel went out."""
    async with anyio.create_task_group() as group:

        async def call() -> None:
            await client.call_tool(name, {})
            pytest.fail(f"{name} answered although it was cancelled")

        group.start_soon(call)
        with anyio.fail_after(5):
            await run.started.wait()
        cancelled_at = time.monotonic()
        group.cancel_scope.cancel()
    return cancelled_at


async def test_a_busy_handler_stops_at_its_next_checkpoint(mode: str) -> None:
    run = Run()

    async def busy(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        run.started.set()
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                time.sleep(0.001)  # CPU-bound work: nothing here yields to the loop
                await ctx.checkpoint()
            return "finished"
        finally:
            run.notes.append(time.monotonic())
            run.ended.set()

    async with Client(build(tool("busy", busy), tool("ping", pong)), mode=mode) as client:
        cancelled_at = await cancel_once_started(client, "busy", run)
        with anyio.fail_after(5):
            await run.ended.wait()
        # A checkpoint lets the cancellation in within a few turns of the loop.
        assert run.notes[0] - cancelled_at < 0.5
        # The server goes on serving.
        assert text_of(await client.call_tool("ping", {})) == "pong"


async def test_a_waiting_handler_is_interrupted_and_sees_ctx_cancelled(mode: str) -> None:
    run = Run()

    async def waits(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        run.notes.append(("before", ctx.cancelled))
        run.started.set()
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            run.notes.append(("cancelled", ctx.cancelled))
            run.ended.set()
            raise
        return "slept"

    async with Client(build(tool("waits", waits)), mode=mode) as client:
        await cancel_once_started(client, "waits", run)
        with anyio.fail_after(5):
            await run.ended.wait()
    assert run.notes == [("before", False), ("cancelled", True)]


async def test_checkpoints_of_a_call_nobody_cancels_let_it_finish(mode: str) -> None:
    async def counts(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        for _ in range(100):
            await ctx.checkpoint()
        return f"cancelled={ctx.cancelled}"

    async with Client(build(tool("counts", counts)), mode=mode) as client:
        assert text_of(await client.call_tool("counts", {})) == "cancelled=False"


async def pong(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    return "pong"
