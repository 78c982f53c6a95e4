"""Carries its own state across the round trip."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import CONFIRM_SCHEMA


async def test_input_required_result_request_state(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    if ctx.request_state == "request-state-nonce" and "confirm" in ctx.input_responses:
        return "state-ok: confirmation received"
    raise runtime.InputRequired(
        {"confirm": runtime.elicitation_request("Please confirm", CONFIRM_SCHEMA)},
        state="request-state-nonce",
    )
