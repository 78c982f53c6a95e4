"""Handler of the categories tool."""

from __future__ import annotations

from inventory._generated import models, runtime


async def categories(ctx: runtime.Context, args: models.CategoriesInput) -> models.CategoriesOutput:
    raise NotImplementedError(
        "write the categories tool in src/inventory/handlers/tools/categories.py"
    )
