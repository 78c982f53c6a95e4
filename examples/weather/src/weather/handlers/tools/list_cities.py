"""Handler of the list_cities tool.

The cities this server knows, as text."""

from __future__ import annotations

from weather import climate
from weather._generated import models, runtime


async def list_cities(ctx: runtime.Context, args: models.ListCitiesInput) -> runtime.ToolReturn:
    return "\n".join(f"{city.name}, {city.country}" for city in climate.CITIES)
