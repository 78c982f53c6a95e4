"""Asks two questions at once: both are pending together."""

from __future__ import annotations

from typing import Any

import anyio

from conformance._generated import models, runtime
from conformance.fixtures import CONFIRM_SCHEMA, NAME_SCHEMA


async def multi_input(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    answers: dict[str, object] = {}

    async def ask(key: str, message: str, schema: dict[str, Any]) -> None:
        answers[key] = (await ctx.elicit_schema(message, schema, key=key)).data

    async with anyio.create_task_group() as group:
        group.start_soon(ask, "name", "What is your name?", NAME_SCHEMA)
        group.start_soon(ask, "confirm", "Confirm?", CONFIRM_SCHEMA)
    return f"multi_input got {len(answers)} answers: " + ", ".join(
        f"{key}={answers[key]}" for key in sorted(answers)
    )
