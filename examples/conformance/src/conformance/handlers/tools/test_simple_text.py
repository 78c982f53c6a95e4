"""Answers with one text block."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_simple_text(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    return "This is a simple text response for testing."
