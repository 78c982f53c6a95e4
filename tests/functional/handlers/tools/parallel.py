"""Handler of the parallel tool: the serial tool's twin without a concurrency limit."""

from __future__ import annotations

from behaviour._generated import models, runtime
from behaviour.handlers.concurrency_probe import ConcurrencyProbe

PROBE = ConcurrencyProbe()


async def parallel(ctx: runtime.Context, args: models.ParallelInput) -> runtime.ToolReturn:
    await PROBE.visit(args.label)
    return f"done {args.label}"
