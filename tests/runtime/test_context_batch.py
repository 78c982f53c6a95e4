"""`ctx.batch`: work over items, a few at once, results in input order, progress as items
finish, and the first failure stopping the rest."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context, DeclaredError
from pydantic import BaseModel
from runtime_support import Seen, build, error_of, text_of, tool

pytestmark = pytest.mark.anyio


class Missing(BaseModel):
    item: int


class ItemMissing(DeclaredError):
    error_type = "ItemMissing"
    code = -32004
    message_template = "No item {item}"


class Work:
    """Items that take their value in hundredths of a second, and what ran when."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.finished: list[int] = []
        self.stopped: list[int] = []

    async def __call__(self, item: int) -> int:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if item < 0:
                raise ItemMissing(Missing(item=item))
            if item == 0:
                raise ZeroDivisionError("a bug in the work")
            await anyio.sleep(item / 100)
            self.finished.append(item)
            return item * 10
        except anyio.get_cancelled_exc_class():
            self.stopped.append(item)
            raise
        finally:
            self.active -= 1


def batch_tool(work: Work) -> Any:
    async def handler(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        results = await ctx.batch(
            args["items"], work, concurrency=args.get("concurrency", 4), message="an item done"
        )
        return json.dumps(results)

    return tool("batch", handler)


async def test_results_keep_the_input_order_and_progress_counts_items(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)
    work, seen = Work(), Seen()
    async with Client(build(batch_tool(work)), mode=mode) as client:
        result = await client.call_tool(
            "batch", {"items": [5, 1, 3, 2]}, progress_callback=seen.on_progress
        )
    assert json.loads(text_of(result)) == [50, 10, 30, 20]
    assert work.finished == [1, 2, 3, 5]  # they finished in another order
    assert seen.progress == [(n, 4, "an item done") for n in (1, 2, 3, 4)]


@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_no_more_items_run_at_once_than_asked(mode: str, concurrency: int) -> None:
    work = Work()
    async with Client(build(batch_tool(work)), mode=mode) as client:
        result = await client.call_tool(
            "batch", {"items": [2, 1, 1, 2, 1, 1], "concurrency": concurrency}
        )
    assert json.loads(text_of(result)) == [20, 10, 10, 20, 10, 10]
    assert work.peak == concurrency


async def test_no_items_give_no_results(mode: str) -> None:
    async with Client(build(batch_tool(Work())), mode=mode) as client:
        assert json.loads(text_of(await client.call_tool("batch", {"items": []}))) == []


async def test_the_first_failure_stops_the_rest_and_is_the_error(mode: str) -> None:
    work = Work()
    async with Client(build(batch_tool(work)), mode=mode) as client:
        result = await client.call_tool("batch", {"items": [50, 60, -7, 70]})
    # The declared error itself, not a group of errors or an internal error.
    assert error_of(result) == {
        "type": "ItemMissing",
        "code": -32004,
        "message": "No item -7",
        "data": {"item": -7},
    }
    assert sorted(work.stopped) == [50, 60, 70]  # running when -7 failed: cancelled
    assert work.finished == []
    assert work.active == 0


async def test_an_unexpected_failure_of_an_item_is_masked(mode: str) -> None:
    work = Work()
    async with Client(build(batch_tool(work)), mode=mode) as client:
        result = await client.call_tool("batch", {"items": [50, 0]})
    assert result.is_error
    assert re.fullmatch(
        r"Tool 'batch' failed with an internal error \(reference [0-9a-f]{12}\)\.",
        text_of(result),
    )
    assert work.stopped == [50]
