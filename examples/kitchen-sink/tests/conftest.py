"""Fixtures: the server in-process, over stdio, and over streamable HTTP on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import StdioServerParameters

from kitchen_sink import build_server
from kitchen_sink._generated import runtime

SRC = Path(__file__).resolve().parent.parent / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> runtime.SdkServer:
    """The server tests/test_mcp_surface.py talks to, run in a temporary folder."""
    monkeypatch.chdir(tmp_path)
    return build_server()


@pytest.fixture(params=["legacy", "2026-07-28"])
def mode(request: pytest.FixtureRequest) -> str:
    """The protocol era: the 2025-11-25 handshake ("legacy") or 2026-07-28."""
    era: str = request.param
    return era


@pytest.fixture
def stdio() -> StdioServerParameters:
    """`python -m kitchen_sink` as a subprocess speaking stdio."""
    return StdioServerParameters(command=sys.executable, args=["-m", "kitchen_sink"], env=ENV)


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m kitchen_sink --transport http` on a free loopback port, for the module."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("http") / "server.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kitchen_sink", "--transport", "http", "--port", str(port)],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.05)  # polling a readiness condition, bounded by the deadline
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
