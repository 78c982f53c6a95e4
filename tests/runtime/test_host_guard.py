"""The HTTP front door: which hosts and origins a server answers, judged once per kind of
request and kept (a bounded table), with the same verdict, answer and log every time."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcpgen.vendored.runtime._host_guard import HostGuard

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class App:
    def __init__(self) -> None:
        self.served = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.served += 1


async def answer(guard: HostGuard, host: bytes, origin: bytes | None = None) -> int | None:
    """The status the guard answered with itself, or None when it let the request through."""
    headers = [(b"host", host), (b"accept", b"*/*")]
    if origin is not None:
        headers.append((b"origin", origin))
    scope = {"type": "http", "headers": headers, "server": ("127.0.0.1", 8000)}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await guard(scope, None, send)
    return sent[0]["status"] if sent else None


async def test_each_verdict_is_the_same_the_second_time(caplog: pytest.LogCaptureFixture) -> None:
    app = App()
    guard = HostGuard(app, ["api.example.com"], ["https://app.example.com"])
    cases = [
        (b"127.0.0.1:8000", None, None),
        (b"localhost", b"http://localhost:6274", None),
        (b"api.example.com", None, None),
        (b"evil.example:8000", None, 421),
        (b"localhost:8000", b"https://evil.example", 403),
        (b"localhost:8000", b"https://app.example.com", None),
    ]
    with caplog.at_level(logging.WARNING, logger="mcpgen.runtime"):
        for _ in range(2):
            for host, origin, status in cases:
                assert await answer(guard, host, origin) == status, (host, origin)
    assert app.served == 2 * 4
    refusals = [r.getMessage() for r in caplog.records]
    assert len(refusals) == 4 and refusals[:2] == refusals[2:]


async def test_the_table_of_verdicts_stays_bounded() -> None:
    guard = HostGuard(App(), [], [])
    for n in range(HostGuard.VERDICTS_KEPT * 3):
        assert await answer(guard, f"name{n}.example".encode()) == 421
    assert len(guard._verdicts) <= HostGuard.VERDICTS_KEPT
    assert await answer(guard, b"127.0.0.1") is None
