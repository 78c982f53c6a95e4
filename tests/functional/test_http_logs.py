"""No credential reaches a log, at any level, from any logger.

Real requests to a loopback API with every kind of credential, the root logger at DEBUG and
every record captured: httpx2's request lines (full URLs, a query-string key included),
httpcore2's traces (response headers), the client's own. Each record, formatted as a handler
would (exception text too), must hold no secret in any spelling the wire uses: as set, percent-
or form-encoded, in a Basic pair.
"""

from __future__ import annotations

import base64
import logging
from types import ModuleType
from urllib.parse import quote, quote_plus

import pytest
from http_support.recorder import Reply, Running, Seen
from http_support.shim import QuietContext

pytestmark = pytest.mark.anyio

# Characters that encode differently in a URL and in a form: each spelling must be caught.
SECRET = "k3y/with+space and=sign"
CLIENT_SECRET = "client/secret+1"
TOKEN = "issued token/7"


def _spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}


def _respond(seen: Seen) -> Reply:
    if seen.path == "/oauth/token":
        return Reply(200, {"access_token": TOKEN, "expires_in": 3600})
    # An API that echoes the request (URL and all) in its headers and its error body.
    return Reply(401, {"error": "denied", "request": seen.target}, {"x-echo": seen.target})


async def test_no_secret_reaches_a_log_at_debug(
    http: ModuleType,
    api: Running,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.app.respond = _respond
    for name, value in {
        "T_KEY": SECRET,
        "T_USER": "ann",
        "T_PASSWORD": SECRET,
        "T_ID": "client-1",
        "T_SECRET": CLIENT_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    schemes = {
        "query": http.ApiKey(location="query", name="key", env="T_KEY"),
        "header": http.ApiKey(location="header", name="X-Key", env="T_KEY"),
        "cookie": http.ApiKey(location="cookie", name="session", env="T_KEY"),
        "bearer": http.Bearer(env="T_KEY"),
        "basic": http.Basic(username_env="T_USER", password_env="T_PASSWORD"),
        "oauth": http.OAuth2ClientCredentials(
            token_url=api.origin + "/oauth/token",
            client_id_env="T_ID",
            client_secret_env="T_SECRET",
        ),
    }
    settings = http.Api(base_url=api.origin, base_url_env="T_BASE_URL", auth=schemes)
    client = http.HttpClient(settings)
    caplog.set_level(logging.DEBUG)
    try:
        for name in schemes:
            operation = http.Operation(tool="t", method="GET", path="/pets", security=((name,),))
            answer = await client.send(QuietContext(), operation, {})
            assert answer.status == 401
    finally:
        await client.aclose()
    # A transport failure's records (with their tracebacks) too; tried once.
    monkeypatch.setenv("T_BASE_URL", "http://127.0.0.1:9")
    unreachable = http.HttpClient(
        http.Api(base_url=api.origin, base_url_env="T_BASE_URL", auth=schemes, retries=0)
    )
    try:
        with pytest.raises(http.HttpRequestFailed):
            operation = http.Operation(tool="t", method="GET", path="/p", security=(("query",),))
            await unreachable.send(QuietContext(), operation, {})
    finally:
        await unreachable.aclose()

    # The test saw what it is about: the API got the credentials, httpx2 logged full URLs.
    assert any(f"key={quote(SECRET, safe='')}" in s.target for s in api.app.seen)
    assert any(r.name == "httpx2" and "/pets?key=" in r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("httpcore2") for r in caplog.records)
    basic = base64.b64encode(f"ann:{SECRET}".encode()).decode()
    client_basic = base64.b64encode(f"client-1:{CLIENT_SECRET}".encode()).decode()
    forbidden = _spellings(SECRET) | _spellings(CLIENT_SECRET) | _spellings(TOKEN)
    forbidden |= {basic, client_basic}
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        text = formatter.format(record)
        leaked = sorted(secret for secret in forbidden if secret in text)
        assert not leaked, f"{leaked} in a log record: {text}"
