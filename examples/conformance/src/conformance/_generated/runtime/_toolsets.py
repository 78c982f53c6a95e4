"""Which tools a server serves, and how: toolsets (tags) and the tool surface.

A tool's tags (an imported operation's OpenAPI tags, a spec tool's `tags`) group it in
toolsets; `--toolsets a,b` serves only the tools of those, the others being neither listed,
searched nor callable. `--tool-surface search` shows them behind the three tools of
`_search`. Both are chosen when the server starts, for the whole process: every replica
started alike serves alike, which a choice made by one client at run time could not
promise on 2026-07-28, where any replica may answer any request. So toolsets change at run
time (`--dynamic-toolsets`, `DynamicToolsets`) only where a session holds the change.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ._definitions import Tool
from ._sdk_internals import connection_of

ToolSurface: TypeAlias = Literal["tools", "search"]
SURFACES: tuple[ToolSurface, ...] = ("tools", "search")


class ServingError(ValueError):
    """What the server was asked to serve, it cannot: a usage error at start-up."""


def in_toolsets(
    tools: Sequence[Mapping[str, Any]],
    tags: Mapping[str, Sequence[str]],
    toolsets: Sequence[str] | None,
) -> list[Mapping[str, Any]]:
    """The tools of `toolsets` (all of them for None); an unknown name is a `ServingError`
    that lists the known ones."""
    if toolsets is None:
        return list(tools)
    known = sorted({tag for names in tags.values() for tag in names})
    unknown = [name for name in toolsets if name not in known]
    if unknown:
        raise ServingError(
            f"unknown toolset{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"the server's toolsets (its tools' tags): {', '.join(known) or '(none)'}"
        )
    wanted = set(toolsets)
    return [tool for tool in tools if wanted.intersection(tags.get(tool["name"], ()))]


LIST_TOOLSETS = "list_toolsets"
ENABLE_TOOLSET = "enable_toolset"

_TOOLSET_NAME = {"type": "string", "minLength": 1, "description": "The toolset's name."}
DYNAMIC_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "name": LIST_TOOLSETS,
        "title": "List toolsets",
        "description": "The toolsets this server's tools are grouped in: each one's name, "
        f"how many tools it has, and whether it is enabled (`{ENABLE_TOOLSET}`).",
        "inputSchema": {"type": "object", "properties": {}, "additionalProperties": False},
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
    },
    {
        "name": ENABLE_TOOLSET,
        "title": "Enable a toolset",
        "description": "Add a toolset's tools to this connection's tools (the list changes).",
        "inputSchema": {
            "type": "object",
            "properties": {"name": _TOOLSET_NAME},
            "required": ["name"],
            "additionalProperties": False,
        },
        "annotations": {"readOnlyHint": False, "idempotentHint": True, "openWorldHint": False},
    },
)


class DynamicToolsets:
    """Toolsets a client enables as it goes (`--dynamic-toolsets`), as GitHub's MCP server
    does: where a session exists, and only there.

    A 2025-era connection (stdio, or a streamable HTTP session, which lives in the one
    replica that holds it) starts with the `--toolsets` chosen at start (none if none were)
    and the two tools `list_toolsets` and `enable_toolset`; what it enables is its own, and
    it alone is told its list changed. A 2026-07-28 request belongs to no session and may
    reach any replica: a choice it made could not follow it, so it is offered none and sees
    what every replica serves from the start, the `--toolsets` (all tools if none).
    """

    def __init__(
        self,
        tools: Sequence[Mapping[str, Any]],
        tags: Mapping[str, Sequence[str]],
        start: Sequence[str] | None,
    ) -> None:
        refuse_clashes(tools, DYNAMIC_DEFINITIONS, "--dynamic-toolsets")
        self._tags = tags
        self._start = frozenset(start) if start is not None else None
        self._sizes: dict[str, int] = {}
        for names in tags.values():
            for tag in names:
                self._sizes[tag] = self._sizes.get(tag, 0) + 1
        self._enabled: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
        self._tools = {d["name"]: Tool(d) for d in DYNAMIC_DEFINITIONS}

    @staticmethod
    def connection(ctx: ServerRequestContext[Any, Any]) -> Any | None:
        """The session a request belongs to; None on 2026-07-28, which has none."""
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return None
        return connection_of(ctx.session)

    async def answer(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | None:
        """The answer to a call of `list_toolsets` or `enable_toolset` in a session; None
        for any other call (and for those, unknown, outside a session)."""
        tool = self._tools.get(params.name)
        connection = self.connection(ctx)
        if tool is None or connection is None:
            return None
        arguments = params.arguments or {}
        problems = tool.validation_errors(arguments)
        if problems:
            return failed(f"Invalid arguments for tool {tool.name!r}:\n- " + "\n- ".join(problems))
        if tool.name == LIST_TOOLSETS:
            return json_result(self.toolsets(connection))
        name: str = arguments["name"]
        if name not in self._sizes:
            return failed(
                f"Unknown toolset: {name} (the toolsets: {', '.join(sorted(self._sizes))})"
            )
        enabled = self._of(connection)
        if name not in enabled:
            enabled.add(name)
            # This connection's list alone changed: the others are not told.
            await connection.send_tool_list_changed()
        return json_result({"enabled": name, "tools": self._sizes[name]})

    def _of(self, connection: Any) -> set[str]:
        enabled = self._enabled.get(connection)
        if enabled is None:
            enabled = self._enabled[connection] = set(self._start or ())
        return enabled

    def visible(self, connection: Any | None, name: str) -> bool:
        """Whether the tool `name` is served to `connection` (None: a sessionless request)."""
        if name in _DYNAMIC_NAMES:
            return connection is not None
        tags = self._tags.get(name, ())
        if connection is None:
            return self._start is None or not self._start.isdisjoint(tags)
        return not self._of(connection).isdisjoint(tags)

    def listed(
        self, ctx: ServerRequestContext[Any, Any], wire: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Of the tools `wire`, those `ctx`'s session (or a sessionless request) sees."""
        session = self.connection(ctx)
        return [tool for tool in wire if self.visible(session, tool["name"])]

    def toolsets(self, connection: Any) -> list[dict[str, Any]]:
        enabled = self._of(connection)
        return [
            {"name": name, "tools": size, "enabled": name in enabled}
            for name, size in sorted(self._sizes.items())
        ]


_DYNAMIC_NAMES = frozenset(d["name"] for d in DYNAMIC_DEFINITIONS)


def refuse_clashes(
    tools: Sequence[Mapping[str, Any]], own: Sequence[Mapping[str, Any]], mode: str
) -> None:
    """A `ServingError` if one of `tools` has the name of one of the runtime's `own` tools."""
    clash = sorted({t["name"] for t in tools} & {d["name"] for d in own})
    if clash:
        raise ServingError(
            f"{mode} adds tools named {', '.join(map(repr, clash))}, which the server already "
            "has: rename them, or serve without it"
        )


def failed(message: str) -> types.CallToolResult:
    """A failed call of one of the runtime's own tools, for the model to read."""
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def json_result(value: object) -> types.CallToolResult:
    """A call's answer as JSON text, for the model to read."""
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(value, ensure_ascii=False))]
    )
