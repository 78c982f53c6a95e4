"""Map spec paths to line:column positions in the TOML or JSON text they came from.

Validation reports problems against a spec *path* (pydantic's ``loc``, such as
``("tools", 2, "input", "properties", "days")``), but people fix files, so a diagnostic
has to say ``spec.toml:14:1``. Neither :mod:`tomllib` nor :mod:`json` exposes source
positions, so this module scans the text a second time with a small scanner per format
that records where every key and list element starts.

The scanners only run on text that has already parsed, so they skip values rather than
validate them. Should they still meet something they cannot follow, they stop and keep
what they have recorded: a path that was not reached is reported at its deepest recorded
ancestor, which is a worse position but never an exception.

Each token is matched once by a regular expression and the scan never goes back, so its
time is linear in the size of the text (times the nesting depth, which every recorded path
tuple carries). Open arrays and tables are kept on an explicit stack rather than in
recursive calls, so deep nesting cannot exhaust the interpreter's recursion limit.
"""

import bisect
import contextlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a text; columns count code points, as editors do, not bytes."""

    line: int  # 1-based
    col: int  # 1-based


PathPart = str | int
SpecPath = tuple[PathPart, ...]


class SourceMap:
    """The start offsets of the paths of one document, and their lookup."""

    __slots__ = ("_line_starts", "_offsets")

    def __init__(self, text: str, offsets: dict[SpecPath, int]) -> None:
        self._offsets = offsets
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def locate(self, path: SpecPath) -> Position:
        """Where the element at ``path`` starts, or else its deepest ancestor that exists.

        Falling back matters because the paths come from validation errors, which also
        name elements that are missing (a required field), or, for unions, tack on parts
        that are not keys at all.
        """
        for depth in range(len(path), 0, -1):
            offset = self._offsets.get(path[:depth])
            if offset is not None:
                line_index = bisect.bisect_right(self._line_starts, offset) - 1
                return Position(line_index + 1, offset - self._line_starts[line_index] + 1)
        return Position(1, 1)


def toml_source_map(text: str) -> SourceMap:
    """Map a TOML 1.0 document that :func:`tomllib.loads` accepted."""
    return SourceMap(text, _TomlScanner(text).run())


def json_source_map(text: str) -> SourceMap:
    """Map a JSON document that :func:`json.loads` accepted."""
    return SourceMap(text, _JsonScanner(text).run())


class _Unfollowable(Exception):
    """The text stopped looking like the format; the scan ends with what it has."""


@dataclass(slots=True)
class _Container:
    """An array or table whose members are being walked."""

    path: SpecPath
    is_array: bool
    next_index: int = 0


# A member key with the offset where its text starts.
_Key = tuple[str, int]


class _Scanner(ABC):
    """What TOML and JSON share: arrays and tables of values, separated by commas."""

    # The filler allowed around commas and brackets inside arrays and tables.
    _item_space: re.Pattern[str]

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.offsets: dict[SpecPath, int] = {}

    def run(self) -> dict[SpecPath, int]:
        """Scan the whole text and return the start offset of every path seen."""
        with contextlib.suppress(_Unfollowable):
            self._document()
        return self.offsets

    @abstractmethod
    def _document(self) -> None:
        """Walk the document from its start."""

    @abstractmethod
    def _member(self, table: SpecPath) -> SpecPath:
        """Read a member's key and separator, record the key, return the member's path."""

    @abstractmethod
    def _scalar(self) -> None:
        """Skip the non-container value at ``pos``."""

    def _value(self, path: SpecPath) -> None:
        """Walk the value at ``pos`` whose path is ``path``, recording all paths inside it."""
        stack: list[_Container] = []
        while True:
            char = self._peek()
            if char in ("[", "{"):
                self.pos += 1
                stack.append(_Container(path, is_array=char == "["))
            else:
                self._scalar()
            # Move on to the start of the next value to walk, closing containers on the way.
            while True:
                if not stack:
                    return
                container = stack[-1]
                self._skip(self._item_space)
                char = self._peek()
                if char == ("]" if container.is_array else "}"):
                    self.pos += 1
                    stack.pop()
                elif char == ",":
                    self.pos += 1
                elif not char:
                    raise _Unfollowable
                elif container.is_array:
                    path = (*container.path, container.next_index)
                    self.offsets[path] = self.pos
                    container.next_index += 1
                    break
                else:
                    path = self._member(container.path)
                    break

    def _record_keys(self, table: SpecPath, keys: list[_Key]) -> SpecPath:
        """Record a (dotted) key under ``table``; return the path it names.

        A dotted key's leading parts name tables that other keys may have opened
        already, and those keep their first position; the last part is the member's own.
        """
        path = table
        for name, offset in keys[:-1]:
            path = (*path, name)
            self.offsets.setdefault(path, offset)
        name, offset = keys[-1]
        path = (*path, name)
        self.offsets[path] = offset
        return path

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _skip(self, pattern: re.Pattern[str]) -> None:
        """Advance past ``pattern``, which may match nothing."""
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def _take(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """Advance past ``pattern``, which must match something here."""
        match = pattern.match(self.text, self.pos)
        if not match or match.end() == self.pos:
            raise _Unfollowable
        self.pos = match.end()
        return match


_TOML_SPACE = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_TOML_KEY = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'""")
_TOML_DOTTED_KEY = rf"(?:{_TOML_KEY.pattern})(?:[ \t]*\.[ \t]*(?:{_TOML_KEY.pattern}))*"
# Group 1 is set for a plain bare key, by far the most common kind and so worth a fast path;
# group 2 for any other key.
_TOML_MEMBER = re.compile(rf"[ \t]*(?:([A-Za-z0-9_-]+)|({_TOML_DOTTED_KEY}))[ \t]*=[ \t]*")
# Group 1 is set for an array of tables, `[[...]]`; group 2 is the dotted key.
_TOML_HEADER = re.compile(rf"\[(\[)?[ \t]*({_TOML_DOTTED_KEY})[ \t]*\](?(1)\])")
_TOML_SCALAR = re.compile(
    r'"""(?:[^\\]|\\.)*?"{3,5}'  # up to two quotes may end the content before the closing three
    r"|'''.*?'{3,5}"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|\d{4}-\d\d-\d\d[ Tt]\d[^\s,\]}#]*"  # a date-time may separate its parts with a space
    r"|[^\s,\]}#]+",  # numbers, booleans and the other dates and times
    re.DOTALL,
)
_TOML_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_TOML_SHORT_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _toml_unescape(match: re.Match[str]) -> str:
    hex_digits = match.group(1) or match.group(2)
    if hex_digits:
        code_point = int(hex_digits, 16)
        if code_point > 0x10FFFF:
            raise _Unfollowable
        return chr(code_point)
    return _TOML_SHORT_ESCAPES.get(match.group(3), match.group(0))


def _toml_key_name(token: str) -> str:
    """The key a bare, basic or literal key token stands for, as tomllib reads it."""
    if token.startswith('"'):
        return _TOML_ESCAPE.sub(_toml_unescape, token[1:-1])
    if token.startswith("'"):
        return token[1:-1]
    return token


class _TomlScanner(_Scanner):
    _item_space = _TOML_SPACE

    def __init__(self, text: str) -> None:
        super().__init__(text)
        # The index of the last element of each array of tables, which is what a later
        # header naming the array (`[tools.input]`, `[[tools.examples]]`) extends.
        self._array_tables: dict[SpecPath, int] = {}

    def _document(self) -> None:
        table: SpecPath = ()
        while True:
            self._skip(_TOML_SPACE)
            if self.pos >= len(self.text):
                return
            if self._peek() == "[":
                table = self._header()
            else:
                self._value(self._member(table))

    def _header(self) -> SpecPath:
        """Read a `[table]` or `[[array.of.tables]]` header; return the table it opens."""
        start = self.pos
        match = self._take(_TOML_HEADER)
        keys = self._dotted_key(match, 2)
        name, offset = keys[-1]
        path = (*self._header_parent(keys[:-1]), name)
        if match.group(1) is None:
            # A header is where a table is defined, even if a deeper header opened it before.
            self.offsets[path] = offset
            return path
        self.offsets.setdefault(path, offset)
        index = self._array_tables.get(path, -1) + 1
        self._array_tables[path] = index
        element = (*path, index)
        self.offsets[element] = start
        return element

    def _header_parent(self, keys: list[_Key]) -> SpecPath:
        """Resolve a header's leading keys, descending into arrays of tables' last element."""
        path: SpecPath = ()
        for name, offset in keys:
            path = (*path, name)
            self.offsets.setdefault(path, offset)
            index = self._array_tables.get(path)
            if index is not None:
                path = (*path, index)
        return path

    def _member(self, table: SpecPath) -> SpecPath:
        match = self._take(_TOML_MEMBER)
        bare_key = match.group(1)
        if bare_key:
            return self._record_keys(table, [(bare_key, match.start(1))])
        return self._record_keys(table, self._dotted_key(match, 2))

    def _dotted_key(self, match: re.Match[str], group: int) -> list[_Key]:
        """The parts of the dotted key (`a . "b.c" . d`) held by ``group`` of ``match``."""
        return [
            (_toml_key_name(part.group()), part.start())
            for part in _TOML_KEY.finditer(self.text, match.start(group), match.end(group))
        ]

    def _scalar(self) -> None:
        self._take(_TOML_SCALAR)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_MEMBER = re.compile(r'("(?:[^"\\]|\\.)*")[ \t\n\r]*:[ \t\n\r]*', re.DOTALL)
_JSON_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s,\]}:]+', re.DOTALL)


class _JsonScanner(_Scanner):
    _item_space = _JSON_SPACE

    def _document(self) -> None:
        self._skip(_JSON_SPACE)
        self._value(())

    def _member(self, table: SpecPath) -> SpecPath:
        match = self._take(_JSON_MEMBER)
        token = match.group(1)
        # Only escaped keys need a decoder; most keys are plain and common enough to matter.
        if "\\" in token:
            try:
                name = json.loads(token)
            except ValueError as error:
                raise _Unfollowable from error
        else:
            name = token[1:-1]
        # Plain assignment, as of duplicate keys json keeps the last.
        return self._record_keys(table, [(name, match.start())])

    def _scalar(self) -> None:
        self._take(_JSON_SCALAR)
