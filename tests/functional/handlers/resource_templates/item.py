"""Handler of the item resource template (behaviour://items/{id}), and its completion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from behaviour._generated import models, runtime
from behaviour._generated.errors import ItemNotFound
from behaviour.handlers.tools.get_item import CATALOGUE

# Reading this id fails unexpectedly; the exception text must not reach the client.
UNLUCKY_ID = 13
SECRET = "s3cr3t-template-4411"
# Ids the completion offers: more than the protocol's 100 per answer.
COMPLETABLE_IDS = range(1, 151)


async def item(ctx: runtime.Context, params: models.ItemParams) -> runtime.ResourceReturn:
    if params.id == UNLUCKY_ID:
        raise RuntimeError(f"cache key {SECRET} is corrupt")
    found = CATALOGUE.get(params.id)
    if found is None:
        raise ItemNotFound(models.ItemNotFoundData(id=params.id, known_ids=sorted(CATALOGUE)))
    return found.model_dump_json(exclude_none=True)


async def complete_id(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Ids that start with what the user typed."""
    return [str(i) for i in COMPLETABLE_IDS if str(i).startswith(value)]
