"""A generated server over streamable HTTP as a hostile network and careless clients meet it.

Each test runs `python -m serving --transport http` (generated from serving.toml, with the
handlers of serving_handlers/) as a real subprocess on loopback, and talks to it with the
SDK's client, or with raw HTTP where a test needs every header and byte in hand: one
session replaying another's stream, forged Host and Origin headers, more sessions than the
cap, a client killed in the middle of a call, a SIGTERM with calls in flight. The handlers
write what happened to them to a journal file, so a test sees the server's side too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx2
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from server_process import SHUTDOWN_TIMEOUT, HttpServer, serve_http

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HERE = Path(__file__).parent
SPEC = HERE / "serving.toml"
HANDLERS = HERE / "serving_handlers"
PACKAGE = "serving"
ERAS = ("legacy", "2026-07-28")
# A client of the 2025-11-25 handshake can resume a stream it lost (it got a priming event
# id); the server waits this long for it to come back before it cancels the call (2 s, in
# the runtime), and the cancellation then reaches the handler within a fraction of this.
RESUME_GRACE = 2.0
PROMPTLY = 1.0
ACCEPT = "application/json, text/event-stream"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The generated serving project's src folder and a subprocess environment for it."""
    root = tmp_path_factory.mktemp("serving-project")
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(SPEC), "-o", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"mcpgen generate failed:\n{done.stderr}"
    handlers = root / "src" / PACKAGE / "handlers"
    for source in sorted(HANDLERS.rglob("*.py")):
        shutil.copyfile(source, handlers / source.relative_to(HANDLERS))
    src = root / "src"
    pythonpath = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVING_")}
    return src, {**env, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}


@dataclass
class Journal:
    """What the handlers of one server recorded (see serving_handlers/journal.py)."""

    path: Path

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]

    def of(self, label: str) -> dict[str, float]:
        """When each event of the call labelled `label` happened (time.monotonic())."""
        return {e["event"]: e["at"] for e in self.events() if e["label"] == label}

    async def wait_for(self, label: str, event: str, timeout: float) -> float:
        with anyio.fail_after(timeout):
            while (at := self.of(label).get(event)) is None:
                await anyio.sleep(0.02)
        return at


@dataclass
class Serving:
    server: HttpServer
    journal: Journal


@pytest.fixture
def start(project: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Callable[..., Serving]]:
    """Starts `python -m serving --transport http [options]`; every one is stopped at teardown.

    Keyword arguments become environment variables of the server process.
    """
    _, env = project
    with contextlib.ExitStack() as stack:
        count = 0

        def run(*options: str, **environment: str) -> Serving:
            nonlocal count
            count += 1
            journal = Journal(tmp_path / f"journal-{count}.jsonl")
            server_env = {**env, **environment, "SERVING_JOURNAL": str(journal.path)}
            log = tmp_path / f"server-{count}.log"
            server = stack.enter_context(serve_http(PACKAGE, server_env, log, *options))
            return Serving(server, journal)

        yield run


# -- raw HTTP: sessions, calls and replays with every header in hand ------------------


def sse_events(text: str) -> list[dict[str, str]]:
    """The events of an SSE body, each as its fields (`id`, `data`, ...)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            if name:
                fields[name] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


def initialize(version: str = "2025-11-25") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }


async def open_session(
    http: httpx2.AsyncClient, url: str, version: str = "2025-11-25"
) -> dict[str, str]:
    """A 2025-era session, initialized: the headers its later requests carry."""
    opened = await http.post(url, headers={"accept": ACCEPT}, json=initialize(version))
    assert opened.status_code == 200, opened.text
    session = {
        "accept": ACCEPT,
        "mcp-session-id": opened.headers["mcp-session-id"],
        "mcp-protocol-version": version,
    }
    initialized = await http.post(
        url, headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    assert initialized.status_code == 202, initialized.text
    return session


def tool_call(request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


async def call(
    http: httpx2.AsyncClient, url: str, session: dict[str, str], request_id: int, text: str
) -> list[dict[str, str]]:
    """`echo` called with `request_id` in `session`: the events of its stream."""
    answered = await http.post(
        url, headers=session, json=tool_call(request_id, "echo", {"text": text})
    )
    assert answered.status_code == 200, answered.text
    return sse_events(answered.text)


async def replay(
    http: httpx2.AsyncClient,
    url: str,
    session: dict[str, str],
    last_event_id: str,
    patience: float = 10.0,
) -> str:
    """What a GET resuming after `last_event_id` receives, until an answer (or `patience`)."""
    received = ""
    with anyio.move_on_after(patience):
        async with http.stream(
            "GET", url, headers={**session, "last-event-id": last_event_id}
        ) as stream:
            async for chunk in stream.aiter_text():
                received += chunk
                if any('"result"' in e.get("data", "") for e in sse_events(received)):
                    break
    return received


# -- 1. a session's events are its own --------------------------------------------------


async def test_a_session_cannot_replay_another_sessions_stream(
    start: Callable[..., Serving],
) -> None:
    url = start().server.url
    async with httpx2.AsyncClient(timeout=10) as http:
        a = await open_session(http, url)
        b = await open_session(http, url)
        # Streams are named by request ids, which every client numbers alike: both use 2.
        a_stream = await call(http, url, a, 2, "secret of A")
        b_stream = await call(http, url, b, 2, "B's own")
        a_priming = a_stream[0]["id"]
        assert a_stream[0]["data"] == "" and "secret of A" in a_stream[1]["data"]

        # B presents A's event id: it gets nothing of A's.
        stolen = await replay(http, url, b, a_priming, patience=1.0)
        assert "secret of A" not in stolen

        # A resumes its own stream: its own answer, and nothing of B's.
        resumed = await replay(http, url, a, a_priming)
        assert "secret of A" in resumed
        assert "B's own" not in resumed

    # The replay resends A's answer under the id it had.
    assert [e["id"] for e in sse_events(resumed) if "secret of A" in e.get("data", "")] == [
        a_stream[1]["id"]
    ]
    ids = [e["id"] for e in a_stream + b_stream]
    assert len(set(ids)) == len(ids)
    # Unguessable: 128 random bits each (22 URL-safe characters), not a counter.
    assert all(len(event_id) >= 22 for event_id in ids), ids


# -- 2. Host and Origin are checked wherever the server binds ---------------------------


async def status_of(url: str, **headers: str) -> int:
    """The HTTP status an initialize POST with these headers gets."""
    async with httpx2.AsyncClient(timeout=10) as http:
        answer = await http.post(url, headers={"accept": ACCEPT, **headers}, json=initialize())
    return answer.status_code


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])
async def test_host_and_origin_are_checked_wherever_the_server_binds(
    start: Callable[..., Serving], bind: str
) -> None:
    server = start("--host", bind).server
    url, port = server.url, server.port
    # DNS rebinding: a page of evil.example, its name now pointing here, names itself.
    assert await status_of(url, host=f"evil.example:{port}") == 421
    assert await status_of(url, host="evil.example") == 421
    assert await status_of(url, origin="http://evil.example") == 403
    assert await status_of(url, origin="null") == 403
    # Loopback names on any port, with or without one (a reverse proxy sends no port).
    assert await status_of(url, host="127.0.0.1") == 200
    assert await status_of(url, host=f"localhost:{port}") == 200
    assert await status_of(url, host=f"[::1]:{port}") == 200
    assert await status_of(url, origin="http://localhost:6274") == 200
    assert await status_of(url, origin=f"http://127.0.0.1:{port}") == 200


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside `error`'s groups (the SDK client raises through task groups)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


@pytest.mark.parametrize("mode", ERAS)
async def test_the_sdk_client_is_refused_under_a_foreign_host_in_both_eras(
    start: Callable[..., Serving], mode: str
) -> None:
    server = start("--host", "0.0.0.0").server
    forged = httpx2.AsyncClient(headers={"Host": f"evil.example:{server.port}"})
    refused: list[BaseException] = []
    try:
        async with (
            forged,
            Client(streamable_http_client(server.url, http_client=forged), mode=mode) as client,
        ):
            await client.list_tools()
    except Exception as error:
        refused = leaves(error)
    assert any(
        isinstance(e, MCPError) and "is not a name this server answers to" in e.message
        for e in refused
    ), refused


async def test_allowed_hosts_and_origins_extend_the_defaults(start: Callable[..., Serving]) -> None:
    server = start(
        "--host",
        "0.0.0.0",
        "--allowed-host",
        "mcp.example.com",
        "--allowed-origin",
        "https://app.example.com",
        SERVING_ALLOWED_HOSTS="gateway.internal:8443, other.internal",
        SERVING_ALLOWED_ORIGINS="https://console.example.com",
    ).server
    url, port = server.url, server.port
    assert await status_of(url, host="mcp.example.com") == 200
    assert await status_of(url, host=f"mcp.example.com:{port}") == 200
    assert await status_of(url, host="gateway.internal:8443") == 200
    assert await status_of(url, host="gateway.internal:9999") == 421
    assert await status_of(url, host="other.internal") == 200
    assert await status_of(url, origin="https://app.example.com") == 200
    assert await status_of(url, origin="https://app.example.com:443") == 200
    assert await status_of(url, origin="https://console.example.com") == 200
    assert await status_of(url, origin="https://app.example.com:8443") == 403
    assert await status_of(url, origin="http://app.example.com") == 403
    # The defaults still hold.
    assert await status_of(url, host="127.0.0.1") == 200
    assert await status_of(url, host="evil.example") == 421


async def test_a_server_bound_beyond_loopback_says_what_it_exposes(
    start: Callable[..., Serving],
) -> None:
    server = start("--host", "0.0.0.0", "--allowed-host", "mcp.example.com").server
    said = server.stderr()
    assert f"running on http://0.0.0.0:{server.port}/mcp" in said
    assert "WARNING" in said and "0.0.0.0" in said
    assert "no authorization" in said
    assert "mcp.example.com" in said and "--allowed-host" in said and "--allowed-origin" in said


async def test_a_loopback_server_announces_its_url_and_nothing_alarming(
    start: Callable[..., Serving],
) -> None:
    server = start().server
    said = server.stderr()
    assert f"serving MCP server running on http://127.0.0.1:{server.port}/mcp" in said
    assert "WARNING" not in said


# -- 3. the session cap -----------------------------------------------------------------


async def test_at_the_cap_the_longest_idle_session_makes_room(
    start: Callable[..., Serving],
) -> None:
    serving = start("--max-sessions", "2")
    url = serving.server.url
    async with httpx2.AsyncClient(timeout=10) as http:
        first = await open_session(http, url)
        second = await open_session(http, url)
        await call(http, url, first, 2, "first, busy again")  # `second` is now the longest idle
        third = await open_session(http, url)
        assert (
            await http.post(url, headers=second, json=tool_call(3, "echo", {"text": "x"}))
        ).status_code == 404
        for session in (first, third):
            assert (
                await http.post(url, headers=session, json=tool_call(3, "echo", {"text": "x"}))
            ).status_code == 200
    assert "--max-sessions" in serving.server.stderr()


async def test_at_the_cap_with_every_session_busy_a_new_one_is_told_when_to_retry(
    start: Callable[..., Serving],
) -> None:
    serving = start("--max-sessions", "1")
    url = serving.server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        busy = await open_session(http, url)
        wait = tool_call(2, "wait", {"label": "busy", "seconds": 60})
        async with http.stream("POST", url, headers=busy, json=wait):
            await serving.journal.wait_for("busy", "started", timeout=10)
            refused = await http.post(url, headers={"accept": ACCEPT}, json=initialize())
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["retry-after"]) >= 1
        # Its client gone, the call is cancelled, and its idle session makes room.
        await serving.journal.wait_for("busy", "cancelled", timeout=RESUME_GRACE + 10)
        await open_session(http, url)


# -- 4. abandoned calls are cancelled; a shutdown answers every call --------------------


DROP_CHILD = """\
import sys, anyio
from mcp.client import Client

async def running(progress, total, message):
    print("running", flush=True)

async def main(url, mode, label):
    async with Client(url, mode=mode) as client:
        await client.call_tool("wait", {"label": label, "seconds": 60}, progress_callback=running)

anyio.run(main, *sys.argv[1:])
"""


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_that_vanishes_mid_call_has_its_call_cancelled(
    start: Callable[..., Serving], mode: str
) -> None:
    serving = start()
    label = f"dropped-{mode}"
    async with await anyio.open_process(
        [sys.executable, "-c", DROP_CHILD, serving.server.url, mode, label],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as child:
        assert child.stdout is not None
        with anyio.fail_after(30):
            assert b"running" in await child.stdout.receive()
        vanished = time.monotonic()
        child.kill()  # the kernel closes its connections: no DELETE, no notifications/cancelled
        await child.wait()
    # The 2025-11-25 client could resume its stream: the server gives it RESUME_GRACE first.
    allowed = PROMPTLY + (RESUME_GRACE if mode == "legacy" else 0.0)
    cancelled = await serving.journal.wait_for(label, "cancelled", timeout=allowed + 10)
    latency = cancelled - vanished
    assert latency < allowed, (
        f"the handler saw the cancellation {latency:.2f} s after the client vanished"
    )
    assert "finished" not in serving.journal.of(label)


async def test_a_stream_dropped_by_an_old_client_cancels_its_call_at_once(
    start: Callable[..., Serving],
) -> None:
    """A 2025-06-18 client gets no event ids, so it cannot resume: nobody will read the answer."""
    serving = start()
    url = serving.server.url
    async with httpx2.AsyncClient(timeout=10) as http:
        session = await open_session(http, url, version="2025-06-18")
        wait = tool_call(2, "wait", {"label": "old", "seconds": 60})
        wait["params"]["_meta"] = {"progressToken": "old"}
        async with http.stream("POST", url, headers=session, json=wait) as stream:
            async for chunk in stream.aiter_text():
                if "notifications/progress" in chunk:
                    break
        vanished = time.monotonic()  # the stream is closed, its connection with it
    cancelled = await serving.journal.wait_for("old", "cancelled", timeout=PROMPTLY + 10)
    assert cancelled - vanished < PROMPTLY


async def test_a_client_that_resumes_its_stream_in_time_gets_its_answer(
    start: Callable[..., Serving],
) -> None:
    serving = start()
    url = serving.server.url
    async with httpx2.AsyncClient(timeout=10) as http:
        session = await open_session(http, url)
        wait = tool_call(2, "wait", {"label": "resumed", "seconds": 1.5})
        received = ""
        async with http.stream("POST", url, headers=session, json=wait) as stream:
            async for chunk in stream.aiter_text():
                received += chunk
                if primed := [e["id"] for e in sse_events(received) if "id" in e]:
                    priming = primed[0]
                    break
        await anyio.sleep(0.3)
        resumed = await replay(http, url, session, priming)
    assert "waited 1.5 s" in resumed
    assert set(serving.journal.of("resumed")) == {"started", "finished"}


async def wait_for_exit(process: subprocess.Popen[bytes], timeout: float) -> int:
    def wait() -> int:
        return process.wait(timeout=timeout)

    return await anyio.to_thread.run_sync(wait)


async def test_sigterm_answers_every_call_in_flight(start: Callable[..., Serving]) -> None:
    grace = 3.0
    serving = start("--shutdown-grace", str(grace))
    server = serving.server
    calls = {
        f"{mode}-{n}-{seconds:g}s": seconds
        for mode in ERAS
        for n, seconds in enumerate((1.0, 1.0, 60.0, 60.0))
    }
    outcomes: dict[str, str] = {}

    async def call_in_flight(client: Client, label: str) -> None:
        try:
            result = await client.call_tool("wait", {"label": label, "seconds": calls[label]})
        except MCPError as error:
            outcomes[label] = f"error {error.code}: {error.message}"
        else:
            outcomes[label] = f"result: {result.content[0].text}"  # type: ignore[union-attr]

    async def client_of(mode: str) -> None:
        # In a task of its own: a client whose connection breaks cancels the task it runs in.
        try:
            async with Client(server.url, mode=mode) as client, anyio.create_task_group() as group:
                for label in calls:
                    if label.startswith(mode):
                        group.start_soon(call_in_flight, client, label)
        except Exception as error:  # recorded: a call left without an answer fails below
            for label in calls:
                if label.startswith(mode):
                    outcomes.setdefault(label, f"no answer: {error!r}")

    async with anyio.create_task_group() as clients:
        for mode in ERAS:
            clients.start_soon(client_of, mode)
        for label in calls:
            await serving.journal.wait_for(label, "started", timeout=20)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        with anyio.fail_after(grace + SHUTDOWN_TIMEOUT):
            while len(outcomes) < len(calls):
                await anyio.sleep(0.05)
    code = await wait_for_exit(server.process, SHUTDOWN_TIMEOUT)
    exited = time.monotonic() - signalled

    for label, seconds in calls.items():
        if seconds < grace:
            assert outcomes[label] == "result: waited 1 s", outcomes
            assert "finished" in serving.journal.of(label)
        else:
            assert outcomes[label].startswith(f"error {types.CONNECTION_CLOSED}: "), outcomes
            assert "shutting down" in outcomes[label], outcomes
            assert "cancelled" in serving.journal.of(label)
    assert exited < grace + 3, f"exited {exited:.1f} s after SIGTERM"
    assert code in (0, -signal.SIGTERM), server.stderr()
    assert "Traceback" not in server.stderr()


# -- 5, 6. what the server says ---------------------------------------------------------


async def test_a_result_that_breaks_the_output_schema_is_logged_as_the_result(
    start: Callable[..., Serving],
) -> None:
    server = start().server
    async with Client(server.url) as client:
        result = await client.call_tool("lost_field", {})
    assert result.is_error
    logged = server.stderr()
    assert '- result: "text" is a required property' in logged, logged
    assert "arguments" not in logged, logged


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--port", "70000"], "argument --port: 70000 is above 65535"),
        (["--path", "mcp"], "argument --path: not a path"),
        (["--session-idle-timeout", "0"], "argument --session-idle-timeout: 0 is not above 0"),
        (["--max-sessions", "0"], "argument --max-sessions: 0 is not at least 1"),
        (["--shutdown-grace", "-1"], "argument --shutdown-grace: -1 is not at least 0"),
        (["--allowed-origin", "ftp://x"], "argument --allowed-origin: not an origin"),
    ],
)
def test_a_bad_option_is_a_usage_error_not_a_traceback(
    project: tuple[Path, dict[str, str]], options: list[str], complaint: str
) -> None:
    _, env = project
    done = subprocess.run(
        [sys.executable, "-m", PACKAGE, "--transport", "http", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr


def test_a_host_that_cannot_be_bound_is_said_so_without_a_traceback(
    project: tuple[Path, dict[str, str]],
) -> None:
    _, env = project
    done = subprocess.run(
        [sys.executable, "-m", PACKAGE, "--transport", "http", "--host", "no-such-host.invalid"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Name or service not known" in done.stderr or "not known" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
