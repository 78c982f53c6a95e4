"""Stage 3, models: the IR's schemas -> pydantic source, by datamodel-code-generator.

Each model is a `$defs` entry named by its class name, so the generator never has to
invent (and number) a root name. Every option is explicit, so an upgrade of its defaults
cannot change our output; the version is pinned in pyproject. It formats nothing: ruff
formats the whole package afterwards (`format`).

The generator is most of a generation's time, so its output is cached (`ProjectCache`) in
chunks, so that changing one tool's schema regenerates one chunk, not 500 tools' models:
- A small spec is one batched call, one chunk.
- A large one is split. The models no other model refers to (a tool's input and output,
  mostly) are cut into runs at content-defined boundaries (where a class name's hash says
  so), so adding or removing a tool moves no boundary but its own. Every other model (the
  shared `[types]`, error data) forms a first chunk. A run's call also receives the shared
  models it refers to, so references resolve, mostly as cut-down stand-ins
  (`_with_references`); their classes come out again and are dropped, the whole ones after
  checking they came out exactly as in the first chunk. The generator's
  decisions that reach across models are made alike in every chunk (`_chunked`); should a
  run still interfere, the whole spec falls back to one batch. The file is the first chunk,
  then each run, imports merged at the top.
- Chunks the cache lacks are made by WORKERS helper processes started with the pipeline
  (`generator_helpers`): they warm the generator up while the spec is loaded and resolved,
  then make and split the chunks, the biggest first.
- Each chunk is keyed by everything the generator reads: its schemas, mcpgen's sources
  (which hold the options) and the generator's version. The header names the spec file,
  which has nothing to do with a chunk's models, so the generator sees a fixed placeholder
  comment instead, laid out alike, and the real header goes on afterwards.
The cache never decides the output, only whether a chunk is computed or read back: the
output is a function of the spec alone, with or without a cache (tested).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import threading
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import version
from typing import Any, TypeVar

from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.fastpath import generator_fingerprint
from mcpgen.ir import JsonSchema, ModelIR, SpecIR

_HEADER_SLOT = "# mcpgen: the file header goes here"
T = TypeVar("T")
R = TypeVar("R")

# A model is a class, or a type alias for a schema that is not an object (an enum, say).
_DEFINED = re.compile(r"^(?:class (\w+)\(|(\w+)(?:: TypeAlias)? = )", re.MULTILINE)

# On average one run per this many unreferenced models (about 16 tools): smaller runs add
# work to a full generation (a call to the generator costs more per model the smaller it
# is, and each run repeats its stand-ins), larger ones make a one-tool change cost more.
# At 32, bench_regenerate (500 tools): full 10.1 s, one-tool 2.2 s (21.6%); 16 had a
# one-tool change at up to 34% of a full generation. GitHub's generation took the same
# time at 16 and 32 in paired runs (within the noise).
# Hash boundaries alone give runs of geometric length, and a changed model most likely sits
# in a long one: a run is also cut at _RUN_MAX models, which shortens the run a one-tool
# change rebuilds for a little more work in a full generation. A cut by length moves with
# insertions only up to the run's next hash boundary.
_RUN_SIZE = 32
_RUN_MAX = 2 * _RUN_SIZE
# The names the generator's imports bind under our options, that a field of the same name
# would hide: the first guess of `_chunked`'s fixed point (a miss costs time, not output).
_SHADOWABLE = frozenset(
    [
        "date",
        "datetime",
        "time",
        "timedelta",
        "UUID",
        "Decimal",
        "Path",
        "IPv4Address",
        "IPv6Address",
        "IPv4Network",
        "IPv6Network",
        "Any",
        "Annotated",
        "Literal",
        "TypeAlias",
        "Enum",
        "StrEnum",
        "IntEnum",
        "AnyUrl",
        "AwareDatetime",
        "BaseModel",
        "ConfigDict",
        "Field",
        "RootModel",
    ]
)
# The model that carries them. Should a spec's class take its name, the generator numbers
# one of the two, and the chunks fall back to one batch (`_chunked`).
_SHADOWS = "McpgenShadowingFieldNames"
_SHADOWS_NUMBERED = re.compile(_SHADOWS + r"\d+")
# Processes that make a large spec's chunks: the output never depends on it (tested).
WORKERS = min(2, os.cpu_count() or 1)
# Below this many unreferenced models the spec is one batch: chunking pays only when big.
_CHUNK_FROM = 64


def render_models(ir: SpecIR, header: str, cache: ProjectCache | None = None) -> str:
    """The source of `_generated/models.py`; the same with or without a cache."""
    if not ir.models:
        return f"{header}\n"
    models = _without_narrowing_subclasses(
        tuple(
            m
            if m.origin[:1] == ("resource_templates",)
            else ModelIR(m.class_name, _as_a_model_reads(m.schema), m.origin)
            for m in ir.models
        )
    )
    runs = _runs(models)
    body = None
    with generator_helpers():
        if runs is not None:
            body = _chunked(models, runs, cache)
        if body is None:
            body = _chunk(models, cache).removeprefix(_HEADER_SLOT + "\n")
    top = header.rstrip("\n")
    source = _escape_invisibles(_ecma_patterns(f"{top}\n{body}"))
    defined = {cls or alias for cls, alias in _DEFINED.findall(source)}
    missing = [m for m in ir.models if m.class_name not in defined]
    if missing:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"the model {m.class_name!r} came out under another name: it collides "
                    "with a class the model generator derived from a nested schema",
                    path=m.origin,
                    hint="rename the type or give the nested schema its own entry under [types]",
                )
                for m in missing
            ]
        )
    return source


# The runtime's module of ECMA-262 `pattern` checks, as the models name it (`_ecma_patterns`):
# a name no field or class can take (pydantic fields and spec classes never start with `_`).
_PATTERNS_MODULE = "_patterns"


def _ecma_patterns(source: str) -> str:
    """The models with each `pattern=` of pydantic's moved into `runtime._patterns.EcmaPattern(...)`.

    JSON Schema patterns are ECMA-262 (`mcpgen.patterns`). pydantic would run them on Rust's
    regex engine, where `\\d` and `\\w` match non-ASCII digits and letters and a lookaround
    fails the model's import: a value the tool's schema check accepted (`\\W` and "é") could
    fail again in the model, and one lookahead (111 documents of the APIs.guru directory
    have one) would break every call. The generator writes `Field(..., pattern=P)` and
    `StringConstraints(pattern=P)`, always inside `Annotated[...]`: the pattern leaves the
    call and follows it as one more annotation, which the runtime checks with regress.
    """
    if "pattern=" not in source:
        return source
    encoded = source.encode()
    starts = [0]
    for line in encoded.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)
    tree = ast.parse(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Field", "StringConstraints")
        ):
            continue
        found = [k for k in node.keywords if k.arg == "pattern"]
        if not found:
            continue
        holder = parents.get(id(node))
        annotated = parents.get(id(holder)) if isinstance(holder, ast.Tuple) else None
        if not (
            isinstance(found[0].value, ast.Constant)
            and isinstance(found[0].value.value, str)
            and isinstance(annotated, ast.Subscript)
            and isinstance(annotated.value, ast.Name)
            and annotated.value.id == "Annotated"
        ):
            raise TypeError(f"datamodel-code-generator wrote a pattern as {ast.unparse(node)}")
        marker = f"{_PATTERNS_MODULE}.EcmaPattern({found[0].value.value!r})"
        rest = [k for k in node.keywords if k.arg != "pattern"]
        kept = ast.unparse(ast.Call(node.func, node.args, rest)) if node.args or rest else None
        assert node.end_lineno is not None and node.end_col_offset is not None
        edits.append(
            (
                starts[node.lineno - 1] + node.col_offset,
                starts[node.end_lineno - 1] + node.end_col_offset,
                f"{kept}, {marker}" if kept else marker,
            )
        )
    for start, end, text in sorted(edits, reverse=True):
        encoded = encoded[:start] + text.encode() + encoded[end:]
    future = b"from __future__ import annotations\n"
    at = encoded.index(future) + len(future) if future in encoded else 0
    line = f"\nfrom .runtime import {_PATTERNS_MODULE}\n".encode()
    return (encoded[:at] + line + encoded[at:]).decode()


def _refs(schema: object, into: set[str]) -> set[str]:
    """The class names a schema refers to (`#/$defs/<name>`)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            into.add(ref.removeprefix("#/$defs/"))
        for value in schema.values():
            _refs(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _refs(value, into)
    return into


def _runs(models: tuple[ModelIR, ...]) -> list[list[str]] | None:
    """The unreferenced models cut into runs, or None when the spec is too small to cut."""
    referenced = set().union(*(_refs(m.schema, set()) for m in models))
    free = [m.class_name for m in models if m.class_name not in referenced]
    if len(free) < _CHUNK_FROM:
        return None
    runs: list[list[str]] = [[]]
    for name in free:
        runs[-1].append(name)
        cut = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % _RUN_SIZE == 0
        if cut or len(runs[-1]) >= _RUN_MAX:
            runs.append([])
    return [run for run in runs if run]


def _chunked(
    models: tuple[ModelIR, ...], runs: list[list[str]], cache: ProjectCache | None
) -> str | None:
    """The body of models.py from the shared chunk and one chunk per group of runs, or None
    if a group interfered with the shared models or `_SHADOWS` (the caller then makes one
    batch).

    The generator writes every model of a call knowing all the others, and two of its
    decisions reach across models; each chunk is made to decide as one batch would:
    - A field name hides an import of the same name, which it then aliases (a field `date`
      makes every `date` type `date_aliased`). Each chunk also carries a model whose fields
      are the spec's field names that some chunk imports or defines.
    - A class it derives from a nested schema is named after the schema (`Result` for an
      `allOf` under `result`), numbered when the name is taken. Two runs deriving the same
      name for different classes are made again as one group, where it numbers them; the
      same class derived twice is written once. A run deriving a shared model's name is
      made again with that model defined (a stand-in), so that it numbers its own class.
    Both show only in the output: the field names start from a guess (`_SHADOWABLE`), the
    groups from the runs, and the chunks are made again until neither changes. Each step is
    a function of the spec, so the output is too; chunks made once are not made again.
    """
    schemas: dict[str, JsonSchema] = {m.class_name: m.schema for m in models}
    in_runs = {name for run in runs for name in run}
    shared = [m for m in models if m.class_name not in in_runs]
    fields = _field_names(models)
    shadowing = fields & _SHADOWABLE
    groups = [list(run) for run in runs]
    # Shared models a run's group must define although it does not refer to them, by run;
    # first guessed from the names its nested objects may get (a miss costs a pass).
    defining: dict[str, set[str]] = {}
    shared_names = {str(m.class_name) for m in shared}
    for run in runs:
        named = set().union(*(_nested_object_names(schemas[name]) for name in run))
        if named & shared_names:
            defining[run[0]] = named & shared_names
    made: dict[str, _Split] = {}
    while True:
        chunks = [shared] if shared else []
        with_references = [
            _with_references(group, models, schemas, _defined_for(group, defining))
            for group in groups
        ]
        chunks += [chunk for chunk, _ in with_references]
        splits = _chunk_splits(chunks, shadowing, cache, made)
        if any(_SHADOWS_NUMBERED.fullmatch(node[0]) for _, nodes in splits for node in nodes):
            return None
        shared_split: _Split = splits.pop(0) if shared else ({}, [])
        shared_nodes = {name: text for name, text, _ in shared_split[1] if name != _SHADOWS}
        bodies = list(shared_nodes.values())
        owners: dict[str, tuple[int, str]] = {}
        clashes: list[tuple[int, int]] = []
        redo = False
        for group, (_, nodes) in enumerate(splits):
            chunk, stand_ins = with_references[group]
            in_chunk = {str(m.class_name) for m in chunk}
            whole = in_chunk - stand_ins - set(groups[group])
            for name, text, whose in _attributed(nodes, groups[group], whole, stand_ins):
                if name == _SHADOWS or whose == "stand-in":
                    continue
                if name in shared_nodes:
                    if text == shared_nodes[name]:
                        continue
                    if whose == "run" and name in schemas and name not in in_chunk:
                        # Derived under a shared model's name, which one batch numbers:
                        # made again with that model (a stand-in) defined beside it.
                        defining.setdefault(groups[group][0], set()).add(name)
                        redo = True
                        continue
                    return None
                elif whose == "shared":
                    return None  # a shared model's class that the shared chunk did not make
                elif name not in owners:
                    owners[name] = (group, text)
                    bodies.append(text)
                elif owners[name][1] != text:
                    clashes.append((owners[name][0], group))
        imports: dict[str, set[str]] = {}
        for chunk_imports, _ in [shared_split, *splits]:
            for module, names in chunk_imports.items():
                imports.setdefault(module, set()).update(names)
        # `from __future__ import annotations` is a directive: no field hides it.
        bound = {
            name.split(" as ")[0]
            for module, names in imports.items()
            if module != "__future__"
            for name in names
        }
        bound.update(shared_nodes, owners)
        if not clashes and not redo and bound & fields <= shadowing:
            return _assemble(imports, bodies)
        shadowing |= bound & fields
        groups = _joined(groups, clashes)


# A chunk's output as `_split` leaves it: its imports, and its definitions in order, each
# with its name, its text and the names of the chunk's definitions it refers to.
_Node = tuple[str, str, list[str]]
_Split = tuple[dict[str, list[str]], list[_Node]]


def _attributed(
    nodes: list[_Node], own: list[str], whole: set[str], stand_ins: frozenset[str]
) -> Iterator[tuple[str, str, str]]:
    """Each definition of a run's output with whose it is: the run's ("run": its models and
    the classes derived from them), a whole shared model's ("shared") or a stand-in's
    ("stand-in", made from a cut-down schema: to be dropped unchecked).

    A derived class belongs to the models that refer to it; a shared model's name ends the
    walk from the run's models (the chunk's names are unique: the generator numbers clashes).
    """
    refers = {name: refs for name, _, refs in nodes}
    theirs = _reached(refers, own, stop=whole | stand_ins)
    shared = _reached(refers, whole, stop=stand_ins) - theirs
    for name, text, _ in nodes:
        model = name.removesuffix(_REBUILD)
        whose = "run" if model in theirs else "shared" if model in shared else "stand-in"
        yield name, text, whose


def _reached(refers: dict[str, list[str]], starts: Iterable[str], stop: Iterable[str]) -> set[str]:
    """`starts` and the definitions reached from them by references, short of `stop`."""
    stopped = set(stop)
    seen = set(starts)
    pending = list(seen)
    while pending:
        for ref in refers.get(pending.pop(), ()):
            if ref not in seen and ref not in stopped:
                seen.add(ref)
                pending.append(ref)
    return seen


def _nested_object_names(schema: object) -> set[str]:
    """The class names of a schema's object properties, as the generator names a class
    derived from one by its property name alone (an object nested in an `allOf`)."""
    names: set[str] = set()
    pending = [schema]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            properties = value.get("properties")
            if isinstance(properties, dict):
                names.update(
                    "".join(part[:1].upper() + part[1:] for part in re.split(r"\W|_", name))
                    for name, sub in properties.items()
                    if isinstance(sub, dict) and isinstance(sub.get("properties"), dict)
                )
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return names


def _defined_for(group: list[str], defining: dict[str, set[str]]) -> frozenset[str]:
    return frozenset().union(*(defining.get(name, ()) for name in group))


def _with_references(
    names: list[str],
    models: tuple[ModelIR, ...],
    schemas: dict[str, JsonSchema],
    defined: frozenset[str] = frozenset(),
) -> tuple[list[ModelIR], frozenset[str]]:
    """The models named, with the shared models they refer to (and those `defined`, in
    spec order), and which of those are stand-ins (`_stand_in`).

    A run refers to a shared model by its class name, so the generator needs the model to
    exist, not all of it: a stand-in keeps what decides how a reference to it is written
    (its top-level keywords: type, enum, format, nullability, its property names) and drops
    the rest, which also cuts the closure it would drag in (on GitHub's API a run's
    references were 2.5 MB of 4 MB of schema). A model extended by `allOf` is written from
    its fields, and a `discriminator` rewrites the models it names, so those references
    come in whole, with everything they refer to. Both kinds come out of the run again and
    are dropped: whole ones after checking they came out as in the shared chunk.
    """
    whole: set[str] = set(names)
    loose: set[str] = set()
    for name in names:
        if _mentions_discriminator(schemas[name]):
            whole.update(_refs(schemas[name], set()))
        else:
            _refs_by_use(schemas[name], whole, loose)
    pending = list(whole.difference(names))
    while pending:
        for ref in _refs(schemas[pending.pop()], set()):
            if ref not in whole:
                whole.add(ref)
                pending.append(ref)
    stand_ins: dict[str, JsonSchema] = {}
    pending = [ref for ref in loose | defined if ref not in whole]
    while pending:
        name = pending.pop()
        if name in stand_ins or name in whole:
            continue
        stand_ins[name] = _stand_in(schemas[name])
        pending.extend(_refs(stand_ins[name], set()))
    chunk = [
        m if m.class_name in whole else ModelIR(m.class_name, stand_ins[m.class_name], m.origin)
        for m in models
        if m.class_name in whole or m.class_name in stand_ins
    ]
    return chunk, frozenset(stand_ins)


def _mentions_discriminator(schema: object) -> bool:
    if isinstance(schema, dict):
        return "discriminator" in schema or any(map(_mentions_discriminator, schema.values()))
    if isinstance(schema, list):
        return any(map(_mentions_discriminator, schema))
    return False


def _refs_by_use(schema: object, whole: set[str], loose: set[str], extends: bool = False) -> None:
    """Sort the class names a schema refers to: under an `allOf` into `whole`, else `loose`."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            (whole if extends else loose).add(ref.removeprefix("#/$defs/"))
        for key, value in schema.items():
            _refs_by_use(value, whole, loose, extends or key == "allOf")
    elif isinstance(schema, list):
        for value in schema:
            _refs_by_use(value, whole, loose, extends)


# What a stand-in's properties and inline subschemas become: a type that needs no import
# and derives no class, so a stand-in adds neither to its run's output.
_PLAIN: JsonSchema = {"type": "string"}
# Keywords that only document a schema.
_DOCUMENTING = frozenset(
    ["description", "title", "examples", "example", "$comment", "deprecated", "externalDocs"]
)
# Keywords holding one subschema, or a list of them; `allOf` is taken apart in `_stand_in`.
_SUBSCHEMA = frozenset(
    [
        "items",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
        "contentSchema",
    ]
)
_SUBSCHEMAS = frozenset(["anyOf", "oneOf", "prefixItems"])
# Keywords holding subschemas by name, which only shape the model's own class.
_NAMED_SUBSCHEMAS = frozenset(["patternProperties", "dependentSchemas", "$defs", "definitions"])


def _stand_in(schema: JsonSchema) -> JsonSchema:
    """A shared model cut down to what a reference to it is written from: its keywords
    at the top (and in its `allOf` parts), its property names (each a plain string), and
    its references; documentation, nested schemas and property types are dropped."""
    out: JsonSchema = {}
    for key, value in schema.items():
        if key in _DOCUMENTING or key in _NAMED_SUBSCHEMAS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _PLAIN for name in value}
        elif key == "allOf" and isinstance(value, list):
            out[key] = [_stand_in(part) if isinstance(part, dict) else part for part in value]
        elif key in _SUBSCHEMAS and isinstance(value, list):
            # A member typed null makes a reference to the union admit None: kept as such.
            out[key] = [_null_or(part, _reference_or_plain(part)) for part in value]
        elif key in _SUBSCHEMA:
            out[key] = _reference_or_plain(value)
        else:
            out[key] = value
    return out


def _null_or(schema: object, otherwise: object) -> object:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return {"type": "null"} if kind == "null" else {"type": ["string", "null"]}
    return otherwise


def _reference_or_plain(schema: object) -> object:
    if not isinstance(schema, dict):
        return schema  # `additionalProperties: false`, say
    ref = schema.get("$ref")
    return {"$ref": ref} if isinstance(ref, str) else _PLAIN


def _joined(groups: list[list[str]], clashes: list[tuple[int, int]]) -> list[list[str]]:
    """The groups with each clashing pair made one, in the order of their first run."""
    leader = list(range(len(groups)))

    def find(group: int) -> int:
        while leader[group] != group:
            group = leader[group]
        return group

    for one, other in clashes:
        first, second = sorted((find(one), find(other)))
        leader[second] = first
    joined: dict[int, list[str]] = {}
    for index, group in enumerate(groups):
        joined.setdefault(find(index), []).extend(group)
    return list(joined.values())


def _assemble(imports: dict[str, set[str]], bodies: list[str]) -> str:
    """The body of models.py: the merged imports, then the definitions."""
    # `X.model_rebuild()` of recursive models go after every class, as in one batch.
    rebuilds = [text for text in bodies if _is_rebuild(text)]
    bodies = [text for text in bodies if not _is_rebuild(text)]
    # The shadowing fields' model is dropped; its base class, its only import, is imported
    # by every chunk of a spec that has fields at all.
    future = imports.pop("__future__", set())
    lines = [f"from __future__ import {', '.join(sorted(future))}"] if future else []
    lines += [
        f"from {module} import {', '.join(sorted(names))}" if names else module
        for module, names in sorted(imports.items())
    ]
    tail = "\n\n\n" + "\n".join(rebuilds) if rebuilds else ""
    return "\n" + "\n".join(lines) + "\n\n\n" + "\n\n\n".join(bodies) + tail + "\n"


def _field_names(models: Iterable[ModelIR]) -> frozenset[str]:
    """Every property name of the models' schemas, nested ones included (a superset: a
    property named `properties` adds its schema's keywords, which shadow nothing)."""
    names: set[str] = set()
    pending: list[object] = [m.schema for m in models]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            properties = value.get("properties")
            if isinstance(properties, dict):
                names.update(properties)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return frozenset(names)


def _split(source: str, imports: dict[str, set[str]]) -> dict[str, tuple[str, list[str]]]:
    """A module's top-level definitions by name, in order, each with the names of the
    module's definitions it refers to; its imports go into `imports`.

    The `X.model_rebuild()` call the generator writes after a recursive model `X` is kept
    under the name `X.model_rebuild()` (`_is_rebuild`), so a run that repeats it is
    compared with the shared chunk like any definition.
    """
    # The parser's lines: str.splitlines() also breaks at \v, \f, \x1c-\x1e, \x85, U+2028
    # and U+2029, which a description leaves raw in a docstring (`_escape_invisibles` is later).
    lines = source.split("\n")
    nodes: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "model_rebuild"
            and isinstance(node.value.func.value, ast.Name)
        ):
            call = ast.unparse(node)
            nodes[call] = call
            names[call] = {node.value.func.value.id}
            continue
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.setdefault(node.module, set()).update(
                a.name if a.asname is None else f"{a.name} as {a.asname}" for a in node.names
            )
            continue
        if isinstance(node, ast.Import):
            # Keyed apart from `from` imports of the same module, rendered as written.
            imports.setdefault(ast.unparse(node), set())
            continue
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and nodes
        ):
            # The docstring written under a type alias belongs to the alias before it.
            name = next(reversed(nodes))
            nodes[name] += "\n" + "\n".join(lines[node.lineno - 1 : node.end_lineno])
            continue
        if isinstance(node, ast.ClassDef):
            name = node.name
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
        else:
            raise TypeError(
                f"datamodel-code-generator wrote an unexpected statement: {ast.dump(node)[:80]}"
            )
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        nodes[name] = "\n".join(lines[start - 1 : node.end_lineno])
        names[name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return {
        name: (text, sorted(names[name] & nodes.keys() - {name})) for name, text in nodes.items()
    }


_REBUILD = ".model_rebuild()"


def _is_rebuild(text: str) -> bool:
    return text.endswith(_REBUILD)


def _chunk(models: Iterable[ModelIR], cache: ProjectCache | None) -> str:
    """The generator's output for these models, from the cache if it has it."""
    text, key = _chunk_input(models)
    source = cache.model(key) if cache is not None else None
    if source is None:
        source = _HELPERS[0].generate(text) if _HELPERS else _generate_fresh(text)
        if cache is not None:
            cache.put_model(key, source)
    return source


def _chunk_splits(
    chunks: list[list[ModelIR]],
    shadowing: frozenset[str],
    cache: ProjectCache | None,
    made: dict[str, _Split],
) -> list[_Split]:
    """`_split` of each chunk's output, in order; the ones neither `made` nor the cache
    holds are made on up to WORKERS processes. The cache keeps the split form: parsing
    fifty cached chunks again on every run was a tenth of a one-tool change."""
    inputs = [_chunk_input(chunk, shadowing) for chunk in chunks]
    for _, key in inputs:
        stored = cache.model("split:" + key) if cache is not None else None
        if stored is not None and key not in made:
            chunk_imports, nodes = json.loads(stored)
            made[key] = chunk_imports, [(name, text, refs) for name, text, refs in nodes]
    todo = {key: text for text, key in inputs if key not in made}
    for key, split in zip(todo, _generate_splits(list(todo.values())), strict=True):
        made[key] = split
        if cache is not None:
            # A list of pairs keeps the definitions' order through JSON.
            cache.put_model("split:" + key, json.dumps(split, ensure_ascii=False))
    return [made[key] for _, key in inputs]


def _generate_splits(documents: list[str]) -> list[_Split]:
    """`_generate_split` of each document, in order, whatever process made which.

    The helpers make the chunks, the biggest first, and split them too. This process
    makes the smallest as well only when there are fewer helpers than WORKERS and more
    chunks than helpers (its first call to the generator costs what a warm-up does).
    """
    helpers = list(_HELPERS or ())
    if not helpers:
        return [_generate_split(document) for document in documents]
    biggest_first = sorted(range(len(documents)), key=lambda i: -len(documents[i]))
    made = _shared_out(
        helpers,
        biggest_first,
        lambda helper, index: helper.split(documents[index]),
        lambda index: _generate_split(documents[index]),
        leave=len(helpers) if len(helpers) < WORKERS else None,
    )
    return [made[index] for index in range(len(documents))]


def _shared_out(
    helpers: list[_Helper],
    tasks: list[int],
    on_helper: Callable[[_Helper, int], R],
    here: Callable[[int], R],
    leave: int | None,
) -> dict[int, R]:
    """Each task's result: the helpers take tasks from the front, each in a thread of this
    process that waits for it, and this process works on them from the back while more
    than `leave` are left (never if None)."""
    pending = deque(tasks)
    done: dict[int, R] = {}
    failures: list[BaseException] = []

    def feed(helper: _Helper) -> None:
        while not failures:
            try:
                task = pending.popleft()  # atomic: each task goes to one worker
            except IndexError:
                return
            try:
                done[task] = on_helper(helper, task)
            except BaseException as error:  # re-raised below, in the calling thread
                failures.append(error)

    threads = [threading.Thread(target=feed, args=(helper,)) for helper in helpers]
    for thread in threads:
        thread.start()
    try:
        while leave is not None and len(pending) > leave and not failures:
            try:
                task = pending.pop()
            except IndexError:  # the helpers took the last ones meanwhile
                break
            done[task] = here(task)
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return done


# Processes that warmed the model generator up while the pipeline was loading and resolving
# the spec (`generator_helpers`); None when none run.
_HELPERS: list[_Helper] | None = None


class _Helper:
    """A process that warms the model generator up at once, then generates what it is sent.

    The generator's first call takes about half a second (it imports and compiles lazily);
    started before `load`, a helper has paid it by the time the models stage needs it (a
    one-tool change of a large spec spent a fifth of its time there).
    """

    def __init__(self) -> None:
        self.connection, theirs = multiprocessing.Pipe()
        # Forked where the platform can: the helper starts without importing mcpgen again.
        if "fork" in multiprocessing.get_all_start_methods():
            fork = multiprocessing.get_context("fork")
            self.process: multiprocessing.process.BaseProcess = fork.Process(
                target=_serve, args=(theirs, self.connection), daemon=True
            )
        else:
            spawn = multiprocessing.get_context("spawn")
            self.process = spawn.Process(target=_serve, args=(theirs,), daemon=True)
        self.process.start()
        theirs.close()

    def generate(self, document: str) -> str:
        """`_generate_fresh(document)`, made by the helper."""
        return str(self._ask(_generate_fresh, document))

    def split(self, document: str) -> _Split:
        """`_generate_split(document)`, made by the helper."""
        split: _Split = self._ask(_generate_split, document)
        return split

    def map(self, function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`[function(item) for item in items]`, computed by the helper."""
        return list(self._ask(_map, (function, items)))

    def _ask(self, function: Callable[[Any], Any], argument: Any) -> Any:
        # Functions travel by name (pickle): module-level ones only.
        self.connection.send((function, argument))
        ok, value = self.connection.recv()
        if not ok:
            raise RuntimeError(f"a helper process failed:\n{value}")
        return value

    def close(self) -> None:
        # Nothing in a helper is worth a clean exit; one may still be warming up.
        self.connection.close()
        self.process.terminate()
        self.process.join()


def _serve(connection: Any, ours: Any = None) -> None:
    """Answer the pipe until its other end closes. `ours` is that other end as a fork
    inherits it: closed at once, or a killed generation would leave the helper waiting on
    a pipe it holds open itself, forever (a SIGKILL runs no `close`). A helper forked later
    holds an earlier one's end too, until it ends in turn."""
    if ours is not None:
        ours.close()
    _warm_up()
    while True:
        try:
            function, argument = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, function(argument)))
        except Exception:
            connection.send((False, traceback.format_exc()))


def _map(work: tuple[Callable[[Any], Any], list[Any]]) -> list[Any]:
    function, items = work
    return [function(item) for item in items]


def in_helpers(function: Callable[[Any], T], items: list[Any], batch: int = 64) -> list[T]:
    """`[function(item) for item in items]`, in order, computed by the helpers (when they
    are running, and free: a helper still warming up takes its first batch later) and by
    this process, batch by batch. `function` must be a module-level function."""
    helpers = list(_HELPERS or ())
    if not helpers or len(items) <= batch:
        return [function(item) for item in items]
    done = _shared_out(
        helpers,
        list(range(0, len(items), batch)),
        lambda helper, start: helper.map(function, items[start : start + batch]),
        lambda start: [function(item) for item in items[start : start + batch]],
        leave=0,
    )
    return [result for start in sorted(done) for result in done[start]]


@contextlib.contextmanager
def generator_helpers(count: int | None = None) -> Iterator[None]:
    """`count` (WORKERS) helper processes for the model generator while the block runs (none
    on one core); a block inside another shares its helpers. The output never depends on
    them (tested)."""
    global _HELPERS
    if _HELPERS is not None or WORKERS <= 1:
        yield
        return
    _HELPERS = [_Helper() for _ in range(min(count or WORKERS, WORKERS))]
    try:
        yield
    finally:
        helpers, _HELPERS = _HELPERS, None
        for helper in helpers:
            helper.close()


def _generate_split(document: str) -> _Split:
    return _split_source(_generate_fresh(document))


def _split_source(source: str) -> _Split:
    imports: dict[str, set[str]] = {}
    nodes = [(name, text, refs) for name, (text, refs) in _split(source, imports).items()]
    return {module: sorted(names) for module, names in imports.items()}, nodes


def _chunk_input(
    models: Iterable[ModelIR], shadowing: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """The generator's input document for these models, and its cache key."""
    defs: JsonSchema = {model.class_name: model.schema for model in models}
    if shadowing:
        defs[_SHADOWS] = {
            "type": "object",
            "properties": {name: {"type": "string"} for name in sorted(shadowing)},
        }
    document: JsonSchema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
    }
    text = json.dumps(document, sort_keys=False, ensure_ascii=False)
    key = hashlib.sha256(
        "\0".join((text, generator_fingerprint(), version("datamodel-code-generator"))).encode()
    ).hexdigest()
    return text, key


# Characters that change how source reads without being seen: controls, bidi overrides
# ("Trojan Source"), line separators, BOM. datamodel-code-generator leaves them raw in the
# docstrings it writes; outside string literals they never occur, so escaping is safe.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)


def _escape_invisibles(source: str) -> str:
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", source)


def _generate_fresh(document: str) -> str:
    # Its UserWarnings (a format it maps to a plain type, a constraint a pydantic type
    # cannot carry) point at its own source lines and would reach the user's terminal;
    # nothing is lost: arguments and results are checked against the advertised schema,
    # which keeps every format and constraint.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        source = _generate(document)
    if not isinstance(source, str):
        raise TypeError("datamodel-code-generator returned several modules for one schema")
    # What its own formatter did first and ruff's does not do inside a docstring: newlines
    # made LF, and no line ending in blanks (a description's trailing space fails W291).
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source = "\n".join(line.rstrip() for line in lines)
    if not source.startswith(_HEADER_SLOT + "\n"):
        raise TypeError("datamodel-code-generator moved the file header")
    return source


# What a helper generates first: classes, an alias, an enum, a union, formats and bounds,
# so that the generator's lazy imports and template compiling are done before real work.
_WARM_UP = json.dumps(
    {
        "$defs": {
            "Warm": {
                "type": "object",
                "description": "Warm-up.",
                "required": ["at"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                    "mode": {"enum": ["a", "b"]},
                    "count": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                },
            },
            "Item": {"type": "object", "properties": {"nested": {"type": "object"}}},
            "Kind": {"type": "string", "enum": ["x", "y"]},
        }
    }
)


def _warm_up() -> None:
    _generate_fresh(_WARM_UP)


def _generate(document: str) -> object:
    from datamodel_code_generator import LiteralType, generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import PythonVersion

    return generate(
        document,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        # No formatter: ruff formats the whole package afterwards (`format`), and the
        # generator's own (a third of its time) reads settings from the working directory.
        formatters=[],
        custom_file_header=_HEADER_SLOT,
        disable_timestamp=True,
        skip_root_model=True,
        use_type_alias=True,
        use_annotated=True,
        field_constraints=True,
        use_standard_collections=True,
        use_union_operator=True,
        use_double_quotes=True,
        use_schema_description=True,
        parent_scoped_naming=True,
        strict_nullable=True,
        enum_field_as_literal=LiteralType.All,
        capitalise_enum_members=False,
        keep_model_order=False,
        # Resource templates' parameters keep their formats (`_as_a_model_reads`), so the
        # formats whose types would change a value or need more than mcp and pydantic stay
        # plain there too: EmailStr needs email-validator and ULID python-ulid at import
        # time (one such field and models.py does not import: every tool call fails);
        # SecretStr serializes as "**********"; Base64Str hands the handler decoded text
        # (and fails on binary data); Decimal serializes as a JSON string.
        type_mappings=[
            "email=string",
            "idn-email=string",
            "ulid=string",
            "password=string",
            "byte=string",
            "number+decimal=number",
        ],
    )


def _as_a_model_reads(schema: Any) -> Any:
    """A schema without what a model would judge otherwise than the schema's own judge.

    The server checks every argument (and, strict, every result) against the advertised
    schema before a model sees it; a model that judged again, differently, would refuse
    what the schema accepts or change it on the way through:
    - `format` is an annotation (JSON Schema 2020-12 asserts none by default, nor does the
      server), so every string passes the schema; the model generator's types for formats
      accept fewer and re-spell what they accept (`AnyUrl` adds a trailing slash, `UUID`
      lower-cases, a datetime re-spells its offset, `date` takes a date-time and drops its
      time), or need packages a server does not declare (`EmailStr`, `ULID`), or turn a
      type into another (`integer` with `date-time` became a datetime). Without it, a field
      is typed by its JSON type alone: the value reaches the handler, and leaves the server,
      exactly as it was. The handler parses what it needs (`date.fromisoformat`).
    - `pattern` would be run by pydantic's Rust regex, which is not the server's (`^\\d+$`
      takes "12\\n" in one and not the other).
    - `patternProperties` became a dict whose keys must match, refusing every key the
      schema lets through otherwise: the object admits any key, which the schema judges.
    The advertised schema keeps all three.

    A resource template's parameters are another matter: they have no advertised schema,
    and their model is their judge, which parses the URI's text into each parameter's type
    (an integer, a `date`): their own schemas keep every keyword (a `$ref`'d type is a
    shared model, read as above).
    """
    if not isinstance(schema, dict):
        return schema
    read: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("format", "pattern", "patternProperties"):
            continue
        if key in _SUBSCHEMA:
            read[key] = _as_a_model_reads(value)
        elif (key in _SUBSCHEMAS or key == "allOf") and isinstance(value, list):
            read[key] = [_as_a_model_reads(item) for item in value]
        elif (key == "properties" or key in _NAMED_SUBSCHEMAS) and isinstance(value, dict):
            read[key] = {name: _as_a_model_reads(item) for name, item in value.items()}
        else:
            read[key] = value
    if "patternProperties" in schema:
        read["additionalProperties"] = True
    return read


def _without_narrowing_subclasses(models: tuple[ModelIR, ...]) -> tuple[ModelIR, ...]:
    """The models, with each allOf that narrows a property of the one schema it extends
    flattened into an object schema of its own.

    For `allOf: [{$ref: Base}, {properties: {data: <narrower>}}]` the model generator writes
    a subclass of Base that overrides the field's type, which mypy --strict rejects (a
    mutable attribute cannot narrow). Real API descriptions do this (a generic collection
    wrapper, refined per endpoint). Flattened, the class has Base's fields with the
    overrides applied: the same values validate, and the wire schema is not touched.
    """
    schemas: dict[str, JsonSchema] = {m.class_name: m.schema for m in models}
    changed = [
        ModelIR(m.class_name, flat, m.origin)
        if (flat := _flatten_narrowing(m.schema, schemas)) is not m.schema
        else m
        for m in models
    ]
    return tuple(changed)


def _flatten_narrowing(schema: Any, schemas: dict[str, JsonSchema]) -> Any:
    """`schema` with narrowing allOfs flattened, or `schema` itself when there are none."""
    if isinstance(schema, list):
        items = [_flatten_narrowing(item, schemas) for item in schema]
        return items if any(a is not b for a, b in zip(items, schema, strict=True)) else schema
    if not isinstance(schema, dict):
        return schema
    values = {key: _flatten_narrowing(value, schemas) for key, value in schema.items()}
    node = values if any(values[k] is not schema[k] for k in schema) else schema
    parts = node.get("allOf")
    if not isinstance(parts, list):
        return node
    refs = [p for p in parts if isinstance(p, dict) and "$ref" in p]
    inline = [p for p in parts if isinstance(p, dict) and "$ref" not in p]
    if len(refs) != 1 or len(inline) + 1 != len(parts) or set(refs[0]) != {"$ref"}:
        return node
    base = schemas.get(str(refs[0]["$ref"]).removeprefix("#/$defs/"))
    if (
        not isinstance(base, dict)
        or "allOf" in base
        or not isinstance(base.get("properties"), dict)
    ):
        return node
    overrides: dict[str, Any] = {}
    for part in inline:
        overrides.update(part.get("properties") or {})
    if not any(
        name in base["properties"] and base["properties"][name] != value
        for name, value in overrides.items()
    ):
        return node  # a plain extension: the subclass is right
    flat: dict[str, Any] = {
        key: value for key, value in base.items() if key not in ("properties", "required")
    }
    flat.update({key: value for key, value in node.items() if key != "allOf"})
    flat["type"] = "object"
    flat["properties"] = {**base["properties"], **overrides}
    required = [*base.get("required", ()), *(r for p in inline for r in p.get("required", ()))]
    if required:
        flat["required"] = list(dict.fromkeys(required))
    return flat
