"""Handler of the cities resource (weather://cities)."""

from __future__ import annotations

import json

from weather import climate
from weather._generated import runtime


async def cities(ctx: runtime.Context) -> runtime.ResourceReturn:
    listing = [
        {
            "name": city.name,
            "country": city.country,
            "latitude": city.latitude,
            "longitude": city.longitude,
        }
        for city in climate.CITIES
    ]
    return json.dumps(listing, sort_keys=True, indent=2, ensure_ascii=False)
