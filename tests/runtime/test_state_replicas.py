"""Replicas of a generated server on one Redis, each a real process on loopback (the
kitchen-sink example, `--state-url`), addressed directly (the deploy's tests put nginx in
front): what one starts, another continues; a replica killed mid-task leaves the task
`failed` with the reason; limits hold for both; notices cross; a 2025-era session stays
where it was opened (another replica answers 404, so the client opens a new one)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.context import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from runtime_support import MODERN, TasksClient, start_task, task_request
from server_process import HttpServer, serve_http
from test_tasks import poll

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SRC = Path(__file__).resolve().parents[2] / "examples" / "kitchen-sink" / "src"
PACKAGE = "kitchen_sink"
KEY = "replicas-share-this-key-" + "0" * 16
# A replica's lease is 6 s (`_state_redis.LEASE_MS`): its tasks fail within that of its death.
LEASE = 6.0


@pytest.fixture
def replicas(redis_url: str, tmp_path: Path) -> Iterator[Callable[..., list[HttpServer]]]:
    """Starts replicas on the test's Redis: `replicas(2)`, or with another key, `key=`."""
    with ExitStack() as stack:

        def start(count: int, key: str = KEY) -> list[HttpServer]:
            env = {"PYTHONPATH": str(SRC), "KITCHEN_SINK_STATE_KEY": key, "PATH": "/usr/bin:/bin"}
            return [
                stack.enter_context(
                    serve_http(
                        PACKAGE, env, tmp_path / f"{key[:4]}-{n}.log", "--state-url", redis_url
                    )
                )
                for n in range(count)
            ]

        yield start


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends each request to the next replica in turn: a balancer with no stickiness."""

    def __init__(self, servers: list[HttpServer]) -> None:
        self.ports = [server.port for server in servers]
        self.sent: list[int] = []
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[len(self.sent) % len(self.ports)]
        self.sent.append(port)
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def confirm(context: ClientRequestContext, params: Any) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"confirm": True})


def balanced(servers: list[HttpServer], **options: Any) -> tuple[Client, RoundRobin]:
    balancer = RoundRobin(servers)
    http = httpx2.AsyncClient(transport=balancer, timeout=30)
    transport = streamable_http_client(servers[0].url, http_client=http)
    return Client(transport, mode=MODERN, **options), balancer


async def test_a_confirmation_answered_through_another_replica_needs_the_shared_key(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    client, balancer = balanced([a, b], elicitation_callback=confirm)
    async with client:
        done = await client.call_tool("delete_note", {"id": 1})
    # The call (asking) went to one replica, its retry with the answer to the other.
    assert not done.is_error, done
    assert done.content[0].text == "deleted note 1"  # type: ignore[union-attr]
    assert len(set(balancer.sent)) == 2

    (stranger,) = replicas(1, key="another-key-" + "1" * 24)
    client, balancer = balanced([b, stranger], elicitation_callback=confirm)
    async with client:
        with pytest.raises(MCPError, match="requestState"):
            await client.call_tool("delete_note", {"id": 2})


async def test_a_task_started_on_one_replica_is_polled_answered_and_cancelled_on_another(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    async with (
        Client(a.url, mode=MODERN, extensions=[TasksClient()]) as on_a,
        Client(b.url, mode=MODERN, extensions=[TasksClient()]) as on_b,
    ):
        created = await start_task(on_a, "export_archive", {"seconds": 0.2})
        asking = await poll(on_b, created.task_id, "input_required", timeout=10)
        ((key, request),) = asking["inputRequests"].items()
        answer = {"action": "accept", "content": {"with_tags": False}}
        await task_request(
            on_b.session, "tasks/update", created.task_id, inputResponses={key: answer}
        )
        done = await poll(on_b, created.task_id, "completed")

        second = await start_task(on_a, "export_archive", {"seconds": 30})
        await poll(on_b, second.task_id, "input_required")
        await task_request(on_b.session, "tasks/cancel", second.task_id)
        cancelled = await poll(on_a, second.task_id, "cancelled")
    assert request["params"]["message"] == "Export the notebook: which options?"
    assert done["result"]["structuredContent"] == {"notes": 3, "with_tags": False}
    assert cancelled["status"] == "cancelled"


async def test_a_replica_killed_mid_task_leaves_the_task_failed_with_the_reason(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    async with Client(a.url, mode=MODERN, extensions=[TasksClient()]) as on_a:
        created = await start_task(on_a, "export_archive", {"seconds": 30})
        await poll(on_a, created.task_id, "input_required")
    a.process.send_signal(signal.SIGKILL)
    a.process.wait()
    async with Client(b.url, mode=MODERN, extensions=[TasksClient()]) as on_b:
        failed = await poll(on_b, created.task_id, "failed", timeout=LEASE + 5)
    assert failed["error"]["message"] == (
        "The server process running the task stopped before it ended"
    )


async def test_a_rate_limit_holds_across_replicas(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    client, balancer = balanced([a, b])
    async with client:
        results = [await client.call_tool("ping_upstream", {}) for _ in range(6)]
    # Three calls a second, waiting at most 0.2 s: six calls at once on two replicas get
    # three answers in all, not three from each.
    assert sum(not result.is_error for result in results) == 3
    assert len(set(balancer.sent)) == 2


async def test_a_resource_update_on_one_replica_reaches_a_listener_on_another(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    async with (
        Client(b.url, mode=MODERN) as listener,
        Client(a.url, mode=MODERN) as writer,
        listener.listen(resource_subscriptions=["notes://latest"]) as events,
    ):
        await writer.call_tool("add_note", {"title": "from a"})
        with anyio.fail_after(10):
            event = await events.__anext__()
    assert getattr(event, "uri", None) == "notes://latest"


async def test_a_2025_session_is_answered_404_by_a_replica_that_does_not_have_it(
    replicas: Callable[..., list[HttpServer]],
) -> None:
    a, b = replicas(2)
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=10, headers=headers) as http:
        opened = await http.post(a.url, json=initialize)
        session = opened.headers["mcp-session-id"]
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        elsewhere = await http.post(
            b.url,
            json=ping,
            headers={"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"},
        )
    assert opened.status_code == 200
    assert elsewhere.status_code == 404
