"""The running server's identity, and its handle for code outside a request (the
lifespan, background work): resource-change and list-change notifications.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import weakref
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    ToolsListChanged,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ._sdk_internals import connection_of

if TYPE_CHECKING:  # the state's modules import the handlers' definitions, which import this
    from ._state import State


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Identity of the server as the spec declares it."""

    name: str
    version: str
    title: str | None = None
    description: str | None = None
    instructions: str | None = None
    website_url: str | None = None


class ServerHandle:
    """The running server, for code outside a single request (the lifespan, background work).

    `resource_updated(uri)` tells every client subscribed to `uri` that it changed: 2025-era
    clients that called `resources/subscribe`, and 2026-07-28 clients listening with
    `subscriptions/listen`. With shared state, the clients of every replica: the notice
    goes through the state, and each replica tells its own clients.
    """

    def __init__(self, info: ServerInfo, state: State) -> None:
        self.info = info
        self.state = state
        self.bus = InMemorySubscriptionBus()
        self._subscribers: dict[str, weakref.WeakSet[Any]] = {}
        # 2025-era connections seen so far, for list-change notifications.
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        state.receive(self._heard)

    async def resource_updated(self, uri: str) -> None:
        """Notify the subscribers of `uri` that its content changed."""
        await self.state.publish({"updated": uri})

    async def _heard(self, notice: dict[str, Any]) -> None:
        """A notice of any replica (this one's too): this replica tells its clients."""
        if "updated" in notice:
            await self._updated(str(notice["updated"]))
        elif notice.get("changed") in _LIST_CHANGES:
            await self._tell_list_changed(*_LIST_CHANGES[notice["changed"]])

    async def _updated(self, uri: str) -> None:
        for connection in list(self._subscribers.get(uri, ())):
            if not await _send_quietly(connection.send_resource_updated(uri)):
                self._subscribers[uri].discard(connection)
        await self.bus.publish(ResourceUpdated(uri=uri))

    async def tools_changed(self) -> None:
        """Tell every client that the tool list changed."""
        await self._list_changed("tools")

    async def prompts_changed(self) -> None:
        """Tell every client that the prompt list changed."""
        await self._list_changed("prompts")

    async def resources_changed(self) -> None:
        """Tell every client that the resource list changed."""
        await self._list_changed("resources")

    async def _list_changed(self, which: str) -> None:
        await self.state.publish({"changed": which})

    async def _tell_list_changed(self, method: str, event: ServerEvent) -> None:
        for connection in list(self._connections):
            if not await _send_quietly(getattr(connection, method)()):
                self._connections.discard(connection)
        await self.bus.publish(event)

    def seen(self, ctx: ServerRequestContext[Any, Any]) -> None:
        """Count a 2025-era client among those told of list changes (each request that
        lists or uses tools, resources or prompts says so)."""
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            self._connections.add(connection_of(ctx.session))

    def subscribe(self, uri: str, connection: Any) -> None:
        self._subscribers.setdefault(uri, weakref.WeakSet()).add(connection)

    def unsubscribe(self, uri: str, connection: Any) -> None:
        subscribers = self._subscribers.get(uri)
        if subscribers is not None:
            subscribers.discard(connection)
            if not subscribers:
                del self._subscribers[uri]


# Which list changed: how a 2025-era connection is told, and the 2026-07-28 listeners' event.
_LIST_CHANGES: dict[str, tuple[str, ServerEvent]] = {
    "tools": ("send_tool_list_changed", ToolsListChanged()),
    "prompts": ("send_prompt_list_changed", PromptsListChanged()),
    "resources": ("send_resource_list_changed", ResourcesListChanged()),
}


async def _send_quietly(sending: Awaitable[None]) -> bool:
    """Send a notification; False when the connection is gone."""
    try:
        await sending
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
        return False
    return True
