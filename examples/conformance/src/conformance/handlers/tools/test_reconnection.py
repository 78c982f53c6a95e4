"""Closes its event stream mid-call; the client reconnects and still gets the result."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime


async def test_reconnection(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    await ctx.log("info", "Before disconnect")
    await ctx.close_sse_stream()
    await anyio.sleep(0.2)
    await ctx.log("info", "After reconnect")
    return "Reconnection test completed"
