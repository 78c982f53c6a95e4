"""What a server's `tools/list` costs a model, against a budget: measured for `import openapi`
and `generate`, reported, warned about, and refused past `--max-tools` / `--max-tokens`.

Tokens are estimated as the bytes of the JSON the server sends divided by 4, a common rule of
thumb for English and JSON with current tokenizers (no tokenizer is exact for every model, and
the ones that are installable need their vocabularies fetched at run time); the reports say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mcpgen.diagnostics import Diagnostic, counted

BYTES_PER_TOKEN = 4
ESTIMATOR = f"estimate: bytes / {BYTES_PER_TOKEN} of the tools/list JSON"

# Where a tool surface stops fitting a client. Cursor loads about 40 tools (Windsurf 50,
# VS Code 128): 40, the smallest cap, is the most tools every one of them takes. A tool costs
# a model 300-1,000 tokens of context, so 40 tools are 12k-40k tokens: 25,000 is that range's
# middle, and the mark past which issue 16 counted 32 of 117 imported APIs as too big.
TOOL_BUDGET = 40
TOKEN_BUDGET = 25_000
# Tags named when a list is over budget: the biggest few are what a selection would cut.
TAGS_NAMED = 5
# What a server of `tool_surface = "search"` lists, whatever its operations: the runtime's
# search_operations, describe_operation and call_operation (~400 tokens, bench_search.py).
SEARCH_SURFACE_TOOLS = 3
# What the budget's warning offers first: every operation stays callable behind 3 tools.
SEARCH_HINT = (
    f"serve the search surface: {SEARCH_SURFACE_TOOLS} tools that find, describe and call every "
    'operation ([server] tool_surface = "search", or run the server with --tool-surface search)'
)
# How `biggest_tags` counts the tools with no tag: a name for the report, no tag to select.
UNTAGGED = "(untagged)"


def tokens(size: int) -> int:
    """The token estimate of `size` bytes of JSON (see ESTIMATOR)."""
    return size // BYTES_PER_TOKEN


@dataclass(frozen=True)
class ToolSize:
    name: str
    tags: tuple[str, ...]
    size: int  # bytes of its definition as listed


@dataclass(frozen=True)
class ListSize:
    """A `tools/list` result: its bytes, and each tool's share."""

    size: int
    tools: Sequence[ToolSize]
    surface: str = "tools"
    """"search": the server lists its search surface, and `tools` (one per operation) are
    what it would list run with `--tool-surface tools`."""

    @classmethod
    def of(cls, tools: Sequence[ToolSize], surface: str = "tools") -> ListSize:
        """The list of `tools`: `{"tools":[...]}`, a comma between each two."""
        commas = max(len(tools) - 1, 0)
        return cls(len(b'{"tools":[]}') + commas + sum(t.size for t in tools), tools, surface)

    @property
    def tokens(self) -> int:
        return tokens(self.size)

    @property
    def searched(self) -> bool:
        return self.surface == "search"

    def line(self) -> str:
        if self.searched:
            return (
                f"tools/list: the search surface ({SEARCH_SURFACE_TOOLS} tools) over "
                f"{counted(len(self.tools), 'operation')}; one tool per operation would be "
                f"{self.size:,} bytes, ~{self.tokens:,} tokens ({ESTIMATOR})."
            )
        return (
            f"tools/list: {counted(len(self.tools), 'tool')}, {self.size:,} bytes, "
            f"~{self.tokens:,} tokens ({ESTIMATOR})."
        )

    def over_budget(self) -> bool:
        if self.searched:
            return False
        return len(self.tools) > TOOL_BUDGET or self.tokens > TOKEN_BUDGET

    def biggest_tags(self) -> list[tuple[str, int, int]]:
        """(tag, tools, bytes) of the tags whose tools weigh most, biggest first; a tool with
        several tags counts in each, one without in UNTAGGED."""
        tools: defaultdict[str, int] = defaultdict(int)
        size: defaultdict[str, int] = defaultdict(int)
        for tool in self.tools:
            for tag in tool.tags or (UNTAGGED,):
                tools[tag] += 1
                size[tag] += tool.size
        ranked = sorted(size, key=lambda tag: (-size[tag], tag))
        return [(tag, tools[tag], size[tag]) for tag in ranked[:TAGS_NAMED]]


def budget_warning(listed: ListSize, cut_with: Callable[[str | None], str]) -> Diagnostic | None:
    """A warning when `listed` is over the budget, naming what weighs most and how to cut it
    (`cut_with(tag)`: the options of the command at hand, given the biggest tag, if any)."""
    if not listed.over_budget():
        return None
    tags = listed.biggest_tags()
    if any(tool.tags for tool in listed.tools):
        named = "The biggest tags: " + "; ".join(
            f"{tag!r}: {counted(count, 'tool')}, ~{tokens(size):,} tokens"
            for tag, count, size in tags
        )
    else:
        named = "No operation has a tag"
    biggest = next((tag for tag, _, _ in tags if tag != UNTAGGED), None)
    return Diagnostic(
        "warning",
        f"tools/list has {counted(len(listed.tools), 'tool')} and ~{listed.tokens:,} tokens, "
        f"more than clients load well (about {TOOL_BUDGET} tools: Cursor's cap; "
        f"{TOKEN_BUDGET:,} tokens of a model's context). {named}",
        hint=cut_with(biggest),
    )


def budget_errors(
    listed: ListSize, max_tools: int | None, max_tokens: int | None, outcome: str
) -> list[Diagnostic]:
    """Errors for `--max-tools` / `--max-tokens` that `listed` exceeds (`outcome`: what was
    therefore not done)."""
    errors = []
    listed_tools = SEARCH_SURFACE_TOOLS if listed.searched else len(listed.tools)
    if max_tools is not None and listed_tools > max_tools:
        errors.append(f"{counted(listed_tools, 'tool')}, more than --max-tools {max_tools}")
    # The search surface's own size is the runtime's, the same for every server.
    if max_tokens is not None and not listed.searched and listed.tokens > max_tokens:
        errors.append(
            f"~{listed.tokens:,} tokens ({ESTIMATOR}), more than --max-tokens {max_tokens:,}"
        )
    return [Diagnostic("error", f"tools/list would have {e}; {outcome}") for e in errors]
