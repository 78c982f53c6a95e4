"""The import finds the query parameters that page an operation's answer (`http.pagination`),
which a cut answer names with the values that read on (`http_client._trimming`).

Real descriptions: GitHub's `page`/`per_page` and its integer `since` (the last user's id),
Stripe's `limit` and `starting_after` (the last object's id); an operation without paging
arguments gets none.
"""

from __future__ import annotations

from pathlib import Path

from mcpgen.openapi.inputs import pagination
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml


def test_githubs_paging_arguments_are_found(tmp_path: Path) -> None:
    output = tmp_path / "github.toml"
    import_spec(FIXTURES / "github-paging-reduced.json", output)
    found = {tool["name"]: tool["http"].get("pagination") for tool in load_toml(output)["tools"]}
    assert found == {
        "users_list": {"size": "per_page", "cursor": "since", "cursor_item": "id"},
        "repos_list_tags": {"size": "per_page", "page": "page"},
        "gitignore_get_all_templates": None,
    }
    ir, _ = check(output)
    tags = next(tool.http for tool in ir.tools if tool.name == "repos_list_tags")
    assert tags is not None and tags.pagination == (("size", "per_page"), ("page", "page"))


def test_stripes_paging_arguments_are_found(tmp_path: Path) -> None:
    output = tmp_path / "stripe.toml"
    import_spec(FIXTURES / "stripe-reduced.json", output)
    found = {tool["name"]: tool["http"].get("pagination") for tool in load_toml(output)["tools"]}
    assert found["get_coupons"] == {
        "size": "limit",
        "cursor": "starting_after",
        "cursor_item": "id",
    }
    assert found["post_coupons"] is None


def query(*names: str) -> dict[str, dict[str, str]]:
    return {name: {"in": "query"} for name in names}


def test_each_way_of_paging_is_told_apart() -> None:
    whole = {"type": "integer"}
    text = {"type": "string"}
    # OData: $top and $skip (the property names have lost the `$`; the wire names keep it).
    odata = {"top": {"in": "query", "name": "$top"}, "skip": {"in": "query", "name": "$skip"}}
    assert pagination(odata, {"top": whole, "skip": whole}) == {"size": "top", "offset": "skip"}
    assert pagination(query("pageSize", "pageToken"), {}) == {
        "size": "pageSize",
        "cursor": "pageToken",
    }
    # A `page` that is text is a token the answers give (Stripe's search), not a number.
    assert pagination(query("limit", "page"), {"page": text}) == {"size": "limit", "cursor": "page"}
    # A `start` that is a date is no offset; an integer `since` is an item cursor.
    assert pagination(query("start", "limit"), {"start": text}) == {"size": "limit"}
    assert pagination(query("since"), {"since": {"type": "string", "format": "date-time"}}) == {}
    # Headers and path parameters page nothing.
    assert pagination({"page": {"in": "header"}}, {"page": whole}) == {}
