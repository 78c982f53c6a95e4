"""Stands for a call to an upstream service that allows three calls a second."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink.handlers.lifespan import State


async def ping_upstream(
    ctx: runtime.Context[State], args: models.PingUpstreamInput
) -> runtime.ToolReturn:
    return "pong"
