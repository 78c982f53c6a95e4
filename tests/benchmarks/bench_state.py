"""Benchmark: server CPU per tool call with shared state in Redis vs in memory, and the
throughput of 2 replicas on Redis vs 1.

Generates tests/benchmarks/runtime_bench.toml (as bench_http.py does), starts a real
`redis-server` on loopback, and runs side by side for the whole run, each a process of its
own: `memory` (`python -m runtime_bench --transport http`) and `redis` (the same with
`--state-url`), plus a second Redis replica for the throughput part. Each round drives
`--calls` `echo` calls into each side in turn (order rotated every round), from 1 client and
from 32, in each protocol era, and reads the server's CPU time from /proc before and after
(bench_http.py's method). On 2025-11-25 every call stores its stream's events (the Redis
event log: two pipelined writes a call); on 2026-07-28 a plain call touches no state.
A ratio is the median of the per-round ratios, with their spread. Target (issue 15):
redis / memory <= 1.3.

Throughput: 32 clients at once against one Redis replica, then 16 against each of two
(calls per second of wall time, per round). The machine has 2 cores, which the clients
and redis-server share with the replicas: it is reported, not a target.

    python tests/benchmarks/bench_state.py [--rounds 5] [--calls 400] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_http import ERAS, cpu_seconds, drive, serving  # noqa: E402 (after the path)
from bench_runtime import PACKAGE, free_port, generate_package  # noqa: E402
from services import redis_server  # noqa: E402

CLIENTS = (1, 32)
SIDES = ("memory", "redis")
KEY = "bench-state-key-" + "0" * 32


def measure(servers: dict[str, tuple[int, str]], rounds: int, calls: int) -> None:
    table = {(era, n): {side: [] for side in SIDES} for era in ERAS for n in CLIENTS}
    for round_ in range(rounds):
        order = SIDES[round_ % 2 :] + SIDES[: round_ % 2]
        for (era, clients), cell in table.items():
            for side in order:
                pid, url = servers[side]
                anyio.run(drive, url, era, clients, clients)  # warm-up, not counted
                before = cpu_seconds(pid)
                anyio.run(drive, url, era, clients, calls)
                cell[side].append((cpu_seconds(pid) - before) / calls * 1000)
        print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr, flush=True)
    print(f"\nserver CPU per echo call over streamable HTTP ({calls} calls per cell and round)")
    print(f"  {'era':<11} {'clients':>7} {'memory':>9} {'redis':>9} red/mem  spread")
    worst = 0.0
    for (era, clients), cell in table.items():
        ratios = [r / m for r, m in zip(cell["redis"], cell["memory"], strict=True)]
        median = statistics.median(ratios)
        worst = max(worst, median)
        print(
            f"  {era:<11} {clients:>7} {statistics.median(cell['memory']):>7.3f}ms"
            f" {statistics.median(cell['redis']):>7.3f}ms {median:>6.2f}x"
            f"  {min(ratios):.2f}-{max(ratios):.2f}"
        )
    print(f"  worst redis/memory median {worst:.2f}x (target <= 1.30x)")


async def _spread(urls: list[str], era: str, clients: int, calls: int) -> None:
    async with anyio.create_task_group() as group:
        for url in urls:
            group.start_soon(drive, url, era, clients // len(urls), calls // len(urls))


def throughput(one: str, two: list[str], rounds: int, calls: int) -> None:
    print(f"\nthroughput, 32 clients, {calls} calls a round (calls per second of wall time)")
    print(f"  {'era':<11} {'1 replica':>10} {'2 replicas':>11} ratio  spread")
    for era in ERAS:
        rates: dict[int, list[float]] = {1: [], 2: []}
        for round_ in range(rounds):
            for count in (1, 2) if round_ % 2 == 0 else (2, 1):
                urls = [one] if count == 1 else two
                anyio.run(_spread, urls, era, 32, 32)  # warm-up
                start = time.perf_counter()
                anyio.run(_spread, urls, era, 32, calls)
                rates[count].append(calls / (time.perf_counter() - start))
        ratios = [b / a for a, b in zip(rates[1], rates[2], strict=True)]
        print(
            f"  {era:<11} {statistics.median(rates[1]):>10.0f} {statistics.median(rates[2]):>11.0f}"
            f" {statistics.median(ratios):>5.2f}x  {min(ratios):.2f}-{max(ratios):.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400, help="calls per cell and round")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 64 calls")
    options = parser.parse_args(argv)
    rounds, calls = (2, 64) if options.quick else (options.rounds, options.calls)
    with tempfile.TemporaryDirectory(prefix="mcpgen-bench-state-") as tmp, redis_server() as url:
        work = Path(tmp)
        src = generate_package(work)
        env = {**os.environ, "PYTHONPATH": str(src), f"{PACKAGE.upper()}_STATE_KEY": KEY}
        ports = {name: free_port() for name in ("memory", "redis", "redis2")}

        def command(name: str) -> list[str]:
            shared = [] if name == "memory" else ["--state-url", url]
            return [sys.executable, "-m", PACKAGE, "--transport", "http", *shared]

        with (
            serving(
                [*command("memory"), "--port", str(ports["memory"])],
                ports["memory"],
                env,
                work / "m.log",
            ) as memory_pid,
            serving(
                [*command("redis"), "--port", str(ports["redis"])],
                ports["redis"],
                env,
                work / "r.log",
            ) as redis_pid,
            serving(
                [*command("redis2"), "--port", str(ports["redis2"])],
                ports["redis2"],
                env,
                work / "r2.log",
            ),
        ):
            urls = {name: f"http://127.0.0.1:{port}/mcp" for name, port in ports.items()}
            measure(
                {"memory": (memory_pid, urls["memory"]), "redis": (redis_pid, urls["redis"])},
                rounds,
                calls,
            )
            throughput(urls["redis"], [urls["redis"], urls["redis2"]], rounds, calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
