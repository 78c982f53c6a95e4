"""Reports progress at 0, 50 and 100 of 100."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime


async def test_tool_with_progress(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    for step in (0, 50, 100):
        await ctx.progress(step, 100, f"Completed step {step} of 100")
        if step < 100:
            await anyio.sleep(0.06)
    return "progress reported"
