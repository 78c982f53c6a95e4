"""Answers too large for a model: each tool's answer is held to a byte budget, cut where it
stays valid, and the cut is said in words a model can act on.

The budget (`Api.max_response_bytes`, an operation's own, or `<PKG>_MAX_RESPONSE_BYTES`
over both) bounds the answer as the tool's text content carries it: the JSON as the runtime
writes it (`json.dumps(value, ensure_ascii=False)`, UTF-8), or the text. A JSON answer is cut
at its structure: the tail items of its largest arrays first, then the tails of its longest
strings, then the last members of its largest objects, so what stays is valid JSON with the
API's own values; text is cut at a character boundary, at a line's end when one is near.
The note says what was cut ("showing 37 of 500 items of `$.items`; 412,330 of 512,330
bytes cut") and how to read on: the operation's paging arguments with the values to send
next (`Pagination`), else the arguments that narrow it.

Reading stops at `ceiling(budget)` bytes (`CEILING_FACTOR` times the budget): the whole
answer must be parsed to cut it at its structure and to count what was cut, and nothing
larger is ever held in memory, whatever the API sends.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from pydantic import BaseModel

from ..runtime._context import Context
from ..runtime._definitions import Tool
from ..runtime._json import to_json
from ..runtime._types import CallToolResult, TextContent
from ._errors import HttpRequestInvalid, HttpResponseTooLarge
from ._operations import Answer, Api, Operation, Pagination
from ._secrets import SECRETS

# 1,000 bytes is the least budget: below it the note alone would not fit beside any answer.
MIN_MAX_RESPONSE_BYTES = 1_000
# Read at most 25 times the budget (2.5 MB by default) before giving up. A JSON answer must
# be read whole to be cut at its structure, so the ceiling should hold a full page of a big
# API's largest list items: GitHub's pull request is 22,285 bytes in its own examples, and
# 100 a page (per_page's most) are 2.23 MB. Measured, 2 MB of them parse into 4.2 MB of
# Python objects (6.2 MB at the peak), so a call holds at most about 8 MB.
CEILING_FACTOR = 25
# Text is cut at the last line break when that keeps at least this share of the budget.
LINE_SHARE = 0.75
# Strings shorter than this are left whole: cutting them saves little and says nothing.
SHORTEST_CUT_STRING = 64
TRUNCATED_META = "dev.mcpgen/truncated"
# Downloads at least this large (by Content-Length) report progress.
PROGRESS_FROM_BYTES = 64 * 1024


def budget(api: Api, operation: Operation) -> int:
    """The operation's budget in bytes; an error naming the variable that is not one."""
    variable = api.max_response_bytes_env
    given = os.environ.get(variable, "").strip() if variable else ""
    if given:
        if not given.isdigit() or int(given) < MIN_MAX_RESPONSE_BYTES:
            raise HttpRequestInvalid(
                operation.method,
                operation.path,
                f"{variable} is not a whole number of bytes of at least "
                f"{MIN_MAX_RESPONSE_BYTES:,}: {given!r}",
            )
        return int(given)
    return operation.max_response_bytes or api.max_response_bytes


def ceiling(limit: int) -> int:
    """The most bytes of an answer read for a tool whose budget is `limit`."""
    return limit * CEILING_FACTOR


async def read_bounded(
    ctx: Context[Any], response: httpx2.Response, operation: Operation, most: int
) -> Answer:
    """The answer, read in full up to `most` bytes; past them reading stops (the caller
    closes the connection) with an `HttpResponseTooLarge` that holds what was read."""
    length = response.headers.get("content-length")
    total = int(length) if length and length.isdigit() else None
    report = total is not None and total >= PROGRESS_FROM_BYTES
    chunks: list[bytes] = []
    read = 0
    # Decoded bytes are counted: a compressed answer counts as large as it opens up.
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        read += len(chunk)
        if read > most:
            answer = Answer(
                response.status_code, response.headers, b"".join(chunks), str(response.url)
            )
            raise HttpResponseTooLarge(
                answer, operation.method, operation.path, most, asking_less(operation)
            )
        if report and total is not None:
            await ctx.progress(min(response.num_bytes_downloaded, total), total, "downloading")
    return Answer(response.status_code, response.headers, b"".join(chunks), str(response.url))


@dataclass(slots=True)
class Cut:
    """One place cut: `kept` of `total` items (members, characters) at `path`."""

    path: str
    kept: int
    total: int
    unit: str  # "items", "members" or "characters"
    kept_values: list[Any] = field(default_factory=list)  # an array's items that stayed


@dataclass(slots=True)
class Trimmed:
    """An answer cut to its budget: the value (or text) that stays, and what went."""

    value: Any
    size: int  # bytes of the whole answer
    kept: int  # bytes of what stays
    budget: int
    cuts: list[Cut]
    read_all: bool = True  # False: reading stopped at the ceiling

    def summary(self) -> dict[str, Any]:
        """The cut as data, for the result's `_meta`."""
        return {
            "budget": self.budget,
            "bytes": self.size if self.read_all else None,
            "keptBytes": self.kept,
            "cuts": [
                {"path": cut.path, "kept": cut.kept, "total": cut.total, "unit": cut.unit}
                for cut in self.cuts
            ],
        }


def encoded_size(value: Any) -> int:
    """Bytes of `value` as the runtime's text content carries it."""
    return len(json.dumps(value, ensure_ascii=False).encode())


# -- JSON ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    path: str
    container: Any  # the list, dict or (for a string) the container holding it
    key: Any  # for a string: its index or key in `container`
    size: int
    parts: list[int]  # each item's (member's) bytes, separator included


def trim_json(value: Any, limit: int) -> Trimmed | None:
    """`value` cut in place to `limit` bytes, or None when it fits as it is."""
    size = encoded_size(value)
    if size <= limit:
        return None
    cuts: dict[tuple[str, str], Cut] = {}
    current = size
    # Array items first (a page of results is a list), down to one item each, so that an
    # answer of one large item is cut inside it; then string tails; then the last items; and
    # last the members of objects (a map of names to values, GitHub's /emojis), which an
    # output schema may require.
    for kind, least in (("items", 1), ("characters", 0), ("items", 0), ("members", 0)):
        while current > limit:
            nodes = _nodes(value, kind)
            if kind != "characters":  # a string has no parts: it is cut by characters
                nodes = [node for node in nodes if len(node.parts) > least]
            if not nodes:
                break
            node = max(nodes, key=lambda node: node.size)
            current -= _cut(node, kind, current - limit, least, cuts)
        if current <= limit:
            break
    return Trimmed(value, size, encoded_size(value), limit, list(cuts.values()))


def _nodes(value: Any, kind: str) -> list[_Node]:
    """Every array (object, long string) in `value`, with its size and its parts' sizes.

    Only what the kind of cut needs is measured, each by `json.dumps` whole (C speed), and
    only containers are walked into: finding the arrays of 100 of GitHub's pull requests
    (2.2 MB) takes 0.15 s here, where measuring every scalar from Python took 0.3 s.
    """
    found: list[_Node] = []

    def walk(node: Any, path: str, size: int) -> None:
        is_list = isinstance(node, list)
        entries: list[tuple[Any, Any]] = list(enumerate(node) if is_list else node.items())
        sizes: dict[Any, int] = {}
        if kind == ("items" if is_list else "members"):
            sizes = {key: encoded_size(item) for key, item in entries}
            # Each part with the ", " after it; a member with its name and ": " too.
            parts = [sizes[k] + 2 + (0 if is_list else encoded_size(k) + 2) for k, _ in entries]
            found.append(_Node(path, node, None, size, parts))
        for key, item in entries:
            where = f"{path}[{key}]" if is_list else _member(path, str(key))
            if isinstance(item, (list, dict)):
                walk(item, where, sizes[key] if sizes else encoded_size(item))
            elif (
                kind == "characters" and isinstance(item, str) and len(item) >= SHORTEST_CUT_STRING
            ):
                found.append(_Node(where, node, key, encoded_size(item), []))

    if isinstance(value, (list, dict)):
        walk(value, "$", encoded_size(value))
    return found


def _member(path: str, name: str) -> str:
    return f"{path}.{name}" if name.isidentifier() else f"{path}[{json.dumps(name)}]"


def _within(path: str, part: str) -> bool:
    """Whether `path` is `part` or inside it (`$.a[1]` is in `$.a`, `$.ab` is not)."""
    return path == part or (path.startswith(part) and path[len(part)] in ".[")


def _cut(node: _Node, kind: str, excess: int, least: int, cuts: dict[tuple[str, str], Cut]) -> int:
    """Cut `node` by at least `excess` bytes if it can (else down to `least` parts); the
    bytes it saved. A place cut twice is one cut, of what it first held."""
    if kind == "characters":
        text: str = node.container[node.key]
        marker = " [...]"

        def saved_by(keep: int) -> int:
            return node.size - encoded_size(text[:keep] + marker)

        # The most characters kept that still save `excess` (a character is 1 to 6 bytes
        # as written: escaped, or up to 4 of UTF-8), found by halving.
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if saved_by(middle) >= excess else (low, middle - 1)
        node.container[node.key] = text[:low] + marker
        earlier = cuts.get((node.path, kind))
        cuts[node.path, kind] = Cut(node.path, low, earlier.total if earlier else len(text), kind)
        return saved_by(low)
    container = node.container
    total = len(container)
    keep, saved = total, 0
    while keep > least and saved < excess:
        keep -= 1
        # The first item has no separator before it; the one before the cut loses its own.
        saved += node.parts[keep] - (2 if keep == 0 else 0)
    if isinstance(container, list):
        gone = [f"{node.path}[{i}]" for i in range(keep, total)]
        del container[keep:]
    else:
        names = list(container)[keep:]
        gone = [_member(node.path, name) for name in names]
        for name in names:
            del container[name]
    # What was cut inside the parts that went is no longer shown: it goes unsaid.
    for place in [place for place in cuts if any(_within(place[0], part) for part in gone)]:
        del cuts[place]
    earlier = cuts.get((node.path, kind))
    first = earlier.total if earlier is not None else total
    kept = list(container) if isinstance(container, list) else []
    cuts[node.path, kind] = Cut(node.path, keep, first, kind, kept)
    return saved


# -- text ---------------------------------------------------------------------------------


def trim_text(text: str, limit: int, *, read_all: bool = True) -> Trimmed | None:
    """`text` cut to `limit` bytes of UTF-8 at a character boundary (at the end of a line
    when that keeps most of it), or None when it fits and was read whole."""
    data = text.encode()
    if len(data) <= limit and read_all:
        return None
    end = min(limit, len(data))
    while 0 < end < len(data) and (data[end] & 0xC0) == 0x80:
        end -= 1  # back to the first byte of the character cut through
    line = data.rfind(b"\n", 0, end)
    if line >= 0 and line + 1 >= limit * LINE_SHARE:
        end = line + 1
    kept = data[:end].decode()
    cut = Cut("$", len(kept), len(text), "characters")
    return Trimmed(kept, len(data), end, limit, [cut], read_all)


# -- the note -----------------------------------------------------------------------------


def note(trimmed: Trimmed, operation: Operation, values: Mapping[str, Any]) -> str:
    """What was cut, and how to ask for the rest."""
    shown = "; ".join(
        f"showing {cut.kept:,} of {cut.total:,} {cut.unit} of `{cut.path}`"
        for cut in trimmed.cuts
        if cut.unit != "characters" or cut.path != "$"
    )
    if trimmed.read_all:
        cut_bytes = f"{trimmed.size - trimmed.kept:,} of {trimmed.size:,} bytes cut"
    else:
        cut_bytes = (
            f"showing the first {trimmed.kept:,} bytes; reading stopped after "
            f"{trimmed.size:,} bytes, and more followed"
        )
    said = "; ".join(filter(None, (shown, cut_bytes)))
    return (
        f"[The answer was cut to fit this tool's budget of {trimmed.budget:,} bytes: {said}. "
        f"{_read_on(trimmed, operation, values)}]"
    )


def _read_on(trimmed: Trimmed, operation: Operation, values: Mapping[str, Any]) -> str:
    """How to ask for the rest: paging arguments with their next values, else narrowing."""
    paging = operation.pagination
    page = next((cut for cut in trimmed.cuts if cut.unit == "items"), None)
    if paging is not None and page is not None:
        hint = _next_page(paging, page, values)
        if hint:
            return hint
    return _narrowing(operation)


def asking_less(operation: Operation) -> str:
    """The arguments that make the operation's answer smaller, as a sentence."""
    paging = operation.pagination
    if paging is not None and paging.size is not None:
        return f"Ask for fewer items with `{paging.size}`."
    return _narrowing(operation)


def _narrowing(operation: Operation) -> str:
    paging = operation.pagination
    paged = set(_paging_names(paging)) if paging is not None else set()
    narrowing = [
        param.property
        for param in operation.params
        if param.location == "query" and param.property not in paged
    ]
    if narrowing:
        listed = ", ".join(f"`{name}`" for name in narrowing)
        return f"Ask for less with the arguments that narrow the request: {listed}."
    return "The operation has no arguments that narrow or page its answer."


def _paging_names(paging: Pagination) -> list[str]:
    names = (paging.size, paging.page, paging.offset, paging.cursor)
    return [name for name in names if name is not None]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _next_page(paging: Pagination, page: Cut, values: Mapping[str, Any]) -> str | None:
    """The arguments that read on from the first item not shown, as a sentence."""
    kept = page.kept
    if kept == 0:
        return (
            "Even one item is over the budget: raise it (`--max-response-bytes`) or ask "
            "for fewer fields, if the API can."
        )
    size = paging.size
    if paging.page is not None:
        number = _int(values.get(paging.page), 1)
        # Without a page size given, the API's is taken to be what this page held: true but
        # on a short last page, where the hint then starts early (repeats, never skips).
        per_page = _int(values.get(size), page.total) if size else page.total
        following = (number - 1) * per_page + kept  # items before the first not shown
        if size is None:
            return (
                f"Items {kept + 1:,} to {page.total:,} of page {number} are not shown; "
                f"`{paging.page}`={number + 1} is the next page."
            )
        # The largest page size up to `kept` that starts a page at the first item not shown.
        fitting = next(n for n in range(kept, 0, -1) if following % n == 0)
        return (
            f"To read on, call again with `{size}`={fitting} and "
            f"`{paging.page}`={following // fitting + 1}."
        )
    if paging.offset is not None:
        start = _int(values.get(paging.offset), 0)
        more = f" and `{size}`={kept}" if size else ""
        return f"To read on, call again with `{paging.offset}`={start + kept}{more}."
    if paging.cursor is not None:
        if paging.cursor_item is not None:
            last = page.kept_values[-1] if page.kept_values else None
            if isinstance(last, Mapping) and paging.cursor_item in last:
                more = f" and `{size}`={kept}" if size else ""
                cursor = json.dumps(last[paging.cursor_item], ensure_ascii=False)
                return f"To read on, call again with `{paging.cursor}`={cursor}{more}."
        if size:
            return (
                f"Call again with `{size}`={kept} for a page that fits; the cursor that "
                f"answer carries, given as `{paging.cursor}`, reads on from there."
            )
    if size:
        return f"Call again with `{size}`={kept} for an answer that fits."
    return None


# -- results ------------------------------------------------------------------------------


def structured_result(
    value: dict[str, Any], tool: Tool, operation: Operation, values: Mapping[str, Any], limit: int
) -> dict[str, Any] | CallToolResult:
    """A structured answer as the tool's result: as it is within `limit`, else cut, with the
    note as a second text block and the cut as data in `_meta`.

    A cut removes array items, string tails and object members, which can break an output
    schema (`minItems`, a `pattern`, a required member): the cut value is checked against
    it, and one that breaks it is never `structuredContent` (clients check that against the
    schema and refuse the whole result). It goes out as an error result instead, the part
    that fits as text beside the note, so a model still reads it and knows it is partial.
    """
    trimmed = trim_json(value, limit)
    if trimmed is None:
        return value
    said = note(trimmed, operation, values)
    text = json.dumps(trimmed.value, ensure_ascii=False)
    meta = {TRUNCATED_META: trimmed.summary()}
    problems = tool.output_errors(trimmed.value) if tool.output_schema is not None else []
    if problems:
        said += f" What fits breaks the tool's output schema ({problems[0]}): it is only text."
        return CallToolResult(
            content=[TextContent(text=said), TextContent(text=text)], is_error=True, _meta=meta
        )
    return CallToolResult(
        content=[TextContent(text=text), TextContent(text=said)],
        structured_content=trimmed.value,
        _meta=meta,
    )


async def text_call(
    answered: Awaitable[Answer],
    succeeded: Callable[[Answer], Answer],
    operation: Operation,
    values: Mapping[str, Any],
    limit: int,
) -> str | CallToolResult:
    """A text tool's result: the answer (`succeeded` raises its error status's error), cut
    to `limit`; a text answer past the ceiling still shows its start."""
    try:
        answer, read_all = succeeded(await answered), True
    except HttpResponseTooLarge as cut:
        if operation.response != "text" or not 200 <= cut.answer.status < 300:
            raise
        answer, read_all = cut.answer, False
    if operation.response == "none" or not answer.body:
        return f"{operation.method} {operation.path}: HTTP {answer.status}"
    return text_result(answer, operation, values, limit, read_all)


def held_result(
    value: Any,
    tool: Tool | None,
    operation: Operation,
    values: Callable[[], Mapping[str, Any]],
    limit: int,
) -> Any:
    """What a user-owned handler returned, held to its tool's budget as a generated
    handler's answer is: a structured result (a mapping, or a model the runtime would dump)
    cut at its structure, text at a character boundary, each with the note (`values()`: the
    call's arguments, read only for a note); what else it returns (content blocks, a result
    it made) as it is. The handler's own object is never cut: it may be kept (a cache), so
    an oversized one is copied first."""
    if isinstance(value, str):
        trimmed = trim_text(value, limit)
        if trimmed is None:
            return value
        return CallToolResult(
            content=[
                TextContent(text=trimmed.value),
                TextContent(text=note(trimmed, operation, values())),
            ],
            _meta={TRUNCATED_META: trimmed.summary()},
        )
    if tool is None or tool.output_schema is None:
        return value
    if isinstance(value, BaseModel):
        structured = to_json(value)  # a new object, which the runtime then sends as it is
    elif isinstance(value, Mapping):
        structured = dict(value)
    else:
        return value
    if encoded_size(structured) <= limit:
        return structured
    return structured_result(copy.deepcopy(structured), tool, operation, values(), limit)


def text_result(
    answer: Answer, operation: Operation, values: Mapping[str, Any], limit: int, read_all: bool
) -> str | CallToolResult:
    """A text answer as the tool's result: as it is within `limit`, else cut (JSON at its
    structure, when it was read whole and parses), the note as a second text block."""
    text = SECRETS.redact(answer.text())
    if read_all and len(text.encode()) <= limit:
        return text
    trimmed: Trimmed | None = None
    if read_all and operation.response == "application/json":
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            trimmed = trim_json(parsed, limit)
            cut = json.dumps(parsed if trimmed is None else trimmed.value, ensure_ascii=False)
            if trimmed is None:
                return cut  # what the API spaced out fits written compactly: nothing is cut
    if trimmed is None:
        trimmed = trim_text(text, limit, read_all=read_all)
        if trimmed is None:
            return text
        cut = trimmed.value
    return CallToolResult(
        content=[TextContent(text=cut), TextContent(text=note(trimmed, operation, values))],
        _meta={TRUNCATED_META: trimmed.summary()},
    )
