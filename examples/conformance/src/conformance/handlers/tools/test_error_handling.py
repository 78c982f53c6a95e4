"""Fails unexpectedly: the client gets an isError result, not the exception's text."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_error_handling(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    raise RuntimeError("This tool intentionally returns an error for testing")
