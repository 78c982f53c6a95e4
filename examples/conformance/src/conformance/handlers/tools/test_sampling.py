"""Asks the client's model, and reports what it said."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_sampling(ctx: runtime.Context, args: models.TestSamplingInput) -> runtime.ToolReturn:
    result = await ctx.sample(args.prompt, max_tokens=100)
    text = result.content.text if isinstance(result.content, runtime.TextContent) else "?"
    return f"LLM response: {text}"
