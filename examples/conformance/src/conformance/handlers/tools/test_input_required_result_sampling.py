"""Asks the client's model a question."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_input_required_result_sampling(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    result = await ctx.sample("What is the capital of France?", max_tokens=100)
    text = result.content.text if isinstance(result.content, runtime.TextContent) else "?"
    return f"Model said: {text}"
