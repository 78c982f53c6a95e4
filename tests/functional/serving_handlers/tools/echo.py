"""Handler of the echo tool."""

from __future__ import annotations

from serving._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> models.EchoOutput:
    return models.EchoOutput(text=args.text)
