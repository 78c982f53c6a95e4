"""search://notes{?q,tag,limit}: every parameter optional, in any order."""

from __future__ import annotations

import json

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def search(
    ctx: runtime.Context[State], params: models.SearchParams
) -> runtime.ResourceReturn:
    found = [
        note.id
        for note in ctx.state.notes.values()
        if (params.q is None or params.q.lower() in (note.title + " " + note.body).lower())
        and (params.tag is None or params.tag in note.tags)
    ]
    return json.dumps({"ids": found[: params.limit]})
