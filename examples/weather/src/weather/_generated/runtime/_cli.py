"""The command line of a generated server: `python -m <package> [--transport http]`."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio
from mcp.server.lowlevel import Server

from ._host_guard import host_and_port, parse_origin
from ._http import DeclaredAuth, HttpOptions, ResourceGuard, serve_http
from ._serving import Serving, serving
from ._state import MAKE_A_KEY, MemoryState, State, sealing_keys
from ._toolsets import SURFACES, ServingError
from ._types import NumberT


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over this process's stdin and stdout."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def open_state(url: str | None, env_prefix: str, namespace: str) -> State:
    """The state the server keeps: in the Redis at `url`, else in this process's memory.

    Replicas share what they seal only under a shared key: without one a confirmation
    answered through another replica would be refused, so shared state refuses to start.
    """
    variable = f"{env_prefix}STATE_KEY"
    keys = sealing_keys(os.environ.get(variable, ""))
    if url and not keys:
        raise ValueError(
            f"--state-url needs {variable}, the key every replica seals requestState with "
            f"(the same on each): make one with {MAKE_A_KEY}"
        )
    try:
        if not url:
            return MemoryState(keys)
        from ._state_redis import RedisState  # only a server run with --state-url loads redis

        return RedisState(url, keys, namespace)
    except ImportError as error:
        raise ValueError(f"--state-url needs the `redis` extra of the package ({error})") from None
    except (TypeError, ValueError) as error:  # a key too short, a URL Redis does not read
        raise ValueError(f"--state-url / {variable}: {error}") from None


def _number(
    kind: Callable[[str], NumberT], low: float, high: float = math.inf, *, above: bool = False
) -> Callable[[str], NumberT]:
    """An argparse type: a finite number from `low` (or above it, when `above`) to `high`."""

    def parse(value: str) -> NumberT:
        try:
            number = kind(value)
        except ValueError:
            number_ = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"not {number_}: {value!r}") from None
        if not math.isfinite(number) or number < low or (above and number == low):
            raise argparse.ArgumentTypeError(
                f"{value} is not {'above' if above else 'at least'} {low:g}"
            )
        if number > high:
            raise argparse.ArgumentTypeError(f"{value} is above {high:g}")
        return number

    return parse


def _listed(checked: Callable[[str], object], what: str) -> Callable[[str], str]:
    """An argparse type: `value` if `checked(value)` is not None, else a usage error."""

    def parse(value: str) -> str:
        if checked(value) is None:
            raise argparse.ArgumentTypeError(f"not {what}: {value!r}")
        return value

    return parse


def run(
    build: Callable[[], Server[Any]],
    name: str,
    argv: Sequence[str] | None = None,
    *,
    epilog: str | None = None,
    auth: DeclaredAuth | None = None,
    max_response_bytes: int | None = None,
) -> None:
    """The command line of a generated server: `python -m <package> [--transport http]`.

    `epilog` ends `--help` as written (the environment variables an HTTP server reads).
    `auth`, the spec's `[server.auth]`, adds the `--auth-*` options; over HTTP every
    request then needs a bearer token they describe. `max_response_bytes`, the budget of
    the answers of a server whose tools call an HTTP API, adds `--max-response-bytes`.
    The garbage collector is on once the server is built (`__main__` keeps it off while
    the SDK is imported and the server built).
    """
    # The package that built the server names its environment variables, as `<PKG>_BASE_URL`.
    env_prefix = build.__module__.partition(".")[0].upper() + "_"
    host_name = _listed(host_and_port, "a host name (name or name:port)")
    origin_name = _listed(parse_origin, "an origin (http(s)://name[:port|:*])")
    parser = argparse.ArgumentParser(
        prog=name,
        description=f"Run the {name} MCP server.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio (default) for a client that spawns the server; http for streamable HTTP",
    )
    parser.add_argument(
        "--host", default=HttpOptions.host, help="HTTP bind address (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_number(int, 0, 65535),
        default=HttpOptions.port,
        help="HTTP port; 0 takes a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--path",
        type=_listed(lambda path: path if path.startswith("/") else None, "a path (/...)"),
        default=HttpOptions.path,
        help="HTTP endpoint path (default: %(default)s)",
    )
    parser.add_argument(
        "--session-idle-timeout",
        type=_number(float, 0, above=True),
        default=HttpOptions.session_idle_timeout,
        metavar="SECONDS",
        help="HTTP: end a session idle this long, e.g. of a client that vanished "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_number(int, 1),
        default=HttpOptions.max_sessions,
        metavar="N",
        help="HTTP: sessions (2025-era clients) open at most; a new one past that ends the "
        "session idle longest, or is refused (503, Retry-After) while all are busy "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=_number(float, 0),
        default=HttpOptions.shutdown_grace,
        metavar="SECONDS",
        help="HTTP: on SIGTERM or SIGINT, how long calls in flight get to finish before they "
        "are stopped and answered with an error (default: %(default)s)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        type=host_name,
        default=[],
        metavar="NAME",
        help="HTTP: a host name requests may name the server by, besides loopback names and "
        f"the address they reach (repeatable; also {env_prefix}ALLOWED_HOSTS, comma-separated)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        type=origin_name,
        default=[],
        metavar="ORIGIN",
        help="HTTP: an origin browser pages may call from, besides loopback ones (repeatable; "
        f"also {env_prefix}ALLOWED_ORIGINS, comma-separated)",
    )
    # Shared state: what replicas of the server keep together (one block: the state's).
    parser.add_argument(
        "--state-url",
        default=os.environ.get(f"{env_prefix}STATE_URL") or None,
        metavar="URL",
        help="keep tasks, resumable event streams, subscriptions and limits in the Redis at "
        "URL (redis://host:port/db), shared by every replica of this server (needs the "
        f"package's `redis` extra; also {env_prefix}STATE_URL). Every replica must have the "
        f"same {env_prefix}STATE_KEY, the key requestState is sealed with (comma-separated: "
        f"the first seals, all unseal); make one with: {MAKE_A_KEY} (default: this process's "
        "memory)",
    )
    # What the server serves (one block: toolsets and the tool surface).
    parser.add_argument(
        "--tool-surface",
        default=os.environ.get(f"{env_prefix}TOOL_SURFACE") or None,
        metavar="|".join(SURFACES),
        help="tools: one tool per operation in tools/list; search: three tools that search, "
        f"describe and call them all (also {env_prefix}TOOL_SURFACE; default: the spec's)",
    )
    parser.add_argument(
        "--toolsets",
        default=os.environ.get(f"{env_prefix}TOOLSETS") or None,
        metavar="A,B",
        help="serve only the tools tagged with one of these (comma-separated; also "
        f"{env_prefix}TOOLSETS; default: all)",
    )
    parser.add_argument(
        "--dynamic-toolsets",
        action="store_true",
        default=os.environ.get(f"{env_prefix}DYNAMIC_TOOLSETS", "").lower() in ("1", "true"),
        help="2025-era sessions start with the --toolsets (none if none) and may add others "
        "with the tools list_toolsets and enable_toolset; sessionless 2026-07-28 requests "
        f"get the --toolsets (all if none) (also {env_prefix}DYNAMIC_TOOLSETS=1)",
    )
    budget_variable = f"{env_prefix}MAX_RESPONSE_BYTES"
    if max_response_bytes is not None:
        parser.add_argument(
            "--max-response-bytes",
            type=_number(int, 1_000),
            default=None,
            metavar="BYTES",
            help="the most bytes of an API's answer a tool passes on, for every tool; a longer "
            "one is cut, saying what was cut and how to read on (also "
            f"{budget_variable}; default: the spec's, {max_response_bytes}, or a tool's own)",
        )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="WARNING",
        help="level of the server's own log on stderr (default: %(default)s)",
    )
    # Authorization (`[server.auth]`): its options, and the guard they configure.
    if auth is not None:
        auth.add_arguments(parser, env_prefix)
    options = parser.parse_args(argv)
    guard: ResourceGuard | None = None
    if auth is not None and options.transport == "http":
        try:
            guard = auth.configure(options, env_prefix, os.environ)
        except ValueError as error:
            parser.error(str(error))
    allowed: dict[str, list[str]] = {
        "HOSTS": options.allowed_host,
        "ORIGINS": options.allowed_origin,
    }
    for kind, parse in (("HOSTS", host_name), ("ORIGINS", origin_name)):
        variable = f"{env_prefix}ALLOWED_{kind}"
        for value in filter(None, map(str.strip, os.environ.get(variable, "").split(","))):
            try:
                allowed[kind].append(parse(value))
            except argparse.ArgumentTypeError as error:
                parser.error(f"{variable}: {error}")
    try:
        state = open_state(options.state_url, env_prefix, name)
    except ValueError as error:
        parser.error(str(error))
    chosen = options.max_response_bytes if max_response_bytes is not None else None
    if chosen is not None:
        # The HTTP client reads the variable at each call: the option sets it for them all.
        os.environ[budget_variable] = str(chosen)
    elif max_response_bytes is not None and os.environ.get(budget_variable, "").strip():
        try:
            _number(int, 1_000)(os.environ[budget_variable].strip())
        except argparse.ArgumentTypeError as error:
            parser.error(f"{budget_variable}: {error}")
    if options.tool_surface not in (None, *SURFACES):
        parser.error(f"--tool-surface / {env_prefix}TOOL_SURFACE: not one of {', '.join(SURFACES)}")
    toolsets = options.toolsets and tuple(filter(None, map(str.strip, options.toolsets.split(","))))
    # stdout belongs to the protocol on stdio: the server's own log goes to stderr.
    logging.basicConfig(level=options.log_level, stream=sys.stderr)
    try:
        with serving(
            Serving(state, options.tool_surface, toolsets or None, options.dynamic_toolsets)
        ):
            server = build()
    except ServingError as error:
        parser.error(f"--toolsets / --tool-surface: {error}")
    # What start-up made lives as long as the process: frozen, it is left out of the
    # collector's passes from now on.
    gc.freeze()
    gc.enable()
    transport: Literal["stdio", "http"] = options.transport
    try:
        if transport == "http":
            http = HttpOptions(
                host=options.host,
                port=options.port,
                path=options.path,
                session_idle_timeout=options.session_idle_timeout,
                max_sessions=options.max_sessions,
                shutdown_grace=options.shutdown_grace,
                allowed_hosts=tuple(allowed["HOSTS"]),
                allowed_origins=tuple(allowed["ORIGINS"]),
                env_prefix=env_prefix,
                auth=guard,
            )
            anyio.run(serve_http, server, http)
        else:
            anyio.run(serve_stdio, server)
    except KeyboardInterrupt:
        pass
