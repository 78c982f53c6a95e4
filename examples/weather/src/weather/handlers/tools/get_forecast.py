"""Handler of the get_forecast tool.

Daily forecast for a city, up to 7 days ahead."""

from __future__ import annotations

from weather._generated import models, runtime


async def get_forecast(ctx: runtime.Context, args: models.GetForecastInput) -> models.Forecast:
    # The spec says this tool reports progress: `await ctx.progress(done, total, "message")`.
    # The spec says this tool is cancellable: `await ctx.checkpoint()` in long loops.
    # It may raise (from weather._generated.errors):
    #   CityNotFound(models.CityNotFoundData(...))
    raise NotImplementedError(
        "write the get_forecast tool in src/weather/handlers/tools/get_forecast.py"
    )
