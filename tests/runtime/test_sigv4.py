"""AWS Signature Version 4 (`http_client._sigv4`): the signer against AWS's own test suite
(tests/fixtures/aws4_testsuite), the region a request is signed for, and the query spelled
as it is signed."""

from __future__ import annotations

import datetime
from pathlib import Path

import httpx2
import pytest
from mcpgen.vendored.http_client import AwsSigV4
from mcpgen.vendored.http_client._sigv4 import SigningError, region, sign

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "aws4_testsuite"
VECTORS = sorted(path.stem for path in SUITE.glob("*.req"))


def _scheme(service: str, region: str | None = None) -> AwsSigV4:
    return AwsSigV4(
        service=service,
        region=region,
        access_key_env="AWS_ACCESS_KEY_ID",
        secret_key_env="AWS_SECRET_ACCESS_KEY",
    )


SERVICE = _scheme("service")


@pytest.fixture
def aws_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's credentials and clock (botocore's, pinned: the signature covers the time)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setattr(
        "botocore.auth.get_current_datetime",
        lambda: datetime.datetime(2015, 8, 30, 12, 36, 0),
    )


def _request(text: str) -> httpx2.Request:
    """The suite's raw request, as httpx2 builds it (nothing added that it does not show)."""
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target, _ = request_line.split(" ")
    headers = [tuple(line.split(":", 1)) for line in header_lines if line]
    host = next(value for name, value in headers if name.lower() == "host")
    request = httpx2.Request(
        method, f"https://{host}{target}", headers=headers, content=body.encode()
    )
    if not any(name.lower() == "content-length" for name, _ in headers):
        request.headers.pop("content-length", None)
    return request


def test_the_suite_has_the_vectors_it_names() -> None:
    assert len(VECTORS) == 10 and "get-vanilla" in VECTORS and "post-vanilla-query" in VECTORS


@pytest.mark.parametrize("vector", VECTORS)
def test_signatures_are_aws_test_suites(vector: str, aws_example: None) -> None:
    request = _request((SUITE / f"{vector}.req").read_text(encoding="utf-8"))
    sign(request, SERVICE)
    expected = (SUITE / f"{vector}.authz").read_text(encoding="utf-8").strip()
    assert request.headers["authorization"] == expected
    assert request.headers["x-amz-date"] == "20150830T123600Z"


def test_a_session_token_is_sent_and_signed(
    aws_example: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-1")
    request = httpx2.Request("GET", "https://example.amazonaws.com/")
    sign(request, SERVICE)
    assert request.headers["x-amz-security-token"] == "token-1"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in request.headers["authorization"]


def test_a_session_token_that_a_header_cannot_carry_is_refused_by_name(
    aws_example: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-1\nX-Injected: 1")
    request = httpx2.Request("GET", "https://example.amazonaws.com/")
    with pytest.raises(SigningError, match="AWS_SESSION_TOKEN holds a line break") as refused:
        sign(request, SERVICE)
    assert "token-1" not in str(refused.value)
    assert "authorization" not in request.headers


def test_signing_again_replaces_the_signature(aws_example: None) -> None:
    """A redirected request keeps the first one's headers: it is signed anew, not twice."""
    request = httpx2.Request("GET", "https://example.amazonaws.com/")
    sign(request, SERVICE)
    first = request.headers["authorization"]
    request.url = request.url.copy_with(path="/elsewhere")
    sign(request, SERVICE)
    assert request.headers.get_list("authorization") != [first]
    assert len(request.headers.get_list("authorization")) == 1
    assert len(request.headers.get_list("x-amz-date")) == 1


def test_the_query_is_sent_as_it_is_signed(aws_example: None) -> None:
    """botocore signs the query's text as it stands; AWS re-encodes each item it decodes. An
    `allowReserved` value's `:` would be signed raw and checked as `%3A`: it is sent encoded."""
    request = httpx2.Request("GET", "https://example.amazonaws.com/?arn=a:b/c&flag&x=%7e")
    sign(request, SERVICE)
    assert request.url.query == b"arn=a%3Ab%2Fc&flag&x=~"


@pytest.mark.parametrize(
    ("host", "pinned", "environment", "signed_for"),
    [
        ("sts.eu-west-3.amazonaws.com", None, "us-west-2", "eu-west-3"),
        ("kendra-ranking.ap-south-1.api.aws", None, None, "ap-south-1"),
        ("sts.cn-north-1.amazonaws.com.cn", None, None, "cn-north-1"),
        ("iam.amazonaws.com", None, "eu-west-1", "us-east-1"),  # a global endpoint
        ("api.deeparteffects.com", None, "eu-west-1", "eu-west-1"),
        ("sts.eu-west-3.amazonaws.com", "us-gov-west-1", "eu-west-1", "us-gov-west-1"),
    ],
)
def test_the_region_signed_for(
    host: str,
    pinned: str | None,
    environment: str | None,
    signed_for: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    if environment is None:
        monkeypatch.delenv("AWS_REGION", raising=False)
    else:
        monkeypatch.setenv("AWS_REGION", environment)
    assert region(_scheme("s", pinned), host) == signed_for


def test_no_region_is_said_and_the_default_region_variable_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(SigningError, match="set AWS_REGION"):
        region(_scheme("execute-api"), "api.example.com")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    assert region(_scheme("execute-api"), "api.example.com") == "eu-north-1"
