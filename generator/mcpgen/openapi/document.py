"""Import stage 1: read an OpenAPI document and the documents its `$ref`s name.

Documents are JSON or YAML, local files or (only when asked for) http(s) URLs. Each is parsed
once and kept as plain data; references are followed lazily, so a 10 MB description costs one
parse and no copy. Every problem is located: the file, the JSON pointer, and the line:column
(from a JSON source map, or YAML node marks), computed only when a diagnostic needs it.
"""

from __future__ import annotations

import datetime
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from mcpgen import pointers
from mcpgen.diagnostics import Diagnostic, Location, SpecError
from mcpgen.load import SURROGATE_ESCAPE
from mcpgen.sourcemap import json_source_map

Pointer = tuple[str | int, ...]

# Remote documents: a request that hangs or a document that never ends must not hang the import.
FETCH_TIMEOUT = 20.0
FETCH_LIMIT = 50 * 1024 * 1024

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def pointer_text(parts: Pointer) -> str:
    """`("paths", "/pets", "get")` -> `#/paths/~1pets/get`: a place as diagnostics name it."""
    return "#" + pointers.pointer(parts)


def is_remote(address: str) -> bool:
    """An http(s) URL rather than a file path."""
    return address.startswith(("http://", "https://"))


@dataclass(eq=False)
class OpenApiDocument:
    """One parsed document: the OpenAPI description itself or a file it references."""

    key: str  # absolute POSIX path or URL: a document's identity
    display: str  # how diagnostics name it
    text: str
    data: Any
    is_json: bool
    # A Swagger 2.0 document is read upgraded to OpenAPI 3.0 (`swagger2`), at the new places;
    # its diagnostics name and locate the places of the text: new pointer prefix -> original,
    # and how each rewritten `$ref` was written.
    moved: dict[tuple[str, ...], Pointer] = field(default_factory=dict)
    refs_as_written: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _json_map(self) -> Any:
        return json_source_map(self.text)

    @cached_property
    def _yaml_root(self) -> yaml.Node | None:
        try:
            return yaml.compose(self.text, Loader=_Loader)
        except yaml.YAMLError:
            return None

    def locate(self, parts: Pointer) -> Location:
        """Where the value at `parts` starts, or its deepest ancestor that exists."""
        if self.is_json:
            position = self._json_map.locate(parts)
            return Location(self.display, position.line, position.col)
        node = self._yaml_root
        best = node
        for part in parts:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if str(k.value) == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if part < len(node.value) else None
            else:
                node = None
            if node is None:
                break
            best = node
        if best is None:
            return Location(self.display, 1, 1)
        return Location(self.display, best.start_mark.line + 1, best.start_mark.column + 1)

    def original(self, parts: Pointer) -> Pointer:
        """Where the value at `parts` is written in the text (its own place unless moved)."""
        for end in range(len(parts), -1, -1) if self.moved else ():
            found = self.moved.get(tuple(str(p) for p in parts[:end]))
            if found is not None:
                return (*found, *parts[end:])
        return parts

    def diagnostic(self, parts: Pointer, message: str, hint: str | None = None) -> Diagnostic:
        """An error at `parts`, named by its JSON pointer and located in the text."""
        written = self.original(parts)
        return Diagnostic(
            "error",
            f"{pointer_text(written)}: {message}",
            location=self.locate(written),
            hint=hint,
        )

    def warning(self, parts: Pointer, message: str) -> Diagnostic:
        """A warning at `parts` (located the same way as an error)."""
        written = self.original(parts)
        return Diagnostic(
            "warning", f"{pointer_text(written)}: {message}", location=self.locate(written)
        )


@dataclass(frozen=True)
class Target:
    """A value a `$ref` points at: a document and the path inside it."""

    document: OpenApiDocument
    parts: Pointer

    @property
    def identity(self) -> tuple[str, str]:
        return (self.document.key, pointer_text(self.parts))


class RefError(Exception):
    """A `$ref` that cannot be followed; carries the located diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


@dataclass
class DocumentSet:
    """The root document and every document reached from it, each parsed once."""

    allow_remote_refs: bool = False
    documents: dict[str, OpenApiDocument] = field(default_factory=dict)

    def load_root(self, source: str, base: Path | None = None) -> OpenApiDocument:
        """Load the document the user named (a path, or a URL, which is fetched as asked)."""
        if is_remote(source):
            return self._load(source, source)
        path = (base / source) if base is not None else Path(source)
        return self._load(Path(os.path.abspath(path)).as_posix(), source)

    def resolve(self, ref: str, document: OpenApiDocument, parts: Pointer) -> Target:
        """The target of `ref`, written at `parts` in `document`. Raises RefError."""
        address, _, fragment = ref.partition("#")
        if address:
            if is_remote(address) or is_remote(document.key):
                key = urllib.parse.urljoin(document.key, address)
                if not is_remote(key):
                    raise RefError(document.diagnostic(parts, f"$ref {ref!r}: not an http(s) URL"))
                if not self.allow_remote_refs:
                    raise RefError(
                        document.diagnostic(
                            parts,
                            f"remote $ref {ref!r}: nothing is fetched from the network",
                            hint="pass --allow-remote-refs to fetch it, or download it and "
                            "refer to it by a relative path",
                        )
                    )
            elif "://" in address or address.startswith("urn:"):
                raise RefError(
                    document.diagnostic(parts, f"$ref {ref!r}: only files and http(s) URLs")
                )
            else:
                key = (Path(document.key).parent / urllib.parse.unquote(address)).as_posix()
                key = Path(os.path.normpath(key)).as_posix()
            target_doc = self.documents.get(key)
            if target_doc is None:
                try:
                    target_doc = self._load(key, _display(key, self.root_key))
                except SpecError as error:
                    first = error.diagnostics[0]
                    raise RefError(
                        document.diagnostic(
                            parts, f"$ref {ref!r}: {first.message}", hint=first.hint
                        )
                    ) from None
        else:
            target_doc = document
        if fragment and not fragment.startswith("/"):
            raise RefError(
                document.diagnostic(
                    parts, f"$ref {ref!r}: only JSON pointers (#/...) are supported as fragments"
                )
            )
        _, walked, missing = pointers.walk(target_doc.data, pointers.keys(fragment))
        if missing is not None:
            raise RefError(
                document.diagnostic(
                    parts,
                    f"$ref {document.refs_as_written.get(ref, ref)!r}: "
                    f"{target_doc.display} has nothing at "
                    f"{pointer_text(target_doc.original((*walked, missing)))}",
                )
            )
        return Target(target_doc, tuple(walked))

    @property
    def root_key(self) -> str:
        return next(iter(self.documents))

    def value(self, target: Target) -> Any:
        """The value at a resolved target."""
        value: Any = target.document.data
        for part in target.parts:
            value = value[part]
        return value

    def follow(self, value: Any, document: OpenApiDocument, parts: Pointer) -> tuple[Any, Target]:
        """A non-schema object with its `$ref` chain followed (parameters, responses...).

        Returns the object and where it really is; raises RefError on a broken or cyclic chain.
        """
        seen: list[tuple[str, str]] = []
        target = Target(document, parts)
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            if target.identity in seen:
                raise RefError(
                    document.diagnostic(parts, "$ref cycle: the chain never reaches an object")
                )
            seen.append(target.identity)
            target = self.resolve(value["$ref"], target.document, (*target.parts, "$ref"))
            value = self.value(target)
        return value, target

    def relative_name(self, document: OpenApiDocument) -> str:
        """How a document is named in the spec: relative to the root's folder, or its URL."""
        return _display(document.key, self.root_key) if document.key != self.root_key else ""

    def _load(self, key: str, display: str) -> OpenApiDocument:
        raw = self._read(key, display)
        document = parse_openapi_text(raw, key, display)
        self.documents[key] = document
        return document

    def _read(self, key: str, display: str) -> bytes:
        if is_remote(key):
            try:
                return fetch_url(key)
            except (OSError, ValueError) as error:
                raise SpecError([Diagnostic("error", f"cannot fetch {key}: {error}")]) from None
        try:
            return Path(key).read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)
            raise SpecError([Diagnostic("error", f"cannot read {display}: {reason}")]) from None


def fetch_url(url: str) -> bytes:
    """GET an http(s) URL with a timeout and a size cap (raises OSError or ValueError)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json, application/yaml"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        body: bytes = response.read(FETCH_LIMIT + 1)
    if len(body) > FETCH_LIMIT:
        raise ValueError(f"the document is larger than {FETCH_LIMIT // (1024 * 1024)} MB")
    return body


def _display(key: str, root_key: str) -> str:
    if is_remote(key) or is_remote(root_key):
        return key
    return Path(os.path.relpath(key, Path(root_key).parent)).as_posix()


def parse_openapi_text(raw: bytes, key: str, display: str) -> OpenApiDocument:
    """Parse JSON or YAML bytes; raises SpecError with the syntax error's line:column."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", errors="replace").split("\n")
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"not UTF-8 text (byte 0x{raw[error.start]:02x})",
                    location=Location(display, len(before), len(before[-1]) + 1),
                )
            ]
        ) from None
    is_json = text.lstrip()[:1] in ("{", "[")
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            location = Location(display, error.lineno, error.colno)
            raise SpecError(
                [Diagnostic("error", f"invalid JSON: {error.msg}", location=location)]
            ) from None
        except RecursionError:
            raise SpecError([Diagnostic("error", f"{display}: nested too deeply")]) from None
    else:
        try:
            data = _plain(yaml.load(text, Loader=_Loader))
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = Location(display, mark.line + 1, mark.column + 1) if mark else None
            message = error.problem or error.context or "syntax error"
            raise SpecError(
                [Diagnostic("error", f"invalid YAML: {message}", location=where)]
            ) from None
        except yaml.YAMLError as error:
            raise SpecError([Diagnostic("error", f"{display}: invalid YAML: {error}")]) from None
        except RecursionError:
            raise SpecError([Diagnostic("error", f"{display}: nested too deeply")]) from None
    if SURROGATE_ESCAPE.search(text):  # JSON's `\ud800`, and pure-Python PyYAML's
        data = _without_lone_surrogates(data)
    return OpenApiDocument(key, display, text, data, is_json=is_json)


def _without_lone_surrogates(value: Any) -> Any:
    """A JSON value whose strings (keys too) have each lone surrogate (`\\ud800`, which no
    UTF-8 file holds) replaced by `?`: the spec an import writes is such a file, and an API
    description is not the user's to fix (a spec's own are refused: `load`)."""
    return rebuilt(value, lambda _, item: _as_utf8(item), key=_as_utf8)


def _as_utf8(value: Any) -> Any:
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    """YAML's extra types as JSON would have them: `200:` keys as "200", dates as ISO text."""
    return rebuilt(value, lambda _, item: _scalar(item), key=_key)


def rebuilt(
    value: Any,
    leaf: Callable[[Any, Any], Any],
    *,
    key: Callable[[Any], Any] = lambda k: k,
    finish: Callable[[dict[Any, Any], dict[Any, Any]], None] | None = None,
) -> Any:
    """A copy of `value`'s containers: each leaf `leaf(key, item)`, each key `key(k)`, and each
    object then handed to `finish(original, copy)`.

    Walked with an explicit stack: real descriptions nest deeper than Python's recursion limit
    would like, and the walk rebuilds only containers, never copies strings.
    """
    if not isinstance(value, (dict, list)):
        return leaf(None, value)
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for name, item in items:
            if isinstance(item, (dict, list)):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
            else:
                copy = leaf(name, item)
            if isinstance(target, dict):
                target[key(name)] = copy
            else:
                target.append(copy)
        if finish is not None and isinstance(source, dict):
            finish(source, target)
    return root


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(_scalar(key))


def _scalar(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value
