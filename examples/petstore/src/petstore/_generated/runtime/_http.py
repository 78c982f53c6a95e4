"""`serve_http`: streamable HTTP on uvicorn, announced, guarded and drained on a signal."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import argparse
import contextlib
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from types import FrameType


from ._event_store import MemoryEventStore
from ._host_guard import HostGuard, is_loopback
from ._http_calls import Calls, Exchanges, SessionEvents, Stoppable
from ._sdk_internals import SessionManager
from ._types import logger

# After the shutdown grace, how long the answers of the calls it stopped get to go out:
# they are written within milliseconds; this bounds a client that reads slowly.
_ANSWER_TIME = 1.0


class ResourceGuard(Protocol):
    """Inbound authorization, configured (`_auth.ResourceServer`, vendored only into
    servers that declare it)."""

    def routes(self) -> list[Route]:
        """What it serves besides the MCP endpoint (its Protected Resource Metadata)."""
        ...

    def protect(self, app: Any) -> Any:
        """The MCP endpoint `app`, behind the token check."""
        ...

    def describe(self) -> str:
        """Who may call, for the announcement."""
        ...

    def running(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Entered while the server serves."""
        ...


class DeclaredAuth(Protocol):
    """Inbound authorization as a spec declares it (`_auth.Authorization`): the command
    line's `--auth-*` options, and the `ResourceGuard` they configure."""

    def add_arguments(self, parser: argparse.ArgumentParser, env_prefix: str) -> None: ...

    def configure(
        self, options: argparse.Namespace, env_prefix: str, environ: Mapping[str, str]
    ) -> ResourceGuard: ...


@dataclass(frozen=True)
class HttpOptions:
    """How `serve_http` serves: where, to whom, for how long."""

    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    session_idle_timeout: float = 600.0
    max_sessions: int = 1000
    """Open sessions at most; at the cap the one idle longest makes room (`SessionManager`)."""
    shutdown_grace: float = 8.0
    """Seconds calls in flight get to finish after SIGTERM/SIGINT; the rest are stopped and
    answered with an error. `docker stop` kills after 10 s: 8 leaves time to answer."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (`name` for any port, `name:port`) requests may name besides the defaults."""
    allowed_origins: tuple[str, ...] = ()
    """Origins (`https://app.example.com`, `http://name:*`) browser pages may call from."""
    env_prefix: str = ""
    """`<PACKAGE>_`, of the environment variables that extend the two lists."""
    auth: ResourceGuard | None = None
    """Who may call (a bearer token's issuer, audience, scopes); None: whoever reaches it."""


async def serve_http(server: Server[Any], options: HttpOptions) -> None:
    """Serve streamable HTTP (stateful, resumable) until SIGINT or SIGTERM.

    A client that vanishes without ending its session (no DELETE) leaves it open until
    `session_idle_timeout` seconds pass without a request; then its calls are cancelled
    and its streams closed; a call nobody can receive the answer of is cancelled at once
    (`Calls`). Requests must name the server by a host it answers to, and come from an
    allowed origin if a browser sends them (`HostGuard`), wherever it binds. A signal
    drains it: calls in flight get `shutdown_grace` seconds, then an error answer.
    """
    front, calls, manager = http_app(server, options)
    config = uvicorn.Config(
        front,
        host=options.host,
        port=options.port,
        log_level="warning",
        lifespan="on",
        # Once drained, what still holds a connection open is cut after this long.
        timeout_graceful_shutdown=2,
    )
    await _Uvicorn(config, f"{server.name} MCP server", options, calls, manager).serve()


def http_app(server: Server[Any], options: HttpOptions) -> tuple[Any, Calls, SessionManager]:
    """The ASGI app `serve_http` serves, the calls it follows, its session manager."""
    calls = Calls()
    server.middleware.append(Stoppable(calls))
    log = MemoryEventStore()
    manager = SessionManager(
        server,
        lambda: SessionEvents(log, calls),
        # Clients told to reconnect (a closed event stream) come back after this many ms.
        retry_interval=100,
        session_idle_timeout=options.session_idle_timeout,
        max_sessions=options.max_sessions,
        # The SDK checks Host and Origin only when bound to loopback, and knows no Host
        # without a port: HostGuard checks them in front of everything, wherever it binds.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    # What `Server.streamable_http_app` builds, with this manager in it (and, when the
    # spec declares authorization, the SDK's bearer token check, as it wires it).
    endpoint: Any = StreamableHTTPASGIApp(manager)
    routes: list[BaseRoute] = []
    auth = options.auth
    if auth is not None:
        endpoint = auth.protect(endpoint)
        routes.extend(auth.routes())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if auth is not None:
                await stack.enter_async_context(auth.running())
            await stack.enter_async_context(manager.run())
            yield

    app = Starlette(routes=[Route(options.path, endpoint=endpoint), *routes], lifespan=lifespan)
    front = HostGuard(Exchanges(app, calls), options.allowed_hosts, options.allowed_origins)
    return front, calls, manager


class _Uvicorn(uvicorn.Server):
    """uvicorn, announcing on stderr where it serves once it listens (as uvicorn itself does
    at its INFO level; the server's own log starts at WARNING) and what it exposes when it
    listens beyond loopback; and draining on SIGINT or SIGTERM before it shuts down.

    uvicorn's own shutdown begins when its signal handler sets `should_exit`, and that ends
    every SSE stream at once (sse_starlette, which the SDK's transport answers with, watches
    the flag): a 2025-era call in flight lost its answer. Here the signal starts the drain
    first, and uvicorn hears of it only once every call is answered.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        what: str,
        options: HttpOptions,
        calls: Calls,
        manager: SessionManager,
    ) -> None:
        super().__init__(config)
        self.what = what
        self.options = options
        self.calls = calls
        self.manager = manager
        self.signals: list[int] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # The port the system gave, when asked for port 0.
            port: int = self.servers[0].sockets[0].getsockname()[1]
            print(_announcement(self.what, self.options, port), file=sys.stderr, flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: it only notes the signal (a second one skips the grace).
        self.signals.append(sig)

    async def on_tick(self, counter: int) -> bool:
        # uvicorn's loop asks this every 0.1 s whether to stop: on a signal, to drain.
        return bool(self.signals) or await super().on_tick(counter)

    async def main_loop(self) -> None:
        await super().main_loop()
        if self.signals:
            await self.drain()
            # uvicorn's own handler now: it shuts down, and raises the signal again once
            # it is done (a SIGINT is then a KeyboardInterrupt, which `run` takes).
            super().handle_exit(self.signals[0], None)

    async def drain(self) -> None:
        """Give the calls in flight the grace to finish, stop the rest (each answered with
        an error), and end the sessions (their GET streams); uvicorn then shuts down (and
        stops listening).

        Requests go on being served meanwhile: a client finishing a call may need one more
        (SDK 2.3's client lists the tools to check a result), and one that starts a call
        now gets the same answer as the others if it is still running at the deadline.
        """
        calls = self.calls
        calls.stop_all("subscriptions/listen")  # a stream of notifications never finishes
        with anyio.move_on_after(self.options.shutdown_grace):
            while calls.running and len(self.signals) == 1:
                await anyio.sleep(0.05)
        if calls.running:
            logger.warning(
                "stopping %d call%s still running after the %g s --shutdown-grace",
                len(calls.running),
                "" if len(calls.running) == 1 else "s",
                self.options.shutdown_grace,
            )
            calls.stop_all()
        with anyio.move_on_after(_ANSWER_TIME):
            while calls.running or calls.open_posts:
                await anyio.sleep(0.02)
        await self.manager.end_sessions()


def _announcement(what: str, options: HttpOptions, port: int) -> str:
    """What a server says when it starts listening: its URL, and whom it answers."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    lines = [f"{what} running on http://{host}:{port}{options.path} (SIGINT or SIGTERM stops it)"]
    beyond = not is_loopback(options.host)
    if options.auth is not None:
        where = f"It listens beyond this machine's loopback ({options.host}); " if beyond else ""
        lines.append(f"{where}Authorization: {options.auth.describe()}.")
    elif beyond:
        lines.append(
            f"WARNING: it listens beyond this machine's loopback ({options.host}): whoever "
            "can reach it can call every tool, and there is no authorization. Bind to "
            "127.0.0.1, or put a proxy that authenticates in front."
        )
    if beyond or options.allowed_hosts or options.allowed_origins:
        hosts = ", ".join(["localhost", "127.0.0.1", "[::1]", *options.allowed_hosts])
        origins = ", ".join(["http(s)://localhost, 127.0.0.1, [::1]", *options.allowed_origins])
        lines.append(
            f"Requests must name it {hosts} (on any port unless one is given) or the address "
            f"they reached it at; --allowed-host or {options.env_prefix}ALLOWED_HOSTS adds names."
        )
        lines.append(
            f"Browser pages may call it from {origins} (any port); --allowed-origin or "
            f"{options.env_prefix}ALLOWED_ORIGINS adds origins."
        )
    return "\n".join(lines)
