"""Streaming tools: what a handler yields goes out as it comes (progress messages, or log
messages for a client that asked for no progress) and is gathered into the result."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from mcp.client import Client
from mcpgen.vendored.runtime import Context, ImageContent, TextContent, ToolChunk
from runtime_support import Seen, build, set_level, text_of, tool

pytestmark = pytest.mark.anyio

WORDS = ["Streams ", "arrive ", "in ", "pieces."]
DOT = ImageContent(data="iVBORw0KGgo=", mime_type="image/png")


async def slowly(ctx: Context[Any], args: Mapping[str, Any]) -> AsyncIterator[ToolChunk]:
    for word in args["words"]:
        yield word


def streaming() -> Any:
    return tool("read", slowly, stream=True)


async def test_chunks_go_out_as_progress_and_the_result_gathers_them(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)
    seen = Seen()
    async with Client(build(streaming()), mode=mode) as client:
        result = await client.call_tool(
            "read", {"words": WORDS}, progress_callback=seen.on_progress
        )
    assert text_of(result) == "".join(WORDS)
    # One message per chunk when chunks come slower than the interval; progress counts them.
    assert seen.progress == [(n, None, word) for n, word in enumerate(WORDS, start=1)]


async def test_chunks_faster_than_the_interval_go_together_and_none_is_lost(mode: str) -> None:
    words = [f"{n} " for n in range(200)]
    seen = Seen()
    async with Client(build(streaming()), mode=mode) as client:
        result = await client.call_tool(
            "read", {"words": words}, progress_callback=seen.on_progress
        )
    assert text_of(result) == "".join(words)
    assert "".join(message or "" for _, _, message in seen.progress) == "".join(words)
    assert len(seen.progress) < 10
    assert seen.progress[-1][0] == 200


async def test_without_progress_chunks_go_out_as_log_messages(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)
    seen = Seen()
    async with Client(
        build(streaming()), mode=mode, logging_callback=seen.on_log, log_level="info"
    ) as client:
        await set_level(client, "info")
        result = await client.call_tool("read", {"words": WORDS})
    assert text_of(result) == "".join(WORDS)
    assert seen.log_texts() == [("info", word) for word in WORDS]


async def test_blocks_other_than_text_keep_their_place(mode: str) -> None:
    async def mixed(ctx: Context[Any], args: Mapping[str, Any]) -> AsyncIterator[ToolChunk]:
        yield "a"
        yield TextContent(text="b")
        yield DOT
        yield "c"

    seen = Seen()
    async with Client(build(tool("mixed", mixed, stream=True)), mode=mode) as client:
        result = await client.call_tool("mixed", {}, progress_callback=seen.on_progress)
    assert result.content == [TextContent(text="ab"), DOT, TextContent(text="c")]
    assert "".join(message or "" for _, _, message in seen.progress) == "abc"
    assert seen.progress[-1][0] == 4


async def test_a_stream_that_yields_nothing_is_an_empty_result(mode: str) -> None:
    seen = Seen()
    async with Client(build(streaming()), mode=mode) as client:
        result = await client.call_tool("read", {"words": []}, progress_callback=seen.on_progress)
    assert result.content == []
    assert not result.is_error
    assert seen.progress == []


async def test_a_stream_that_fails_midway_is_an_error_result(mode: str) -> None:
    async def breaks(ctx: Context[Any], args: Mapping[str, Any]) -> AsyncIterator[ToolChunk]:
        yield "so far "
        raise RuntimeError("the source went away")

    async with Client(build(tool("breaks", breaks, stream=True)), mode=mode) as client:
        result = await client.call_tool("breaks", {})
    assert result.is_error
    assert text_of(result).startswith("Tool 'breaks' failed with an internal error (reference ")
