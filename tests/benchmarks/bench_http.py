"""Benchmark: server CPU per tool call over streamable HTTP, generated server vs bare SDK.

Generates tests/benchmarks/runtime_bench.toml (as bench_runtime.py does) and runs, each in a
process of its own on loopback, side by side for the whole run:

  generated  `python -m runtime_bench --transport http` (the runtime: host guard, event
             store, argument and output checks, limits, the error boundary, ...);
  bare       a hand-written low-level `mcp.server.Server` with the same `echo` tool
             (input and output schema, structuredContent), served by the SDK's own
             `streamable_http_app()` on uvicorn: the least a server on the SDK can do;
  resumable  the same bare server with an event store (a dict) and a retry interval, as
             the generated server serves 2025-11-25 clients: the SDK then sends a priming
             event before each answer and stores every message, so a client that loses
             its stream can resume it. It tells the runtime's own cost (generated /
             resumable) from the cost of resumability in the SDK (resumable / bare).

Each round drives `--calls` cheap `echo` calls into each server in turn (the order rotated
every round), from 1 client and from 32 at once (SDK `Client`s over streamable HTTP, in this
process), in each protocol era, and reads the server process's CPU time (user + system,
from /proc) before and after: CPU per call is what the server spent, whatever the client
and the machine's other load did to wall time. A ratio is the median of the per-round
ratios (each round's two sides measured next to each other), with their spread.
Target (issue 14): generated / bare <= 1.10 at 1 and at 32 clients.

    python tests/benchmarks/bench_http.py [--rounds 5] [--calls 400] [--quick] [--profile]

`--instructions` counts instead of timing: each server runs under valgrind's callgrind, and
its instructions are read (callgrind_control) before and after each cell's calls, so the
machine's load drops out (one round; slow: valgrind runs Python ~50x slower, so a
smaller `--calls` such as 100 may do).
`--profile` runs the generated server under cProfile for one 32-client round instead and
prints where its CPU goes. It is a report, not a test: the exit status is 0 unless the
benchmark itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import anyio
from mcp.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runtime import PACKAGE, free_port, generate_package

ERAS = ("legacy", "2026-07-28")
CLIENTS = (1, 32)
TICKS = os.sysconf("SC_CLK_TCK")

BARE_HTTP_SERVER = textwrap.dedent(
    """\
    import json
    import sys

    import mcp_types as types
    import uvicorn
    from mcp.server import Server
    from mcp.server.streamable_http import EventMessage, EventStore
    from mcp.shared.exceptions import MCPError

    SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    TOOL = types.Tool(
        name="echo",
        description="Return the text unchanged.",
        input_schema=SCHEMA,
        output_schema=SCHEMA,
    )
    LISTING = types.ListToolsResult(tools=[TOOL])


    async def list_tools(ctx, params):
        return LISTING


    async def call_tool(ctx, params):
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


    class DictEventStore(EventStore):
        # The least event store: the last 10,000 events in a dict, replayed by a scan.

        def __init__(self):
            self.events = {}
            self.count = 0

        async def store_event(self, stream_id, message):
            self.count += 1
            event_id = str(self.count)
            self.events[event_id] = (stream_id, message)
            if len(self.events) > 10_000:
                del self.events[next(iter(self.events))]
            return event_id

        async def replay_events_after(self, last_event_id, send_callback):
            stream = self.events[last_event_id][0]
            for event_id, (on, message) in list(self.events.items()):
                if int(event_id) > int(last_event_id) and on == stream and message:
                    await send_callback(EventMessage(message, event_id))
            return stream


    server = Server("bare-echo", on_list_tools=list_tools, on_call_tool=call_tool)
    options = {"event_store": DictEventStore(), "retry_interval": 100} if sys.argv[2:] else {}
    app = server.streamable_http_app(**options)
    uvicorn.run(app, port=int(sys.argv[1]), log_level="warning")
    """
)


def instructions(pid: int) -> int:
    """Instructions a process under callgrind has run so far, all its threads together."""
    shown = subprocess.run(
        ["callgrind_control", "-e", "Ir", str(pid)], capture_output=True, text=True, check=True
    ).stdout
    threads = [line for line in shown.split("Totals:", 1)[1].splitlines() if "Th " in line]
    return sum(int(line.split()[-1].replace(",", "")) for line in threads)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@contextlib.contextmanager
def serving(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    """Run a server until the block ends; its pid once it answers on `port`."""
    with log.open("wb") as output:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, env=env
        )
    try:
        deadline = time.monotonic() + 300
        while not _listening(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command} did not listen within 300 s")
            time.sleep(0.05)
        yield proc.pid
    finally:
        # SIGINT: both servers stop cleanly on it (and cProfile, under `--profile`, writes).
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


async def drive(url: str, era: str, clients: int, calls: int) -> None:
    """`calls` echo calls in all, from `clients` clients at once, each on its own connection."""

    async def one_client(count: int) -> None:
        async with Client(url, mode=era) as client:
            for n in range(count):
                result = await client.call_tool("echo", {"text": f"call {n}"})
                if result.is_error or result.structured_content != {"text": f"call {n}"}:
                    raise RuntimeError(f"unexpected answer from {url}: {result}")

    share, extra = divmod(calls, clients)
    async with anyio.create_task_group() as group:
        for index in range(clients):
            group.start_soon(one_client, share + (index < extra))


SIDES = ("generated", "bare", "resumable")
# The ratios reported: (numerator, denominator), the first is the target's.
RATIOS = (("generated", "bare"), ("generated", "resumable"), ("resumable", "bare"))


def measure(
    servers: dict[str, tuple[int, str]],
    rounds: int,
    calls: int,
    eras: Sequence[str],
    counted: bool = False,
) -> dict[tuple[str, int], dict[str, list[float]]]:
    """Per (era, clients): each side's CPU ms (or thousands of instructions) per call, one
    value per round."""
    spent: Callable[[int], float] = instructions if counted else cpu_seconds
    unit = 1 / 1000 if counted else 1000
    table: dict[tuple[str, int], dict[str, list[float]]] = {
        (era, clients): {side: [] for side in servers} for era in eras for clients in CLIENTS
    }
    sides = list(servers)
    for round_ in range(rounds):
        turn = round_ % len(sides)
        order = sides[turn:] + sides[:turn]
        for (era, clients), cell in table.items():
            for side in order:
                pid, url = servers[side]
                # A warm-up connection per cell keeps first-call costs (imports, bindings,
                # caches) out of the figures; it is not counted.
                anyio.run(drive, url, era, clients, clients)
                before = spent(pid)
                anyio.run(drive, url, era, clients, calls)
                cell[side].append((spent(pid) - before) / calls * unit)
        print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr, flush=True)
    return table


def report(
    table: dict[tuple[str, int], dict[str, list[float]]], calls: int, counted: bool = False
) -> None:
    what = "thousands of instructions" if counted else "server CPU"
    print(f"\n{what} per echo call over streamable HTTP ({calls} calls per cell and round)")
    suffix = "k" if counted else "ms"
    names = "".join(f" {side:>10}" for side in SIDES)
    ratios = "".join(f" {a[:3]}/{b[:3]:<4}" for a, b in RATIOS)
    print(f"  {'era':<11} {'clients':>7}{names}{ratios}  spread of the first")
    worst = 0.0
    for (era, clients), cell in table.items():
        medians = "".join(f" {statistics.median(cell[side]):>8.3f}{suffix}" for side in SIDES)
        shown = ""
        for index, (a, b) in enumerate(RATIOS):
            per_round = [x / y for x, y in zip(cell[a], cell[b], strict=True)]
            shown += f" {statistics.median(per_round):>7.2f}x"
            if index == 0:
                spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
                worst = max(worst, statistics.median(per_round))
        print(f"  {era:<11} {clients:>7}{medians}{shown}  {spread}")
    print(f"  worst generated/bare median {worst:.2f}x (target <= 1.10x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400, help="calls per cell and round")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 64 calls")
    parser.add_argument("--era", choices=ERAS, action="append", help="only this era (repeatable)")
    parser.add_argument("--instructions", action="store_true", help="count, under callgrind")
    parser.add_argument("--profile", action="store_true", help="cProfile the generated server")
    parser.add_argument("--profile-out", type=Path, help="with --profile: keep the profile here")
    options = parser.parse_args(argv)
    rounds, calls = (2, 64) if options.quick else (options.rounds, options.calls)
    if options.instructions:
        rounds = 1  # counts repeat: one round says it
    # Under callgrind (its output is not needed: the counts are read while it runs).
    wrap = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--quiet"]
    wrapped = wrap if options.instructions else []
    with tempfile.TemporaryDirectory(prefix="mcpgen-bench-http-") as tmp:
        work = Path(tmp)
        src = generate_package(work)
        bare = work / "bare_http.py"
        bare.write_text(BARE_HTTP_SERVER, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(src)}
        ports = {side: free_port() for side in SIDES}
        generated_command = [*wrapped, sys.executable, "-m", PACKAGE, "--transport", "http"]
        if options.profile:
            profile = work / "generated.prof"
            generated_command = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                str(profile),
                "-m",
                PACKAGE,
                "--transport",
                "http",
            ]
        with (
            serving(
                [*generated_command, "--port", str(ports["generated"])],
                ports["generated"],
                env,
                work / "generated.log",
            ) as generated_pid,
            serving(
                [*wrapped, sys.executable, str(bare), str(ports["bare"])],
                ports["bare"],
                env,
                work / "bare.log",
            ) as bare_pid,
            serving(
                [*wrapped, sys.executable, str(bare), str(ports["resumable"]), "resumable"],
                ports["resumable"],
                env,
                work / "resumable.log",
            ) as resumable_pid,
        ):
            pids = {"generated": generated_pid, "bare": bare_pid, "resumable": resumable_pid}
            servers = {side: (pids[side], f"http://127.0.0.1:{ports[side]}/mcp") for side in SIDES}
            if options.profile:
                for era in ERAS:
                    anyio.run(drive, servers["generated"][1], era, 32, calls)
            else:
                eras = options.era or ERAS
                table = measure(servers, rounds, calls, eras, options.instructions)
                report(table, calls, options.instructions)
        if options.profile:
            import pstats

            time.sleep(0.5)
            stats = pstats.Stats(str(profile))
            stats.sort_stats("tottime").print_stats(25)
            print("the runtime's own functions, by cumulative time:")
            stats.sort_stats("cumulative").print_stats(f"{PACKAGE}/_generated/", 30)
            if options.profile_out is not None:
                stats.dump_stats(options.profile_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
