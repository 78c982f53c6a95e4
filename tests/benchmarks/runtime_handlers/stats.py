"""Handler of the stats tool (benchmark fixture: copied over the generated stub).

Reports facts about the server process for soak_http.py: live asyncio tasks, RSS, file
descriptors, and the streamable-HTTP sessions the SDK's session manager still tracks (found
through the garbage collector: the runtime does not expose its session manager).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import threading
from typing import Any

from runtime_bench._generated import models, runtime
from runtime_bench._generated.runtime._event_store import MemoryEventStore
from runtime_bench.handlers.tools import sleep as sleep_tool


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def _task_name(task: asyncio.Task[Any]) -> str:
    name = task.get_name()
    if name.startswith("Task-"):  # unnamed asyncio task: name it by its coroutine
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
    return name


async def stats(ctx: runtime.Context, args: models.StatsInput) -> models.StatsOutput:
    if args.collect:
        gc.collect()
    tasks = asyncio.all_tasks()
    names = collections.Counter(_task_name(t) for t in tasks)
    from mcp.server.streamable_http import StreamableHTTPServerTransport
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    objects = gc.get_objects()
    managers = [o for o in objects if isinstance(o, StreamableHTTPSessionManager)]
    transports = sum(1 for o in objects if isinstance(o, StreamableHTTPServerTransport))
    stores = [o for o in objects if isinstance(o, MemoryEventStore)]
    sessions = sum(len(m._server_instances) for m in managers) if managers else -1
    counts = sleep_tool.COUNTS
    return models.StatsOutput(
        pid=os.getpid(),
        tasks=len(tasks),
        task_names=dict(names),
        rss_kb=_rss_kb(),
        cpu_s=sum(os.times()[:2]),
        threads=threading.active_count(),
        open_fds=len(os.listdir("/proc/self/fd")),
        gc_objects=len(objects),
        http_sessions=sessions,
        http_transports=transports,
        session_idle_timeout=managers[0].session_idle_timeout if managers else None,
        event_store_events=sum(len(s._events) for s in stores) if stores else -1,
        sleep_started=counts["started"],
        sleep_finished=counts["finished"],
        sleep_cancelled=counts["cancelled"],
        sleep_running=counts["started"] - counts["finished"] - counts["cancelled"],
        sleep_finished_at=sleep_tool.FINISHED[-1] if sleep_tool.FINISHED else None,
    )
