"""Holds the storage for a while; the spec lets one run at a time and refuses a second."""

from __future__ import annotations

import anyio

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def compact(ctx: runtime.Context[State], args: models.CompactInput) -> runtime.ToolReturn:
    await anyio.sleep(args.seconds)
    return "compacted"
