"""Checks every note, logging as it goes: with ctx.log, and with the logging module."""

from __future__ import annotations

import logging

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State

logger = logging.getLogger(__name__)


async def audit(ctx: runtime.Context[State], args: models.AuditInput) -> runtime.ToolReturn:
    notes = list(ctx.state.notes.values())
    await ctx.log("info", "audit started", notes=len(notes))
    untagged = [note for note in notes if not note.tags]
    for note in untagged:
        # The standard logging module: records of this package reach the client too.
        logger.warning("note %d (%s) has no tags", note.id, note.title)
    logger.debug("audit details: %s", [note.id for note in notes])
    return f"audited {len(notes)} notes, {len(untagged)} without tags"
