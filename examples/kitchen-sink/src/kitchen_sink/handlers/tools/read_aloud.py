"""Streams a note's body a word at a time; the result is the whole body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


async def read_aloud(
    ctx: runtime.Context[State], args: models.NoteId
) -> AsyncIterator[runtime.ToolChunk]:
    note = find(ctx.state, args.id)
    for position, word in enumerate(note.body.split()):
        yield word if position == 0 else " " + word
        await anyio.sleep(0.01)
