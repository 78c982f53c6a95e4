"""A server generated from specs/petstore.toml, its tools calling a real HTTP API.

The Petstore app (tests/http_support) runs on a loopback socket and records what it
receives; the generated server runs in this process and is called through the SDK
`Client`. Each test checks both ends: the tool's result, and the request the API saw.
"""

from __future__ import annotations

import base64
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import mcp_types as types
import pytest
from http_support.petstore_app import API_KEY, PREFIX, TOKEN, RunningPetstore, serve_petstore
from http_support.project import ERROR_META, PACKAGE, generate_petstore
from mcp.client import Client
from mcp.server.lowlevel import Server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def petstore_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    src = generate_petstore(tmp_path_factory.mktemp("petstore-project"))
    sys.path.insert(0, str(src))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(src))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def build(petstore_package: ModuleType) -> Callable[[], Server[Any]]:
    built: Callable[[], Server[Any]] = petstore_package.build_server
    return built


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPetstore]:
    """A fresh Petstore; the server finds it, and a bearer token, in the environment."""
    with serve_petstore() as running:
        monkeypatch.setenv("PETSTORE_BASE_URL", running.base_url)
        monkeypatch.setenv("PETSTORE_TOKEN", TOKEN)
        monkeypatch.delenv("PETSTORE_API_KEY", raising=False)
        yield running


def error_of(result: types.CallToolResult) -> dict[str, Any]:
    assert result.is_error, result.content
    assert result.meta is not None, result.content
    error: dict[str, Any] = result.meta[ERROR_META]
    return error


def text_of(result: types.CallToolResult) -> str:
    [block] = result.content
    assert isinstance(block, types.TextContent)
    return block.text


# -- requests and results -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_get_by_id_is_a_typed_structured_result(
    build: Callable[[], Server[Any]], api: RunningPetstore, mode: Any
) -> None:
    async with Client(build(), mode=mode) as client:
        result = await client.call_tool("getPetById", {"petId": 1})
    assert not result.is_error, result.content
    # Category refers to itself, Pet and Owner to each other: all of it comes through.
    assert result.structured_content == api.app.pets[1]
    assert result.structured_content["category"]["parent"]["name"] == "Pets"
    [seen] = api.app.seen
    assert (seen.method, seen.path, seen.query) == ("GET", f"{PREFIX}/pet/1", "")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["accept"] == "application/json"
    assert "api_key" not in seen.headers


async def test_query_styles_and_wrapped_arrays(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        by_status = await client.call_tool("findPetsByStatus", {"status": ["available", "sold"]})
        by_tags = await client.call_tool("findPetsByTags", {"tags": ["good", "cat"], "limit": 1})
    # explode = false: one parameter, values joined by literal commas.
    assert api.app.seen[0].query == "status=available,sold"
    # explode = true (form's default): the parameter repeated.
    assert api.app.seen[1].query == "tags=good&tags=cat&limit=1"
    assert by_status.structured_content == {"result": [api.app.pets[1], api.app.pets[3]]}
    assert by_tags.structured_content == {"result": [api.app.pets[1]]}


async def test_merged_json_body_holds_only_what_was_given(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        added = await client.call_tool(
            "addPet", {"name": "Nemo", "photoUrls": [], "tags": [{"name": "fish"}]}
        )
        again = await client.call_tool("getPetById", {"petId": 100})
    assert not added.is_error, added.content
    [post, get] = api.app.seen
    assert (post.method, post.path) == ("POST", f"{PREFIX}/pet")
    assert post.headers["content-type"] == "application/json"
    assert post.json() == {"name": "Nemo", "photoUrls": [], "tags": [{"name": "fish"}]}
    assert added.structured_content is not None
    assert added.structured_content["id"] == 100
    assert again.structured_content == added.structured_content
    assert get.path == f"{PREFIX}/pet/100"


async def test_custom_handler_starts_as_the_generated_call(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        updated = await client.call_tool(
            "updatePet", {"id": 2, "name": "Thomas", "photoUrls": ["t.jpg"], "status": "sold"}
        )
        missing = await client.call_tool("updatePet", {"id": 77, "name": "X", "photoUrls": []})
    assert updated.structured_content is not None
    assert updated.structured_content["name"] == "Thomas"
    assert api.app.seen[0].method == "PUT"
    assert api.app.seen[0].json() == {
        "id": 2,
        "name": "Thomas",
        "photoUrls": ["t.jpg"],
        "status": "sold",
    }
    assert error_of(missing)["type"] == "PetNotFound"


async def test_form_body_header_parameter_and_empty_answer(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        renamed = await client.call_tool(
            "updatePetWithForm", {"petId": 3, "name": "Kit & Co", "status": "pending"}
        )
        deleted = await client.call_tool("deletePet", {"petId": 3, "request_id": "req-7"})
        again = await client.call_tool("deletePet", {"petId": 3})
    assert renamed.structured_content is not None
    assert renamed.structured_content["name"] == "Kit & Co"
    form, delete, second = api.app.seen
    assert form.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form.body == b"name=Kit+%26+Co&status=pending"
    assert (delete.method, delete.path) == ("DELETE", f"{PREFIX}/pet/3")
    assert delete.headers["x-request-id"] == "req-7"
    assert "x-request-id" not in second.headers
    assert not deleted.is_error
    assert text_of(deleted) == "DELETE /pet/{petId}: HTTP 204"
    assert 3 not in api.app.pets
    assert error_of(again)["type"] == "PetNotFound"


async def test_binary_body_from_base64_and_encoded_query(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    image = bytes(range(256))
    async with Client(build()) as client:
        result = await client.call_tool(
            "uploadFile",
            {
                "petId": 1,
                "additionalMetadata": "a b&c=d",
                "image": base64.b64encode(image).decode(),
            },
        )
    assert not result.is_error, result.content
    [seen] = api.app.seen
    assert seen.headers["content-type"] == "application/octet-stream"
    assert seen.body == image
    assert seen.query == "additionalMetadata=a%20b%26c%3Dd"
    assert result.structured_content is not None
    assert "256 bytes" in result.structured_content["message"]


async def test_text_answer_and_cookie_without_credentials(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        result = await client.call_tool("logoutUser", {"session": "s 1;x"})
    assert text_of(result) == "logged out s 1;x"
    [seen] = api.app.seen
    assert seen.headers["cookie"] == "session_id=s%201%3Bx"
    # The operation needs no credentials: the token set in the environment is not sent.
    assert "authorization" not in seen.headers


async def test_path_values_stay_inside_their_segment(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        results = [
            await client.call_tool("getUserByName", {"username": name})
            for name in ["../pet/1", "..", ".", "a?b#c", "ann"]
        ]
    assert [s.path for s in api.app.seen] == [
        f"{PREFIX}/user/..%2Fpet%2F1",
        f"{PREFIX}/user/%2E%2E",
        f"{PREFIX}/user/%2E",
        f"{PREFIX}/user/a%3Fb%23c",
        f"{PREFIX}/user/ann",
    ]
    assert all(s.query == "" for s in api.app.seen)
    assert [error_of(r)["type"] for r in results[:4]] == ["UserNotFound"] * 4
    assert results[4].structured_content == api.app.users["ann"]


# -- errors ---------------------------------------------------------------------------------


async def test_declared_errors_carry_status_and_body(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    async with Client(build()) as client:
        missing = await client.call_tool("getPetById", {"petId": 999})
        refused = await client.call_tool("addPet", {"name": "", "photoUrls": []})
    assert missing.structured_content is None  # the tool has an output schema
    # What a model reads names what the API said, not only its status.
    said = '\nThe API answered: {"code":404,"type":"error","message":"Pet not found"}'
    assert error_of(missing) == {
        "type": "PetNotFound",
        "code": -32011,
        "message": "No such pet (HTTP 404)" + said,
        "data": {"status": 404, "body": {"code": 404, "type": "error", "message": "Pet not found"}},
    }
    assert text_of(missing) == "No such pet (HTTP 404)" + said
    # minLength = 1 holds back the empty name before any request; "4XX" maps the rest.
    assert refused.is_error
    assert api.app.requests_to("/pet") == []


async def test_undeclared_status_is_a_generic_http_error(
    build: Callable[[], Server[Any]], api: RunningPetstore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETSTORE_TOKEN", "wrong")
    async with Client(build()) as client:
        result = await client.call_tool("findPetsByTags", {"tags": ["cat"]})
    error = error_of(result)
    assert error["type"] == "HttpError"
    assert "retryable" not in error
    assert error["data"] == {
        "status": 401,
        "method": "GET",
        "path": "/pet/findByTags",
        "body": {"code": 401, "type": "error", "message": "credentials missing or wrong"},
    }
    assert text_of(result) == (
        "HTTP 401 from GET /pet/findByTags\nThe API answered: "
        '{"code":401,"type":"error","message":"credentials missing or wrong"}'
    )


async def test_missing_credentials_name_the_variables(
    build: Callable[[], Server[Any]], api: RunningPetstore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Client(build()) as client:
        store = await client.call_tool("getInventory", {})
        monkeypatch.delenv("PETSTORE_TOKEN")
        pet = await client.call_tool("getPetById", {"petId": 1})
        # Optional credentials: anonymous without a key, the key once it is set.
        anonymous = await client.call_tool("getUserByName", {"username": "ann"})
        monkeypatch.setenv("PETSTORE_API_KEY", API_KEY)
        keyed = await client.call_tool("getUserByName", {"username": "ann"})
        inventory = await client.call_tool("getInventory", {})
    assert error_of(store)["type"] == "HttpCredentialsMissing"
    assert "PETSTORE_API_KEY" in text_of(store)
    assert error_of(pet)["data"] == {"alternatives": [["PETSTORE_TOKEN"], ["PETSTORE_API_KEY"]]}
    assert anonymous.structured_content == keyed.structured_content == api.app.users["ann"]
    assert inventory.structured_content == {"available": 1, "pending": 1, "sold": 1}
    user_anonymous, user_keyed, store_keyed = api.app.seen
    assert "api_key" not in user_anonymous.headers
    assert user_keyed.headers["api_key"] == API_KEY
    assert store_keyed.headers["api_key"] == API_KEY


async def test_unreachable_api_is_a_retryable_request_failure(
    build: Callable[[], Server[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_petstore() as gone:
        url = gone.base_url
    monkeypatch.setenv("PETSTORE_BASE_URL", url)
    monkeypatch.setenv("PETSTORE_TOKEN", TOKEN)
    async with Client(build()) as client:
        result = await client.call_tool("getPetById", {"petId": 1})
    error = error_of(result)
    assert error["type"] == "HttpRequestFailed"
    assert error["retryable"] is True
    assert error["data"] == {"method": "GET", "path": "/pet/{petId}", "reason": "could not connect"}


# -- retries --------------------------------------------------------------------------------


async def test_429_then_success_is_retried_with_progress(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.fail_next(429, times=2)
    messages: list[str | None] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        messages.append(message)

    async with Client(build()) as client:
        result = await client.call_tool("getPetById", {"petId": 1}, progress_callback=progress)
    assert result.structured_content == api.app.pets[1]
    assert len(api.app.seen) == 3
    assert messages and messages[0] is not None and messages[0].startswith("HTTP 429; retry 1 of 2")


async def test_retry_after_is_honoured_even_for_post(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.fail_next(503, retry_after="1")
    async with Client(build()) as client:
        result = await client.call_tool("addPet", {"name": "Dory", "photoUrls": []})
    assert not result.is_error, result.content
    first, second = api.app.seen
    assert second.at - first.at >= 0.95
    assert first.body == second.body
    assert [p["name"] for p in api.app.pets.values()].count("Dory") == 1


async def test_retries_run_out_and_long_retry_after_is_not_waited_for(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.fail_next(503, times=3, retry_after="0")
    async with Client(build()) as client:
        exhausted = await client.call_tool("findPetsByTags", {"tags": ["cat"]})
        api.app.fail_next(429, retry_after="120")
        started = time.monotonic()
        busy = await client.call_tool("findPetsByTags", {"tags": ["cat"]})
        waited = time.monotonic() - started
    assert len(api.app.seen) == 3 + 1
    error = error_of(exhausted)
    assert (error["type"], error["retryable"], error["data"]["status"]) == ("HttpError", True, 503)
    assert error_of(busy)["data"]["retry_after"] == 120
    assert waited < 5


async def test_declared_default_maps_a_server_error(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.fail_next(500)
    async with Client(build()) as client:
        result = await client.call_tool("getPetById", {"petId": 1})
    assert error_of(result)["type"] == "ApiFailure"
    assert len(api.app.seen) == 1  # 500 is not retried


# -- validation, progress, cancellation -----------------------------------------------------


async def test_strict_answers_are_checked_and_off_passes_through(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.off_schema = True
    async with Client(build()) as client:
        strict = await client.call_tool("getPetById", {"petId": 1})
        # The SDK client checks structured content itself: send the request raw, to see
        # what the server answers.
        off = await client.session.send_request(
            types.CallToolRequest(
                params=types.CallToolRequestParams(
                    name="findPetsByStatus", arguments={"status": ["available"]}
                )
            ),
            types.CallToolResult,
        )
    error = error_of(strict)
    assert error["type"] == "HttpResponseInvalid"
    assert error["data"]["status"] == 200
    assert any("name" in problem for problem in error["data"]["problems"])
    assert not off.is_error, off.content
    assert off.structured_content == {"result": [{"id": 1, "status": 42}]}


async def test_download_progress_when_the_length_is_known(
    build: Callable[[], Server[Any]], api: RunningPetstore, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.app.padding = 300_000
    monkeypatch.setenv("PETSTORE_MAX_RESPONSE_BYTES", "400000")  # passed on whole, not cut
    updates: list[tuple[float, float | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        updates.append((done, total))

    async with Client(build()) as client:
        result = await client.call_tool("logoutUser", {}, progress_callback=progress)
    assert text_of(result).startswith("logged out none...")
    length = len(text_of(result).encode())
    assert updates and updates[-1] == (length, length)


async def test_cancelled_call_aborts_the_http_request(
    build: Callable[[], Server[Any]], api: RunningPetstore
) -> None:
    api.app.delay = 10.0
    async with Client(build()) as client, anyio.create_task_group() as group:

        async def call() -> None:
            await client.call_tool("getPetById", {"petId": 1})

        group.start_soon(call)
        with anyio.fail_after(5):
            while not api.app.seen:
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    with anyio.fail_after(5):
        while not api.app.disconnected:
            await anyio.sleep(0.01)
    assert api.app.disconnected == [f"{PREFIX}/pet/1"]


def test_generated_operations_are_a_table(petstore_package: ModuleType) -> None:
    operations = importlib.import_module(f"{PACKAGE}._generated.operations")
    found = operations.GET_PET_BY_ID
    assert (found.method, found.path, found.tool) == ("GET", "/pet/{petId}", "getPetById")
    # [http] timeout (each try) as the spec sets it; deadline (the call) its default.
    assert (operations.api.timeout, operations.api.deadline) == (10.0, 30.0)
    handlers = Path(petstore_package.__file__).parent / "handlers" / "tools"
    # Only the tool whose handler the spec makes custom has a user file.
    assert sorted(p.name for p in handlers.glob("*.py")) == ["__init__.py", "update_pet.py"]


# -- the HTTP client shim on its own ---------------------------------------------------------


class QuietContext:
    """The one part of a handler context the HTTP client uses: progress, here ignored."""

    async def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        return None


@pytest.fixture
def http(petstore_package: ModuleType) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}._generated.http_client")


def test_parameter_styles_follow_openapi(http: ModuleType) -> None:
    # The examples of the OpenAPI 3.1.1 specification, "Style Examples" (3.1.1 and 3.0.4
    # percent-encode the delimiters RFC 3986 does not allow in a query: `|`, `[`, `]`).
    color = ["blue", "black", "brown"]
    rgb = {"R": 100, "G": 200, "B": 150}
    cases = [
        ("simple", False, color, "blue,black,brown"),
        ("simple", True, rgb, "R=100,G=200,B=150"),
        ("simple", False, rgb, "R,100,G,200,B,150"),
        ("label", False, color, ".blue,black,brown"),
        ("label", True, color, ".blue.black.brown"),
        ("label", True, rgb, ".R=100.G=200.B=150"),
        ("matrix", False, "blue", ";color=blue"),
        ("matrix", True, color, ";color=blue;color=black;color=brown"),
        ("matrix", False, rgb, ";color=R,100,G,200,B,150"),
        ("matrix", True, rgb, ";R=100;G=200;B=150"),
    ]
    for style, explode, value, expected in cases:
        param = http.Param("c", "path", name="color", style=style, explode=explode)
        operation = http.Operation(tool="t", method="GET", path="/x/{color}", params=(param,))
        assert http._encoding.prepare(operation, {"c": value}).path == "/x/" + expected, (
            style,
            value,
        )
    queries = [
        ("form", True, color, ["color=blue", "color=black", "color=brown"]),
        ("form", False, color, ["color=blue,black,brown"]),
        ("form", True, rgb, ["R=100", "G=200", "B=150"]),
        ("form", False, rgb, ["color=R,100,G,200,B,150"]),
        ("spaceDelimited", False, color, ["color=blue%20black%20brown"]),
        ("spaceDelimited", False, rgb, ["color=R%20100%20G%20200%20B%20150"]),
        ("pipeDelimited", False, color, ["color=blue%7Cblack%7Cbrown"]),
        ("pipeDelimited", False, rgb, ["color=R%7C100%7CG%7C200%7CB%7C150"]),
        ("deepObject", True, rgb, ["color%5BR%5D=100", "color%5BG%5D=200", "color%5BB%5D=150"]),
        ("form", True, True, ["color=true"]),
        ("form", True, 2.0, ["color=2"]),
        ("form", True, [], []),
    ]
    for style, explode, value, expected_items in queries:
        param = http.Param("c", "query", name="color", style=style, explode=explode)
        operation = http.Operation(tool="t", method="GET", path="/q", params=(param,))
        assert http._encoding.prepare(operation, {"c": value}).query == expected_items, (
            style,
            value,
        )


def test_header_values_cannot_break_the_request(http: ModuleType) -> None:
    operation = http.Operation(
        tool="t", method="GET", path="/h", params=(http.Param("h", "header", name="X-H"),)
    )
    with pytest.raises(ValueError, match="line break"):
        http._encoding.prepare(operation, {"h": "a\r\nInjected: yes"})


def test_multipart_body_has_one_part_per_field(http: ModuleType) -> None:
    import httpx2

    operation = http.Operation(
        tool="t", method="POST", path="/m", body=http.Body("multipart/form-data")
    )
    prepared = http._encoding.prepare(operation, {"name": "Rex", "tags": ["a", "b"], "age": 3})
    request = httpx2.Request("POST", "http://x/m", files=prepared.files)
    body = request.read().decode()
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert body.count("Content-Disposition: form-data;") == 4
    assert 'name="tags"\r\n\r\na\r\n' in body and 'name="age"\r\n\r\n3\r\n' in body


async def test_oauth2_token_is_fetched_once_and_renewed(
    http: ModuleType, api: RunningPetstore
) -> None:
    scheme = http.OAuth2ClientCredentials(
        token_url=api.base_url + "/oauth/token",
        client_id_env="PETSTORE_CLIENT_ID",
        client_secret_env="PETSTORE_CLIENT_SECRET",
        scopes=["read:pets"],
    )
    settings = http.Api(
        base_url="https://unused.example",
        base_url_env="PETSTORE_BASE_URL",
        auth={"oauth": scheme},
        security=(("oauth",),),
    )
    operation = http.Operation(
        tool="t", method="GET", path="/pet/{petId}", params=(http.Param("petId", "path"),)
    )
    client = http.HttpClient(settings)
    ctx = QuietContext()
    with pytest.MonkeyPatch.context() as env:
        missing = None
        try:
            await client.send(ctx, operation, {"petId": 1})
        except http.HttpCredentialsMissing as error:
            missing = error
        assert missing is not None
        env.setenv("PETSTORE_CLIENT_ID", api.app.client_id)
        env.setenv("PETSTORE_CLIENT_SECRET", api.app.client_secret)
        statuses = [(await client.send(ctx, operation, {"petId": i})).status for i in (1, 2)]
        api.app.token_lifetime = 10  # less than the renewal margin: renewed at every call
        client._tokens.clear()
        statuses += [(await client.send(ctx, operation, {"petId": 1})).status for _ in (1, 2)]
        api.app.client_secret = "rotated"
        client._tokens.clear()
        failed = None
        try:
            await client.send(ctx, operation, {"petId": 1})
        except http.HttpAuthFailed as error:
            failed = error
    await client.aclose()
    assert statuses == [200, 200, 200, 200]
    assert api.app.issued == ["issued-1", "issued-2", "issued-3"]
    token_requests = api.app.requests_to("/oauth/token")
    assert len(token_requests) == 4
    assert token_requests[0].body == b"grant_type=client_credentials&scope=read%3Apets"
    pet_requests = [s for s in api.app.seen if s.path.startswith(PREFIX + "/pet/")]
    assert [s.headers["authorization"] for s in pet_requests] == [
        "Bearer issued-1",
        "Bearer issued-1",
        "Bearer issued-2",
        "Bearer issued-3",
    ]
    assert failed is not None and "401" in failed.message


async def test_timeouts_retry_idempotent_requests_only(
    http: ModuleType, api: RunningPetstore
) -> None:
    settings = http.Api(
        base_url=api.base_url, base_url_env="PETSTORE_UNUSED", timeout=0.3, retries=2
    )
    client = http.HttpClient(settings)
    get = http.Operation(tool="t", method="GET", path="/pet/1")
    post = http.Operation(tool="t", method="POST", path="/pet", body=http.Body())
    api.app.delay = 2.0
    failures = []
    for operation in (get, post):
        try:
            await client.send(QuietContext(), operation, {"name": "x", "photoUrls": []})
        except http.HttpTimeout as error:
            failures.append(error.message)
    await client.aclose()
    # The GET may be sent again; the POST may have reached the API, so it is sent once.
    assert [s.method for s in api.app.seen] == ["GET", "GET", "GET", "POST"]
    assert failures == [
        "GET /pet/1 timed out: no answer within 0.3 s (each try)",
        "POST /pet timed out: no answer within 0.3 s (each try)",
    ]


async def test_an_operation_served_elsewhere_goes_there_unless_overridden(
    http: ModuleType, api: RunningPetstore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_petstore() as uploads:
        settings = http.Api(base_url=api.base_url, base_url_env="PETSTORE_ELSEWHERE")
        client = http.HttpClient(settings)
        elsewhere = http.Operation(tool="t", method="GET", path="/pet/1", base_url=uploads.base_url)
        here = http.Operation(tool="t", method="GET", path="/pet/1")
        for operation in (elsewhere, here):
            await client.send(QuietContext(), operation, {})
        assert (len(uploads.app.seen), len(api.app.seen)) == (1, 1)
        # The override points the whole API somewhere: operations with their own address too.
        monkeypatch.setenv("PETSTORE_ELSEWHERE", api.base_url)
        await client.send(QuietContext(), elsewhere, {})
        await client.aclose()
        assert (len(uploads.app.seen), len(api.app.seen)) == (1, 2)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_an_answer_over_the_budget_is_cut_and_says_which_limit_fits(
    build: Callable[[], Server[Any]],
    api: RunningPetstore,
    monkeypatch: pytest.MonkeyPatch,
    mode: Any,
) -> None:
    """specs/petstore.toml gives findPetsByTags `pagination = { size = "limit" }`; the
    run-time budget (`PETSTORE_MAX_RESPONSE_BYTES`) holds its answer to 1,000 bytes."""
    for number in range(10, 40):
        api.app.pets[number] = {
            "id": number,
            "name": f"Cat {number}",
            "photoUrls": [f"https://example.com/cats/{number}.jpg"],
            "tags": [{"id": 7, "name": "cat"}],
            "status": "available",
        }
    monkeypatch.setenv("PETSTORE_MAX_RESPONSE_BYTES", "1000")
    async with Client(build(), mode=mode) as client:
        result = await client.call_tool("findPetsByTags", {"tags": ["cat"]})
    # The client checked the structured content against the listed output schema.
    assert not result.is_error, result.content
    assert result.structured_content is not None
    shown = result.structured_content["result"]
    every = [p for p in api.app.pets.values() if any(t["name"] == "cat" for t in p["tags"])]
    data, said = result.content
    assert isinstance(data, types.TextContent) and isinstance(said, types.TextContent)
    assert len(data.text.encode()) <= 1_000
    assert 0 < len(shown) < len(every)
    assert f"showing {len(shown)} of {len(every)} items of `$.result`" in said.text
    assert f"Call again with `limit`={len(shown)} for an answer that fits." in said.text
