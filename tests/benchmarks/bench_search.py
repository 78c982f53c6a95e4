"""Benchmark: the search surface on GitHub's REST API (1,223 operations).

GitHub's description (npm `@octokit/openapi` `generated/api.github.com.json`, which
`npm ci --prefix tests/peers` installs) is imported and generated as a user does, and the
server is built in this process with `tool_surface = "search"`, then spoken to through the
SDK's own `Client`. It prints:

  hit rates  for each task set, how many tasks have an operation that does them first
             (top-1) and among the first 5 results (top-5) of `search_operations`; each
             miss with what came. Two sets of 30: tests/fixtures/search/github_tasks.toml
             (written before the ranking, then the ranking was tuned on it: in-sample) and
             github_tasks_heldout.toml (written after, never tuned on: held out).
  list size  the bytes of the `tools/list` result in search mode, and tokens estimated as
             bytes / 4 (the estimator: no tokenizer is installed; a BPE tokenizer gives
             ~3.5-4.5 bytes a token on JSON); against the one-tool-per-operation list.
  timings    building the server, the first `tools/list`, the first search (which makes
             the index) and a later one, in this process; and the start-up as a client
             sees it: a `python -m github` spawned over stdio, from spawn to `initialize`
             and the first `tools/list` answered (median of 3), each surface.

    python tests/benchmarks/bench_search.py [--document PATH] [--keep DIR]

A report, not a test (tests/openapi/test_search_github.py holds the floors).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client import Client
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent.parent
GITHUB = REPO / "tests/peers/node_modules/octokit-openapi/generated/api.github.com.json"
# Each set's label in the report -> its file; the held-out set must never be tuned on.
TASK_SETS = {
    "in-sample (tuned on)": REPO / "tests/fixtures/search/github_tasks.toml",
    "held-out": REPO / "tests/fixtures/search/github_tasks_heldout.toml",
}
TOP = 5

sys.path.insert(0, str(REPO / "tests"))
from http_support.imported import mcpgen  # noqa: E402


@contextmanager
def generated_github(document: Path, root: Path, surface: str) -> Iterator[ModuleType]:
    """GitHub's server package, imported and generated under `root`, its spec set to `surface`."""
    spec = root / "github.toml"
    if not spec.exists():
        mcpgen("import", "openapi", document, "-o", spec, "--name", "github")
    text = spec.read_text(encoding="utf-8")
    text = text.replace('\ntool_surface = "search"\n', "\n")
    if surface == "search":
        text = text.replace("\n[server]\n", '\n[server]\ntool_surface = "search"\n', 1)
    spec.write_text(text, encoding="utf-8")
    mcpgen("generate", spec, "-o", root / surface)
    sys.path.insert(0, str(root / surface / "src"))
    try:
        yield importlib.import_module("github")
    finally:
        sys.path.remove(str(root / surface / "src"))
        for module in [m for m in sys.modules if m.split(".")[0] == "github"]:
            del sys.modules[module]


def operation_names(spec: Path) -> dict[str, str]:
    """operationId -> tool name, from the imported spec."""
    tools = tomllib.loads(spec.read_text(encoding="utf-8"))["tools"]
    return {t["http"]["operation_id"]: t["name"] for t in tools if "http" in t}


def tasks(path: Path) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["task"]
    return listed


async def search(client: Client, query: str, limit: int = TOP) -> list[str]:
    result = await client.call_tool("search_operations", {"query": query, "limit": limit})
    assert not result.is_error, result
    text = result.content[0].text  # type: ignore[union-attr]
    return [entry["name"] for entry in json.loads(text)]


async def hit_rate(
    server: Any, names: dict[str, str], listed: list[dict[str, Any]]
) -> tuple[int, int, list[str]]:
    """How many tasks have a right operation first, and in the top 5; a line for each miss."""
    firsts, hits, misses = 0, 0, []
    async with Client(server) as client:
        for task in listed:
            found = await search(client, task["query"])
            wanted = {names[op] for op in task["expect"]}
            firsts += bool(found) and found[0] in wanted
            if wanted & set(found):
                hits += 1
            else:
                misses.append(f"  miss: {task['query']!r} wants {sorted(wanted)}; got {found}")
    return firsts, hits, misses


async def list_bytes(server: Any) -> tuple[int, float]:
    async with Client(server) as client:
        started = time.perf_counter()
        listed = await client.list_tools()
        elapsed = time.perf_counter() - started
    tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    return len(json.dumps({"tools": tools}, separators=(",", ":"))), elapsed


async def first_searches(server: Any) -> tuple[float, float]:
    async with Client(server) as client:
        started = time.perf_counter()
        await search(client, "list pull requests")
        first = time.perf_counter() - started
        started = time.perf_counter()
        await search(client, "delete a webhook")
        return first, time.perf_counter() - started


async def spawned_first_list(src: Path, surface: str) -> float:
    """Seconds from spawning the server over stdio to its first `tools/list` answered."""
    env = {**os.environ, "PYTHONPATH": str(src), "GITHUB_TOOL_SURFACE": surface}
    params = StdioServerParameters(command=sys.executable, args=["-m", "github"], env=env)
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await session.list_tools()
            return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", type=Path, default=GITHUB)
    parser.add_argument("--keep", type=Path, help="generate under DIR (reused) not a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = args.keep or Path(temp)
        root.mkdir(parents=True, exist_ok=True)
        for surface in ("tools", "search"):
            with generated_github(args.document, root, surface) as package:
                started = time.perf_counter()
                server = package.build_server()
                built = time.perf_counter() - started
                size, listed = anyio.run(list_bytes, server)
                print(
                    f"{surface:>6}: tools/list {size:,} bytes, ~{size // 4:,} tokens (bytes/4); "
                    f"built in {built * 1000:.0f} ms, first list {listed * 1000:.0f} ms"
                )
                spawned = statistics.median(
                    anyio.run(spawned_first_list, root / surface / "src", surface) for _ in range(3)
                )
                print(f"        spawned over stdio: first tools/list after {spawned * 1000:.0f} ms")
                if surface != "search":
                    continue
                first, later = anyio.run(first_searches, package.build_server())
                print(
                    f"        first search {first * 1000:.0f} ms (loads bm25s, makes the "
                    f"index), a later one {later * 1000:.1f} ms"
                )
                names = operation_names(root / "github.toml")
                for label, path in TASK_SETS.items():
                    listed = tasks(path)
                    firsts, hits, misses = anyio.run(
                        hit_rate, package.build_server(), names, listed
                    )
                    print(
                        f"{label:>20}: top-1 {firsts}/{len(listed)} "
                        f"({firsts / len(listed):.0%}), top-{TOP} {hits}/{len(listed)} "
                        f"({hits / len(listed):.0%})  [{path.name}]"
                    )
                    print("\n".join(misses))


if __name__ == "__main__":
    main()
