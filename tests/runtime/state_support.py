"""Helpers of the shared-state tests: replicas in one process, each a server on its own
`RedisState` over one real `redis-server` (the `redis_url` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcpgen.vendored.runtime import _server
from mcpgen.vendored.runtime._serving import Serving
from mcpgen.vendored.runtime._state import MemoryState, State
from mcpgen.vendored.runtime._state_redis import RedisState

# 32 bytes and more, as the SDK's sealing requires.
KEY = "k" * 40
STATES = ("memory", "redis")


def replica(redis_url: str, **options: Any) -> RedisState:
    """One replica's state: its own connections, the store every replica shares."""
    return RedisState(redis_url, [KEY], "test", **options)


def state_of(kind: str, redis_url: str) -> State:
    return MemoryState() if kind == "memory" else replica(redis_url)


def every_server_on_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    """Each server built from now on is a replica on `redis_url` (what `--state-url` does),
    a state of its own for each."""
    make: Callable[[], Serving] = lambda: Serving(state=replica(redis_url))  # noqa: E731
    monkeypatch.setattr(_server, "chosen", make)


def signed_in(server: Any, subject: str) -> Any:
    """`server`, whose every request comes from `subject`, as the SDK's auth middleware says
    once it has checked a token (the outermost middleware, as authorization is)."""
    token = AccessToken(token=f"t-{subject}", client_id="client", scopes=[], subject=subject)

    async def authenticated(ctx: Any, call_next: Any) -> Any:
        reset = auth_context_var.set(AuthenticatedUser(token))
        try:
            return await call_next(ctx)
        finally:
            auth_context_var.reset(reset)

    server.middleware.insert(0, authenticated)
    return server
