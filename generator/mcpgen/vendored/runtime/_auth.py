"""Inbound authorization over streamable HTTP: the server as an OAuth 2.1 resource server,
as the MCP authorization spec asks.

Every request to the MCP endpoint carries a bearer token that an issuer (the spec's
`[server.auth]`, or `--auth-issuer`) gave for this server (its `audience`, the resource
URL); the token is checked by `_auth_tokens` (a JWT against the issuer's keys, or an opaque
token by introspection), and must grant the server's scopes, and a tool's own for a call
of that tool. Without one the answer is 401 and says where the server's Protected Resource
Metadata (RFC 9728) is, which names the issuer; with too few scopes, 403
`insufficient_scope` naming the scopes wanted (RFC 6750 section 3).

The SDK's pieces do the rest: `BearerAuthBackend` turns the header into an authenticated
user, `AuthContextMiddleware` makes its `AccessToken` the request's (`get_access_token()`:
the principal sealed input-required state and tasks are bound to, and `ctx.principal`),
`create_protected_resource_routes` serves the metadata.

Vendored only into servers whose spec has `[server.auth]`; `_cli` and `_http` reach it
through the `Authorization` and `ResourceServer` protocols of `_http`.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx2
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url, cors_middleware
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from pydantic import AnyHttpUrl, ValidationError
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._auth_tokens import (
    FETCH_TIMEOUT,
    JWT_ALGORITHMS,
    IntrospectionVerifier,
    Jwks,
    JwtVerifier,
    checked_url,
    secure,
)

_METADATA_ROOT = "/.well-known/oauth-protected-resource"
# A scope: printable ASCII but space, `"` and `\` (RFC 6749 section 3.3), so that it can
# stand in a challenge's quoted `scope="..."` as it is.
_SCOPE = re.compile(r"[!#-\[\]-~]+")
# Seconds a token's `exp` and `nbf` may be off: the issuer's clock and this one differ.
LEEWAY = 30.0


@dataclass(frozen=True)
class Authorization:
    """Who may call the server over HTTP, as its spec declares it; `configure` applies the
    run-time options and environment variables over it."""

    issuer: str | None = None
    """The authorization server whose tokens are taken (its `iss`)."""
    audience: str | None = None
    """This server's resource URL (`https://mcp.example.com/mcp`): the `aud` of its tokens,
    the `resource` of its metadata."""
    jwks_url: str | None = None
    """The issuer's keys; else found in its metadata (RFC 8414, then OpenID Discovery)."""
    introspection_url: str | None = None
    """Where opaque tokens are checked (RFC 7662); then every token is introspected."""
    scopes: Sequence[str] = ()
    """Scopes every request needs."""
    tool_scopes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Scopes a call of each tool needs besides, by tool name."""
    algorithms: Sequence[str] = JWT_ALGORITHMS
    leeway: float = LEEWAY
    resource_name: str | None = None
    documentation: str | None = None
    """A page for humans on how to get access (the metadata's `resource_documentation`)."""

    def add_arguments(self, parser: argparse.ArgumentParser, env_prefix: str) -> None:
        """The `--auth-*` options, whose defaults are the spec's values."""
        group = parser.add_argument_group(
            "authorization (HTTP: every request needs a bearer token from the issuer)"
        )
        for option, value, what in self._overridable(env_prefix):
            group.add_argument(
                f"--auth-{option}",
                default=None,
                metavar="URL" if option != "scopes" else "SCOPES",
                help=f"{what} (also {env_prefix}AUTH_{option.upper().replace('-', '_')}; "
                f"spec: {value or 'none'})",
            )

    def _overridable(self, env_prefix: str) -> list[tuple[str, str | None, str]]:
        return [
            ("issuer", self.issuer, "the issuer whose tokens are taken"),
            ("audience", self.audience, "this server's resource URL, its tokens' audience"),
            ("jwks-url", self.jwks_url, "the issuer's keys (default: from its metadata)"),
            (
                "introspection-url",
                self.introspection_url,
                "check opaque tokens there (RFC 7662), as the client "
                f"{env_prefix}AUTH_CLIENT_ID with the secret {env_prefix}AUTH_CLIENT_SECRET",
            ),
            ("scopes", " ".join(self.scopes), "scopes every request needs, space-separated"),
        ]

    def configure(
        self, options: argparse.Namespace, env_prefix: str, environ: Mapping[str, str]
    ) -> ResourceServer:
        """The resource server the command line, the environment and the spec say, in that
        order; `ValueError` says what is missing or wrong."""

        def value(option: str, declared: str | None) -> str | None:
            given = getattr(options, "auth_" + option.replace("-", "_"), None)
            variable = f"{env_prefix}AUTH_{option.upper().replace('-', '_')}"
            return given or environ.get(variable) or declared

        issuer = value("issuer", self.issuer)
        audience = value("audience", self.audience)
        if not issuer or not audience:
            raise ValueError(
                f"authorization needs an issuer and an audience: give --auth-issuer and "
                f"--auth-audience, or {env_prefix}AUTH_ISSUER and {env_prefix}AUTH_AUDIENCE"
            )
        scopes = value("scopes", " ".join(self.scopes)) or ""
        for scope in scopes.replace(",", " ").split():
            if not _SCOPE.fullmatch(scope):
                raise ValueError(f"not an OAuth scope (RFC 6749 section 3.3): {scope!r}")
        settled = replace(
            self,
            issuer=checked_url(issuer, "the issuer"),
            audience=audience,
            jwks_url=value("jwks-url", self.jwks_url),
            introspection_url=value("introspection-url", self.introspection_url),
            scopes=tuple(scopes.replace(",", " ").split()),
        )
        client_id = environ.get(f"{env_prefix}AUTH_CLIENT_ID")
        secret = environ.get(f"{env_prefix}AUTH_CLIENT_SECRET")
        return ResourceServer(settled, (client_id, secret or "") if client_id else None)


class ResourceServer:
    """A configured `Authorization`: the routes, the guard and the announcement `serve_http`
    puts in front of the MCP endpoint."""

    def __init__(self, settings: Authorization, credentials: tuple[str, str] | None = None) -> None:
        if not settings.issuer or not settings.audience:
            raise ValueError("authorization needs an issuer and an audience")
        self.settings = settings
        self.issuer = settings.issuer
        # Kept as written (the metadata's `resource`); a URL, or refused here.
        self.audience = settings.audience
        try:
            resource = AnyHttpUrl(settings.audience)
        except ValidationError:
            raise ValueError(f"the audience must be an http(s) URL: {self.audience!r}") from None
        self.client = httpx2.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False)
        self.verifier: TokenVerifier
        if settings.introspection_url:
            url = checked_url(settings.introspection_url, "the introspection URL")
            self.verifier = IntrospectionVerifier(
                self.client, url, self.issuer, self.audience, credentials, settings.leeway
            )
        else:
            jwks_url = settings.jwks_url and checked_url(settings.jwks_url, "the JWKS URL")
            self.jwks = Jwks(self.client, jwks_url or None, self.issuer)
            self.verifier = JwtVerifier(
                self.jwks, self.issuer, self.audience, settings.algorithms, settings.leeway
            )
        self.metadata_url = str(build_resource_metadata_url(resource))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the server serves: the connections to the issuer are closed after."""
        async with self.client:
            yield

    def routes(self) -> list[Route]:
        """The Protected Resource Metadata (RFC 9728), at the path its resource URL gives
        (`/.well-known/oauth-protected-resource/mcp`) and at the root form clients also try.

        Written here rather than by the SDK's `create_protected_resource_routes`, whose URL
        type renders the issuer `https://as.example.com` as `https://as.example.com/`: not
        the issuer identifier, which clients compare as a string (RFC 8414 section 3.3).
        """
        settings = self.settings
        document: dict[str, Any] = {
            "resource": self.audience,
            "authorization_servers": [self.issuer],
            "bearer_methods_supported": ["header"],
        }
        scopes = sorted({*settings.scopes, *_flat(settings.tool_scopes.values())})
        if scopes:
            document["scopes_supported"] = scopes
        if settings.resource_name:
            document["resource_name"] = settings.resource_name
        if settings.documentation:
            document["resource_documentation"] = settings.documentation

        def metadata(_: Request) -> Response:
            # Clients fetch it once per authorization: an hour's caching spares the rest.
            return JSONResponse(document, headers={"cache-control": "public, max-age=3600"})

        # Browser clients read it from other origins: the SDK's CORS wrapper allows them.
        endpoint = cors_middleware(metadata, ["GET", "OPTIONS"])
        paths = dict.fromkeys([urlsplit(self.metadata_url).path, _METADATA_ROOT])
        return [Route(path, endpoint, methods=["GET", "OPTIONS"]) for path in paths]

    def protect(self, app: Any) -> Any:
        """`app` (the MCP endpoint) behind the bearer token check."""
        gate = _Gate(app, self)
        return AuthenticationMiddleware(
            AuthContextMiddleware(gate), backend=BearerAuthBackend(self.verifier)
        )

    def describe(self) -> str:
        """Who may call, for the announcement."""
        scopes = f" granting {' '.join(self.settings.scopes)}" if self.settings.scopes else ""
        said = (
            f"every request needs a bearer token from {self.issuer} for {self.audience}"
            f"{scopes} (metadata: {self.metadata_url})"
        )
        if not secure(self.audience):
            # A bearer token is the caller's for as long as it lasts, to whoever reads it.
            said += (
                f".\nWARNING: clients reach it at {self.audience}, so their tokens cross the "
                "network in the clear: serve it behind TLS (a proxy) at an https URL"
            )
        return said


def _flat(groups: Any) -> list[str]:
    return [item for group in groups for item in group]


class _Gate:
    """Answers 401 to a request without a valid token, 403 to one whose token lacks the
    server's scopes or, for `tools/call`, the tool's; lets the rest through.

    The tool a call names is in the JSON-RPC body: when some tool has scopes of its own,
    a POST's body is read here (up to the SDK's own limit) and handed on as it came.
    """

    def __init__(self, app: Any, server: ResourceServer) -> None:
        self.app = app
        self.server = server
        self.required = frozenset(server.settings.scopes)
        self.tool_scopes = {
            name: frozenset(scopes) for name, scopes in server.settings.tool_scopes.items()
        }

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        user = scope.get("user")
        if not isinstance(user, AuthenticatedUser):
            presented = any(name == b"authorization" for name, _ in scope["headers"])
            # RFC 6750 section 3.1: a request with no token gets no error code.
            error = "invalid_token" if presented else None
            await self._refuse(send, 401, error, "a valid bearer token is required", self.required)
            return
        granted = frozenset(user.scopes)
        needed = self.required
        if self.tool_scopes and scope["method"] == "POST":
            body, receive = await _read_body(receive)
            if body is None:
                await _answer(send, 413, {"error": "request body too large"}, [])
                return
            try:
                needed = needed | self._tool_scopes(body)
            except _Duplicate:
                # Parsers disagree on which of two equal keys wins: the one read here for
                # the scopes might not be the one the server acts on.
                await _answer(send, 400, {"error": "duplicate keys in the JSON body"}, [])
                return
        missing = needed - granted
        if missing:
            await self._refuse(
                send,
                403,
                "insufficient_scope",
                f"the token lacks the scope {' '.join(sorted(missing))}",
                needed,
            )
            return
        await self.app(scope, receive, send)

    def _tool_scopes(self, body: bytes) -> frozenset[str]:
        try:
            message = json.loads(body, object_pairs_hook=_unique)
        except ValueError:
            return frozenset()  # the SDK answers a parse error; no tool runs
        needed: set[str] = set()
        for item in message if isinstance(message, list) else [message]:
            if isinstance(item, dict) and item.get("method") == "tools/call":
                params = item.get("params")
                name = params.get("name") if isinstance(params, dict) else None
                if isinstance(name, str):
                    needed |= self.tool_scopes.get(name, frozenset())
        return frozenset(needed)

    async def _refuse(
        self, send: Any, status: int, error: str | None, description: str, scopes: Any
    ) -> None:
        parts = [f'resource_metadata="{self.server.metadata_url}"']
        if error is not None:
            parts += [f'error="{error}"', f'error_description="{description}"']
        if scopes:
            parts.append(f'scope="{" ".join(sorted(scopes))}"')
        challenge = (b"www-authenticate", ("Bearer " + ", ".join(parts)).encode())
        body = {"error": error or "invalid_request", "error_description": description}
        await _answer(send, status, body, [challenge])


class _Duplicate(Exception):
    """A JSON object with a key twice."""


def _unique(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Duplicate
    return found


async def _read_body(receive: Any) -> tuple[bytes | None, Any]:
    """The request's body (None past the SDK's size limit) and a `receive` that hands it
    on to the app as it came, then whatever the client sends next (its disconnect)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > DEFAULT_MAX_REQUEST_BODY_SIZE:
            return None, receive
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _answer(send: Any, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
