"""What the command line chose for the server it builds, handed to `build_server()`.

A generated `build_server()` takes no run-time options (its callers, tests among them,
build a server as the spec describes it), so the command line sets its choices around the
call and the runtime's `build_server` reads them: one value, in one place, rather than a
side channel per option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ._state import State
from ._toolsets import ToolSurface


@dataclass(frozen=True, slots=True)
class Serving:
    """The command line's choices; None leaves the spec's choice, or the default."""

    state: State | None = None  # `--state-url`; None: this process's memory
    surface: ToolSurface | None = None  # `--tool-surface`
    toolsets: tuple[str, ...] | None = None  # `--toolsets`
    dynamic: bool = False  # `--dynamic-toolsets`


_chosen: ContextVar[Serving | None] = ContextVar("mcpgen_serving", default=None)


@contextmanager
def serving(choice: Serving) -> Iterator[None]:
    """Servers built within this serve what the command line chose."""
    token = _chosen.set(choice)
    try:
        yield
    finally:
        _chosen.reset(token)


def chosen() -> Serving:
    """What the command line chose for the server being built (nothing, outside `serving`)."""
    return _chosen.get() or Serving()
