"""Where an oversized answer is cut (`http_client._trimming`), and what the note tells a model
to send next: each way of paging, and none.

Pure functions on real-shaped answers (GitHub's, Stripe's); the loopback tests through the
SDK's client are in test_trimming.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx2
import pytest
from mcpgen.vendored.http_client import Answer, Operation, Pagination, Param
from mcpgen.vendored.http_client._trimming import (
    encoded_size,
    note,
    text_result,
    trim_json,
    trim_text,
)
from mcpgen.vendored.runtime._types import CallToolResult


def objects(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"obj_{n}", "name": f"object {n}", **extra} for n in range(1, count + 1)]


def listing(**paging: str) -> Operation:
    names = [name for role, name in paging.items() if role != "cursor_item"]
    return Operation(
        tool="list",
        method="GET",
        path="/things",
        params=tuple(Param(name, "query") for name in [*names, "state"]),
        pagination=Pagination(**paging),
    )


def cut_note(answer: Any, limit: int, operation: Operation, /, **values: Any) -> tuple[Any, str]:
    """The answer cut to `limit` (a copy: the cut is made in place), and the note."""
    trimmed = trim_json(copy.deepcopy(answer), limit)
    assert trimmed is not None
    assert encoded_size(trimmed.value) <= limit
    return trimmed.value, note(trimmed, operation, values)


def test_the_largest_array_is_cut_and_the_rest_kept() -> None:
    answer = {"object": "list", "url": "/v1/things", "has_more": True, "data": objects(200)}
    value, _ = cut_note(answer, 2_000, listing(size="limit"))
    kept = len(value["data"])
    assert value == {**answer, "data": objects(kept)}
    # As many items as fit: one more would not.
    assert encoded_size({**answer, "data": objects(kept + 1)}) > 2_000


def test_arrays_inside_the_kept_items_are_cut_next() -> None:
    answer = [{"id": 1, "labels": [f"label {n}" for n in range(500)]}]
    value, said = cut_note(answer, 1_000, listing(size="limit"))
    assert value[0]["id"] == 1 and 0 < len(value[0]["labels"]) < 500
    assert f"showing {len(value[0]['labels'])} of 500 items of `$[0].labels`" in said


def test_a_long_string_is_cut_at_a_character_with_a_marker() -> None:
    answer = {"name": "README.md", "content": "Grüße aus 東京 😀 " * 500}
    value, said = cut_note(answer, 1_000, listing(size="limit"))
    assert value["name"] == "README.md"
    assert value["content"].endswith(" [...]")
    assert answer["content"].startswith(value["content"].removesuffix(" [...]"))
    chars = len(value["content"]) - len(" [...]")
    assert f"showing {chars} of {len(answer['content']):,} characters of `$.content`" in said
    assert "Ask for less with the arguments that narrow the request: `state`." in said


def test_the_members_of_a_large_map_go_last() -> None:
    answer = {f"emoji_{n}": f"https://github.githubassets.com/{n}.png" for n in range(300)}
    value, said = cut_note(answer, 1_500, listing(size="limit"))
    assert list(value) == list(answer)[: len(value)]
    assert f"showing {len(value)} of 300 members of `$`" in said


def test_page_and_size_read_on_from_the_first_item_not_shown() -> None:
    operation = listing(size="per_page", page="page")
    value, said = cut_note(objects(100), 2_000, operation, per_page=100, page=1)
    kept = len(value)
    assert f"call again with `per_page`={kept} and `page`=2." in said
    # Page 3 of 30 starts at item 60; the page size that fits and starts a page at the first
    # item not shown (60 + kept) divides it.
    value, said = cut_note(objects(30), 1_000, operation, per_page=30, page=3)
    following = 60 + len(value)
    size = next(n for n in range(len(value), 0, -1) if following % n == 0)
    assert f"`per_page`={size} and `page`={following // size + 1}." in said


def test_a_page_number_alone_names_the_next_page() -> None:
    _, said = cut_note(objects(100), 2_000, listing(page="page"), page=4)
    assert "of page 4 are not shown; `page`=5 is the next page." in said


def test_an_offset_reads_on_from_the_first_item_not_shown() -> None:
    value, said = cut_note(objects(100), 2_000, listing(size="limit", offset="offset"), offset=200)
    assert f"call again with `offset`={200 + len(value)} and `limit`={len(value)}." in said


def test_an_item_cursor_takes_the_last_item_shown() -> None:
    operation = listing(size="limit", cursor="starting_after", cursor_item="id")
    answer = {"object": "list", "data": objects(100), "has_more": False}
    value, said = cut_note(answer, 2_000, operation, limit=100)
    last = value["data"][-1]["id"]
    assert f'call again with `starting_after`="{last}" and `limit`={len(value["data"])}.' in said


def test_a_token_cursor_asks_for_a_page_that_fits() -> None:
    operation = listing(size="pageSize", cursor="pageToken")
    answer = {"items": objects(100), "nextPageToken": "abc"}
    value, said = cut_note(answer, 2_000, operation)
    assert value["nextPageToken"] == "abc"
    assert f"Call again with `pageSize`={len(value['items'])} for a page that fits" in said
    assert "given as `pageToken`, reads on from there" in said


def test_without_paging_the_narrowing_arguments_are_named() -> None:
    operation = Operation(
        tool="search",
        method="GET",
        path="/search",
        params=(Param("q", "query"), Param("owner", "path"), Param("language", "query")),
    )
    _, said = cut_note(objects(100), 2_000, operation)
    assert "Ask for less with the arguments that narrow the request: `q`, `language`." in said
    _, said = cut_note(objects(100), 2_000, Operation(tool="all", method="GET", path="/all"))
    assert "The operation has no arguments that narrow or page its answer." in said


def test_an_item_over_the_budget_alone_says_so() -> None:
    answer = [{f"field_{k}": k for k in range(20)} for _ in range(3)]
    trimmed = trim_json(answer, 100)
    assert trimmed is not None and trimmed.value == []
    said = note(trimmed, listing(size="limit"), {})
    assert "showing 0 of 3 items of `$`" in said  # one cut, of what the place first held
    assert "Even one item is over the budget" in said


@pytest.mark.parametrize("character", ["é", "東", "😀"])
def test_text_without_lines_is_cut_at_a_character_boundary(character: str) -> None:
    trimmed = trim_text(character * 1_000, 1_000)
    assert trimmed is not None
    kept = trimmed.value
    assert kept == character * len(kept)
    assert 1_000 - len(character.encode()) < len(kept.encode()) <= 1_000


def test_a_json_answer_of_a_tool_without_output_schema_is_cut_at_its_structure() -> None:
    operation = listing(size="per_page", page="page")
    body = json.dumps({"items": objects(200)}, indent=2).encode()
    answer = Answer(200, httpx2.Headers({"content-type": "application/json"}), body)
    result = text_result(answer, operation, {}, 2_000, True)
    assert isinstance(result, CallToolResult)
    data, said = (block.text for block in result.content)  # type: ignore[union-attr]
    assert json.loads(data)["items"] == objects(len(json.loads(data)["items"]))
    assert "`per_page`=" in said
    # Spaced out by the API, it fits written compactly: nothing is cut, nothing is said.
    small = json.dumps({"items": objects(20)}, indent=8).encode()
    assert len(small) > 2_000
    compact = text_result(Answer(200, answer.headers, small), operation, {}, 2_000, True)
    assert compact == json.dumps({"items": objects(20)}, ensure_ascii=False)


def test_what_was_cut_inside_an_item_that_went_is_not_said() -> None:
    item = {
        "labels": [f"label {n}" for n in range(50)],
        "body": "x" * 500,
        "fields": {f"field_{n}": n for n in range(50)},
    }
    trimmed = trim_json([copy.deepcopy(item) for _ in range(3)], 100)
    assert trimmed is not None and trimmed.value == []
    assert [(cut.path, cut.kept, cut.total) for cut in trimmed.cuts] == [("$", 0, 3)]
