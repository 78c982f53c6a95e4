"""Handler of the echo tool: plain text output."""

from __future__ import annotations

from behaviour._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> runtime.ToolReturn:
    text = " ".join([args.text] * args.times)
    return f"{text} on {args.on.isoformat()}" if args.on is not None else text
