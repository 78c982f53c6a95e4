"""Fails after a second with a tool error (the task completes, isError)."""

from __future__ import annotations

import anyio

from conformance._generated import models, runtime
from conformance._generated.errors import JobFailed


async def failing_job(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    await anyio.sleep(1)
    raise JobFailed(models.JobFailedData(job="failing_job"))
