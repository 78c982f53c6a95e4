"""The search surface and toolsets, through the SDK's `Client`, in both protocol eras."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import NOT_IMPLEMENTED_META, Context
from mcpgen.vendored.runtime._cli import run
from mcpgen.vendored.runtime._serving import Serving, chosen, serving
from mcpgen.vendored.runtime._state import MemoryState
from mcpgen.vendored.runtime._tasks import Tasks
from mcpgen.vendored.runtime._toolsets import ServingError
from runtime_support import (
    ERAS,
    MODERN,
    Seen,
    TasksClient,
    ToolDef,
    build,
    eventually,
    modern,
    resource,
    text_of,
    tool,
)

pytestmark = pytest.mark.anyio

# The command line's environment variables, named after the package that built the server.
ENV = __name__.partition(".")[0].upper() + "_"
SURFACE = ["search_operations", "describe_operation", "call_operation"]
CALLED: list[tuple[str, dict[str, Any]]] = []


def _recorded(name: str) -> Any:
    async def handler(ctx: Any, args: dict[str, Any]) -> str:
        CALLED.append((name, dict(args)))
        return f"{name} done"

    return handler


OWNER_REPO = {
    "type": "object",
    "properties": {"owner": {"type": "string"}, "number": {"type": "integer"}},
    "required": ["owner"],
    "additionalProperties": False,
}


def _tools() -> list[ToolDef]:
    made = []
    for name, title in [
        ("pulls_list", "List pull requests"),
        ("pulls_merge", "Merge a pull request"),
        ("issues_create", "Create an issue"),
        ("gists_star", "Star a gist"),
    ]:
        made.append(tool(name, _recorded(name), input_schema=OWNER_REPO))
        made[-1].definition["title"] = title
    return made


TAGS = {
    "pulls_list": ("pulls",),
    "pulls_merge": ("pulls",),
    "issues_create": ("issues",),
    "gists_star": ("gists",),
}


def _server(**options: Any) -> Any:
    return build(*_tools(), tags=TAGS, **options)


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> Any:
    return await client.call_tool(name, arguments)


@pytest.mark.parametrize("era", ERAS)
async def test_search_mode_lists_three_tools_and_all_stay_callable(era: str) -> None:
    CALLED.clear()
    async with Client(_server(tool_surface="search"), mode=era) as client:
        listed = await client.list_tools()
        assert [t.name for t in listed.tools] == SURFACE
        found = json.loads(
            text_of(await _call(client, "search_operations", {"query": "merge pull request"}))
        )
        assert found[0] == {
            "name": "pulls_merge",
            "description": "Merge a pull request",
            "tags": ["pulls"],
        }
        described = json.loads(
            text_of(await _call(client, "describe_operation", {"name": "issues_create"}))
        )
        assert described["inputSchema"] == OWNER_REPO
        assert described["tags"] == ["issues"]
        done = await _call(
            client, "call_operation", {"name": "pulls_list", "arguments": {"owner": "o"}}
        )
        assert not done.is_error and text_of(done) == "pulls_list done"
        assert CALLED == [("pulls_list", {"owner": "o"})]


@pytest.mark.parametrize("era", ERAS)
async def test_a_call_through_the_surface_is_checked_against_the_operations_schema(
    era: str,
) -> None:
    CALLED.clear()
    async with Client(_server(tool_surface="search"), mode=era) as client:
        wrong = await _call(
            client, "call_operation", {"name": "pulls_list", "arguments": {"number": "x"}}
        )
        direct = await _call(client, "pulls_list", {"number": "x"})
        assert wrong.is_error and text_of(wrong) == text_of(direct)
        assert "Invalid arguments for tool 'pulls_list'" in text_of(wrong)
        unknown = await _call(client, "call_operation", {"name": "nope", "arguments": {}})
        assert unknown.is_error and "Unknown operation: nope" in text_of(unknown)
        bad = await _call(client, "search_operations", {"query": ""})
        assert bad.is_error and "Invalid arguments for tool 'search_operations'" in text_of(bad)
        assert CALLED == []


async def test_no_search_without_a_shared_word() -> None:
    async with Client(_server(tool_surface="search")) as client:
        found = await _call(client, "search_operations", {"query": "zebra", "limit": 3})
        assert json.loads(text_of(found)) == []


async def test_the_command_line_chooses_the_surface_over_the_spec() -> None:
    with serving(Serving(surface="search")):
        server = _server()
    async with Client(server) as client:
        assert [t.name for t in (await client.list_tools()).tools] == SURFACE
    with serving(Serving(surface="tools")):
        server = _server(tool_surface="search")
    async with Client(server) as client:
        assert len((await client.list_tools()).tools) == 4


@pytest.mark.parametrize("era", ERAS)
async def test_toolsets_serve_only_their_tools(era: str) -> None:
    CALLED.clear()
    with serving(Serving(toolsets=("pulls", "gists"))):
        server = _server()
    async with Client(server, mode=era) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert names == ["pulls_list", "pulls_merge", "gists_star"]
        # Not served, so unknown: a failed call on 2026-07-28, -32602 before (as any).
        if modern(client):
            hidden = await _call(client, "issues_create", {"owner": "o"})
            assert hidden.is_error and text_of(hidden) == "Unknown tool: issues_create"
        else:
            with pytest.raises(MCPError, match="Unknown tool: issues_create"):
                await _call(client, "issues_create", {"owner": "o"})
        assert CALLED == []
        done = await _call(client, "gists_star", {"owner": "o"})
        assert text_of(done) == "gists_star done"


async def test_toolsets_narrow_what_search_finds() -> None:
    with serving(Serving(surface="search", toolsets=("issues",))):
        server = _server()
    async with Client(server) as client:
        found = await _call(client, "search_operations", {"query": "pull request issue"})
        assert [entry["name"] for entry in json.loads(text_of(found))] == ["issues_create"]


def test_an_unknown_toolset_is_a_start_up_error_naming_the_known_ones() -> None:
    with serving(Serving(toolsets=("pulls", "wiki"))), pytest.raises(ServingError) as raised:
        _server()
    assert str(raised.value) == (
        "unknown toolset 'wiki'; the server's toolsets (its tools' tags): gists, issues, pulls"
    )


def test_a_tool_named_as_the_surfaces_is_a_start_up_error() -> None:
    clashing = tool("call_operation", _recorded("x"))
    with pytest.raises(ServingError, match="call_operation"):
        build(clashing, tool_surface="search")


# -- dynamic toolsets (`--dynamic-toolsets`) ---------------------------------------------


def _tool_list_changes(seen: Seen) -> int:
    return sum(isinstance(m, types.ToolListChangedNotification) for m in seen.messages)


async def test_a_session_enables_a_toolset_and_it_alone_is_told() -> None:
    CALLED.clear()
    with serving(Serving(toolsets=("gists",), dynamic=True)):
        sdk = _server()
    heard, other = Seen(), Seen()
    async with (
        Client(sdk, mode="legacy", message_handler=heard.on_message) as client,
        Client(sdk, mode="legacy", message_handler=other.on_message) as bystander,
    ):
        names = [t.name for t in (await client.list_tools()).tools]
        assert names == ["gists_star", "list_toolsets", "enable_toolset"]
        await bystander.list_tools()  # a client that listed is one told of changes
        with pytest.raises(MCPError, match="Unknown tool: pulls_merge"):
            await _call(client, "pulls_merge", {"owner": "o"})
        listed = json.loads(text_of(await _call(client, "list_toolsets", {})))
        assert listed == [
            {"name": "gists", "tools": 1, "enabled": True},
            {"name": "issues", "tools": 1, "enabled": False},
            {"name": "pulls", "tools": 2, "enabled": False},
        ]
        enabled = await _call(client, "enable_toolset", {"name": "pulls"})
        assert json.loads(text_of(enabled)) == {"enabled": "pulls", "tools": 2}
        await eventually(lambda: _tool_list_changes(heard) == 1, "the list change")
        names = [t.name for t in (await client.list_tools()).tools]
        assert names == [
            "pulls_list",
            "pulls_merge",
            "gists_star",
            "list_toolsets",
            "enable_toolset",
        ]
        assert text_of(await _call(client, "pulls_merge", {"owner": "o"})) == "pulls_merge done"
        # Enabling it again changes nothing, and says nothing.
        await _call(client, "enable_toolset", {"name": "pulls"})
        unknown = await _call(client, "enable_toolset", {"name": "wiki"})
        assert unknown.is_error
        assert text_of(unknown) == "Unknown toolset: wiki (the toolsets: gists, issues, pulls)"
        # The other session still has only what it started with, and heard nothing.
        assert [t.name for t in (await bystander.list_tools()).tools] == [
            "gists_star",
            "list_toolsets",
            "enable_toolset",
        ]
        with pytest.raises(MCPError, match="Unknown tool: pulls_merge"):
            await _call(bystander, "pulls_merge", {"owner": "o"})
        await anyio.sleep(0.05)
    assert _tool_list_changes(heard) == 1 and _tool_list_changes(other) == 0
    assert CALLED == [("pulls_merge", {"owner": "o"})]


async def test_a_sessionless_request_gets_the_start_toolsets_and_no_enabling() -> None:
    with serving(Serving(toolsets=("gists", "issues"), dynamic=True)):
        sdk = _server()
    async with Client(sdk, mode=MODERN) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert names == ["issues_create", "gists_star"]
        refused = await _call(client, "enable_toolset", {"name": "pulls"})
        assert refused.is_error and text_of(refused) == "Unknown tool: enable_toolset"
        hidden = await _call(client, "pulls_list", {"owner": "o"})
        assert hidden.is_error and text_of(hidden) == "Unknown tool: pulls_list"
    with serving(Serving(dynamic=True)):
        sdk = _server()
    async with Client(sdk, mode=MODERN) as client:
        assert len((await client.list_tools()).tools) == 4  # no --toolsets: all of them


def test_dynamic_toolsets_serve_tools_not_the_search_surface() -> None:
    with serving(Serving(surface="search", dynamic=True)), pytest.raises(ServingError):
        _server()


# -- one path: what a direct call gets, a call through `call_operation` gets -------------


async def test_progress_and_errors_of_an_operation_come_through_call_operation(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "PROGRESS_INTERVAL", 0.0)

    async def steps(ctx: Context[Any], args: dict[str, Any]) -> str:
        for done in (1, 2):
            await ctx.progress(done, 2)
        if args.get("fail"):
            raise NotImplementedError("later")
        return "stepped"

    sdk = build(tool("steps", steps), tool_surface="search")
    seen = Seen()
    async with Client(sdk, mode=mode) as client:
        result = await client.call_tool(
            "call_operation", {"name": "steps"}, progress_callback=seen.on_progress
        )
        failed = await client.call_tool(
            "call_operation", {"name": "steps", "arguments": {"fail": True}}
        )
    assert text_of(result) == "stepped"
    assert [(done, total) for done, total, _ in seen.progress] == [(1, 2), (2, 2)]
    assert failed.is_error and text_of(failed) == "Tool 'steps' is not implemented yet: later"
    assert failed.meta is not None and failed.meta[NOT_IMPLEMENTED_META] is True


# -- the command line ---------------------------------------------------------------------


class _Built(Exception):
    """Raised by the probe below once it has seen what the command line chose."""


def _choice(argv: list[str]) -> Serving:
    chosen_: list[Serving] = []

    def build_probe() -> Any:
        chosen_.append(chosen())
        raise _Built

    with pytest.raises(_Built):
        run(build_probe, "probe", argv)
    (choice,) = chosen_
    # Without `--state-url`, this process's memory (test_state_cli.py has the rest).
    assert isinstance(choice.state, MemoryState)
    return replace(choice, state=None)


def test_the_command_line_and_environment_choose_surface_and_toolsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TOOL_SURFACE", "TOOLSETS", "DYNAMIC_TOOLSETS"):
        monkeypatch.delenv(f"{ENV}{name}", raising=False)
    assert _choice([]) == Serving()
    assert _choice(["--tool-surface", "search", "--toolsets", "a, b,"]) == Serving(
        surface="search", toolsets=("a", "b")
    )
    monkeypatch.setenv(f"{ENV}TOOL_SURFACE", "search")
    monkeypatch.setenv(f"{ENV}TOOLSETS", "pulls")
    monkeypatch.setenv(f"{ENV}DYNAMIC_TOOLSETS", "1")
    assert _choice([]) == Serving(surface="search", toolsets=("pulls",), dynamic=True)
    assert _choice(["--tool-surface", "tools"]) == Serving(
        surface="tools", toolsets=("pulls",), dynamic=True
    )


def test_a_wrong_choice_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{ENV}TOOL_SURFACE", "everything")
    with pytest.raises(SystemExit) as stopped:
        run(lambda: None, "probe", [])  # type: ignore[arg-type, return-value]
    assert stopped.value.code == 2
    assert f"{ENV}TOOL_SURFACE: not one of tools, search" in capsys.readouterr().err

    def unknown_toolset() -> Any:
        raise ServingError("unknown toolset 'wiki'; the server's toolsets (its tools' tags): x")

    monkeypatch.delenv(f"{ENV}TOOL_SURFACE")
    with pytest.raises(SystemExit) as stopped:
        run(unknown_toolset, "probe", ["--toolsets", "wiki"])
    assert stopped.value.code == 2
    assert "--toolsets / --tool-surface: unknown toolset 'wiki'" in capsys.readouterr().err


async def test_an_operation_that_runs_as_a_task_does_so_through_call_operation() -> None:
    async def echo(ctx: Context[Any], args: dict[str, Any]) -> str:
        return f"echo {args.get('text')} (task {ctx.task_id is not None})"

    sdk = build(
        tool("echo", echo, task_support="optional"),
        tool("plain", echo),
        tasks=Tasks(),
        tool_surface="search",
    )
    tasks = TasksClient()
    async with Client(sdk, mode=MODERN, extensions=[tasks]) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        # The surface's call may start a task: one of the operations runs as one.
        assert listed["call_operation"].execution is not None
        assert listed["call_operation"].execution.task_support == "optional"
        result = await client.call_tool(
            "call_operation", {"name": "echo", "arguments": {"text": "hi"}}
        )
        plain = await client.call_tool(
            "call_operation", {"name": "plain", "arguments": {"text": "hi"}}
        )
    assert text_of(result) == "echo hi (task True)"
    assert tasks.statuses == ["working", "completed"]
    assert text_of(plain) == "echo hi (task False)"


def test_a_tool_named_as_a_dynamic_toolsets_tool_is_a_start_up_error() -> None:
    with serving(Serving(dynamic=True)), pytest.raises(ServingError, match="'enable_toolset'"):
        build(tool("enable_toolset", _recorded("x")))


def test_search_mode_without_the_search_extra_is_a_start_up_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "bm25s", None)  # as if not installed: import fails
    with pytest.raises(ServingError, match="needs the package's `search` extra"):
        _server(tool_surface="search")


async def test_a_server_without_tools_serves_as_it_would_in_search_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing to search: it needs no ranking, and starts without the search extra."""
    monkeypatch.setitem(sys.modules, "bm25s", None)
    sdk = build(resources=[resource("test://about", text="fixed")], tool_surface="search")
    async with Client(sdk) as client:
        assert client.server_capabilities.tools is None
