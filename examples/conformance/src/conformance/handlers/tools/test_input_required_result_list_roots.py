"""Asks the client for its roots."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_input_required_result_list_roots(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    roots = await ctx.list_roots()
    return f"Client exposed {len(roots)} root(s)."
