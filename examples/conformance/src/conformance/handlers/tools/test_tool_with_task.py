"""Asks for a name in the request, then detaches and works as a task."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime
from conformance.fixtures import NAME_SCHEMA


async def test_tool_with_task(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    answer = await ctx.elicit_schema("What is your name?", NAME_SCHEMA, key="user_name")
    name = (answer.data or {}).get("name", "stranger")
    await ctx.detach()  # the client gets a task from here on
    await anyio.sleep(0.5)
    return f"Hello, {name}! (computed in a task)"
