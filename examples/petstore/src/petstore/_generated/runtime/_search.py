"""The search surface: a big API's tools behind three, `search`, `describe` and `call`.

A model handed GitHub's 1,223 tools at once gets megabytes of definitions, more than any
client loads. In search mode (`[server] tool_surface = "search"`, `--tool-surface search`)
`tools/list` shows three tools instead: one ranks the operations for some words, one gives
an operation's whole definition, one calls an operation by name. A call through
`call_operation` becomes the operation's own `tools/call` (`SearchSurface.route`), so it
is checked, authorised, limited, retried, cancelled and run as a task exactly as a direct
call is: there is one path.

Ranking is BM25 (`bm25s`, English stop words left out) over each operation's name, title,
description, tags and parameter names. bm25s rather than rank-bm25: both need only numpy,
both found 17-18 of the 30 GitHub tasks in the top 5 (tests/benchmarks/bench_search.py),
but bm25s is maintained (rank-bm25's last release is of 2022) and answers a query over
GitHub's 1,223 operations in 0.02 ms to rank-bm25's 1.7 ms. The index is made on the first search, in a worker thread (numpy and
bm25s load then: ~0.15 s, and indexing GitHub's 1,223 tools ~0.1 s), so start-up and
`tools/list` cost nothing more.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types

from ._definitions import Tool
from ._toolsets import ServingError, failed, json_result, refuse_clashes

SEARCH = "search_operations"
DESCRIBE = "describe_operation"
CALL = "call_operation"

# Results a search returns unless asked for another number, and at most: ten one-line
# entries are ~1.5k characters, what a model reads at a glance.
DEFAULT_RESULTS = 10
MAX_RESULTS = 50
# A result's description: the first sentence, cut here (GitHub's run to 4,000 characters).
SUMMARY_CHARS = 200

_NAME = {"type": "string", "minLength": 1, "description": "The operation's name."}

DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "name": SEARCH,
        "title": "Search operations",
        "description": "Find the operations of this server that do something: give a few words "
        "of what you want done. Answers the best matches, each with its name, what it does "
        f"and its tags; then `{DESCRIBE}` for its arguments and `{CALL}` to run it.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What you want to do, in words.",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RESULTS,
                    "default": DEFAULT_RESULTS,
                    "description": "How many operations to answer at most.",
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
    },
    {
        "name": DESCRIBE,
        "title": "Describe an operation",
        "description": "An operation's whole definition: its description, the JSON Schema of "
        "its arguments and of its result.",
        "inputSchema": {
            "type": "object",
            "properties": {"name": _NAME},
            "required": ["name"],
            "additionalProperties": False,
        },
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
    },
    {
        "name": CALL,
        "title": "Call an operation",
        "description": "Run an operation by name with its arguments (as its input schema, from "
        f"`{DESCRIBE}`, says); answers as the operation does.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "name": _NAME,
                "arguments": {
                    "type": "object",
                    "default": {},
                    "description": "The operation's arguments.",
                },
            },
            "required": ["name"],
            "additionalProperties": False,
        },
    },
)


class SearchSurface:
    """The three tools `tools/list` shows in search mode, over the tools a server serves."""

    def __init__(
        self, tools: Sequence[Mapping[str, Any]], tags: Mapping[str, Sequence[str]]
    ) -> None:
        refuse_clashes(tools, DEFINITIONS, "the search surface")
        if find_spec("bm25s") is None:  # said at start-up, not at the first search
            raise ServingError("search mode needs the package's `search` extra (bm25s)")
        self._tools = {t["name"]: t for t in tools}  # their definitions
        self._tags = tags
        self._names = sorted(self._tools)
        self.tools = {d["name"]: Tool(d) for d in DEFINITIONS}
        self._index: Any = None  # bm25s.BM25, made on the first search
        self._stop: frozenset[str] = frozenset()  # words too common to rank by (bm25s's)
        self._indexing: anyio.Lock | None = None

    @property
    def definitions(self) -> list[Mapping[str, Any]]:
        return [tool.definition for tool in self.tools.values()]

    async def route(
        self, params: types.CallToolRequestParams
    ) -> types.CallToolRequestParams | types.CallToolResult:
        """What a `tools/call` of one of the surface's tools comes to: its answer, or (for
        `call_operation`) the operation's own `tools/call`, to take the direct path."""
        tool = self.tools.get(params.name)
        if tool is None:
            return params  # an operation called by its own name
        arguments = params.arguments or {}
        problems = tool.validation_errors(arguments)
        if problems:
            return failed(f"Invalid arguments for tool {tool.name!r}:\n- " + "\n- ".join(problems))
        if tool.name == SEARCH:
            found = await self.search(arguments["query"], arguments.get("limit", DEFAULT_RESULTS))
            return json_result(found)
        name: str = arguments["name"]
        if name not in self._tools:
            return failed(f"Unknown operation: {name} (`{SEARCH}` finds them by words)")
        if tool.name == DESCRIBE:
            return json_result(self.describe(name))
        return params.model_copy(update={"name": name, "arguments": arguments.get("arguments", {})})

    def describe(self, name: str) -> dict[str, Any]:
        """The operation's definition as `tools/list` would show it, and its tags."""
        tags = list(self._tags.get(name, ()))
        return {**self._tools[name], **({"tags": tags} if tags else {})}

    async def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        """The `limit` best operations for `query`, best first; none that shares no word."""
        if self._index is None:
            if self._indexing is None:
                self._indexing = anyio.Lock()  # searches arriving together index once
            async with self._indexing:
                if self._index is None:
                    self._index = await anyio.to_thread.run_sync(self._make_index)
        scores = self._index.get_scores([w for w in words(query) if w not in self._stop])
        # Best first; equal scores in name order, so that an answer is the same every time.
        ranked = sorted(
            (i for i in range(len(self._names)) if scores[i] > 0), key=lambda i: -scores[i]
        )
        return [self._entry(self._names[i]) for i in ranked[:limit]]

    def _make_index(self) -> Any:
        import bm25s  # type: ignore[import-untyped, import-not-found, unused-ignore]
        from bm25s.stopwords import STOPWORDS_EN  # type: ignore[import-untyped, import-not-found, unused-ignore]

        stop = frozenset(STOPWORDS_EN)
        index = bm25s.BM25()
        index.index(
            [[w for w in self._words_of(name) if w not in stop] for name in self._names],
            show_progress=False,
        )
        self._stop = stop
        return index

    def _words_of(self, name: str) -> list[str]:
        """What an operation is found by. Its title counts twice, and of its description
        only the first paragraph: GitHub's go on about tokens and permissions in words
        every operation shares (on the 30 tasks, the whole description found 13 in the
        top 5, the first paragraph and the title twice 18)."""
        definition = self._tools[name]
        title = definition.get("title") or ""
        description = (definition.get("description") or "").split("\n\n", 1)[0]
        properties = definition.get("inputSchema", {}).get("properties", {})
        text = " ".join([name, title, title, description, *self._tags.get(name, ()), *properties])
        return words(text)

    def _entry(self, name: str) -> dict[str, Any]:
        definition = self._tools[name]
        entry: dict[str, Any] = {"name": name, "description": summary(definition)}
        tags = self._tags.get(name)
        if tags:
            entry["tags"] = list(tags)
        return entry


def summary(definition: Mapping[str, Any]) -> str:
    """One line of what a tool does: its title, else its description's first sentence."""
    text = definition.get("title") or definition.get("description") or ""
    line = _SENTENCE.split(" ".join(text.split()), maxsplit=1)[0]
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


def words(text: str) -> list[str]:
    """The lower-case words of `text`, names split too (`listPulls`, `pulls_list`)."""
    return [w.lower() for w in _WORD.findall(_CAMEL.sub(" ", text))]


_SENTENCE = re.compile(r"(?<=[.!?])\s")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z0-9]+")
