"""The server's lifespan: the notebook every handler shares, set up at start-up.

Over stdio it lives as long as the process; over HTTP it is shared by every client.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from kitchen_sink._generated import models, runtime

logger = logging.getLogger(__name__)

README = {
    "install": "pip install -e examples/kitchen-sink",
    "run": "python -m kitchen_sink (stdio) or python -m kitchen_sink --transport http",
}
ATTACHMENTS = {
    "guides/intro.md": "# Notes\nEvery note has a title, a body and tags.",
    "guides/search.md": "# Search\nsearch://notes?q=word&tag=tag&limit=5",
    "readme.txt": "The attachments of the kitchen-sink notebook.",
}


@dataclass
class State:
    """The notebook: its notes, its attachments, and what cleaned up after itself."""

    notes: dict[int, models.Note]
    limit: int = 100
    attachments: dict[str, str] = field(default_factory=lambda: dict(ATTACHMENTS))
    readme: dict[str, str] = field(default_factory=lambda: dict(README))
    cleanups: list[str] = field(default_factory=list)
    """Handlers that ran their cleanup (`finally`), newest last: the stats tool reports it."""

    def next_id(self) -> int:
        return max(self.notes, default=0) + 1

    def latest(self) -> models.Note | None:
        return self.notes[max(self.notes)] if self.notes else None


def starter_notes() -> dict[int, models.Note]:
    notes = [
        models.Note(id=1, title="Groceries", body="eggs milk bread", tags=["home"]),
        models.Note(id=2, title="Ideas", body="a server that writes itself", tags=[]),
        models.Note(id=3, title="Quotes", body="simple things should be simple", tags=["wit"]),
    ]
    return {note.id: note for note in notes}


@asynccontextmanager
async def lifespan(server: runtime.ServerHandle) -> AsyncIterator[State]:
    """Open the notebook for the server's lifetime, and say when it closes."""
    state = State(notes=starter_notes())
    logger.info("notebook open with %d notes", len(state.notes))
    try:
        yield state
    finally:
        logger.info("notebook closed with %d notes", len(state.notes))
