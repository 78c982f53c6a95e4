"""Handler of the get_item tool: structured output, and a declared error with data."""

from __future__ import annotations

from behaviour._generated import models, runtime
from behaviour._generated.errors import ItemNotFound

CATALOGUE: dict[int, models.Item] = {
    1: models.Item(id=1, name="hammer", kind="tool", tags=["steel", "heavy"], price=12.5),
    # No price: the structured result must leave it out rather than send null.
    2: models.Item(id=2, name="kite", kind="toy", tags=[]),
    12: models.Item(id=12, name="bread", kind="food", tags=["fresh"], price=3.0),
}


async def get_item(ctx: runtime.Context, args: models.GetItemInput) -> models.Item:
    item = CATALOGUE.get(args.id)
    if item is None:
        raise ItemNotFound(models.ItemNotFoundData(id=args.id, known_ids=sorted(CATALOGUE)))
    if args.detail == "full":
        return item.model_copy(update={"name": f"{item.name} ({item.kind})"})
    return item
