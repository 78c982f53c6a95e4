"""notes://{id}: one note as JSON; its id completes from the notebook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


async def note(ctx: runtime.Context[State], params: models.NoteParams) -> runtime.ResourceReturn:
    return find(ctx.state, params.id).model_dump_json()


async def complete_id(
    ctx: runtime.Context[State], value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Ids of existing notes that start with what the user typed."""
    return [str(i) for i in sorted(ctx.state.notes) if str(i).startswith(value)]
