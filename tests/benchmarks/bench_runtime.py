"""Benchmark: the generated server's runtime against the MCP SDK it is built on.

Generates tests/benchmarks/runtime_bench.toml into a temporary folder, copies the handlers of
tests/benchmarks/runtime_handlers/ over the scaffolded stubs, imports the package from that
folder (nothing is installed) and measures, side by side in one run:

  a. per-call overhead: 2000+ sequential `echo` calls through the in-memory
     `mcp.client.Client(server)`, for the generated server, a hand-written low-level
     `mcp.server.Server` doing the same echo (outputSchema + structuredContent) and the SDK's
     high-level `MCPServer`; in both protocol eras (default mode: 2026-07-28 dispatched
     directly; `mode="legacy"`: the 2025 handshake over in-memory JSON-RPC streams).
     Target: generated / low-level <= 1.10x.
  a'. the same per-call ratio in instructions, counted under valgrind's callgrind (the
     counts at 50 and at 250 calls differenced, so start-up cancels out): repeatable on a
     noisy machine where wall-clock rounds are not. Opt-in (`--only instructions`; slow).
  b. cancellation latency across processes: the generated server in a process of its own,
     over stdio and over streamable HTTP, in both eras, its `sleep` handler sleeping or
     busy on the CPU (a checkpoint every 10 ms); a real client cancels the anyio scope
     around `client.call_tool` and the handler's `finally` time comes back through the
     `stats` tool (one monotonic clock for all processes). Latency = finally - cancel.
     Target: p99 <= 50 ms.
  b2. the same in one process (`--only cancel-in-process`): the client's write stream is
     tapped to timestamp the `notifications/cancelled` it sends. Client and server share an
     event loop there, so a busy handler's delay hides: for diagnosis, not the target.
  c. cold start: spawn `python -m runtime_bench` (stdio) vs a bare low-level SDK server
     script; time from spawn to the answer of the first `tools/list` (after the
     `initialize` handshake), and then the first `tools/call` (where the generated server
     imports its models and handlers). Bytecode caching on, as a user's Python runs.
     Target: generated / bare <= 1.15x to the first list.

    python tests/benchmarks/bench_runtime.py [--rounds 5] [--calls 2000] [--quick]

Rounds are interleaved (A, B, C, A, B, C, ... with the order rotated every round) so the
noise of a shared machine hits every side alike; a ratio is the median of the per-round
ratios (each round's sides measured next to each other), with their spread.
It is a report, not a test: the exit status is 0 unless the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import importlib
import json
import os
import pstats
import random
import re
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import anyio
import mcp_types as types
from mcp.client import Client
from mcp.client._memory import InMemoryTransport
from mcp.client.stdio import StdioServerParameters
from mcp.server import Server
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from pydantic import BaseModel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from measure import Paired, bytecode_cache_note, with_bytecode_cache  # noqa: E402

SPEC = HERE / "runtime_bench.toml"
HANDLERS = HERE / "runtime_handlers"
PACKAGE = "runtime_bench"

CALL_TARGET = 1.10
CANCEL_P99_TARGET_MS = 50.0
COLD_TARGET = 1.15
MODES = ("auto", "legacy")
MODE_LABEL = {"auto": "2026 (default)", "legacy": "2025 (legacy)"}


# -- the fixture package -----------------------------------------------------------------


def generate_package(work: Path, ref: str | None = None) -> Path:
    """Generate the spec into `work`, install the benchmark handlers; return its `src` dir.

    mcpgen runs from the working tree, or with `ref` from that commit's `generator/` and
    `templates/` (extracted with `git archive`; the working tree is not touched).
    """
    out = work / "runtime-bench"
    generator = REPO / "generator"
    if ref is not None:
        snapshot = work / "mcpgen-snapshot"
        snapshot.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "generator", "templates"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive, check=True)
        generator = snapshot / "generator"
    env = {**os.environ, "PYTHONPATH": str(generator)}
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(SPEC), "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mcpgen generate failed (exit {done.returncode}):\n{done.stderr}")
    tools = out / "src" / PACKAGE / "handlers" / "tools"
    for handler in sorted(HANDLERS.glob("*.py")):
        shutil.copyfile(handler, tools / handler.name)
    return out / "src"


def import_fixture(src: Path) -> tuple[Callable[[], Server[Any]], ModuleType]:
    """`build_server` of the generated package and its sleep handler module (the probe)."""
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    server_module = importlib.import_module(f"{PACKAGE}._generated.server")
    sleep_module = importlib.import_module(f"{PACKAGE}.handlers.tools.sleep")
    build: Callable[[], Server[Any]] = server_module.build_server
    return build, sleep_module


# -- the generated server in a process of its own ------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(
    src: Path, port: int, log: Path, idle_timeout: float | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m runtime_bench --transport http` on a loopback port, until the block ends."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", PACKAGE, "--transport", "http", "--port", str(port)]
    if idle_timeout is not None:
        command += ["--session-idle-timeout", str(idle_timeout)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not listen within 30 s")
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the baselines -----------------------------------------------------------------------

ECHO_INPUT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}
ECHO_OUTPUT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}


def build_lowlevel() -> Server[Any]:
    """A hand-written low-level server: the echo tool and nothing else, done directly."""
    tool = types.Tool(
        name="echo",
        description="Return the text unchanged.",
        input_schema=ECHO_INPUT,
        output_schema=ECHO_OUTPUT,
    )
    listing = types.ListToolsResult(tools=[tool])

    async def list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name != "echo":
            raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name}")
        text = (params.arguments or {}).get("text")
        if not isinstance(text, str):
            return types.CallToolResult(
                content=[types.TextContent(text="text: must be a string")], is_error=True
            )
        structured = {"text": text}
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(structured, ensure_ascii=False))],
            structured_content=structured,
        )

    return Server("lowlevel-echo", on_list_tools=list_tools, on_call_tool=call_tool)


class EchoOutput(BaseModel):
    text: str


def build_mcpserver() -> MCPServer:
    """The SDK's high-level server with the same echo tool (schemas from type hints)."""
    server = MCPServer("mcpserver-echo", log_level="WARNING")

    @server.tool(description="Return the text unchanged.")
    def echo(text: str) -> EchoOutput:
        return EchoOutput(text=text)

    return server


BARE_SERVER = textwrap.dedent(
    """\
    import json

    import anyio
    import mcp_types as types
    from mcp.server import Server
    from mcp.server.stdio import stdio_server

    TOOL = types.Tool(
        name="echo",
        input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
        output_schema={"type": "object", "properties": {"text": {"type": "string"}}},
    )


    async def list_tools(ctx, params):
        return types.ListToolsResult(tools=[TOOL])


    async def call_tool(ctx, params):
        structured = {"text": (params.arguments or {}).get("text", "")}
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(structured))],
            structured_content=structured,
        )


    server = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool)


    async def main():
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


    anyio.run(main)
    """
)


# -- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# -- a. per-call overhead ----------------------------------------------------------------


async def echo_round(server: Server[Any] | MCPServer, mode: str, calls: int) -> float:
    """Seconds per call for `calls` sequential echo calls (connection and warm-up untimed)."""
    async with Client(server, mode=mode) as client:
        for _ in range(50):
            result = await client.call_tool("echo", {"text": "warm"})
        assert result.structured_content == {"text": "warm"}, result
        gc.collect()
        start = time.perf_counter()
        for i in range(calls):
            result = await client.call_tool("echo", {"text": f"hello {i}"})
        elapsed = time.perf_counter() - start
        assert result.structured_content == {"text": f"hello {calls - 1}"}, result
    return elapsed / calls


@dataclass
class CallBench:
    sides: dict[str, Callable[[], Server[Any] | MCPServer]]
    calls: int
    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    async def run(self, rounds: int) -> None:
        names = list(self.sides)
        for mode in MODES:  # warm-up: imports, schema compilation, first-call caches
            for name in names:
                await echo_round(self.sides[name](), mode, 200)
        for round_ in range(rounds):
            shown = []
            for mode in MODES:
                order = names[round_ % len(names) :] + names[: round_ % len(names)]
                for name in order:
                    per_call = await echo_round(self.sides[name](), mode, self.calls)
                    self.samples.setdefault((name, mode), []).append(per_call)
                shown.append(
                    f"{mode}: "
                    + ", ".join(f"{n} {self.samples[n, mode][-1] * 1e6:.0f}" for n in names)
                )
            print(f"  round {round_ + 1}: µs/call  " + "; ".join(shown), flush=True)

    def report(self) -> None:
        print(f"\n  {'server':<11} {'era':<15} {'median µs/call':>15} {'min':>8} {'calls/s':>9}")
        for mode in MODES:
            for name in self.sides:
                values = self.samples[name, mode]
                med = statistics.median(values)
                print(
                    f"  {name:<11} {MODE_LABEL[mode]:<15} {med * 1e6:15.1f} "
                    f"{min(values) * 1e6:8.1f} {1 / med:9.0f}"
                )
        print()
        for mode in MODES:
            for name, target in (("generated", f"<= {CALL_TARGET:.2f}x"), ("MCPServer", "")):
                paired = Paired(name, "low-level")
                paired.values = {n: self.samples[n, mode] for n in (name, "low-level")}
                print("  " + paired.line(f"{name} / low-level, {MODE_LABEL[mode]}", target))


def profile_generated(build: Callable[[], Server[Any]], calls: int, top: int) -> None:
    """cProfile the generated server's echo path (both eras) and print the top functions."""

    async def body() -> None:
        for mode in MODES:
            await echo_round(build(), mode, calls)

    profiler = cProfile.Profile()
    profiler.enable()
    anyio.run(body)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime")
    print(f"\nprofile of the generated server, {calls} echo calls per era (top {top} by tottime):")
    runtime_rows: list[tuple[float, float, int, str]] = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if f"{PACKAGE}/_generated/runtime/" in filename:
            module = Path(filename).name
            runtime_rows.append((cumtime, tottime, ncalls, f"runtime/{module}:{line}({name})"))
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in rows)
    print(f"  {'tottime':>8} {'share':>6} {'ncalls':>8}  function")
    for (filename, line, name), (_cc, ncalls, tottime, _cumtime, _callers) in rows[:top]:
        short = "/".join(Path(filename).parts[-2:])
        print(f"  {tottime:8.3f} {100 * tottime / total:5.1f}% {ncalls:8d}  {short}:{line}({name})")
    print("  the runtime shim's own functions (cumtime includes what they call):")
    print(f"  {'cumtime':>8} {'tottime':>8} {'ncalls':>8}  function")
    for cumtime, tottime, ncalls, where in sorted(runtime_rows, reverse=True)[:12]:
        print(f"  {cumtime:8.3f} {tottime:8.3f} {ncalls:8d}  {where}")


# -- b. cancellation latency -------------------------------------------------------------


class TapWriteStream:
    """The client's write stream, timestamping every `notifications/cancelled` it sends."""

    def __init__(self, inner: Any, sent: list[float]) -> None:
        self._inner = inner
        self._sent = sent

    async def send(self, item: SessionMessage, /) -> None:
        message = item.message
        if isinstance(message, types.JSONRPCNotification) and (
            message.method == "notifications/cancelled"
        ):
            self._sent.append(time.perf_counter())
        await self._inner.send(item)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> TapWriteStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


class TappedTransport:
    """`InMemoryTransport` (JSON-RPC over memory streams) with the client's writes tapped."""

    def __init__(self, server: Server[Any], sent: list[float]) -> None:
        self._inner = InMemoryTransport(server)
        self._sent = sent

    async def __aenter__(self) -> tuple[Any, Any]:
        read_stream, write_stream = await self._inner.__aenter__()
        return read_stream, TapWriteStream(write_stream, self._sent)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc_val, exc_tb)


@dataclass
class CancelResult:
    label: str
    from_notification: list[float] = field(default_factory=list)  # seconds
    from_cancel: list[float] = field(default_factory=list)
    notifications: int = 0
    cancelled_in_handler: int = 0
    count: int = 0


def grown(items: list[float], size: int) -> Callable[[], bool]:
    """A predicate: `items` holds more than `size` entries."""
    return lambda: len(items) > size


async def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.001)
    if not predicate():  # pragma: no cover
        raise TimeoutError(what)


async def cancel_series(
    build: Callable[[], Server[Any]],
    probe: ModuleType,
    *,
    label: str,
    mode: str,
    tapped: bool,
    busy: bool,
    count: int,
) -> CancelResult:
    """Cancel `count` sleep calls mid-way; times from the cancel to the handler's finally."""
    sent: list[float] = []
    result = CancelResult(label)
    target: Any = TappedTransport(build(), sent) if tapped else build()
    rng = random.Random(count)
    cancelled_before = probe.COUNTS["cancelled"]
    async with Client(target, mode=mode) as client:
        await client.call_tool("sleep", {"ms": 1})  # warm: list_tools for the output schema
        for _ in range(count):
            started = len(probe.STARTED)
            finished = len(probe.FINISHED)
            notified = len(sent)
            scope = anyio.CancelScope()
            outcome: list[object] = []

            async def call(
                scope: anyio.CancelScope = scope, outcome: list[object] = outcome
            ) -> None:
                with scope:
                    outcome.append(
                        await client.call_tool("sleep", {"ms": 10_000, "step_ms": 10, "busy": busy})
                    )

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await _wait_for(grown(probe.STARTED, started), 10, "sleep start")
                # Land anywhere in a step, not always right after a checkpoint.
                await anyio.sleep(rng.uniform(0.0, 0.012))
                cancel_at = time.perf_counter()
                scope.cancel()
            await _wait_for(grown(probe.FINISHED, finished), 10, "sleep finally")
            done_at = probe.FINISHED[-1]
            assert not outcome, f"the call was answered despite the cancel: {outcome}"
            result.from_cancel.append(done_at - cancel_at)
            if tapped:
                await _wait_for(grown(sent, notified), 5, "notifications/cancelled")
                result.from_notification.append(done_at - sent[notified])
            result.count += 1
        # Still usable after all those cancellations.
        echoed = await client.call_tool("echo", {"text": "after"})
        assert echoed.structured_content == {"text": "after"}
    result.notifications = len(sent)
    result.cancelled_in_handler = probe.COUNTS["cancelled"] - cancelled_before
    return result


def report_cancels(results: Sequence[CancelResult]) -> None:
    print(
        f"\n  {'series':<40} {'n':>4} {'notif':>5} {'p50 ms':>7} {'p90':>7} {'p99':>7} "
        f"{'max':>7}   {'cancel()->finally p50/p99 ms':>28}"
    )
    worst = 0.0
    for r in results:
        cancel_ms = [x * 1e3 for x in r.from_cancel]
        tail = f"{percentile(cancel_ms, 50):8.2f} / {percentile(cancel_ms, 99):6.2f}"
        if r.from_notification:
            ms = [x * 1e3 for x in r.from_notification]
            worst = max(worst, percentile(ms, 99))
            head = (
                f"{percentile(ms, 50):7.2f} {percentile(ms, 90):7.2f} "
                f"{percentile(ms, 99):7.2f} {max(ms):7.2f}"
            )
        else:
            worst = max(worst, percentile(cancel_ms, 99))
            head = f"{'(no notification: structural cancel)':>31}"
        print(f"  {r.label:<40} {r.count:4d} {r.notifications:5d} {head}   {tail:>28}")
        assert r.cancelled_in_handler == r.count, (
            f"{r.label}: {r.cancelled_in_handler} handlers saw the cancellation, "
            f"{r.count} calls were cancelled"
        )
    verdict = "ok" if worst <= CANCEL_P99_TARGET_MS else "OVER"
    print(
        f"  worst p99: {worst:.2f} ms (target <= {CANCEL_P99_TARGET_MS:.0f} ms: {verdict}); "
        "'notif' = notifications/cancelled seen on the client's write stream"
    )


# -- b'. cancellation latency across processes -----------------------------------------


@dataclass
class CrossCancel:
    label: str
    latencies: list[float] = field(default_factory=list)
    cancelled_in_handler: int = 0


async def cancel_across(
    target: StdioServerParameters | str, *, label: str, mode: str, busy: bool, count: int
) -> CrossCancel:
    """Cancel `count` sleep calls of a server in another process, as a client does.

    The client cancels the scope around `call_tool` (the SDK sends the cancellation); the
    handler's `finally` time is read back through the stats tool. Both sides read
    `time.perf_counter()`, which on Linux is CLOCK_MONOTONIC: one clock for all processes.
    """
    result = CrossCancel(label)
    rng = random.Random(count)
    async with Client(target, mode=mode) as client:
        await client.call_tool("sleep", {"ms": 1})  # warm: the tool's models, its schemas
        for _ in range(count):
            before = await _stats(client)
            started = anyio.Event()

            async def on_progress(
                progress: float, total: float | None, message: str | None, started=started
            ) -> None:
                started.set()

            scope = anyio.CancelScope()

            async def call(scope: anyio.CancelScope = scope) -> None:
                with scope:
                    await client.call_tool(
                        "sleep",
                        {"ms": 10_000, "step_ms": 10, "busy": busy},
                        progress_callback=on_progress,
                    )

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                with anyio.fail_after(10):
                    await started.wait()
                # Land anywhere in a step, not always right after a checkpoint.
                await anyio.sleep(rng.uniform(0.0, 0.012))
                cancel_at = time.perf_counter()
                scope.cancel()
            with anyio.fail_after(15):
                while True:
                    after = await _stats(client)
                    if after["sleep_cancelled"] > before["sleep_cancelled"]:
                        break
                    await anyio.sleep(0.005)
            result.latencies.append(after["sleep_finished_at"] - cancel_at)
            result.cancelled_in_handler += 1
    return result


async def _stats(client: Client) -> dict[str, Any]:
    answer = await client.call_tool("stats", {})
    if answer.is_error or answer.structured_content is None:
        raise RuntimeError(f"stats failed: {answer.content}")
    return dict(answer.structured_content)


def run_cancels_across(src: Path, work: Path, count: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    stdio = StdioServerParameters(command=sys.executable, args=["-m", PACKAGE], env=env)
    port = free_port()
    rows: list[CrossCancel] = []
    with server_process(src, port, work / "cancel-server.log"):
        url = f"http://127.0.0.1:{port}/mcp"
        for transport, target in (("stdio", stdio), ("HTTP", url)):
            for mode in MODES:
                for busy in (False, True):
                    label = f"{transport}, {MODE_LABEL[mode]}, {'busy' if busy else 'sleep'}"
                    row = anyio.run(
                        functools.partial(
                            cancel_across, target, label=label, mode=mode, busy=busy, count=count
                        )
                    )
                    rows.append(row)
                    ms = [x * 1e3 for x in row.latencies]
                    print(
                        f"  {label}: p50 {percentile(ms, 50):.2f} ms, "
                        f"p99 {percentile(ms, 99):.2f} ms",
                        flush=True,
                    )
    worst = max(percentile([x * 1e3 for x in r.latencies], 99) for r in rows)
    print(f"\n  {'series':<34} {'n':>4} {'p50 ms':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    for r in rows:
        ms = [x * 1e3 for x in r.latencies]
        print(
            f"  {r.label:<34} {len(ms):4d} {percentile(ms, 50):7.2f} {percentile(ms, 90):7.2f} "
            f"{percentile(ms, 99):7.2f} {max(ms):7.2f}"
        )
    verdict = "ok" if worst <= CANCEL_P99_TARGET_MS else "OVER"
    print(f"  worst p99: {worst:.2f} ms (target <= {CANCEL_P99_TARGET_MS:.0f} ms: {verdict})")


# -- c. cold start -----------------------------------------------------------------------


def _line(message: dict[str, Any]) -> bytes:
    return (json.dumps(message) + "\n").encode()


INITIALIZE = _line(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    }
)
# What a client sends once initialized, before it can use the server: its first list.
FIRST_LIST = _line({"jsonrpc": "2.0", "method": "notifications/initialized"}) + _line(
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
)
FIRST_CALL = _line(
    {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "cold"}},
    }
)


@dataclass
class ColdStart:
    """Seconds from spawn to the answer of `initialize`, of the first `tools/list`, and
    from that list's answer to the answer of the first `tools/call` (the generated server
    imports its models and handler modules then)."""

    initialize: float
    first_list: float
    first_call: float


def cold_start(command: list[str], env: dict[str, str], timeout: float = 30.0) -> ColdStart:
    """Spawn the server and time its first answers over stdio (the 2025 handshake)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None

    def ask(message: bytes, request_id: int) -> float:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(message)
        proc.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise TimeoutError(f"no answer to request {request_id} in {timeout} s: {command}")
        line = proc.stdout.readline()
        answered = time.perf_counter()
        answer = json.loads(line)
        if answer.get("id") != request_id or "result" not in answer:
            raise RuntimeError(f"unexpected answer to request {request_id}: {line!r}")
        if answer["result"].get("isError"):
            raise RuntimeError(f"the first call failed: {line!r}")
        return answered

    try:
        initialized = ask(INITIALIZE, 1)
        listed = ask(FIRST_LIST, 2)
        called = ask(FIRST_CALL, 3)
        return ColdStart(initialized - start, listed - start, called - listed)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()


def import_times(command: list[str], env: dict[str, str]) -> dict[str, int]:
    """Every module the command imports and its own import time (µs), from `-X importtime`."""
    proc = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        input=INITIALIZE + FIRST_LIST + FIRST_CALL,
        capture_output=True,
        env=env,
        timeout=60,
    )
    own: dict[str, int] = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        if self_us.isdigit():
            own[name] = own.get(name, 0) + int(self_us)
    return own


def run_cold(src: Path, work: Path, rounds: int) -> None:
    bare = work / "bare_server.py"
    bare.write_text(BARE_SERVER, encoding="utf-8")
    env = with_bytecode_cache({**os.environ, "PYTHONPATH": str(src)})
    print(f"  {bytecode_cache_note(env)}")
    sides = {"generated": [sys.executable, "-m", PACKAGE], "bare": [sys.executable, str(bare)]}
    for command in sides.values():  # warm the page cache and write the .pyc files
        cold_start(command, env)
    interpreter: list[float] = []
    first_list = Paired("generated", "bare")
    first_call = Paired("generated", "bare")
    initialize = Paired("generated", "bare")
    for round_ in range(rounds):
        order = ["generated", "bare"] if round_ % 2 == 0 else ["bare", "generated"]
        for name in order:
            measured = cold_start(sides[name], env)
            first_list.add(name, measured.first_list)
            first_call.add(name, measured.first_call)
            initialize.add(name, measured.initialize)
        interpreter_start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        interpreter.append(time.perf_counter() - interpreter_start)
    print(f"\n  {'side':<10} {'initialize s':>13} {'first list s':>13} {'first call ms':>14}")
    for name in sides:
        print(
            f"  {name:<10} {statistics.median(initialize.values[name]):13.3f} "
            f"{statistics.median(first_list.values[name]):13.3f} "
            f"{statistics.median(first_call.values[name]) * 1e3:14.1f}   (medians)"
        )
    print(f"  python -c pass: {statistics.median(interpreter):.3f} s")
    print()
    print(
        "  " + first_list.line("generated / bare, spawn -> first tools/list", f"<= {COLD_TARGET}x")
    )
    print("  " + initialize.line("generated / bare, spawn -> initialize"))
    print("  " + first_call.line("generated / bare, first tools/call after the list"))
    generated_imports = import_times(sides["generated"], env)
    bare_imports = import_times(sides["bare"], env)
    only = sorted(
        ((us, name) for name, us in generated_imports.items() if name not in bare_imports),
        reverse=True,
    )
    print(
        f"  -X importtime (to the first call): generated imports {len(generated_imports)} "
        f"modules ({sum(generated_imports.values()) / 1e3:.0f} ms own time), bare "
        f"{len(bare_imports)} ({sum(bare_imports.values()) / 1e3:.0f} ms); {len(only)} only in "
        f"generated ({sum(us for us, _ in only) / 1e3:.0f} ms)"
    )
    if only:
        shown = ", ".join(f"{name} {us / 1e3:.1f}" for us, name in only[:10])
        print(f"  slowest of those (ms, own time): {shown}")


# -- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds for a. and c.")
    parser.add_argument("--calls", type=int, default=2000, help="sequential calls per round (a.)")
    parser.add_argument("--cancels", type=int, default=200, help="cancellations per series (b.)")
    parser.add_argument("--cold-rounds", type=int, default=15, help="spawns per side (c.)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few rounds and calls")
    parser.add_argument("--profile", action="store_true", help="cProfile the generated echo path")
    parser.add_argument(
        "--only",
        choices=["calls", "instructions", "cancel", "cancel-in-process", "cold"],
        action="append",
        help="run only these parts",
    )
    parser.add_argument(
        "--ref", help="generate with mcpgen as of this git commit (default: the working tree)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.calls, args.cancels, args.cold_rounds = 2, 300, 30, 4
    parts = set(args.only or ["calls", "cancel", "cold"])

    work = Path(tempfile.mkdtemp(prefix="mcpgen-bench-runtime-"))
    status = 0
    try:
        src = generate_package(work, args.ref)
        build, probe = import_fixture(src)
        from importlib.metadata import version

        print(
            f"mcpgen runtime benchmark: python {sys.version.split()[0]}, mcp {version('mcp')}, "
            f"anyio {version('anyio')}, {os.cpu_count()} CPUs; package generated in {src}"
        )
        if "calls" in parts:
            print(
                f"\na. per-call overhead: {args.rounds} interleaved rounds x {args.calls} "
                "sequential echo calls, in-memory Client"
            )
            bench = CallBench(
                {"generated": build, "low-level": build_lowlevel, "MCPServer": build_mcpserver},
                args.calls,
            )
            anyio.run(bench.run, args.rounds)
            bench.report()
            if args.profile:
                profile_generated(build, args.calls, 25)
        if "instructions" in parts:
            print(
                "\na'. per-call overhead in instructions (valgrind --tool=callgrind): the "
                "same echo calls, counted rather than timed, so the machine's noise drops out"
            )
            run_instructions(src)
        if "cancel" in parts:
            print(
                f"\nb. cancellation latency across processes: {args.cancels} cancelled sleep "
                "calls per series (checkpoint every 10 ms), a server process over stdio and "
                "over HTTP; handler finally - client's cancel"
            )
            run_cancels_across(src, work, args.cancels)
        if "cancel-in-process" in parts:
            print(
                f"\nb2. cancellation latency in one process: {args.cancels} cancelled sleep "
                "calls per series, handler finally - notifications/cancelled sent (client and "
                "server share an event loop, which hides a busy handler's delay: not the target)"
            )
            results = anyio.run(run_cancels, build, probe, args.cancels)
            report_cancels(results)
        if "cold" in parts:
            print(
                f"\nc. cold start: {args.cold_rounds} alternating spawns, stdio, spawn -> first "
                "tools/list answered, then the first tools/call"
            )
            run_cold(src, work, args.cold_rounds)
    except Exception:
        traceback.print_exc()
        print("the benchmark failed, see above")
        status = 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


# Runs `echo_round` for one server and era, as a child under callgrind.
_COUNTED_CALLS = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
import anyio
import bench_runtime as bench
build, _ = bench.import_fixture(Path({src!r}))
server = {{"generated": build, "low-level": bench.build_lowlevel}}[sys.argv[1]]()
anyio.run(bench.echo_round, server, sys.argv[2], int(sys.argv[3]))
"""


def run_instructions(src: Path, few: int = 50, many: int = 250) -> None:
    """Instructions per call: (count at `many` calls - count at `few`) / (many - few).

    Start-up, imports and the first call's warm-up are in both counts and cancel out.
    """
    if shutil.which("valgrind") is None:
        print("  valgrind is not installed: skipped")
        return
    script = src.parent / "counted_calls.py"
    script.write_text(_COUNTED_CALLS.format(here=str(HERE), src=str(src)), encoding="utf-8")
    per_call: dict[tuple[str, str], float] = {}
    for era in ("auto", "legacy"):
        for side in ("generated", "low-level"):
            counts = [_instructions(script, side, era, calls) for calls in (few, many)]
            per_call[side, era] = (counts[1] - counts[0]) / (many - few)
    for era, label in (("auto", "2026 (default)"), ("legacy", "2025 (legacy)")):
        generated, low = per_call["generated", era], per_call["low-level", era]
        verdict = "ok" if generated / low <= 1.10 else "OVER"
        print(
            f"  {label}: generated {generated / 1e3:,.0f}k, low-level {low / 1e3:,.0f}k "
            f"instructions per call -> {generated / low:.3f}x (target <= 1.10x: {verdict})"
        )


def _instructions(script: Path, side: str, era: str, calls: int) -> int:
    out = script.parent / f"callgrind.{side}.{era}.{calls}.out"
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(script),
            side,
            era,
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    collected = re.search(r"Collected : (\d+)", done.stderr)
    assert collected is not None, done.stderr
    return int(collected[1])


async def run_cancels(
    build: Callable[[], Server[Any]], probe: ModuleType, count: int
) -> list[CancelResult]:
    series: list[tuple[str, dict[str, Any]]] = [
        ("2025 legacy, JSON-RPC streams, sleep", {"mode": "legacy", "tapped": True, "busy": False}),
        ("2025 legacy, JSON-RPC streams, busy", {"mode": "legacy", "tapped": True, "busy": True}),
        ("2026 auto, JSON-RPC streams, sleep", {"mode": "auto", "tapped": True, "busy": False}),
        ("2026 auto, JSON-RPC streams, busy", {"mode": "auto", "tapped": True, "busy": True}),
        ("2026 direct in-process, sleep", {"mode": "auto", "tapped": False, "busy": False}),
        ("2026 direct in-process, busy", {"mode": "auto", "tapped": False, "busy": True}),
    ]
    results = []
    for label, options in series:
        result = await cancel_series(build, probe, label=label, count=count, **options)
        results.append(result)
        ms = [x * 1e3 for x in (result.from_notification or result.from_cancel)]
        print(
            f"  {label}: p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms",
            flush=True,
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
