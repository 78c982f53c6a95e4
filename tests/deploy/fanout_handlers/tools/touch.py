"""Handler of the touch tool: tells subscribers that a resource changed."""

from __future__ import annotations

from fanout._generated import models, runtime


async def touch(ctx: runtime.Context, args: models.TouchInput) -> runtime.ToolReturn:
    await ctx.server.resource_updated(args.uri)
    return f"touched {args.uri}"
