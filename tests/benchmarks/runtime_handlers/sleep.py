"""Handler of the sleep tool (benchmark fixture: copied over the generated stub).

Reports progress 0 once running, then waits `ms` milliseconds in steps of `step_ms`, with a
checkpoint at every step, so a cancellation lands within one step. With `busy` each step spins the CPU (blocking the event
loop, as CPU-bound handler code does) and only `ctx.checkpoint()` lets a cancel in.

The module-level counters are read by the stats tool (soak) and, in process, by
bench_runtime.py, which also reads `FINISHED`: the `time.perf_counter()` at which each
call's `finally` ran.
"""

from __future__ import annotations

import time

import anyio
from runtime_bench._generated import models, runtime

STARTED: list[float] = []
FINISHED: list[float] = []
COUNTS = {"started": 0, "finished": 0, "cancelled": 0}


async def sleep(ctx: runtime.Context, args: models.SleepInput) -> models.SleepOutput:
    start = time.perf_counter()
    STARTED.append(start)
    COUNTS["started"] += 1
    step = args.step_ms / 1000
    deadline = start + args.ms / 1000
    steps = 0
    try:
        # Tells a client that asked for progress that the handler runs (the soak cancels then).
        await ctx.progress(0, args.ms, "started")
        while (left := deadline - time.perf_counter()) > 0:
            if args.busy:
                spin_until = time.perf_counter() + min(step, left)
                while time.perf_counter() < spin_until:
                    pass
            else:
                await anyio.sleep(min(step, left))
            await ctx.checkpoint()
            steps += 1
    except BaseException:
        COUNTS["cancelled"] += 1
        raise
    else:
        COUNTS["finished"] += 1
    finally:
        FINISHED.append(time.perf_counter())
    return models.SleepOutput(slept_ms=(time.perf_counter() - start) * 1000, steps=steps)
