"""Handler of the plan_trip prompt.

Ask the model to plan outdoor activities around the forecast."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from weather import climate
from weather._generated import models, runtime

# As many days as get_forecast gives by default: a long weekend.
TRIP_DAYS = 3


async def plan_trip(ctx: runtime.Context, args: models.PlanTripArguments) -> runtime.PromptReturn:
    city = climate.require_city(args.city)
    # The forecast goes into the prompt itself, so the plan works even for a client that
    # cannot call tools.
    first_day = climate.today() + timedelta(days=1)
    forecast = [
        climate.daily_forecast(city, first_day + timedelta(days=offset), "celsius")
        for offset in range(TRIP_DAYS)
    ]
    lines = [
        f"{date.fromisoformat(day.date):%A %d %B}: {day.summary}, "
        f"high {day.high:g} °C, low {day.low:g} °C, "
        f"{day.precipitation_chance}% chance of precipitation"
        for day in forecast
    ]
    interests = (args.interests or "").strip()
    wishes = (
        f"I enjoy {interests}."
        if interests
        else "I have no fixed plans, so suggest a varied mix of things to do outside."
    )
    return "\n".join(
        [
            f"I am spending the next {TRIP_DAYS} days in {city.name}, {city.country}, "
            "and want to be outdoors as much as the weather allows.",
            wishes,
            "",
            "The forecast:",
            *(f"- {line}" for line in lines),
            "",
            "Plan each day around its weather: put the activities that need a dry, mild day "
            "on the best one, and give any day likely to be wet an indoor fallback. "
            "Say what to wear or bring, and keep it to a few lines per day.",
        ]
    )


async def complete_city(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Values of city that start with what the user typed."""
    return climate.complete_city(value)
