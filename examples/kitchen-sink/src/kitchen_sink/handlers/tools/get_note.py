"""One note, by id."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


async def get_note(ctx: runtime.Context[State], args: models.NoteId) -> models.Note:
    return find(ctx.state, args.id)
