"""A generated server as a real subprocess on a loopback port, for tests of any project.

`serve_http` runs `python -m <package> --transport http --port 0` with the environment given
(its PYTHONPATH decides which package that is) and any further options, waits until the
server prints the URL it serves on stderr (the port the system gave it included), and always
stops the process afterwards.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 10.0
# The line a server prints once it listens: "<name> MCP server running on <url> (...)".
RUNNING = re.compile(r"MCP server running on (http://\S+)")


@dataclass
class HttpServer:
    """`python -m <package> --transport http` running on a loopback port."""

    process: subprocess.Popen[bytes]
    log: Path
    announced: str = ""
    """The URL the server printed, as bound (`http://0.0.0.0:P/mcp` when bound to all)."""

    @property
    def port(self) -> int:
        port = urlsplit(self.announced).port
        assert port is not None, self.announced
        return port

    @property
    def url(self) -> str:
        """Where a client on this machine reaches it."""
        return f"http://127.0.0.1:{self.port}{urlsplit(self.announced).path}"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Return once the server announced its URL; fail if the process dies or is late."""
        deadline = time.monotonic() + timeout
        while True:
            found = RUNNING.search(self.stderr())
            if found:
                self.announced = found[1]
                return
            if self.process.poll() is not None:
                pytest.fail(f"HTTP server exited with {self.process.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                pytest.fail(f"HTTP server announced no URL after {timeout} s:\n{self.stderr()}")
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
def serve_http(
    package: str, env: Mapping[str, str], log: Path, *options: str
) -> Iterator[HttpServer]:
    """Start the server (on 127.0.0.1 unless `options` say `--host`), wait until it announces
    its URL, and always stop it."""
    host = [] if "--host" in options else ["--host", "127.0.0.1"]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", package, "--transport", "http", *host, "--port", "0", *options],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = HttpServer(process=process, log=log)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
