"""Counts words of several notes, a few at a time, with progress per note."""

from __future__ import annotations

import anyio

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


async def word_counts(
    ctx: runtime.Context[State], args: models.WordCountsInput
) -> models.WordCountsOutput:
    async def count(note_id: int) -> int:
        note = find(ctx.state, note_id)  # an unknown id stops the whole batch
        await anyio.sleep(0.01)  # stands for real work per item
        return len(note.body.split())

    counts = await ctx.batch(
        args.ids, count, concurrency=args.concurrency, message="counted a note"
    )
    return models.WordCountsOutput(counts=counts)
