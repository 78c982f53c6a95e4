"""A large spec's models made in chunks, so that a changed tool remakes one chunk of its
models, not 500 tools' (the generator is most of a generation's time; `ProjectCache` keeps
each chunk's output):
- A small spec is one batched call, one chunk.
- A large one is split. The models no other model refers to (a tool's input and output,
  mostly) are cut into runs at content-defined boundaries (where a class name's hash says
  so), so adding or removing a tool moves no boundary but its own. Every other model (the
  shared `[types]`, error data) forms a first chunk. A run's call also receives the shared
  models it refers to, so references resolve, mostly as cut-down stand-ins
  (`model_stand_ins`); their classes come out again and are dropped, the whole ones after
  checking they came out exactly as in the first chunk. The generator's decisions that
  reach across models are made alike in every chunk (`chunked`); should a run still
  interfere, the whole spec falls back to one batch. The file is the first chunk, then
  each run, imports merged at the top.
- Chunks the cache lacks are made by the helper processes started with the pipeline
  (`workers`, `model_generator.generator_helpers`): they warm the generator up while the
  spec is loaded and resolved, then make and split the chunks, the biggest first.
- Each chunk is keyed by everything the generator reads (`model_generator.input_document`).
The cache never decides the output, only whether a chunk is computed or read back: the
output is a function of the spec alone, with or without a cache (tested).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator

from mcpgen import model_generator, workers
from mcpgen.cache import ProjectCache
from mcpgen.ir import JsonSchema, ModelIR
from mcpgen.model_stand_ins import with_references
from mcpgen.progress import SILENT, ChunkCounter, Observer
from mcpgen.schema_keywords import defs_refs, json_objects

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
# would hide: the first guess of `chunked`'s fixed point (a miss costs time, not output).
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
# one of the two, and the chunks fall back to one batch (`chunked`).
SHADOWS = "McpgenShadowingFieldNames"


_SHADOWS_NUMBERED = re.compile(SHADOWS + r"\d+")


# Below this many unreferenced models the spec is one batch: chunking pays only when big.
_CHUNK_FROM = 64


def cut_into_runs(models: tuple[ModelIR, ...]) -> list[list[str]] | None:
    """The unreferenced models cut into runs, or None when the spec is too small to cut."""
    referenced = {name for m in models for name in defs_refs(m.schema)}
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


def chunked(
    models: tuple[ModelIR, ...],
    runs: list[list[str]],
    cache: ProjectCache | None,
    observer: Observer = SILENT,
) -> str | None:
    """The body of models.py from the shared chunk and one chunk per group of runs, or None
    if a group interfered with the shared models or `SHADOWS` (the caller then makes one
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
    made: dict[str, model_generator.Split] = {}
    while True:
        chunks = [shared] if shared else []
        prepared = [
            with_references(group, models, schemas, _defined_for(group, defining))
            for group in groups
        ]
        chunks += [chunk for chunk, _ in prepared]
        splits = _chunk_splits(chunks, shadowing, cache, made, observer)
        if any(_SHADOWS_NUMBERED.fullmatch(node[0]) for _, nodes in splits for node in nodes):
            return None
        shared_split: model_generator.Split = splits.pop(0) if shared else ({}, [])
        shared_nodes = {name: text for name, text, _ in shared_split[1] if name != SHADOWS}
        bodies = list(shared_nodes.values())
        owners: dict[str, tuple[int, str]] = {}
        clashes: list[tuple[int, int]] = []
        redo = False
        for group, (_, nodes) in enumerate(splits):
            chunk, stand_ins = prepared[group]
            in_chunk = {str(m.class_name) for m in chunk}
            whole = in_chunk - stand_ins - set(groups[group])
            for name, text, whose in _attributed(nodes, groups[group], whole, stand_ins):
                if name == SHADOWS or whose == "stand-in":
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
            return model_generator.assemble(imports, bodies)
        shadowing |= bound & fields
        groups = _joined(groups, clashes)


def _attributed(
    nodes: list[model_generator.Node], own: list[str], whole: set[str], stand_ins: frozenset[str]
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
        model = name.removesuffix(model_generator.REBUILD)
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
    for value in json_objects(schema):
        properties = value.get("properties")
        if isinstance(properties, dict):
            names.update(
                "".join(part[:1].upper() + part[1:] for part in re.split(r"\W|_", name))
                for name, sub in properties.items()
                if isinstance(sub, dict) and isinstance(sub.get("properties"), dict)
            )
    return names


def _defined_for(group: list[str], defining: dict[str, set[str]]) -> frozenset[str]:
    return frozenset().union(*(defining.get(name, ()) for name in group))


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


def _field_names(models: Iterable[ModelIR]) -> frozenset[str]:
    """Every property name of the models' schemas, nested ones included (a superset: a
    property named `properties` adds its schema's keywords, which shadow nothing)."""
    names: set[str] = set()
    for model in models:
        for value in json_objects(model.schema):
            properties = value.get("properties")
            if isinstance(properties, dict):
                names.update(properties)
    return frozenset(names)


def one_batch(
    models: Iterable[ModelIR], cache: ProjectCache | None, observer: Observer = SILENT
) -> str:
    """The generator's output for these models, from the cache if it has it."""
    text, key = chunk_input(models)
    source = cache.model(key) if cache is not None else None
    if source is None:
        counter = ChunkCounter(observer, 0, 1)
        helpers = workers.running()
        source = counter.made(
            str(helpers[0].call(model_generator.generate_fresh, text))
            if helpers
            else model_generator.generate_fresh(text)
        )
        if cache is not None:
            cache.put_model(key, source)
    return source


def _chunk_splits(
    chunks: list[list[ModelIR]],
    shadowing: frozenset[str],
    cache: ProjectCache | None,
    made: dict[str, model_generator.Split],
    observer: Observer,
) -> list[model_generator.Split]:
    """Each chunk's output taken apart (`model_generator.split_source`), in order; the ones
    neither `made` nor the cache holds are made on up to WORKERS processes (`workers`),
    `observer` told each as it is done. The cache keeps the split form: parsing fifty
    cached chunks again on every run was a tenth of a one-tool change."""
    inputs = [chunk_input(chunk, shadowing) for chunk in chunks]
    for _, key in inputs:
        stored = cache.model("split:" + key) if cache is not None else None
        if stored is not None and key not in made:
            chunk_imports, nodes = json.loads(stored)
            made[key] = chunk_imports, [(name, text, refs) for name, text, refs in nodes]
    todo = {key: text for text, key in inputs if key not in made}
    counter = ChunkCounter(observer, len(inputs) - len(todo), len(inputs))
    for key, split in zip(todo, _generate_splits(list(todo.values()), counter), strict=True):
        made[key] = split
        if cache is not None:
            # A list of pairs keeps the definitions' order through JSON.
            cache.put_model("split:" + key, json.dumps(split, ensure_ascii=False))
    return [made[key] for _, key in inputs]


def _generate_splits(documents: list[str], counter: ChunkCounter) -> list[model_generator.Split]:
    """`model_generator.generate_split` of each document, in order, whatever process made which.

    The helpers make the chunks, the biggest first, and split them too. This process
    makes the smallest as well only when there are fewer helpers than WORKERS and more
    chunks than helpers (its first call to the generator costs what a warm-up does).
    """
    helpers = workers.running()
    if not helpers:
        return [counter.made(model_generator.generate_split(document)) for document in documents]
    biggest_first = sorted(range(len(documents)), key=lambda i: -len(documents[i]))
    made: dict[int, model_generator.Split] = workers.shared_out(
        helpers,
        biggest_first,
        lambda helper, index: counter.made(
            helper.call(model_generator.generate_split, documents[index])
        ),
        lambda index: counter.made(model_generator.generate_split(documents[index])),
        leave=len(helpers) if len(helpers) < workers.WORKERS else None,
    )
    return [made[index] for index in range(len(documents))]


def chunk_input(
    models: Iterable[ModelIR], shadowing: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """The generator's input document for these models (and the model carrying the field
    names in `shadowing`), and its cache key."""
    defs: JsonSchema = {model.class_name: model.schema for model in models}
    if shadowing:
        defs[SHADOWS] = {
            "type": "object",
            "properties": {name: {"type": "string"} for name in sorted(shadowing)},
        }
    return model_generator.input_document(defs)
