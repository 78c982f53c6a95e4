"""Asks only for what the client said it can give."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import NAME_SCHEMA


async def test_input_required_result_capabilities(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    capabilities = ctx.client_capabilities
    requests: dict[str, runtime.InputRequest] = {}
    if capabilities is None or capabilities.sampling is not None:
        requests["sample"] = runtime.sampling_request("Say hello", max_tokens=50)
    if capabilities is None or capabilities.elicitation is not None:
        requests["ask"] = runtime.elicitation_request("What is your name?", NAME_SCHEMA)
    if requests.keys() <= ctx.input_responses.keys():
        return "All the inputs the client could give were received."
    raise runtime.InputRequired(requests, state="capability-gated")
