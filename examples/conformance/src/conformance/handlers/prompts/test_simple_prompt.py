"""A prompt without arguments."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_simple_prompt(
    ctx: runtime.Context, args: models.TestSimplePromptArguments
) -> runtime.PromptReturn:
    return "This is a simple prompt for testing."
