"""A generated server with `[server.auth]`, run as `python -m guarded --transport http` (a
real subprocess on a loopback port) against a local issuer (`http_support/issuer.py`: keys
and JWKS made here, its metadata found by discovery) and a loopback recorder for its API.

The issuer and the audience are given at run time (`--auth-issuer`, `GUARDED_AUTH_AUDIENCE`),
as a deployment does; the spec (guarded.toml) names only the scopes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from http_support.issuer import Issuer, SigningKey, issuer
from http_support.recorder import Reply, Running, recorder
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from regeneration_support import cli
from server_process import HttpServer, serve_http

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

HERE = Path(__file__).parent
AUDIENCE = "http://127.0.0.1/mcp"
WHOAMI = '''\
"""Handler of the whoami tool."""

from __future__ import annotations

import json

from guarded._generated import models, runtime


async def whoami(ctx: runtime.Context, args: models.WhoamiInput) -> runtime.ToolReturn:
    principal = ctx.principal
    if principal is None:
        return "nobody"
    return json.dumps(
        {
            "subject": principal.subject,
            "issuer": principal.issuer,
            "client_id": principal.client_id,
            "scopes": sorted(principal.scopes),
        }
    )
'''
PURGE = '''\
"""Handler of the purge tool."""

from __future__ import annotations

from guarded._generated import models, runtime


async def purge(ctx: runtime.Context, args: models.PurgeInput) -> runtime.ToolReturn:
    return "purged"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("guarded")
    generated = cli("generate", HERE / "guarded.toml", "-o", root)
    assert generated.exit_code == 0, generated.output
    tools = root / "src" / "guarded" / "handlers" / "tools"
    (tools / "whoami.py").write_text(WHOAMI, encoding="utf-8")
    (tools / "purge.py").write_text(PURGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def local_issuer() -> Iterator[Issuer]:
    with issuer(SigningKey.ec("ec-1")) as running:
        yield running


@pytest.fixture(scope="module")
def api() -> Iterator[Running]:
    with recorder() as running:
        yield running


@pytest.fixture(scope="module")
def server(
    project: Path, local_issuer: Issuer, api: Running, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HttpServer]:
    env = {
        **_env(project),
        "GUARDED_AUTH_AUDIENCE": AUDIENCE,
        "GUARDED_BASE_URL": api.origin,
    }
    log = tmp_path_factory.mktemp("log") / "server.log"
    with serve_http("guarded", env, log, "--auth-issuer", local_issuer.url) as running:
        yield running


def _env(project: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONUNBUFFERED": "1"}


def client(url: str, token: str, mode: str) -> Client:
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}", "x-user-token": "u-1"})
    return Client(streamable_http_client(url, http_client=http), mode=mode)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_token_from_the_issuer_is_served_and_never_reaches_the_api(
    server: HttpServer, local_issuer: Issuer, api: Running, mode: str
) -> None:
    api.app.reset()
    api.app.respond = lambda _: Reply(body={"name": "Alice"})
    token = local_issuer.token(AUDIENCE, scope="mcp", sub="alice")
    async with client(server.url, token, mode) as session:
        who = await session.call_tool("whoami", {})
        assert json.loads(who.content[0].text) == {  # type: ignore[union-attr]
            "subject": "alice",
            "issuer": local_issuer.url,
            "client_id": "test-client",
            "scopes": ["mcp"],
        }
        profile = await session.call_tool("fetch_profile", {})
        assert not profile.is_error, profile
        # Lacking `admin`: 403, which the SDK's client reports as an error answer.
        with pytest.raises(MCPError):
            await session.call_tool("purge", {})
    (seen,) = api.app.seen
    assert seen.headers["x-user-token"] == "u-1"  # forwarded: the spec lists it
    assert "authorization" not in seen.headers
    assert all(token not in value for value in seen.headers.values())
    assert token.encode() not in seen.body


async def test_requests_without_a_valid_token_are_refused(
    server: HttpServer, local_issuer: Issuer
) -> None:
    metadata = "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"
    async with httpx2.AsyncClient() as http:
        answer = await http.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == (
            f'Bearer resource_metadata="{metadata}", scope="mcp"'
        )
        expired = local_issuer.token(AUDIENCE, scope="mcp", exp=1)
        answer = await http.post(
            server.url,
            headers={"authorization": f"Bearer {expired}"},
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        )
        assert answer.status_code == 401
        base = server.url.removesuffix("/mcp")
        document = (await http.get(base + "/.well-known/oauth-protected-resource/mcp")).json()
        assert document["resource"] == AUDIENCE
        assert document["authorization_servers"] == [local_issuer.url]
    # Found through discovery: the issuer's RFC 8414 metadata, then its keys.
    assert local_issuer.hits["/.well-known/oauth-authorization-server"] == 1
    assert "Authorization: every request needs a bearer token from" in server.stderr()


def test_help_names_the_options_and_variables(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "guarded", "--help"],
        env=_env(project),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "## Authorization" in readme
    for name in ("issuer", "audience", "jwks-url"):
        variable = "GUARDED_AUTH_" + name.upper().replace("-", "_")
        assert f"--auth-{name}" in done.stdout and variable in done.stdout
        assert f"`--auth-{name}` | `{variable}`" in readme


def test_without_issuer_and_audience_it_refuses_to_start(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "guarded", "--transport", "http", "--port", "0"],
        env=_env(project),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--auth-issuer" in done.stderr and "GUARDED_AUTH_AUDIENCE" in done.stderr
