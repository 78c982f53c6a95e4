"""notes://latest: the newest note, as JSON."""

from __future__ import annotations

from kitchen_sink._generated import runtime
from kitchen_sink.handlers.lifespan import State


async def latest(ctx: runtime.Context[State]) -> runtime.ResourceReturn:
    note = ctx.state.latest()
    return note.model_dump_json() if note is not None else "null"
