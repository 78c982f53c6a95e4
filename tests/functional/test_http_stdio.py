"""The generated Petstore server as a real stdio subprocess, configured by its environment,
calling the loopback Petstore: requests, credentials, errors and cancellation end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from http_support.petstore_app import API_KEY, PREFIX, TOKEN, serve_petstore
from http_support.project import ERROR_META, PACKAGE, generate_petstore, subprocess_env
from mcp import StdioServerParameters
from mcp.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def petstore_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_petstore(tmp_path_factory.mktemp("petstore-stdio"))


async def test_stdio_server_calls_the_api(petstore_src: Path) -> None:
    with serve_petstore() as api:
        env = subprocess_env(petstore_src, PETSTORE_BASE_URL=api.base_url, PETSTORE_API_KEY=API_KEY)
        server = StdioServerParameters(command=sys.executable, args=["-m", PACKAGE], env=env)
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
            pet = await client.call_tool("getPetById", {"petId": 1})
            missing = await client.call_tool("getPetById", {"petId": 404})
            added = await client.call_tool("addPet", {"name": "Nemo", "photoUrls": []})
            inventory = await client.call_tool("getInventory", {})

            api.app.delay = 10.0
            async with anyio.create_task_group() as group:

                async def call() -> None:
                    await client.call_tool("findPetsByTags", {"tags": ["cat"]})

                group.start_soon(call)
                with anyio.fail_after(10):
                    while len(api.app.seen) < 5:
                        await anyio.sleep(0.01)
                group.cancel_scope.cancel()
            with anyio.fail_after(10):
                while not api.app.disconnected:
                    await anyio.sleep(0.01)
            api.app.delay = 0.0
            # The server lives on after the cancelled call.
            after = await client.call_tool("getPetById", {"petId": 2})

    assert len(tools) == 11
    assert pet.structured_content == api.app.pets[1]
    assert missing.is_error and missing.meta is not None
    assert missing.meta[ERROR_META]["type"] == "PetNotFound"
    assert added.structured_content is not None and added.structured_content["name"] == "Nemo"
    assert inventory.structured_content == {"available": 2, "pending": 1, "sold": 1}
    assert [(s.method, s.path) for s in api.app.seen] == [
        ("GET", f"{PREFIX}/pet/1"),
        ("GET", f"{PREFIX}/pet/404"),
        ("POST", f"{PREFIX}/pet"),
        ("GET", f"{PREFIX}/store/inventory"),
        ("GET", f"{PREFIX}/pet/findByTags"),
        ("GET", f"{PREFIX}/pet/2"),
    ]
    # Only the API key was set: every request carried it, none a bearer token.
    assert all(s.headers.get("api_key") == API_KEY for s in api.app.seen)
    assert not any("authorization" in s.headers for s in api.app.seen)
    assert api.app.disconnected == [f"{PREFIX}/pet/findByTags"]
    assert after.structured_content == api.app.pets[2]


async def test_stdio_server_without_credentials_says_which_to_set(petstore_src: Path) -> None:
    with serve_petstore() as api:
        env = subprocess_env(petstore_src, PETSTORE_BASE_URL=api.base_url)
        server = StdioServerParameters(command=sys.executable, args=["-m", PACKAGE], env=env)
        async with Client(server) as client:
            result = await client.call_tool("getPetById", {"petId": 1})
            anonymous = await client.call_tool("getUserByName", {"username": "ann"})
    assert result.is_error
    [block] = result.content
    assert isinstance(block, types.TextContent)
    assert (
        block.text == "GET /pet/{petId} needs credentials: set PETSTORE_TOKEN or PETSTORE_API_KEY"
    )
    assert anonymous.structured_content == api.app.users["ann"]
    assert [s.path for s in api.app.seen] == [f"{PREFIX}/user/ann"]
    assert TOKEN not in str(api.app.seen)


async def test_the_command_lines_budget_reaches_every_tool(petstore_src: Path) -> None:
    """`--max-response-bytes` over the spec's budget (findPetsByTags has its own: 50,000)."""
    with serve_petstore() as api:
        for number in range(10, 40):
            api.app.pets[number] = {
                "id": number,
                "name": f"Cat {number}",
                "photoUrls": [],
                "tags": [{"id": 7, "name": "cat"}],
                "status": "available",
            }
        env = subprocess_env(petstore_src, PETSTORE_BASE_URL=api.base_url, PETSTORE_API_KEY=API_KEY)
        args = ["-m", PACKAGE, "--max-response-bytes", "1000"]
        server = StdioServerParameters(command=sys.executable, args=args, env=env)
        async with Client(server) as client:
            result = await client.call_tool("findPetsByTags", {"tags": ["cat"]})
    assert not result.is_error and result.structured_content is not None
    data, said = result.content
    assert isinstance(data, types.TextContent) and isinstance(said, types.TextContent)
    assert len(data.text.encode()) <= 1_000
    assert "cut to fit this tool's budget of 1,000 bytes" in said.text
    assert said.text.endswith(
        f"`limit`={len(result.structured_content['result'])} for an answer that fits.]"
    )
