"""Sleeps, then says so: a task when the client asks for one."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime


async def slow_compute(ctx: runtime.Context, args: models.SlowComputeInput) -> runtime.ToolReturn:
    await anyio.sleep(args.seconds)
    return f"slow_compute done after {args.seconds:g}s (label={args.label or ''})"
