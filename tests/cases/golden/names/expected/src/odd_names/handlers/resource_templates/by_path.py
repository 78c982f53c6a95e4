"""Handler of the by-path resource template (items://{kind}/{+path})."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def by_path(ctx: runtime.Context, params: models.ByPathParams) -> runtime.ResourceReturn:
    raise NotImplementedError(
        "write the by-path resource template in src/odd_names/handlers/resource_templates/by_path.py"
    )
