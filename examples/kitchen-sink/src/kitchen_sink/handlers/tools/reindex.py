"""Rebuilds the index in many small steps; progress in a tight loop is rate-limited."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def reindex(ctx: runtime.Context[State], args: models.ReindexInput) -> runtime.ToolReturn:
    for step in range(1, args.steps + 1):
        await ctx.progress(step, args.steps, f"indexed {step} of {args.steps}")
        if step % 100 == 0:
            await ctx.checkpoint()
    return f"reindexed in {args.steps} steps"
