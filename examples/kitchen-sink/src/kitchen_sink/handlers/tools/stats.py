"""An open-ended report: the spec turns output validation off, so it may say more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def stats(
    ctx: runtime.Context[State], args: models.StatsInput
) -> models.StatsOutput | Mapping[str, Any]:
    notes = ctx.state.notes.values()
    return {
        "notes": len(notes),
        "words": sum(len(note.body.split()) for note in notes),
        "cleanups": list(ctx.state.cleanups),
    }
