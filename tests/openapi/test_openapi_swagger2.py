"""Swagger 2.0 documents: upgraded to OpenAPI 3.0 in memory, each rule on a small document;
the real Petstore imports as its 3.0 sibling does; diagnostics name the original places."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.document import parse_openapi_text
from mcpgen.openapi.importer import base_path
from mcpgen.openapi.swagger2 import Upgrade, upgrade_swagger2
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml


def _upgrade(document: dict[str, Any]) -> Upgrade:
    text = json.dumps({"swagger": "2.0", "info": {"title": "T", "version": "1"}, **document})
    return upgrade_swagger2(parse_openapi_text(text.encode(), "/api/doc.json", "doc.json"))


def _operation(parameters: list[Any], **fields: Any) -> dict[str, Any]:
    """A document with one operation, POST /things/{id}, upgraded; its 3.0 operation."""
    operation = {"parameters": parameters, "responses": {"200": {"description": "ok"}}, **fields}
    upgraded = _upgrade({"paths": {"/things/{id}": {"post": operation}}}).document.data
    result: dict[str, Any] = upgraded["paths"]["/things/{id}"]["post"]
    return result


def _imported(text: str, tmp_path: Path) -> tuple[dict[str, Any], list[str]]:
    source = tmp_path / "swagger.yaml"
    source.write_text(text, encoding="utf-8")
    result = import_spec(source, tmp_path / "spec.toml")
    return load_toml(tmp_path / "spec.toml"), [w.render() for w in result.warnings]


# -- the upgrade, rule by rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        (
            {"host": "api.example", "basePath": "/v2", "schemes": ["http", "https"]},
            "https://api.example/v2",
        ),
        ({"host": "api.example", "schemes": ["http"]}, "http://api.example"),
        ({"host": "api.example", "schemes": ["wss", "http"]}, "wss://api.example"),
        ({"basePath": "/v2"}, "/v2"),
    ],
)
def test_host_base_path_and_schemes_make_the_server(fields: dict[str, Any], url: str) -> None:
    upgrade = _upgrade({**fields, "paths": {}})
    assert upgrade.document.data["servers"] == [{"url": url}]
    assert upgrade.warnings == []


def test_a_host_without_schemes_is_taken_as_https_and_no_host_gives_no_server() -> None:
    upgrade = _upgrade({"host": "api.example", "paths": {}})
    assert upgrade.document.data["servers"] == [{"url": "https://api.example"}]
    assert [w.message for w in upgrade.warnings] == [
        "#/host: no `schemes`: the API is taken to be https"
    ]
    assert "servers" not in _upgrade({"paths": {}}).document.data


def test_definitions_become_component_schemas_and_refs_follow() -> None:
    definitions = {
        "Pet": {
            "type": "object",
            "properties": {
                "tag": {"$ref": "#/definitions/Tag"},
                "owner": {"$ref": "#/definitions/Owner", "x-nullable": True},
                "pictures": {"$ref": "pictures.json#/definitions/Picture"},
            },
        },
        "Tag": {"type": "string"},
    }
    given = {"definitions": definitions, "paths": {}}
    before = copy.deepcopy(given)
    data = _upgrade(given).document.data
    assert given == before  # a pure function: the parsed document is not changed
    assert data["openapi"] == "3.0.3" and "definitions" not in data and "swagger" not in data
    pet = data["components"]["schemas"]["Pet"]["properties"]
    assert pet["tag"] == {"$ref": "#/components/schemas/Tag"}
    assert pet["owner"] == {
        "$ref": "#/components/schemas/Owner",
        "x-nullable": True,
        "nullable": True,
    }
    # A schema in another file is JSON Schema as it is: its reference is kept.
    assert pet["pictures"] == {"$ref": "pictures.json#/definitions/Picture"}


def test_a_definition_whose_name_holds_a_percent_sign_is_still_found(tmp_path: Path) -> None:
    """A `$ref` is a URI: the rewritten one spells `%` as `%25`, or it names another key."""
    text = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": "T", "version": "1"},
            "definitions": {"Rate%20Limit": {"type": "object", "required": ["left"]}},
            "paths": {
                "/limit": {
                    "get": {
                        "operationId": "getLimit",
                        "responses": {
                            "200": {
                                "description": "ok",
                                "schema": {"$ref": "#/definitions/Rate%2520Limit"},
                            }
                        },
                    }
                }
            },
        }
    )
    spec, _ = _imported(text, tmp_path)
    (tool,) = spec["tools"]
    assert tool["output"] == {"$ref": "#/types/Rate20Limit"}
    assert spec["types"]["Rate20Limit"]["required"] == ["left"]


def test_a_body_parameter_becomes_the_request_body_in_what_the_operation_consumes() -> None:
    body = {
        "name": "pet",
        "in": "body",
        "required": True,
        "description": "The pet",
        "schema": {"type": "object"},
    }
    operation = _operation([body], consumes=["application/json", "application/xml"])
    assert "parameters" not in operation and "consumes" not in operation
    assert operation["requestBody"] == {
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "object"}},
        },
        "description": "The pet",
        "required": True,
    }
    document = _upgrade(
        {
            "consumes": ["text/plain"],
            "paths": {"/a": {"post": {"parameters": [body], "responses": {}}}},
        }
    ).document.data
    assert list(document["paths"]["/a"]["post"]["requestBody"]["content"]) == ["text/plain"]
    assert list(_operation([body])["requestBody"]["content"]) == ["application/json"]


def test_referenced_parameters_a_body_inlined_the_others_shared() -> None:
    document = _upgrade(
        {
            "parameters": {
                "Body": {"name": "b", "in": "body", "schema": {"$ref": "#/definitions/Pet"}},
                "Limit": {"name": "limit", "in": "query", "type": "integer", "maximum": 50},
            },
            "definitions": {"Pet": {"type": "object"}},
            "paths": {
                "/pets": {
                    "post": {
                        "parameters": [
                            {"$ref": "#/parameters/Body"},
                            {"$ref": "#/parameters/Limit"},
                        ],
                        "responses": {},
                    }
                }
            },
        }
    ).document.data
    operation = document["paths"]["/pets"]["post"]
    assert operation["requestBody"] == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
    }
    assert operation["parameters"] == [{"$ref": "#/components/parameters/Limit"}]
    assert document["components"]["parameters"] == {
        "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}
    }


def test_form_parameters_become_an_object_body_urlencoded_or_multipart() -> None:
    name = {
        "name": "name",
        "in": "formData",
        "type": "string",
        "required": True,
        "description": "Its name",
    }
    tags = {"name": "tags", "in": "formData", "type": "array", "items": {"type": "string"}}
    picture = {"name": "picture", "in": "formData", "type": "file"}
    form = _operation([name, tags])["requestBody"]
    assert form == {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"description": "Its name", "type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["name"],
                }
            }
        },
        "required": True,
    }
    # A file needs multipart (and is binary text); so does an operation that consumes only it.
    upload = _operation(
        [name, picture], consumes=["application/x-www-form-urlencoded", "multipart/form-data"]
    )["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    assert upload["multipart/form-data"]["schema"]["properties"]["picture"] == {
        "type": "string",
        "format": "binary",
    }
    multipart = _operation([name], consumes=["multipart/form-data"])["requestBody"]["content"]
    assert list(multipart) == ["multipart/form-data"]


def test_parameter_fields_move_into_its_schema() -> None:
    parameter = {
        "name": "size",
        "in": "query",
        "description": "How many",
        "required": False,
        "allowEmptyValue": True,
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "exclusiveMaximum": True,
        "maximum": 100,
        "default": 10,
        "enum": [10, 50, 100],
        "x-nullable": True,
        "x-internal": "kept",
    }
    (upgraded,) = _operation([parameter])["parameters"]
    assert upgraded == {
        "name": "size",
        "in": "query",
        "description": "How many",
        "required": False,
        "allowEmptyValue": True,
        "x-internal": "kept",
        "schema": {
            "type": "integer",
            "format": "int32",
            "minimum": 1,
            "exclusiveMaximum": True,
            "maximum": 100,
            "default": 10,
            "enum": [10, 50, 100],
            "x-nullable": True,
            "nullable": True,
        },
    }


@pytest.mark.parametrize(
    ("where", "given", "style"),
    [
        ("query", None, {"style": "form", "explode": False}),  # csv is 2.0's default
        ("query", "csv", {"style": "form", "explode": False}),
        ("query", "multi", {"style": "form", "explode": True}),
        ("query", "ssv", {"style": "spaceDelimited", "explode": False}),
        ("query", "pipes", {"style": "pipeDelimited", "explode": False}),
        ("path", "csv", {}),
        ("header", None, {}),
    ],
)
def test_collection_formats_become_styles(
    where: str, given: str | None, style: dict[str, Any]
) -> None:
    parameter: dict[str, Any] = {
        "name": "id" if where == "path" else "ids",
        "in": where,
        "required": True,
        "type": "array",
        "items": {"type": "integer", "collectionFormat": "csv"},
    }
    if given is not None:
        parameter["collectionFormat"] = given
    upgrade = _upgrade({"paths": {"/things/{id}": {"get": {"parameters": [parameter]}}}})
    (upgraded,) = upgrade.document.data["paths"]["/things/{id}"]["get"]["parameters"]
    assert {k: v for k, v in upgraded.items() if k in ("style", "explode")} == style
    # An array's items are a schema: a collectionFormat there has nothing to say.
    assert upgraded["schema"] == {"type": "array", "items": {"type": "integer"}}
    assert upgrade.warnings == []


@pytest.mark.parametrize(
    ("where", "given"), [("query", "tsv"), ("header", "pipes"), ("path", "multi")]
)
def test_collection_formats_openapi_3_cannot_say_are_reported(where: str, given: str) -> None:
    parameter = {
        "name": "id",
        "in": where,
        "type": "array",
        "items": {"type": "string"},
        "collectionFormat": given,
    }
    upgrade = _upgrade({"paths": {"/things/{id}": {"get": {"parameters": [parameter]}}}})
    (warning,) = upgrade.warnings
    assert warning.message == (
        f"#/paths/~1things~1{{id}}/get/parameters/0/collectionFormat: collectionFormat {given!r} "
        f"has no OpenAPI 3 form for a {where} parameter: the values are sent comma-separated"
    )
    assert warning.location is not None and warning.location.file == "doc.json"


def test_responses_get_content_in_what_the_operation_produces_and_headers_a_schema() -> None:
    response = {
        "description": "the pet",
        "schema": {"$ref": "#/definitions/Pet"},
        "headers": {"X-Rate-Limit": {"type": "integer", "description": "calls per hour"}},
        "examples": {"application/json": {"id": 1}},
    }
    document = _upgrade(
        {
            "produces": ["application/xml", "application/json"],
            "responses": {"NotFound": {"description": "none", "schema": {"type": "string"}}},
            "paths": {
                "/pet": {
                    "get": {
                        "responses": {"200": response, "404": {"$ref": "#/responses/NotFound"}}
                    },
                    "put": {"produces": ["application/json"], "responses": {"200": response}},
                }
            },
        }
    ).document.data
    got = document["paths"]["/pet"]["get"]["responses"]
    pet = {"schema": {"$ref": "#/components/schemas/Pet"}}
    assert got["200"] == {
        "description": "the pet",
        "content": {"application/xml": pet, "application/json": pet},
        "headers": {
            "X-Rate-Limit": {"description": "calls per hour", "schema": {"type": "integer"}}
        },
    }
    assert got["404"] == {"$ref": "#/components/responses/NotFound"}
    assert list(document["paths"]["/pet"]["put"]["responses"]["200"]["content"]) == [
        "application/json"
    ]
    assert document["components"]["responses"]["NotFound"]["content"]["application/json"] == {
        "schema": {"type": "string"}
    }


def test_security_definitions_become_security_schemes() -> None:
    oauth = {"scopes": {"read": "Read"}, "description": "OAuth"}
    schemes = _upgrade(
        {
            "securityDefinitions": {
                "basic": {"type": "basic"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "implicit": {
                    "type": "oauth2",
                    "flow": "implicit",
                    "authorizationUrl": "https://a",
                    **oauth,
                },
                "password": {
                    "type": "oauth2",
                    "flow": "password",
                    "tokenUrl": "https://t",
                    **oauth,
                },
                "application": {
                    "type": "oauth2",
                    "flow": "application",
                    "tokenUrl": "https://t",
                    **oauth,
                },
                "accessCode": {
                    "type": "oauth2",
                    "flow": "accessCode",
                    "authorizationUrl": "https://a",
                    "tokenUrl": "https://t",
                    "scopes": {},
                },
            },
            "paths": {},
        }
    ).document.data["components"]["securitySchemes"]
    assert schemes["basic"] == {"type": "http", "scheme": "basic"}
    assert schemes["key"] == {"type": "apiKey", "in": "header", "name": "X-Key"}
    scopes = {"read": "Read"}
    assert schemes["implicit"] == {
        "type": "oauth2",
        "flows": {"implicit": {"authorizationUrl": "https://a", "scopes": scopes}},
        "description": "OAuth",
    }
    assert schemes["password"]["flows"] == {"password": {"tokenUrl": "https://t", "scopes": scopes}}
    assert schemes["application"]["flows"] == {
        "clientCredentials": {"tokenUrl": "https://t", "scopes": scopes}
    }
    assert schemes["accessCode"]["flows"] == {
        "authorizationCode": {
            "authorizationUrl": "https://a",
            "tokenUrl": "https://t",
            "scopes": {},
        }
    }


def test_path_level_parameters_stay_shared_and_a_path_level_body_reaches_each_operation() -> None:
    item = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "string"},
            {"name": "note", "in": "formData", "type": "string"},
            {"name": "flag", "in": "formData", "type": "boolean"},
        ],
        "post": {"responses": {}},
        "put": {
            "parameters": [{"name": "flag", "in": "formData", "type": "integer"}],
            "responses": {},
        },
    }
    upgraded = _upgrade({"paths": {"/things/{id}": item}}).document.data["paths"]["/things/{id}"]
    assert upgraded["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]

    def form(method: str) -> Any:
        return upgraded[method]["requestBody"]["content"]["application/x-www-form-urlencoded"][
            "schema"
        ]["properties"]

    assert form("post") == {"note": {"type": "string"}, "flag": {"type": "boolean"}}
    # The operation's own field of a name replaces the path's.
    assert form("put") == {"note": {"type": "string"}, "flag": {"type": "integer"}}


def test_body_and_form_parameters_in_one_operation_keep_the_body_and_say_so() -> None:
    upgrade = _upgrade(
        {
            "paths": {
                "/a": {
                    "post": {
                        "parameters": [
                            {"name": "b", "in": "body", "schema": {"type": "object"}},
                            {"name": "f", "in": "formData", "type": "string"},
                            {"name": "c", "in": "body", "schema": {"type": "string"}},
                        ],
                        "responses": {},
                    }
                }
            }
        }
    )
    body = upgrade.document.data["paths"]["/a"]["post"]["requestBody"]
    assert body == {"content": {"application/json": {"schema": {"type": "object"}}}}
    assert sorted(w.message for w in upgrade.warnings) == [
        "#/paths/~1a/post/parameters/1: body and formData parameters in one operation (2.0 "
        "allows one or the other): the formData parameters are left out",
        "#/paths/~1a/post/parameters/2: a second body parameter: only the first is sent",
    ]


@pytest.mark.parametrize(
    ("place", "item"),
    [
        ("parameters/0", {"parameters": [{"$ref": "common.yaml#/parameters/Limit"}]}),
        (
            "get/responses/200",
            {"get": {"responses": {"200": {"$ref": "common.yaml#/responses/Ok"}}}},
        ),
        ("", {"$ref": "common.yaml#/paths/a"}),
    ],
)
def test_a_parameter_response_or_path_item_in_another_file_is_refused(
    place: str, item: dict[str, Any]
) -> None:
    # Each would be read as OpenAPI 3 as it is, wrongly (a 2.0 parameter has no `schema`).
    with pytest.raises(SpecError) as raised:
        _upgrade({"paths": {"/a": item}})
    (error,) = raised.value.diagnostics
    pointer = "/".join(filter(None, ("#/paths/~1a", place, "$ref")))
    assert error.message.startswith(pointer + ": a ")
    assert "in another file" in error.message
    assert "would need its own upgrade from Swagger 2.0" in error.message
    assert error.location is not None and error.location.file == "doc.json"


def test_only_swagger_2_0_is_upgraded() -> None:
    with pytest.raises(SpecError) as raised:
        upgrade_swagger2(parse_openapi_text(b'{"swagger": "1.2"}', "/d.json", "d.json"))
    assert raised.value.diagnostics[0].message.startswith(
        "#/swagger: Swagger '1.2' is not supported"
    )


# -- diagnostics name the original places -------------------------------------------------------

LOCATED = """\
swagger: "2.0"
info: {title: Located, version: "1"}
host: api.example
schemes: [https]
paths:
  /pets:
    post:
      parameters:
        - {name: pet, in: body, schema: {type: object}}
        - name: ids
          in: query
          type: array
          items: {$ref: "#/definitions/Missing"}
      responses:
        "201": {description: made}
"""


def test_a_problem_in_a_moved_parameter_is_named_and_located_where_it_was_written(
    tmp_path: Path,
) -> None:
    # The body parameter leaves the list, the query one moves up to index 0, and its items into
    # its `schema`: the converter finds the problem at /parameters/0/schema/items/$ref.
    with pytest.raises(SpecError) as raised:
        _imported(LOCATED, tmp_path)
    (error,) = raised.value.diagnostics
    assert error.render() == (
        f"{tmp_path / 'swagger.yaml'}:13:25: error: #/paths/~1pets/post/parameters/1/items/$ref: "
        f"$ref '#/definitions/Missing': {tmp_path / 'swagger.yaml'} has nothing at #/definitions"
    )


def test_a_broken_ref_in_a_definition_is_named_as_written(tmp_path: Path) -> None:
    source = FIXTURES / "edge" / "bad" / "swagger2-broken-ref.yaml"
    with pytest.raises(SpecError) as raised:
        import_spec(source, tmp_path / "spec.toml")
    (error,) = raised.value.diagnostics
    location = error.location
    assert location is not None and (location.line, location.col) == (16, 21)
    assert location.file.endswith("swagger2-broken-ref.yaml")
    assert error.message.startswith(
        "#/definitions/Pet/properties/owner/$ref: $ref '#/definitions/Owner': "
    )
    assert error.message.endswith(" has nothing at #/definitions/Owner")


def test_a_json_document_is_located_too(tmp_path: Path) -> None:
    document = yaml.safe_load(LOCATED)
    source = tmp_path / "swagger.json"
    source.write_text(json.dumps(document, indent=1), encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        import_spec(source, tmp_path / "spec.toml")
    (error,) = raised.value.diagnostics
    line = next(
        number
        for number, text in enumerate(source.read_text().splitlines(), 1)
        if '"$ref": "#/definitions/Missing"' in text
    )
    assert error.location is not None and error.location.line == line
    assert error.message.startswith("#/paths/~1pets/post/parameters/1/items/$ref: ")


# -- real documents ---------------------------------------------------------------------------


def test_the_import_says_the_document_was_upgraded_and_warns_in_its_places(tmp_path: Path) -> None:
    result = import_spec(FIXTURES / "petstore-swagger-2.0.yaml", tmp_path / "spec.toml")
    assert result.summary.notes[0].startswith("Swagger 2.0: upgraded to OpenAPI 3.0 in memory")
    assert [w.render() for w in result.warnings] == [
        f"{FIXTURES / 'petstore-swagger-2.0.yaml'}:573:5: warning: "
        "#/securityDefinitions/petstore_auth: security scheme 'petstore_auth' (oauth2 implicit) "
        "is not supported: operations that need only it are called without credentials"
    ]


def test_petstore_2_0_imports_as_its_3_0_sibling(tmp_path: Path) -> None:
    """The same API in two dialects gives the same tools (names, inputs, outputs, errors, auth,
    base URL), but for where the two documents really differ, undone here one by one."""
    specs = {}
    for name in ("petstore-swagger-2.0.yaml", "petstore-3.0.yaml"):
        output = tmp_path / name / "spec.toml"
        import_spec(FIXTURES / name, output)
        _, diagnostics = check(output)
        assert [d.render() for d in diagnostics] == []
        specs[name] = load_toml(output)
    swagger, openapi = specs["petstore-swagger-2.0.yaml"], specs["petstore-3.0.yaml"]
    assert swagger.pop("openapi") != openapi.pop("openapi")  # the source
    # 3.0's Pet has an id the API assigns (readOnly, with a default) and examples; 2.0's not.
    pet = openapi["types"]["Pet"]["properties"]
    pet["id"] = {"type": "integer", "format": "int64"}
    pet["photoUrls"]["items"].pop("examples")
    # 3.0's getPetById declares a default response too.
    by_id = next(t for t in openapi["tools"] if t["name"] == "get_pet_by_id")
    by_id["errors"].remove("UnexpectedError")
    del by_id["http"]["errors"]["default"]
    del openapi["errors"]["UnexpectedError"]
    # 3.0 capitalises one summary.
    upload = next(t for t in openapi["tools"] if t["name"] == "upload_file")
    upload["title"] = upload["description"] = "uploads an image"
    assert swagger["http"] == openapi["http"]
    assert swagger["http"]["base_url"] == "http://petstore.swagger.io/v2"
    assert swagger == openapi


def test_swagger_output_does_not_depend_on_document_order(tmp_path: Path) -> None:
    document = yaml.safe_load((FIXTURES / "petstore-swagger-2.0.yaml").read_text(encoding="utf-8"))
    outputs = []
    for seed in range(3):
        for key in ("paths", "definitions", "securityDefinitions"):
            entries = list(document[key].items())
            random.Random(seed).shuffle(entries)
            document[key] = dict(entries)
        # The same recorded source path, so the header and [openapi] match too.
        source = tmp_path / f"out{seed}" / "doc.json"
        source.parent.mkdir()
        source.write_text(json.dumps(document), encoding="utf-8")
        output = source.with_name("spec.toml")
        import_spec(source, output)
        outputs.append((output.read_bytes(), base_path(output).read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2]


def test_schemas_in_another_swagger_file_are_read_as_json_schema(tmp_path: Path) -> None:
    output = tmp_path / "spec.toml"
    import_spec(FIXTURES / "edge" / "swagger2-split" / "swagger.yaml", output)
    _, diagnostics = check(output)
    assert [d.render() for d in diagnostics] == []
    spec = load_toml(output)
    assert spec["http"]["base_url"] == "https://zoo.example/v1"
    assert spec["types"]["Animal"]["properties"]["keeper"] == {"$ref": "#/types/Keeper"}
    assert set(spec["types"]) == {"Animal", "Keeper", "Problem"}
    tools = {t["name"]: t for t in spec["tools"]}
    assert tools["get_animal"]["output"] == {"$ref": "#/types/Animal"}
    assert tools["get_animal"]["http"]["errors"] == {"404": "NotFoundError"}
    assert tools["put_animal"]["input"]["properties"]["body"] == {"$ref": "#/types/Animal"}
    assert tools["put_animal"]["input"]["required"] == ["id", "body"]
