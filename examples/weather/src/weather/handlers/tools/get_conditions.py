"""Handler of the get_conditions tool.

Current conditions in a city."""

from __future__ import annotations

from weather._generated import models, runtime


async def get_conditions(
    ctx: runtime.Context, args: models.GetConditionsInput
) -> models.GetConditionsOutput:
    # It may raise (from weather._generated.errors):
    #   CityNotFound(models.CityNotFoundData(...))
    raise NotImplementedError(
        "write the get_conditions tool in src/weather/handlers/tools/get_conditions.py"
    )
