"""Diagnostics are data: every problem found in a spec, reported all at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]
PathPart = str | int
SpecPath = tuple[PathPart, ...]


def format_path(path: SpecPath) -> str:
    """`("tools", 2, "input", "properties", "days")` -> `tools[2].input.properties.days`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier() or part.replace("-", "_").replace(".", "_").isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    message: str
    path: SpecPath = ()
    location: Location | None = None
    hint: str | None = None

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        at = f"{format_path(self.path)}: " if self.path else ""
        text = f"{where}{self.level}: {at}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def by_location(d: Diagnostic) -> tuple[str, int, int, str]:
    """Sort key: file, line, column; unlocated diagnostics first."""
    if d.location is None:
        return ("", 0, 0, d.message)
    return (d.location.file, d.location.line, d.location.col, d.message)


class SpecError(Exception):
    """Raised by a pipeline stage that found errors it cannot continue past."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in diagnostics))


def counted(number: int, noun: str) -> str:
    """`1 tool`, `2 tools`: a count whose noun agrees with it (every noun mcpgen counts
    takes an s)."""
    return f"{number} {noun}{'s' * (number != 1)}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest known word, if one is close enough."""
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diagnostics)
