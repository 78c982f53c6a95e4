"""Handler of the search resource template (items://{kind}/search{?q,page})."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def search(ctx: runtime.Context, params: models.SearchParams) -> runtime.ResourceReturn:
    raise NotImplementedError(
        "write the search resource template in src/odd_names/handlers/resource_templates/search.py"
    )
