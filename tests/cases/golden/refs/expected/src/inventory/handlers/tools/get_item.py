"""Handler of the get_item tool."""

from __future__ import annotations

from inventory._generated import models, runtime


async def get_item(ctx: runtime.Context, args: models.GetItemInput) -> models.Item:
    # It may raise (from inventory._generated.errors):
    #   OutOfStock(models.OutOfStockData(...))
    #   Forbidden()
    raise NotImplementedError("write the get_item tool in src/inventory/handlers/tools/get_item.py")
