"""OpenAPI in, a working server out: the published Petstore 3.0 document imported,
generated, started as a stdio subprocess and called through the SDK client, against the
loopback Petstore app (real state, a real socket), which records what went over the wire.

Nothing in between is written by hand: the spec is the importer's, the handlers are the
generator's. The document's own security schemes decide the credentials: `api_key` (a
header) is supported; `petstore_auth` (OAuth 2 implicit) is not, so operations that can
only use it are imported as anonymous, and the API answers them 401.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from http_support.petstore_app import API_KEY, PREFIX, serve_petstore
from http_support.project import ERROR_META, subprocess_env
from mcp import StdioServerParameters
from mcp.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "openapi" / "petstore-3.0.yaml"


def _mcpgen(*args: str | Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mcpgen {args[0]} failed:\n{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def imported_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mcpgen import openapi` of the fixture, then `mcpgen generate`: the project's src."""
    work = tmp_path_factory.mktemp("petstore-imported")
    spec = work / "petstore.toml"
    _mcpgen("import", "openapi", FIXTURE, "-o", spec, "--name", "petstore")
    _mcpgen("generate", spec, "-o", work / "project")
    return work / "project" / "src"


def _server(src: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "petstore"], env=subprocess_env(src, **env)
    )


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error and result.meta is not None, result
    error: dict[str, Any] = result.meta[ERROR_META]
    return error


async def test_imported_petstore_calls_the_api(imported_src: Path) -> None:
    with serve_petstore() as api:
        server = _server(imported_src, PETSTORE_BASE_URL=api.base_url, PETSTORE_API_KEY=API_KEY)
        async with Client(server) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            pet = await client.call_tool("get_pet_by_id", {"petId": 1})
            missing = await client.call_tool("get_pet_by_id", {"petId": 404})
            # Only OAuth 2 implicit can authorize adding a pet: sent without credentials.
            refused = await client.call_tool(
                "add_pet", {"body": {"name": "Nemo", "photoUrls": ["https://example.com/n"]}}
            )
            listed = await client.call_tool("find_pets_by_status", {"status": ["available"]})
            user = await client.call_tool("get_user_by_name", {"username": "ann"})

    # Every operation of the document is a tool, named from its operationId, annotated.
    assert len(tools) == 20
    assert tools["get_pet_by_id"].annotations is not None
    assert tools["get_pet_by_id"].annotations.read_only_hint is True
    assert tools["delete_pet"].annotations is not None
    assert tools["delete_pet"].annotations.destructive_hint is True
    assert tools["get_pet_by_id"].output_schema is not None

    assert pet.structured_content == api.app.pets[1]
    assert _error(missing)["type"] == "NotFoundError"
    assert _error(missing)["data"]["status"] == 404
    refusal = _error(refused)
    assert refusal["type"] == "HttpError" and refusal["data"]["status"] == 401
    assert listed.is_error  # anonymous as imported: the app wants credentials for /pet
    assert user.structured_content == api.app.users["ann"]

    seen = [(s.method, s.path, s.query) for s in api.app.seen]
    assert seen == [
        ("GET", f"{PREFIX}/pet/1", ""),
        ("GET", f"{PREFIX}/pet/404", ""),
        ("POST", f"{PREFIX}/pet", ""),
        ("GET", f"{PREFIX}/pet/findByStatus", "status=available"),
        ("GET", f"{PREFIX}/user/ann", ""),
    ]
    by_path = {s.path: s for s in api.app.seen}
    # The key goes exactly where the document's security asks for it, and nowhere else.
    assert by_path[f"{PREFIX}/pet/1"].headers.get("api_key") == API_KEY
    assert "api_key" not in by_path[f"{PREFIX}/pet"].headers
    assert json.loads(by_path[f"{PREFIX}/pet"].body) == {
        "name": "Nemo",
        "photoUrls": ["https://example.com/n"],
    }
    assert by_path[f"{PREFIX}/pet"].headers["content-type"] == "application/json"


async def test_imported_petstore_names_the_missing_credentials(imported_src: Path) -> None:
    with serve_petstore() as api:
        async with Client(_server(imported_src, PETSTORE_BASE_URL=api.base_url)) as client:
            result = await client.call_tool("get_pet_by_id", {"petId": 1})
    error = _error(result)
    assert error["type"] == "HttpCredentialsMissing"
    assert "PETSTORE_API_KEY" in result.content[0].text  # type: ignore[union-attr]
    assert api.app.seen == []  # refused before any request left
