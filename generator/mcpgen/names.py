"""Names from the spec turned into Python names that cannot be invalid.

`PyIdent` and `ClassName` are only made by the functions here, which guarantee a valid,
non-keyword, non-builtin identifier; the type checker keeps raw strings out.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import unicodedata
from typing import NewType

PyIdent = NewType("PyIdent", str)
ClassName = NewType("ClassName", str)

# The MCP rule for tool names.
TOOL_NAME_HARD_LIMIT = 128
TOOL_NAME_PATTERN = f"[A-Za-z0-9._-]{{1,{TOOL_NAME_HARD_LIMIT}}}"
TOOL_NAME = re.compile(TOOL_NAME_PATTERN)
# Clients prefix tool names with the server's (e.g. `mcp__weather__`) and cap the whole
# near 64 characters, so longer names get truncated or rejected there.
TOOL_NAME_SOFT_LIMIT = 64

_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
# A word: an acronym before a capitalised word, a (capitalised) lowercase run, an acronym,
# or a number; trailing digits stay with their word (`v2`, `utf8`).
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+[a-z]*")


def words(name: str) -> list[str]:
    """Split any spelling (`getForecast`, `get-forecast.v2`, `HTTPServer`) into lowercase words."""
    # Fold accents (`Ünïcode` -> `Unicode`) so generated names stay ASCII.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    chunks = re.split(r"[^A-Za-z0-9]+", ascii_name)
    return [w.lower() for chunk in chunks for w in _WORD.findall(chunk)]


# Identifiers name files too: keep them well inside file-system limits (255 bytes).
MAX_IDENT = 64


def _shorten(text: str, joiner: str) -> str:
    """Cut an over-long name, keeping it unique with a hash of the whole.

    The hash is of the converted name, so two names collide after shortening exactly
    when they collide before it, and the collision check still names both.
    """
    if len(text) <= MAX_IDENT:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: MAX_IDENT - 9].rstrip('_')}{joiner}{digest}"


def to_ident(name: str, *, prefix: str = "item") -> PyIdent:
    """snake_case identifier; keywords and builtins get a trailing underscore."""
    parts = words(name)
    ident = _shorten("_".join(parts) if parts else prefix, "_")
    if ident[0].isdigit():
        ident = f"{prefix}_{ident}"
    if ident in _RESERVED or ident.startswith("__"):
        ident += "_"
    return PyIdent(ident)


def to_class_name(name: str, *, prefix: str = "Item") -> ClassName:
    """PascalCase class name."""
    parts = words(name)
    text = _shorten("".join(p[:1].upper() + p[1:] for p in parts) or prefix, "H")
    if text[0].isdigit():
        text = prefix + text
    if text in _RESERVED:
        text += "_"
    return ClassName(text)


def is_valid_tool_name(name: str) -> bool:
    return TOOL_NAME.fullmatch(name) is not None


def to_package_name(server_name: str) -> PyIdent:
    """The import name of the generated package."""
    return to_ident(server_name, prefix="mcp")


# PEP 440 public versions; the spec's server.version is free-form, as in MCP.
_PEP440 = re.compile(r"(\d+!)?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def package_version(version: str) -> str:
    """The version for pyproject.toml: the server's if PEP 440 accepts it, else 0.1.0."""
    return version if _PEP440.fullmatch(version) else "0.1.0"
