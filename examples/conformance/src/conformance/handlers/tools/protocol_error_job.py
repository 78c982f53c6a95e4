"""Fails with a JSON-RPC error (the task fails)."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime
from conformance._generated.errors import SimulatedFailure


async def protocol_error_job(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    await anyio.sleep(0.2)
    raise SimulatedFailure(models.SimulatedFailureData(job="protocol_error_job"))
