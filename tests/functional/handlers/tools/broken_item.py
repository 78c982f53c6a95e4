"""Handler of the broken_item tool: a result the output schema refuses."""

from __future__ import annotations

from behaviour._generated import models, runtime


async def broken_item(ctx: runtime.Context, args: models.BrokenItemInput) -> models.Item:
    # model_construct skips pydantic's checks, as a hand-built or mutated model might.
    return models.Item.model_construct(id=7, name="oops", kind="toy", tags=[], price=-1.0)
