"""`subscriptions/listen` with the tasks extension's `notifications/tasks`: part of the
tasks extension (`_tasks`), vendored with it."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY, event_matches, event_to_notification
from pydantic import BaseModel

from ._state import caller

# Told of each change of a task: its owner and its record (`tasks/get`'s answer).
Listener = Callable[[str, dict[str, Any]], None]


class _Notification(BaseModel):
    """A notification the SDK has no type for (the session only dumps what it sends)."""

    method: str
    params: dict[str, Any] | None = None


class ListenWithTasks:
    """`subscriptions/listen` with the extension's `notifications/tasks` for `taskIds`.

    Everything else (list changes, resource updates) comes from the server's bus, as with
    the SDK's own listen handler.
    """

    def __init__(
        self,
        listen: Callable[[Listener], Callable[[], None]],
        bus: Any | None,
        max_buffered: int = 1024,
    ) -> None:
        self.listen = listen
        self.bus = bus
        self.max_buffered = max_buffered

    async def __call__(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: types.SubscriptionsListenRequestParams,
    ) -> types.SubscriptionsListenResult:
        subscription = ctx.request_id
        if subscription is None:
            raise MCPError(types.INVALID_REQUEST, "subscriptions/listen requires a request id")
        asked = params.notifications
        task_ids = (asked.model_extra or {}).get("taskIds")
        watched = frozenset(task_ids) if isinstance(task_ids, list) else None
        served = self.bus is not None
        honored = types.SubscriptionFilter(
            tools_list_changed=True if asked.tools_list_changed and served else None,
            prompts_list_changed=True if asked.prompts_list_changed and served else None,
            resources_list_changed=True if asked.resources_list_changed and served else None,
            resource_subscriptions=list(asked.resource_subscriptions)
            if asked.resource_subscriptions and served
            else None,
            **({"taskIds": sorted(watched)} if watched is not None else {}),
        )
        uris = frozenset(honored.resource_subscriptions or ())
        meta: dict[str, Any] = {SUBSCRIPTION_ID_META_KEY: subscription}
        send, receive = anyio.create_memory_object_stream[Any](self.max_buffered)

        def push(item: Any) -> None:
            try:
                send.send_nowait(item)
            except (anyio.WouldBlock, anyio.ClosedResourceError):
                send.close()  # a reader that fell behind loses its stream, and re-listens

        listener = caller()

        def on_task(owner: str, record: dict[str, Any]) -> None:
            if watched is not None and record.get("taskId") in watched and owner == listener:
                push(_Notification(method="notifications/tasks", params={**record, "_meta": meta}))

        def on_event(event: Any) -> None:
            if event_matches(honored, uris, event):
                push(event_to_notification(event, meta))

        stops = [self.listen(on_task)]
        if self.bus is not None:
            stops.append(self.bus.subscribe(on_event))
        try:
            await ctx.session.send_notification(
                types.SubscriptionsAcknowledgedNotification(
                    params=types.SubscriptionsAcknowledgedNotificationParams(
                        notifications=honored, _meta=meta
                    )
                ),
                related_request_id=subscription,
            )
            async for item in receive:
                await ctx.session.send_notification(item, related_request_id=subscription)
        finally:
            for stop in stops:
                stop()
            send.close()
            receive.close()
        return types.SubscriptionsListenResult(_meta=meta)
