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


def model_class_name(class_name: ClassName, suffix: str = "") -> ClassName:
    """The name of a model made from `class_name` (`Input`, `Data`... appended), as the
    model generator will write it: it drops underscores, so the `_` that keeps a name off a
    builtin (`ValueError_`) would come out as the builtin's name, and `generate` would find
    no model of the name it gave. `ValueError_` -> `ValueErrorModel`, `Exception_` + `Input`
    -> `ExceptionInput`."""
    base = class_name.rstrip("_")
    if suffix:
        return ClassName(base + suffix)
    return ClassName(base + "Model") if base != class_name else class_name


def is_valid_tool_name(name: str) -> bool:
    return TOOL_NAME.fullmatch(name) is not None


def to_package_name(server_name: str) -> PyIdent:
    """The import name of the generated package."""
    return to_ident(server_name, prefix="mcp")


# PEP 440 public versions; the spec's server.version is free-form, as in MCP.
_PEP440 = re.compile(r"(\d+!)?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


_ISO_DATE = re.compile(r"[vV]?(\d{4})-(\d{2})-(\d{2})(?!\d)")
# JavaScript's Date.toString(): "Wed Oct 15 2025 13:50:19 GMT+0000 (...)".
_JS_DATE = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{1,2}) (\d{4})\b")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RELEASE = re.compile(r"[vV]? ?(\d+(?:\.\d+)*)")
_PRE_RELEASE = re.compile(r"[-_. ]?(alpha|beta|preview|pre|rc|a|b|c)[-_.]?(\d*)", re.IGNORECASE)
_PRE_SPELLING = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}


def package_version(version: str) -> str:
    """The version for pyproject.toml: the server's, in its PEP 440 form.

    The server's version is free-form (MCP's serverInfo); a package's must be PEP 440. What
    API descriptions write (1,487 of the APIs.guru directory's 2,639 documents are not PEP
    440) is read as: a date (`2016-06-10` -> 2016.6.10, calendar versioning), else a leading
    release number with a pre-release word (`v1beta1` -> 1b1, `2.1-preview` -> 2.1rc0) or
    anything else as a local label (`1.0.0-oas3` -> 1.0.0+oas3), else the text as a local
    label of release 0 (`latest` -> 0+latest). Only text with no letter or digit at all
    falls back to 0.1.0.
    """
    if _PEP440.fullmatch(version):
        return version
    release, rest = None, version
    if date := _ISO_DATE.match(version):
        release, rest = ".".join(str(int(part)) for part in date.groups()), version[date.end() :]
    elif (js_date := _JS_DATE.match(version)) and js_date[1] in _MONTHS:
        month = _MONTHS.index(js_date[1]) + 1
        release, rest = f"{js_date[3]}.{month}.{int(js_date[2])}", ""
    elif (number := _RELEASE.match(version)) and not version[number.end() :][:1].isalpha():
        release = ".".join(str(int(part)) for part in number[1].split("."))
        rest = version[number.end() :]
    elif number and _PRE_RELEASE.fullmatch(version[number.end() :]):
        release, rest = number[1], version[number.end() :]
    if release is not None and (pre := _PRE_RELEASE.fullmatch(rest)):
        word = pre[1].lower()
        return f"{release}{_PRE_SPELLING.get(word, word)}{int(pre[2] or 0)}"
    words = re.findall(r"[a-z0-9]+", (rest if release is not None else version).lower())
    label = ".".join(str(int(word)) if word.isdigit() else word for word in words)
    if release is None:
        return f"0+{label}" if label else "0.1.0"
    return f"{release}+{label}" if label else release
