"""Asks the user to confirm, as a task's input request when it runs as one."""

from __future__ import annotations

from conformance._generated import models, runtime


async def confirm_delete(
    ctx: runtime.Context, args: models.ConfirmDeleteInput
) -> runtime.ToolReturn:
    filename = args.filename or "?"
    answer = await ctx.elicit_schema(
        f"Delete {filename}?",
        {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]},
    )
    if answer.data is not None and answer.data.get("confirm"):
        return f"Deleted {filename}"
    return f"Kept {filename}"
