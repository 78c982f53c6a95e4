"""Handler of the lost_field tool: a result without the property its schema requires."""

from __future__ import annotations

from serving._generated import models, runtime


async def lost_field(ctx: runtime.Context, args: models.LostFieldInput) -> models.LostFieldOutput:
    # model_construct skips pydantic's checks, as a hand-built model might.
    return models.LostFieldOutput.model_construct()
