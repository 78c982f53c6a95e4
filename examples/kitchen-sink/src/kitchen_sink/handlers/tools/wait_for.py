"""Waits on the event loop; a cancellation interrupts the await itself."""

from __future__ import annotations

import anyio

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def wait_for(ctx: runtime.Context[State], args: models.WaitForInput) -> runtime.ToolReturn:
    try:
        await anyio.sleep(args.seconds)
        return f"waited {args.seconds:g} s"
    finally:
        ctx.state.cleanups.append("wait_for")
