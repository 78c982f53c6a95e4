"""Change notifications: resource updates to the clients subscribed (2025: resources/subscribe;
2026-07-28: subscriptions/listen) and list changes to every client."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.subscriptions import (
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    Subscription,
    ToolsListChanged,
)
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcpgen.vendored.runtime import Context, SdkServer
from mcpgen.vendored.runtime._tasks import Tasks
from pydantic import BaseModel
from runtime_support import (
    MODERN,
    Seen,
    build,
    eventually,
    resource,
    template,
    text_of,
    tool,
)

pytestmark = [
    pytest.mark.anyio,
    # resources/subscribe is how 2025-era clients subscribe; 2026-07-28 deprecates it.
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]


class NoteParams(BaseModel):
    id: int


async def read_note(ctx: Context[Any], params: NoteParams) -> str:
    return f"note {params.id}"


async def read_latest(ctx: Context[Any]) -> str:
    return "the latest"


async def touch(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    """Tell subscribers that each URI given changed, and the lists named."""
    for uri in args.get("uris", []):
        await ctx.server.resource_updated(uri)
    for kind in args.get("lists", []):
        await {
            "tools": ctx.server.tools_changed,
            "prompts": ctx.server.prompts_changed,
            "resources": ctx.server.resources_changed,
        }[kind]()
    return "touched"


def server(tasks: Tasks | None = None) -> SdkServer:
    return build(
        tool("touch", touch),
        resources=[
            resource("test://latest", handler=read_latest, subscribe=True),
            resource("test://about", text="fixed"),
        ],
        resource_templates=[template("notes://{id}", NoteParams, read_note, subscribe=True)],
        tasks=tasks,
    )


def updated(seen: Seen) -> list[str]:
    return [
        str(m.params.uri) for m in seen.messages if isinstance(m, types.ResourceUpdatedNotification)
    ]


def list_changes(seen: Seen) -> list[str]:
    kinds: dict[type[Any], str] = {
        types.ToolListChangedNotification: "tools",
        types.PromptListChangedNotification: "prompts",
        types.ResourceListChangedNotification: "resources",
    }
    return [kinds[type(m)] for m in seen.messages if type(m) in kinds]


# -- 2025: resources/subscribe ------------------------------------------------------------


async def test_a_2025_subscriber_hears_of_its_resources_until_it_unsubscribes() -> None:
    seen = Seen()
    async with Client(server(), mode="legacy", message_handler=seen.on_message) as client:
        assert client.server_capabilities.resources is not None
        assert client.server_capabilities.resources.subscribe is True
        await client.subscribe_resource("test://latest")
        await client.subscribe_resource("notes://3")
        await client.call_tool("touch", {"uris": ["test://latest", "notes://4", "notes://3"]})
        await eventually(lambda: len(updated(seen)) == 2, "two updates")
        await client.unsubscribe_resource("test://latest")
        await client.call_tool("touch", {"uris": ["test://latest", "notes://3"]})
        await eventually(lambda: len(updated(seen)) == 3, "the third update")
        await anyio.sleep(0.05)  # and nothing else comes
    assert updated(seen) == ["test://latest", "notes://3", "notes://3"]


async def test_only_the_connection_that_subscribed_hears() -> None:
    sdk = server()
    heard, deaf = Seen(), Seen()
    async with (
        Client(sdk, mode="legacy", message_handler=heard.on_message) as subscriber,
        Client(sdk, mode="legacy", message_handler=deaf.on_message) as other,
    ):
        await subscriber.subscribe_resource("test://latest")
        await other.call_tool("touch", {"uris": ["test://latest"]})
        await eventually(lambda: bool(updated(heard)), "the update")
        await anyio.sleep(0.05)
    assert updated(heard) == ["test://latest"]
    assert updated(deaf) == []


@pytest.mark.parametrize(
    ("uri", "code", "message"),
    [
        ("test://about", types.INVALID_PARAMS, "Resource test://about does not support subscriptions"),
        ("test://nothing", -32002, "Resource not found: test://nothing"),
        ("notes://../x", -32002, "Resource not found: notes://../x"),
    ],
)  # fmt: skip
async def test_subscribing_to_what_cannot_be_subscribed_is_refused(
    uri: str, code: int, message: str
) -> None:
    async with Client(server(), mode="legacy") as client:
        with pytest.raises(MCPError) as refused:
            await client.subscribe_resource(uri)
    assert (refused.value.code, refused.value.message) == (code, message)


async def test_a_server_without_subscribable_resources_offers_no_subscriptions() -> None:
    sdk = build(resources=[resource("test://a", text="")])
    async with Client(sdk, mode="legacy") as client:
        assert client.server_capabilities.resources is not None
        assert client.server_capabilities.resources.subscribe is False
        with pytest.raises(MCPError) as refused:
            await client.subscribe_resource("test://a")
    assert refused.value.code == types.METHOD_NOT_FOUND


async def test_2025_clients_hear_of_list_changes() -> None:
    sdk = server()
    first, second = Seen(), Seen()
    async with (
        Client(sdk, mode="legacy", message_handler=first.on_message) as one,
        Client(sdk, mode="legacy", message_handler=second.on_message) as two,
    ):
        await one.call_tool("touch", {})
        await two.call_tool("touch", {"lists": ["tools", "prompts", "resources"]})
        await eventually(lambda: len(list_changes(first)) == 3, "the list changes")
        await eventually(lambda: len(list_changes(second)) == 3, "the list changes")
    assert list_changes(first) == list_changes(second) == ["tools", "prompts", "resources"]


async def test_a_2025_client_that_only_listed_hears_of_list_changes() -> None:
    sdk = server()
    lister = Seen()
    async with (
        Client(sdk, mode="legacy", message_handler=lister.on_message) as listed,
        Client(sdk, mode="legacy") as changer,
    ):
        await listed.list_tools()
        await changer.call_tool("touch", {"lists": ["tools", "resources"]})
        await eventually(lambda: len(list_changes(lister)) == 2, "the list changes")
    assert list_changes(lister) == ["tools", "resources"]


async def test_2025_clients_are_told_the_lists_may_change() -> None:
    """A server may call `tools_changed()` and the like at any time, so it says it may;
    2025-era clients refetch a list only if the server said so."""
    async with Client(server(), mode="legacy") as client:
        capabilities = client.server_capabilities
    assert capabilities.tools is not None and capabilities.tools.list_changed is True
    assert capabilities.resources is not None and capabilities.resources.list_changed is True


# -- 2026-07-28: subscriptions/listen -----------------------------------------------------


@asynccontextmanager
async def listening(client: Client, **wanted: Any) -> AsyncIterator[Subscription]:
    async with client.listen(**wanted) as subscription:
        yield subscription


async def next_events(subscription: Subscription, count: int) -> list[ServerEvent]:
    events: list[ServerEvent] = []
    with anyio.fail_after(5):
        async for event in subscription:
            events.append(event)
            if len(events) == count:
                break
    return events


@pytest.mark.parametrize("tasks", [None, Tasks()], ids=["plain", "with-tasks"])
async def test_a_2026_listener_hears_of_the_resources_it_named(tasks: Tasks | None) -> None:
    async with (
        Client(server(tasks), mode=MODERN) as client,
        listening(client, resource_subscriptions=["test://latest", "notes://3"]) as events,
    ):
        assert events.honored.resource_subscriptions == ["test://latest", "notes://3"]
        touched = await client.call_tool(
            "touch", {"uris": ["notes://4", "notes://3", "test://other", "test://latest"]}
        )
        heard = await next_events(events, 2)
    assert text_of(touched) == "touched"
    assert heard == [ResourceUpdated(uri="notes://3"), ResourceUpdated(uri="test://latest")]


@pytest.mark.parametrize("tasks", [None, Tasks()], ids=["plain", "with-tasks"])
async def test_a_2026_listener_hears_of_the_list_changes_it_asked_for(tasks: Tasks | None) -> None:
    async with (
        Client(server(tasks), mode=MODERN) as client,
        listening(client, tools_list_changed=True, resources_list_changed=True) as events,
    ):
        assert events.honored.tools_list_changed and events.honored.resources_list_changed
        assert not events.honored.prompts_list_changed
        await client.call_tool("touch", {"lists": ["prompts", "tools"]})
        await client.call_tool("touch", {"lists": ["resources"]})
        heard = await next_events(events, 2)
    assert heard == [ToolsListChanged(), ResourcesListChanged()]
    assert PromptsListChanged() not in heard


async def test_2026_subscriptions_are_not_2025_requests() -> None:
    async with Client(server(), mode=MODERN) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            with pytest.raises(MCPError) as refused:
                await client.subscribe_resource("test://latest")
    assert refused.value.code == types.METHOD_NOT_FOUND
