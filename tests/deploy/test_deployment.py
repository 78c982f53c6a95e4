"""examples/conformance deployed as its own Dockerfile, compose.yaml and nginx.conf say:
Redis, replicas (3; `MCPGEN_DEPLOY_REPLICAS=1` runs one) and nginx round robin, on loopback.

Through nginx: the official conformance suite at 2026-07-28 and the tasks extension's
scenarios pass; a task started on one replica is polled, answered and cancelled on the
others; a change notification reaches a listener on another replica; a replica killed
mid-call leaves its tasks `failed` with a reason while the others go on. nginx's access
log says which replica answered each request, so a test can show the requests were spread.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from deployment import Deployment, Hit, Shipped, deploy, spread
from mcp.client import Client
from mcp.client.subscriptions import ResourceUpdated, ToolsListChanged
from mcpgen.cli import main
from peers import REPO, run_conformance, run_inspector
from runtime_support import MODERN, TasksClient, start_task, task_request
from test_conformance import TASK_SCENARIOS

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SHIPPED = Shipped(REPO / "examples" / "conformance", "conformance")
REPLICAS = int(os.environ.get("MCPGEN_DEPLOY_REPLICAS", "3"))
# Long enough to be running whatever the test does meanwhile; cancelled or killed first.
LONG_CALL = 120


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server_env() -> dict[str, str]:
    src = str(SHIPPED.root / "src")
    pythonpath = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("deployment")
    with deploy(SHIPPED, REPLICAS, folder, server_env()) as running:
        yield running


def tasks_client(url: str) -> Client:
    return Client(url, mode=MODERN, extensions=[TasksClient()])


async def task_status(url: str, task_id: str) -> dict[str, Any]:
    async with tasks_client(url) as client:
        return await task_request(client.session, "tasks/get", task_id)


async def poll(client: Client, task_id: str, until: str, timeout: float = 30) -> dict[str, Any]:
    """`tasks/get` until the task's status is `until` (each poll may reach another replica)."""
    with anyio.fail_after(timeout):
        while True:
            task = await task_request(client.session, "tasks/get", task_id)
            if task["status"] == until:
                return task
            await anyio.sleep(0.05)  # polling a task's status, bounded by fail_after


def since(deployment: Deployment, mark: int) -> list[Hit]:
    return deployment.hits()[mark:]


# -- the official conformance suite and the tasks scenarios, through nginx ---------------


@pytest.mark.peers
def test_conformance_suite_at_2026_07_28_through_the_load_balancer(
    deployment: Deployment,
) -> None:
    run = run_conformance(
        "conformance-0.2", deployment.url, "--suite", "all", "--spec-version", "2026-07-28"
    )
    assert (run.passed, run.failed) == (152, 0), run.output + deployment.logs()
    assert run.exit_code == 0, run.output
    assert len(spread(deployment.hits())) == REPLICAS, spread(deployment.hits())


@pytest.mark.peers
@pytest.mark.parametrize("scenario", sorted(TASK_SCENARIOS))
def test_tasks_scenarios_through_the_load_balancer(deployment: Deployment, scenario: str) -> None:
    run = run_conformance("conformance-0.2", deployment.url, "--scenario", scenario)
    assert (run.passed, run.failed) == (TASK_SCENARIOS[scenario], 0), run.output
    assert run.exit_code == 0, run.output


# -- round robin, and state that follows a task from replica to replica -----------------


async def test_round_robin_spreads_requests_evenly(deployment: Deployment) -> None:
    mark = len(deployment.hits())
    async with Client(deployment.url, mode=MODERN) as client:
        for _ in range(3 * REPLICAS):
            await client.list_tools()
    counts = spread([h for h in since(deployment, mark) if h.method == "tools/list"])
    assert set(counts) == set(deployment.replica_ports()), counts
    assert max(counts.values()) - min(counts.values()) <= 1, counts


async def test_a_task_is_polled_answered_and_cancelled_through_other_replicas(
    deployment: Deployment,
) -> None:
    mark = len(deployment.hits())
    async with tasks_client(deployment.url) as client:
        # Started on one replica, asks for a confirmation, answered on another.
        created = await start_task(client, "confirm_delete", {"filename": "notes.txt"})
        asking = await poll(client, created.task_id, "input_required")
        (key,) = asking["inputRequests"]
        answer = {"action": "accept", "content": {"confirm": True}}
        await task_request(
            client.session, "tasks/update", created.task_id, inputResponses={key: answer}
        )
        done = await poll(client, created.task_id, "completed")
        assert done["result"]["content"] == [{"type": "text", "text": "Deleted notes.txt"}]
        # Started on one replica, cancelled through another.
        running = await start_task(client, "slow_compute", {"seconds": LONG_CALL})
        await poll(client, running.task_id, "working")
        await task_request(client.session, "tasks/cancel", running.task_id)
    # Every replica reads what the others did.
    for port in deployment.replica_ports():
        direct = f"http://localhost:{port}/mcp"
        assert (await task_status(direct, created.task_id))["status"] == "completed"
        assert (await task_status(direct, running.task_id))["status"] == "cancelled"
    hits = since(deployment, mark)
    starts = {h.replica_port for h in hits if h.method == "tools/call"}
    followed = {h.replica_port for h in hits if h.method.startswith("tasks/")}
    assert followed == set(deployment.replica_ports()), hits
    if REPLICAS > 1:
        assert followed - starts, hits  # some task request reached a replica that started none


async def test_a_change_notification_reaches_a_listener_on_another_replica(
    deployment: Deployment,
) -> None:
    """The listener's stream is held by one replica (through nginx); each replica in turn
    announces a tool list change, and the listener hears every one."""
    async with (
        Client(deployment.url, mode=MODERN) as listener,
        listener.listen(tools_list_changed=True) as events,
    ):
        assert events.honored.tools_list_changed
        heard: list[Any] = []
        for port in deployment.replica_ports():
            async with Client(f"http://localhost:{port}/mcp", mode=MODERN) as trigger:
                await trigger.call_tool("test_trigger_tool_change", {})
            with anyio.fail_after(10):
                async for event in events:
                    heard.append(event)
                    break
    assert heard == [ToolsListChanged()] * REPLICAS


FANOUT_SPEC = Path(__file__).parent / "fanout.toml"
FANOUT_HANDLERS = Path(__file__).parent / "fanout_handlers"


@pytest.fixture(scope="module")
def fanout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """tests/deploy/fanout.toml generated, its handlers written, and deployed as its own
    files say."""
    root = tmp_path_factory.mktemp("fanout") / "project"
    generated = CliRunner().invoke(main, ["generate", str(FANOUT_SPEC), "-o", str(root)])
    assert generated.exit_code == 0, generated.output
    for source in FANOUT_HANDLERS.rglob("*.py"):
        target = root / "src" / "fanout" / "handlers" / source.relative_to(FANOUT_HANDLERS)
        assert target.is_file(), target  # replaces a scaffolded stub
        shutil.copyfile(source, target)
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "PYTHONUNBUFFERED": "1"}
    with deploy(Shipped(root, "fanout"), REPLICAS, root.parent / "deployment", env) as running:
        yield running


async def test_a_resource_update_reaches_a_subscriber_on_another_replica(
    fanout: Deployment,
) -> None:
    """A 2026-07-28 listener subscribed through nginx; the resource changes on each replica
    in turn, and the listener hears every change."""
    async with (
        Client(fanout.url, mode=MODERN) as listener,
        listener.listen(resource_subscriptions=["notes://latest"]) as events,
    ):
        assert events.honored.resource_subscriptions == ["notes://latest"]
        heard: list[Any] = []
        for port in fanout.replica_ports():
            async with Client(f"http://localhost:{port}/mcp", mode=MODERN) as writer:
                await writer.call_tool("touch", {"uri": "notes://latest"})
            with anyio.fail_after(10):
                async for event in events:
                    heard.append(event)
                    break
    assert heard == [ResourceUpdated(uri="notes://latest")] * REPLICAS


# -- a replica killed mid-call -----------------------------------------------------------


@pytest.fixture
def two_replicas(tmp_path: Path) -> Iterator[Deployment]:
    """A deployment of its own (one replica of it is killed), with at least two replicas."""
    with deploy(SHIPPED, max(REPLICAS, 2), tmp_path / "deployment", server_env()) as running:
        yield running


def calls_logged(deployment: Deployment) -> list[Any]:
    """The `tools/call` requests nginx has logged, in order."""
    return [h for h in deployment.hits() if h.method == "tools/call"]


async def test_a_killed_replica_loses_no_acknowledged_state(two_replicas: Deployment) -> None:
    deployment = two_replicas
    async with tasks_client(deployment.url) as client:
        finished = await start_task(client, "slow_compute", {"seconds": 0, "label": "before"})
        await poll(client, finished.task_id, "completed")
        # Long tasks until every replica runs one. Round robin would put one on each, but
        # any other request between two calls moves it on (a CI run saw 43911, 38925, 43911).
        ports = set(deployment.replica_ports())
        running: list[tuple[str, int]] = []  # (task id, the port of the replica running it)
        while {port for _, port in running} != ports:
            assert len(running) < 4 * len(ports), f"round robin never reached all: {running}"
            before = len(calls_logged(deployment))
            started = await start_task(client, "slow_compute", {"seconds": LONG_CALL})
            # nginx logs a request once it has answered it, so just after the client has
            # read the answer: the log line may be a moment behind.
            with anyio.fail_after(10):
                while len(logged := calls_logged(deployment)) == before:
                    await anyio.sleep(0.01)  # waiting for nginx's log line, bounded
            running.append((started.task_id, logged[before].replica_port))
        victim_port = running[0][1]
        victim = next(r for r in deployment.replicas if r.port == victim_port)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        # The victim's tasks end `failed`, saying why; nothing else changed.
        for task_id, port in running:
            if port == victim_port:
                failed = await poll(client, task_id, "failed", timeout=60)
                assert failed.get("statusMessage") or failed.get("error"), failed
        assert (await poll(client, finished.task_id, "completed"))["result"]["content"] == [
            {"type": "text", "text": "slow_compute done after 0s (label=before)"}
        ]
        for task_id, port in running:
            if port != victim_port:
                seen = await task_request(client.session, "tasks/get", task_id)
                assert seen["status"] == "working", seen
                await task_request(client.session, "tasks/cancel", task_id)
        # And new work goes on, on the replicas left.
        after = await start_task(client, "slow_compute", {"seconds": 0, "label": "after"})
        await poll(client, after.task_id, "completed")


@pytest.mark.peers
def test_the_readmes_check_lists_the_tools_through_the_load_balancer(
    deployment: Deployment,
) -> None:
    """README "Deploying", step 3: the Inspector's command, at this deployment's address."""
    readme = (SHIPPED.root / "README.md").read_text()
    (command,) = [line for line in readme.splitlines() if "inspector --cli" in line]
    arguments = shlex.split(command.split("--cli", 1)[1])
    assert arguments[0] == "http://localhost:8080/mcp", arguments
    run = run_inspector([deployment.url], *arguments[1:])
    assert run.exit_code == 0, run.stderr
    assert "test_simple_text" in {tool["name"] for tool in run.json()["tools"]}


@pytest.mark.peers
def test_2025_era_clients_keep_their_session_in_one_replica(deployment: Deployment) -> None:
    """README "Deploying": a 2025-era client (the Inspector's CLI is one) opens a session
    in one replica, and the shipped config sends every request of it there, with no edit;
    2026-07-28 requests still go round robin (`test_round_robin_spreads_requests_evenly`)."""
    assert len(deployment.replicas) > 1
    mark = len(deployment.hits())
    for _ in range(3):
        listed = run_inspector([deployment.url], "--method", "tools/list")
        assert listed.exit_code == 0, listed.stderr
    called = run_inspector(
        [deployment.url], "--method", "tools/call", "--tool-name", "test_simple_text"
    )
    assert called.exit_code == 0, called.stderr
    sessions = deployment.hits()[mark:]
    # initialize, notifications/initialized, the call or list, the session's DELETE: 4 runs.
    assert len(sessions) >= 4 * 3
    assert {hit.method for hit in sessions} == {"-"}  # 2025 clients send no Mcp-Method
    assert len(spread(sessions)) == 1, spread(sessions)
