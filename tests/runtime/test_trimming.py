"""Oversized answers (`http_client._trimming`): each tool's answer is held to its byte budget,
cut where it stays valid, with a note of what was cut and how to read on; nothing past the
ceiling is ever read.

Every test calls a real loopback API (tests/http_support) through the SDK's `Client`,
in-process, in both protocol eras.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import anyio
import pytest
from http_support.recorder import Reply, Running, recorder, serve
from mcp.client import Client
from mcpgen.vendored.http_client import Api, HttpClient, Operation, Pagination, Param, Request
from mcpgen.vendored.http_client._trimming import TRUNCATED_META, budget, encoded_size
from mcpgen.vendored.runtime._cli import run
from mcpgen.vendored.runtime._definitions import Tool
from runtime_support import build, text_of, tool
from starlette.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio

BUDGET = 5_000
ITEMS = {"type": "object", "properties": {"items": {"type": "array"}}, "required": ["items"]}
ENV = "TRIM_MAX_RESPONSE_BYTES"


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    with recorder() as running:
        yield running


@pytest.fixture
def api(served: Running, monkeypatch: pytest.MonkeyPatch) -> Running:
    served.app.reset()
    monkeypatch.delenv(ENV, raising=False)
    return served


def issues(count: int) -> list[dict[str, Any]]:
    return [{"id": n, "title": f"issue {n}", "body": "x" * 80} for n in range(1, count + 1)]


# A user-owned handler (`http.handler = "custom"`): what it returns, by tool name.
Custom = Callable[[Any, Any, Request], Awaitable[Any]]


@contextlib.asynccontextmanager
async def calling(
    origin: str,
    *operations: tuple[Operation, dict[str, Any] | None],
    mode: str,
    custom: Mapping[str, Custom] | None = None,
) -> AsyncIterator[Client]:
    """A client of a server whose tools call `operations` at `origin`, their handlers made by
    `HttpClient.handler` as a generated server's are (or by `HttpClient.custom`, for the
    tools `custom` names)."""
    settings = Api(
        base_url=origin,
        base_url_env="TRIM_BASE_URL",
        max_response_bytes=BUDGET,
        max_response_bytes_env=ENV,
        retries=0,
    )
    tools: dict[str, Tool] = {}
    http = HttpClient(settings, tools)
    definitions = [
        tool(
            operation.tool,
            http.custom(operation, (custom or {})[operation.tool])
            if operation.tool in (custom or {})
            else http.handler(operation),
            input_schema={"type": "object"},
            output_schema=output,
            validate_output=False,
        )
        for operation, output in operations
    ]
    tools.update({d.definition["name"]: Tool(d.definition) for d in definitions})
    try:
        async with Client(build(*definitions), mode=mode) as client:
            yield client
    finally:
        await http.aclose()


LIST = Operation(
    tool="list_issues",
    method="GET",
    path="/issues",
    params=(Param("state", "query"), Param("per_page", "query"), Param("page", "query")),
    pagination=Pagination(size="per_page", page="page"),
)


async def test_a_big_json_list_is_cut_to_valid_json_with_the_next_page(
    api: Running, mode: str
) -> None:
    api.app.answer_next(Reply(body={"total_count": 500, "items": issues(500)}))
    async with calling(api.origin, (LIST, ITEMS), mode=mode) as client:
        result = await client.call_tool("list_issues", {"per_page": 500, "page": 1})
    assert not result.is_error
    data, said = (block.text for block in result.content)  # type: ignore[union-attr]
    cut = json.loads(data)
    assert result.structured_content == cut
    kept = len(cut["items"])
    assert 0 < kept < 500 and cut["items"] == issues(kept) and cut["total_count"] == 500
    assert len(data.encode()) <= BUDGET
    whole = encoded_size({"total_count": 500, "items": issues(500)})
    assert f"showing {kept} of 500 items of `$.items`" in said
    assert f"{whole - len(data.encode()):,} of {whole:,} bytes cut" in said
    assert f"call again with `per_page`={kept} and `page`=2" in said
    assert (result.meta or {})[TRUNCATED_META]["cuts"] == [
        {"path": "$.items", "kept": kept, "total": 500, "unit": "items"}
    ]


async def test_an_answer_within_the_budget_is_as_before(api: Running, mode: str) -> None:
    body = {"total_count": 3, "items": issues(3)}
    api.app.answer_next(Reply(body=body), Reply(body=body))
    async with calling(api.origin, (LIST, ITEMS), mode=mode) as client:
        result = await client.call_tool("list_issues", {})
    assert result.structured_content == body
    assert [block.text for block in result.content] == [json.dumps(body)]  # type: ignore[union-attr]
    assert not (result.meta or {}).get(TRUNCATED_META)


async def test_a_user_owned_handler_is_held_to_the_budget_too(api: Running, mode: str) -> None:
    """Taking a tool over (`http.handler = "custom"`) starts from `request.structured(args)`:
    its answer is cut as the generated handler's is. What the handler returns is cut, not
    its own object, and a text result is cut at a character boundary."""
    kept_by_the_handler = {"total_count": 500, "items": issues(500)}
    whole = json.dumps(kept_by_the_handler)

    async def as_generated(ctx: Any, args: Any, request: Request) -> Any:
        return await request.structured(args)

    async def returning_its_own(ctx: Any, args: Any, request: Request) -> Any:
        return kept_by_the_handler

    async def as_text(ctx: Any, args: Any, request: Request) -> Any:
        return "é" * BUDGET  # 2 bytes each: twice the budget

    mine = Operation(tool="mine", method="GET", path="/mine")
    text = Operation(tool="text", method="GET", path="/text", response="text")
    handlers = {"list_issues": as_generated, "mine": returning_its_own, "text": as_text}
    api.app.answer_next(Reply(body=kept_by_the_handler))
    async with calling(
        api.origin, (LIST, ITEMS), (mine, ITEMS), (text, None), mode=mode, custom=handlers
    ) as client:
        for name in ("list_issues", "mine"):
            result = await client.call_tool(name, {"per_page": 500, "page": 1})
            assert not result.is_error, result
            data, said = (block.text for block in result.content)  # type: ignore[union-attr]
            assert len(data.encode()) <= BUDGET and "bytes cut" in said
            assert (result.meta or {})[TRUNCATED_META]["cuts"][0]["path"] == "$.items"
        assert json.dumps(kept_by_the_handler) == whole  # the handler's own, uncut
        result = await client.call_tool("text", {})
    cut, said = (block.text for block in result.content)  # type: ignore[union-attr]
    assert cut == "é" * (BUDGET // 2) and "bytes cut" in said


async def test_the_run_time_budget_overrides_the_spec(
    api: Running, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "10000")
    api.app.answer_next(Reply(body={"items": issues(500)}))
    async with calling(api.origin, (LIST, ITEMS), mode=mode) as client:
        result = await client.call_tool("list_issues", {})
    assert 5_000 < len(json.dumps(result.structured_content).encode()) <= 10_000
    assert "budget of 10,000 bytes" in result.content[1].text  # type: ignore[union-attr]


async def test_a_cut_that_breaks_the_output_schema_is_never_structured_content(
    api: Running, mode: str
) -> None:
    at_least_100 = {
        "type": "object",
        "properties": {"items": {"type": "array", "minItems": 100}},
        "required": ["items"],
    }
    api.app.answer_next(Reply(body={"items": issues(500)}))
    async with calling(api.origin, (LIST, at_least_100), mode=mode) as client:
        result = await client.call_tool("list_issues", {})
    assert result.is_error
    assert result.structured_content is None
    said, data = (block.text for block in result.content)  # type: ignore[union-attr]
    assert "breaks the tool's output schema" in said
    assert json.loads(data)["items"] == issues(len(json.loads(data)["items"]))


TEXT = Operation(tool="read_log", method="GET", path="/log", response="text")


async def test_text_is_cut_at_a_character_boundary(api: Running, mode: str) -> None:
    line = "naïve café → 東京 😀 " * 3 + "\n"
    api.app.answer_next(Reply(body=line * 300))
    async with calling(api.origin, (TEXT, None), mode=mode) as client:
        result = await client.call_tool("read_log", {})
    kept, said = (block.text for block in result.content)  # type: ignore[union-attr]
    assert len(kept.encode()) <= BUDGET
    assert (line * 300).startswith(kept) and kept.endswith("\n")  # a whole line, whole chars
    assert "There are no" not in said and "bytes cut" in said
    assert "no arguments that narrow or page" in said


class Endless:
    """An API whose answer never ends: 64 KB chunks for as long as anyone reads."""

    def __init__(self) -> None:
        self.sent = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        text = scope["path"] == "/log"
        kind = b"text/plain; charset=utf-8" if text else b"application/json"
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]}
        )
        chunk = (b"line of the log\n" if text else b'{"n": 1},') * 4096
        if not text:
            await send({"type": "http.response.body", "body": b'{"items": [', "more_body": True})
        async with anyio.create_task_group() as group:

            async def until_the_client_goes() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(until_the_client_goes)
            while True:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                self.sent += len(chunk)
                await anyio.sleep(0.001)


async def test_an_endless_answer_stops_at_the_ceiling(mode: str) -> None:
    endless = Endless()
    with serve(endless) as port:
        origin = f"http://127.0.0.1:{port}"
        listing = Operation(
            tool="list_issues",
            method="GET",
            path="/issues",
            params=LIST.params,
            pagination=LIST.pagination,
        )
        async with calling(origin, (listing, ITEMS), (TEXT, None), mode=mode) as client:
            with anyio.fail_after(20):
                listed = await client.call_tool("list_issues", {})
                logged = await client.call_tool("read_log", {})
                again = await client.call_tool("read_log", {})
    assert listed.is_error
    assert "answered more than 125,000 bytes, the most this tool reads" in text_of(listed)
    assert "Ask for fewer items with `per_page`" in text_of(listed)
    kept, said = (block.text for block in logged.content)  # type: ignore[union-attr]
    assert kept.startswith("line of the log\n") and kept.endswith("\n")
    assert len(kept.encode()) <= BUDGET
    assert "reading stopped after" in said and "more followed" in said
    assert not again.is_error  # the server goes on answering
    # Reading stopped near the ceiling, far short of what an endless answer could send.
    assert endless.sent < 125_000 * 10


class _Built(Exception):
    """Raised by the probe below once it has read the budget the command line set."""


def test_the_command_line_sets_every_tools_budget(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    variable = __name__.partition(".")[0].upper() + "_MAX_RESPONSE_BYTES"
    monkeypatch.setenv(variable, "")  # restored (unset) after the test: `run` sets it
    settings = Api(base_url="http://127.0.0.1", base_url_env="X", max_response_bytes_env=variable)
    own = Operation(tool="t", method="GET", path="/", max_response_bytes=50_000)
    seen: list[int] = []

    def probe() -> Any:
        seen.append(budget(settings, own))
        raise _Built

    with pytest.raises(_Built):
        run(probe, "probe", [], max_response_bytes=100_000)
    with pytest.raises(_Built):
        run(probe, "probe", ["--max-response-bytes", "5000"], max_response_bytes=100_000)
    assert seen == [50_000, 5_000]  # the tool's own, then the command line's over it
    assert "--max-response-bytes BYTES" in _help(max_response_bytes=100_000)
    # A server whose tools call no HTTP API has no such option.
    assert "--max-response-bytes" not in _help()
    monkeypatch.setenv(variable, "12")
    with pytest.raises(SystemExit) as stopped:
        run(probe, "probe", [], max_response_bytes=100_000)
    assert stopped.value.code == 2
    assert f"{variable}: 12 is not at least 1000" in capsys.readouterr().err


def _help(**options: Any) -> str:
    output = io.StringIO()
    with pytest.raises(SystemExit), contextlib.redirect_stdout(output):
        run(lambda: None, "probe", ["--help"], **options)  # type: ignore[arg-type, return-value]
    return output.getvalue()
