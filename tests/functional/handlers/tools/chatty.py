"""Handler of the chatty tool: one log message per level."""

from __future__ import annotations

from behaviour._generated import models, runtime


async def chatty(ctx: runtime.Context, args: models.ChattyInput) -> runtime.ToolReturn:
    await ctx.log("debug", "debug detail")
    await ctx.log("info", "info note", step=1)
    await ctx.log("warning", "warning sign")
    return "logged"
