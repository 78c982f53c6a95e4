"""AWS Signature Version 4: a request signed as the client sends it, by botocore's signer.

botocore (AWS's own Python core, under boto3) is the reference implementation: it canonicalizes
the request the way AWS's services do (each path segment encoded twice for every service but
S3, the query sorted, the payload hashed) and passes AWS's published test suite. It is an
extra (`aws`), imported on the first signed request only, so that a server of another API
neither installs nor loads it.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote, unquote

import httpx2

from ._operations import AwsSigV4
from ._secrets import SECRETS

# Standard variables of AWS's SDKs and CLI: temporary credentials' token, and the region.
AWS_SESSION_TOKEN_ENV = "AWS_SESSION_TOKEN"
AWS_REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")

# What a signature adds or replaces: a redirected request drops the old ones before re-signing.
SIGNING_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token")
# `service.us-west-2.amazonaws.com`, `service.cn-north-1.amazonaws.com.cn`, `x.eu-west-1.api.aws`.
_REGIONAL_HOST = re.compile(
    r"^(?:[^.]+\.)+?([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$"
)
# A global endpoint (`iam.amazonaws.com`, `sts.amazonaws.com`) signs for us-east-1.
_GLOBAL_HOST = re.compile(r"^[^.]+\.amazonaws\.com$")


class SigningError(Exception):
    """Why a request cannot be signed (no region, botocore missing): never a credential."""


def region(scheme: AwsSigV4, host: str) -> str:
    """The region a request to `host` is signed for: the spec's, else the one its host names,
    else us-east-1 for a global endpoint, else the environment's."""
    if scheme.region:
        return scheme.region
    named = _REGIONAL_HOST.match(host.lower())
    if named is not None:
        return named[1]
    if _GLOBAL_HOST.match(host.lower()):
        return "us-east-1"
    for variable in AWS_REGION_ENVS:
        if os.environ.get(variable):
            return os.environ[variable]
    raise SigningError(
        f"no region to sign for: the host {host!r} names none; set {AWS_REGION_ENVS[0]}"
    )


def sign(request: httpx2.Request, scheme: AwsSigV4) -> None:
    """Sign `request` as it stands (sent as it is after this: URL, headers, body); its query
    is first spelled the canonical way, so that what is signed is what is sent."""
    try:
        # botocore ships no type information (PEP 561): its three names are used as Any,
        # and a project type-checks without it installed (its `test` extra leaves it out).
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped, import-not-found, unused-ignore]
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, import-not-found, unused-ignore]
        from botocore.credentials import Credentials  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        raise SigningError(
            "signing AWS requests needs botocore: install the server's `aws` extra"
        ) from None
    secret, token = os.environ[scheme.secret_key_env], os.environ.get(AWS_SESSION_TOKEN_ENV) or None
    SECRETS.add(secret, *([token] if token else []))
    if token is not None and not (token.isascii() and token.isprintable()):
        # It goes into a header as it is: a line break there would start another header.
        raise SigningError(
            f"the token in {AWS_SESSION_TOKEN_ENV} holds a line break, a control character or "
            "a character a header cannot carry (a trailing newline from a file?)"
        )
    for name in SIGNING_HEADERS:
        request.headers.pop(name, None)
    request.url = request.url.copy_with(query=_canonical_query(request.url.query))
    signed: Any = AWSRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers.multi_items()),
        data=request.read(),
    )
    signer: Any = SigV4Auth(
        Credentials(os.environ[scheme.access_key_env], secret, token),
        scheme.service,
        region(scheme, request.url.host),
    )
    signer.add_auth(signed)
    for name in SIGNING_HEADERS:
        if name in signed.headers:
            request.headers[name] = str(signed.headers[name])


def _canonical_query(query: bytes) -> bytes:
    """Each name and value percent-encoded as SigV4's canonical query is (all but unreserved
    characters): botocore signs the query's text as it is, AWS its decoded items re-encoded,
    so a `:` an `allowReserved` parameter leaves as it is would sign what AWS does not see."""
    if not query:
        return query
    items = []
    for item in query.decode("ascii").split("&"):
        name, equals, value = item.partition("=")
        items.append(_encoded(name) + equals + _encoded(value))
    return "&".join(items).encode("ascii")


def _encoded(text: str) -> str:
    return quote(unquote(text), safe="-_.~")
