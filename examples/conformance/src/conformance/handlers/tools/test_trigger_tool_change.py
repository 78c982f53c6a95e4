"""Announces a tool list change."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_trigger_tool_change(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    await ctx.server.tools_changed()
    return "tool list changed"
