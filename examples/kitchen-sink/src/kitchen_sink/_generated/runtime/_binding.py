"""Binding tools on their first calls, and making ahead what every call needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup

from ._definitions import Binding, BindTool, Tool, ToolBinder
from ._types import logger


class Bindings:
    """How a server's tools come to run: each bound on its own first call, one binding at
    a time, and what they all need (`prepare`: an HTTP API's client) made once the tools are
    listed.

    Binding imports what the tool needs (its handler's module, its models: seconds, for a
    large API's models), so it runs in a worker thread: the event loop goes on answering
    other requests meanwhile. One binding at a time: the first calls of a tool, arriving
    together, bind it once, and what tools share is made once.
    """

    def __init__(
        self,
        tools: dict[str, Tool],
        bind_tool: BindTool | None,
        prepare: Callable[[ToolBinder], object] | None = None,
        *,
        bound: Callable[[Tool, Binding[Any]], None] = lambda tool, binding: None,
    ) -> None:
        self.binder = ToolBinder(tools)
        self._bind_tool = bind_tool
        self._bound = bound  # told of each binding before any call runs with it
        self._prepare = prepare
        self._lock: anyio.Lock | None = None  # made in the loop that first binds
        # The running server's task group (its lifespan's), where `prepare` runs; None when
        # the server is not running (a handler called directly, in a test).
        self.background: TaskGroup | None = None

    def listed(self) -> None:
        """The tools were listed: a client that lists is about to call, so make what every
        call needs now, while the client reads the list (once per server)."""
        if self._prepare is not None and self.background is not None:
            prepare, self._prepare = self._prepare, None
            self.background.start_soon(self._made_ahead, prepare)

    async def bind(self, tool: Tool) -> Binding[Any]:
        """How `tool` runs: bound on its first call, then kept on the tool."""
        async with self._binding():
            if tool.binding is None:
                if self._bind_tool is None:
                    raise RuntimeError("the server has tools but no bind_tool")
                binding = await anyio.to_thread.run_sync(self._bind_tool, self.binder, tool.name)
                self._bound(tool, binding)
                tool.binding = binding
            return tool.binding

    async def _made_ahead(self, make: Callable[[ToolBinder], object]) -> None:
        """Make `make`'s shared value as a binding would, before the first call asks for it.

        Reading a big API's list takes a client longer (GitHub's 1.8 MB: ~0.7 s over stdio)
        than making its HTTP client does (~55 ms: importing httpx2's transport and the
        client's modules, loading the trusted CAs), which a first call would otherwise wait
        for: Stripe's first call 0.103 s -> 0.039 s over stdio (medians of 10 alternating
        rounds of bench_openapi.py's `first_list`).
        Under the binding lock: a call that comes first waits for it and makes nothing
        twice. If making it fails, the first call that needs it makes it again, and fails in
        its caller's sight.
        """
        async with self._binding():
            try:
                await anyio.to_thread.run_sync(self.binder.shared, make)
            except Exception:
                logger.debug("making %r ahead of the first call failed", make, exc_info=True)

    def _binding(self) -> anyio.Lock:
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock
