"""Asks the client's model for a title (a request on 2025 connections, a round trip on 2026)."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State
from kitchen_sink.notebook import find


async def suggest_title(ctx: runtime.Context[State], args: models.NoteId) -> runtime.ToolReturn:
    note = find(ctx.state, args.id)
    answer = await ctx.sample(
        f"Suggest a short title for this note:\n{note.body}",
        max_tokens=30,
        system_prompt="Answer with the title only.",
    )
    if isinstance(answer.content, runtime.TextContent):
        return answer.content.text.strip()
    return note.title
