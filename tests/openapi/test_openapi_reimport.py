"""Re-import keeps the user's curation and takes what changed upstream."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from mcpgen.cli import main
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.comments import carry_comments
from mcpgen.openapi.importer import base_path
from mcpgen.openapi.toml_writer import dumps
from mcpgen.pipeline import check
from openapi_support import (
    FIXTURES,
    assert_settled,
    edit_document,
    import_spec,
    load_toml,
    petstore_project,
    replaced,
)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    return petstore_project(tmp_path)


def _edit(path: Path, change: Any) -> None:
    data = load_toml(path)
    change(data)
    path.write_text(dumps(data), encoding="utf-8")


def _by_id(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(t for t in spec["tools"] if t["http"].get("operation_id") == operation_id)


def _rename_types(spec: dict[str, Any], renames: dict[str, str]) -> None:
    """The user renames types, and every reference to them."""
    text = json.dumps(spec)
    for old, new in renames.items():
        text = text.replace(f'"#/types/{old}"', f'"#/types/{new}"')
    renamed = json.loads(text)
    renamed["types"] = {renames.get(k, k): v for k, v in renamed["types"].items()}
    spec.clear()
    spec.update(renamed)


def _getting(operation_id: str, schema: str) -> dict[str, Any]:
    """A path item whose GET answers a component schema."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {
        "get": {
            "operationId": operation_id,
            "responses": {"200": {"description": "ok", "content": content}},
        }
    }


def test_reimport_without_changes_is_byte_identical(project: tuple[Path, Path]) -> None:
    source, output = project
    before = output.read_bytes(), base_path(output).read_bytes()
    result = import_spec(source, output)
    assert (output.read_bytes(), base_path(output).read_bytes()) == before
    assert result.summary.merge is not None and not result.summary.merge.changed


def test_curation_survives_and_upstream_changes_arrive(project: tuple[Path, Path]) -> None:
    source, output = project

    def curate(spec: dict[str, Any]) -> None:
        get = _by_id(spec, "getPetById")
        get["name"] = "fetch_pet"
        get["description"] = "Look a pet up by its id."
        get["max_concurrency"] = 2
        get["annotations"]["idempotent"] = True
        _by_id(spec, "uploadFile")["http"]["handler"] = "custom"
        _by_id(spec, "findPetsByTags")["title"] = "Mine"
        spec["tools"].remove(_by_id(spec, "deleteUser"))
        spec["server"]["instructions"] = "Be kind to pets."

    _edit(output, curate)

    def change_api(document: dict[str, Any]) -> None:
        paths = document["paths"]
        paths["/pet/{petId}"]["get"]["summary"] = "Find a pet by its ID"  # untouched by the user
        paths["/pet/{petId}"]["get"]["description"] = "Upstream words."  # edited by both
        paths["/pet/findByTags"]["get"]["summary"] = "Theirs"  # edited by both
        del paths["/store/inventory"]  # removed upstream
        paths["/pet/{petId}/age"] = {
            "get": {"operationId": "getPetAge", "responses": {"204": {"description": "ok"}}}
        }
        document["components"]["schemas"]["Pet"]["properties"]["age"] = {"type": "integer"}

    edit_document(source, change_api)
    result = import_spec(source, output)
    spec = load_toml(output)
    check(output)

    get = _by_id(spec, "getPetById")
    assert get["name"] == "fetch_pet"
    assert get["description"] == "Look a pet up by its id."
    assert get["title"] == "Find a pet by its ID"
    assert get["max_concurrency"] == 2
    assert get["annotations"] == {"read_only": True, "idempotent": True, "open_world": True}
    assert _by_id(spec, "uploadFile")["http"]["handler"] == "custom"
    assert _by_id(spec, "findPetsByTags")["title"] == "Mine"
    assert spec["server"]["instructions"] == "Be kind to pets."
    ids = {t["http"]["operation_id"] for t in spec["tools"]}
    assert "deleteUser" not in ids and "getInventory" not in ids and "getPetAge" in ids
    assert spec["types"]["Pet"]["properties"]["age"] == {"type": "integer"}

    merge = result.summary.merge
    assert merge is not None
    assert merge.added == ["get_pet_age"]
    assert merge.removed == ["get_inventory (operation getInventory)"]
    assert merge.kept_removed == ["delete_user (operation deleteUser)"]
    assert sorted((c.path, c.theirs) for c in merge.conflicts) == [
        ("tools.fetch_pet.description", "Upstream words."),
        ("tools.find_pets_by_tags.title", "Theirs"),
    ]
    # A second re-import changes nothing and reports no new conflict source.
    assert_settled(source, output)


def test_tools_are_matched_by_route_without_operation_id(tmp_path: Path) -> None:
    source = tmp_path / "api.yaml"
    shutil.copy(FIXTURES / "edge" / "clashes.yaml", source)
    output = tmp_path / "api.toml"
    import_spec(source, output)

    def rename(spec: dict[str, Any]) -> None:
        long = next(t for t in spec["tools"] if t["http"]["path"].startswith("/a/very"))
        long["name"] = "forever"

    _edit(output, rename)
    import_spec(source, output)
    assert any(t["name"] == "forever" for t in load_toml(output)["tools"])


def test_a_spec_that_no_longer_parses_is_refused(project: tuple[Path, Path]) -> None:
    source, output = project
    output.write_text(output.read_text(encoding="utf-8") + "\n[broken\n", encoding="utf-8")
    before = output.read_bytes(), base_path(output).read_bytes()
    with pytest.raises(SpecError) as raised:
        import_spec(source, output)
    assert raised.value.diagnostics[0].location is not None
    assert (output.read_bytes(), base_path(output).read_bytes()) == before


def test_a_hand_written_spec_is_never_overwritten(tmp_path: Path) -> None:
    output = tmp_path / "weather.toml"
    shutil.copy(Path(__file__).parents[2] / "specs" / "weather.toml", output)
    with pytest.raises(SpecError, match=r"no \[openapi\] section"):
        import_spec(FIXTURES / "petstore-3.0.yaml", output)


def test_reimport_reads_the_recorded_source(project: tuple[Path, Path]) -> None:
    from mcpgen.openapi.importer import ImportRequest, run_import

    _, output = project
    result = run_import(ImportRequest(output=output))
    assert result.summary.tools == 20


def test_a_user_name_wins_over_a_new_tools_name(project: tuple[Path, Path]) -> None:
    source, output = project
    _edit(output, lambda spec: _by_id(spec, "getPetById").update(name="get_pet_age"))
    edit_document(
        source,
        lambda d: d["paths"].update(
            {
                "/age": {
                    "get": {"operationId": "getPetAge", "responses": {"204": {"description": "-"}}}
                }
            }
        ),
    )
    result = import_spec(source, output)
    names = [t["name"] for t in load_toml(output)["tools"]]
    assert names.count("get_pet_age") == 1
    assert result.summary.merge is not None and len(result.summary.merge.renamed) == 1
    check(output)
    # The API's tool got its suffix from the import, not from the user: once the user's tool
    # takes another name, the API's gets its own back.
    _edit(output, lambda spec: _by_id(spec, "getPetById").update(name="fetch_pet"))
    import_spec(source, output)
    assert _by_id(load_toml(output), "getPetAge")["name"] == "get_pet_age"


def test_comments_stay_where_they_were(project: tuple[Path, Path]) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    start = text.index('name = "get_pet_by_id"')
    get_pet = text[text.rindex("[[tools]]", 0, start) : text.index("\n\n", start)]
    edited = replaced(
        text,
        [
            ("[server]\n", "# Ours: the shop's API, curated.\n[server]\n"),
            (
                get_pet,
                replaced(
                    get_pet,
                    [
                        ("[[tools]]\n", "# The one the front page calls.\n[[tools]]\n"),
                        ('name = "get_pet_by_id"', 'name = "fetch_pet"'),
                        ('title = "Find pet by ID"', 'title = "Find pet by ID"  # keep it short'),
                        ("http.method", "# Sent as is; see the API's notes.\nhttp.method"),
                        ('"Returns a single pet"', '"Returns a pet # by id"'),
                    ],
                ),
            ),
            ('[[tools]]\nname = "delete_pet"', '# Gone soon.\n[[tools]]\nname = "delete_pet"'),
            ("[types.Category]\n", "[types.Category]\n# Fixed by the shop.\n"),
        ],
    )
    output.write_text(edited + "\n# Last words.\n", encoding="utf-8")

    def change_api(document: dict[str, Any]) -> None:
        paths = document["paths"]
        paths["/pet/{petId}"]["get"]["summary"] = "Find a pet by its ID"
        del paths["/pet/{petId}"]["delete"]

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    lines = output.read_text(encoding="utf-8").split("\n")

    def below(comment: str) -> str:
        return lines[lines.index(comment) + 1]

    assert below("# Ours: the shop's API, curated.") == "[server]"
    # The renamed tool is known by its operation; its title came from the API and kept the
    # comment after it; a `#` in a string is no comment.
    assert below("# The one the front page calls.") == "[[tools]]"
    assert lines[lines.index("# The one the front page calls.") + 2] == 'name = "fetch_pet"'
    assert 'title = "Find a pet by its ID"  # keep it short' in lines
    assert below("# Sent as is; see the API's notes.") == 'http.method = "GET"'
    assert 'description = "Returns a pet # by id"' in lines
    assert below("# Fixed by the shop.").startswith("type = ")
    assert lines[-2:] == ["# Last words.", ""]
    merge = result.summary.merge
    assert merge is not None
    line = edited.split("\n").index("# Gone soon.") + 1
    assert merge.comments_lost == [f"line {line}: # Gone soon."]
    assert_settled(source, output)


def test_comments_follow_keys_whatever_the_layout() -> None:
    old_text = '''\
[server]
name = "s"

[[tools]]
name = "a"
description = """
Says # not a comment,
and an escaped \\""" quote."""  # after the string
input.type = "object"

[tools.http]  # the call
# Read only.
method = "GET"
path = "/a"
operation_id = "a"
tags = [
  "x",  # the main one
  "y",
]

[tools.input.properties.q]
# Free text.
type = "string"
'''
    old = tomllib.loads(old_text)
    # The API changed the tool (a table it left alone is written as the user wrote it).
    new = {**old, "tools": [{"name": "a", "title": "A", **old["tools"][0]}]}
    new_text = dumps(new, sections=lambda path: path in (("server",), ("tools",)))
    carried, lost = carry_comments(old_text, old, new_text, new)
    assert lost == []
    # The new layout writes both tables inline: their comments go to the nearest key left.
    # A `#` in a string is no comment; a comment on a value of several lines goes above it.
    expected = '''\
[server]
name = "s"

[[tools]]
name = "a"
title = "A"
# after the string
description = """
Says # not a comment,
and an escaped \\"\\"" quote."""
# Free text.
input = { type = "object", properties = { q = { type = "string" } } }
# Read only.
# the main one
http = { method = "GET", path = "/a", operation_id = "a", tags = ["x", "y"] }  # the call
'''
    assert carried == expected
    assert tomllib.loads(carried) == new


def test_types_the_user_renamed_are_followed(project: tuple[Path, Path]) -> None:
    source, output = project
    # Pet refers to Category: its schema changes with the rename, and is still matched.
    _edit(output, lambda spec: _rename_types(spec, {"Pet": "Animal", "Category": "Kind"}))

    def change_api(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["Pet"]["properties"]["age"] = {"type": "integer"}
        document["paths"]["/pet/oldest"] = {
            "get": {
                "operationId": "getOldestPet",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            }
        }

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert "Pet" not in spec["types"] and "Category" not in spec["types"]
    assert spec["types"]["Animal"]["properties"]["age"] == {"type": "integer"}
    assert spec["types"]["Animal"]["properties"]["category"] == {"$ref": "#/types/Kind"}
    assert _by_id(spec, "getOldestPet")["output"] == {"$ref": "#/types/Animal"}
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_renamed == ["type Category -> Kind", "type Pet -> Animal"]
    assert "types" in merge.changed  # the API changed them, and you only renamed
    assert_settled(source, output)


def test_errors_the_user_renamed_are_followed(project: tuple[Path, Path]) -> None:
    source, output = project

    def rename(spec: dict[str, Any]) -> None:
        spec["errors"] = {
            ("PetMissing" if k == "NotFoundError" else k): v for k, v in spec["errors"].items()
        }
        for tool in spec["tools"]:
            if "NotFoundError" in tool.get("errors", []):
                tool["errors"] = sorted(
                    "PetMissing" if e == "NotFoundError" else e for e in tool["errors"]
                )
                http_errors = tool["http"]["errors"]
                tool["http"]["errors"] = {
                    k: "PetMissing" if v == "NotFoundError" else v for k, v in http_errors.items()
                }

    _edit(output, rename)

    def change_api(document: dict[str, Any]) -> None:
        document["paths"]["/pet/{petId}/owner"] = {
            "get": {
                "operationId": "getPetOwner",
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "204": {"description": "ok"},
                    "404": {"description": "Pet not found"},
                },
            }
        }

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert "NotFoundError" not in spec["errors"] and "PetMissing" in spec["errors"]
    owner = _by_id(spec, "getPetOwner")
    assert (owner["errors"], owner["http"]["errors"]) == (["PetMissing"], {"404": "PetMissing"})
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_renamed == ["error NotFoundError -> PetMissing"]


def test_conflicts_exit_3_and_show_the_apis_value_bounded(project: tuple[Path, Path]) -> None:
    source, output = project
    _edit(output, lambda spec: _by_id(spec, "getPetById").update(description="Ours."))
    long = "Upstream words. " + "x" * 20_000
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].update(description=long))
    run = CliRunner().invoke(main, ["import", "openapi", "-o", str(output)])
    assert run.exit_code == 3, run.output
    conflict = next(line for line in run.output.split("\n") if "get_pet_by_id.description" in line)
    assert "the API's is now \"Upstream words. xxx" in conflict
    assert "more characters" in conflict and len(conflict) < 300
    assert _by_id(load_toml(output), "getPetById")["description"] == "Ours."
    help_text = CliRunner().invoke(main, ["import", "openapi", "--help"]).output
    assert "exit 3" in " ".join(help_text.split())
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "exits 3" in " ".join(readme.split())


def test_a_removal_by_the_api_in_a_conflict_says_so(project: tuple[Path, Path]) -> None:
    source, output = project
    _edit(output, lambda spec: _by_id(spec, "getPetById").update(title="Ours"))
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].pop("summary"))
    lines = import_spec(source, output).summary.lines()
    assert "  tools.get_pet_by_id.title: yours kept; the API removed it" in lines


def _rename_component(document: dict[str, Any], kind: str, old: str, new: str) -> None:
    """The API renames a component (`schemas`, `responses`) and every `$ref` to it."""
    text = json.dumps(document).replace(
        f'"#/components/{kind}/{old}"', f'"#/components/{kind}/{new}"'
    )
    renamed = json.loads(text)
    components = renamed["components"][kind]
    renamed["components"][kind] = {(new if k == old else k): v for k, v in components.items()}
    document.clear()
    document.update(renamed)


def _shared_404(document: dict[str, Any], name: str) -> None:
    """Every 404 of the API becomes one shared response, `#/components/responses/<name>`."""
    document["components"]["responses"] = {name: {"description": "Not there"}}
    for item in document["paths"].values():
        for operation in item.values():
            if "404" in operation.get("responses", {}):
                operation["responses"]["404"] = {"$ref": f"#/components/responses/{name}"}


def test_without_its_base_reimport_adds_what_is_new_and_decides_nothing(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    edit_document(source, lambda d: _shared_404(d, "NotFound"))
    import_spec(source, output)

    def curate(spec: dict[str, Any]) -> None:
        get = _by_id(spec, "getPetById")
        get["name"] = "fetch_pet"
        get["description"] = "Ours."
        spec["tools"].remove(_by_id(spec, "deleteUser"))

    _edit(output, curate)
    base_path(output).unlink()

    def change_api(document: dict[str, Any]) -> None:
        paths = document["paths"]
        paths["/pet/{petId}"]["get"]["summary"] = "Find a pet by its ID"
        paths["/pet/{petId}/age"] = {
            "get": {"operationId": "getPetAge", "responses": {"204": {"description": "ok"}}}
        }
        del paths["/store/inventory"]
        _rename_component(document, "schemas", "Tag", "Label")  # the API's renames, not the user's
        _rename_component(document, "responses", "NotFound", "Missing")

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    merge = result.summary.merge
    assert merge is not None and merge.without_base
    # What is new is added; without the base a tool the user deleted cannot be told from a
    # new one, so it comes back too, and the report says so.
    ids = {t["http"]["operation_id"] for t in spec["tools"]}
    assert {"getPetAge", "deleteUser"} <= ids
    assert sorted(merge.added) == ["delete_user", "get_pet_age"]
    assert merge.kept_removed == [] and merge.tables_renamed == []
    # A tool whose operation the API lacks may be one the user added: it stays, and is named.
    assert merge.unbound == ["get_inventory (operation getInventory)"]
    assert "getInventory" in ids
    # Nothing of the user's is lost: differences keep the spec's value, each one reported
    # with the API's.
    get = _by_id(spec, "getPetById")
    assert (get["name"], get["description"]) == ("fetch_pet", "Ours.")
    differing = {c.path: c.theirs for c in merge.conflicts}
    assert differing["tools.fetch_pet.description"] == "Returns a single pet"
    assert differing["tools.fetch_pet.title"] == "Find a pet by its ID"
    lines = "\n".join(result.summary.lines())
    assert "no change from the API" not in lines
    assert "cannot tell" in lines and "you renamed" not in lines and "you deleted" not in lines
    # The new base is the API's import: it records no deletion and no rename of the user's.
    recorded = json.loads(base_path(output).read_text(encoding="utf-8"))["spec"]
    assert {t["http"]["operation_id"] for t in recorded["tools"]} <= ids
    again = import_spec(source, output)
    merge = again.summary.merge
    assert merge is not None and not merge.without_base
    assert (merge.kept_removed, merge.tables_renamed, merge.added) == ([], [], [])


def test_a_type_the_user_renamed_and_the_api_replaced_is_reported_as_gone(
    project: tuple[Path, Path],
) -> None:
    source, output = project

    _edit(output, lambda spec: _rename_types(spec, {"Tag": "PetTag"}))

    def replace(document: dict[str, Any]) -> None:
        _rename_component(document, "schemas", "Tag", "Tag-v2")
        tag = document["components"]["schemas"]["Tag-v2"]
        tag["properties"]["color"] = {"type": "string"}

    edit_document(source, replace)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert "PetTag" not in spec["types"] and "TagV2" in spec["types"]
    assert spec["types"]["Pet"]["properties"]["tags"]["items"] == {"$ref": "#/types/TagV2"}
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_renamed == []
    assert merge.tables_gone == [
        "type Tag -> PetTag (yours): the API no longer has Tag, so PetTag is gone; "
        "what referred to it now refers to TagV2"
    ]
    lines = "\n".join(result.summary.lines())
    assert "PetTag (followed)" not in lines and "so PetTag is gone" in lines


def test_a_type_renamed_by_both_keeps_the_users_name(project: tuple[Path, Path]) -> None:
    source, output = project

    _edit(output, lambda spec: _rename_types(spec, {"Tag": "PetTag"}))

    def change_api(document: dict[str, Any]) -> None:
        _rename_component(document, "schemas", "Tag", "Label")
        document["paths"]["/labels"] = _getting("listLabels", "Label")

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert "Label" not in spec["types"] and "Tag" not in spec["types"]
    assert _by_id(spec, "listLabels")["output"] == {"$ref": "#/types/PetTag"}
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_renamed == ["type Tag -> PetTag (followed; the API renamed Tag to Label)"]
    assert_settled(source, output)


def test_a_new_api_type_named_as_a_users_rename_keeps_both(project: tuple[Path, Path]) -> None:
    source, output = project

    _edit(output, lambda spec: _rename_types(spec, {"Tag": "Label"}))

    def change_api(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["Label"] = {
            "type": "object",
            "properties": {"color": {"type": "string"}},
        }
        document["paths"]["/labels"] = _getting("listLabels", "Label")

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert spec["types"]["Label"]["properties"].keys() == {"id", "name"}  # the user's Tag
    assert spec["types"]["Pet"]["properties"]["tags"]["items"] == {"$ref": "#/types/Label"}
    # The API's new Label takes another name, and its tool refers to it.
    output_ref = _by_id(spec, "listLabels")["output"]["$ref"]
    assert output_ref != "#/types/Label"
    assert spec["types"][output_ref.removeprefix("#/types/")]["properties"] == {
        "color": {"type": "string"}
    }
    merge = result.summary.merge
    assert merge is not None
    assert any("Label" in line and "you gave its name" in line for line in merge.renamed)
    assert_settled(source, output)
    # Later changes of the API's Label reach the table that carries it, not the user's Label.
    edit_document(
        source,
        lambda d: d["components"]["schemas"]["Label"]["properties"].update(
            shade={"type": "string"}
        ),
    )
    import_spec(source, output)
    check(output)
    later = load_toml(output)
    assert later["types"]["Label"] == spec["types"]["Label"]
    theirs = output_ref.removeprefix("#/types/")
    assert later["types"][theirs]["properties"]["shade"] == {"type": "string"}
    # The name the API's Label took was the import's choice, not the user's: once the user's
    # Label takes another name, the API's gets its own back.
    _edit(
        output,
        lambda spec: spec.update(
            json.loads(json.dumps(spec).replace('"#/types/Label"', '"#/types/PetTag"'))
        ),
    )
    _edit(output, lambda spec: spec["types"].update(PetTag=spec["types"].pop("Label")))
    import_spec(source, output)
    check(output)
    freed = load_toml(output)
    assert theirs not in freed["types"]
    assert freed["types"]["Label"]["properties"]["shade"] == {"type": "string"}
    assert _by_id(freed, "listLabels")["output"] == {"$ref": "#/types/Label"}


# A base file that is valid JSON but not what the import writes, and where it says so.
BAD_BASES: list[tuple[str, Any, str]] = [
    ("a list", [], r"base\.json:1:1: error: .*a JSON object"),
    ("no format", {"spec": {}}, r"base\.json:1:1: error: .*mcpgen_openapi_base"),
    (
        "spec not an object",
        {"mcpgen_openapi_base": 1, "options": {}, "spec": []},
        r":1:\d+: .*spec",
    ),
    (
        "tools not a list",
        {"mcpgen_openapi_base": 1, "options": {}, "spec": {"tools": {}}},
        r"error: spec\.tools: ",
    ),
    (
        "a tool without its operation",
        "TOOL_WITHOUT_HTTP",
        r":\d+:\d+: error: spec\.tools\[1\]: .*http",
    ),
    (
        "a bad option",
        {"mcpgen_openapi_base": 1, "options": {"max_name_length": "long"}, "spec": "SPEC"},
        r"error: options\.max_name_length: ",
    ),
    (
        "an unknown key",
        {"mcpgen_openapi_base": 1, "options": {}, "spec": "SPEC", "extra": 1},
        r"error: extra: unknown key",
    ),
]


@pytest.mark.parametrize(("case", "data", "message"), BAD_BASES, ids=[c[0] for c in BAD_BASES])
def test_a_base_of_the_wrong_shape_is_refused_where_it_is_wrong(
    project: tuple[Path, Path], case: str, data: Any, message: str
) -> None:
    _, output = project
    base = base_path(output)
    recorded = json.loads(base.read_text(encoding="utf-8"))
    if data == "TOOL_WITHOUT_HTTP":
        del recorded["spec"]["tools"][1]["http"]
        text = json.dumps(recorded, indent=1)
    else:
        text = json.dumps(data).replace('"SPEC"', json.dumps(recorded["spec"]))
    base.write_text(text, encoding="utf-8")
    before = output.read_bytes(), base.read_bytes()
    run = CliRunner().invoke(main, ["import", "openapi", "-o", str(output)])
    assert run.exit_code == 1, run.output
    assert re.search(message, run.output), run.output
    assert "version control" in run.output
    assert (output.read_bytes(), base.read_bytes()) == before


def test_a_comment_above_the_import_header_keeps_it_fresh(project: tuple[Path, Path]) -> None:
    source, output = project
    output.write_text("# Ours, above it all.\n" + output.read_text(encoding="utf-8"))
    edit_document(source, lambda d: d["info"].update(version="2.0.0"))
    import_spec(source, output)
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Ours, above it all.\n# Imported by `mcpgen import openapi`")
    assert text.count("# Imported by") == 1 and "Swagger Petstore 2.0.0)" in text
    assert_settled(source, output)


def test_a_stale_header_an_older_import_kept_is_dropped(project: tuple[Path, Path]) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    header = text[: text.index("\n\n") + 1]
    # What the comment carrier used to make of a comment above the header: two headers.
    stale = header.replace("1.0.0", "0.9.0")
    body = text[len(header) + 1 :]
    output.write_text(f"{header}\n# Ours.\n{stale}{body}", encoding="utf-8")
    import_spec(source, output)
    text = output.read_text(encoding="utf-8")
    assert text.count("# Imported by") == 1 and "0.9.0" not in text
    assert "# Ours.\n[server]" in text


def test_a_title_with_a_line_break_keeps_the_header_a_comment(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    document = yaml.safe_load((FIXTURES / "petstore-3.0.yaml").read_text(encoding="utf-8"))
    document["info"].update(title="Pet\nstore", version="1.0\n[server]")
    source.write_text(json.dumps(document), encoding="utf-8")
    output = tmp_path / "api.toml"
    import_spec(source, output)
    assert output.read_text(encoding="utf-8").startswith(
        "# Imported by `mcpgen import openapi` from api.json (Pet store 1.0 [server]).\n"
    )
    check(output)
    assert_settled(source, output)


def test_a_type_the_user_deleted_comes_back_when_the_api_needs_it(
    project: tuple[Path, Path],
) -> None:
    source, output = project

    def curate(spec: dict[str, Any]) -> None:
        del spec["types"]["Tag"]
        del spec["types"]["Pet"]["properties"]["tags"]

    _edit(output, curate)
    edit_document(source, lambda d: d["paths"].update({"/tags": _getting("listTags", "Tag")}))
    result = import_spec(source, output)
    check(output)  # the merged spec refers to no type it lacks
    spec = load_toml(output)
    assert _by_id(spec, "listTags")["output"] == {"$ref": "#/types/Tag"}
    assert "tags" not in spec["types"]["Pet"]["properties"]
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_kept == [
        "type Tag: back from the API, though you deleted it (used by tool list_tags)"
    ]


def test_a_type_the_api_removed_stays_while_the_users_edit_uses_it(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    _edit(
        output,
        lambda spec: _by_id(spec, "getInventory").update(output={"$ref": "#/types/Tag"}),
    )

    def remove_tag(document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        del schemas["Tag"]
        schemas["Pet"]["properties"]["tags"]["items"] = {"type": "string"}

    edit_document(source, remove_tag)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert spec["types"]["Tag"]["properties"].keys() == {"id", "name"}
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_kept == [
        "type Tag: kept, though the API removed it (used by tool get_inventory)"
    ]
    assert_settled(source, output)


def test_an_operation_the_api_renamed_keeps_its_tool(project: tuple[Path, Path]) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    output.write_text(
        text.replace('name = "get_pet_by_id"', '# The front page calls it.\nname = "fetch_pet"'),
        encoding="utf-8",
    )
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].update(operationId="getPet"))
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    tools = [t for t in spec["tools"] if t["http"]["path"] == "/pet/{petId}"]
    fetch = next(t for t in tools if t["http"]["method"] == "GET")
    assert (fetch["name"], fetch["http"]["operation_id"]) == ("fetch_pet", "getPet")
    assert len(tools) == 3  # GET, POST and DELETE: no second tool for the renamed operation
    assert "# The front page calls it.\n" in output.read_text(encoding="utf-8")
    merge = result.summary.merge
    assert merge is not None
    assert (merge.added, merge.removed, merge.comments_lost) == ([], [], [])
    assert merge.renamed == [
        "operation getPetById -> operation getPet (the API renamed it; its tool follows)"
    ]


ROUTES = """\
openapi: 3.0.3
info: {title: Routes, version: "1"}
servers: [{url: "https://api.example"}]
paths:
  /items:
    get:
      summary: List items
      responses: {"204": {description: none}}
"""


def test_a_tool_whose_route_the_user_fixed_is_still_its_tool(tmp_path: Path) -> None:
    source = tmp_path / "api.yaml"
    source.write_text(ROUTES, encoding="utf-8")
    output = tmp_path / "api.toml"
    import_spec(source, output)
    _edit(output, lambda spec: spec["tools"][0]["http"].update(path="/v2/items"))
    source.write_text(ROUTES.replace("List items", "List the items"), encoding="utf-8")
    result = import_spec(source, output)
    [tool] = load_toml(output)["tools"]
    assert (tool["http"]["path"], tool["title"]) == ("/v2/items", "List the items")
    merge = result.summary.merge
    assert merge is not None
    assert (merge.added, merge.kept_removed) == ([], [])


def test_a_renamed_type_the_api_removed_stays_while_the_user_uses_it(
    project: tuple[Path, Path],
) -> None:
    source, output = project

    def curate(spec: dict[str, Any]) -> None:
        spec["types"]["PetTag"] = spec["types"].pop("Tag")
        spec["types"]["Pet"]["properties"]["tags"]["items"] = {"$ref": "#/types/PetTag"}
        _by_id(spec, "getInventory")["output"] = {"$ref": "#/types/PetTag"}

    _edit(output, curate)
    edit_document(source, lambda d: _rename_component(d, "schemas", "Tag", "Label"))
    edit_document(
        source,
        lambda d: d["components"]["schemas"]["Label"]["properties"].update(
            color={"type": "string"}
        ),
    )
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert spec["types"]["Pet"]["properties"]["tags"]["items"] == {"$ref": "#/types/Label"}
    assert _by_id(spec, "getInventory")["output"] == {"$ref": "#/types/PetTag"}
    merge = result.summary.merge
    assert merge is not None
    assert merge.tables_gone == [
        "type Tag -> PetTag (yours): the API no longer has Tag; PetTag is kept; "
        "1 of the 2 places that referred to it now refer to Label"
    ]
    assert merge.tables_kept == [
        "type PetTag: kept, though the API removed it (used by tool get_inventory)"
    ]


def test_a_conflict_over_what_the_user_deleted_says_so(project: tuple[Path, Path]) -> None:
    source, output = project
    _edit(output, lambda spec: _by_id(spec, "getPetById").pop("title"))
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].update(summary="Find a pet"))
    lines = import_spec(source, output).summary.lines()
    assert '  tools.get_pet_by_id.title: kept deleted; the API\'s is now "Find a pet"' in lines
    assert "title" not in _by_id(load_toml(output), "getPetById")


def test_without_its_base_a_schema_is_never_a_mix_of_both(project: tuple[Path, Path]) -> None:
    source, output = project
    base_path(output).unlink()

    def change_api(document: dict[str, Any]) -> None:
        # The API replaces an inline property by a reference, and adds one.
        pet = document["components"]["schemas"]["Pet"]["properties"]
        pet["status"] = {"$ref": "#/components/schemas/Tag"}
        pet["age"] = {"type": "integer"}

    edit_document(source, change_api)
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    pet = spec["types"]["Pet"]
    # The user's Pet, whole: nobody knows whose each key is, so none is taken alone.
    assert "$ref" not in pet["properties"]["status"] and "age" not in pet["properties"]
    merge = result.summary.merge
    assert merge is not None
    assert [c.path for c in merge.conflicts] == ["types.Pet"]


def test_two_renames_of_one_schema_are_told_apart_by_their_references(
    project: tuple[Path, Path],
) -> None:
    """Category and Tag have the same schema: renamed both, which became which is told by
    what referred to each (Pet's `category` and `tags`), or else not guessed."""
    source, output = project
    renames = {"Category": "Kind", "Tag": "Label"}
    _edit(output, lambda spec: _rename_types(spec, renames))
    edit_document(
        source,
        lambda d: d["components"]["schemas"]["Tag"]["properties"].update(color={"type": "string"}),
    )
    result = import_spec(source, output)
    check(output)
    spec = load_toml(output)
    assert "color" in spec["types"]["Label"]["properties"]
    assert "color" not in spec["types"]["Kind"]["properties"]
    merge = result.summary.merge
    assert merge is not None and merge.conflicts == []
    assert merge.tables_renamed == ["type Category -> Kind", "type Tag -> Label"]

    # Where nothing tells them apart, no rename is guessed.
    _, output = project
    source2 = output.with_name("petstore2.json")
    source2.write_bytes(source.read_bytes())
    edit_document(source2, lambda d: d["components"]["schemas"]["Tag"]["properties"].pop("color"))
    output2 = output.with_name("petstore2.toml")
    import_spec(source2, output2)

    def rename_unreferred(spec: dict[str, Any]) -> None:
        del spec["types"]["Pet"]["properties"]["category"]
        del spec["types"]["Pet"]["properties"]["tags"]
        _rename_types(spec, renames)

    _edit(output2, rename_unreferred)
    edit_document(
        source2,
        lambda d: d["components"]["schemas"]["Tag"]["properties"].update(shade={"type": "string"}),
    )
    merge = import_spec(source2, output2).summary.merge
    assert merge is not None and merge.tables_renamed == []
    assert [c.path for c in merge.conflicts] == ["types.Tag"]


def test_every_conflict_is_listed(project: tuple[Path, Path]) -> None:
    source, output = project

    def curate(spec: dict[str, Any]) -> None:
        for tool in spec["tools"]:
            tool["description"] = f"Ours: {tool['name']}."

    _edit(output, curate)

    def change_api(document: dict[str, Any]) -> None:
        for item in document["paths"].values():
            for operation in item.values():
                operation["description"] = "Theirs."

    edit_document(source, change_api)
    # With more operations than a section lists.
    edit_document(
        source,
        lambda d: d["paths"].update(
            {
                f"/more/{n}": {
                    "get": {
                        "operationId": f"more{n}",
                        "description": "Theirs.",
                        "responses": {"204": {"description": "-"}},
                    }
                }
                for n in range(40)
            }
        ),
    )
    import_spec(source, output)
    _edit(output, curate)
    edit_document(
        source,
        lambda d: [
            operation.update(description="Theirs, again.")
            for item in d["paths"].values()
            for operation in item.values()
        ],
    )
    lines = import_spec(source, output).summary.lines()
    assert "Re-import, conflicts (you and the API both changed them; yours kept) (60):" in lines
    assert sum(line.endswith('Theirs, again."') for line in lines) == 60


def test_a_spec_saved_with_crlf_keeps_one_header(project: tuple[Path, Path]) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    output.write_bytes(("# Ours.\n" + text).replace("\n", "\r\n").encode())
    import_spec(source, output)
    text = output.read_text(encoding="utf-8")
    assert text.count("# Imported by") == 1 and text.startswith("# Ours.\n# Imported by")
    output.write_bytes(text.replace("# Ours.\n", "").replace("\n", "\r\n").encode())
    import_spec(source, output)
    assert output.read_text(encoding="utf-8").count("# Imported by") == 1


def test_without_its_base_differences_exit_3(project: tuple[Path, Path]) -> None:
    source, output = project
    base_path(output).unlink()
    run = CliRunner().invoke(main, ["import", "openapi", "-o", str(output)])
    assert run.exit_code == 0, run.output  # the spec is the API's: nothing to review
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].update(summary="New"))
    base_path(output).unlink()
    run = CliRunner().invoke(main, ["import", "openapi", "-o", str(output)])
    assert run.exit_code == 3, run.output
    assert '  tools.get_pet_by_id.title: yours kept; the API\'s is "New"' in run.output
