"""An authorized server as replicas: tests/deploy/vault.toml (`[server.auth]`, a tool that
runs as a task) generated and deployed as its own Dockerfile, compose.yaml and nginx.conf
say, with Redis, three replicas and nginx round robin on loopback, and the issuer and
audience given at run time as `deploy/server.env` would (a local issuer: keys and JWKS
made by the test, `http_support/issuer.py`).

Through nginx: a request without a token is refused with the resource metadata's address;
a task is its caller's on every replica (another principal's `tasks/get` is "Unknown
taskId" wherever it lands, the caller's own polls spread over the replicas and find it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from click.testing import CliRunner
from deployment import Deployment, Shipped, deploy, spread
from http_support.issuer import Issuer, issuer
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcpgen.cli import main
from runtime_support import MODERN, TasksClient, start_task, task_request

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

HERE = Path(__file__).parent
REPLICAS = max(2, int(os.environ.get("MCPGEN_DEPLOY_REPLICAS", "3")))
# The resource the tokens are for: the URL clients reach nginx at, as deployed.
AUDIENCE = "http://localhost/mcp"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def authority() -> Iterator[Issuer]:
    with issuer() as running:
        yield running


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory, authority: Issuer) -> Iterator[Deployment]:
    """vault.toml generated, its handler written, deployed with the issuer and audience in
    the replicas' environment."""
    root = tmp_path_factory.mktemp("vault") / "project"
    generated = CliRunner().invoke(main, ["generate", str(HERE / "vault.toml"), "-o", str(root)])
    assert generated.exit_code == 0, generated.output
    for source in (HERE / "vault_handlers").rglob("*.py"):
        target = root / "src" / "vault" / "handlers" / source.relative_to(HERE / "vault_handlers")
        assert target.is_file(), target  # replaces a scaffolded stub
        shutil.copyfile(source, target)
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "src"),
        "PYTHONUNBUFFERED": "1",
        "VAULT_AUTH_ISSUER": authority.url,
        "VAULT_AUTH_AUDIENCE": AUDIENCE,
    }
    with deploy(Shipped(root, "vault"), REPLICAS, root.parent / "deployment", env) as running:
        yield running


def signed_in(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"})
    return Client(
        streamable_http_client(url, http_client=http), mode=MODERN, extensions=[TasksClient()]
    )


async def test_a_request_without_a_token_is_refused_through_nginx(
    vault: Deployment, authority: Issuer
) -> None:
    origin = vault.url.removesuffix("/mcp")
    async with httpx2.AsyncClient() as http:
        refused = await http.post(
            vault.url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            headers={"accept": "application/json, text/event-stream"},
        )
        assert refused.status_code == 401
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith('Bearer resource_metadata="'), challenge
        # The metadata's address is the audience's (the public URL); here nginx serves it.
        address = challenge.split('"')[1]
        assert address == "http://localhost/.well-known/oauth-protected-resource/mcp"
        metadata = await http.get(origin + address.removeprefix("http://localhost"))
    assert metadata.status_code == 200, metadata.text
    document = metadata.json()
    assert document["resource"] == AUDIENCE
    assert document["authorization_servers"] == [authority.url]


async def test_a_task_is_its_callers_alone_on_every_replica(
    vault: Deployment, authority: Issuer
) -> None:
    alice = authority.token(AUDIENCE, sub="alice", scope="mcp")
    bob = authority.token(AUDIENCE, sub="bob", scope="mcp")
    mark = len(vault.hits())
    async with signed_in(vault.url, alice) as as_alice, signed_in(vault.url, bob) as as_bob:
        created = await start_task(as_alice, "hold", {"seconds": 1})
        # Bob reads until his reads have landed on every replica (round robin spreads them; a
        # request between two of them moves it on): none gives him the task.
        ports = set(vault.replica_ports())
        for _ in range(4 * REPLICAS):
            with pytest.raises(MCPError, match="Unknown taskId"):
                await task_request(as_bob.session, "tasks/get", created.task_id)
            bobs = [hit for hit in vault.hits()[mark:] if hit.method == "tasks/get"]
            if set(spread(bobs)) == ports:
                break
        assert set(spread(bobs)) == ports, spread(bobs)
        with anyio.fail_after(30):
            while (found := await task_request(as_alice.session, "tasks/get", created.task_id))[
                "status"
            ] != "completed":
                await anyio.sleep(0.05)
    assert found["result"]["content"] == [{"type": "text", "text": "held for alice"}]
