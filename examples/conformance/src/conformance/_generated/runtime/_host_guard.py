"""DNS rebinding protection: which hosts and origins an HTTP server answers."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import mcp_types as types

from ._types import logger


def host_and_port(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` as a Host header spells it (IPv6 in brackets), or None if malformed."""
    if value.count(":") > 1 and not value.startswith("["):
        value = f"[{value}]"  # an IPv6 address written bare, as in `--allowed-host ::1`
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path:
        return None
    return parts.hostname, port


def parse_origin(value: str) -> tuple[str, str, int | None] | None:
    """An Origin as (scheme, host, port), the scheme's default port filled in; `:*` is any."""
    any_port = value.endswith(":*")
    try:
        parts = urlsplit(value.removesuffix(":*"))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if any_port:
        return parts.scheme, parts.hostname, None
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_loopback(name: str) -> bool:
    """`localhost`, or an address of the loopback interface (127.0.0.0/8, ::1)."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostGuard:
    """Refuses a request that names the server by a host it does not answer to (421), or
    that a browser page of an origin not allowed sent (403): DNS rebinding protection.

    A web page whose name an attacker points at this machine's address sends its own name
    as Host, and its own origin as Origin; non-browser clients send no Origin. Answered by
    default: loopback names (`localhost`, 127.0.0.0/8, `[::1]`) and the address the
    request reached (an address, not a name, cannot be rebound), on any port or none (a
    reverse proxy may send `Host: 127.0.0.1`); browser pages from loopback origins, as
    local tools such as the MCP Inspector are. `--allowed-host` / `--allowed-origin` add.
    """

    # Verdicts kept, by (Host, Origin, local address): a server hears the same few again and
    # again, and judging one parses a URL and an address (~40 function calls, 3 times per
    # tool call of a 2025-era client). Bounded: the headers are the client's to choose.
    VERDICTS_KEPT = 1024

    def __init__(self, app: Any, hosts: Iterable[str], origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = {parsed for parsed in map(host_and_port, hosts) if parsed is not None}
        self.origins = {parsed for parsed in map(parse_origin, origins) if parsed is not None}
        self._verdicts: dict[tuple[bytes, bytes, str | None], tuple[int, str, str] | None] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = origin = b""
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value
                elif name == b"origin":
                    origin = value
            local = scope.get("server")
            key = (host, origin, local[0] if local else None)
            try:
                refusal = self._verdicts[key]
            except KeyError:
                if len(self._verdicts) >= self.VERDICTS_KEPT:
                    self._verdicts.clear()
                refusal = self._verdicts[key] = self._judge(*key)
            if refusal is not None:
                status, reason, warning = refusal
                logger.warning(warning)
                await _refuse(send, status, reason)
                return
        await self.app(scope, receive, send)

    def _judge(
        self, host_header: bytes, origin_header: bytes, local_address: str | None
    ) -> tuple[int, str, str] | None:
        """None for a request to answer, else (status, the client's reason, the log's)."""
        host = host_header.decode("latin-1")
        origin = origin_header.decode("latin-1")
        if not self.host_allowed(host, local_address):
            reason = f"Host {host!r} is not a name this server answers to"
            return 421, reason, f"refused a request naming host {host!r} (--allowed-host adds one)"
        if origin and not self.origin_allowed(origin):
            reason = f"Origin {origin!r} may not call this server"
            return (
                403,
                reason,
                f"refused a request from origin {origin!r} (--allowed-origin adds one)",
            )
        return None

    def host_allowed(self, host: str, local_address: str | None) -> bool:
        parsed = host_and_port(host)
        if parsed is None:
            return False
        name, port = parsed
        return (
            is_loopback(name)
            or name == local_address
            or (name, None) in self.hosts
            or (name, port) in self.hosts
        )

    def origin_allowed(self, origin: str) -> bool:
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        scheme, name, _ = parsed
        return is_loopback(name) or parsed in self.origins or (scheme, name, None) in self.origins


async def _refuse(send: Any, status: int, message: str) -> None:
    """Answer with `status` and a JSON-RPC error (no id) carrying `message`."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": types.INVALID_REQUEST, "message": message}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
