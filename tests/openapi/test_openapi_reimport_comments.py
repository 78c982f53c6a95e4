"""Re-import keeps each of the user's comments on what it was written about.

Each test curates a real imported spec by editing its text, changes the API so that the
re-import rewrites the commented places, and reads the spec the re-import wrote. These are
the places a comment carrier (or an in-place TOML editor) is easiest to get wrong: a comment
above an `[[tools]]` entry (which a parser reads as the end of the entry before it), comments
between tools, on an inline table the API makes too long for its line, after a value, in a
tool the API removed, on a key the user moved or added, and in a file saved with CRLF.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcpgen.openapi.comments import carry_comments
from mcpgen.openapi.reimport import merge_specs
from mcpgen.openapi.toml_writer import dumps
from mcpgen.pipeline import check
from openapi_support import (
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


def _block(text: str, name: str) -> str:
    """The lines of the tool `name`, from the comments above its `[[tools]]` to its end."""
    header = text.rindex("[[tools]]", 0, text.index(f'\nname = "{name}"'))
    start = text.rindex("\n\n", 0, header) + 2
    return text[start : text.index("\n\n", header) + 1]


def _lines(text: str, first: str, count: int) -> list[str]:
    """`count` lines of `text` from the one that is `first`."""
    lines = text.split("\n")
    index = lines.index(first)
    return lines[index : index + count]


# Comments on tools, between them, after headers, and in a tool the API removes.
TOOL_COMMENTS = [
    ("[server]\n", "[server]  # ours\n"),
    ("[types.Pet]\n", "[types.Pet]  # the core\n"),
    (
        '[[tools]]\nname = "add_pet"',
        "# About add_pet, first.\n\n# About add_pet, second.\n" + '[[tools]]\nname = "add_pet"',
    ),
    (
        '[[tools]]\nname = "get_pet_by_id"\ntitle = "Find pet by ID"',
        "# Ours: the front page.\n[[tools]]  # first of the day\n"
        'name = "get_pet_by_id"\ntitle = "Find pet by ID"  # keep it short',
    ),
    (
        '[[tools]]\nname = "delete_pet"\n',
        '# delete_pet: soon gone.\n[[tools]]\nname = "delete_pet"  # its name\n',
    ),
    (
        'http.method = "DELETE"\nhttp.path = "/pet/{petId}"',
        '# the verb\nhttp.method = "DELETE"\nhttp.path = "/pet/{petId}"',
    ),
    ('[[tools]]\nname = "upload_file"', '# upload_file stays.\n[[tools]]\nname = "upload_file"'),
]


def _remove_delete_pet(document: dict[str, Any]) -> None:
    paths = document["paths"]
    del paths["/pet/{petId}"]["delete"]
    paths["/pet/{petId}"]["get"]["summary"] = "Find a pet"


def test_comments_stay_with_their_tool_and_those_of_a_removed_tool_are_reported(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    edited = replaced(text, TOOL_COMMENTS)
    output.write_text(edited, encoding="utf-8")
    edit_document(source, _remove_delete_pet)
    result = import_spec(source, output)
    check(output)
    written = output.read_text(encoding="utf-8")

    assert "[server]  # ours\n" in written
    assert "[types.Pet]  # the core\n" in written
    # A comment above a `[[tools]]` is the next tool's, blank lines in it kept.
    assert (
        '405 = "MethodNotAllowedError" }\n\n# About add_pet, first.\n\n# About add_pet, second.\n'
        '[[tools]]\nname = "add_pet"\n'
    ) in written
    # A value the API changed keeps the comment after it.
    assert _block(written, "get_pet_by_id").startswith(
        "# Ours: the front page.\n[[tools]]  # first of the day\n"
        'name = "get_pet_by_id"\ntitle = "Find a pet"  # keep it short\n'
    )
    # The removed tool's comments go with it, each reported where it was; its neighbours'
    # stay on the neighbours.
    assert "delete_pet" not in written and "# the verb" not in written
    merge = result.summary.merge
    assert merge is not None
    lines = edited.split("\n")
    assert merge.comments_lost == [
        f"line {lines.index(line) + 1}: {comment}"
        for line, comment in (
            ("# delete_pet: soon gone.", "# delete_pet: soon gone."),
            ('name = "delete_pet"  # its name', "# its name"),
            ("# the verb", "# the verb"),
        )
    ]
    assert _block(written, "upload_file").startswith("# upload_file stays.\n[[tools]]\n")
    assert_settled(source, output)


# An inline table the API makes too long for one line, and one it adds a key to.
INLINE_COMMENTS = [
    (
        'input = { type = "object", required = ["body"], properties = { body = { "$ref" = '
        '"#/types/Pet" } } }\nhttp.method = "PUT"',
        '# The whole pet.\ninput = { type = "object", required = ["body"], properties = { body = '
        '{ "$ref" = "#/types/Pet" } } }  # as sent\nhttp.method = "PUT"',
    ),
    (
        'http.errors = { 400 = "BadRequestError", 404 = "NotFoundError", 405 = '
        '"MethodNotAllowedError" }\n',
        '# Only these.\nhttp.errors = { 400 = "BadRequestError", 404 = "NotFoundError", 405 = '
        '"MethodNotAllowedError" }  # mapped\n',
    ),
    (
        'description = "Add a new pet to the store"\nannotations = { open_world = true }\n',
        'description = "Add a new pet to the store"\nannotations = { open_world = true }  # checked\n',
    ),
]


def _grow_pet_writes(document: dict[str, Any]) -> None:
    put = document["paths"]["/pet"]["put"]
    put["parameters"] = [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}]
    put["responses"]["500"] = {"description": "Server trouble"}
    document["paths"]["/pet"]["post"]["responses"]["429"] = {"description": "Slow down"}


def test_comments_on_an_inline_table_stay_when_it_spreads_over_lines(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    output.write_text(replaced(output.read_text(encoding="utf-8"), INLINE_COMMENTS), "utf-8")
    edit_document(source, _grow_pet_writes)
    result = import_spec(source, output)
    check(output)
    written = output.read_text(encoding="utf-8")
    # Now written as dotted keys: the comments go above the first of them, not to the tool.
    assert _lines(written, "# The whole pet.", 4) == [
        "# The whole pet.",
        "# as sent",
        'input.type = "object"',
        'input.required = ["body"]',
    ]
    assert _lines(written, "# Only these.", 3) == [
        "# Only these.",
        "# mapped",
        'http.errors.400 = "BadRequestError"',
    ]
    # Still on one line, with the API's new value: the comment stays after it.
    assert "annotations = { open_world = true }  # checked" in written
    assert _block(written, "update_pet").startswith('[[tools]]\nname = "update_pet"\n')
    merge = result.summary.merge
    assert merge is not None and merge.comments_lost == []
    assert_settled(source, output)


def test_comments_on_keys_the_user_moved_or_added_stay_on_them(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    description = (
        'description = "Deprecated. Muliple tags can be provided with comma separated strings. '
        'Use tag1, tag2, tag3 for testing."\n'
    )
    output.write_text(
        replaced(
            output.read_text(encoding="utf-8"),
            [
                (
                    f'title = "Finds Pets by tags"\n{description}',
                    "# Ours, reworded.\n"
                    'description = "Tags, comma separated."  # short\n'
                    'title = "Finds Pets by tags"\n',
                ),
                (
                    "http.deprecated = true\n",
                    "http.deprecated = true\n# Agreed with them.\nmax_concurrency = 2  # their limit\n",
                ),
            ],
        ),
        encoding="utf-8",
    )
    edit_document(
        source, lambda d: d["paths"]["/pet/findByTags"]["get"].update(summary="Find pets by tags")
    )
    result = import_spec(source, output)
    check(output)
    written = output.read_text(encoding="utf-8")
    tool = next(t for t in load_toml(output)["tools"] if t["name"] == "find_pets_by_tags")
    assert (tool["title"], tool["description"], tool["max_concurrency"]) == (
        "Find pets by tags",
        "Tags, comma separated.",
        2,
    )
    assert _lines(written, "# Ours, reworded.", 2)[1] == (
        'description = "Tags, comma separated."  # short'
    )
    assert _lines(written, "# Agreed with them.", 2)[1] == "max_concurrency = 2  # their limit"
    merge = result.summary.merge
    assert merge is not None and merge.comments_lost == []
    assert_settled(source, output)


def test_comments_on_the_users_own_tables_stay(project: tuple[Path, Path]) -> None:
    """Tools written by hand and prompts, entries of arrays of tables the API knows nothing
    of, are known by their names."""
    source, output = project
    own = """
# Ours, by hand: no operation behind it.
[[tools]]
name = "pet_of_the_day"  # a joke
description = "Picks one."
# Returns a name.
output = { type = "object", properties = { name = { type = "string" } } }

# Prompts of ours.
[[prompts]]
name = "adopt"  # the main one
description = "Helps adopt a pet."

# Second.
[[prompts]]
name = "feed"
description = "How to feed one."
"""
    output.write_text(output.read_text(encoding="utf-8") + own, encoding="utf-8")
    edit_document(source, lambda d: d["paths"]["/pet/{petId}"]["get"].update(summary="Find"))
    result = import_spec(source, output)
    check(output)
    assert output.read_text(encoding="utf-8").endswith(own)
    merge = result.summary.merge
    assert merge is not None and merge.comments_lost == []


def test_a_spec_saved_with_crlf_keeps_its_comments_as_with_lf(tmp_path: Path) -> None:
    written: dict[str, str] = {}
    for ending in ("\n", "\r\n"):
        folder = tmp_path / ("crlf" if "\r" in ending else "lf")
        folder.mkdir()
        source, output = petstore_project(folder)
        edited = replaced(output.read_text(encoding="utf-8"), [*TOOL_COMMENTS, *INLINE_COMMENTS])
        output.write_bytes(edited.replace("\n", ending).encode())
        edit_document(source, _remove_delete_pet)
        edit_document(source, _grow_pet_writes)
        import_spec(source, output)
        written[ending] = output.read_text(encoding="utf-8")
    assert written["\r\n"] == written["\n"]
    assert "# The whole pet." in written["\n"] and "\r" not in written["\n"]


def test_comments_on_entries_of_a_nested_array_of_tables() -> None:
    """`[[types.A.allOf]]` entries (no name: known by their place) keep their comments."""
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(12)}}
    data = {"types": {"A": {"allOf": [big, {**big, "title": "Second"}]}}}
    layout = dumps(data)
    assert layout.count("[[types.A.allOf]]") == 2
    first, second = layout.split("\n\n")
    old_text = f"# First.\n{first}\n\n# Second.\n" + second.replace("]]\n", "]]  # it\n", 1)
    new_data = tomllib.loads(old_text)
    new_data["types"]["A"]["allOf"][1]["title"] = "Later"
    carried, lost = carry_comments(old_text, tomllib.loads(old_text), dumps(new_data), new_data)
    assert lost == []
    assert carried == old_text.replace('"Second"', '"Later"')


def test_comments_of_several_paragraphs_above_the_header_and_at_the_end_stay_so(
    project: tuple[Path, Path],
) -> None:
    source, output = project
    top, end = "# Ours, above it all.\n\n# A second paragraph.\n", "# Last words,\n\n# and more.\n"
    output.write_text(f"{top}{output.read_text(encoding='utf-8')}\n{end}", encoding="utf-8")
    edit_document(source, lambda d: d["info"].update(version="2.0.0"))
    import_spec(source, output)
    written = output.read_text(encoding="utf-8")
    assert written.startswith(f"{top}# Imported by `mcpgen import openapi`")
    assert written.endswith(f"\n\n{end}")
    assert_settled(source, output)


def _types_section(path: tuple[str, ...]) -> bool:
    """Each type under its own header, as a spec has them."""
    return len(path) == 2 and path[0] == "types"


def _carried(old_text: str, new_data: dict[str, Any]) -> tuple[str, list[str]]:
    """The comments of `old_text` carried into the writer's text of `new_data`."""
    new_text = dumps(new_data, sections=_types_section)
    return carry_comments(old_text, tomllib.loads(old_text), new_text, new_data)


def test_comments_on_an_array_written_inline_before_and_as_tables_now() -> None:
    """An inline array whose tables grow past the line (`oneOf` variants the API extends) is
    written as `[[...]]` entries: its comments go above the first."""
    old_text = (
        "[types.A]\n"
        "# Two kinds.\n"
        'oneOf = [{ type = "string" }, { type = "integer" }]  # no more\n'
        'title = "A"\n'
    )
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(12)}}
    new_data = {"types": {"A": {"oneOf": [big, {"type": "integer"}], "title": "A"}}}
    carried, lost = _carried(old_text, new_data)
    assert lost == []
    assert carried.startswith(
        '[types.A]\ntitle = "A"\n\n# Two kinds.\n# no more\n[[types.A.oneOf]]\n'
    )
    assert tomllib.loads(carried) == new_data


def test_comments_on_tables_of_an_array_written_inline_now() -> None:
    """`[[...]]` entries that shrink onto one line (the API drops a variant's properties)
    are still there: their comments go above the array, not to the lost ones."""
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(12)}}
    layout = dumps({"types": {"A": {"oneOf": [big, {"type": "integer"}]}}}, sections=_types_section)
    first, second = layout.split("\n\n")
    old_text = f"# First kind.\n{first}\n\n# Second kind.\n{second}"
    new_data = {"types": {"A": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}
    carried, lost = _carried(old_text, new_data)
    assert lost == []
    assert carried == (
        "[types.A]\n# First kind.\n# Second kind.\n"
        'oneOf = [{ type = "string" }, { type = "integer" }]\n'
    )


# A tool and a type laid out by hand: a sub-table, keys in another order, a blank line.
GET_PET = """[[tools]]
name = "get_pet_by_id"
description = "Returns a single pet"
title = "Find pet by ID"

annotations = { read_only = true, open_world = true }
errors = ["BadRequestError", "NotFoundError", "UnexpectedError"]
input.type = "object"
input.required = ["petId"]
input.properties.petId = { type = "integer", format = "int64", description = "ID of pet to return" }
output = { "$ref" = "#/types/Pet" }

[tools.http]  # the call
method = "GET"
path = "/pet/{petId}"
operation_id = "getPetById"
tags = ["pet"]
params = { petId = { in = "path" } }
security = [["api_key"]]
errors = { 400 = "BadRequestError", 404 = "NotFoundError", default = "UnexpectedError" }
"""
ORDER_STATUS = """[types.Order.properties.status]
type = "string"
enum = ["placed", "approved", "delivered"]
description = "Order Status"
"""


def test_tables_the_api_left_alone_keep_the_users_layout(project: tuple[Path, Path]) -> None:
    source, output = project
    text = output.read_text(encoding="utf-8")
    start = text.index('[[tools]]\nname = "get_pet_by_id"')
    status = (
        'properties.status.type = "string"\nproperties.status.description = "Order Status"\n'
        'properties.status.enum = ["placed", "approved", "delivered"]\n'
        'properties.complete = { type = "boolean", default = false }\n'
    )
    edited = replaced(
        text,
        [
            (text[start : text.index("\n\n", start) + 1], GET_PET),
            (
                status,
                f'properties.complete = {{ type = "boolean", default = false }}\n\n{ORDER_STATUS}',
            ),
        ],
    )
    output.write_text(edited, encoding="utf-8")
    edit_document(source, _grow_pet_writes)
    import_spec(source, output)
    check(output)
    written = output.read_text(encoding="utf-8")
    assert GET_PET in written and ORDER_STATUS in written
    # The tool the API changed is written as the import writes it.
    assert 'input.properties = { dry_run = { type = "boolean" }' in written
    assert_settled(source, output)


def test_a_table_written_in_several_places_is_written_afresh() -> None:
    """A table whose parts the user wrote apart (a sub-table after another table) cannot be
    kept line for line: it is written afresh."""
    old_text = (
        'types.C.title = "c"\n'
        "\n[types.A]\n"
        'type = "object"\n'
        "\n[types.B]\n"
        'type = "string"\n'
        "\n[types.A.properties.x]  # later\n"
        'type = "string"\n'
    )
    data = tomllib.loads(old_text)
    carried, lost = _carried(old_text, data)
    assert lost == []
    assert tomllib.loads(carried) == data
    assert carried.count("[types.A]") == carried.count("[types.B]") == 1
    assert "[types.A.properties.x]" not in carried and "# later" in carried


names = st.sampled_from(["a", "b", "c", "type", "x.y"])
leaves = st.one_of(st.integers(-2, 2), st.booleans(), st.sampled_from(["s", "t\nu", ""]))
schemas = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(names, children, max_size=4)
    ),
    max_leaves=12,
)
tables = st.dictionaries(names, schemas, min_size=1, max_size=4)


@st.composite
def spec_versions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], int]:
    """A spec, the same spec after an API change to some of its tables, and a layout depth."""

    def spec(types: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
        return {"server": {"name": "s"}, "types": types, "tools": tools}

    def tool(number: int, body: dict[str, Any]) -> dict[str, Any]:
        return {"name": f"t{number}", **body, "http": {"operation_id": f"op{number}"}}

    types = draw(st.dictionaries(st.sampled_from(["A", "B", "C"]), tables, max_size=3))
    bodies = draw(st.lists(tables, max_size=3))
    changed = {
        name: (draw(tables) if draw(st.booleans()) else value) for name, value in types.items()
    }
    changed_bodies = [draw(tables) if draw(st.booleans()) else body for body in bodies]
    old = spec(types, [tool(n, body) for n, body in enumerate(bodies)])
    new = spec(changed, [tool(n, body) for n, body in enumerate(changed_bodies)])
    if draw(st.booleans()):  # the API adds a tool, or removes the first
        new["tools"] = [*new["tools"], tool(9, draw(tables))] if draw(st.booleans()) else []
    return old, new, draw(st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(spec_versions())
def test_what_the_carrier_writes_is_the_merged_spec_whatever_the_users_layout(
    versions: tuple[dict[str, Any], dict[str, Any], int],
) -> None:
    """Tables kept as the user laid them out and tables written afresh read, together, as the
    spec the merge made: the user's layout puts sub-tables under headers of their own down to
    a depth."""
    old, new, depth = versions
    old_text = dumps(old, sections=lambda path: len(path) <= depth)
    new_text = dumps(new, sections=_spec_sections)
    carried, _ = carry_comments(old_text, old, new_text, new)
    assert tomllib.loads(carried) == new


def _spec_sections(path: tuple[str, ...]) -> bool:
    return path in (("server",), ("tools",)) or _types_section(path)


def test_a_tool_the_merge_renames_is_not_kept_as_the_user_wrote_it(
    project: tuple[Path, Path],
) -> None:
    """The user edits a tool and gives its name to another: the merge gives the API's tool
    a name of its own, so that tool is no longer as the user wrote it (the merge must not
    change the spec it read, which the carrier compares with)."""
    source, output = project
    text = output.read_text(encoding="utf-8")
    output.write_text(
        replaced(
            text,
            [
                ('description = "Returns a single pet"', 'description = "Ours."'),
                ('name = "find_pets_by_tags"', 'name = "get_pet_by_id"'),
            ],
        ),
        encoding="utf-8",
    )
    result = import_spec(source, output)
    names = [tool["name"] for tool in load_toml(output)["tools"]]
    assert names.count("get_pet_by_id") == 1
    merge = result.summary.merge
    assert merge is not None and len(merge.renamed) == 1
    assert_settled(source, output)


def test_the_merge_leaves_the_spec_it_read_as_it_was() -> None:
    """The carrier compares the spec as it was with the merged one: the merge's repairs (a
    name given to the API's tool, a type put back) go to the merged spec only."""

    def tool(name: str, operation: str, **fields: Any) -> dict[str, Any]:
        return {"name": name, **fields, "http": {"method": "GET", "operation_id": operation}}

    types = {"A": {"type": "object"}, "T": {"type": "string"}}
    base = {"types": types, "tools": [tool("x", "opX"), tool("y", "opY")]}
    current = {
        "types": {"A": {"type": "object", "title": "Ours"}},
        "tools": [tool("x", "opX", description="Ours."), tool("x", "opY")],
    }
    new = {**base, "tools": [*base["tools"], tool("z", "opZ", output={"$ref": "#/types/T"})]}
    before = json.loads(json.dumps(current))
    merged, _, report = merge_specs(base, current, new)
    assert current == before
    assert sorted(merged["types"]) == ["A", "T"] and report.tables_kept
    assert len({t["name"] for t in merged["tools"]}) == 3
