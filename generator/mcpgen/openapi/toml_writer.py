"""A small TOML 1.0 writer for specs a person reads and edits (no dependency).

`tomllib.loads(dumps(data)) == data` for any tree of tables, arrays, strings, integers,
floats (not NaN, which equals nothing), and booleans. The layout aims at reading:
- short values stay on one line (`annotations = { read_only = true }`);
- a table too long for one line spreads out as dotted keys under its header
  (`properties.id = { type = "integer" }`), the way specs are written by hand;
- tables inside arrays that cannot fit on a line become `[[array.of.tables]]`;
- text with line breaks becomes a multi-line string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Path = tuple[str, ...]

# Lines longer than this spread out (when they can).
WIDTH = 100

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"'}
_ESCAPES["\\"] = "\\\\"
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
# In a multi-line string a line break and a tab stay as they are.
_ML_NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\\\x7f]")


def key(name: str) -> str:
    """A key, bare when TOML allows, else quoted."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """A one-line basic string."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def multiline(text: str) -> str:
    """A multi-line basic string; the line break after the opening quotes is not content."""
    body = _ML_NEEDS_ESCAPE.sub(_escape, text)
    # Three quotes in a row would close the string, and a final quote would run into the
    # closing delimiter: escape each quote that another quote (or the end) follows.
    body = re.sub(r'"(?="|\Z)', r'\\"', body)
    return f'"""\n{body}"""'


def scalar(value: Any) -> str:
    """A string, number or boolean as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return string(value)
    raise TypeError(f"TOML cannot hold {type(value).__name__}")


def inline(value: Any) -> str:
    """A value on one line: inline tables and arrays nest."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return scalar(value)


def dumps(
    data: dict[str, Any], header: str = "", sections: Callable[[Path], bool] = lambda _: False
) -> str:
    """`data` as a TOML document, `header` (comment lines) first.

    `sections(path)` says which tables (and arrays of tables) get their own header even when
    they would fit on a line: a spec's `[server]` and each of its `[[tools]]`.
    """
    lines: list[str] = [header.rstrip("\n")] if header else []
    _table(data, (), lines, array_item=False, sections=sections)
    return "\n".join(lines).strip("\n") + "\n"


def _needs_header(value: Any) -> bool:
    """A table whose content cannot all be written as dotted keys of its parent."""
    if isinstance(value, list):
        return _is_table_array(value) and _inline_within(value, WIDTH) is None
    if isinstance(value, dict):
        return any(_needs_header(v) for v in value.values())
    return False


def _inline_within(value: Any, budget: int) -> str | None:
    """`inline(value)` if it takes at most `budget` characters, else None (found out early:
    a big schema is never rendered whole just to learn that it is too long)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        parts: list[str] = []
        used = 4
        for k, v in value.items():
            name = key(k)
            text = _inline_within(v, budget - used - len(name) - 3)
            if text is None:
                return None
            parts.append(f"{name} = {text}")
            used += len(parts[-1]) + 2
            if used > budget + 2:
                return None
        return "{ " + ", ".join(parts) + " }"
    if isinstance(value, list):
        items: list[str] = []
        used = 2
        for v in value:
            text = _inline_within(v, budget - used)
            if text is None:
                return None
            items.append(text)
            used += len(text) + 2
            if used > budget + 2:
                return None
        return "[" + ", ".join(items) + "]"
    text = scalar(value)
    return text if len(text) <= budget else None


def _is_table_array(value: list[Any]) -> bool:
    return bool(value) and all(isinstance(v, dict) for v in value)


def _table(
    data: dict[str, Any],
    path: Path,
    lines: list[str],
    *,
    array_item: bool,
    sections: Callable[[Path], bool],
) -> None:
    entries: list[str] = []
    later: list[tuple[str, Any]] = []
    for name, value in data.items():
        here = (*path, name)
        own = (
            isinstance(value, dict) and (sections(here) or any(sections((*here, k)) for k in value))
        ) or (sections(here) and isinstance(value, list) and _is_table_array(value))
        if own or _needs_header(value):
            later.append((name, value))
        else:
            _entry((key(name),), value, entries)
    # A table holding only sub-tables needs no header of its own: theirs create it.
    if path and (entries or array_item or not later):
        lines.append("")
        dotted = ".".join(key(p) for p in path)
        lines.append(f"[[{dotted}]]" if array_item else f"[{dotted}]")
    lines.extend(entries)
    for name, value in later:
        if isinstance(value, list):
            for item in value:
                _table(item, (*path, name), lines, array_item=True, sections=sections)
        else:
            _table(value, (*path, name), lines, array_item=False, sections=sections)


def _entry(dotted: tuple[str, ...], value: Any, lines: list[str]) -> None:
    """`a.b.c = value`, spread into dotted keys when a table is too long for one line."""
    name = ".".join(dotted)
    if isinstance(value, str) and "\n" in value:
        lines.append(f"{name} = {multiline(value)}")
        return
    short = _inline_within(value, WIDTH - len(name) - 3)
    if short is not None or not isinstance(value, dict) or not value:
        if short is not None:
            lines.append(f"{name} = {short}")
        elif isinstance(value, list) and value:
            lines.append(f"{name} = [")
            lines.extend(f"  {inline(item)}," for item in value)
            lines.append("]")
        else:
            lines.append(f"{name} = {inline(value)}")
        return
    for sub, item in value.items():
        _entry((*dotted, key(sub)), item, lines)
