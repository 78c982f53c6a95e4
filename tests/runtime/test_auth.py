"""Inbound authorization (`_auth`, `_auth_tokens`): the server as an OAuth 2.1 resource
server, against a local issuer (`http_support/issuer.py`: keys made here, served over a real
loopback socket) and the runtime's own HTTP app served by uvicorn in this test's loop.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx2
import jwt
import mcp_types as types
import pytest
import uvicorn
from http_support.issuer import Issuer, SigningKey, issuer
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import Context, Elicitation
from mcpgen.vendored.runtime._auth import Authorization, ResourceServer
from mcpgen.vendored.runtime._auth_tokens import (
    IntrospectionVerifier,
    Jwks,
    JwtVerifier,
    TokenRefused,
    metadata_urls,
)
from mcpgen.vendored.runtime._context import forwarded_headers
from mcpgen.vendored.runtime._http import HttpOptions, _announcement, http_app
from pydantic import BaseModel
from runtime_support import build, text_of, tool

AUDIENCE = "http://127.0.0.1/mcp"


@functools.cache
def keys() -> tuple[SigningKey, SigningKey]:
    # An RSA key takes some 50 ms to make: once for the module.
    return SigningKey.rsa("rsa-1"), SigningKey.ec("ec-1")


@pytest.fixture
def local_issuer() -> Iterator[Issuer]:
    with issuer(*keys()) as running:
        yield running


def verifier(local: Issuer, *, refetch: float = 10.0, jwks_url: str | None = None) -> JwtVerifier:
    client = httpx2.AsyncClient(timeout=5)
    return JwtVerifier(Jwks(client, jwks_url, local.url, refetch), local.url, AUDIENCE)


# -- JWTs -----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_a_valid_token_gives_the_principal_the_sdk_binds_state_to(
    local_issuer: Issuer, kid: str
) -> None:
    key = next(k for k in local_issuer.keys if k.kid == kid)
    token = local_issuer.token(AUDIENCE, key=key, scope="read write", sub="alice")
    access = await verifier(local_issuer).verified(token)
    assert access.subject == "alice"
    assert access.client_id == "test-client"
    assert access.scopes == ["read", "write"]
    assert access.claims is not None and access.claims["iss"] == local_issuer.url
    assert access.expires_at is not None and access.expires_at > time.time()
    assert access.resource == AUDIENCE
    # Found through the issuer's metadata (RFC 8414), no JWKS URL given.
    assert local_issuer.hits["/.well-known/oauth-authorization-server"] == 1


# Times are seconds from when the test runs, not from when pytest collected it: a CI run
# reached this test minutes after collection, and `nbf = collected + 120` was then past.
_FROM_NOW = ("exp", "nbf")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"exp": -120}, "expired"),
        ({"nbf": 120}, "not yet valid"),
        ({"aud": "http://127.0.0.1/other"}, "audience"),
        ({"aud": None}, "aud"),
        ({"iss": "http://127.0.0.1:1"}, "issuer"),
        ({"exp": None}, "exp"),
    ],
)
async def test_claims_that_do_not_hold_refuse_the_token(
    local_issuer: Issuer, claims: dict[str, Any], why: str
) -> None:
    now = int(time.time())
    claims = {
        name: now + value if name in _FROM_NOW and value is not None else value
        for name, value in claims.items()
    }
    token = local_issuer.token(AUDIENCE, **claims)
    with pytest.raises(TokenRefused, match=f"(?i){why}"):
        await verifier(local_issuer).verified(token)


@pytest.mark.anyio
async def test_a_small_clock_skew_is_tolerated(local_issuer: Issuer) -> None:
    token = local_issuer.token(AUDIENCE, exp=int(time.time()) - 5, nbf=int(time.time()) + 5)
    assert (await verifier(local_issuer).verified(token)).subject == "alice"


@pytest.mark.anyio
async def test_a_signature_by_another_key_is_refused(local_issuer: Issuer) -> None:
    # The kid of a published key, the signature of one that is not published.
    impostor = SigningKey.rsa("rsa-1")
    token = local_issuer.token(AUDIENCE, key=impostor)
    with pytest.raises(TokenRefused, match=r"(?i)signature"):
        await verifier(local_issuer).verified(token)


@pytest.mark.anyio
async def test_alg_none_and_hmac_with_the_public_key_are_refused(local_issuer: Issuer) -> None:
    unsigned = jwt.encode(
        {"iss": local_issuer.url, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        None,
        algorithm="none",
        headers={"kid": "rsa-1"},
    )
    with pytest.raises(TokenRefused, match="'none' is not allowed"):
        await verifier(local_issuer).verified(unsigned)
    # The classic confusion: the RSA public key, as published, used as an HMAC secret.
    with pytest.raises(TokenRefused, match="'HS256' is not allowed"):
        await verifier(local_issuer).verified(_hs256(local_issuer))


def _hs256(local: Issuer) -> str:
    """A token signed with HMAC-SHA256 whose secret is the issuer's RSA public JWK text
    (PyJWT itself refuses to sign with a key that looks public)."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    payload = b64(
        json.dumps({"iss": local.url, "aud": AUDIENCE, "exp": int(time.time()) + 60}).encode()
    )
    secret = json.dumps(local.keys[0].jwk()).encode()
    signature = b64(hmac.new(secret, header + b"." + payload, hashlib.sha256).digest())
    return (header + b"." + payload + b"." + signature).decode()


@pytest.mark.anyio
async def test_a_rotated_key_is_fetched_and_taken(local_issuer: Issuer) -> None:
    checker = verifier(local_issuer, refetch=0.05, jwks_url=local_issuer.jwks_url)
    await checker.verified(local_issuer.token(AUDIENCE))
    assert local_issuer.hits["/jwks"] == 1
    # The issuer switches keys: the old one is gone, a new one signs.
    new = SigningKey.rsa("rsa-2")
    local_issuer.keys = [new]
    await anyio.sleep(0.06)
    access = await checker.verified(local_issuer.token(AUDIENCE, key=new))
    assert access.subject == "alice"
    assert local_issuer.hits["/jwks"] == 2
    # Known now: no further fetch.
    await checker.verified(local_issuer.token(AUDIENCE, key=new))
    assert local_issuer.hits["/jwks"] == 2


@pytest.mark.anyio
async def test_a_flood_of_unknown_kids_refetches_the_keys_once(local_issuer: Issuer) -> None:
    checker = verifier(local_issuer, jwks_url=local_issuer.jwks_url)
    await checker.verified(local_issuer.token(AUDIENCE))
    stranger = SigningKey.rsa("stranger")
    for number in range(50):
        stranger.kid = f"bogus-{number}"
        with pytest.raises(TokenRefused, match="no key"):
            await checker.verified(local_issuer.token(AUDIENCE, key=stranger))
    # The first fetch, then none for 10 s however many kids come.
    assert local_issuer.hits["/jwks"] == 1


def test_metadata_is_looked_for_where_rfc_8414_then_openid_put_it() -> None:
    assert metadata_urls("https://as.example.com/tenant/1") == [
        "https://as.example.com/.well-known/oauth-authorization-server/tenant/1",
        "https://as.example.com/tenant/1/.well-known/openid-configuration",
    ]


# -- introspection --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_opaque_tokens_are_introspected(local_issuer: Issuer) -> None:
    checker = IntrospectionVerifier(
        httpx2.AsyncClient(timeout=5),
        local_issuer.introspection_url,
        local_issuer.url,
        AUDIENCE,
        ("rs-client", "rs-secret"),
    )
    active = local_issuer.opaque(AUDIENCE, scope="read", sub="bob")
    access = await checker.verify_token(active)
    assert access is not None and (access.subject, access.scopes) == ("bob", ["read"])
    assert access.token == active
    assert (
        local_issuer.introspection_auth[-1]
        == "Basic " + base64.b64encode(b"rs-client:rs-secret").decode()
    )
    # Answered from the cache the second time.
    assert await checker.verify_token(active) is not None
    assert local_issuer.hits["/introspect"] == 1
    assert await checker.verify_token("never-issued") is None
    other = local_issuer.opaque("http://127.0.0.1/other")
    assert await checker.verify_token(other) is None
    expired = local_issuer.opaque(AUDIENCE, exp=int(time.time()) - 120)
    assert await checker.verify_token(expired) is None


# -- over HTTP ------------------------------------------------------------------------------


class Go(BaseModel):
    go: bool


async def whoami(ctx: Context[Any], _: Any) -> str:
    principal = ctx.principal
    assert principal is not None
    return json.dumps(
        {
            "subject": principal.subject,
            "issuer": principal.issuer,
            "client_id": principal.client_id,
            "scopes": sorted(principal.scopes),
            "email": principal.claims.get("email"),
        }
    )


async def confirm(ctx: Context[Any], _: Any) -> str:
    answer: Elicitation[Go] = await ctx.elicit("Go?", Go)
    return f"go={answer.data.go if answer.data else None}"


def server_tools() -> list[Any]:
    return [tool("whoami", whoami), tool("delete", whoami), tool("confirm", confirm)]


@contextlib.asynccontextmanager
async def serving(
    local: Issuer, *tools: Any, **declared: Any
) -> AsyncIterator[tuple[str, ResourceServer]]:
    """The runtime's HTTP app with authorization, serving `tools` (by default
    `server_tools()`) on a free loopback port."""
    settings = Authorization(issuer=local.url, tool_scopes={"delete": ("admin",)}, **declared)
    parser = argparse.ArgumentParser()
    settings.add_arguments(parser, "TEST_")
    guard = settings.configure(parser.parse_args([]), "TEST_", {"TEST_AUTH_AUDIENCE": AUDIENCE})
    options = HttpOptions(port=0, auth=guard)
    front, _, _ = http_app(build(*(tools or server_tools())), options)
    config = uvicorn.Config(front, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        while not server.started:
            await anyio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", guard
        finally:
            server.should_exit = True


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.anyio
async def test_no_token_gets_401_naming_the_metadata(local_issuer: Issuer) -> None:
    async with serving(local_issuer, scopes=("mcp",)) as (url, _), httpx2.AsyncClient() as http:
        answer = await http.post(url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "x"})
        assert answer.status_code == 401
        challenge = answer.headers["www-authenticate"]
        metadata = "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"
        assert challenge == f'Bearer resource_metadata="{metadata}", scope="mcp"'
        answer = await http.post(url + "/mcp", headers=bearer("not-a-jwt"), json={})
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        # The metadata (RFC 9728), at the path-suffixed and root forms.
        for path in (
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
        ):
            document = (await http.get(url + path)).json()
            assert document == {
                "resource": AUDIENCE,
                # The issuer identifier exactly: clients compare it as a string with the
                # `issuer` of its metadata (RFC 8414 section 3.3), no slash added.
                "authorization_servers": [local_issuer.url],
                "scopes_supported": ["admin", "mcp"],
                "bearer_methods_supported": ["header"],
            }


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_handlers_see_the_caller_and_a_tool_scope_is_enforced(
    local_issuer: Issuer, mode: str
) -> None:
    token = local_issuer.token(AUDIENCE, scope="mcp read", email="alice@example.com")
    async with serving(local_issuer, scopes=("mcp",)) as (url, _):
        http = httpx2.AsyncClient(headers=bearer(token), timeout=10)
        async with Client(
            streamable_http_client(url + "/mcp", http_client=http), mode=mode
        ) as client:
            result = await client.call_tool("whoami", {})
            assert json.loads(text_of(result)) == {
                "subject": "alice",
                "issuer": local_issuer.url,
                "client_id": "test-client",
                "scopes": ["mcp", "read"],
                "email": "alice@example.com",
            }
            # The SDK's client takes the 403 for an error answer (the raw answer is below).
            with pytest.raises(MCPError):
                await client.call_tool("delete", {})
        async with httpx2.AsyncClient() as raw:
            call = {
                "jsonrpc": "2.0",
                "id": 7,
                "method": "tools/call",
                "params": {"name": "delete", "arguments": {}},
            }
            answer = await raw.post(url + "/mcp", headers=bearer(token), json=call)
            assert answer.status_code == 403
            assert answer.headers["www-authenticate"] == (
                'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp", '
                'error="insufficient_scope", error_description="the token lacks the scope admin", '
                'scope="admin mcp"'
            )
            # Two "name" keys: which one counts is not left to the parsers.
            twice = json.dumps(call).replace(
                '"name": "delete"', '"name": "whoami", "name": "delete"'
            )
            answer = await raw.post(
                url + "/mcp",
                headers={**bearer(token), "content-type": "application/json"},
                content=twice,
            )
            assert answer.status_code == 400
            short = local_issuer.token(AUDIENCE, scope="read")
            answer = await raw.post(url + "/mcp", headers=bearer(short), json=call)
            assert answer.status_code == 403
            assert 'scope="admin mcp"' in answer.headers["www-authenticate"]


@pytest.mark.anyio
async def test_another_principal_cannot_answer_a_callers_input_request(
    local_issuer: Issuer,
) -> None:
    alice = local_issuer.token(AUDIENCE, sub="alice", scope="mcp")
    bob = local_issuer.token(AUDIENCE, sub="bob", scope="mcp")
    async with serving(local_issuer) as (url, _):
        for answerer, outcome in ((bob, None), (alice, "go=True")):
            http = httpx2.AsyncClient(headers=bearer(alice), timeout=10)

            async def answer(context: Any, params: Any) -> types.ElicitResult:
                # The retry carrying alice's sealed requestState goes out with this token.
                http.headers["authorization"] = f"Bearer {answerer}"  # noqa: B023
                return types.ElicitResult(action="accept", content={"go": True})

            client = Client(
                streamable_http_client(url + "/mcp", http_client=http),
                mode="2026-07-28",
                elicitation_callback=answer,
            )
            async with client:
                if outcome is None:
                    with pytest.raises(MCPError, match=r"(?i)requestState"):
                        await client.call_tool("confirm", {})
                else:
                    assert text_of(await client.call_tool("confirm", {})) == outcome


@pytest.mark.anyio
async def test_the_announcement_says_who_may_call(local_issuer: Issuer) -> None:
    declared = Authorization(issuer=local_issuer.url, audience=AUDIENCE, scopes=("mcp",))
    guard = declared.configure(argparse.Namespace(), "TEST_", {})
    text = _announcement("x MCP server", HttpOptions(host="0.0.0.0", auth=guard), 8000)
    assert (
        "It listens beyond this machine's loopback (0.0.0.0); Authorization: every request "
        f"needs a bearer token from {local_issuer.url} for {AUDIENCE} granting mcp" in text
    )
    assert "there is no authorization" not in text
    assert "in the clear" not in text  # its audience is on loopback
    public = Authorization(issuer=local_issuer.url, audience="http://notes.example.com/mcp")
    guard = public.configure(argparse.Namespace(), "TEST_", {})
    text = _announcement("x MCP server", HttpOptions(host="0.0.0.0", auth=guard), 8000)
    assert "WARNING: clients reach it at http://notes.example.com/mcp" in text
    bare = _announcement("x MCP server", HttpOptions(host="0.0.0.0"), 8000)
    assert "whoever can reach it can call every tool, and there is no authorization" in bare


def test_the_command_line_overrides_the_spec_and_needs_issuer_and_audience() -> None:
    declared = Authorization(
        issuer="https://as.example.com", audience="https://mcp.example.com/mcp"
    )
    parser = argparse.ArgumentParser()
    declared.add_arguments(parser, "PKG_")
    options = parser.parse_args(["--auth-issuer", "https://other.example.com"])
    env = {"PKG_AUTH_AUDIENCE": "https://env.example.com/mcp", "PKG_AUTH_SCOPES": "a,b"}
    guard = declared.configure(options, "PKG_", env)
    assert (guard.issuer, guard.audience) == (
        "https://other.example.com",
        "https://env.example.com/mcp",
    )
    assert guard.settings.scopes == ("a", "b")
    with pytest.raises(ValueError, match="--auth-audience"):
        Authorization(issuer="https://as.example.com").configure(parser.parse_args([]), "PKG_", {})
    with pytest.raises(ValueError, match="not an OAuth scope"):
        declared.configure(options, "PKG_", {**env, "PKG_AUTH_SCOPES": 'a "b'})
    with pytest.raises(ValueError, match="the audience must be an http"):
        Authorization(issuer="https://as.example.com", audience="urn:notes").configure(
            parser.parse_args([]), "PKG_", {}
        )
    with pytest.raises(ValueError, match="https"):
        Authorization(issuer="http://as.example.com", audience="https://x/mcp").configure(
            parser.parse_args([]), "PKG_", {}
        )
    help_text = parser.format_help()
    for name in (
        "--auth-issuer",
        "PKG_AUTH_ISSUER",
        "--auth-audience",
        "PKG_AUTH_AUDIENCE",
        "--auth-jwks-url",
        "PKG_AUTH_JWKS_URL",
    ):
        assert name in help_text


@pytest.mark.anyio
async def test_without_authorization_handlers_see_no_principal(mode: str) -> None:
    async def nobody(ctx: Context[Any], _: Any) -> str:
        return repr(ctx.principal)

    async with Client(build(tool("nobody", nobody)), mode=mode) as client:
        assert text_of(await client.call_tool("nobody", {})) == "None"


@pytest.mark.anyio
async def test_the_host_guard_stands_in_front_of_the_token_check(local_issuer: Issuer) -> None:
    token = local_issuer.token(AUDIENCE, scope="mcp")
    async with serving(local_issuer) as (url, _), httpx2.AsyncClient() as http:
        port = url.rsplit(":", 1)[1]
        forged = {**bearer(token), "host": f"evil.example:{port}"}
        answer = await http.post(url + "/mcp", headers=forged, json={})
        assert answer.status_code == 421


@pytest.mark.anyio
async def test_the_clients_credentials_are_never_forwarded(local_issuer: Issuer) -> None:
    """Whatever an `Api.forward_headers` lists (the spec refuses these at load)."""
    seen: list[dict[str, str]] = []

    async def forwarding(ctx: Context[Any], _: Any) -> str:
        names = ["authorization", "cookie", "proxy-authorization", "x-user-token"]
        seen.append(forwarded_headers(ctx, names))
        return "ok"

    token = local_issuer.token(AUDIENCE)
    async with serving(local_issuer, tool("forwarding", forwarding)) as (url, _):
        headers = {**bearer(token), "x-user-token": "u-1", "cookie": "a=b"}
        http = httpx2.AsyncClient(headers=headers, timeout=10)
        async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
            await client.call_tool("forwarding", {})
    assert seen == [{"x-user-token": "u-1"}]


@pytest.mark.anyio
async def test_an_introspecting_server_serves_opaque_tokens(local_issuer: Issuer) -> None:
    introspection = local_issuer.introspection_url
    async with serving(local_issuer, introspection_url=introspection) as (url, _):
        token = local_issuer.opaque(AUDIENCE, sub="carol", scope="mcp")
        http = httpx2.AsyncClient(headers=bearer(token), timeout=10)
        async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
            who = json.loads(text_of(await client.call_tool("whoami", {})))
        assert (who["subject"], who["scopes"]) == ("carol", ["mcp"])
        async with httpx2.AsyncClient() as raw:
            inactive = await raw.post(url + "/mcp", headers=bearer("revoked"), json={})
        assert inactive.status_code == 401


@pytest.mark.anyio
async def test_another_principal_finds_no_session_of_the_caller(local_issuer: Issuer) -> None:
    """2025-11-25 sessions are bound to the principal that opened them (the SDK's session
    manager compares the token's client, issuer and subject): bob gets 404, not alice's."""
    alice = local_issuer.token(AUDIENCE, sub="alice")
    bob = local_issuer.token(AUDIENCE, sub="bob")
    accept = {"accept": "application/json, text/event-stream"}
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with serving(local_issuer) as (url, _), httpx2.AsyncClient(timeout=10) as http:
        opened = await http.post(url + "/mcp", headers={**accept, **bearer(alice)}, json=initialize)
        session = {"mcp-session-id": opened.headers["mcp-session-id"]}
        session["mcp-protocol-version"] = "2025-11-25"
        for token, status in ((bob, 404), (alice, 200)):
            answer = await http.post(
                url + "/mcp", headers={**accept, **session, **bearer(token)}, json=listing
            )
            assert answer.status_code == status
