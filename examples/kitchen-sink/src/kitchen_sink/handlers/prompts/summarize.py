"""The summarize prompt: a note, and how to summarize it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kitchen_sink._generated import models, runtime
from kitchen_sink._generated.errors import NoteNotFound
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find

STYLES = ("brief", "detailed")


async def summarize(
    ctx: runtime.Context[State], args: models.SummarizeArguments
) -> runtime.PromptReturn:
    if not args.id.isdigit():
        raise NoteNotFound(models.NoteNotFoundData(id=0), message=f"No note {args.id!r}")
    note = find(ctx.state, int(args.id))
    style = args.style if args.style in STYLES else "brief"
    return [
        runtime.PromptMessage(
            role="user",
            content=runtime.EmbeddedResource(
                type="resource",
                resource=runtime.TextResourceContents(
                    uri=f"notes://{note.id}",
                    mime_type="application/json",
                    text=note.model_dump_json(),
                ),
            ),
        ),
        runtime.PromptMessage(
            role="user", content=runtime.TextContent(text=f"Summarize the note above; be {style}.")
        ),
    ]


async def complete_id(
    ctx: runtime.Context[State], value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Ids of existing notes that start with what the user typed."""
    return [str(i) for i in sorted(ctx.state.notes) if str(i).startswith(value)]


async def complete_style(
    ctx: runtime.Context[State], value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """The styles that start with what the user typed."""
    return [style for style in STYLES if style.startswith(value)]
