"""Greets by name; never a task."""

from __future__ import annotations

from conformance._generated import models, runtime


async def greet(ctx: runtime.Context, args: models.GreetInput) -> runtime.ToolReturn:
    return f"Hello, {args.name}!"
