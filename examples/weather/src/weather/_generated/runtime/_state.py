"""Cross-request state, behind one interface: in this process (the default), or shared by
every replica of a server (`--state-url`: `_state_redis.RedisState`).

What outlives one request, where any replica may be asked for it, lives here: the tasks
other requests poll, answer and cancel, the notices every listener hears (resource
updates, list changes, task changes), the limits every call is admitted under, and the
key that seals `requestState`. `MemoryState` is what one process always had, at the same
cost; the rest of the runtime asks the state for each piece and never knows which it got.

A 2025-era session's event streams are not here: the SDK keeps the session itself (its
transport, its open streams) in the process that opened it, so only that process can
resume its streams, and every request of the session must reach it (sticky routing,
README "Deploying"). Its log stays beside it, in memory (`_http.serve_http`); in Redis it
cost 1.30-1.46x the CPU of a 2025-era call (bench_state.py) and could serve no one else.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import principal_components
from mcp.server.request_state import RequestStateSecurity

from ._limits import Limiter, Limits, MemoryLimiter

Receiver = Callable[[dict[str, Any]], Awaitable[None]]
"""What hears a notice published to every replica: the notice, as JSON-ready data."""


class SharedTasks(Protocol):
    """Where tasks live when replicas share them (`_state_redis.RedisTasks`): each task's
    record (its wire form and its owner), a lease its running replica renews, and the
    commands other replicas send the replica that runs it."""

    async def save(
        self,
        task_id: str,
        owner: str,
        record: dict[str, Any],
        ttl_ms: int,
        *,
        running: bool = True,
    ) -> bool:
        """Write the task's record unless it is already final; False when it was (the
        first final status stands: a cancel that races a finish keeps what came first).
        A replica that does not run the task (`running=False`) leaves its lease as it is:
        only the runner's renewals say it is alive."""
        ...

    async def load(self, task_id: str) -> tuple[str, dict[str, Any]] | None:
        """The task's (owner, record); a task whose replica's lease ran out is failed first."""
        ...

    async def send(self, task_id: str, command: dict[str, Any]) -> None:
        """Tell the replica running the task (cancel, input answers)."""
        ...

    def on_command(self, receiver: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        """Where this replica hears the commands for the tasks it runs."""
        ...

    def hold(self, task_id: str) -> None:
        """Renew the task's lease while this replica runs it."""
        ...

    def release(self, task_id: str) -> None:
        """Stop renewing it (the task is final, or gone)."""
        ...

    async def forget(self, task_id: str) -> None:
        """Delete the task everywhere (past its lifetime): no replica finds it any more."""
        ...


class State(ABC):
    """Every piece of cross-request state a server keeps."""

    security: RequestStateSecurity
    """How `requestState` is sealed: a key per process, or the replicas' shared ring."""

    @abstractmethod
    def limiter(self, what: str, limits: Limits) -> Limiter:
        """What admits calls under `limits` (named `what` in a busy answer)."""

    @abstractmethod
    async def publish(self, notice: dict[str, Any]) -> None:
        """Tell every replica (this one too) of `notice`; each hands it to its receivers."""

    @abstractmethod
    def receive(self, receiver: Receiver) -> None:
        """Hand every notice published, by any replica, to `receiver`."""

    @abstractmethod
    def tasks(self) -> SharedTasks | None:
        """Where tasks live beyond this process; None: only in it."""

    @abstractmethod
    def running(self) -> AbstractAsyncContextManager[None]:
        """The state's connections and listeners, for the server's lifetime."""


class MemoryState(State):
    """The state of one process, in memory: the embedded default."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self.security = (
            RequestStateSecurity(keys=list(keys)) if keys else RequestStateSecurity.ephemeral()
        )
        self._receivers: list[Receiver] = []

    def limiter(self, what: str, limits: Limits) -> Limiter:
        return MemoryLimiter(what, limits)

    async def publish(self, notice: dict[str, Any]) -> None:
        for receiver in list(self._receivers):
            await receiver(notice)

    def receive(self, receiver: Receiver) -> None:
        self._receivers.append(receiver)

    def tasks(self) -> SharedTasks | None:
        return None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        yield


def caller() -> str:
    """Who is calling: the authenticated principal (the SDK's identity, the one it binds
    `requestState` to), or "" without authorization.

    2026-07-28 has no session, so an unauthenticated caller has no identity a later request
    could prove again: what it started is bound to nothing but its 128-bit random id, which
    only that caller was told.
    """
    token = get_access_token()
    return "" if token is None else json.dumps(principal_components(token))


def sealing_keys(value: str) -> list[str]:
    """The ring of `<PKG>_STATE_KEY`: comma-separated, the first seals, every one unseals."""
    return [key.strip() for key in value.split(",") if key.strip()]


# How to make a key, said wherever one is missing or too short.
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'
