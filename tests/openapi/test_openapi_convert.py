"""Conversion semantics: inputs, outputs, errors, annotations, auth, servers, names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcpgen.cli import main
from mcpgen.diagnostics import SpecError
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml


def _imported(source: Path, tmp_path: Path, **options: Any) -> dict[str, Any]:
    output = tmp_path / "spec.toml"
    import_spec(source, output, **options)
    check(output)  # mcpgen's own loader and resolver accept it
    return load_toml(output)


def _tool(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(t for t in spec["tools"] if t["http"].get("operation_id") == operation_id)


def test_parameters_of_every_location_merge_with_the_body(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "edge" / "clashes.yaml", tmp_path)
    tool = _tool(spec, "put_item")
    params = tool["http"]["params"]
    # The body keeps its property names (it is merged); clashing parameters are renamed
    # by their location, and the wire name is recorded.
    assert params["query_status"] == {"in": "query", "name": "status"}
    assert params["header_status"] == {"in": "header", "name": "status"}
    assert "status" not in params and "status" in tool["input"]["properties"]
    # A name clients would refuse is cleaned, and mapped back.
    assert params["page_size"] == {"in": "query", "name": "page[size]"}
    assert params["session"] == {"in": "cookie"}
    # Operation-level parameters override path-level ones of the same name and place.
    assert tool["input"]["properties"]["verbose"]["type"] == "integer"
    # Accept is set by the request itself, never an input.
    assert "Accept" not in tool["input"]["properties"]
    # Required-ness: path parameters always, required parameters, the required body's required.
    assert tool["input"]["required"] == ["id", "session", "status"]
    # readOnly properties are not inputs; the merged body has no `property`.
    assert "id" not in params or params["id"] == {"in": "path"}
    assert tool["http"]["body"] == {}
    assert tool["annotations"] == {"idempotent": True, "open_world": True}


def test_recursive_types_stay_shared_and_names_are_unique(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "edge" / "clashes.yaml", tmp_path)
    assert set(spec["types"]) == {"Item", "Item0759"}
    assert spec["types"]["Item"]["properties"]["next"] == {"$ref": "#/types/Item0759"}
    assert spec["types"]["Item0759"]["properties"]["parent"] == {"$ref": "#/types/Item"}
    # A null in an enum cannot be written in TOML: it becomes an alternative.
    assert spec["types"]["Item0759"]["properties"]["kind"] == {
        "anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]
    }


def test_tool_name_collisions_are_suffixed_by_each_operations_route(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "edge" / "clashes.yaml", tmp_path, max_name_length=40)
    names = {t["http"]["method"] + " " + t["http"]["path"]: t["name"] for t in spec["tools"]}
    assert names["PUT /items/{id}"] == "put_item_1d5c4b"
    assert names["POST /items/{id}"] == "put_item_31ce4a"
    assert names["GET /items"] == "put_item_e3d0ef"
    long_name = next(n for r, n in names.items() if r.startswith("GET /a/"))
    assert len(long_name) <= 40 and long_name.startswith("get_a_very_long_path")


def test_bodies_responses_security_and_servers(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "edge" / "bodies.yaml", tmp_path)
    assert spec["http"]["base_url"] == "/relative"
    assert spec["http"]["security"] == [["token"]]
    auth = spec["http"]["auth"]
    assert auth["token"] == {"type": "bearer", "env": "BODIES_TOKEN"}
    assert auth["basic"]["username_env"] == "BODIES_BASIC_USERNAME"
    assert auth["key"] == {"type": "api_key", "in": "query", "name": "api_key", "env": "BODIES_KEY"}
    assert auth["cc"]["scopes"] == ["read", "write"]
    assert "oidc" not in auth

    form = _tool(spec, "sendForm")
    assert form["http"]["body"] == {"content_type": "application/x-www-form-urlencoded"}
    assert set(form["input"]["properties"]) == {"a", "b"}

    upload = _tool(spec, "upload")
    assert upload["http"]["security"] == [[]]
    assert upload["http"]["body"] == {"content_type": "multipart/form-data"}
    assert upload["input"]["properties"]["file"] == {
        "type": "string",
        "contentEncoding": "base64",
    }
    assert upload["input"]["properties"]["note"] == {"type": ["string", "null"]}
    assert upload["output"] == {
        "type": "object",
        "required": ["result"],
        "properties": {"result": {"type": "integer"}},
    }
    assert upload["http"]["response"] == {"wrap": "result"}

    raw = _tool(spec, "putRaw")
    assert raw["http"]["body"] == {"content_type": "application/octet-stream", "property": "body"}
    assert raw["http"]["response"] == {"content_type": "text"}
    text = _tool(spec, "postText")
    assert text["http"]["body"] == {"content_type": "text/plain", "property": "body"}
    # `default` alone is the success response, not an error.
    assert "errors" not in text

    vendor = _tool(spec, "patchVendor")
    # A body with additionalProperties cannot merge with parameters: it is one property;
    # it goes in the JSON media type the description names.
    assert vendor["http"]["body"] == {
        "content_type": "application/merge-patch+json",
        "property": "body",
    }
    # A nullable object cannot be a structured result: wrapped. 3.0 dialect converted;
    # an output's examples left out.
    n = vendor["output"]["properties"]["result"]["properties"]["n"]
    assert n == {"type": "number", "exclusiveMinimum": 0}
    assert not any(t["http"].get("operation_id") == "postXml" for t in spec["tools"])


def test_operations_served_elsewhere_keep_their_server(tmp_path: Path) -> None:
    output = tmp_path / "spec.toml"
    result = import_spec(FIXTURES / "edge" / "servers.yaml", output)
    check(output)
    spec = load_toml(output)
    assert spec["http"]["base_url"] == "https://eu.api.example.com/v1"
    base_urls = {t["http"]["operation_id"]: t["http"].get("base_url") for t in spec["tools"]}
    assert base_urls == {
        "uploadAsset": "https://uploads.example.com/v1",  # its path's servers
        "listAssets": "https://cdn.example.com/",  # its own, over its path's
        "sameServer": None,  # the API's own address, but for a slash
        "relativeServer": None,  # not an address a request can go to: reported
        "plain": None,
    }
    [warning] = [w.message for w in result.warnings if "/elsewhere" in w.message]
    assert "'/elsewhere' is not an absolute http(s) URL" in warning
    assert "/paths/~1relative/get/servers/0/url" in warning


DEPRECATED = """\
openapi: 3.0.3
info: {title: Old, version: "1"}
servers: [{url: "https://old.example.com"}]
paths:
  /old:
    get: {operationId: oldList, summary: List the old way, deprecated: true, responses: {"204": {description: ok}}}
    delete: {operationId: oldDrop, deprecated: true, responses: {"204": {description: ok}}}
  /new:
    get: {operationId: newList, summary: List, responses: {"204": {description: ok}}}
"""


def test_deprecated_operations_say_so_and_can_be_left_out(tmp_path: Path) -> None:
    source = tmp_path / "old.yaml"
    source.write_text(DEPRECATED, encoding="utf-8")
    spec = _imported(source, tmp_path)
    old, drop, new = (_tool(spec, op) for op in ("oldList", "oldDrop", "newList"))
    assert (old["description"], old["http"]["deprecated"]) == ("Deprecated. List the old way", True)
    assert (drop["description"], drop["http"]["deprecated"]) == ("Deprecated.", True)
    assert "deprecated" not in new["http"] and new["description"] == "List"

    output = tmp_path / "cut.toml"
    run = CliRunner().invoke(
        main, ["import", "openapi", str(source), "-o", str(output), "--exclude-deprecated"]
    )
    assert run.exit_code == 0, run.output
    assert "excluded by deprecated (2)" in run.output
    cut = load_toml(output)
    assert [t["http"]["operation_id"] for t in cut["tools"]] == ["newList"]
    assert cut["openapi"]["exclude"] == {"deprecated": True}
    # A re-import applies the recorded selection again.
    again = CliRunner().invoke(main, ["import", "openapi", "-o", str(output)])
    assert again.exit_code == 0, again.output
    assert [t["http"]["operation_id"] for t in load_toml(output)["tools"]] == ["newList"]


SENDS = """\
openapi: 3.1.0
info: {title: Hooks, version: "1"}
servers: [{url: "https://hooks.example.com"}]
paths:
  /subscriptions:
    post:
      operationId: subscribe
      callbacks:
        event: {"{$request.body#/url}": {post: {responses: {"204": {description: ok}}}}}
      responses: {"201": {description: subscribed}}
webhooks:
  newPet: {post: {responses: {"200": {description: ok}}}}
  lostPet: {post: {responses: {"200": {description: ok}}}}
"""


def test_webhooks_and_callbacks_are_reported_not_made_tools(tmp_path: Path) -> None:
    source = tmp_path / "hooks.yaml"
    source.write_text(SENDS, encoding="utf-8")
    result = import_spec(source, tmp_path / "spec.toml")
    assert [t["name"] for t in load_toml(tmp_path / "spec.toml")["tools"]] == ["subscribe"]
    assert result.summary.notes == [
        "webhooks (2): requests the API sends, not tools",
        "callbacks (on POST /subscriptions): requests the API sends, not tools",
    ]


def test_external_refs_across_files_with_cycles(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "edge" / "split" / "openapi.yaml", tmp_path)
    assert spec["http"]["base_url"] == "https://eu.zoo.example/api"
    assert set(spec["types"]) == {"Animal", "Keeper", "Problem"}
    assert spec["types"]["Keeper"]["properties"]["favourite"] == {"$ref": "#/types/Animal"}
    listing = _tool(spec, "listAnimals")
    assert listing["http"]["tags"] == ["animals"]
    get = _tool(spec, "getAnimal")
    assert get["output"] == {"$ref": "#/types/Animal"}
    error_name = get["http"]["errors"]["404"]
    assert error_name == "NotFoundError"
    error = spec["errors"][error_name]
    assert error["message"] == "No such animal. (HTTP {status})"
    assert error["data"]["properties"]["body"] == {"$ref": "#/types/Problem"}


def test_petstore_errors_are_shared_and_annotations_follow_the_method(tmp_path: Path) -> None:
    spec = _imported(FIXTURES / "petstore-3.0.yaml", tmp_path)
    assert sorted(spec["errors"]) == [
        "BadRequestError",
        "MethodNotAllowedError",
        "NotFoundError",
        "UnexpectedError",
    ]
    delete = _tool(spec, "deletePet")
    assert delete["annotations"] == {"destructive": True, "idempotent": True, "open_world": True}
    get = _tool(spec, "getPetById")
    assert get["annotations"] == {"read_only": True, "open_world": True}
    assert get["title"] == "Find pet by ID" and get["description"] == "Returns a single pet"
    assert get["http"]["security"] == [["api_key"]]
    assert get["errors"] == ["BadRequestError", "NotFoundError", "UnexpectedError"]
    # Tools read by path, then method.
    routes = [(t["http"]["path"], t["http"]["method"]) for t in spec["tools"]]
    assert routes[:2] == [("/pet", "PUT"), ("/pet", "POST")]
    assert routes == sorted(
        routes, key=lambda r: (r[0], ["GET", "PUT", "POST", "DELETE", "PATCH"].index(r[1]))
    )


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        (
            {"include": {"tags": ["store"]}},
            {"getInventory", "placeOrder", "getOrderById", "deleteOrder"},
        ),
        (
            {
                "include": {"paths": ["/store/order*"]},
                "exclude": {"operations": ["DELETE /store/order/{orderId}"]},
            },
            {"placeOrder", "getOrderById"},
        ),
        (
            {"include": {"operations": ["getInventory", "GET /user/login"]}},
            {"getInventory", "loginUser"},
        ),
    ],
)
def test_selection_is_recorded_and_applied(
    tmp_path: Path, options: dict[str, Any], kept: set[str]
) -> None:
    from mcpgen.spec import OpenApiSelection

    selection = {k: OpenApiSelection.model_validate(v) for k, v in options.items()}
    output = tmp_path / "spec.toml"
    result = import_spec(FIXTURES / "petstore-3.0.yaml", output, **selection)
    spec = load_toml(output)
    assert {t["http"]["operation_id"] for t in spec["tools"]} == kept
    for kind, value in options.items():
        assert spec["openapi"][kind] == value
    assert len(result.summary.skipped) == 20 - len(kept)
    # A re-import without options applies the recorded selection again.
    import_spec(FIXTURES / "petstore-3.0.yaml", output)
    assert {t["http"]["operation_id"] for t in load_toml(output)["tools"]} == kept


ALL_OF_RESPONSES = """\
openapi: 3.1.0
info: {title: Tasks, version: "1"}
paths:
  /tasks/{id}:
    get:
      operationId: getTask
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: The task.
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Base"
                  - {type: object, properties: {state: {type: string}}}
  /versions/{id}:
    get:
      operationId: getVersion
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: A version.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Version"}
components:
  schemas:
    Base: {type: object, required: [id], properties: {id: {type: string}}}
    Version:
      allOf:
        - $ref: "#/components/schemas/Base"
        - {type: object, properties: {number: {type: integer}}}
"""


def test_an_all_of_of_objects_is_a_structured_result(tmp_path: Path) -> None:
    """An allOf whose parts are all objects is an object: the output itself, not wrapped,
    typed as one at its root (as MCP wants), inline or shared."""
    source = tmp_path / "tasks.yaml"
    source.write_text(ALL_OF_RESPONSES, encoding="utf-8")
    spec = _imported(source, tmp_path)
    task = _tool(spec, "getTask")
    assert "wrap" not in task["http"].get("response", {})
    assert task["output"]["type"] == "object"
    assert task["output"]["allOf"][0] == {"$ref": "#/types/Base"}
    version = _tool(spec, "getVersion")
    assert "wrap" not in version["http"].get("response", {})
    assert version["output"] == {"$ref": "#/types/Version"}
    assert spec["types"]["Version"]["type"] == "object"


EXAMPLES = """\
openapi: 3.0.3
info: {title: Examples, version: "1"}
paths:
  /pets:
    post:
      operationId: addPet
      parameters: [{name: dry_run, in: query, schema: {type: boolean, example: true}}]
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "200":
          description: The pet.
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
  /reports/{id}:
    get:
      operationId: getReport
      parameters: [{name: id, in: path, required: true, schema: {type: string, example: r1}}]
      responses:
        "200":
          description: A report.
          content:
            application/json:
              schema:
                type: object
                properties:
                  score: {type: integer, example: 7}
                  report: {$ref: "#/components/schemas/Report"}
        "404":
          description: Not found.
          content: {application/json: {schema: {$ref: "#/components/schemas/Problem"}}}
components:
  schemas:
    Pet: {type: object, properties: {name: {type: string, example: Rex}}}
    Report:
      type: object
      example: {title: Q3}
      properties: {title: {type: string, examples: [Q3, Q4]}}
    Problem: {type: object, properties: {detail: {type: string, example: gone}}}
"""


def test_examples_stay_in_inputs_and_leave_outputs(tmp_path: Path) -> None:
    """Examples help a model write arguments, not read results: kept in inputs and in
    the types inputs use, left out of outputs, error bodies and the types only they use."""
    source = tmp_path / "examples.yaml"
    source.write_text(EXAMPLES, encoding="utf-8")
    spec = _imported(source, tmp_path)
    types = spec["types"]
    assert types["Pet"]["properties"]["name"]["examples"] == ["Rex"]  # input and output
    assert "examples" not in types["Report"]
    assert "examples" not in types["Report"]["properties"]["title"]
    assert "examples" not in types["Problem"]["properties"]["detail"]
    report = _tool(spec, "getReport")
    assert report["input"]["properties"]["id"]["examples"] == ["r1"]
    assert report["output"]["properties"]["score"] == {"type": "integer"}
    add = _tool(spec, "addPet")
    assert add["input"]["properties"]["dry_run"]["examples"] == [True]


def test_a_shared_response_is_named_by_its_component_as_its_ref_spells_it(
    tmp_path: Path,
) -> None:
    """`#/components/responses/Not%20Found` names the component `Not Found` (a URI's
    fragment is percent-decoded), whose name the error takes."""
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "T", "version": "1"},
                "components": {"responses": {"Not Found": {"description": "Gone away"}}},
                "paths": {
                    "/thing": {
                        "get": {
                            "operationId": "getThing",
                            "responses": {
                                "200": {"description": "ok"},
                                "404": {"$ref": "#/components/responses/Not%20Found"},
                            },
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    spec = _imported(source, tmp_path)
    assert _tool(spec, "getThing")["http"]["errors"] == {"404": "NotFoundError"}


def test_an_oauth2_scheme_without_a_token_url_is_reported_as_unsupported(
    tmp_path: Path,
) -> None:
    """Every scheme the import cannot use is said so, this one too (it was dropped silently)."""
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "T", "version": "1"},
                "components": {
                    "securitySchemes": {
                        "machine": {
                            "type": "oauth2",
                            "flows": {"clientCredentials": {"scopes": {}}},
                        }
                    }
                },
                "security": [{"machine": []}],
                "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
            }
        ),
        encoding="utf-8",
    )
    result = import_spec(source, tmp_path / "spec.toml")
    (warning,) = [w.render() for w in result.warnings if "machine" in w.message]
    assert "security scheme 'machine' (oauth2 client credentials without tokenUrl)" in warning
    assert "is not supported" in warning
    assert "auth" not in load_toml(tmp_path / "spec.toml")["http"]


def test_a_requirement_whose_schemes_share_a_header_is_taken_as_either(tmp_path: Path) -> None:
    """Azure's container registry requires basic auth AND an API key in `Authorization`
    together: a request carries that header once, so the key overwrote the password
    without a word. Imported as either scheme alone, said once, by name; a spec that
    requires both together is refused."""
    source = tmp_path / "registry.json"
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Registry", "version": "1"},
        "servers": [{"url": "https://registry.example.com"}],
        "components": {
            "securitySchemes": {
                "registry_auth": {"type": "http", "scheme": "basic"},
                "registry_oauth2": {"type": "apiKey", "in": "header", "name": "authorization"},
                "tenant": {"type": "apiKey", "in": "header", "name": "X-Tenant"},
            }
        },
        "security": [{"registry_auth": [], "registry_oauth2": []}],
        "paths": {
            "/a": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/b": {
                "get": {
                    "security": [{"registry_auth": [], "tenant": []}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/c": {
                "get": {
                    "security": [{"registry_auth": [], "registry_oauth2": [], "tenant": []}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    result = import_spec(source, tmp_path / "spec.toml")
    spec = load_toml(tmp_path / "spec.toml")
    assert spec["http"]["security"] == [["registry_auth"], ["registry_oauth2"]]
    # Schemes in different places stay one requirement.
    (get_b,) = [t for t in spec["tools"] if t["http"]["path"] == "/b"]
    assert get_b["http"]["security"] == [["registry_auth", "tenant"]]
    # A scheme in a place of its own stays in each alternative.
    (get_c,) = [t for t in spec["tools"] if t["http"]["path"] == "/c"]
    assert get_c["http"]["security"] == [["registry_auth", "tenant"], ["registry_oauth2", "tenant"]]
    (warning,) = [w.render() for w in result.warnings if "can never be met" in w.message]
    assert "'registry_auth' and 'registry_oauth2' both send the header Authorization" in warning
    assert "imported as alternatives, one of them in each" in warning
    _, diagnostics = check(tmp_path / "spec.toml")
    assert [d for d in diagnostics if d.level == "error"] == []
    # Written by hand, the same requirement is refused where it stands.
    text = (tmp_path / "spec.toml").read_text(encoding="utf-8")
    together = 'security = [["registry_auth", "registry_oauth2"]]'
    (tmp_path / "spec.toml").write_text(
        text.replace('security = [["registry_auth"], ["registry_oauth2"]]', together),
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as refused:
        check(tmp_path / "spec.toml")
    (error,) = [d for d in refused.value.diagnostics if d.level == "error"]
    assert "'registry_auth' and 'registry_oauth2' both send the header Authorization" in (
        error.message
    )
    assert "http.security[0]" in error.render()


def test_a_parameter_a_credential_fills_is_no_argument(tmp_path: Path) -> None:
    """Apideck declares its consumer id as an API key scheme and as a header parameter of
    each operation (21 directory documents, 635 operations do alike): the tool asked the
    model for the credential, and the request then carried two of that header. The
    credential fills its place; the parameter is no input, and the import says so."""
    source = tmp_path / "crm.json"
    consumer = {"name": "x-apideck-consumer-id", "in": "header", "schema": {"type": "string"}}
    key = {"name": "api_key", "in": "query", "schema": {"type": "string"}}
    document = {
        "openapi": "3.0.0",
        "info": {"title": "CRM", "version": "1"},
        "servers": [{"url": "https://crm.example.com"}],
        "components": {
            "securitySchemes": {
                "consumerId": {"type": "apiKey", "in": "header", "name": "X-Apideck-Consumer-Id"},
                "key": {"type": "apiKey", "in": "query", "name": "api_key"},
            }
        },
        "security": [{"consumerId": [], "key": []}],
        "paths": {
            "/companies": {
                "get": {
                    "operationId": "companiesAll",
                    "parameters": [consumer, key, {"name": "limit", "in": "query"}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/public": {
                "get": {
                    "operationId": "publicAll",
                    "security": [],
                    "parameters": [key],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    result = import_spec(source, tmp_path / "spec.toml")
    spec = load_toml(tmp_path / "spec.toml")
    companies = _tool(spec, "companiesAll")
    assert set(companies["input"]["properties"]) == {"limit"}
    assert set(companies["http"].get("params", {})) == {"limit"}
    # An operation that needs no credential keeps the parameter: nothing else fills it.
    assert set(_tool(spec, "publicAll")["input"]["properties"]) == {"api_key"}
    said = " ".join(result.summary.notes)
    assert "header parameter 'x-apideck-consumer-id' of 1 operation is filled by" in said
    assert "query parameter 'api_key' of 1 operation is filled by" in said


def test_a_form_body_that_is_no_object_takes_another_type_or_is_skipped(
    tmp_path: Path,
) -> None:
    """Codat uploads an attachment as `multipart/form-data` whose schema is a binary string
    (68 operations of 17 directory documents: strings, lists, a number, in a form): no
    field is named to carry it, and the tool failed every call ("a form body is an
    object"). Another media type of the body is sent instead; without one, the operation
    is skipped, saying why."""
    source = tmp_path / "uploads.json"
    binary = {"type": "string", "format": "binary"}
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Uploads", "version": "1"},
        "servers": [{"url": "https://uploads.example.com"}],
        "paths": {
            "/attachments": {
                "post": {
                    "operationId": "upload",
                    "requestBody": {"content": {"multipart/form-data": {"schema": binary}}},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/raw": {
                "post": {
                    "operationId": "uploadRaw",
                    "requestBody": {
                        "content": {
                            "multipart/form-data": {"schema": binary},
                            "application/octet-stream": {"schema": binary},
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/batch": {
                "put": {
                    "operationId": "batch",
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {"type": "array", "items": {"type": "string"}}
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    result = import_spec(source, tmp_path / "spec.toml")
    spec = load_toml(tmp_path / "spec.toml")
    assert [t["http"]["operation_id"] for t in spec["tools"]] == ["uploadRaw"]
    assert _tool(spec, "uploadRaw")["http"]["body"]["content_type"] == "application/octet-stream"
    assert dict(result.summary.skipped) == {
        "POST /attachments": "its multipart/form-data body is no object of fields",
        "PUT /batch": "its application/x-www-form-urlencoded body is no object of fields",
    }


def test_a_json_body_goes_as_its_media_type_parameters_and_all(tmp_path: Path) -> None:
    """Azure Batch takes `application/json; odata=minimalmetadata`: the body went as plain
    `application/json`, not as described. A JSON type's parameters are now sent; one with
    no JSON type a request can be sent as goes as application/json, as before."""
    source = tmp_path / "batch.json"
    body = {"schema": {"type": "object", "properties": {"id": {"type": "string"}}}}
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Batch", "version": "1"},
        "servers": [{"url": "https://batch.example.com"}],
        "paths": {
            "/pools": {
                "post": {
                    "operationId": "addPool",
                    "requestBody": {"content": {"application/json; odata=minimalmetadata": body}},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/jobs": {
                "post": {
                    "operationId": "addJob",
                    "requestBody": {"content": {"Application/JSON": body}},
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    spec = _imported(source, tmp_path)
    pool = _tool(spec, "addPool")["http"].get("body") or {}
    assert pool.get("content_type") == "application/json; odata=minimalmetadata"
    assert "content_type" not in (_tool(spec, "addJob")["http"].get("body") or {})


def test_a_read_only_property_by_reference_is_no_input(tmp_path: Path) -> None:
    """`id: {$ref: IdReadOnly}`, the readOnly in the schema it names (Intellifi's): the tool
    asked the model for the id the server assigns. A property of a body's own schema that is
    readOnly by its reference is no input, as one readOnly by its own keyword is."""
    source = tmp_path / "sets.json"
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Sets", "version": "1"},
        "servers": [{"url": "https://sets.example.com"}],
        "components": {"schemas": {"IdReadOnly": {"type": "string", "readOnly": True}}},
        "paths": {
            "/lists": {
                "post": {
                    "operationId": "addList",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"$ref": "#/components/schemas/IdReadOnly"},
                                        "label": {"type": "string"},
                                        "total": {"type": "integer", "readOnly": True},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    spec = _imported(source, tmp_path)
    assert set(_tool(spec, "addList")["input"]["properties"]) == {"label"}


def test_an_octet_stream_body_is_base64_text_whatever_type_it_declares(tmp_path: Path) -> None:
    """Azure's OCR document (APIs.guru's upgrade of Swagger 2.0's `type: file`) describes its
    octet-stream bodies as `{type: object, format: file}`: bytes, which a tool takes as
    base64 text. Kept an object, no argument could be sent ("Only base64 data is allowed")."""
    spec = _imported(FIXTURES / "microsoft-cognitiveservices-ocr.json", tmp_path)
    stream = _tool(spec, "RecognizeTextInStream")
    assert stream["http"]["body"] == {
        "content_type": "application/octet-stream",
        "property": "body",
    }
    assert stream["input"]["properties"]["body"] == {"type": "string", "contentEncoding": "base64"}


def test_a_text_body_is_a_string_whatever_type_it_declares(tmp_path: Path) -> None:
    """The same upgrade leaves HDInsight's and Content Moderator's text/plain bodies
    `{type: object, format: file}`: text, which a tool takes as a string."""
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Jobs", "version": "1"},
        "servers": [{"url": "https://jobs.example.com"}],
        "paths": {
            "/pig": {
                "post": {
                    "operationId": "submitPig",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/plain": {
                                "schema": {
                                    "type": "object",
                                    "format": "file",
                                    "description": "The script.",
                                }
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    source = tmp_path / "jobs.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    pig = _tool(_imported(source, tmp_path), "submitPig")
    assert pig["http"]["body"] == {"content_type": "text/plain", "property": "body"}
    assert pig["input"]["properties"]["body"] == {"description": "The script.", "type": "string"}
