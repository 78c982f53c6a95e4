"""Limits on shared state: every test of test_limits.py again with the server's limits in
Redis (the contract both stores keep: caps, waits, windows, the server's own limits, a
cancelled wait), in both protocol eras. Across replicas: test_state_shared.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_limits
from state_support import every_server_on_redis

pytestmark = pytest.mark.anyio

globals().update({n: f for n, f in vars(test_limits).items() if n.startswith("test_")})


@pytest.fixture(autouse=True)
def on_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[None]:
    every_server_on_redis(monkeypatch, redis_url)
    yield
