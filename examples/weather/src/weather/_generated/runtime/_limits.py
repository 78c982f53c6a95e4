"""Concurrency and rate limits on tool calls."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import anyio

from ._errors import ToolBusy


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency and rate limits of one tool, or of every tool call of the server."""

    max_concurrency: int | None = None
    rate_limit: tuple[int, float] | None = None  # (calls, per seconds)
    when_busy: Literal["wait", "reject"] = "wait"
    max_wait: float = 30.0


class Limiter(ABC):
    """Admits calls under one `Limits`: a concurrency cap and a sliding-window rate."""

    def __init__(self, what: str, limits: Limits) -> None:
        self.what = what
        self.limits = limits

    @abstractmethod
    def admit(self) -> AbstractAsyncContextManager[None]:
        """Hold a place under the limits for the call run inside; ToolBusy when none is
        free in time (at once, or within `max_wait` when the limits say to wait)."""


class MemoryLimiter(Limiter):
    """The limits of one process: a semaphore and the times of the recent calls."""

    def __init__(self, what: str, limits: Limits) -> None:
        super().__init__(what, limits)
        self._slots = anyio.Semaphore(limits.max_concurrency) if limits.max_concurrency else None
        self._recent: deque[float] = deque()

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        limits = self.limits
        patience = limits.max_wait if limits.when_busy == "wait" else 0.0
        deadline = time.monotonic() + patience
        if limits.rate_limit is not None:
            calls, per = limits.rate_limit
            while True:
                now = time.monotonic()
                while self._recent and self._recent[0] <= now - per:
                    self._recent.popleft()
                if len(self._recent) < calls:
                    self._recent.append(now)
                    break
                free_at = self._recent[0] + per
                if free_at > deadline:
                    raise ToolBusy(self.what, free_at - now)
                await anyio.sleep(free_at - now)
        if self._slots is None:
            yield
            return
        acquired = False
        if patience == 0.0:
            try:
                self._slots.acquire_nowait()
                acquired = True
            except anyio.WouldBlock:
                pass
        else:
            # Only the wait is bounded: the call itself runs outside this scope.
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                await self._slots.acquire()
                acquired = True
        if not acquired:
            raise ToolBusy(self.what, 1.0)
        try:
            yield
        finally:
            self._slots.release()
