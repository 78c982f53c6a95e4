"""AWS SigV4 for the wire tests: the credentials a test sets, and a signature recomputed with
botocore from a request as the loopback recorder received it (its method, raw target, headers
and body), independent of what the client computed."""

from __future__ import annotations

import re

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from http_support.recorder import Seen

# AWS's documented example credentials (its test suite's); the token is made up.
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE-session-token"
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_SESSION_TOKEN": SESSION_TOKEN,
}


def signed_headers(seen: Seen) -> list[str]:
    found = re.search(r"SignedHeaders=([^,]+),", seen.headers.get("authorization", ""))
    assert found is not None, f"not signed: {seen.headers}"
    return found[1].split(";")


def expected_authorization(seen: Seen, service: str, region: str) -> str:
    """The `Authorization` header AWS would compute for the request `seen`: what a server
    checks, from nothing but what arrived (and the secret it shares)."""
    names = signed_headers(seen)
    request = AWSRequest(
        method=seen.method,
        url=f"http://{seen.headers['host']}{seen.target}",
        headers={name: seen.headers[name] for name in names},
        data=seen.body,
    )
    request.context["timestamp"] = seen.headers["x-amz-date"]
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN), service, region)
    signature = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    scope = f"{seen.headers['x-amz-date'][:8]}/{region}/{service}/aws4_request"
    return (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )


def assert_signed(seen: Seen, service: str, region: str) -> None:
    """`seen` carries a valid signature that covers every header it was sent with (but those
    proxies may change, which SigV4 leaves out) and the session token."""
    assert seen.headers["authorization"] == expected_authorization(seen, service, region)
    sent = {name for name in seen.headers if name not in SIGNED_HEADERS_BLACKLIST}
    assert set(signed_headers(seen)) == sent - {"authorization"}
    assert seen.headers["x-amz-security-token"] == SESSION_TOKEN
