"""Handler of the list_notes tool.

The caller's notes."""

from __future__ import annotations

from notes._generated import models, runtime


async def list_notes(ctx: runtime.Context, args: models.ListNotesInput) -> runtime.ToolReturn:
    raise NotImplementedError("write the list_notes tool in src/notes/handlers/tools/list_notes.py")
