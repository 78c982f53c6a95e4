"""Which tools a server serves, and how: toolsets (tags) and the tool surface.

A tool's tags (an imported operation's OpenAPI tags, a spec tool's `tags`) group it in
toolsets; `--toolsets a,b` serves only the tools of those, the others being neither listed,
searched nor callable. `--tool-surface search` shows them behind the three tools of
`_search`. Both are chosen when the server starts, for the whole process: every replica
started alike serves alike, which a choice made by one client at run time could not
promise on 2026-07-28, where any replica may answer any request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

ToolSurface: TypeAlias = Literal["tools", "search"]
SURFACES: tuple[ToolSurface, ...] = ("tools", "search")


class ServingError(ValueError):
    """What the server was asked to serve, it cannot: a usage error at start-up."""


@dataclass(frozen=True, slots=True)
class Serving:
    """What the command line chose: None leaves the spec's choice."""

    surface: ToolSurface | None = None
    toolsets: tuple[str, ...] | None = None


_chosen: ContextVar[Serving | None] = ContextVar("mcpgen_serving", default=None)


@contextmanager
def serving(choice: Serving) -> Iterator[None]:
    """Build the server within this to serve what the command line chose."""
    token = _chosen.set(choice)
    try:
        yield
    finally:
        _chosen.reset(token)


def chosen() -> Serving:
    return _chosen.get() or Serving()


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
