"""Shared by the `serial` and `parallel` tool handlers: counts how many calls overlap.

A call enters, records itself, and waits at a gate the test opens. Nothing here measures
time: the test looks at `active` once every task is blocked, and at `peak` afterwards.
"""

from __future__ import annotations

import anyio


class ConcurrencyProbe:
    """How many calls are inside the handler now, at most, and in which order they moved."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.events: list[str] = []
        self._entered: anyio.Event | None = None
        self._gate: anyio.Event | None = None

    def reset(self) -> None:
        """Start afresh; call it inside the test's event loop, before the first call."""
        self.active = 0
        self.peak = 0
        self.events = []
        self._entered = anyio.Event()
        self._gate = anyio.Event()

    async def wait_entered(self) -> None:
        """Return once some call has entered the handler."""
        assert self._entered is not None, "reset() the probe first"
        await self._entered.wait()

    def open_gate(self) -> None:
        """Let every waiting call (and every later one) leave."""
        assert self._gate is not None, "reset() the probe first"
        self._gate.set()

    async def visit(self, label: str) -> None:
        assert self._entered is not None and self._gate is not None, "reset() the probe first"
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.events.append(f"enter {label}")
        self._entered.set()
        try:
            await self._gate.wait()
        finally:
            self.active -= 1
            self.events.append(f"leave {label}")
