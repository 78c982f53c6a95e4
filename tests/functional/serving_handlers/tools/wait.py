"""Handler of the wait tool: waits, and journals its start and how it ended."""

from __future__ import annotations

import anyio
from serving._generated import models, runtime
from serving.handlers.journal import record


async def wait(ctx: runtime.Context, args: models.WaitInput) -> runtime.ToolReturn:
    record(args.label, "started")
    try:
        # Tells a client that asked for progress that the call runs.
        await ctx.progress(0, args.seconds, "waiting")
        await anyio.sleep(args.seconds)
    except anyio.get_cancelled_exc_class():
        record(args.label, "cancelled")
        raise
    record(args.label, "finished")
    return f"waited {args.seconds:g} s"
