"""An AWS description's tool, imported and generated, signs its requests with SigV4: each
request the loopback recorder received is checked against the signature botocore computes
from it alone (tests/http_support/aws.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest
from http_support.aws import ENVIRONMENT, SECRET_KEY, SESSION_TOKEN, assert_signed
from http_support.imported import Imported, imported_server
from http_support.recorder import Reply, Running, recorder
from mcp.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ARN = "arn:aws:kinesisvideo:us-west-2:123456789012:channel/my-channel/1234567890"


@pytest.fixture(scope="module")
def kinesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    root = tmp_path_factory.mktemp("kv")
    with imported_server("aws-kinesis-video-webrtc-storage.json", root, "kv") as server:
        yield server


@pytest.fixture
def api(kinesis: Imported, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    with recorder() as running:
        monkeypatch.setenv("KV_BASE_URL", running.origin)
        monkeypatch.setenv("AWS_REGION", "us-west-2")  # a loopback host names no region
        for name, value in ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        yield running


async def _join(kinesis: Imported) -> types.CallToolResult:
    async with Client(kinesis.build()) as client:
        return await client.call_tool("join_storage_session", {"channelArn": ARN})


async def test_the_tool_sends_a_correctly_signed_request(
    kinesis: Imported, api: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    result = await _join(kinesis)
    assert not result.is_error, result.content
    [seen] = api.app.seen
    assert (seen.method, seen.target) == ("POST", "/joinStorageSession")
    assert seen.json() == {"channelArn": ARN}
    assert_signed(seen, "kinesisvideo", "us-west-2")
    assert {"host", "content-type", "content-length", "x-amz-date"} <= set(
        seen.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    )
    logged = caplog.text
    assert SECRET_KEY not in logged and SESSION_TOKEN not in logged


async def test_the_signing_headers_are_no_inputs(kinesis: Imported) -> None:
    async with Client(kinesis.build()) as client:
        [tool] = (await client.list_tools()).tools
    assert list(tool.input_schema["properties"]) == ["channelArn"]
    assert "x-amz" not in str(tool.input_schema).lower()


async def test_a_redirect_within_the_origin_is_signed_anew(kinesis: Imported, api: Running) -> None:
    api.app.answer_next(Reply(307, "", {"location": "/moved?to=here:1"}))
    result = await _join(kinesis)
    assert not result.is_error, result.content
    first, moved = api.app.seen
    assert moved.target == "/moved?to=here%3A1"
    assert moved.json() == {"channelArn": ARN}
    for seen in (first, moved):
        assert_signed(seen, "kinesisvideo", "us-west-2")


async def test_no_credentials_no_request(
    kinesis: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = await _join(kinesis)
    assert result.is_error and "AWS_SECRET_ACCESS_KEY" in str(result.content)
    assert api.app.seen == []


async def test_no_region_is_said_before_anything_is_sent(
    kinesis: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = await _join(kinesis)
    assert result.is_error and "set AWS_REGION" in str(result.content)
    assert api.app.seen == []


def test_the_fixture_is_the_directorys_document() -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"
    assert (fixture / "aws-kinesis-video-webrtc-storage.json").stat().st_size == 7042
