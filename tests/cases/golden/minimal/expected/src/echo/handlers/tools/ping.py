"""Handler of the ping tool.

Answers pong."""

from __future__ import annotations

from echo._generated import models, runtime


async def ping(ctx: runtime.Context, args: models.PingInput) -> runtime.ToolReturn:
    raise NotImplementedError("write the ping tool in src/echo/handlers/tools/ping.py")
