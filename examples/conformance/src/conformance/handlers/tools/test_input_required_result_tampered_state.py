"""Asks for a confirmation; the SDK rejects a tampered state before this runs again."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import CONFIRM_SCHEMA


async def test_input_required_result_tampered_state(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    answer = await ctx.elicit_schema("Please confirm", CONFIRM_SCHEMA, key="confirm")
    return f"state-ok: confirmed={(answer.data or {}).get('ok')}"
