"""Soak: a generated server over streamable HTTP under concurrent, cancelled and dropped clients.

Generates tests/benchmarks/runtime_bench.toml (with the handlers of runtime_handlers/), starts
`python -m runtime_bench --transport http --port P` as a real subprocess on loopback, then:

  1. warms it up (both eras, a cancelled call) and records a baseline through the `stats`
     tool: live asyncio tasks, stateful HTTP sessions, RSS after gc.collect(), fds, ...;
  2. runs `--clients` concurrent `mcp.client.Client(url)` clients (half 2026-era `auto`,
     half `legacy` 2025-era sessions) making `--calls` calls in all: echo and short sleeps,
     whose answers are checked, and a fifth (`--cancel-fraction`) long sleeps cancelled
     mid-way by cancelling the anyio scope around `call_tool`;
  3. meanwhile `--drop` clients in child processes start a long sleep and are SIGKILLed:
     their TCP connections close with no DELETE and no notifications/cancelled;
  4. checks that every call not cancelled was answered correctly, that a fresh client is
     served in both eras, that every cancelled call was cancelled in the server (its handler
     saw the cancellation), that within `--grace` seconds the server's task count,
     open sessions and running handlers return to the baseline and RSS stays within
     `--rss-tolerance-mb` of it, and that the server's log holds no error record, no
     traceback and no stream the SDK failed to write.

    python tests/benchmarks/soak_http.py [--calls 1000] [--clients 50] [--drop 3]

Dropped 2025-era sessions are not closed by the SDK when their connection goes away: a
stateful session lives until a DELETE or until the server's session idle timeout. The soak
starts the server with `--session-idle-timeout` (`--idle-timeout`, default 5 s) and checks
that those sessions, their tasks and their handlers are gone within `--grace`;
`--idle-timeout 0` keeps the generated server's default (600 s) and then accepts exactly the
dropped 2025-era sessions as lingering. Exit status: 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_runtime import free_port, generate_package, server_process  # noqa: E402

DROP_SLEEP_MS = 15_000
# -- the server process ------------------------------------------------------------------


async def stats(url: str) -> dict[str, Any]:
    """The server's own view of itself, after a gc.collect() (2026 era: no session opened)."""
    async with Client(url) as client:
        result = await client.call_tool("stats", {"collect": True})
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"stats failed: {result.content}")
    return dict(result.structured_content)


# -- the load ----------------------------------------------------------------------------


@dataclass
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    cancelled: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    clients_done: int = 0


@dataclass(frozen=True)
class Call:
    kind: str  # "echo", "sleep" or "cancel"
    ms: int = 0
    cancel_after: float = 0.0


def plan_calls(calls: int, clients: int, cancel_fraction: float, seed: int) -> list[list[Call]]:
    rng = random.Random(seed)
    cancels = round(calls * cancel_fraction)
    kinds = ["cancel"] * cancels + ["echo", "sleep"] * ((calls - cancels) // 2 + 1)
    kinds = kinds[:calls]
    rng.shuffle(kinds)
    plan: list[list[Call]] = [[] for _ in range(clients)]
    for i, kind in enumerate(kinds):
        if kind == "cancel":
            call = Call(kind, ms=10_000, cancel_after=rng.uniform(0.0, 0.1))
        elif kind == "sleep":
            call = Call(kind, ms=rng.randint(5, 40))
        else:
            call = Call(kind)
        plan[i % clients].append(call)
    return plan


async def cancelled_call(client: Client, call: Call) -> str | None:
    """A long sleep cancelled `call.cancel_after` s after its handler reported it runs."""
    running = anyio.Event()
    answers: list[object] = []
    scope = anyio.CancelScope()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        running.set()

    async def call_it() -> None:
        with scope:
            answers.append(
                await client.call_tool("sleep", {"ms": call.ms}, progress_callback=on_progress)
            )

    problem = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(call_it)
        with anyio.move_on_after(30):
            await running.wait()
        if running.is_set():
            await anyio.sleep(call.cancel_after)
        else:
            problem = "no progress from the sleep handler within 30 s"
        scope.cancel()
    if answers:
        return f"answered before the cancel: {answers[0]}"
    return problem


async def run_client(url: str, mode: str, calls: list[Call], index: int, tally: Tally) -> None:
    try:
        async with Client(url, mode=mode) as client:
            for n, call in enumerate(calls):
                started = time.perf_counter()
                where = f"client {index} ({mode}) call {n} {call.kind}"
                try:
                    if call.kind == "echo":
                        text = f"client {index} call {n} \N{SNOWMAN}"
                        result = await client.call_tool("echo", {"text": text})
                        if result.is_error or result.structured_content != {"text": text}:
                            tally.failures.append(f"{where}: wrong answer {result}")
                            continue
                    elif call.kind == "sleep":
                        result = await client.call_tool("sleep", {"ms": call.ms})
                        body = result.structured_content or {}
                        if result.is_error or body.get("slept_ms", -1) < call.ms:
                            tally.failures.append(f"{where}: wrong answer {result}")
                            continue
                    else:
                        problem = await cancelled_call(client, call)
                        if problem:
                            tally.failures.append(f"{where}: {problem}")
                            continue
                        tally.cancelled += 1
                        continue
                except Exception as error:
                    tally.failures.append(f"{where}: {type(error).__name__}: {error}")
                    continue
                tally.ok[call.kind] += 1
                tally.latencies.setdefault(f"{call.kind} {mode}", []).append(
                    time.perf_counter() - started
                )
    except Exception as error:
        tally.failures.append(f"client {index} ({mode}): {type(error).__name__}: {error}")
    tally.clients_done += 1


DROP_CHILD = """\
import sys, anyio
from mcp.client import Client

async def running(progress, total, message):
    print("running", flush=True)

async def main(url, mode, ms):
    async with Client(url, mode=mode) as client:
        await client.call_tool("echo", {"text": "about to be dropped"})
        await client.call_tool("sleep", {"ms": ms}, progress_callback=running)
    print("finished?!", flush=True)

anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
"""


async def drop_client(url: str, mode: str, delay: float, failures: list[str]) -> None:
    """A client in a child process, SIGKILLed while its sleep handler runs in the server."""
    await anyio.sleep(delay)
    async with await anyio.open_process(
        [sys.executable, "-c", DROP_CHILD, url, mode, str(DROP_SLEEP_MS)],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        try:
            with anyio.fail_after(30):
                line = await proc.stdout.receive()
            if b"running" not in line:
                failures.append(f"dropped client ({mode}) said {line!r}")
        except TimeoutError:
            failures.append(f"dropped client ({mode}) never got its call running")
        finally:
            proc.kill()
            await proc.wait()


class CountingHandler(logging.Handler):
    """Counts the client side's log records (the SDK logs, e.g., SSE errors on cancels)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        suffix = f" ({type(exc).__name__})" if exc is not None else ""
        self.counts[f"{record.levelname} {record.name}: {record.getMessage()[:80]}{suffix}"] += 1


# -- the checks --------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


# A server that answered every call can still have failed inside: the SDK logs a stream
# written after its response ended ("Unexpected ASGI message ... after response already
# completed") or a task that hit a closed stream (`ClosedResourceError`) and goes on.
# Any error record or traceback in its log fails the soak, but one known defect of the SDK
# (below), which is named and counted instead.
_LOG_RECORD = re.compile(r"(CRITICAL|ERROR|WARNING|INFO|DEBUG):")
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Group)\b")
_LOG_FAILURES = re.compile(
    r"^(ERROR|CRITICAL):|^Traceback \(most recent call last\)|Unexpected ASGI message"
    r"|ClosedResourceError|Exception in ASGI application"
)
# mcp 2.3.0 (the newest release), StreamableHTTPServerTransport._handle_post_request: it
# answers a notification's POST with 202, then hands the notification to the session; when
# the client's DELETE ended that session in between, the hand-over raises
# ClosedResourceError, which its catch-all logs as an error and answers with a 500 after the
# 202 (uvicorn's "Unexpected ASGI message"). The notification concerned a session the client
# itself ended, so nothing is lost. Known upstream: python-sdk issue #2741, flagged again in
# the review of PR #2934 for exactly this path, and PR #2983 (open on 2026-12-07) guards the
# send. A record is this defect when its traceback is; drop this when mcp has the fix.
SDK_NOTIFICATION_RACE = (
    "in _handle_post_request",
    "await writer.send(session_message)",
    "ClosedResourceError",
)


def notable_lines(lines: list[str]) -> list[str]:
    """Log records ("LEVEL:logger:message") and the last line of each traceback."""
    return [line for line in lines if _LOG_RECORD.match(line) or _EXCEPTION_LINE.match(line)]


def log_records(lines: list[str]) -> list[list[str]]:
    """The log cut into records: each starts at a "LEVEL:" line and holds what follows."""
    records: list[list[str]] = []
    for line in lines:
        if _LOG_RECORD.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    return records


def log_check(lines: list[str]) -> Check:
    failures, known = [], 0
    for record in log_records(lines):
        text = "\n".join(record)
        if not any(_LOG_FAILURES.search(line) for line in record):
            continue
        if all(part in text for part in SDK_NOTIFICATION_RACE):
            known += 1
        else:
            failures.append(record[0])
    shown = "; ".join(sorted({line[:120] for line in failures})[:5])
    sdk = (
        f"; {known} records of the SDK's notification-after-DELETE race (mcp 2.3.0, "
        "not ours: see SDK_NOTIFICATION_RACE)"
        if known
        else ""
    )
    return Check(
        "the server logged no error, traceback or failed stream",
        not failures,
        (f"{len(failures)} such records: {shown}" if failures else f"{len(lines)} lines, none")
        + sdk,
    )


def show_stats(label: str, s: dict[str, Any]) -> None:
    top = sorted((s.get("task_names") or {}).items(), key=lambda kv: -kv[1])[:6]
    print(
        f"  {label:<22} tasks {s['tasks']:4d}  sessions {s['http_sessions']:3d}  "
        f"transports {s.get('http_transports', -1):3d}  rss {s['rss_kb'] / 1024:7.1f} MB  "
        f"fds {s['open_fds']:3d}  gc objects {s['gc_objects']:7d}  "
        f"events stored {s.get('event_store_events', -1):5d}  sleeps running "
        f"{s.get('sleep_running', 0)}  tasks by name {dict(top)}"
    )


async def soak(args: argparse.Namespace, url: str) -> list[Check]:
    checks: list[Check] = []
    # Warm-up: imports, jsonschema compilation, one session of each era, one cancellation.
    for mode in ("auto", "legacy"):
        async with Client(url, mode=mode) as client:
            await client.call_tool("echo", {"text": "warm"})
            await client.call_tool("sleep", {"ms": 5})
            with anyio.move_on_after(0.1):
                await client.call_tool("sleep", {"ms": 2_000})
    await anyio.sleep(0.5)
    baseline = await stats(url)
    print("server state (after gc.collect() in the server):")
    show_stats("baseline", baseline)

    plan = plan_calls(args.calls, args.clients, args.cancel_fraction, args.seed)
    tally = Tally()
    drop_failures: list[str] = []
    drop_modes = [("legacy", "auto")[i % 2] for i in range(args.drop)]
    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for index, calls in enumerate(plan):
            mode = "legacy" if index % 2 else "auto"
            tg.start_soon(run_client, url, mode, calls, index, tally)
        for i, mode in enumerate(drop_modes):
            tg.start_soon(drop_client, url, mode, 0.5 + i * 0.5, drop_failures)
        while tally.clients_done < len(plan):
            await anyio.sleep(0.5)
        peak = await stats(url)
    elapsed = time.perf_counter() - start
    planned = Counter(c.kind for calls in plan for c in calls)
    answered = sum(tally.ok.values())
    print(
        f"\nload: {args.clients} clients, {args.calls} calls in {elapsed:.1f} s "
        f"({args.calls / elapsed:.0f} calls/s); planned {dict(planned)}; answered {dict(tally.ok)}; "
        f"cancelled {tally.cancelled}; failures {len(tally.failures)}; "
        f"dropped clients {args.drop} ({', '.join(drop_modes) or '-'})"
    )
    for kind_mode, values in sorted(tally.latencies.items()):
        ms = sorted(v * 1e3 for v in values)
        print(
            f"  {kind_mode:<14} n {len(ms):4d}  p50 {statistics.median(ms):7.1f} ms  "
            f"p99 {ms[min(len(ms) - 1, int(0.99 * len(ms)))]:7.1f} ms"
        )
    show_stats("right after the load", peak)
    for failure in (tally.failures + drop_failures)[:20]:
        print(f"  FAIL {failure}")

    not_cancelled = planned["echo"] + planned["sleep"]
    checks.append(
        Check(
            "every call not cancelled was answered correctly",
            not tally.failures and answered == not_cancelled,
            f"{answered}/{not_cancelled} answered correctly, {len(tally.failures)} failures",
        )
    )
    checks.append(
        Check(
            "every cancel happened while the call was running",
            tally.cancelled == planned["cancel"],
            f"{tally.cancelled}/{planned['cancel']} calls cancelled",
        )
    )
    checks.append(
        Check(
            "dropped clients got their call in", not drop_failures, "; ".join(drop_failures) or "ok"
        )
    )

    fresh: list[str] = []
    for mode in ("auto", "legacy"):
        async with Client(url, mode=mode) as client:
            result = await client.call_tool("echo", {"text": f"fresh {mode}"})
            if result.structured_content != {"text": f"fresh {mode}"}:
                fresh.append(f"{mode}: {result}")
    checks.append(
        Check("a fresh client is served (both eras)", not fresh, "; ".join(fresh) or "ok")
    )

    # Dropped 2025-era sessions stay until the SDK's idle timeout, with their tasks; their
    # running handlers are not cancelled by the disconnect (the stream is resumable).
    lingering = drop_modes.count("legacy")
    allowed_sessions = 0 if args.idle_timeout is not None else lingering
    deadline = time.monotonic() + args.grace
    first = time.monotonic()
    after = await stats(url)
    while True:
        settled = (
            after["http_sessions"] <= baseline["http_sessions"] + allowed_sessions
            and after["sleep_running"] == 0
            and after["tasks"] <= baseline["tasks"] + 3 * allowed_sessions
        )
        if settled or time.monotonic() > deadline:
            break
        await anyio.sleep(1.0)
        after = await stats(url)
    show_stats(f"after {time.monotonic() - first:.0f} s of grace", after)
    cpu = peak["cpu_s"] - baseline["cpu_s"]
    print(
        f"  server CPU during the load: {cpu:.1f} s over {elapsed:.1f} s wall "
        f"({100 * cpu / elapsed:.0f}% of one core); {cpu / args.calls * 1e3:.1f} ms CPU per call"
    )

    extra_sessions = after["http_sessions"] - baseline["http_sessions"]
    extra_tasks = after["tasks"] - baseline["tasks"]
    allowance = f" (+{allowed_sessions} dropped 2025 sessions allowed)" if allowed_sessions else ""
    checks.append(
        Check(
            "open sessions back to baseline" + allowance,
            extra_sessions <= allowed_sessions,
            f"baseline {baseline['http_sessions']}, now {after['http_sessions']} "
            f"(session_idle_timeout {after.get('session_idle_timeout')} s, {lingering} dropped "
            "2025-era clients)",
        )
    )
    checks.append(
        Check(
            "asyncio tasks back to baseline"
            + (" (+3 per lingering session)" if allowed_sessions else ""),
            extra_tasks <= 3 * allowed_sessions,
            f"baseline {baseline['tasks']}, now {after['tasks']} ({extra_tasks:+d}); "
            f"by name now {after.get('task_names')}",
        )
    )
    started = after["sleep_started"] - baseline["sleep_started"]
    finished = after["sleep_finished"] - baseline["sleep_finished"]
    cancelled = after["sleep_cancelled"] - baseline["sleep_cancelled"]
    dropped_modern = drop_modes.count("auto")
    # A shorter idle timeout reaps a dropped 2025 session (cancelling its handler) first.
    reaped = args.idle_timeout is not None and args.idle_timeout < DROP_SLEEP_MS / 1000
    run_through = 0 if reaped else lingering
    cancelled_by_server = dropped_modern + (lingering if reaped else 0)
    checks.append(
        Check(
            "every sleep handler accounted for",
            after["sleep_running"] == 0
            and started == planned["sleep"] + planned["cancel"] + args.drop
            and cancelled == tally.cancelled + cancelled_by_server
            and finished == planned["sleep"] + run_through,
            f"{started} started = {planned['sleep']} sleeps + {planned['cancel']} cancelled "
            f"+ {args.drop} dropped; {finished} finished (expected {planned['sleep']} + "
            f"{run_through} dropped 2025 calls that run to completion); {cancelled} cancelled "
            f"in the server (expected {tally.cancelled} by clients + {cancelled_by_server} "
            f"dropped: 2026 calls{', 2025 calls reaped by the idle timeout' if reaped else ''}); "
            f"{after['sleep_running']} still running",
        )
    )
    rss_delta_mb = (after["rss_kb"] - baseline["rss_kb"]) / 1024
    checks.append(
        Check(
            f"RSS within {args.rss_tolerance_mb:g} MB of baseline",
            rss_delta_mb <= args.rss_tolerance_mb,
            f"{baseline['rss_kb'] / 1024:.1f} MB -> {after['rss_kb'] / 1024:.1f} MB "
            f"({rss_delta_mb:+.1f} MB); gc objects {baseline['gc_objects']} -> "
            f"{after['gc_objects']}; events held by the event store "
            f"{baseline.get('event_store_events')} -> {after.get('event_store_events')}",
        )
    )
    checks.append(
        Check(
            "no file descriptors leaked",
            after["open_fds"] <= baseline["open_fds"],
            f"{baseline['open_fds']} -> {after['open_fds']}",
        )
    )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls in all (default 1000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--cancel-fraction", type=float, default=0.2, help="share cancelled")
    parser.add_argument("--drop", type=int, default=3, help="clients killed mid-call")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to settle after")
    parser.add_argument("--rss-tolerance-mb", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        help="the server's --session-idle-timeout (default 5; 0: the server's own default, "
        "and dropped 2025-era sessions may linger)",
    )
    parser.add_argument(
        "--ref", help="generate with mcpgen as of this git commit (default: the working tree)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mcpgen-soak-"))
    started = time.perf_counter()
    client_logs = CountingHandler()
    logging.getLogger().addHandler(client_logs)
    try:
        src = generate_package(work, args.ref)
        port = free_port()
        url = f"http://127.0.0.1:{port}/mcp"
        log = work / "server.log"
        idle = args.idle_timeout or None
        args.idle_timeout = idle
        with server_process(src, port, log, idle) as proc:
            print(f"server pid {proc.pid} at {url} (log {log})")
            checks = anyio.run(soak, args, url)
        server_log = log.read_text(errors="replace")
    except Exception:
        traceback.print_exc()
        print("the soak failed to run, see above")
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    lines = server_log.splitlines()
    if lines:
        print(f"\nserver stderr: {len(lines)} lines; log records and exceptions:")
        for what, count in Counter(line[:160] for line in notable_lines(lines)).most_common(10):
            print(f"  {count:5d} x {what}")
    checks.append(log_check(lines))
    if client_logs.counts:
        print(f"client-side SDK log records: {sum(client_logs.counts.values())}")
        for what, count in client_logs.counts.most_common(6):
            print(f"  {count:5d} x {what}")
    print("\nchecks:")
    for check in checks:
        print(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    gc.collect()
    failed = [c for c in checks if not c.ok]
    print(
        f"\n{len(checks) - len(failed)}/{len(checks)} checks passed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
