"""Handler of the get_forecast tool.

Daily forecast for a city, up to 7 days ahead."""

from __future__ import annotations

from datetime import timedelta

from weather import climate
from weather._generated import models, runtime


async def get_forecast(ctx: runtime.Context, args: models.GetForecastInput) -> models.Forecast:
    city = climate.require_city(args.city)
    # Read the date once, so a forecast computed across midnight stays one consecutive run.
    first_day = climate.today() + timedelta(days=1)
    days: list[models.DailyForecast] = []
    for done in range(args.days):
        # Each day is cheap, but the spec promises cancellation: let a cancel land here.
        await ctx.checkpoint()
        day = first_day + timedelta(days=done)
        days.append(climate.daily_forecast(city, day, args.unit))
        await ctx.progress(done + 1, args.days, f"{city.name}: forecast for {day:%a %d %b} ready")
    return models.Forecast(city=city.name, unit=args.unit, days=days)
