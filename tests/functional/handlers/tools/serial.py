"""Handler of the serial tool (max_concurrency = 1): waits at the probe's gate."""

from __future__ import annotations

from behaviour._generated import models, runtime
from behaviour.handlers.concurrency_probe import ConcurrencyProbe

PROBE = ConcurrencyProbe()


async def serial(ctx: runtime.Context, args: models.SerialInput) -> runtime.ToolReturn:
    await PROBE.visit(args.label)
    return f"done {args.label}"
