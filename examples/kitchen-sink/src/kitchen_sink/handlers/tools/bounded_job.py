"""Works as long as asked; the spec's timeout (0.5 s) stops it first if that is longer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def bounded_job(
    ctx: runtime.Context[State], args: models.BoundedJobInput
) -> runtime.ToolReturn:
    async with _scratch_space(ctx.state):
        await anyio.sleep(args.seconds)
    return f"done in {args.seconds:g} s"


@asynccontextmanager
async def _scratch_space(state: State) -> AsyncIterator[None]:
    """Stands for any resource held during the job: released on timeout as well."""
    try:
        yield
    finally:
        state.cleanups.append("bounded_job")
