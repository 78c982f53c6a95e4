"""Works in 10 ms slices, checking for cancellation between them; cleans up however it ends."""

from __future__ import annotations

import time

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def slow_export(
    ctx: runtime.Context[State], args: models.SlowExportInput
) -> runtime.ToolReturn:
    started = time.monotonic()
    slices = 0
    try:
        while time.monotonic() - started < args.seconds:
            _busy(0.01)  # CPU-bound work: nothing here yields to the event loop...
            slices += 1
            await ctx.progress(time.monotonic() - started, args.seconds, f"{slices} slices")
            await ctx.checkpoint()  # ...so this is where a cancellation stops it
        return f"exported in {slices} slices"
    finally:
        ctx.state.cleanups.append("slow_export")


def _busy(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass
