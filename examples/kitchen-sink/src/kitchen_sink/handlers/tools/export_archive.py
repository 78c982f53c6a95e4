"""Packs the notebook: a slow job that asks one question, so it suits a task.

Run as a task (a 2026-07-28 client that speaks io.modelcontextprotocol/tasks), its
progress becomes the task's status message and its question an input request the client
answers with tasks/update; run as a plain call, the same code reports progress and asks
the question on the request.
"""

from __future__ import annotations

import anyio
from pydantic import BaseModel, Field

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


class ArchiveOptions(BaseModel):
    """The form the user fills in."""

    with_tags: bool = Field(default=True, description="Keep the tags in the archive?")


async def export_archive(
    ctx: runtime.Context[State], args: models.ExportArchiveInput
) -> models.ExportArchiveOutput:
    options = await ctx.elicit("Export the notebook: which options?", ArchiveOptions)
    with_tags = options.data.with_tags if options.data is not None else True
    notes = sorted(ctx.state.notes.values(), key=lambda note: note.id)
    for done, _ in enumerate(notes, start=1):
        await anyio.sleep(args.seconds / max(1, len(notes)))
        await ctx.progress(done, len(notes), "packed a note")
    return models.ExportArchiveOutput(notes=len(notes), with_tags=with_tags)
