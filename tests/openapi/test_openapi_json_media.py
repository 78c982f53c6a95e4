"""A request body offered only in JSON media types other than application/json is sent in
one of them, under its own name: Kubernetes' PATCH takes merge-patch, json-patch or
strategic-merge-patch, and answers a plain application/json body with 415.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml
from wire_conformance import run_document

DOCUMENT = FIXTURES / "edge" / "json-media.yaml"


def test_a_json_media_type_is_kept_as_the_description_names_it(tmp_path: Path) -> None:
    output = tmp_path / "media.toml"
    import_spec(DOCUMENT, output)
    tools = {tool["name"]: tool for tool in load_toml(output)["tools"]}
    # A merge patch is the object the model writes (RFC 7386); a JSON patch is a list of
    # operations (RFC 6902), which the schema of Kubernetes' Patch does not describe.
    assert tools["patch_thing"]["http"]["body"]["content_type"] == "application/merge-patch+json"
    assert tools["replace_thing"]["http"]["body"]["content_type"] == (
        "application/vnd.example.thing+json"
    )
    # `*/*` takes anything: JSON it is, under its usual name.
    assert "content_type" not in tools["touch_thing"]["http"].get("body", {})
    ir, _ = check(output)
    assert {t.name: t.http.body_content_type for t in ir.tools if t.http} == {
        "patch_thing": "application/merge-patch+json",
        "replace_thing": "application/vnd.example.thing+json",
        "touch_thing": "application/json",
    }


def test_a_spec_body_may_name_any_json_media_type_and_nothing_else(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        """
[server]
name = "media"

[http]
base_url = "https://api.example.com"

[[tools]]
name = "patch"
input.type = "object"
input.properties.size = { type = "integer" }
http = { method = "PATCH", path = "/p", body = { content_type = "application/merge-patch+json" } }

[[tools]]
name = "yaml"
input.type = "object"
input.properties.size = { type = "integer" }
http = { method = "PATCH", path = "/y", body = { content_type = "application/apply-patch+yaml" } }
""",
        encoding="utf-8",
    )
    from mcpgen.diagnostics import SpecError

    try:
        check(spec)
    except SpecError as error:
        messages = [d.render() for d in error.diagnostics]
    else:
        raise AssertionError("a YAML body type was accepted")
    assert len(messages) == 1, messages
    assert "tools[1].http.body.content_type" in messages[0]
    assert "application/apply-patch+yaml" in messages[0]


@pytest.mark.slow
def test_the_request_goes_in_the_media_type_the_description_names(tmp_path: Path) -> None:
    result = run_document(DOCUMENT, tmp_path, tools=10, seed=1)
    assert result.stage == "judged", result.error
    wrong = [(v.tool, v.problems) for v in result.verdicts if v.ok is not True]
    assert not wrong, wrong


def test_a_wildcard_json_media_type_goes_as_json(tmp_path: Path) -> None:
    """`application/*+json` (ASP.NET writes it: 375 request bodies of the APIs.guru
    directory) names no type a request can carry: the body goes as application/json, as for
    `*/*`, and the spec the import writes generates."""
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(
            {
                "openapi": "3.0.1",
                "info": {"title": "T", "version": "1"},
                "servers": [{"url": "https://api.example.com"}],
                "paths": {
                    "/x": {
                        "post": {
                            "operationId": "postX",
                            "requestBody": {
                                "content": {
                                    "application/*+json": {
                                        "schema": {
                                            "type": "object",
                                            "properties": {"a": {"type": "string"}},
                                        }
                                    }
                                }
                            },
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    output = tmp_path / "spec.toml"
    import_spec(source, output)
    (tool,) = load_toml(output)["tools"]
    assert "content_type" not in tool["http"]["body"]
    ir, _ = check(output)
    assert ir.tools[0].http is not None
    assert ir.tools[0].http.body_content_type == "application/json"


def test_a_parameter_in_a_wildcard_json_media_type_goes_as_json(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(
            {
                "openapi": "3.0.1",
                "info": {"title": "T", "version": "1"},
                "servers": [{"url": "https://api.example.com"}],
                "paths": {
                    "/x": {
                        "get": {
                            "operationId": "getX",
                            "parameters": [
                                {
                                    "name": "filter",
                                    "in": "query",
                                    "content": {
                                        "application/*+json": {"schema": {"type": "object"}}
                                    },
                                }
                            ],
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    output = tmp_path / "spec.toml"
    import_spec(source, output)
    (tool,) = load_toml(output)["tools"]
    assert tool["http"]["params"]["filter"] == {"in": "query", "content_type": "application/json"}
    ir, _ = check(output)
    assert ir.tools[0].http is not None and ir.tools[0].http.params[0].json
