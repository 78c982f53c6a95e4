"""Handler of the delete_note tool.

Deletes one of the caller's notes."""

from __future__ import annotations

from notes._generated import models, runtime


async def delete_note(ctx: runtime.Context, args: models.DeleteNoteInput) -> runtime.ToolReturn:
    raise NotImplementedError(
        "write the delete_note tool in src/notes/handlers/tools/delete_note.py"
    )
