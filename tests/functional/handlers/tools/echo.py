"""Handler of the echo tool: plain text output."""

from __future__ import annotations

from behaviour._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> runtime.ToolReturn:
    text = " ".join([args.text] * args.times)
    # A `date` format is text, as the client sent it: the schema asserts no format.
    return f"{text} on {args.on}" if args.on is not None else text
