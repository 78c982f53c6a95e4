"""Asks the user's name, the same way on either protocol era."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import NAME_SCHEMA


async def test_input_required_result_elicitation(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    answer = await ctx.elicit_schema("What is your name?", NAME_SCHEMA, key="user_name")
    return f"Hello, {(answer.data or {}).get('name', 'stranger')}!"
