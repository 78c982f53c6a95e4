"""A call to the API has one deadline, across every try and every wait, and says it timed out.

An API that accepts the connection and never answers (a real loopback socket) used to cost
three tries of `timeout` each plus backoff (91 s by default); a call now ends at `deadline`
with a retryable ToolTimeout naming the request.
"""

from __future__ import annotations

import time
from types import ModuleType

import pytest
from http_support.recorder import Reply, Running, silent_server
from http_support.shim import QuietContext

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_api_that_never_answers_fails_at_the_deadline(
    http: ModuleType, method: str
) -> None:
    with silent_server() as (port, accepted):
        settings = http.Api(
            base_url=f"http://127.0.0.1:{port}",
            base_url_env="T_BASE_URL",
            timeout=30.0,
            retries=2,
            deadline=0.5,
        )
        client = http.HttpClient(settings)
        operation = http.Operation(tool="t", method=method, path="/slow")
        started = time.monotonic()
        try:
            with pytest.raises(http._errors.ToolTimeout) as timed_out:
                await client.send(QuietContext(), operation, {})
        finally:
            await client.aclose()
        took = time.monotonic() - started
    assert 0.5 <= took < 1.5, took
    assert len(accepted) == 1
    error = timed_out.value
    assert error.to_json() == {
        "type": "ToolTimeout",
        "code": -32051,
        "message": f"{method} /slow timed out: no answer within 0.5 s (the call's deadline)",
        "retryable": True,
        "data": {"method": method, "path": "/slow", "seconds": 0.5},
    }


async def test_tries_that_time_out_are_retried_within_the_deadline(http: ModuleType) -> None:
    with silent_server() as (port, accepted):
        settings = http.Api(
            base_url=f"http://127.0.0.1:{port}",
            base_url_env="T_BASE_URL",
            timeout=0.1,
            retries=2,
            deadline=20.0,
        )
        client = http.HttpClient(settings)
        try:
            with pytest.raises(http._errors.ToolTimeout) as timed_out:
                await client.send(
                    QuietContext(), http.Operation(tool="t", method="GET", path="/slow"), {}
                )
        finally:
            await client.aclose()
    # An idempotent request is tried again after a timeout: three tries, then a timeout.
    assert len(accepted) == 3
    assert timed_out.value.message == "GET /slow timed out: no answer within 0.1 s (each try)"


async def test_a_wait_the_deadline_cannot_hold_is_not_begun(http: ModuleType, api: Running) -> None:
    api.app.answer_next(Reply(429, {"error": "slow down"}, {"retry-after": "5"}))
    settings = http.Api(base_url=api.origin, base_url_env="T_BASE_URL", retries=2, deadline=2.0)
    client = http.HttpClient(settings)
    started = time.monotonic()
    try:
        answer = await client.send(
            QuietContext(), http.Operation(tool="t", method="GET", path="/busy"), {}
        )
    finally:
        await client.aclose()
    # Waiting 5 s would pass the deadline: the API's 429 is the answer, at once.
    assert time.monotonic() - started < 1.0
    assert answer.status == 429
    assert len(api.app.seen) == 1
