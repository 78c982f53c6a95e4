"""The generated server over real transports: a stdio subprocess, and streamable HTTP on a
loopback socket, in both protocol eras; and the HTTP server's shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
import pytest
from functional_support import (
    HAMMER,
    ITEM_NOT_FOUND_999,
    REFERENCE,
    SHUTDOWN_TIMEOUT,
    HttpServer,
    Project,
    only_text,
)
from mcp import StdioServerParameters
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def check_core(client: Client, spec: dict[str, Any]) -> None:
    """What every transport must carry: lists, a structured call, errors, a resource."""
    tools = (await client.list_tools()).tools
    assert [tool.name for tool in tools] == [tool["name"] for tool in spec["tools"]]

    found = await client.call_tool("get_item", {"id": 1})
    assert not found.is_error
    assert found.structured_content == HAMMER

    missing = await client.call_tool("get_item", {"id": 999})
    assert missing.is_error
    # A tool with an output schema carries its error in _meta (strict clients check any
    # structuredContent against the schema, error or not).
    assert missing.structured_content is None
    assert missing.meta is not None
    assert missing.meta["dev.mcpgen/error"] == ITEM_NOT_FOUND_999

    invalid = await client.call_tool("get_item", {"id": 0})
    assert invalid.is_error
    assert "id" in only_text(invalid)

    crashed = await client.call_tool("explode", {})
    assert crashed.is_error
    assert "hunter2" not in only_text(crashed)
    assert REFERENCE.search(only_text(crashed))

    # An unknown tool: -32602 up to 2025-11-25, a tool error from 2026-07-28.
    if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
        unknown_tool = await client.call_tool("no_such_tool", {})
        assert unknown_tool.is_error
    else:
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("no_such_tool", {})
        assert unknown.value.code == types.INVALID_PARAMS

    # An unexpected exception outside tools is a JSON-RPC error: -32603, no internals.
    with pytest.raises(MCPError) as internal:
        await client.read_resource("behaviour://items/13")
    assert internal.value.code == types.INTERNAL_ERROR
    assert "s3cr3t" not in internal.value.message

    readme = await client.read_resource("behaviour://readme")
    [contents] = readme.contents
    assert isinstance(contents, types.TextResourceContents)
    assert contents.text == spec["resources"][0]["text"]


async def check_progress(client: Client) -> None:
    received: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        received.append(progress)

    result = await client.call_tool(
        "count", {"to": 4, "pause": 0.06}, progress_callback=on_progress
    )
    assert only_text(result) == "counted to 4"
    assert received == [1.0, 2.0, 3.0, 4.0]


def stdio_params(project: Project) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", project.package], env=project.env
    )


# -- stdio ----------------------------------------------------------------------------


async def test_stdio_core(project: Project, spec: dict[str, Any], mode: str) -> None:
    async with Client(stdio_params(project), mode=mode) as client:
        await check_core(client, spec)
        await check_progress(client)


async def test_stdio_handshake_identity(project: Project) -> None:
    async with Client(stdio_params(project), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        info = client.server_info
        assert info is not None
        assert (info.name, info.version) == ("behaviour", "1.2.3")


# -- streamable HTTP ------------------------------------------------------------------


async def test_http_core(shared_http_server: HttpServer, spec: dict[str, Any], mode: str) -> None:
    async with Client(shared_http_server.url, mode=mode) as client:
        await check_core(client, spec)
        await check_progress(client)


async def test_http_serves_several_clients_at_once(
    shared_http_server: HttpServer, spec: dict[str, Any]
) -> None:
    async with (
        Client(shared_http_server.url, mode="legacy") as legacy,
        Client(shared_http_server.url, mode="2026-07-28") as modern,
        anyio.create_task_group() as group,
    ):
        group.start_soon(check_core, legacy, spec)
        group.start_soon(check_core, modern, spec)


async def wait_for_exit(process: subprocess.Popen[bytes]) -> int:
    """The exit code, waited for in a worker thread so the event loop keeps running."""

    def wait() -> int:
        try:
            return process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server was still running {SHUTDOWN_TIMEOUT} s after the signal")

    return await anyio.to_thread.run_sync(wait)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("connected", [False, True], ids=["idle", "client-connected"])
async def test_http_server_exits_cleanly_on_signal(
    start_http_server: Callable[[], HttpServer], signum: signal.Signals, connected: bool
) -> None:
    server = start_http_server()
    if connected:
        # A 2025-era client keeps a session (and its SSE stream) open during the shutdown.
        async with Client(server.url, mode="legacy") as client:
            await client.list_tools()
            server.process.send_signal(signum)
            code = await wait_for_exit(server.process)
    else:
        server.process.send_signal(signum)
        code = await wait_for_exit(server.process)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: a SIGTERM ends the
    # process with -SIGTERM; a SIGINT becomes KeyboardInterrupt, which the runtime catches.
    assert code in (0, -signum), server.stderr()
    assert "Traceback" not in server.stderr()
