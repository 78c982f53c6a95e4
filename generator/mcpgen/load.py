"""Stage 1, load: a spec file (TOML or JSON) and the files it `$ref`s -> a validated `Spec`.

Every problem becomes a located diagnostic (file:line:col and the spec path), and all of
them are reported at once. Nothing is ever fetched from the network.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os.path
import re
import types as pytypes
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

# tomli is the parser the standard library's tomllib vendors, compiled (mypyc): the same
# documents, values and error messages, three times as fast (1.2 -> 0.4 s for a 3.5 MB spec).
import tomli
from pydantic import BaseModel, ValidationError

from mcpgen.diagnostics import (
    Diagnostic,
    Location,
    SpecError,
    SpecPath,
    by_location,
    did_you_mean,
)
from mcpgen.fastpath import spec_digest
from mcpgen.schema_keywords import DATA
from mcpgen.sourcemap import SourceMap, json_source_map, toml_source_map
from mcpgen.spec import Spec


@dataclass(frozen=True)
class Document:
    """One parsed file: the spec itself or a file it references."""

    path: Path
    display: str
    text: str
    data: Any
    # Problems that leave the data usable (a JSON key given twice: the last one counts).
    problems: tuple[Diagnostic, ...] = ()

    @cached_property
    def source_map(self) -> SourceMap:
        # Built on the first diagnostic: a spec without problems never needs it.
        is_json = self.path.suffix.lower() == ".json"
        return json_source_map(self.text) if is_json else toml_source_map(self.text)

    def locate(self, spec_path: SpecPath) -> Location:
        position = self.source_map.locate(spec_path)
        return Location(self.display, position.line, position.col)


@dataclass(frozen=True)
class LoadedSpec:
    spec: Spec
    document: Document
    # Referenced files by their path relative to the spec's folder, POSIX style.
    external: Mapping[str, Document] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()
    # Loaded partially (`load_spec(partial=True)`): the problems found, the places in the
    # spec that were patched to get past them (see `_patched`), and the `$ref` targets
    # (file keys, remote URLs) that could not be loaded. Later stages check the rest, and
    # say nothing of what lies under a patched place or behind an unloaded reference: that
    # is reported here already.
    problems: tuple[Diagnostic, ...] = ()
    patched: frozenset[SpecPath] = frozenset()
    unloaded: frozenset[str] = frozenset()

    @property
    def sha256(self) -> str:
        refs = {name: document.text.encode() for name, document in self.external.items()}
        return spec_digest(self.document.text.encode(), refs)

    @property
    def refs_sha256(self) -> dict[str, str]:
        """Each `$ref`d file's sha256, by its path relative to the spec's folder."""
        return {
            name: hashlib.sha256(document.text.encode()).hexdigest()
            for name, document in sorted(self.external.items())
        }

    def locate(self, spec_path: SpecPath) -> Location:
        return self.document.locate(spec_path)


_TOML_ERROR_AT = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def parse_document(path: Path, display: str) -> Document:
    """Read and parse one TOML or JSON file; raises SpecError with the syntax error's place."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise SpecError([Diagnostic("error", f"cannot read {display}: {reason}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", errors="replace").split("\n")
        location = Location(display, len(before), len(before[-1]) + 1)
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})",
                    location=location,
                    hint="save it as UTF-8",
                )
            ]
        ) from None
    if path.suffix.lower() == ".json":
        try:
            duplicates: dict[int, list[str]] = {}
            data = json.loads(text, object_pairs_hook=_recording_duplicates(duplicates))
        except json.JSONDecodeError as error:
            location = Location(display, error.lineno, error.colno)
            raise SpecError(
                [Diagnostic("error", f"invalid JSON: {error.msg}", location=location)]
            ) from None
        document = Document(path, display, text, data)
        problems = (
            []
            if not duplicates
            else [
                Diagnostic(
                    "error",
                    f"duplicate key {key!r}",
                    path=(*where, key),
                    location=document.locate((*where, key)),
                )
                for where, value in _walk(data)
                if isinstance(value, dict)
                for key in duplicates.get(id(value), [])
            ]
        )
        if SURROGATE_ESCAPE.search(text):
            surrogates = list(_lone_surrogates(document))
            if surrogates:
                raise SpecError([*problems, *surrogates])
        return replace(document, problems=tuple(problems)) if problems else document
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        found = _TOML_ERROR_AT.match(str(error))
        if found is not None:
            location = Location(display, int(found["line"]), int(found["col"]))
            message = found["msg"]
        else:
            # "Unclosed array (at end of document)": the end is the best place we know.
            lines = text.split("\n")
            location = Location(display, len(lines), len(lines[-1]) + 1)
            message = str(error).removesuffix(" (at end of document)")
        raise SpecError(
            [Diagnostic("error", f"invalid TOML: {message}", location=location)]
        ) from None
    return Document(path, display, text, data)


def _recording_duplicates(
    duplicates: dict[int, list[str]],
) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A json object hook that notes repeated keys (json.loads would keep the last silently).

    The hook cannot know where an object sits, so it notes the object's id; `_walk`
    finds the path afterwards, while every object is still alive.
    """

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            counts = Counter(key for key, _ in pairs)
            duplicates[id(result)] = [key for key, n in counts.items() if n > 1]
        return result

    return build


def _walk(value: Any, path: SpecPath = ()) -> Iterator[tuple[SpecPath, Any]]:
    """Every value in a parsed document with its path, parents first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


# Only a JSON escape can make a surrogate (TOML and YAML refuse them): look for one before
# walking a document's strings.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogates(document: Document) -> Iterator[Diagnostic]:
    """Strings no UTF-8 file can hold: a lone surrogate from a JSON `\\ud800`."""
    for where, value in _walk(document.data):
        for text in (value, where[-1] if where else None):
            if isinstance(text, str) and any("\ud800" <= c <= "\udfff" for c in text):
                yield Diagnostic(
                    "error",
                    "a lone surrogate (\\ud800-\\udfff) is not text",
                    path=where,
                    location=document.locate(where),
                    hint="write the character itself, or both halves of its surrogate pair",
                )
                break


def load_spec(path: Path, *, partial: bool = False) -> LoadedSpec:
    """Load and validate a spec; raises SpecError listing every problem found.

    `partial`: problems that leave the rest checkable (an unknown key, a value of the wrong
    type, a missing key, a `$ref` to a file that is not there) do not raise: they come back
    in `LoadedSpec.problems`, with a spec patched past them, so that `resolve` reports its
    own problems in the same run. Only a file that does not parse raises.
    """
    document = parse_document(path, str(path))
    if not isinstance(document.data, dict):
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    "a spec is a table (a JSON object) at the top level",
                    location=document.locate(()),
                )
            ]
        )
    problems = list(document.problems)
    patched_paths: frozenset[SpecPath] = frozenset()
    try:
        spec = Spec.model_validate(document.data)
    except ValidationError as error:
        problems = sorted([*problems, *_diagnostics_from(error, document)], key=by_location)
        patched = _patched(document.data, error) if partial else None
        if patched is None:
            raise SpecError(problems) from None
        spec, patched_paths = patched
    external, unloaded, ref_problems = _load_external_refs(document)
    problems += ref_problems
    if problems and not partial:
        raise SpecError(problems)
    return LoadedSpec(
        spec=spec,
        document=document,
        external=external,
        problems=tuple(problems),
        patched=patched_paths,
        unloaded=unloaded,
    )


# -- getting past a spec's mistakes ---------------------------------------------------------
#
# To report every problem in one run, `resolve` must check the parts of a spec that are
# right although other parts are wrong. So a spec that fails validation is patched: an
# unknown key or a bad optional value is dropped (its default applies), a missing or bad
# required value is replaced by a stand-in that passes, and an item that is not even a table
# becomes a stand-in item. Indices never move, so every later message names the place it
# would name in the user's own spec; the patched places are remembered and nothing is said
# about them again.

# A value each required field can take to get past validation, by model and field. The
# strings carry a number, so that two stand-ins never collide with each other (a duplicate
# name, an overlapping URI template) and are unlikely to collide with the user's names.
_STAND_INS: dict[tuple[str, str], Callable[[str], Any]] = {
    ("Spec", "server"): lambda token: {"name": token},
    ("ServerSection", "name"): lambda token: token,
    ("ErrorType", "code"): lambda token: -32000,
    ("ErrorType", "message"): lambda token: token,
    ("BearerAuth", "type"): lambda token: "bearer",
    ("BearerAuth", "env"): lambda token: token.upper().replace("-", "_"),
    ("HttpSection", "base_url"): lambda token: f"https://{token}.invalid",
    ("HttpParam", "in"): lambda token: "query",
    ("ToolHttp", "method"): lambda token: "GET",
    ("ToolHttp", "path"): lambda token: f"/{token}",
    ("OpenApiSource", "source"): lambda token: token,
    ("RateLimit", "calls"): lambda token: 1,
    ("Tool", "name"): lambda token: token,
    ("Resource", "uri"): lambda token: f"{token}:",
    ("Resource", "name"): lambda token: token,
    ("ResourceTemplate", "uri_template"): lambda token: f"{token}:{{id}}",
    ("ResourceTemplate", "name"): lambda token: token,
    ("PromptArgument", "name"): lambda token: token,
    ("Prompt", "name"): lambda token: token,
}
# Rounds of patching before giving up: a patch can only uncover errors inside what it
# replaced, never add one elsewhere, so one round is the rule and three are plenty.
_PATCH_ROUNDS = 3


def stand_in(model: type[BaseModel], token: str) -> dict[str, Any]:
    """A table that `model` accepts: a stand-in for each of its required fields."""
    return {
        info.alias or name: _STAND_INS[model.__name__, info.alias or name](token)
        for name, info in model.model_fields.items()
        if info.is_required()
    }


def _patched(
    data: dict[str, Any], error: ValidationError
) -> tuple[Spec, frozenset[SpecPath]] | None:
    """The spec with its problems patched over, and where; None if it will not validate."""
    data = copy.deepcopy(data)
    places: set[SpecPath] = set()
    for _ in range(_PATCH_ROUNDS):
        for item in error.errors():
            place = _patch(data, tuple(item["loc"]), item["type"], f"mcpgen-stand-in-{len(places)}")
            if place is None:
                return None
            places.add(place)
        try:
            return Spec.model_validate(data), frozenset(places)
        except ValidationError as again:
            error = again
    return None


def _patch(data: Any, loc: tuple[int | str, ...], kind: str, token: str) -> SpecPath | None:
    """Patch the one problem at `loc` in place; the patched place, or None if it cannot be.

    The place is the value's field in its model, or its whole item when the item is not a
    table (or is one alternative of a union: its stand-in is the first alternative's).
    """
    annotation: Any = Spec
    model: type[BaseModel] | None = None
    field_at = 0  # loc[:field_at] is the innermost model field seen
    for depth, part in enumerate(loc):
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            fields = {f.alias or n: f for n, f in annotation.model_fields.items()}
            if part not in fields:
                if kind != "extra_forbidden" or depth != len(loc) - 1:
                    return None
                _delete(data, loc)
                return loc
            model, field_at = annotation, depth + 1
            annotation = fields[part].annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
            members = _union_members(annotation)
            if members is not None:
                # Which alternative was meant is unknown: the item becomes the first's stand-in.
                _put(data, loc[: depth + 1], stand_in(members[0], token))
                return loc[: depth + 1]
            if depth == len(loc) - 1 and _is_model(annotation):
                _put(data, loc[: depth + 1], stand_in(annotation, token))  # not a table
                return loc[: depth + 1]
            if depth == len(loc) - 1 and get_origin(annotation) is dict:
                _put(data, loc[: depth + 1], {})  # a schema that is not a table
                return loc[: depth + 1]
        else:
            break
    if model is None:
        return None
    field_name = str(loc[field_at - 1])
    info = {f.alias or n: f for n, f in model.model_fields.items()}[field_name]
    if info.is_required():
        _put(data, loc[:field_at], _STAND_INS[model.__name__, field_name](token))
    else:
        _delete(data, loc[:field_at])
    return loc[:field_at]


def _diagnostics_from(error: ValidationError, document: Document) -> Iterator[Diagnostic]:
    for item in error.errors():
        loc = _clean_loc(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            yield Diagnostic(
                "error",
                f"unknown key {key!r}",
                path=loc,
                location=document.locate(loc),
                hint=did_you_mean(key, _known_keys(loc[:-1])),
            )
        elif kind == "missing":
            yield Diagnostic(
                "error",
                f"missing required key {str(loc[-1])!r}",
                path=loc[:-1],
                location=document.locate(loc[:-1]),
            )
        else:
            hint = None
            if kind == "literal_error" and loc == ("spec_version",):
                hint = "this mcpgen reads spec_version 1"
            elif kind == "list_type" and loc in _ARRAYS_OF_TABLES:
                hint = f"declare each {_ARRAYS_OF_TABLES[loc]} under its own [[{loc[0]}]] header (double brackets)"
            yield Diagnostic(
                "error",
                _message(item["msg"], item.get("input")),
                path=loc,
                location=document.locate(loc),
                hint=hint,
            )


_ARRAYS_OF_TABLES: dict[SpecPath, str] = {
    ("tools",): "tool",
    ("resources",): "resource",
    ("resource_templates",): "resource template",
    ("prompts",): "prompt",
}


def _message(msg: str, value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False) if _is_small(value) else None
    return f"{msg} (got {shown})" if shown is not None else msg


def _is_small(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(str(value)) <= 60


def _clean_loc(loc: tuple[int | str, ...]) -> SpecPath:
    # Pydantic inserts the union member's type name (e.g. `function-after[...]`,
    # `dict[str,any]`) into the location of an error inside a union; drop those.
    return tuple(p for p in loc if isinstance(p, int) or not ("[" in p and "]" in p))


def _known_keys(parent: SpecPath) -> list[str]:
    model = _model_at(Spec, parent)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: type[BaseModel], path: SpecPath) -> type[BaseModel] | None:
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or n: f for n, f in annotation.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            annotation = fields[part].annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip `X | None` down to `X`."""
    if get_origin(annotation) in (Union, pytypes.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _union_members(annotation: Any) -> list[type[BaseModel]] | None:
    """The models of a union of several (`HttpAuth`), else None."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, pytypes.UnionType):
        members = [a for a in get_args(annotation) if _is_model(a)]
        if len(members) > 1:
            return members
    return None


def _put(data: Any, loc: tuple[int | str, ...], value: Any) -> None:
    for part in loc[:-1]:
        data = data[part]
    data[loc[-1]] = value


def _delete(data: Any, loc: tuple[int | str, ...]) -> None:
    for part in loc[:-1]:
        data = data[part]
    del data[loc[-1]]


# -- external $refs -------------------------------------------------------------------------

_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def iter_refs(value: Any, path: SpecPath = ()) -> Iterator[tuple[SpecPath, str]]:
    """Every `$ref` string in a JSON value, with the path of the object holding it; what a
    data keyword (`default`, a tool's `examples`...) holds refers to nothing."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield path, ref
        for key in sorted(value):
            if key not in DATA:
                yield from iter_refs(value[key], (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_refs(item, (*path, index))


def _load_external_refs(
    spec_doc: Document,
) -> tuple[dict[str, Document], frozenset[str], list[Diagnostic]]:
    """Parse every file reachable through `$ref`s, relative to the file that names it.

    Also returns what could not be loaded (file keys, remote URLs) and why.
    """
    base = spec_doc.path.parent
    loaded: dict[str, Document] = {}
    unloaded: set[str] = set()
    problems: list[Diagnostic] = []
    pending: list[Document] = [spec_doc]
    while pending:
        document = pending.pop()
        for path, ref in iter_refs(document.data):
            target = ref.split("#", 1)[0]
            if not target:
                continue
            where = document.locate((*path, "$ref"))
            if _REMOTE.match(target):
                problems.append(
                    Diagnostic(
                        "error",
                        f"remote $ref {ref!r}: mcpgen never fetches from the network",
                        path=(*path, "$ref"),
                        location=where,
                        hint="download the schema next to the spec and refer to it by a relative path",
                    )
                )
                unloaded.add(target)
                continue
            file = (document.path.parent / target).resolve()
            key = _relative_key(file, base)
            if key in loaded:
                continue
            if not file.is_file():
                problems.append(
                    Diagnostic(
                        "error",
                        f"$ref {ref!r}: no such file {key}",
                        path=(*path, "$ref"),
                        location=where,
                    )
                )
                unloaded.add(key)
                continue
            if key in unloaded:
                continue  # reported at the first reference
            try:
                referenced = parse_document(file, key)
            except SpecError as error:
                problems.extend(error.diagnostics)
                unloaded.add(key)
                continue
            problems.extend(referenced.problems)
            loaded[key] = referenced
            pending.append(referenced)
    return loaded, frozenset(unloaded), problems


def _relative_key(file: Path, base: Path) -> str:
    return Path(os.path.relpath(file, base.resolve())).as_posix()
