"""Credentials go only to the origin the description (or the base-URL override) names.

Two real loopback servers on two ports are two origins. The API (origin A) answers with a
redirect to the other (origin B), for every kind of credential the client sends; B must see
nothing, and the call must say what happened. A redirect within the API's own origin is
followed, credentials and all.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
from http_support.recorder import Reply, Running, Seen, recorder
from http_support.shim import QuietContext

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-Key"


@pytest.fixture(scope="module")
def served_elsewhere() -> Iterator[Running]:
    with recorder() as running:
        yield running


@pytest.fixture
def elsewhere(served_elsewhere: Running) -> Running:
    served_elsewhere.app.reset()
    return served_elsewhere


def _schemes(http: ModuleType, token_url: str) -> dict[str, tuple[Any, dict[str, str]]]:
    """Each kind of credential, and the environment it reads."""
    return {
        "header key": (
            http.ApiKey(location="header", name="X-Api-Key", env="T_KEY"),
            {"T_KEY": SECRET},
        ),
        "query key": (http.ApiKey(location="query", name="key", env="T_KEY"), {"T_KEY": SECRET}),
        "cookie key": (
            http.ApiKey(location="cookie", name="session", env="T_KEY"),
            {"T_KEY": SECRET},
        ),
        "bearer": (http.Bearer(env="T_TOKEN"), {"T_TOKEN": SECRET}),
        "basic": (
            http.Basic(username_env="T_USER", password_env="T_PASSWORD"),
            {"T_USER": "ann", "T_PASSWORD": SECRET},
        ),
        "oauth2": (
            http.OAuth2ClientCredentials(
                token_url=token_url, client_id_env="T_ID", client_secret_env="T_SECRET"
            ),
            {"T_ID": "client-1", "T_SECRET": SECRET},
        ),
    }


def _answer_tokens(seen: Seen, then: Reply) -> Reply:
    if seen.path.endswith("/oauth/token"):
        return Reply(200, {"access_token": SECRET + "-token", "expires_in": 3600})
    return then


def _carries_a_secret(seen: Seen) -> bool:
    basic = base64.b64encode(f"ann:{SECRET}".encode()).decode()
    text = " ".join([seen.target, *seen.headers.values(), seen.body.decode("latin-1")])
    return SECRET in text or basic in text


@pytest.mark.parametrize(
    "kind", ["header key", "query key", "cookie key", "bearer", "basic", "oauth2"]
)
async def test_a_redirect_to_another_origin_is_refused(
    http: ModuleType,
    api: Running,
    elsewhere: Running,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    scheme, env = _schemes(http, api.origin + "/oauth/token")[kind]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stolen = Reply(302, "", {"location": f"{elsewhere.origin}/stolen?x=1"})
    api.app.respond = lambda seen: _answer_tokens(seen, stolen)
    elsewhere.app.respond = lambda _: Reply(200, {"injected": True})
    settings = http.Api(
        base_url=api.origin, base_url_env="T_BASE_URL", auth={"s": scheme}, security=(("s",),)
    )
    client = http.HttpClient(settings)
    operation = http.Operation(tool="t", method="GET", path="/pets")
    try:
        with pytest.raises(http.HttpRedirectRefused) as refused:
            await client.send(QuietContext(), operation, {})
    finally:
        await client.aclose()
    assert elsewhere.app.seen == []
    assert _carries_a_secret(api.app.seen[-1])  # the API itself got the credential
    error = refused.value
    assert error.data.status == 302
    assert error.data.origin == elsewhere.origin
    assert "T_BASE_URL" in error.message
    assert SECRET not in error.message and "stolen" not in error.message


async def test_the_token_request_is_not_redirected(
    http: ModuleType, api: Running, elsewhere: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme, env = _schemes(http, api.origin + "/oauth/token")["oauth2"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    api.app.respond = lambda _: Reply(307, "", {"location": f"{elsewhere.origin}/oauth/token"})
    settings = http.Api(
        base_url=api.origin, base_url_env="T_BASE_URL", auth={"s": scheme}, security=(("s",),)
    )
    client = http.HttpClient(settings)
    try:
        with pytest.raises(http.HttpAuthFailed, match="redirect"):
            await client.send(QuietContext(), http.Operation(tool="t", method="GET", path="/p"), {})
    finally:
        await client.aclose()
    assert elsewhere.app.seen == []
    [token_request] = api.app.seen
    assert token_request.path == "/oauth/token"


@pytest.mark.parametrize(
    "location",
    [
        "//127.0.0.1:{other}/x",  # protocol-relative: another host and port
        "https://127.0.0.1:{port}/x",  # the same host, another scheme (and so origin)
        "http://user:pw@127.0.0.1:{other}/x",
    ],
)
async def test_other_origins_however_spelled_are_refused(
    http: ModuleType, api: Running, elsewhere: Running, location: str
) -> None:
    target = location.format(other=elsewhere.port, port=api.port)
    api.app.respond = lambda _: Reply(301, "", {"location": target})
    client = http.HttpClient(http.Api(base_url=api.origin, base_url_env="T_BASE_URL"))
    try:
        with pytest.raises(http.HttpRedirectRefused):
            await client.send(QuietContext(), http.Operation(tool="t", method="GET", path="/a"), {})
    finally:
        await client.aclose()
    assert elsewhere.app.seen == []
    assert len(api.app.seen) == 1


async def test_a_redirect_within_the_origin_is_followed_with_credentials(
    http: ModuleType, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_KEY", SECRET)

    def respond(seen: Seen) -> Reply:
        if seen.path == "/old":
            return Reply(303 if seen.method == "POST" else 308, "", {"location": "/new?page=2"})
        return Reply(200, {"ok": True})

    api.app.respond = respond
    scheme = http.ApiKey(location="header", name="X-Api-Key", env="T_KEY")
    settings = http.Api(
        base_url=api.origin, base_url_env="T_BASE_URL", auth={"k": scheme}, security=(("k",),)
    )
    client = http.HttpClient(settings)
    get = http.Operation(tool="t", method="GET", path="/old")
    post = http.Operation(tool="t", method="POST", path="/old", body=http.Body())
    try:
        answers = [
            await client.send(QuietContext(), get, {}),
            await client.send(QuietContext(), post, {"name": "x"}),
        ]
    finally:
        await client.aclose()
    assert [a.status for a in answers] == [200, 200]
    assert [(s.method, s.target, s.body) for s in api.app.seen] == [
        ("GET", "/old", b""),
        ("GET", "/new?page=2", b""),
        ("POST", "/old", b'{"name": "x"}'),
        ("GET", "/new?page=2", b""),  # 303: see the other resource with a GET, no body
    ]
    assert all(s.headers["x-api-key"] == SECRET for s in api.app.seen)
    assert "content-type" not in api.app.seen[-1].headers


async def test_an_answer_that_echoes_a_credential_does_not_pass_it_on(
    http: ModuleType, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API that echoes the request URL (a query-string key in it) in its answer: the tool's
    result, error text and error data hold the key blanked out."""
    monkeypatch.setenv("T_KEY", SECRET)
    api.app.respond = lambda seen: Reply(
        200 if seen.path == "/ok" else 400,
        {"self": api.origin + seen.target, "note": f"key {SECRET} is valid"},
    )
    scheme = http.ApiKey(location="query", name="key", env="T_KEY")
    settings = http.Api(
        base_url=api.origin, base_url_env="T_BASE_URL", auth={"k": scheme}, security=(("k",),)
    )
    client = http.HttpClient(settings)
    ctx = QuietContext()
    try:
        ok = await http.Request(
            client, http.Operation(tool="t", method="GET", path="/ok"), ctx
        ).structured({})
        with pytest.raises(http.HttpError) as failed:
            await http.Request(
                client, http.Operation(tool="t", method="GET", path="/bad"), ctx
            ).structured({})
        text = await http.Request(
            client, http.Operation(tool="t", method="GET", path="/ok", response="text"), ctx
        ).text({})
    finally:
        await client.aclose()
    assert ok == {"self": f"{api.origin}/ok?key=[secret]", "note": "key [secret] is valid"}
    error = failed.value
    assert error.data.body == {
        "self": f"{api.origin}/bad?key=[secret]",
        "note": "key [secret] is valid",
    }
    assert SECRET not in error.message and "[secret]" in error.message
    assert SECRET not in text and quote(SECRET, safe="") not in text


@pytest.mark.parametrize(
    ("base", "token_url"),
    [
        ("{api}/v3", "/v3/oauth/token"),  # an absolute path: the base's origin
        ("{api}/v3/", "oauth/token"),  # a relative path: RFC 3986, from the base's folder
        ("https://unused.example/v3", "/v3/oauth/token"),  # the override's origin, when set
    ],
)
async def test_a_relative_token_url_resolves_against_the_base_url(
    http: ModuleType, api: Running, monkeypatch: pytest.MonkeyPatch, base: str, token_url: str
) -> None:
    if "unused" in base:
        monkeypatch.setenv("T_BASE_URL", api.origin + "/v3")
    monkeypatch.setenv("T_ID", "client-1")
    monkeypatch.setenv("T_SECRET", SECRET)
    api.app.respond = lambda seen: _answer_tokens(seen, Reply(200, {"ok": True}))
    scheme = http.OAuth2ClientCredentials(
        token_url=token_url, client_id_env="T_ID", client_secret_env="T_SECRET"
    )
    settings = http.Api(
        base_url=base.format(api=api.origin),
        base_url_env="T_BASE_URL",
        auth={"oauth": scheme},
        security=(("oauth",),),
    )
    client = http.HttpClient(settings)
    try:
        answer = await client.send(
            QuietContext(), http.Operation(tool="t", method="GET", path="/pets"), {}
        )
    finally:
        await client.aclose()
    assert answer.status == 200
    assert [s.path for s in api.app.seen] == ["/v3/oauth/token", "/v3/pets"]
    assert api.app.seen[1].headers["authorization"] == f"Bearer {SECRET}-token"


# Basic credentials are UTF-8 (RFC 7617) and base64 makes any of them header text: there
# only control characters are refused.
SPOILED = [
    *[
        (kind, spoiled)
        for kind in ("header key", "bearer", "basic")
        for spoiled in (SECRET + "\n", SECRET + "\r\nX-Injected: 1")
    ],
    ("header key", "clé-" + SECRET),
    ("bearer", "clé-" + SECRET),
]


@pytest.mark.parametrize(("kind", "spoiled"), SPOILED)
async def test_a_credential_a_header_cannot_carry_is_named_never_shown(
    http: ModuleType, api: Running, monkeypatch: pytest.MonkeyPatch, kind: str, spoiled: str
) -> None:
    """A key file read with its newline (`KEY=$(cat key)`), or a pasted non-ASCII character:
    the call says which variable is unusable, without its value, and sends nothing."""
    scheme, env = _schemes(http, api.origin + "/oauth/token")[kind]
    for name, value in env.items():
        monkeypatch.setenv(name, spoiled if value == SECRET else value)
    settings = http.Api(
        base_url=api.origin, base_url_env="T_BASE_URL", auth={"s": scheme}, security=(("s",),)
    )
    client = http.HttpClient(settings)
    try:
        with pytest.raises(http.HttpRequestInvalid) as refused:
            await client.send(QuietContext(), http.Operation(tool="t", method="GET", path="/p"), {})
    finally:
        await client.aclose()
    assert api.app.seen == []
    variable = next(name for name, value in env.items() if value == SECRET)
    assert variable in refused.value.message
    assert SECRET not in refused.value.message
