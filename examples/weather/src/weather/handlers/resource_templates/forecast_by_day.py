"""Handler of the forecast_by_day resource template (weather://forecast/{city}/{date})."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from weather import climate
from weather._generated import models, runtime


async def forecast_by_day(
    ctx: runtime.Context, params: models.ForecastByDayParams
) -> runtime.ResourceReturn:
    city = climate.require_city(params.city)
    # Any date is served, past or far ahead: the model is a climate, not a live forecast,
    # and the spec declares no error for a date out of range.
    day = climate.daily_forecast(city, params.date, "celsius")
    body = {"city": city.name, "unit": "celsius", **day.model_dump(mode="json")}
    return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False)


async def complete_city(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Values of city that start with what the user typed."""
    return climate.complete_city(value)
