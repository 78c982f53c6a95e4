"""Asks two questions, one after the other."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import NAME_SCHEMA


async def test_input_required_result_multi_round(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    name = await ctx.elicit_schema("Step 1: What is your name?", NAME_SCHEMA, key="step1")
    color = await ctx.elicit_schema(
        "Step 2: What is your favorite color?",
        {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]},
        key="step2",
    )
    return f"{(name.data or {}).get('name')} likes {(color.data or {}).get('color')}."
