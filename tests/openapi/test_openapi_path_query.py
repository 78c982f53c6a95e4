"""A path key with a query or a fragment is taken apart at import, as its description means it.

`/alerts?lat={lat}&lon={lon}` is the path `/alerts` and two query parameters; flickr's
`/rest?method=flickr.favorites.getList` a fixed query; aws2openapi's `/{Bucket}#cors` the query
`cors` of AWS's own request URI; Box's `/files/{id}#add_shared_link` a fragment, which a
request never sends. The operation keeps its identity: its tool name, and (with `openapi_path`)
its match on re-import, also against a spec an earlier mcpgen wrote with the query in `path`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mcpgen.openapi.importer import base_path
from mcpgen.openapi.toml_writer import dumps
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml


def _tools(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {tool["name"]: tool for tool in spec["tools"]}


def test_a_query_template_becomes_query_parameters(tmp_path: Path) -> None:
    output = tmp_path / "weatherbit.toml"
    import_spec(FIXTURES / "weatherbit-reduced.json", output)
    tools = _tools(load_toml(output))
    alerts = tools["get_alerts_lat_lat_lon_lon"]
    assert alerts["http"]["path"] == "/alerts"
    assert alerts["http"]["openapi_path"] == "/alerts?lat={lat}&lon={lon}"
    assert "query" not in alerts["http"]
    # The template's order first, as the API wrote it; declared `in: path`, sent in the query.
    assert list(alerts["http"]["params"].items())[:2] == [
        ("lat", {"in": "query"}),
        ("lon", {"in": "query"}),
    ]
    assert {"lat", "lon", "key"} <= set(alerts["input"]["required"])
    assert alerts["input"]["properties"]["lat"]["type"] == "number"
    # Two operations on one path, told apart by their query: each keeps its own name.
    assert {"get_current_airquality_city_city_country_country"} < set(tools)
    check(output)  # mcpgen's own loader and resolver accept it


def test_fixed_query_items_and_aws_fragments(tmp_path: Path) -> None:
    flickr = tmp_path / "flickr.toml"
    import_spec(FIXTURES / "flickr-reduced.json", flickr)
    listed = _tools(load_toml(flickr))["get_favorites_by_person_id"]["http"]
    assert (listed["path"], listed["query"]) == ("/rest", "method=flickr.favorites.getList")

    s3 = tmp_path / "s3.toml"
    import_spec(FIXTURES / "aws-s3-reduced.json", s3)
    tools = _tools(load_toml(s3))
    cors = tools["delete_bucket_cors"]
    assert (cors["http"]["path"], cors["http"]["query"]) == ("/{Bucket}", "cors")
    # The declared `cors` parameter (allowEmptyValue, enum [true]) is the fixed `?cors`.
    assert "cors" not in cors["input"]["properties"]
    assert "cors" not in cors["http"]["params"]
    assert tools["get_bucket_lifecycle"]["http"]["query"] == "lifecycle"  # not `deprecated!`
    assert "query" not in tools["delete_bucket"]["http"]
    assert "openapi_path" not in tools["delete_bucket"]["http"]
    check(s3)  # mcpgen's own loader and resolver accept it

    rds = tmp_path / "rds.toml"
    import_spec(FIXTURES / "aws-rds-reduced.json", rds)
    [add_role] = load_toml(rds)["tools"]
    assert add_role["http"]["query"] == "Action=AddRoleToDBCluster"
    assert "Action" not in add_role["input"]["properties"]
    # Version is declared with one value too, but only its parameter says so: it stays one.
    assert add_role["input"]["properties"]["Version"] == {"type": "string", "enum": ["2014-10-31"]}


def test_a_fragment_outside_aws_is_not_sent_and_named(tmp_path: Path) -> None:
    output = tmp_path / "box.toml"
    result = import_spec(FIXTURES / "box-reduced.json", output)
    tools = _tools(load_toml(output))
    shared = tools["put_files_id_add_shared_link"]["http"]
    assert (shared["path"], shared["openapi_path"]) == (
        "/files/{file_id}",
        "/files/{file_id}#add_shared_link",
    )
    assert "query" not in shared
    assert any("never sends" in note for note in result.summary.notes)


def test_reimport_over_a_spec_with_the_query_in_its_path(tmp_path: Path) -> None:
    """A spec the previous importer wrote (`path = "/alerts?lat={lat}&lon={lon}"`), curated,
    re-imported by this one: the same tools, the user's rename kept, the new path taken."""
    earlier = FIXTURES / "mcpgen-0.1-weatherbit"
    output = tmp_path / "weatherbit.toml"
    shutil.copyfile(FIXTURES / "weatherbit-reduced.json", tmp_path / "weatherbit-reduced.json")
    shutil.copyfile(earlier / "weatherbit.openapi-base.json", base_path(output))
    spec = load_toml(earlier / "weatherbit.toml")
    spec["tools"][0]["name"] = "alerts"
    output.write_text(dumps(spec), encoding="utf-8")

    result = import_spec(tmp_path / "weatherbit-reduced.json", output)
    merge = result.summary.merge
    assert merge is not None
    assert (merge.added, merge.removed, merge.kept_removed, merge.conflicts) == ([], [], [], [])
    tools = _tools(load_toml(output))
    assert set(tools) == {
        "alerts",
        "get_current_airquality_city_city_country_country",
        "get_current_airquality_city_id_city_id",
    }
    assert tools["alerts"]["http"]["path"] == "/alerts"
    assert tools["alerts"]["http"]["params"]["lat"] == {"in": "query"}
    check(output)  # mcpgen's own loader and resolver accept it
