"""Re-import stage: the user's comments and layout, carried from the spec as it was into the
spec as written.

The merge works on data, and the spec is written afresh from it, so the user's layout and
comments would be lost. A table under a header of its own (a `[[tools]]` entry with its
sub-tables, a `[types.X]`, `[server]`) whose value the re-import left as it was is written as
the user wrote it, line for line: key order, sub-tables, blank lines and comments. In the
tables the API changed, comments are carried over by what they sit on. A comment on its own
line belongs to the statement below it (a table header or a key), a comment after a value to
that value's line. A statement is known by its full path, whatever the layout: `[tools.http]`
then `method = ...` and `http.method = ...` in `[[tools]]` are the same key, and an element of
`[[tools]]` is known by its operation (a tool the user renamed keeps its comments). Where a
path is gone from the new spec, a comment goes to the first of the statements it is now
written as (an inline table grown into dotted keys, an inline array of tables grown into
`[[...]]` entries), else to the nearest statement above it in the tree that is still there (a
key, or an entry of an array of tables, now written inline); a comment whose tool or table is
gone entirely is reported.

The import's own header is written afresh each time: wherever it is found above the first
statement (a comment the user put above it keeps its place; a header an older mcpgen carried
along as a comment is dropped).
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcpgen.openapi.reimport import tool_identity

# A statement's place: table and key names, and ("#", identity) for an element of an array of
# tables.
Anchor = tuple[Any, ...]
END: Anchor = ("<end>",)
START: Anchor = ("<start>",)  # above the import's header, where the user put them


@dataclass
class _Statement:
    """A table header or a key, and the lines its value takes."""

    line: int  # the index of its first line
    last: int  # the index of its last line
    anchor: Anchor
    comments: list[str]  # those on its lines, from `#`, in order
    names: int = 0  # how many names its key has (`a.b.c = `: 3); 0 for a table header

    @property
    def trailing(self) -> str | None:
        """The comment after a one-line statement."""
        return self.comments[0] if self.comments and self.line == self.last else None


@dataclass
class _Comments:
    """The user's comments by the statement they sit on."""

    above: dict[Anchor, list[str]] = field(default_factory=lambda: defaultdict(list))
    trailing: dict[Anchor, str] = field(default_factory=dict)
    first_line: dict[Anchor, int] = field(default_factory=dict)  # for reporting, 1-based


# The comment block `mcpgen import openapi` opens a spec with, written afresh each time.
_HEADER = (
    "# Imported by `mcpgen import openapi` from {source} ({about}).",
    "# Curate it freely (rename, delete or describe tools, add limits): re-importing with",
    "# `mcpgen import openapi -o {spec}` keeps your edits, comparing with",
    "# {base}, which the import writes beside it: commit both.",
)
# Each line of a header as any import wrote it: what filled its fields is not known.
_HEADER_LINES = [re.compile(re.sub(r"\\\{\w+\\\}", ".*", re.escape(line))) for line in _HEADER]


def import_header(source: str, about: str, spec: str, base: str) -> str:
    """The header block: the fields on one line each (a title may hold a line break, which
    would end the comment and break the spec's TOML)."""
    fields = {"source": source, "about": about, "spec": spec, "base": base}
    flat = {name: " ".join(value.split()) for name, value in fields.items()}
    return "".join(line.format(**flat) + "\n" for line in _HEADER)


def _header_length(lines: list[str], index: int) -> int:
    """How many lines of an import's header block start at `lines[index]` (0: none): its first
    line, then each next one that reads as the header's next line does."""
    length = 0
    for pattern, line in zip(_HEADER_LINES, lines[index:], strict=False):
        if not pattern.fullmatch(line.rstrip()):  # a file saved with CRLF line ends
            break
        length += 1
    return length


def carry_comments(
    old_text: str,
    old_data: dict[str, Any],
    new_text: str,
    new_data: dict[str, Any],
    moved: Mapping[str, str] | None = None,
) -> tuple[str, list[str]]:
    """`new_text` with the tables it has as `old_text` had them written as there, the comments
    of `old_text` in their places, and the comments that have none left ("line N: # text"),
    for the report. `moved`: the tools whose operation the API renamed, old identity -> new."""
    old_lines = old_text.split("\n")
    old_statements = list(_statements(old_lines, old_data))
    comments = _collect(old_lines, old_statements)
    if moved:
        comments = _renamed(comments, {("#", o): ("#", n) for o, n in moved.items()})
    lines = new_text.split("\n")
    written = list(_statements(lines, new_data))
    kept = _unchanged_tables(old_lines, old_statements, old_data, written, new_data)
    if not comments.above and not comments.trailing and not kept:
        return new_text, []
    statements = {s.anchor: s for s in written}
    # A table written inline before and as dotted keys now (`input = { ... }` grown into
    # `input.type = ...`, `input.required = ...`) is known by the first of its keys, and an
    # array of tables written inline before (`oneOf = [...]`) by its first `[[...]]` entry.
    for statement in written:
        table = len(statement.anchor) - statement.names
        for end in range(table + 1, len(statement.anchor)):
            statements.setdefault(statement.anchor[:end], statement)
        if not statement.names and isinstance(statement.anchor[-1], tuple):
            statements.setdefault(statement.anchor[:-1], statement)
    above: defaultdict[int, list[str]] = defaultdict(list)
    after: dict[int, str] = {}
    lost: list[str] = []
    kept_anchors = {anchor: line for line, (_, _, anchor) in kept.items()}
    for anchor in _in_order(comments):
        texts = comments.above.get(anchor, [])
        trailing = comments.trailing.get(anchor)
        verbatim = next(
            (anchor[:n] for n in range(1, len(anchor) + 1) if anchor[:n] in kept_anchors), None
        )
        if verbatim is not None:
            # Written as the user wrote it, the comments in it too: those above it still go
            # above it (with the comments of the rest of the spec, one rule for all).
            if verbatim == anchor:
                above[kept_anchors[verbatim]].extend(texts)
            continue
        target = _nearest(anchor, statements)
        if target is None:
            at = comments.first_line[anchor]
            lost.extend(f"line {at}: {text}" for text in [*texts, trailing] if text)
            continue
        above[target.line].extend(texts)
        if trailing is None:
            continue
        if target.anchor == anchor and target.line == target.last and not target.comments:
            after[target.line] = trailing
        else:
            above[target.line].append(trailing)
    out: list[str] = list(comments.above.get(START, []))
    index = 0
    while index < len(lines):
        out.extend(above.get(index, []))
        if index in kept:
            last, user_lines, _ = kept[index]
            out.extend(user_lines)
            index = last + 1
            continue
        line = lines[index]
        out.append(f"{line}  {after[index]}" if index in after else line)
        index += 1
    ends = comments.above.get(END, [])
    if ends:
        while out and out[-1] == "":
            out.pop()
        out.extend(["", *ends, ""])
    return "\n".join(out), lost


def _renamed(comments: _Comments, parts: dict[Any, Any]) -> _Comments:
    """`comments` with the parts of their anchors renamed."""

    def anchor(old: Anchor) -> Anchor:
        return tuple(parts.get(part, part) for part in old)

    renamed = _Comments()
    for old, texts in comments.above.items():
        renamed.above[anchor(old)].extend(texts)
    renamed.trailing = {anchor(old): text for old, text in comments.trailing.items()}
    renamed.first_line = {anchor(old): line for old, line in comments.first_line.items()}
    return renamed


def _in_order(comments: _Comments) -> list[Anchor]:
    anchors = set(comments.above) | set(comments.trailing)
    anchors -= {START, END}
    return sorted(anchors, key=lambda a: comments.first_line[a])


def _nearest(anchor: Anchor, statements: dict[Anchor, _Statement]) -> _Statement | None:
    """The statement at `anchor`, else at its nearest ancestor. An element of an array of
    tables that has no `[[...]]` entry now goes to its array only where that is written
    inline (its tables are on that line), else nowhere: its comments were about it."""
    for end in range(len(anchor), 0, -1):
        found = statements.get(anchor[:end])
        if found is not None:
            return found
        if isinstance(anchor[end - 1], tuple):
            array = statements.get(anchor[: end - 1])
            inline = array is not None and array.names and array.anchor == anchor[: end - 1]
            return array if inline else None
    return None


def _collect(lines: list[str], statements: list[_Statement]) -> _Comments:
    comments = _Comments()
    position = 0
    headers: set[int] = set()
    index = 0
    while index < (statements[0].line if statements else len(lines)):
        length = _header_length(lines, index)
        if length and not headers:
            top = _comment_block(lines[:index])
            if top:  # an empty entry would make the carrier rewrite a spec without comments
                comments.above[START] = top
            position = index
        headers.update(range(index, index + length))
        index += max(length, 1)
    for statement in statements:
        gap = [index for index in range(position, statement.line) if index not in headers]
        above = _comment_block([lines[index] for index in gap])
        position = statement.last + 1
        anchor = statement.anchor
        inside = statement.comments if statement.trailing is None else []
        if above or inside:
            comments.above[anchor].extend([*above, *inside])
            first = next(index for index in gap if _is_comment(lines[index])) if above else None
            comments.first_line.setdefault(anchor, (statement.line if first is None else first) + 1)
        if statement.trailing is not None:
            comments.trailing[anchor] = statement.trailing
            comments.first_line.setdefault(anchor, statement.line + 1)
    ends = _comment_block(lines[position:])
    if ends:
        comments.above[END] = ends
    return comments


def _tables(statements: list[_Statement]) -> dict[Anchor, tuple[_Statement, int]]:
    """The tables written under a header of their own, each with what follows it up to the
    next header that is not one of its sub-tables (`[[tools]]` with its `[tools.http]`): the
    header, and the index of the last line. A table whose content is written elsewhere too
    (a sub-table of it under another table, a dotted key before the first header) is none."""
    tables: dict[Anchor, tuple[_Statement, int]] = {}
    split: set[Anchor] = set()
    current: Anchor | None = None
    for statement in statements:
        anchor = statement.anchor
        if current is not None and anchor[: len(current)] == current:
            tables[current] = (tables[current][0], statement.last)
            continue
        split.update(anchor[:end] for end in range(1, len(anchor)))
        if statement.names:
            continue
        if anchor in tables:
            split.add(anchor)
        current = anchor
        tables[current] = (statement, statement.last)
    return {anchor: table for anchor, table in tables.items() if anchor not in split}


def _unchanged_tables(
    old_lines: list[str],
    old_statements: list[_Statement],
    old_data: dict[str, Any],
    written: list[_Statement],
    new_data: dict[str, Any],
) -> dict[int, tuple[int, list[str], Anchor]]:
    """The tables of the new text whose value the re-import left as it was, to be written as
    the user wrote them (their layout, key order and comments): by the index of their header
    line, the index of their last line, the user's lines and the table's anchor."""
    old_tables = _tables(old_statements)
    old_values, new_values = _Values(old_data), _Values(new_data)
    kept: dict[int, tuple[int, list[str], Anchor]] = {}
    for anchor, (header, last) in _tables(written).items():
        old = old_tables.get(anchor)
        if old is None or not _identical(old_values.at(anchor), new_values.at(anchor)):
            continue
        old_header, old_last = old
        # A file saved with CRLF keeps its lines, written with LF as the rest.
        verbatim = [line.removesuffix("\r") for line in old_lines[old_header.line : old_last + 1]]
        kept[header.line] = (last, verbatim, anchor)
    return kept


class _Values:
    """The values of a spec by anchor, each array of tables indexed by its elements'
    identities once (a lookup per tool would make a spec of n tools cost n^2)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self._arrays: dict[int, dict[Any, Any]] = {}

    def at(self, anchor: Anchor) -> Any:
        """The value at `anchor` (None where there is none)."""
        value: Any = self.data
        for end, part in enumerate(anchor):
            if isinstance(part, tuple):
                if not isinstance(value, list):
                    return None
                index = self._arrays.get(id(value))
                if index is None:
                    index = {
                        ("#", _identity(anchor[:end], item, n)): item
                        for n, item in enumerate(value)
                    }
                    self._arrays[id(value)] = index
                value = index.get(part)
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value


def _identical(a: Any, b: Any) -> bool:
    """Equal values of the same types (`1`, `1.0` and `true` differ), in any key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _is_comment(line: str) -> bool:
    return line.strip().startswith("#")


def _comment_block(lines: list[str]) -> list[str]:
    """The comment lines among `lines`, stripped, with the blank lines between them kept (as
    ""): a comment of two paragraphs stays two paragraphs."""
    kept = "\n".join(line.strip() for line in lines if not line.strip() or _is_comment(line))
    return kept.strip("\n").split("\n") if kept.strip() else []


def _statements(lines: list[str], data: dict[str, Any]) -> Iterator[_Statement]:
    """Every table header and key of a TOML text, with its full path."""
    table: Anchor = ()
    counts: dict[Anchor, int] = {}
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        scanner = _Scanner()
        scanner.feed(lines[index])
        start, code = index, scanner.code
        while not scanner.closed and index + 1 < len(lines):
            index += 1
            scanner.feed(lines[index])
        if code.startswith("["):
            is_array = code.startswith("[[")
            width = 2 if is_array else 1
            table = _resolve(_key_path(code[width:-width]), counts, data, is_array)
            yield _Statement(start, index, table, scanner.comments)
        elif scanner.equals is not None:
            names = _key_path(code[: scanner.equals])
            if names:
                yield _Statement(start, index, (*table, *names), scanner.comments, len(names))
        index += 1


def _resolve(
    names: tuple[str, ...], counts: dict[Anchor, int], data: dict[str, Any], is_array: bool
) -> Anchor:
    """A header's full path: each array of tables on the way stands for its latest element."""
    anchor: Anchor = ()
    value: Any = data
    for position, name in enumerate(names):
        anchor = (*anchor, name)
        value = value.get(name) if isinstance(value, dict) else None
        last = position == len(names) - 1
        if last and is_array:
            counts[anchor] = counts.get(anchor, -1) + 1
        if isinstance(value, list) and anchor in counts:
            element = counts[anchor]
            item = value[element] if element < len(value) else None
            anchor = (*anchor, ("#", _identity(anchor, item, element)))
            value = item
    return anchor


def _identity(anchor: Anchor, item: Any, element: int) -> Any:
    """How an element of an array of tables is known across versions of the spec: a tool by
    its operation, anything else by its name (or URI), else its place."""
    if not isinstance(item, dict):
        return element
    if anchor == ("tools",):
        return tool_identity(item) or f"tool {item.get('name')}"
    for name in ("name", "uri", "uri_template"):
        if isinstance(item.get(name), str):
            return f"{name} {item[name]}"
    return element


def _key_path(text: str) -> tuple[str, ...]:
    """A TOML key (`a."b.c".d`) as its names; () when it is not one."""
    if _BARE_KEY.fullmatch(text.strip()):
        return tuple(name.strip() for name in text.split("."))
    try:
        value: Any = tomllib.loads(f"{text.strip()} = 0")
    except tomllib.TOMLDecodeError:
        return ()
    names: list[str] = []
    while isinstance(value, dict) and len(value) == 1:
        [(name, value)] = value.items()
        names.append(name)
    return tuple(names)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*")


class _Scanner:
    """Reads a statement line by line, minding strings and brackets: its first line's code (no
    comment), where its key ends (the first `=`), its comments, and whether it is closed."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the quote that opened the string we are in
        self.comments: list[str] = []
        self.code = ""
        self.equals: int | None = None
        self._lines = 0

    @property
    def closed(self) -> bool:
        return self.depth == 0 and self.string is None

    def feed(self, line: str) -> None:
        first = self._lines == 0
        self._lines += 1
        position = 0
        while position < len(line):
            if self.string is not None:  # a multi-line string: find where it closes
                end = _string_end(line, position, self.string)
                if end < 0:
                    break
                position, self.string = end, None
                continue
            token = _TOKEN.search(line, position)
            if token is None:
                break
            text, position = token[0], token.end()
            if text == "#":
                self.comments.append(line[token.start() :].rstrip())
                line = line[: token.start()]
                break
            if text in ('"""', "'''"):
                self.string = text
            elif text == "=":
                if first and self.depth == 0 and self.equals is None:
                    self.equals = token.start()
            elif text in "[{":
                self.depth += 1
            elif text in "]}":
                self.depth -= 1
        if first:
            self.code = line.strip()
            if self.equals is not None:
                self.equals -= len(line) - len(line.lstrip())


# What a scanner must see: strings (a one-line one whole: they hold anything), comments,
# brackets and `=`. Unclosed one-line strings (invalid TOML) run to the end of the line.
_TOKEN = re.compile(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|[#\[\]{}=]')


def _string_end(line: str, start: int, quote: str) -> int:
    """Where a multi-line string opened by `quote` closes in `line` (after it), else -1."""
    while True:
        found = line.find(quote, start)
        if found < 0 or quote == "'''":
            return found + len(quote) if found >= 0 else -1
        backslashes = len(line[:found]) - len(line[:found].rstrip("\\"))
        if backslashes % 2 == 0:
            return found + len(quote)
        start = found + 1
