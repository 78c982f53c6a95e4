"""Asks for a name, a greeting and the roots in one round."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import NAME_SCHEMA


async def test_input_required_result_multiple_inputs(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    if {"user_name", "greeting", "client_roots"} <= ctx.input_responses.keys():
        return "All inputs received."
    raise runtime.InputRequired(
        {
            "user_name": runtime.elicitation_request("What is your name?", NAME_SCHEMA),
            "greeting": runtime.sampling_request("Generate a greeting", max_tokens=50),
            "client_roots": runtime.roots_request(),
        },
        state="multiple-inputs",
    )
