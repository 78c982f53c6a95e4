"""Long-running operations (`http_client._long_running`): an API that answers `202 Accepted`
and a status monitor, on loopback, called through the SDK's `Client` in process. A client
that speaks tasks gets a task it polls; every other client's call waits, with progress. The
monitor's origin decides the credentials; cancellation, `Retry-After`, `max_wait` and the
API's failure state, each seen on the wire."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from http_support.recorder import Recorder, Reply, Running, Seen, recorder
from mcp.client import Client
from mcpgen.spec import HttpLongRunning
from mcpgen.vendored.http_client import (
    Api,
    ApiKey,
    Bearer,
    Body,
    HttpClient,
    LongRunning,
    Operation,
)
from mcpgen.vendored.runtime._tasks import Tasks
from runtime_support import (
    ERAS,
    MODERN,
    TasksClient,
    build,
    error_of,
    eventually,
    start_task,
    task_request,
    text_of,
    tool,
)
from runtime_support import (
    Seen as ClientSaw,
)

pytestmark = pytest.mark.anyio

TOKEN = "lro-token-0123456789"
KEY = "lro-query-key-0123456789"
RESOURCE = {"id": "d-7", "name": "deployment seven", "provisioningState": "Succeeded"}
# Polls further apart than the context's progress throttle (0.05 s): every report is sent.
QUICK = LongRunning(
    result="location",
    progress="/percentComplete",
    poll_interval=0.06,
    min_poll_interval=0.06,
    max_wait=10,
)


@dataclass
class Api202:
    """An API whose POST /deployments is accepted, then polled at /operations/1: `running`
    polls say "Running" (with a percentage), then the monitor says `final`; the result
    is at /deployments/d-7. `hold` keeps it running until cleared."""

    running: int = 2
    final: dict[str, Any] = field(default_factory=lambda: {"status": "Succeeded"})
    monitor: str = "/operations/1"  # absolute for a monitor on another origin
    retry_after: str | None = None
    hold: threading.Event = field(default_factory=threading.Event)
    polls: int = 0

    def __call__(self, seen: Seen) -> Reply:
        retry = {"retry-after": self.retry_after} if self.retry_after is not None else {}
        if seen.method == "POST" and seen.path == "/deployments":
            headers = {"operation-location": self.monitor, "location": "/deployments/d-7"}
            return Reply(202, {"status": "Accepted"}, {**headers, **retry})
        if seen.path == "/operations/1":
            self.polls += 1
            if self.hold.is_set() or self.polls <= self.running:
                return Reply(200, {"status": "Running", "percentComplete": 20 * self.polls}, retry)
            return Reply(200, self.final)
        if seen.path == "/deployments/d-7":
            return Reply(200, RESOURCE)
        return Reply(404, {"error": "no such thing"})


@pytest.fixture(scope="module")
def loopback() -> Iterator[Running]:
    with recorder() as running:
        yield running


@pytest.fixture
def api(loopback: Running, monkeypatch: pytest.MonkeyPatch) -> Running:
    """The module's loopback API, answering as a fresh `Api202`."""
    monkeypatch.setenv("LRO_TOKEN", TOKEN)
    monkeypatch.setenv("LRO_KEY", KEY)
    monkeypatch.delenv("LRO_BASE_URL", raising=False)
    loopback.app.reset()
    loopback.app.respond = Api202()
    return loopback


def app_of(running: Running) -> Api202:
    respond = running.app.respond
    assert isinstance(respond, Api202)
    return respond


def deploy(
    running: Running,
    plan: LongRunning = QUICK,
    *,
    method: str = "POST",
    path: str = "/deployments",
    **api: Any,
) -> tuple[Any, HttpClient]:
    """The SDK server of one tool, `deploy`, calling POST /deployments (by default) of
    `running`."""
    settings: dict[str, Any] = {
        "auth": {"bearer": Bearer(env="LRO_TOKEN")},
        "security": (("bearer",),),
        **api,
    }
    client = HttpClient(Api(base_url=running.origin, base_url_env="LRO_BASE_URL", **settings))
    operation = Operation(tool="deploy", method=method, path=path, body=Body(), long_running=plan)
    handler = client.handler(operation)
    sdk = build(
        tool("deploy", handler, task_support="optional", task_starts="at_detach"), tasks=Tasks()
    )
    return sdk, client


def targets(running: Running) -> list[str]:
    return [f"{seen.method} {seen.target}" for seen in running.app.seen]


async def test_a_client_that_speaks_tasks_gets_a_task_then_the_final_resource(
    api: Running,
) -> None:
    app_of(api).hold.set()
    sdk, http = deploy(api)
    tasks = TasksClient()
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        created = await start_task(client, "deploy", {"name": "seven"})
        # The call answered with a task while the API was still running the operation.
        await eventually(lambda: app_of(api).polls >= 2, "two polls")
        running = await task_request(client.session, "tasks/get", created.task_id)
        assert running["status"] == "working"
        assert running["statusMessage"].startswith("Running (")
        app_of(api).hold.clear()
        result = await client.call_tool("deploy", {"name": "eight"})
    await http.aclose()
    assert '"deployment seven"' in text_of(result)
    assert tasks.statuses[-1] == "completed"
    # Every request went to the API's origin, each with its credential.
    assert {seen.headers.get("authorization") for seen in api.app.seen} == {f"Bearer {TOKEN}"}
    assert targets(api)[-1] == "GET /deployments/d-7"


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_without_tasks_waits_with_progress(api: Running, mode: str) -> None:
    sdk, http = deploy(api)
    saw = ClientSaw()
    async with Client(sdk, mode=mode) as client:
        result = await client.call_tool("deploy", {}, progress_callback=saw.on_progress)
    await http.aclose()
    assert not result.is_error, result
    assert '"deployment seven"' in text_of(result)
    assert targets(api) == [
        "POST /deployments",
        "GET /operations/1",
        "GET /operations/1",
        "GET /operations/1",
        "GET /deployments/d-7",
    ]
    # The API's percentages, then the fetch of the result.
    assert saw.progress == [
        (0, None, "accepted; waiting for the operation to end"),
        (20, 100, "Running"),
        (40, 100, "Running"),
        (100, 100, "done; fetching the result"),
    ]


async def test_a_monitor_on_another_origin_gets_no_credential(api: Running) -> None:
    with recorder(Recorder(respond=Api202(running=1))) as elsewhere:
        # The API's key in the query, echoed in the monitor's URL, goes no further either.
        app_of(api).monitor = f"{elsewhere.origin}/operations/1?key={KEY}&api-version=1"
        sdk, http = deploy(
            api,
            auth={"key": ApiKey(location="query", name="key", env="LRO_KEY")},
            security=(("key",),),
            forward_headers=("x-user-token",),
        )
        async with Client(sdk, mode=MODERN) as client:
            result = await client.call_tool("deploy", {})
        await http.aclose()
    assert not result.is_error, result
    assert targets(elsewhere) == ["GET /operations/1?api-version=1"] * 2
    assert all("authorization" not in seen.headers for seen in elsewhere.app.seen)
    # The result is back on the API's origin: its key goes there, once.
    assert targets(api) == [f"POST /deployments?key={KEY}", f"GET /deployments/d-7?key={KEY}"]


async def test_a_cancelled_task_stops_polling(api: Running) -> None:
    app_of(api).hold.set()
    sdk, http = deploy(api)
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        created = await start_task(client, "deploy", {})
        await eventually(lambda: app_of(api).polls >= 2, "two polls")
        await task_request(client.session, "tasks/cancel", created.task_id)
        stopped_at = len(api.app.seen)
        await anyio.sleep(0.15)  # two and a half poll intervals: none may come
        task = await task_request(client.session, "tasks/get", created.task_id)
    await http.aclose()
    assert task["status"] == "cancelled"
    assert len(api.app.seen) <= stopped_at + 1  # one poll may have been under way
    assert "DELETE" not in {seen.method for seen in api.app.seen}  # no cancel invented


@pytest.mark.parametrize(
    ("asked", "plan", "least"),
    [
        ("0", LongRunning(poll_interval=0.01, min_poll_interval=0.15), 0.15),  # floored
        # honoured: a second at least, which the quick lane does not wait
        pytest.param(
            "1",
            LongRunning(poll_interval=0.01, min_poll_interval=0.01),
            1.0,
            marks=pytest.mark.slow,
        ),
    ],
)
async def test_retry_after_is_honoured_above_a_floor(
    api: Running, asked: str, plan: LongRunning, least: float
) -> None:
    app_of(api).retry_after = asked
    app_of(api).running = 0 if least >= 1 else 1
    sdk, http = deploy(api, plan)
    async with Client(sdk, mode=MODERN) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    assert not result.is_error, result
    times = [seen.at for seen in api.app.seen]
    assert len(times) == (2 if least >= 1 else 3)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= least * 0.95, gaps
    # "status": the monitor's last answer is the result.
    assert '"Succeeded"' in text_of(result)


async def test_past_max_wait_the_call_fails_saying_so(api: Running) -> None:
    app_of(api).hold.set()
    plan = LongRunning(poll_interval=0.05, min_poll_interval=0.05, max_wait=0.3)
    sdk, http = deploy(api, plan)
    async with Client(sdk, mode=MODERN) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    error = error_of(result)
    assert error["type"] == "HttpOperationUnfinished"
    assert error["message"].startswith("POST /deployments was accepted but had not ended")
    assert "last state 'Running'" in error["message"]
    assert error.get("retryable") is not True  # a retry would start it again
    polls = app_of(api).polls
    assert 4 <= polls <= 7, polls


async def test_the_apis_failure_state_is_the_tools_error(api: Running) -> None:
    app_of(api).final = {"status": "Failed", "error": {"code": "QuotaExceeded"}}
    sdk, http = deploy(api)
    async with Client(sdk, mode="legacy") as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    error = error_of(result)
    assert error["type"] == "HttpOperationFailed"
    assert "its status monitor says 'Failed'" in error["message"]
    assert "QuotaExceeded" in error["message"]
    assert error["data"]["state"] == "Failed"
    assert targets(api)[-1] == "GET /operations/1"  # no result fetched after a failure


async def test_an_answer_that_names_no_monitor_is_the_result(api: Running) -> None:
    """A 201's Location is the created resource, not a monitor: the call ends there."""
    api.app.answer_next(Reply(201, RESOURCE, {"location": "/deployments/d-7"}))
    sdk, http = deploy(api)
    async with Client(sdk, mode=MODERN, extensions=[TasksClient()]) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    assert '"deployment seven"' in text_of(result)
    assert targets(api) == ["POST /deployments"]


@pytest.mark.parametrize(
    ("states", "polled", "outcome"),
    [
        (["Creating", "Updating", "Succeeded"], 2, "Succeeded"),
        (["Creating", "Failed"], 1, "HttpOperationFailed"),
        (["Succeeded"], 0, "Succeeded"),  # provisioned at once: nothing to poll
    ],
)
async def test_an_azure_put_still_provisioning_is_polled_at_its_own_url(
    api: Running, states: list[str], polled: int, outcome: str
) -> None:
    """Azure Resource Manager: a PUT answered 201 (or 200) whose resource is still being
    provisioned, naming no monitor, is polled at its own URL until its provisioning state
    ends (the operation's `final-state-via: original-uri`)."""

    def respond(seen: Seen) -> Reply:
        done = sum(1 for s in api.app.seen if s.path == "/vms/vm-1") - 1
        state = {"provisioningState": states[min(done, len(states) - 1)]}
        return Reply(201 if seen.method == "PUT" else 200, {"id": "vm-1", "properties": state})

    api.app.respond = respond
    plan = LongRunning(result="original_uri", poll_interval=0.02, min_poll_interval=0.02)
    sdk, http = deploy(api, plan, method="PUT", path="/vms/vm-1")
    async with Client(sdk, mode=MODERN) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    assert targets(api) == ["PUT /vms/vm-1"] + ["GET /vms/vm-1"] * polled
    if outcome == "Succeeded":
        assert not result.is_error, result
        assert '"provisioningState": "Succeeded"' in text_of(result)
    else:
        assert error_of(result)["type"] == outcome


def test_the_specs_defaults_are_the_runtimes() -> None:
    """The generated descriptor carries only what a spec sets: the spec's defaults, which its
    JSON Schema documents, must be the runtime's."""
    runtime = LongRunning()
    assert HttpLongRunning().model_dump() == {
        field.name: list(value) if isinstance(value, tuple) else value
        for field in dataclasses.fields(LongRunning)
        for value in [getattr(runtime, field.name)]
    }


async def test_a_location_monitor_is_read_by_its_status_code(api: Running) -> None:
    """Polled at its Location (Azure's final-state-via location), an operation runs while
    the answer is 202 and is done at a 200, whose body is the resource: its own `status`
    ("Active") is no state of the operation."""
    resource = {"id": "vm-1", "status": "Active"}

    def respond(seen: Seen) -> Reply:
        if seen.method == "POST":
            return Reply(202, None, {"location": "/vms/vm-1"})
        polled = sum(1 for s in api.app.seen if s.path == "/vms/vm-1")
        return Reply(202, None) if polled == 1 else Reply(200, resource)

    api.app.respond = respond
    plan = LongRunning(poll_interval=0.02, min_poll_interval=0.02, max_wait=2)
    sdk, http = deploy(api, plan)
    async with Client(sdk, mode=MODERN) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    assert not result.is_error, result
    assert '"Active"' in text_of(result)
    assert targets(api) == ["POST /deployments", "GET /vms/vm-1", "GET /vms/vm-1"]


@pytest.mark.parametrize(
    ("plan", "result_at"),
    [
        # The monitor's link is in the 202's body; the result's in the monitor's last answer.
        (
            LongRunning(
                status_headers=(),
                status_link="/links/state",
                result="link",
                result_link="/links/content",
            ),
            "/exports/e-1/content",
        ),
        # A PUT that creates: the result is the operation's own URL.
        (
            LongRunning(status_headers=(), status_link="/links/state", result="original_uri"),
            "/deployments",
        ),
    ],
)
async def test_the_monitor_and_the_result_where_the_body_links_them(
    api: Running, plan: LongRunning, result_at: str
) -> None:
    """Visma.net's background operations: `{id, stateLocation}`, then a state document whose
    `contentLocation` is the result (here under `links`)."""

    def respond(seen: Seen) -> Reply:
        if seen.method == "POST":
            return Reply(202, {"id": "e-1", "links": {"state": "/background/e-1"}})
        if seen.path == "/background/e-1":
            links = {"content": "/exports/e-1/content"}
            return Reply(200, {"status": "Finished", "links": links})
        return Reply(200, {"rows": 3, "at": seen.path})

    api.app.respond = respond
    fast = dataclasses.replace(plan, poll_interval=0.02, min_poll_interval=0.02)
    sdk, http = deploy(api, fast)
    async with Client(sdk, mode=MODERN) as client:
        result = await client.call_tool("deploy", {})
    await http.aclose()
    assert not result.is_error, result
    assert f'"at": "{result_at}"' in text_of(result)
    assert targets(api) == ["POST /deployments", "GET /background/e-1", f"GET {result_at}"]


async def test_a_cancelled_call_stops_polling(api: Running, mode: str) -> None:
    """Without tasks: the client's `notifications/cancelled` ends the polls, in both eras."""
    app_of(api).hold.set()
    sdk, http = deploy(api)
    async with Client(sdk, mode=mode) as client:
        async with anyio.create_task_group() as group:

            async def call() -> None:
                await client.call_tool("deploy", {})
                pytest.fail("the call answered although it was cancelled")

            group.start_soon(call)
            await eventually(lambda: app_of(api).polls >= 2, "two polls")
            group.cancel_scope.cancel()
        stopped_at = len(api.app.seen)
        await anyio.sleep(0.15)  # 2.5 poll intervals, the server still up: no poll may come
        polled = len(api.app.seen)
    await http.aclose()
    assert polled <= stopped_at + 1  # one poll may have been under way
