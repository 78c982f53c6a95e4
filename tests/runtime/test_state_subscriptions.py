"""Subscriptions on shared state: every test of test_subscriptions.py again with the
notices going through Redis (the contract both stores keep: resource updates to 2025-era
subscribers and 2026 listeners, list changes). Across replicas: test_state_shared.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_subscriptions
from state_support import every_server_on_redis

pytestmark = test_subscriptions.pytestmark

globals().update({n: f for n, f in vars(test_subscriptions).items() if n.startswith("test_")})


@pytest.fixture(autouse=True)
def on_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[None]:
    every_server_on_redis(monkeypatch, redis_url)
    yield
