"""Handler of the echo tool (benchmark fixture: copied over the generated stub)."""

from __future__ import annotations

from runtime_bench._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> models.EchoOutput:
    return models.EchoOutput(text=args.text)
