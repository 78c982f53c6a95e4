"""Adds a note, then tells the subscribers of notes://latest."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink._generated.errors import NotebookFull
from kitchen_sink.handlers.lifespan import State


async def add_note(ctx: runtime.Context[State], args: models.AddNoteInput) -> models.Note:
    notebook = ctx.state
    if len(notebook.notes) >= notebook.limit:
        raise NotebookFull(models.NotebookFullData(limit=notebook.limit))
    note = models.Note(id=notebook.next_id(), title=args.title, body=args.body, tags=args.tags)
    notebook.notes[note.id] = note
    await ctx.server.resource_updated("notes://latest")
    return note
