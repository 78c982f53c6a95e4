"""Re-import keeps the user's curation and takes what changed upstream."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, import_spec, load_toml
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.importer import base_path
from mcpgen.openapi.toml_writer import dumps
from mcpgen.pipeline import check


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    """A petstore document beside its imported spec."""
    source = tmp_path / "petstore.json"
    source.write_text(
        json.dumps(yaml.safe_load((FIXTURES / "petstore-3.0.yaml").read_text(encoding="utf-8"))),
        encoding="utf-8",
    )
    output = tmp_path / "petstore.toml"
    import_spec(source, output)
    return source, output


def _edit(path: Path, change: Any) -> None:
    data = load_toml(path)
    change(data)
    path.write_text(dumps(data), encoding="utf-8")


def _edit_document(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _by_id(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(t for t in spec["tools"] if t["http"].get("operation_id") == operation_id)


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

    _edit_document(source, change_api)
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
    assert sorted(merge.conflicts) == [
        "tools.fetch_pet.description",
        "tools.find_pets_by_tags.title",
    ]
    # A second re-import changes nothing and reports no new conflict source.
    again = output.read_bytes()
    import_spec(source, output)
    assert output.read_bytes() == again


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
    _edit_document(
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
