"""Lookups the handlers share."""

from __future__ import annotations

from kitchen_sink._generated import models
from kitchen_sink._generated.errors import NoteNotFound
from kitchen_sink.handlers.lifespan import State


def find(state: State, note_id: int) -> models.Note:
    """The note, or the declared NoteNotFound error."""
    note = state.notes.get(note_id)
    if note is None:
        raise NoteNotFound(models.NoteNotFoundData(id=note_id))
    return note
