"""Asks the user for a username and an email address."""

from __future__ import annotations

import json

from conformance._generated import models, runtime


async def test_elicitation(
    ctx: runtime.Context, args: models.TestElicitationInput
) -> runtime.ToolReturn:
    answer = await ctx.elicit_schema(
        args.message,
        {
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        },
    )
    return f"User response: action={answer.action}, content={json.dumps(answer.data)}"
