"""Handler of the cities resource (weather://cities)."""

from __future__ import annotations

from weather._generated import runtime


async def cities(ctx: runtime.Context) -> runtime.ResourceReturn:
    raise NotImplementedError(
        "write the cities resource in src/weather/handlers/resources/cities.py"
    )
