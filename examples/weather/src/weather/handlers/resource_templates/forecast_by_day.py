"""Handler of the forecast_by_day resource template (weather://forecast/{city}/{date})."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from weather._generated import models, runtime


async def forecast_by_day(
    ctx: runtime.Context, params: models.ForecastByDayParams
) -> runtime.ResourceReturn:
    raise NotImplementedError(
        "write the forecast_by_day resource template in src/weather/handlers/resource_templates/forecast_by_day.py"
    )


async def complete_city(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Values of city that start with what the user typed."""
    return []
