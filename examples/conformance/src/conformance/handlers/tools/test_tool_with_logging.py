"""Logs three messages while it works."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime


async def test_tool_with_logging(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    await ctx.log("info", "Tool execution started")
    await anyio.sleep(0.05)
    await ctx.log("info", "Tool processing data")
    await anyio.sleep(0.05)
    await ctx.log("info", "Tool execution completed")
    return "Tool with logging executed successfully"
