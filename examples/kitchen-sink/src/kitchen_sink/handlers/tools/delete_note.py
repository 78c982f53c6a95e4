"""Deletes a note once the user confirms it through the client."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


class Confirmation(BaseModel):
    """The form the user fills in."""

    confirm: bool = Field(description="Delete the note for good?")


async def delete_note(ctx: runtime.Context[State], args: models.NoteId) -> runtime.ToolReturn:
    note = find(ctx.state, args.id)
    answer = await ctx.elicit(f"Delete note {note.id} ({note.title!r})?", Confirmation)
    if answer.data is None or not answer.data.confirm:
        return f"kept note {note.id}"
    del ctx.state.notes[note.id]
    await ctx.server.resource_updated(f"notes://{note.id}")
    await ctx.server.resource_updated("notes://latest")
    return f"deleted note {note.id}"
