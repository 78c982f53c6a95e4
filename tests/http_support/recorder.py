"""A loopback HTTP recorder: it records every request exactly as it arrived and answers as told.

What a test asserts against is what went over the wire: the method, the raw path and the raw
query (percent-encoding kept, as the client wrote them), every header, the body. The answer is
200 with `{}` unless the test queues others (`answer_next`) or sets a `respond` function
(a redirect, an error page, a token grant...).

`serve(app)` runs any ASGI app with uvicorn on 127.0.0.1 at a free port, in a thread of its own
(two servers on two ports are two origins); `silent_server()` accepts connections and never
answers a byte, like an API that hangs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str  # raw, percent-encoding kept
    query: str  # raw
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()

    @property
    def target(self) -> str:
        """The request target as sent: the raw path, and `?` and the raw query if any."""
        return self.path + ("?" + self.query if self.query else "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """An answer: the status, its headers, its body (a str/bytes as is, anything else as JSON)."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


async def read_request(scope: Scope, receive: Receive) -> Seen:
    """The request of an ASGI `http` scope, its body read in full."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Seen(
        method=scope["method"],
        path=raw_path.decode("latin-1"),
        query=scope["query_string"].decode("latin-1"),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        body=body,
        at=time.monotonic(),
    )


async def send_reply(send: Send, reply: Reply) -> None:
    headers = dict(reply.headers)
    if isinstance(reply.body, bytes):
        body = reply.body
    elif isinstance(reply.body, str):
        body = reply.body.encode()
        headers.setdefault("content-type", "text/plain; charset=utf-8")
    elif reply.body is None:
        body = b""
    else:
        body = json.dumps(reply.body).encode()
        headers.setdefault("content-type", "application/json")
    headers["content-length"] = str(len(body))
    start: Message = {
        "type": "http.response.start",
        "status": reply.status,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


@dataclass
class Recorder:
    """The ASGI app: records, then answers the next queued reply, else `respond(seen)`."""

    seen: list[Seen] = field(default_factory=list)
    queued: deque[Reply] = field(default_factory=deque)
    respond: Callable[[Seen], Reply] = lambda _: Reply()

    def answer_next(self, *replies: Reply) -> None:
        self.queued.extend(replies)

    def reset(self) -> None:
        """Forget what was seen and queued, answer `{}` again: one server, many tests."""
        self.seen.clear()
        self.queued.clear()
        self.respond = Recorder().respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        seen = await read_request(scope, receive)
        self.seen.append(seen)
        await send_reply(send, self.queued.popleft() if self.queued else self.respond(seen))


@dataclass
class Running:
    """A recorder served on a loopback port."""

    app: Recorder
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(app: ASGIApp) -> Iterator[int]:
    """Serve an ASGI app on 127.0.0.1 (a free port) in a thread; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by the connections it accepts: uvicorn writes an answer's head and body
    # apart, and Nagle held the body for the client's delayed ACK, 45 ms an answer on a
    # kept-alive connection (0.9 ms without).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the loopback server did not start")
        time.sleep(0.01)  # polling the server's own readiness flag, bounded by the deadline
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def recorder(app: Recorder | None = None) -> Iterator[Running]:
    """A `Recorder` served on loopback (a module may share one: see `Recorder.reset`)."""
    app = app if app is not None else Recorder()
    with serve(app) as port:
        yield Running(app, port)


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[int, list[float]]]:
    """A server that accepts every connection, reads, and never answers.

    Yields its port and the times (monotonic) of the connections it accepted.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted: list[float] = []
    held: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(time.monotonic())
            held.append(connection)  # kept open, never written to

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()
