"""Real servers from Debian's packages, started on loopback for the tests that need them.

`redis-server` (shared state across replicas) and `nginx` (a round-robin load balancer in
front of them) are installed by `tests/install-services.sh`, which the README's test
command runs. A test that needs one and does not find it fails, naming the script: a
skip would let a machine without them pass CI having tested nothing of the kind.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# redis-server answers PING within ~10 ms of starting here; this bounds a loaded machine.
_START_TIME = 10.0


def free_port() -> int:
    """A TCP port on loopback nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def program(name: str) -> str:
    """The path of Debian program `name`, or a test failure saying how to install it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(f"{name} is missing: run `bash tests/install-services.sh` first")
    return found


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh `redis-server` on a free loopback port, in memory only; its `redis://` URL.

    Nothing is saved to disk (`--save ""`, no append-only file), so stopping it loses all:
    each use starts from an empty server.
    """
    binary = program("redis-server")
    with tempfile.TemporaryDirectory(prefix="mcpgen-redis-") as folder:
        port = free_port()
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + _START_TIME
            while not _answers_ping(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"redis-server did not start on port {port}: {error}")
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


def flush(url: str) -> None:
    """Empty the Redis server at `url` (every database), so a test starts from nothing."""
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        reply = conn.recv(64)
    if not reply.startswith(b"+OK"):
        raise RuntimeError(f"FLUSHALL answered {reply!r}")


def nginx_program() -> Path:
    """nginx's path (a test failure if missing)."""
    return Path(program("nginx"))
