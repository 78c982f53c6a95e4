"""Handler of the plan_trip prompt.

Ask the model to plan outdoor activities around the forecast."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from weather._generated import models, runtime


async def plan_trip(ctx: runtime.Context, args: models.PlanTripArguments) -> runtime.PromptReturn:
    raise NotImplementedError(
        "write the plan_trip prompt in src/weather/handlers/prompts/plan_trip.py"
    )


async def complete_city(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Values of city that start with what the user typed."""
    return []
