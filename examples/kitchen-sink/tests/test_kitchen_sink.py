"""Every pattern of the kitchen-sink server, through the SDK's own client.

In-process tests run on both protocol eras; the transport tests at the end repeat the
patterns that depend on the wire (cancellation, streaming, round trips, notifications)
over stdio and over streamable HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import StdioServerParameters
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from tasks_client import TasksClient

from kitchen_sink import build_server
from kitchen_sink.handlers.lifespan import ATTACHMENTS, README, starter_notes

pytestmark = [
    pytest.mark.anyio,
    # Logging and resources/subscribe are deprecated by 2026-07-28; 2025-era clients use them.
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]

NOTES = {i: note.model_dump() for i, note in starter_notes().items()}
Target = Any  # an in-process server, a URL, or stdio parameters


def text_of(result: types.CallToolResult) -> str:
    assert len(result.content) == 1, result.content
    block = result.content[0]
    assert isinstance(block, types.TextContent), block
    return block.text


def error_of(result: types.CallToolResult) -> dict[str, Any]:
    """The error of an `isError` result, as data: in `_meta`, and in `structuredContent`
    too unless the tool has an output schema (that content would have to match it)."""
    assert result.is_error, result
    assert result.meta is not None
    error: dict[str, Any] = result.meta["dev.mcpgen/error"]
    assert result.structured_content in (None, {"error": error})
    return error


def modern(client: Client) -> bool:
    return client.protocol_version in MODERN_PROTOCOL_VERSIONS


async def cleanups(client: Client) -> list[str]:
    """What the server's handlers cleaned up so far (the stats tool reports it)."""
    result = await client.call_tool("stats", {})
    assert result.structured_content is not None
    done: list[str] = result.structured_content["cleanups"]
    return done


async def cancel_while_running(
    client: Client, tool: str, arguments: dict[str, Any], *, has_progress: bool
) -> float:
    """Call `tool`, cancel the call once it runs, and return when the cancel was sent."""
    running = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        running.set()

    async with anyio.create_task_group() as group:

        async def call() -> None:
            await client.call_tool(tool, arguments, progress_callback=on_progress)
            pytest.fail(f"{tool} finished although it was cancelled")

        group.start_soon(call)
        with anyio.fail_after(10):
            if has_progress:
                await running.wait()
            else:
                await anyio.sleep(0.3)
        cancelled_at = time.monotonic()
        group.cancel_scope.cancel()
    return cancelled_at


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5) -> None:
    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.02)  # polling a condition, bounded by fail_after


# -- structured output and errors --------------------------------------------------------


async def test_structured_output(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_note", {"id": 1})
    assert not result.is_error
    assert result.structured_content == NOTES[1]
    assert json.loads(text_of(result)) == NOTES[1]


async def test_definitions_carry_annotations_and_meta(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    get_note = tools["get_note"]
    assert get_note.title == "Get a note"
    assert get_note.annotations is not None
    assert get_note.annotations.read_only_hint is True
    assert get_note.annotations.open_world_hint is False
    assert get_note.meta == {"dev.mcpgen.example/category": "read"}
    assert get_note.output_schema is not None
    assert get_note.output_schema["required"] == ["id", "title", "body", "tags"]
    assert tools["delete_note"].annotations is not None
    assert tools["delete_note"].annotations.destructive_hint is True


async def test_declared_error_is_a_structured_tool_error(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_note", {"id": 99})
    assert text_of(result) == "No note 99"
    assert error_of(result) == {
        "type": "NoteNotFound",
        "code": -32004,
        "message": "No note 99",
        "data": {"id": 99},
    }


async def test_jsonrpc_declared_error_is_a_protocol_error(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        for n in range(100 - len(NOTES)):
            assert not (await client.call_tool("add_note", {"title": f"note {n}"})).is_error
        with pytest.raises(MCPError) as full:
            await client.call_tool("add_note", {"title": "one too many"})
    assert full.value.code == -32010
    assert full.value.message == "The notebook is full (100 notes)"
    assert full.value.data == {"limit": 100}


async def test_invalid_arguments_are_readable_for_the_model(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_note", {"id": 0})
    assert result.is_error
    assert text_of(result) == (
        "Invalid arguments for tool 'get_note':\n- id: 0 is less than the minimum of 1"
    )


async def test_output_validation_off_sends_what_the_handler_made(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("stats", {})
    assert result.structured_content == {"notes": 3, "words": 13, "cleanups": []}


# -- progress, cancellation, timeouts ----------------------------------------------------


async def test_progress_is_monotonic_and_rate_limited(mode: str) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("reindex", {"steps": 20000}, progress_callback=on_progress)
    assert text_of(result) == "reindexed in 20000 steps"
    assert seen[0] == (1, 20000)
    assert seen[-1] == (20000, 20000)  # the final update always goes out
    assert [p for p, _ in seen] == sorted({p for p, _ in seen})
    assert len(seen) < 200  # 20,000 updates in a tight loop, thinned to the interval


async def test_cancel_stops_a_busy_handler_at_its_checkpoint(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        cancelled_at = await cancel_while_running(
            client, "slow_export", {"seconds": 30}, has_progress=True
        )

        async def cleaned_up() -> bool:
            return "slow_export" in await cleanups(client)

        await eventually(cleaned_up, "slow_export's cleanup")
        assert time.monotonic() - cancelled_at < 5
        # The server keeps serving after a cancellation.
        assert not (await client.call_tool("get_note", {"id": 1})).is_error


async def test_cancel_interrupts_a_handler_at_its_next_await(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        await cancel_while_running(client, "wait_for", {"seconds": 30}, has_progress=False)

        async def cleaned_up() -> bool:
            return "wait_for" in await cleanups(client)

        await eventually(cleaned_up, "wait_for's cleanup")


async def test_timeout_ends_the_call_with_a_structured_error(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        started = time.monotonic()
        result = await client.call_tool("bounded_job", {"seconds": 30})
        elapsed = time.monotonic() - started
        assert error_of(result) == {
            "type": "ToolTimeout",
            "code": -32051,
            "message": "Tool 'bounded_job' timed out after 0.5 s",
            "retryable": True,
        }
        assert 0.5 <= elapsed < 5
        assert "bounded_job" in await cleanups(client)
        quick = await client.call_tool("bounded_job", {"seconds": 0})
    assert text_of(quick) == "done in 0 s"


# -- streaming and batches ---------------------------------------------------------------


async def test_streaming_sends_chunks_as_progress_and_gathers_them(mode: str) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        assert message is not None
        messages.append(message)

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("read_aloud", {"id": 3}, progress_callback=on_progress)
    body = NOTES[3]["body"]
    assert text_of(result) == body
    assert "".join(messages) == body  # every chunk arrived, in order, none twice
    assert len(messages) > 1


async def test_streaming_without_progress_sends_chunks_as_log_messages() -> None:
    logged: list[str] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logged.append(params.data["message"])

    async with Client(build_server(), mode="legacy", logging_callback=on_log) as client:
        result = await client.call_tool("read_aloud", {"id": 1})
    assert text_of(result) == NOTES[1]["body"]
    assert "".join(logged) == NOTES[1]["body"]


async def test_batch_keeps_order_and_reports_each_item(mode: str) -> None:
    done: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        done.append(progress)

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(
            "word_counts", {"ids": [3, 1, 2], "concurrency": 2}, progress_callback=on_progress
        )
        failed = await client.call_tool("word_counts", {"ids": [1, 42, 2]})
    assert result.structured_content == {"counts": [5, 3, 5]}
    assert done[-1] == 3
    assert error_of(failed)["data"] == {"id": 42}


# -- limits ------------------------------------------------------------------------------


async def test_concurrency_limit_refuses_a_second_call_at_once(mode: str) -> None:
    results: list[types.CallToolResult] = []
    async with Client(build_server(), mode=mode) as client, anyio.create_task_group() as group:

        async def call() -> None:
            results.append(await client.call_tool("compact", {"seconds": 0.5}))

        group.start_soon(call)
        await anyio.sleep(0.1)
        group.start_soon(call)
    refused = [r for r in results if r.is_error]
    assert len(results) == 2
    assert len(refused) == 1
    error = error_of(refused[0])
    assert error["type"] == "ToolBusy"
    assert error["retryable"] is True
    assert text_of(refused[0]).startswith("tool 'compact' is busy; retry in")


async def test_rate_limit_refuses_calls_over_the_window(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        results = [await client.call_tool("ping_upstream", {}) for _ in range(5)]
    assert [r.is_error for r in results] == [False, False, False, True, True]
    retry_after = error_of(results[3])["data"]["retry_after"]
    assert 0 < retry_after <= 1


# -- logging -----------------------------------------------------------------------------


async def test_ctx_log_and_the_logging_module_reach_the_client(mode: str) -> None:
    logged: list[tuple[str, str]] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        data = params.data
        logged.append((params.level, data["message"] if isinstance(data, dict) else str(data)))

    async with Client(
        build_server(), mode=mode, logging_callback=on_log, log_level="info"
    ) as client:
        if not modern(client):
            await client.set_logging_level("info")
        result = await client.call_tool("audit", {})
    assert text_of(result) == "audited 3 notes, 1 without tags"
    assert logged == [("info", "audit started"), ("warning", "note 2 (Ideas) has no tags")]


# -- sampling and elicitation ------------------------------------------------------------


async def answer_sampling(
    context: Any, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    assert params.system_prompt == "Answer with the title only."
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(text="  Shopping list "), model="test"
    )


async def confirm(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    assert isinstance(params, types.ElicitRequestFormParams)
    assert params.requested_schema["properties"]["confirm"]["type"] == "boolean"
    return types.ElicitResult(action="accept", content={"confirm": True})


async def decline(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="decline")


async def test_sampling_round_trip(mode: str) -> None:
    async with Client(build_server(), mode=mode, sampling_callback=answer_sampling) as client:
        result = await client.call_tool("suggest_title", {"id": 1})
    assert text_of(result) == "Shopping list"


async def test_elicitation_accepted_then_declined(mode: str) -> None:
    server = build_server()
    async with Client(server, mode=mode, elicitation_callback=decline) as client:
        kept = await client.call_tool("delete_note", {"id": 2})
        assert text_of(kept) == "kept note 2"
    async with Client(server, mode=mode, elicitation_callback=confirm) as client:
        deleted = await client.call_tool("delete_note", {"id": 2})
        assert text_of(deleted) == "deleted note 2"
        gone = await client.call_tool("get_note", {"id": 2})
    assert error_of(gone)["type"] == "NoteNotFound"


# -- tasks -------------------------------------------------------------------------------


async def keep_tags(params: types.ElicitRequestFormParams) -> types.ElicitResult:
    assert params.requested_schema["properties"]["with_tags"]["type"] == "boolean"
    return types.ElicitResult(action="accept", content={"with_tags": False})


async def test_a_task_the_client_polls_and_answers() -> None:
    tasks = TasksClient(keep_tags)
    async with Client(build_server(), mode="2026-07-28", extensions=[tasks]) as client:
        result = await client.call_tool("export_archive", {"seconds": 0.3})
    assert result.structured_content == {"notes": 3, "with_tags": False}
    (statuses,) = tasks.seen.values()
    # Created working, asked its question, went on, and finished.
    assert statuses == ["working", "input_required", "working", "completed"]


@pytest.mark.parametrize("era", ["legacy", "2026-07-28"])
async def test_a_task_tool_runs_as_a_plain_call_for_other_clients(era: str) -> None:
    async def keep(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"with_tags": True})

    async with Client(build_server(), mode=era, elicitation_callback=keep) as client:
        result = await client.call_tool("export_archive", {"seconds": 0})
    assert result.structured_content == {"notes": 3, "with_tags": True}


async def test_a_task_over_http(http_url: str) -> None:
    tasks = TasksClient(keep_tags)
    async with Client(http_url, mode="2026-07-28", extensions=[tasks]) as client:
        result = await client.call_tool("export_archive", {"seconds": 0.2})
    assert result.structured_content == {"notes": 3, "with_tags": False}
    (statuses,) = tasks.seen.values()
    assert statuses[-1] == "completed"


# -- resources, templates, subscriptions -------------------------------------------------


async def read_text(client: Client, uri: str) -> str:
    contents = (await client.read_resource(uri)).contents
    assert len(contents) == 1
    assert isinstance(contents[0], types.TextResourceContents)
    return contents[0].text


async def test_template_router(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        assert json.loads(await read_text(client, "notes://2")) == NOTES[2]
        # The more specific template wins over files://{+path}.
        assert await read_text(client, "files://readme/install") == README["install"]
        assert await read_text(client, "files://guides/intro.md") == ATTACHMENTS["guides/intro.md"]
        # Query parameters: any subset, in any order.
        assert json.loads(await read_text(client, "search://notes")) == {"ids": [1, 2, 3]}
        assert json.loads(await read_text(client, "search://notes?limit=1&q=e")) == {"ids": [1]}
        assert json.loads(await read_text(client, "search://notes?tag=wit&q=simple")) == {
            "ids": [3]
        }
        listed = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in listed][:2] == [
        "files://readme/{section}",
        "search://notes{?q,tag,limit}",
    ]


@pytest.mark.parametrize(
    "uri",
    [
        "notes://0",
        "notes://seven",
        "files://../secrets",
        "files://guides/../../etc/passwd",
        "files://guides/%2E%2E/%2E%2E/etc/passwd",
        "files:///etc/passwd",
        "files://guides/a%00b",
        "search://notes?limit=500",
    ],
)
async def test_template_router_refuses_bad_values(mode: str, uri: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
    assert refused.value.code == types.INVALID_PARAMS


async def test_resource_not_found_code_follows_the_era(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as missing:
            await client.read_resource("elsewhere://nothing")
        expected = types.INVALID_PARAMS if modern(client) else -32002
    assert missing.value.code == expected
    assert missing.value.data == {"uri": "elsewhere://nothing"}


async def test_handler_errors_in_resources_keep_their_code(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as missing:
            await client.read_resource("files://guides/nothing.md")
    assert missing.value.code == -32005
    assert missing.value.data == {"path": "guides/nothing.md"}


async def test_subscribers_hear_of_changes(mode: str) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(str(message.params.uri))

    async with Client(build_server(), mode=mode, message_handler=on_message) as client:
        if modern(client):
            async with client.listen(resource_subscriptions=["notes://latest"]) as events:
                await client.call_tool("add_note", {"title": "fresh"})
                with anyio.fail_after(5):
                    async for event in events:
                        assert isinstance(event, ResourceUpdated)
                        heard = event.uri
                        break
            assert updated in ([], ["notes://latest"])  # the stream's own copy, if surfaced
            updated[:] = [heard]
        else:
            await client.subscribe_resource("notes://latest")
            await client.call_tool("add_note", {"title": "fresh"})
            await eventually(lambda: _truthy(updated), "the update notification")
            await client.unsubscribe_resource("notes://latest")
            await client.call_tool("add_note", {"title": "unheard"})
        latest = json.loads(await read_text(client, "notes://latest"))
    assert updated == ["notes://latest"]
    assert latest["title"] in ("fresh", "unheard")


async def _truthy(items: list[str]) -> bool:
    return bool(items)


async def test_subscribing_to_an_unsubscribable_resource_is_refused() -> None:
    async with Client(build_server(), mode="legacy") as client:
        with pytest.raises(MCPError) as refused:
            await client.subscribe_resource("notes://about")
    assert refused.value.code == types.INVALID_PARAMS


# -- prompts and completions -------------------------------------------------------------


async def test_prompt_with_typed_arguments(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        prompt = await client.get_prompt("summarize", {"id": "3", "style": "detailed"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("summarize", {"style": "brief"})
    first, second = prompt.messages
    assert isinstance(first.content, types.EmbeddedResource)
    assert str(first.content.resource.uri) == "notes://3"
    assert isinstance(second.content, types.TextContent)
    assert second.content.text == "Summarize the note above; be detailed."
    assert missing.value.code == types.INVALID_PARAMS


async def test_completions_for_prompt_arguments_and_template_parameters(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        styles = await client.complete(
            types.PromptReference(name="summarize"), {"name": "style", "value": "b"}
        )
        ids = await client.complete(
            types.ResourceTemplateReference(uri="notes://{id}"), {"name": "id", "value": ""}
        )
    assert styles.completion.values == ["brief"]
    assert ids.completion.values == ["1", "2", "3"]


# -- lifespan ----------------------------------------------------------------------------


async def test_handlers_share_the_lifespan_state(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        added = await client.call_tool("add_note", {"title": "shared", "tags": ["x"]})
        assert added.structured_content is not None
        fetched = await client.call_tool("get_note", {"id": added.structured_content["id"]})
    assert fetched.structured_content == added.structured_content


# -- over the wire: stdio and streamable HTTP --------------------------------------------


async def check_over_the_wire(target: Target, mode: str) -> None:
    """The wire-dependent patterns, against a server in another process."""
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with Client(
        target, mode=mode, sampling_callback=answer_sampling, elicitation_callback=decline
    ) as client:
        found = await client.call_tool("get_note", {"id": 1})
        assert found.structured_content == NOTES[1]
        streamed = await client.call_tool("read_aloud", {"id": 3}, progress_callback=on_progress)
        assert text_of(streamed) == "".join(messages) == NOTES[3]["body"]
        await cancel_while_running(client, "slow_export", {"seconds": 30}, has_progress=True)

        async def cleaned_up() -> bool:
            return "slow_export" in await cleanups(client)

        await eventually(cleaned_up, "slow_export's cleanup")
        assert text_of(await client.call_tool("suggest_title", {"id": 1})) == "Shopping list"
        assert text_of(await client.call_tool("delete_note", {"id": 1})) == "kept note 1"
        timed_out = await client.call_tool("bounded_job", {"seconds": 30})
        assert error_of(timed_out)["type"] == "ToolTimeout"


@pytest.mark.parametrize("era", ["legacy", "2026-07-28"])
async def test_over_stdio(stdio: StdioServerParameters, era: str) -> None:
    await check_over_the_wire(stdio, era)


@pytest.mark.parametrize("era", ["legacy", "2026-07-28"])
async def test_over_http(http_url: str, era: str) -> None:
    await check_over_the_wire(http_url, era)


async def test_http_subscribers_hear_of_changes(http_url: str) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(str(message.params.uri))

    async with (
        Client(http_url, mode="legacy", message_handler=on_message) as listener,
        Client(http_url, mode="2026-07-28") as writer,
    ):
        await listener.subscribe_resource("notes://latest")
        await writer.call_tool("add_note", {"title": "from another client"})
        await eventually(lambda: _truthy(updated), "the update notification")
    assert updated == ["notes://latest"]
