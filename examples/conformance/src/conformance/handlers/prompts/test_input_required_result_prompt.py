"""A prompt that first asks the user for context."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_input_required_result_prompt(
    ctx: runtime.Context, args: models.TestInputRequiredResultPromptArguments
) -> runtime.PromptReturn:
    answer = await ctx.elicit_schema(
        "What context should the prompt use?",
        {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]},
        key="user_context",
    )
    return f"Use the following context: {(answer.data or {}).get('context', '?')}"
