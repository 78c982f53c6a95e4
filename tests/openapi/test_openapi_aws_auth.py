"""Security schemes the import cannot turn into a working credential, and AWS's SigV4.

353 of the directory's 2,622 descriptions say `x-amazon-apigateway-authtype: awsSigv4` on an
apiKey `Authorization` scheme: that header is a signature, computed per request, which a
static key can never be. Their operations also declare the seven `X-Amz-*` headers the signer
sends; a tool must not ask a model for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpgen.pipeline import check
from mcpgen.spec import SIGV4_HEADERS
from openapi_support import FIXTURES, edit_document, import_spec, load_toml

KINESIS = FIXTURES / "aws-kinesis-video-webrtc-storage.json"


def _copy(source: Path, folder: Path) -> Path:
    copy = folder / source.name
    copy.write_bytes(source.read_bytes())
    return copy


def test_sigv4_is_a_signer_and_its_headers_are_no_inputs(tmp_path: Path) -> None:
    document = json.loads(KINESIS.read_text(encoding="utf-8"))
    declared = {
        name.lower()
        for name in document["components"]["parameters"]
        if name.lower().startswith("x-amz-")
    }
    assert declared == SIGV4_HEADERS  # what the description declares, every one
    spec = tmp_path / "kv.toml"
    import_spec(KINESIS, spec, server_name="kv")
    written = load_toml(spec)
    assert written["http"]["auth"] == {"hmac": {"type": "aws_sigv4", "service": "kinesisvideo"}}
    assert written["http"]["security"] == [["hmac"]]
    [tool] = written["tools"]
    names = {*tool["input"].get("properties", {}), *tool["http"].get("params", {})}
    assert not {name for name in names if name.lower().startswith("x-amz")}
    body = document["paths"]["/joinStorageSession"]["post"]["requestBody"]
    assert list(tool["input"]["properties"]) == list(
        body["content"]["application/json"]["schema"]["properties"]
    )
    _, diagnostics = check(spec)
    assert diagnostics == []


def test_the_signing_name_is_the_hosts_endpoint_prefix_when_not_named(tmp_path: Path) -> None:
    """aws2openapi writes `x-aws-signingName` in 238 of the 354 AWS descriptions; the others'
    is their endpoint prefix (EventBridge signs as `events`, OpenSearch as `es`), the first
    label of their host. Elsewhere (an API Gateway API on a domain of its own) it is
    `execute-api`."""

    def events(document: dict[str, Any]) -> None:
        del document["info"]["x-aws-signingName"]
        document["servers"] = [
            {
                "url": "https://events.{region}.amazonaws.com",
                "variables": {"region": {"default": "eu-west-1"}},
            }
        ]

    source = _copy(KINESIS, tmp_path)
    edit_document(source, events)
    spec = tmp_path / "events.toml"
    import_spec(source, spec, server_name="events")
    assert load_toml(spec)["http"]["auth"]["hmac"]["service"] == "events"

    edit_document(source, lambda d: d.update(servers=[{"url": "https://api.example.com/v1"}]))
    import_spec(source, spec, server_name="events")
    assert load_toml(spec)["http"]["auth"]["hmac"]["service"] == "execute-api"


UNSUPPORTED = {
    "sigv2": (
        {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv2",
        },
        "AWS Signature Version 2",
    ),
    "s3": (
        {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsS3",
        },
        "AWS S3 signature",
    ),
    "oidc": (
        {"type": "openIdConnect", "openIdConnectUrl": "https://id.example.com/.well-known"},
        "openIdConnect",
    ),
    "implicit": (
        {
            "type": "oauth2",
            "flows": {"implicit": {"authorizationUrl": "https://id.example.com/a", "scopes": {}}},
        },
        "oauth2 implicit",
    ),
    "digest": ({"type": "http", "scheme": "digest"}, "http digest"),
    "mtls": ({"type": "mutualTLS"}, "mutualTLS"),
}


def test_each_scheme_that_cannot_authenticate_is_reported_by_name(tmp_path: Path) -> None:
    source = tmp_path / "schemes.json"
    source.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "Schemes", "version": "1"},
                "servers": [{"url": "https://api.example.com"}],
                "security": [{name: []} for name in UNSUPPORTED],
                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
                "components": {
                    "securitySchemes": {name: scheme for name, (scheme, _) in UNSUPPORTED.items()}
                },
            }
        ),
        encoding="utf-8",
    )
    spec = tmp_path / "schemes.toml"
    result = import_spec(source, spec, server_name="schemes")
    written = load_toml(spec)
    assert "auth" not in written["http"]  # nothing that would send what cannot authenticate
    report = "\n".join(result.summary.lines())
    for name, (_, described) in UNSUPPORTED.items():
        said = f"security scheme {name!r} ({described}) is not supported"
        assert said in report
        [warning] = [w for w in result.warnings if said in w.message]
        assert warning.location is not None
        assert f"#/components/securitySchemes/{name}:" in str(warning)


def test_an_api_offered_over_https_is_called_over_https(tmp_path: Path) -> None:
    """AWS's descriptions (413 of the directory's) list each endpoint over http first, then
    the same over https: the signature, its session token and the answers would cross the
    network in clear text. A URL listed both ways is taken as https; one only over http
    stays as it is."""
    spec = tmp_path / "kv.toml"
    import_spec(KINESIS, spec, server_name="kv")
    assert load_toml(spec)["http"]["base_url"] == "https://kinesisvideo.us-east-1.amazonaws.com"

    source = _copy(KINESIS, tmp_path)
    only_http = [{"url": "http://kinesisvideo.example.com"}, {"url": "https://other.example.com"}]
    edit_document(source, lambda d: d.update(servers=only_http))
    import_spec(source, spec, server_name="kv")
    assert load_toml(spec)["http"]["base_url"] == "http://kinesisvideo.example.com"
