"""Log messages: `ctx.log` and the `logging` bridge, filtered by the level each era sets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, get_args

import mcp_types as types
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import Context, DeclaredError, LogLevel, SdkServer
from runtime_support import (
    INFO,
    NoArguments,
    Seen,
    build,
    error_of,
    prompt,
    resource,
    set_level,
    text_of,
    tool,
)

pytestmark = pytest.mark.anyio

LEVELS: tuple[LogLevel, ...] = get_args(types.LoggingLevel)
# The logger whose records the servers below bridge to their clients (and its children's).
NAMESPACE = "runtime_tests_bridged"
bridged = logging.getLogger(NAMESPACE)


@pytest.fixture(autouse=True)
def _bridged_logger_at_debug() -> Iterator[None]:
    """The bridge sends what `logging` lets through: every level, for these tests."""
    before = bridged.level
    bridged.setLevel(logging.DEBUG)
    yield
    bridged.setLevel(before)


@asynccontextmanager
async def listening(
    server: SdkServer, mode: str, seen: Seen, level: LogLevel | None
) -> AsyncIterator[Client]:
    """A client that hears log messages at `level` and above (None: sets no level)."""
    async with Client(server, mode=mode, logging_callback=seen.on_log, log_level=level) as client:
        if level is not None:
            await set_level(client, level)
        yield client


async def every_level(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    for level in LEVELS:
        await ctx.log(level, f"a {level} message")
    return "logged"


def test_the_levels_are_the_protocols_eight_in_order() -> None:
    assert LEVELS == (
        "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
    )  # fmt: skip


@pytest.mark.parametrize("level", ["debug", "warning", "emergency"])
async def test_messages_below_the_level_set_are_not_sent(mode: str, level: LogLevel) -> None:
    seen = Seen()
    async with listening(build(tool("logs", every_level)), mode, seen, level) as client:
        assert text_of(await client.call_tool("logs", {})) == "logged"
    expected = LEVELS[LEVELS.index(level) :]
    assert seen.log_texts() == [(lv, f"a {lv} message") for lv in expected]
    assert {log.logger for log in seen.logs} == {INFO.name}


async def test_a_2025_client_that_set_no_level_hears_every_level() -> None:
    seen = Seen()
    async with listening(build(tool("logs", every_level)), "legacy", seen, None) as client:
        await client.call_tool("logs", {})
    assert [level for level, _ in seen.log_texts()] == list(LEVELS)


async def test_a_2026_client_that_opted_in_to_no_level_hears_nothing() -> None:
    seen = Seen()
    async with listening(build(tool("logs", every_level)), "2026-07-28", seen, None) as client:
        assert text_of(await client.call_tool("logs", {})) == "logged"
    assert seen.logs == []


async def test_each_2025_connection_keeps_its_own_level() -> None:
    server = build(tool("logs", every_level))
    quiet, chatty = Seen(), Seen()
    async with (
        listening(server, "legacy", quiet, "error") as first,
        listening(server, "legacy", chatty, "notice") as second,
    ):
        await first.call_tool("logs", {})
        await second.call_tool("logs", {})
        await first.call_tool("logs", {})
    assert [level for level, _ in quiet.log_texts()] == 2 * [
        "error",
        "critical",
        "alert",
        "emergency",
    ]
    assert [level for level, _ in chatty.log_texts()] == list(LEVELS[2:])


async def test_fields_travel_beside_the_message(mode: str) -> None:
    async def fields(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        await ctx.log("info", "fetched", city="Paris", days=[1, 2])
        return "ok"

    seen = Seen()
    async with listening(build(tool("fields", fields)), mode, seen, "info") as client:
        await client.call_tool("fields", {})
    assert [(log.level, log.data) for log in seen.logs] == [
        ("info", {"message": "fetched", "city": "Paris", "days": [1, 2]})
    ]


# -- the `logging` bridge -----------------------------------------------------------------


async def test_records_of_the_servers_loggers_reach_the_client_in_order(mode: str) -> None:
    async def mixed(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        bridged.info("first, from logging")
        await ctx.log("notice", "second, from ctx.log")
        logging.getLogger(f"{NAMESPACE}.child").warning("third, from a child logger")
        logging.getLogger("elsewhere").error("not the server's")
        bridged.log(25, "fourth, at a level between info and warning")
        bridged.critical("fifth, %s", "formatted")
        return "ok"

    seen = Seen()
    server = build(tool("mixed", mixed), log_namespace=NAMESPACE)
    async with listening(server, mode, seen, "debug") as client:
        await client.call_tool("mixed", {})
    assert seen.log_texts() == [
        ("info", "first, from logging"),
        ("notice", "second, from ctx.log"),
        ("warning", "third, from a child logger"),
        ("info", "fourth, at a level between info and warning"),
        ("critical", "fifth, formatted"),
    ]


async def test_bridged_records_obey_the_level_set(mode: str) -> None:
    async def chatty(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        bridged.debug("details")
        bridged.info("progress")
        bridged.error("trouble")
        return "ok"

    seen = Seen()
    server = build(tool("chatty", chatty), log_namespace=NAMESPACE)
    async with listening(server, mode, seen, "warning") as client:
        await client.call_tool("chatty", {})
    assert seen.log_texts() == [("error", "trouble")]


class Refused(DeclaredError):
    error_type = "Refused"
    code = -32042
    message_template = "refused"


async def test_records_logged_before_a_handler_fails_reach_the_client(mode: str) -> None:
    async def refuses(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        bridged.warning("about to refuse")
        raise Refused()

    async def crashes(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        bridged.error("about to crash")
        raise RuntimeError("a bug")

    seen = Seen()
    server = build(tool("refuses", refuses), tool("crashes", crashes), log_namespace=NAMESPACE)
    async with listening(server, mode, seen, "debug") as client:
        refused = await client.call_tool("refuses", {})
        crashed = await client.call_tool("crashes", {})
    assert error_of(refused)["type"] == "Refused"
    assert crashed.is_error
    assert seen.log_texts() == [("warning", "about to refuse"), ("error", "about to crash")]


async def test_records_of_resource_and_prompt_handlers_reach_the_client(mode: str) -> None:
    async def read(ctx: Context[Any]) -> str:
        bridged.info("reading")
        return "content"

    async def render(ctx: Context[Any], args: NoArguments) -> str:
        bridged.info("rendering")
        return "a prompt"

    server = build(
        resources=[resource("test://r", handler=read)],
        prompts=[prompt("p", render)],
        log_namespace=NAMESPACE,
    )
    seen = Seen()
    async with listening(server, mode, seen, "info") as client:
        await client.read_resource("test://r")
        await client.get_prompt("p", {})
    assert seen.log_texts() == [("info", "reading"), ("info", "rendering")]


async def test_records_outside_a_request_go_nowhere(mode: str) -> None:
    seen = Seen()
    server = build(tool("logs", every_level), log_namespace=NAMESPACE)
    async with listening(server, mode, seen, "debug") as client:
        bridged.error("between requests")
        await client.call_tool("logs", {})
    assert ("error", "between requests") not in seen.log_texts()
    assert len(seen.logs) == len(LEVELS)


async def test_records_of_a_completer_reach_the_client_whether_it_fails_or_not(mode: str) -> None:
    async def styles(ctx: Context[Any], partial: str, given: Mapping[str, str]) -> list[str]:
        bridged.info(f"completing {partial!r}")
        return [s for s in ("brief", "detailed") if s.startswith(partial)]

    async def ids(ctx: Context[Any], partial: str, given: Mapping[str, str]) -> list[str]:
        bridged.warning("no ids today")
        raise Refused()

    async def render(ctx: Context[Any], args: NoArguments) -> str:
        return "a prompt"

    server = build(
        prompts=[prompt("p", render, completers={"style": styles, "id": ids})],
        log_namespace=NAMESPACE,
    )
    seen = Seen()
    ref = types.PromptReference(name="p")
    async with listening(server, mode, seen, "info") as c:
        done = await c.complete(ref, {"name": "style", "value": "b"})
        with pytest.raises(MCPError) as refused:
            await c.complete(ref, {"name": "id", "value": ""})
    assert done.completion.values == ["brief"]
    assert refused.value.code == Refused.code
    assert seen.log_texts() == [("info", "completing 'b'"), ("warning", "no ids today")]
