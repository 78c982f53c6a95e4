"""Announces a prompt list change."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_trigger_prompt_change(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    await ctx.server.prompts_changed()
    return "prompt list changed"
