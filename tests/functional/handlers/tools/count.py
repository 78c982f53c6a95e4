"""Handler of the count tool: progress at each step, with stale values mixed in."""

from __future__ import annotations

import anyio
from behaviour._generated import models, runtime


async def count(ctx: runtime.Context, args: models.CountInput) -> runtime.ToolReturn:
    for step in range(1, args.to + 1):
        await ctx.progress(step, args.to, f"step {step}")
        # Progress must only grow: the runtime drops a repeat and a step back.
        await ctx.progress(step, args.to, "repeated")
        await ctx.progress(step - 0.5, args.to, "backwards")
        if step < args.to:
            # Steps closer together than the runtime's interval are dropped.
            await anyio.sleep(args.pause)
    return f"counted to {args.to}"
