"""A prompt naming its two arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conformance._generated import models, runtime


async def test_prompt_with_arguments(
    ctx: runtime.Context, args: models.TestPromptWithArgumentsArguments
) -> runtime.PromptReturn:
    return f"Prompt with arguments: arg1='{args.arg1}', arg2='{args.arg2}'"


async def complete_arg1(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Values of arg1 that start with what the user typed."""
    return [v for v in ("test", "testing", "tested") if v.startswith(value)]
