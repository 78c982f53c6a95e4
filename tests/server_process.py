"""A generated server as a real subprocess on a loopback port, for tests of any project.

`serve_http` runs `python -m <package> --transport http` with the environment given (its
PYTHONPATH decides which package that is), waits until the port accepts connections, and
always stops the process afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class HttpServer:
    """`python -m <package> --transport http` running on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Return once the port accepts connections; fail if the process dies or is late."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"HTTP server exited with {self.process.returncode}:\n{self.stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"HTTP server not accepting after {timeout} s:\n{self.stderr()}")
                time.sleep(0.05)  # polling a readiness condition, bounded by the deadline

    def stop(self) -> None:
        """Terminate (then kill) the process if it still runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def serve_http(package: str, env: Mapping[str, str], log: Path) -> Iterator[HttpServer]:
    """Start the server, wait until it accepts connections, and always stop it."""
    port = free_port()
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                package,
                "--transport",
                "http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = HttpServer(process=process, port=port, log=log)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
