"""Handler of the get_conditions tool.

Current conditions in a city."""

from __future__ import annotations

from weather import climate
from weather._generated import models, runtime


async def get_conditions(
    ctx: runtime.Context, args: models.GetConditionsInput
) -> models.GetConditionsOutput:
    city = climate.require_city(args.city)
    now = climate.current_conditions(city, climate.today())
    return models.GetConditionsOutput(
        city=city.name,
        temperature_c=now.temperature_c,
        humidity=now.humidity,
        wind_kph=now.wind_kph,
        summary=now.summary,
    )
