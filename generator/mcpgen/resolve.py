"""Stage 2, resolve: a validated `Spec` -> the IR, or every semantic problem at once.

Here names become Python names (with collisions reported against both places), `$ref`s are
resolved (spec types and files beside the spec) into a shared set of models, wire schemas
are made self-contained, schemas are checked against the JSON Schema metaschema, examples
against their schemas, and resource templates are ordered most specific first.
"""

from __future__ import annotations

import copy
import os.path
import re
import string
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator

# The published meta-schemas, as jsonschema itself loads them (the package has no types).
from jsonschema_specifications import REGISTRY as SPECIFICATIONS  # type: ignore[import-untyped]

from mcpgen import patterns, pointers
from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import (
    Diagnostic,
    SpecError,
    SpecPath,
    by_location,
    did_you_mean,
    format_path,
    has_errors,
)
from mcpgen.ir import (
    CompleterIR,
    ErrorIR,
    HttpAuthIR,
    HttpEncodingIR,
    HttpErrorIR,
    HttpIR,
    HttpOperationIR,
    HttpParamIR,
    JsonSchema,
    LimitsIR,
    ModelIR,
    PromptArgumentIR,
    PromptIR,
    ResourceIR,
    ServerIR,
    SpecIR,
    TemplateIR,
    ToolIR,
)
from mcpgen.load import Document, LoadedSpec
from mcpgen.names import (
    TOOL_NAME_HARD_LIMIT,
    TOOL_NAME_PATTERN,
    TOOL_NAME_SOFT_LIMIT,
    ClassName,
    PyIdent,
    is_valid_tool_name,
    model_class_name,
    package_version,
    to_class_name,
    to_ident,
    to_package_name,
)
from mcpgen.schema_keywords import (
    BRANCHING,
    COMPOSING,
    DATA,
    DEFS_REF,
    LIST_OF_SUBSCHEMAS,
    MAP_OF_SUBSCHEMAS,
    ONE_SUBSCHEMA,
    OPENING,
    defs_refs,
    undeclared_names,
)
from mcpgen.spec import ApiKeyAuth, BasicAuth, BearerAuth, HttpBody, ServerSection, Spec, Tool
from mcpgen.uritemplates import (
    QUERY_OPERATORS,
    UriPattern,
    find_overlaps,
    template_specificity,
    template_variables,
)

# Import names a generated package must not take: they would shadow what it imports.
_TAKEN_PACKAGES = frozenset(sys.stdlib_module_names) | {
    "anyio",
    "jsonschema",
    "mcp",
    "mcp_types",
    "pydantic",
    "starlette",
    "tests",
    "uvicorn",
}

_JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


@dataclass(frozen=True)
class _Target:
    """Where a `$ref` points: a document (`""` is the spec) and the keys of a JSON pointer
    in it, decoded: two spellings of one place (`a b`, `a%20b`) are one target."""

    document: str
    keys: tuple[str, ...]


@dataclass
class _Resolver:
    loaded: LoadedSpec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Every referenced schema becomes one shared model, named once.
    named: dict[_Target, ClassName] = field(default_factory=dict)
    models: list[ModelIR] = field(default_factory=list)
    class_owners: dict[ClassName, SpecPath] = field(default_factory=dict)
    _pending: list[tuple[_Target, ClassName, JsonSchema, SpecPath, SpecPath]] = field(
        default_factory=list
    )
    # Types that are only a chain of `$ref`s back to themselves: reported once, then skipped.
    broken_types: set[str] = field(default_factory=set)
    # Schemas that passed the meta-schema check in an earlier generation (see `cache`).
    cache: ProjectCache | None = None
    # Paths in the spec's own file of schemas found to pass it ahead (`own_schemas`).
    valid: frozenset[SpecPath] = frozenset()

    @property
    def spec(self) -> Spec:
        return self.loaded.spec

    # -- reporting --------------------------------------------------------------------

    def error(
        self, path: SpecPath, message: str, hint: str | None = None, document: str = ""
    ) -> None:
        # One cause reached along two routes (a tool's wire schema and its model) is
        # reported once.
        if any(d.path == path and d.message == message for d in self.diagnostics):
            return
        location = self._document(document).locate(path)
        self.diagnostics.append(
            Diagnostic("error", message, path=path, location=location, hint=hint)
        )

    def warning(self, path: SpecPath, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic("warning", message, path=path, location=self.loaded.locate(path), hint=hint)
        )

    def claim_class(self, name: ClassName, path: SpecPath) -> ClassName:
        """Reserve a class name for the model or error declared at `path`."""
        owner = self.class_owners.get(name)
        if owner is not None and owner != path:
            where = self.loaded.locate(owner)
            self.error(
                path,
                f"class name {name!r} is already taken by {_show(owner)} ({where})",
                hint="rename one of them",
            )
        else:
            self.class_owners[name] = path
        return name

    # -- schemas ----------------------------------------------------------------------

    def check_schema(self, schema: Any, path: SpecPath, document: str = "") -> bool:
        """Whether `schema` is a valid JSON Schema; every problem in it is reported.

        An invalid schema still has its `$ref`s followed, for their own problems (a missing
        type is a mistake of its own, not a consequence of a misspelled keyword beside it).
        """
        if not isinstance(schema, dict):
            self.error(path, "a JSON Schema here must be a table (an object)", document=document)
            return False
        if self.cache is not None and self.cache.known_valid(schema):
            # Checked whole (its names and the meta-schema) by a generation that succeeded:
            # the cache keeps only what a successful one used.
            return True
        self._check_names(schema, path, document)
        if not self._meets_meta_schema(schema, path, document):
            self.rewrite(schema, path, document, path if not document else None)
            return False
        return True

    def _meets_meta_schema(self, schema: JsonSchema, path: SpecPath, document: str) -> bool:
        if (not document and path in self.valid) or meets_meta_schema(schema):
            if self.cache is not None:
                self.cache.put_valid(schema)
            return True
        problems = sorted(
            meta_validator().iter_errors(schema), key=lambda e: list(map(str, e.path))
        )
        for problem in problems:
            where = (*path, *problem.path)
            message, hint = problem.message, None
            if (
                problem.path
                and problem.path[-1] == "type"
                and not isinstance(problem.instance, list)
            ):
                message = f"{problem.instance!r} is not a JSON Schema type"
                if isinstance(problem.instance, str):
                    hint = did_you_mean(problem.instance, _JSON_TYPES)
            elif problem.validator == "format" and isinstance(problem.instance, str):
                message, hint = _bad_pattern(problem.instance)
            self.error(where, f"invalid JSON Schema: {message}", hint, document)
        return not problems

    def _check_names(self, schema: Any, path: SpecPath, document: str) -> None:
        """Every property name a schema uses (`required`, ...) that it does not declare."""
        for where, value in _schema_nodes(schema, path):
            for at, name in undeclared_names(value):
                declared = value["properties"]
                self.error(
                    (*where, *at),
                    f"{name!r} is not a declared property",
                    hint=did_you_mean(name, declared) or _known("properties", declared),
                    document=document,
                )

    def rewrite(
        self,
        schema: Any,
        path: SpecPath,
        document: str = "",
        root: SpecPath | None = None,
        wire: bool = False,
    ) -> Any:
        """A copy of `schema` with every `$ref` pointing at `#/$defs/<ClassName>`.

        `root` is where the schema being rewritten starts in the spec, so that its own
        local references (`#/$defs/x`) resolve inside it. The wire form (`wire`) keeps
        those verbatim, next to the schema's own `$defs`; a model gets a class for each.
        """
        if isinstance(schema, list):
            return [
                self.rewrite(item, (*path, i), document, root, wire)
                for i, item in enumerate(schema)
            ]
        if not isinstance(schema, dict):
            return schema
        result: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                result[key] = self.resolve_ref(value, (*path, key), document, root, wire)
            elif key in MAP_OF_SUBSCHEMAS:
                result[key] = (
                    {
                        k: self.rewrite(v, (*path, key, k), document, root, wire)
                        for k, v in value.items()
                    }
                    if isinstance(value, dict)
                    else value
                )
            elif key in DATA:
                result[key] = copy.deepcopy(value)
            else:
                result[key] = self.rewrite(value, (*path, key), document, root, wire)
        return result

    def resolve_ref(
        self,
        ref: str,
        path: SpecPath,
        document: str,
        root: SpecPath | None = None,
        wire: bool = False,
    ) -> str:
        file, _, fragment = ref.partition("#")
        keys = pointers.keys(fragment)
        local_path: SpecPath | None = None
        if file:
            if file in self.loaded.unloaded:
                return ref  # a remote reference: reported by `load`
            base = self._document(document).path.parent
            target_doc = _posix_relative(base / file, self.loaded.document.path.parent)
            if target_doc in self.loaded.unloaded:
                return ref  # a file not there, or not parsed: reported by `load`
        else:
            target_doc = document
            if document == "" and root is not None and _local_defs(keys):
                # A reference inside the schema itself: JSON Schema resolves `#` against
                # the schema's root, which sits at `root` in the spec.
                local_path = (*root, *keys)
                keys = [str(p) for p in local_path]
                if self._lookup(_Target("", tuple(keys)), ref, path, document, local=True) is None:
                    return ref
                if wire:
                    return ref
        if target_doc == "" and local_path is None:
            if len(keys) != 2 or keys[0] != "types" or not keys[1]:
                self.error(
                    path,
                    f"$ref {ref!r}: a spec refers to its types, as '#/types/<Name>', or "
                    "to the schema's own '#/$defs/<name>'",
                    document=document,
                )
                return ref
            name = keys[1]
            if name in self.broken_types:
                return ref
            if name not in self.spec.types:
                self.error(
                    path,
                    f"$ref {ref!r}: there is no type {name!r}",
                    hint=did_you_mean(name, self.spec.types) or _known("types", self.spec.types),
                    document=document,
                )
                return ref
        target = _Target(target_doc, tuple(keys))
        class_name = self.named.get(target)
        if class_name is None:
            value = self._lookup(target, ref, path, document)
            if value is None:
                return ref
            origin: SpecPath
            if local_path is not None:
                origin = local_path
            elif target_doc == "":
                origin = ("types", keys[1])
            else:
                origin = path
            stem = keys[-1] if keys else target_doc.rsplit("/", 1)[-1].split(".")[0]
            class_name = self.claim_class(model_class_name(to_class_name(stem)), origin)
            self.named[target] = class_name
            # Where the schema itself sits, for locating problems inside it.
            inside = origin if target_doc == "" else tuple(keys)
            self._pending.append((target, class_name, value, origin, inside))
        return DEFS_REF + class_name

    def _document(self, key: str) -> Document:
        return self.loaded.document if key == "" else self.loaded.external[key]

    def _lookup(
        self, target: _Target, ref: str, path: SpecPath, document: str, local: bool = False
    ) -> Any:
        if target.document not in self.loaded.external and target.document != "":
            self.error(path, f"$ref {ref!r}: the file was not loaded", document=document)
            return None
        value, _, missing = pointers.walk(self._document(target.document).data, target.keys)
        if missing is not None:
            siblings = list(value) if isinstance(value, dict) else []
            self.error(
                path,
                f"$ref {ref!r}: "
                + (
                    f"the schema defines no {missing!r}"
                    if local
                    else f"nothing at {ref.partition('#')[2]!r} in {target.document or 'the spec'}"
                ),
                hint=did_you_mean(missing, siblings),
                document=document,
            )
            return None
        if not isinstance(value, dict):
            self.error(
                path, f"$ref {ref!r} does not point at a schema (a table)", document=document
            )
            return None
        return value

    def drain_models(self) -> None:
        """Rewrite every referenced schema, which may reference more."""
        while self._pending:
            target, class_name, raw, origin, inside = self._pending.pop(0)
            if self.check_schema(raw, inside, target.document):
                root = inside if target.document == "" else None
                rewritten = self.rewrite(raw, inside, target.document, root)
                self.models.append(ModelIR(class_name, rewritten, origin))

    def model_for(
        self,
        class_name: ClassName,
        schema: JsonSchema,
        path: SpecPath,
        *,
        in_spec: bool = True,
    ) -> ClassName:
        """A model for an inline schema, or the shared model when the schema is a bare $ref.

        `in_spec` says the schema is the one written at `path` (not one mcpgen assembled),
        so its own local references resolve there.
        """
        root = path if in_spec else None
        if set(schema) == {"$ref"} and isinstance(schema["$ref"], str):
            ref = self.rewrite(schema, path, "", root)["$ref"]
            if ref.startswith(DEFS_REF):
                return ClassName(ref[len(DEFS_REF) :])
        self.claim_class(class_name, path)
        self.models.append(ModelIR(class_name, self.rewrite(schema, path, "", root), path))
        return class_name

    def wire_schema(self, schema: JsonSchema, path: SpecPath) -> JsonSchema:
        """The schema as advertised: self-contained, a bare root `$ref` inlined."""
        rewritten: JsonSchema = self.rewrite(schema, path, "", path, wire=True)
        defs_needed = dict.fromkeys(defs_refs(rewritten))
        if set(rewritten) == {"$ref"} and rewritten["$ref"].startswith(DEFS_REF):
            root_name = rewritten["$ref"][len(DEFS_REF) :]
            root = self._model_schema(ClassName(root_name))
            if root is not None:
                rewritten = copy.deepcopy(root)
                defs_needed = dict.fromkeys(defs_refs(rewritten))
        defs: dict[str, Any] = {}
        queue = list(defs_needed)
        while queue:
            name = queue.pop(0)
            if name in defs:
                continue
            model = self._model_schema(ClassName(name))
            if model is None:
                continue
            defs[name] = model
            queue.extend(defs_refs(model))
        if defs:
            own = rewritten.get("$defs", {})
            rewritten["$defs"] = {**own, **{k: defs[k] for k in sorted(defs)}}
        return rewritten

    def _model_schema(self, name: ClassName) -> JsonSchema | None:
        self.drain_models()
        for model in self.models:
            if model.class_name == name:
                return model.schema
        return None


def _schema_nodes(schema: Any, path: SpecPath) -> Iterator[tuple[SpecPath, JsonSchema]]:
    """Every schema object in `schema` (itself included), with its path."""
    pending: list[tuple[SpecPath, Any]] = [(path, schema)]
    while pending:
        where, node = pending.pop()
        if not isinstance(node, dict):
            continue
        yield where, node
        for key, value in node.items():
            if key in DATA:
                continue
            if key in MAP_OF_SUBSCHEMAS:
                if isinstance(value, dict):
                    pending += [((*where, key, name), sub) for name, sub in value.items()]
            elif isinstance(value, list):
                pending += [((*where, key, i), sub) for i, sub in enumerate(value)]
            else:
                pending.append(((*where, key), value))


def own_schemas(spec: Spec) -> list[tuple[SpecPath, JsonSchema]]:
    """The schemas written in the spec's own file that resolve checks against the
    meta-schema, by path: most of its checking, which `build_ir` can be told the outcome of."""
    found: list[tuple[SpecPath, Any]] = [(("types", name), s) for name, s in spec.types.items()]
    found += [
        (("errors", name, "data"), error.data)
        for name, error in spec.errors.items()
        if error.data is not None
    ]
    for index, tool in enumerate(spec.tools):
        found.append((("tools", index, "input"), tool.input))
        if tool.output is not None:
            found.append((("tools", index, "output"), tool.output))
    return [(path, schema) for path, schema in found if isinstance(schema, dict)]


@cache
def meta_validator() -> Draft202012Validator:
    """The published 2020-12 meta-schema, as `check_schema` uses it: its messages and paths
    are the ones users see, every one of them (`check_schema` raises the first only)."""
    meta = Draft202012Validator.META_SCHEMA
    return Draft202012Validator(meta, format_checker=patterns.format_checker())


def meets_meta_schema(schema: Any) -> bool:
    """Whether `schema` is a valid JSON Schema (2020-12); no diagnostics."""
    return fast_meta_validator().is_valid(schema)


@cache
def fast_meta_validator() -> Draft202012Validator:
    """The 2020-12 meta-schema flattened into one schema: the same verdicts, ~5x faster.

    The published meta-schema is seven vocabulary schemas joined by `allOf` and
    `$dynamicRef`, which jsonschema resolves through URI lookups at every node (most of
    resolve's time on a 500-tool spec). Merged into one document whose dynamic references
    point at its root, it accepts and refuses exactly the same schemas. Refusals are then
    re-checked with the published one, whose error messages and paths users see.
    """
    base = "https://json-schema.org/draft/2020-12/"
    top = SPECIFICATIONS.contents(f"{base}schema")
    flat: dict[str, Any] = {"type": ["object", "boolean"], "properties": {}, "$defs": {}}
    for part in [top, *(SPECIFICATIONS.contents(base + ref["$ref"]) for ref in top["allOf"])]:
        flat["properties"].update(part.get("properties", {}))
        flat["$defs"].update(part.get("$defs", {}))
    return Draft202012Validator(_local_refs(flat), format_checker=patterns.format_checker())


def _bad_pattern(pattern: str) -> tuple[str, str | None]:
    """The message and hint for a `pattern` (or `patternProperties` name) regress refuses."""
    message = (
        f"{pattern!r} is not a regular expression JSON Schema reads (ECMA-262 with the "
        f"u flag): {patterns.pattern_error(pattern)}"
    )
    rewritten = patterns.to_unicode_mode(pattern)
    return message, (f"write {rewritten!r}, which means the same" if rewritten else None)


def _local_refs(value: Any) -> Any:
    """Point the vocabularies' references into the flattened document."""
    if isinstance(value, list):
        return [_local_refs(item) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "$dynamicRef" and item == "#meta":
            result["$ref"] = "#"
        elif key == "$ref" and isinstance(item, str):
            result["$ref"] = "#" + item.split("#", 1)[1] if "#" in item else "#"
        else:
            result[key] = _local_refs(item)
    return result


def _local_defs(keys: list[str]) -> bool:
    """Whether a pointer names one of a schema's own definitions."""
    return len(keys) == 2 and keys[0] in ("$defs", "definitions") and bool(keys[1])


def _posix_relative(file: Path, base: Path) -> str:
    return Path(os.path.relpath(os.path.realpath(file), os.path.realpath(base))).as_posix()


def _show(path: SpecPath) -> str:
    return format_path(path)


def _known(kind: str, names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names))
    return f"known {kind}: {listed}" if listed else f"the spec declares no {kind}"


def _is_object_schema(schema: JsonSchema) -> bool:
    return schema.get("type") == "object"


def _check_unique(
    resolver: _Resolver,
    items: Iterable[tuple[str, SpecPath]],
    what: str,
    convert: Callable[[str], str],
    converted_what: str,
) -> set[SpecPath]:
    """Exact duplicates, and names that collide once converted to Python, name both places.

    Returns the paths of the later names, which the caller skips: their derived names
    (classes, modules) would only repeat the same clash.
    """
    flagged: set[SpecPath] = set()
    seen: dict[str, tuple[str, SpecPath]] = {}
    converted: dict[str, tuple[str, SpecPath]] = {}
    for name, path in items:
        if name in seen:
            first = seen[name][1]
            resolver.error(
                path,
                f"duplicate {what} {name!r}, first declared at {_show(first)} ({resolver.loaded.locate(first)})",
            )
            flagged.add(path)
            continue
        seen[name] = (name, path)
        python = convert(name)
        if python in converted:
            other, first = converted[python]
            resolver.error(
                path,
                f"{what} {name!r} and {other!r} ({_show(first)}, {resolver.loaded.locate(first)}) "
                f"both become the Python name {python!r}",
                hint=f"rename one of them so their {converted_what}s differ",
            )
            flagged.add(path)
            continue
        converted[python] = (name, path)
    return flagged


def build_ir(
    loaded: LoadedSpec,
    cache: ProjectCache | None = None,
    valid: frozenset[SpecPath] = frozenset(),
) -> tuple[SpecIR, list[Diagnostic]]:
    """Resolve a loaded spec into the IR and its warnings; raises SpecError on any error.

    `cache` only saves re-checking schemas that passed before, `valid` the schemas of
    `own_schemas` found to meet the meta-schema ahead (`meets_meta_schema`, elsewhere);
    the result is the same.
    """
    resolver = _Resolver(loaded, cache=cache, valid=valid)
    spec = loaded.spec
    server = _server(resolver)

    _report_ref_cycles(resolver)
    # Types first, so that their names win over derived ones in collision reports.
    for name in spec.types:
        if name in resolver.broken_types:
            continue
        resolver.resolve_ref("#" + pointers.fragment(("types", name)), ("types", name), "")
    resolver.drain_models()

    errors = _errors(resolver)
    http = _http(resolver, server)
    tools = _tools(resolver, errors)
    resources = _resources(resolver)
    templates = _templates(resolver)
    prompts = _prompts(resolver)
    resolver.drain_models()

    # What lies under a place `load` patched was reported there already, as itself.
    spec_file = loaded.document.display
    resolver.diagnostics = [
        d
        for d in resolver.diagnostics
        if d.location is None
        or d.location.file != spec_file
        or not any(d.path[: len(place)] == place for place in loaded.patched)
    ]
    resolver.diagnostics += loaded.problems
    resolver.diagnostics.sort(key=by_location)
    if has_errors(resolver.diagnostics):
        raise SpecError(resolver.diagnostics)
    models, tools = _models_read(resolver.models, tools, errors, templates, prompts)
    ir = SpecIR(
        server=server,
        models=models,
        errors=tuple(errors.values()),
        tools=tools,
        resources=resources,
        templates=templates,
        prompts=prompts,
        spec_file=loaded.document.path.name,
        spec_sha256=loaded.sha256,
        http=http,
    )
    return ir, resolver.diagnostics


def _models_read(
    models: list[ModelIR],
    tools: tuple[ToolIR, ...],
    errors: Mapping[str, ErrorIR],
    templates: tuple[TemplateIR, ...],
    prompts: tuple[PromptIR, ...],
) -> tuple[tuple[ModelIR, ...], tuple[ToolIR, ...]]:
    """The models some code reads, and the tools with the models of generated handlers dropped.

    User-owned handlers read their models, error classes their data, the runtime a template's
    parameters and a prompt's arguments; a type that no tool, error, template or prompt reaches
    is there for the user's own code. A generated HTTP handler reads none: it sends the
    arguments on as they came, checked against the input schema, and checks the answer against
    the output schema. Importing a large API, that is most of its models: GitHub's 1,223
    operations make ~3,000 classes that would take most of generation and seconds of a
    server's first tool call. Names were claimed before this, so switching a tool's handler
    renames no other model.
    """
    if all(tool.user_handler for tool in tools):
        return tuple(models), tools  # every handler is the user's: every model is read
    refs: dict[str, set[str]] = {m.class_name: set(defs_refs(m.schema)) for m in models}
    others: set[str] = {e.data_model for e in errors.values() if e.data_model}
    others.update(t.params_model for t in templates)
    others.update(p.arguments_model for p in prompts)
    tool_models: dict[str, set[str]] = {
        t.name: {m for m in (t.input_model, t.output_model) if m} for t in tools
    }
    # Types no item reaches, even through other types, are there for the user's own code.
    reached = _closure(others.union(*tool_models.values()), refs)
    read = others | ({m.class_name for m in models if m.origin[0] == "types"} - reached)
    kept: list[ToolIR] = []
    for tool in tools:
        if tool.user_handler:
            read |= tool_models[tool.name]
            kept.append(tool)
        else:
            kept.append(replace(tool, input_model=None, output_model=None))
    read = _closure(read, refs)
    return tuple(m for m in models if m.class_name in read), tuple(kept)


def _closure(names: set[str], refs: Mapping[str, set[str]]) -> set[str]:
    """`names` and every model they refer to, directly or not."""
    found = set(names)
    queue = list(names)
    while queue:
        for ref in refs.get(queue.pop(), ()):
            if ref not in found:
                found.add(ref)
                queue.append(ref)
    return found


def _report_ref_cycles(resolver: _Resolver) -> None:
    """A type that is only `$ref`s leading back to itself never reaches a schema."""
    types = resolver.spec.types
    for start in types:
        chain = [start]
        while True:
            target = _bare_type_ref(types[chain[-1]])
            if target is None or target not in types:
                break
            if target in chain:
                cycle = chain[chain.index(target) :]
                if not resolver.broken_types & set(cycle):
                    shown = " -> ".join(f"types.{t}" for t in [*cycle, target])
                    resolver.error(
                        ("types", cycle[0], "$ref"), f"$ref cycle: {shown} never reaches a schema"
                    )
                resolver.broken_types.update(cycle)
                break
            chain.append(target)


def _bare_type_ref(schema: Any) -> str | None:
    """`X` when a schema is nothing but `{"$ref": "#/types/X"}`."""
    if isinstance(schema, dict) and set(schema) == {"$ref"} and isinstance(schema["$ref"], str):
        file, _, fragment = schema["$ref"].partition("#")
        keys = pointers.keys(fragment)
        if not file and len(keys) == 2 and keys[0] == "types" and keys[1]:
            return keys[1]
    return None


def _unresolved(schema: JsonSchema) -> bool:
    """A root `$ref` that could not be inlined: already reported where it failed."""
    return set(schema) == {"$ref"}


def _server(resolver: _Resolver) -> ServerIR:
    section = resolver.spec.server
    package = PyIdent(section.package) if section.package else to_package_name(section.name)
    if package in _TAKEN_PACKAGES or package.rstrip("_") in _TAKEN_PACKAGES:
        resolver.error(
            ("server", "package" if section.package else "name"),
            f"the package name {package!r} would shadow a module the server imports",
            hint="set server.package to another name",
        )
    if package_version(section.version) == "0.1.0" != section.version:
        # Any other version has a PEP 440 form (`package_version`), which pyproject.toml
        # takes: no warning for what API descriptions write (`2016-06-10`, `v1beta1`).
        resolver.warning(
            ("server", "version"),
            f"{section.version!r} has no letter or digit to make a PEP 440 version of; the "
            "generated pyproject.toml starts at 0.1.0",
        )
    return ServerIR(
        name=section.name,
        version=section.version,
        title=section.title,
        description=section.description,
        instructions=section.instructions,
        website_url=section.website_url,
        package=package,
        lifespan=section.lifespan,
        limits=_limits(section),
    )


def _limits(section: ServerSection | Tool) -> LimitsIR | None:
    """The limits a section declares, or None when it sets neither kind."""
    if section.max_concurrency is None and section.rate_limit is None:
        return None
    rate = section.rate_limit
    return LimitsIR(
        max_concurrency=section.max_concurrency,
        rate_limit=(rate.calls, rate.per) if rate is not None else None,
        when_busy=section.when_busy,
        max_wait=section.max_wait,
    )


def _errors(resolver: _Resolver) -> dict[str, ErrorIR]:
    result: dict[str, ErrorIR] = {}
    for name, error in resolver.spec.errors.items():
        path: SpecPath = ("errors", name)
        class_name = resolver.claim_class(to_class_name(name), path)
        if -32768 <= error.code <= -32100:
            resolver.error(
                (*path, "code"),
                f"code {error.code} is reserved by JSON-RPC",
                hint="use -32000..-32099 (server errors) or a code outside -32768..-32000",
            )
        data_model: ClassName | None = None
        properties: Mapping[str, Any] = {}
        fields_known = True
        if error.data is not None and resolver.check_schema(error.data, (*path, "data")):
            data_schema = resolver.wire_schema(error.data, (*path, "data"))
            if _unresolved(data_schema):
                fields_known = False
            elif not _is_object_schema(data_schema):
                resolver.error(
                    (*path, "data"), 'error data must be an object schema (type = "object")'
                )
            else:
                data_model = resolver.model_for(
                    model_class_name(class_name, "Data"), error.data, (*path, "data")
                )
                properties = data_schema.get("properties", {})
        fields = _placeholders(error.message)
        if fields is None:
            resolver.error(
                (*path, "message"),
                "malformed message template (unbalanced '{' or '}')",
                hint="write a literal brace as '{{' or '}}'",
            )
        elif fields_known:
            for placeholder in fields:
                if placeholder not in properties:
                    resolver.error(
                        (*path, "message"),
                        f"placeholder {{{placeholder}}} is not a property of the error's data",
                        hint=did_you_mean(placeholder, properties)
                        or "declare it under data.properties",
                    )
        result[name] = ErrorIR(
            name=name,
            class_name=class_name,
            code=error.code,
            message=error.message,
            description=error.description,
            data_model=data_model,
            jsonrpc=error.jsonrpc,
            retryable=error.retryable,
        )
    return result


def _placeholders(template: str) -> list[str] | None:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        return None


_ANNOTATION_KEYS = (
    ("title", "title"),
    ("read_only", "read_only_hint"),
    ("destructive", "destructive_hint"),
    ("idempotent", "idempotent_hint"),
    ("open_world", "open_world_hint"),
)


def _check_tool_name(resolver: _Resolver, name: str, path: SpecPath) -> None:
    if len(name) > TOOL_NAME_HARD_LIMIT:
        resolver.error(
            path,
            f"tool name is {len(name)} characters long; MCP tool names have at most "
            f"{TOOL_NAME_HARD_LIMIT}",
        )
    elif not is_valid_tool_name(name):
        resolver.error(
            path, f"tool name {name!r} is not valid: MCP tool names match ^{TOOL_NAME_PATTERN}$"
        )
    elif len(name) > TOOL_NAME_SOFT_LIMIT:
        resolver.warning(
            path,
            f"tool name is {len(name)} characters long; clients that prefix tool names "
            f"cut them near {TOOL_NAME_SOFT_LIMIT}",
        )


def _tools(resolver: _Resolver, errors: Mapping[str, ErrorIR]) -> tuple[ToolIR, ...]:
    spec = resolver.spec
    named = [(t.name, ("tools", i, "name")) for i, t in enumerate(spec.tools)]
    clashing = _check_unique(resolver, named, "tool", to_ident, "Python identifier")
    tools: list[ToolIR] = []
    for index, tool in enumerate(spec.tools):
        path: SpecPath = ("tools", index)
        # A tool whose name clashes is checked all the same, but claims no class names:
        # its derived names would only repeat the clash.
        clashes = (*path, "name") in clashing
        if not clashes:
            _check_tool_name(resolver, tool.name, (*path, "name"))
        ident = to_ident(tool.name, prefix="tool")
        class_name = to_class_name(tool.name, prefix="Tool")
        input_schema: JsonSchema = {}
        input_model = model_class_name(class_name, "Input")
        input_valid = resolver.check_schema(tool.input, (*path, "input"))
        if input_valid:
            input_schema = resolver.wire_schema(tool.input, (*path, "input"))
            if not _is_object_schema(input_schema) and not _unresolved(input_schema):
                resolver.error(
                    (*path, "input"),
                    'a tool\'s input must be an object schema (type = "object")',
                    hint="put the arguments under input.properties",
                )
            if not clashes:
                input_model = resolver.model_for(input_model, tool.input, (*path, "input"))
        output_schema: JsonSchema | None = None
        output_model: ClassName | None = None
        if tool.output is not None and resolver.check_schema(tool.output, (*path, "output")):
            output_schema = resolver.wire_schema(tool.output, (*path, "output"))
            if not _is_object_schema(output_schema) and not _unresolved(output_schema):
                resolver.error(
                    (*path, "output"),
                    'a tool\'s output must be an object schema (type = "object"): '
                    "MCP structured content is a JSON object",
                    hint="wrap the value in an object property, e.g. { result = ... }",
                )
            if not clashes:
                output_model = resolver.model_for(
                    model_class_name(class_name, "Output"), tool.output, (*path, "output")
                )
        if output_schema is not None:
            output_schema = readable_by_python_clients(output_schema)
        if tool.task_starts != "at_once" and tool.task_support == "forbidden":
            resolver.error(
                (*path, "task_starts"),
                "task_starts applies to a tool that runs as a task",
                hint='set task_support = "optional" or "required"',
            )
        if tool.stream and tool.output is not None:
            resolver.error(
                (*path, "stream"),
                "a streaming tool's result is the chunks it yielded; it has no output schema",
                hint="drop `output`, or drop `stream` and return the structured result",
            )
        declared: list[ErrorIR] = []
        for position, error_name in enumerate(tool.errors):
            found = errors.get(error_name)
            if found is None:
                resolver.error(
                    (*path, "errors", position),
                    f"unknown error type {error_name!r}",
                    hint=did_you_mean(error_name, errors) or _known("errors", errors),
                )
            elif found not in declared:
                declared.append(found)
        http: HttpOperationIR | None = None
        if tool.http is not None:
            http = _tool_http(resolver, tool, path, input_schema, output_schema, errors)
        if input_schema and _is_object_schema(input_schema):
            validator = patterns.EcmaValidator(input_schema)
            for position, example in enumerate(tool.examples):
                for problem in sorted(
                    validator.iter_errors(example), key=lambda e: list(map(str, e.path))
                ):
                    resolver.error(
                        (*path, "examples", position, *problem.path),
                        f"example does not match the input schema: {problem.message}",
                    )
        if tool.examples and isinstance(tool.input, dict):
            # The names an example uses are checked even against an input schema with
            # mistakes of its own: a misspelled key is a mistake apart.
            known = input_schema or resolver.wire_schema(tool.input, (*path, "input"))
            for position, example in enumerate(tool.examples):
                _check_example_keys(resolver, example, known, known, (*path, "examples", position))
        if clashes:
            continue
        annotations: tuple[tuple[str, Any], ...] = ()
        if tool.annotations is not None:
            annotations = tuple(
                (wire, getattr(tool.annotations, key))
                for key, wire in _ANNOTATION_KEYS
                if getattr(tool.annotations, key) is not None
            )
        tools.append(
            ToolIR(
                name=tool.name,
                ident=ident,
                class_name=class_name,
                title=tool.title,
                description=tool.description,
                annotations=annotations,
                input_model=input_model,
                output_model=output_model,
                input_schema=input_schema,
                output_schema=output_schema,
                progress=tool.progress,
                cancellable=tool.cancellable,
                limits=_limits(tool),
                output_validation=tool.output_validation == "strict",
                timeout=tool.timeout,
                stream=tool.stream,
                task_support=tool.task_support,
                task_starts=tool.task_starts,
                meta=tool.meta,
                errors=tuple(declared),
                examples=tuple(tool.examples),
                path=path,
                http=http,
            )
        )
    return tuple(tools)


def _check_example_keys(
    resolver: _Resolver, value: Any, schema: Any, root: JsonSchema, path: SpecPath
) -> None:
    """Keys of an example that no property declares, where the schema admits no others but
    does not say so (`additionalProperties = false` makes the example invalid, reported as
    such): a valid example may carry them, which is how a misspelled argument hides, and the
    handler would never see them."""
    schema = _deref(root, schema)
    if not isinstance(schema, dict):
        return
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _check_example_keys(resolver, item, schema["items"], root, (*path, index))
        return
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        return
    closed = not any(k in schema for k in (*COMPOSING, *BRANCHING, *OPENING))
    for key, item in value.items():
        if key in properties:
            _check_example_keys(resolver, item, properties[key], root, (*path, key))
        elif closed:
            resolver.error(
                (*path, key),
                f"example key {key!r} is not a declared property",
                hint=did_you_mean(key, properties) or _known("properties", properties),
            )


# The styles OpenAPI allows in each place, the default first.
_PARAM_STYLES: dict[str, tuple[str, ...]] = {
    "path": ("simple", "label", "matrix"),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}
_HTTP_STATUS_KEY = re.compile(r"[1-5][0-9][0-9]|[1-5]XX|default")
_PATH_VARIABLE = re.compile(r"\{([^{}]*)\}")
# The runtime class of each credential scheme.
_AUTH_CLASSES = {
    "bearer": "Bearer",
    "api_key": "ApiKey",
    "basic": "Basic",
    "oauth2_client_credentials": "OAuth2ClientCredentials",
}


def _http(resolver: _Resolver, server: ServerIR) -> HttpIR | None:
    """The `[http]` section: where the API is, and its credential schemes."""
    section = resolver.spec.http
    if section is None:
        return None
    env = section.base_url_env or f"{server.package.upper()}_BASE_URL"
    if not re.match(r"^https?://", section.base_url, re.IGNORECASE):
        resolver.warning(
            ("http", "base_url"),
            f"base_url {section.base_url!r} is not an absolute http(s) URL",
            hint=f"the server needs {env} set to one at run time",
        )
    schemes: list[HttpAuthIR] = []
    for name, scheme in section.auth.items():
        fields: tuple[tuple[str, Any], ...]
        if isinstance(scheme, BearerAuth):
            fields = (("env", scheme.env),)
        elif isinstance(scheme, ApiKeyAuth):
            fields = (("location", scheme.in_), ("name", scheme.name), ("env", scheme.env))
        elif isinstance(scheme, BasicAuth):
            fields = (("username_env", scheme.username_env), ("password_env", scheme.password_env))
        else:
            scheme_of = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", scheme.token_url)
            if scheme_of is not None and scheme_of[1].lower() not in ("http", "https"):
                resolver.error(
                    ("http", "auth", name, "token_url"),
                    f"token_url {scheme.token_url!r} is not an http(s) URL",
                    hint="an absolute http(s) URL, or one relative to base_url (`/oauth/token`)",
                )
            fields = (
                ("token_url", scheme.token_url),
                ("client_id_env", scheme.client_id_env),
                ("client_secret_env", scheme.client_secret_env),
            )
            if scheme.scopes:
                fields += (("scopes", list(scheme.scopes)),)
        schemes.append(HttpAuthIR(name, _AUTH_CLASSES[scheme.type], fields))
    _check_security(resolver, section.security, ("http", "security"))
    return HttpIR(
        base_url=section.base_url,
        base_url_env=env,
        timeout=section.timeout,
        retries=section.retries,
        deadline=section.deadline,
        auth=tuple(schemes),
        security=tuple(tuple(alternative) for alternative in section.security),
    )


def _check_security(resolver: _Resolver, security: list[list[str]], path: SpecPath) -> None:
    section = resolver.spec.http
    if section is None:
        return
    for i, alternative in enumerate(security):
        for j, name in enumerate(alternative):
            if name not in section.auth:
                resolver.error(
                    (*path, i, j),
                    f"unknown security scheme {name!r}",
                    hint=did_you_mean(name, section.auth)
                    or _known("[http.auth] schemes", section.auth),
                )


def _deref(root: JsonSchema, schema: Any) -> Any:
    """A property's schema, a `$ref` into the root's `$defs` followed."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 16:
        name = schema["$ref"].removeprefix(DEFS_REF)
        schema = root.get("$defs", {}).get(name)
        seen += 1
    return schema


def _tool_http(
    resolver: _Resolver,
    tool: Tool,
    path: SpecPath,
    input_schema: JsonSchema,
    output_schema: JsonSchema | None,
    errors: Mapping[str, ErrorIR],
) -> HttpOperationIR | None:
    """A tool's HTTP binding, checked against its input, output and errors."""
    binding = tool.http
    assert binding is not None
    where: SpecPath = (*path, "http")
    if resolver.spec.http is None:
        resolver.error(
            where,
            "a tool with an http binding needs the top-level [http] section",
            hint='add [http] with base_url = "https://..."',
        )
    if tool.stream:
        resolver.error(
            (*path, "stream"),
            "an http tool's result is the API's answer; it cannot stream",
            hint="drop `stream`",
        )
    # When the input did not resolve, its problem is reported already: check no further.
    inputs_known = bool(input_schema) and _is_object_schema(input_schema)
    properties: dict[str, Any] = input_schema.get("properties", {}) if inputs_known else {}
    required = set(input_schema.get("required", [])) if inputs_known else set()

    in_path = _PATH_VARIABLE.findall(binding.path)
    if "{" in _PATH_VARIABLE.sub("", binding.path) or "}" in _PATH_VARIABLE.sub("", binding.path):
        resolver.error((*where, "path"), "unbalanced '{' or '}' in the path")
    for mark, what, hint in (
        ("?", "a query", "put its fixed items in http.query and the rest in http.params"),
        ("#", "a fragment", "a URL's fragment is never sent: drop it"),
    ):
        if mark in binding.path:
            resolver.error(
                (*where, "path"),
                f"the path {binding.path!r} holds {what} ({mark!r})",
                hint=hint,
            )
    fixed = _fixed_query_names(resolver, binding.query, (*where, "query"))
    for name in in_path:
        if not name:
            resolver.error((*where, "path"), "an empty {} in the path")
    params: list[HttpParamIR] = []
    wires: dict[tuple[str, str], str] = {}
    path_wires: set[str] = set()
    for key, param in binding.params.items():
        at: SpecPath = (*where, "params", key)
        if inputs_known and key not in properties:
            resolver.error(
                at,
                f"{key!r} is not a property of the tool's input",
                hint=did_you_mean(key, properties) or _known("input properties", properties),
            )
        wire = param.name or key
        allowed = _PARAM_STYLES[param.in_]
        style = param.style or allowed[0]
        if style not in allowed:
            resolver.error(
                (*at, "style"),
                f"style {style!r} does not apply to a {param.in_} parameter",
                hint=f"{param.in_} parameters take {', '.join(allowed)}",
            )
        explode = param.explode if param.explode is not None else style == "form"
        if param.allow_reserved and param.in_ != "query":
            resolver.error(
                (*at, "allow_reserved"),
                f"allow_reserved applies to query parameters, not to a {param.in_} parameter",
            )
        if param.in_ == "query" and wire in fixed:
            resolver.error(
                at,
                f"query parameter {wire!r} is already sent by http.query ({binding.query!r})",
                hint="drop one of them",
            )
        if param.in_ == "path":
            path_wires.add(wire)
            if wire not in in_path:
                resolver.error(
                    at,
                    f"path parameter {wire!r} does not appear in the path {binding.path!r}",
                    hint=did_you_mean(wire, in_path)
                    or f"write {{{wire}}} in the path, or send it elsewhere",
                )
            if inputs_known and key in properties and key not in required:
                resolver.error(
                    at,
                    f"path parameter {key!r} must be a required input property",
                    hint=f"add {key!r} to input.required",
                )
        # Header names are case-insensitive on the wire.
        slot = (param.in_, wire.lower() if param.in_ == "header" else wire)
        if slot in wires:
            resolver.error(
                at, f"{param.in_} parameter {wire!r} is already sent for {wires[slot]!r}"
            )
        wires[slot] = key
        if param.content_type is not None and not _JSON_MEDIA.fullmatch(param.content_type):
            resolver.error(
                (*at, "content_type"),
                f"content_type {param.content_type!r}: a parameter's content can be JSON only",
                hint='content_type = "application/json", or a style',
            )
        json_content = param.content_type is not None
        params.append(
            HttpParamIR(key, wire, param.in_, style, explode, param.allow_reserved, json_content)
        )
    for name in dict.fromkeys(in_path):
        if name and name not in path_wires:
            resolver.error(
                (*where, "path"),
                f"{{{name}}} in the path has no parameter",
                hint=f'add params.{name} = {{ in = "path" }} (a required input property)',
            )

    body_type: str | None = None
    body_property: str | None = None
    body_base64 = False
    body_encoding: tuple[HttpEncodingIR, ...] = ()
    if binding.body is not None:
        body_type = _body_content_type(resolver, binding.body.content_type, (*where, "body"))
        body_property = binding.body.property
        if body_property is not None:
            at = (*where, "body", "property")
            if inputs_known and body_property not in properties:
                resolver.error(
                    at,
                    f"{body_property!r} is not a property of the tool's input",
                    hint=did_you_mean(body_property, properties)
                    or _known("input properties", properties),
                )
            elif body_property in binding.params:
                resolver.error(at, f"{body_property!r} is already sent as a parameter")
            elif inputs_known:
                schema = _deref(input_schema, properties[body_property])
                body_base64 = (
                    body_type == "application/octet-stream"
                    and isinstance(schema, dict)
                    and schema.get("contentEncoding") == "base64"
                )
        elif body_type in ("text/plain", "application/octet-stream"):
            resolver.error(
                (*where, "body"),
                f"the body ({body_type}) is one value: name the input property holding it",
                hint='set body.property = "<property>"',
            )
        if inputs_known:
            if body_property is None:
                fields = {k: v for k, v in properties.items() if k not in binding.params}
                known_fields = True
            else:
                # Known when its schema lists them (through one `$ref`), as the importer reads it.
                whole = _deref(input_schema, properties.get(body_property))
                listed = whole.get("properties") if isinstance(whole, dict) else None
                fields = listed if isinstance(listed, dict) else {}
                known_fields = isinstance(listed, dict)
            body_encoding = _body_encoding(
                resolver, binding.body, (*where, "body"), input_schema, fields, known_fields
            )
    elif inputs_known:
        unsent = [name for name in properties if name not in binding.params]
        if unsent:
            resolver.warning(
                where,
                "input properties that go nowhere (no parameter, and no body): "
                + ", ".join(map(repr, unsent)),
                hint="list them under http.params, or declare http.body",
            )

    response = binding.response
    if response.content_type != "application/json" and tool.output is not None:
        resolver.error(
            (*where, "response", "content_type"),
            f"a {response.content_type!r} answer is not structured content: the tool has no "
            "output schema",
            hint='drop `output`, or answer "application/json"',
        )
    if response.wrap is not None:
        at = (*where, "response", "wrap")
        if response.content_type != "application/json":
            resolver.error(at, "wrap places a JSON answer in the output; this answer is not JSON")
        elif tool.output is None:
            resolver.error(
                at,
                f"wrap needs an output schema with the property {response.wrap!r}",
                hint=f'output = {{ type = "object", required = ["{response.wrap}"], '
                f"properties.{response.wrap} = <the answer's schema> }}",
            )
        elif output_schema is not None and not _unresolved(output_schema):
            wrapped = output_schema.get("properties", {})
            if response.wrap not in wrapped:
                resolver.error(
                    at,
                    f"the output schema has no property {response.wrap!r} to hold the answer",
                    hint=did_you_mean(response.wrap, wrapped) or "add it to output.properties",
                )

    mapped: list[HttpErrorIR] = []
    for status, error_name in binding.errors.items():
        at = (*where, "errors", status)
        if not _HTTP_STATUS_KEY.fullmatch(status):
            resolver.error(
                at,
                f"{status!r} is not an HTTP status (100-599), a range (1XX-5XX) or 'default'",
            )
            continue
        found = errors.get(error_name)
        if found is None:
            resolver.error(
                at,
                f"unknown error type {error_name!r}",
                hint=did_you_mean(error_name, errors) or _known("errors", errors),
            )
            continue
        if error_name not in tool.errors:
            resolver.error(
                at,
                f"error type {error_name!r} is not among the tool's errors",
                hint=f"add {error_name!r} to the tool's `errors`",
            )
            continue
        if not _fits_http_error(resolver, error_name):
            resolver.error(
                at,
                f"error type {error_name!r} is raised for HTTP answers, so its data is "
                "{status, body}: it must declare the property `status` and require no "
                "other than `status` and `body`",
                hint='data = { type = "object", required = ["status"], properties = '
                '{ status = { type = "integer" }, body = {} } }',
            )
            continue
        mapped.append(HttpErrorIR(status, found))
    mapped.sort(key=lambda e: (e.status == "default", "X" in e.status, e.status))

    security = binding.security
    if security is not None:
        _check_security(resolver, security, (*where, "security"))
    if binding.base_url is not None and not re.match(r"^https?://", binding.base_url, re.I):
        resolver.error(
            (*where, "base_url"),
            f"base_url {binding.base_url!r} is not an absolute http(s) URL",
            hint="drop it to call the API's [http].base_url",
        )
    return HttpOperationIR(
        method=binding.method,
        path=binding.path,
        query=binding.query,
        operation_id=binding.operation_id,
        base_url=binding.base_url.rstrip("/") if binding.base_url else None,
        custom=binding.handler == "custom",
        params=tuple(params),
        body_content_type=body_type,
        body_property=body_property,
        body_base64=body_base64,
        body_encoding=body_encoding,
        response_content_type=response.content_type,
        wrap=response.wrap,
        errors=tuple(mapped),
        security=tuple(tuple(a) for a in security) if security is not None else None,
    )


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_JSON_MEDIA = re.compile(r"application/([\w.-]+\+)?json(\s*;.*)?", re.IGNORECASE)
# Where a JSON Schema pattern that Python's `re` cannot read goes in an advertised output
# schema (the runtime reads it as `pattern`). JSON Schema's patterns are ECMA-262
# (`\p{L}`: 494 patterns of 99 directory documents), but the SDK's client checks every
# result against the output schema with jsonschema, whose `re` refuses them: it raised
# "Invalid schema for tool" on every call of such a tool. Clients ignore an `x-` keyword.
ECMA_PATTERN_KEYWORD = "x-ecma262-pattern"


def readable_by_python_clients(schema: Any) -> Any:
    """`schema` with each `pattern` Python's `re` cannot compile under ECMA_PATTERN_KEYWORD."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str) and not _python_reads(value):
            out[ECMA_PATTERN_KEYWORD] = value
        elif key in MAP_OF_SUBSCHEMAS and isinstance(value, dict):
            out[key] = {name: readable_by_python_clients(sub) for name, sub in value.items()}
        elif key in ONE_SUBSCHEMA:
            out[key] = readable_by_python_clients(value)
        elif key in LIST_OF_SUBSCHEMAS and isinstance(value, list):
            out[key] = [readable_by_python_clients(sub) for sub in value]
        else:
            out[key] = value
    return out


def _python_reads(pattern: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": it compiles
        try:
            re.compile(pattern)
        except re.error:
            return False
    return True


# How a request body can be sent: JSON (application/json or any `+json` type, named as the
# API names it: Kubernetes' PATCH takes only merge-patch and its kin), or one of these.
_BODY_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)


def _body_content_type(resolver: _Resolver, kind: str, at: SpecPath) -> str:
    """The body's media type, lower-cased; a located error when none the client can send."""
    kind = kind.strip().lower()
    if kind in _BODY_TYPES or re.fullmatch(r"application/[\w.-]+\+json", kind):
        return kind
    resolver.error(
        (*at, "content_type"),
        f"a body cannot be sent as {kind!r}",
        hint="JSON (application/json or another +json type), "
        + ", ".join(repr(k) for k in _BODY_TYPES[1:]),
    )
    return "application/json"


# OpenAPI's Encoding contentType: media types (wildcards allowed), comma-separated.
_MEDIA_TYPES = re.compile(
    r"[\w.+*-]+/[\w.+*-]+(\s*;[^,]*)?(\s*,\s*[\w.+*-]+/[\w.+*-]+(\s*;[^,]*)?)*"
)


def _body_encoding(
    resolver: _Resolver,
    body: HttpBody,
    where: SpecPath,
    root: JsonSchema,
    fields: Mapping[str, Any],
    known_fields: bool,
) -> tuple[HttpEncodingIR, ...]:
    """A form body's encoding table, checked, OpenAPI's defaults applied; in multipart, a
    property holding base64 text (`contentEncoding`) is sent as bytes, declared or not."""
    if body.encoding and body.content_type not in _FORM_TYPES:
        resolver.error(
            (*where, "encoding"),
            f"encoding applies to form bodies ({', '.join(_FORM_TYPES)}), not to "
            f"{body.content_type}",
            hint="drop it",
        )
        return ()
    multipart = body.content_type == "multipart/form-data"
    found: list[HttpEncodingIR] = []
    for name, encoding in body.encoding.items():
        at: SpecPath = (*where, "encoding", name)
        if known_fields and name not in fields:
            resolver.error(
                at,
                f"{name!r} is not a property of the body",
                hint=did_you_mean(name, fields) or _known("body properties", fields),
            )
            continue
        styled = (encoding.style, encoding.explode, encoding.allow_reserved) != (None,) * 3
        style = (encoding.style or "form") if styled else None
        explode = encoding.explode if encoding.explode is not None else style == "form"
        if style == "deepObject" and not explode:
            resolver.error(
                (*at, "explode"),
                "deepObject without explode is undefined in OpenAPI",
                hint="drop `explode = false`",
            )
        kind = encoding.content_type
        if kind is not None and not _MEDIA_TYPES.fullmatch(kind):
            resolver.error((*at, "content_type"), f"{kind!r} is not a media type (or a list)")
        elif kind is not None and styled:
            resolver.warning(
                (*at, "content_type"),
                "content_type is ignored: style, explode and allow_reserved serialise the "
                "property (OpenAPI)",
            )
        binary = multipart and not styled and _holds_base64(root, fields.get(name))
        found.append(
            HttpEncodingIR(name, style, explode, bool(encoding.allow_reserved), kind, binary)
        )
    if multipart:
        listed = set(body.encoding)
        found.extend(
            HttpEncodingIR(name, None, True, False, None, True)
            for name, schema in fields.items()
            if name not in listed and _holds_base64(root, schema)
        )
    return tuple(found)


def _holds_base64(root: JsonSchema, schema: Any) -> bool:
    """Whether a property holds base64 text (bytes, in JSON), or an array of it."""
    schema = _deref(root, schema)
    if isinstance(schema, dict) and schema.get("type") == "array":
        schema = _deref(root, schema.get("items"))
    return isinstance(schema, dict) and schema.get("contentEncoding") == "base64"


# A query's text (RFC 3986: pchar, "/" and "?"), with "&" and "=" as form-urlencoding uses them.
_QUERY_CHARACTER = re.compile(r"[A-Za-z0-9\-._~!$'()*+,;:@/?=]|%[0-9A-Fa-f]{2}")


def _fixed_query_names(resolver: _Resolver, query: str | None, where: SpecPath) -> set[str]:
    """The names a fixed query sends (percent-decoded); reports text no URL can carry."""
    if query is None:
        return set()
    names: set[str] = set()
    for item in query.split("&"):
        rest = _QUERY_CHARACTER.sub("", item)
        if not item:
            resolver.error(
                where,
                f"{query!r} is not a query string: it has an empty item",
                hint="separate items with a single '&', without a leading '?'",
            )
            continue
        if rest:
            resolver.error(
                where,
                f"{query!r} is not a query string: {rest[0]!r} cannot stand in it as it is",
                hint="percent-encode it",
            )
            continue
        names.add(unquote(item.partition("=")[0]))
    return names


def _fits_http_error(resolver: _Resolver, name: str) -> bool:
    """Whether the error type's data can be made of an HTTP answer: {status, body}."""
    data = resolver.spec.errors[name].data
    if data is None:
        return False
    schema = resolver.wire_schema(data, ("errors", name, "data"))
    if _unresolved(schema):
        return True  # reported where it failed
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    return "status" in properties and required <= {"status", "body"}


def _resources(resolver: _Resolver) -> tuple[ResourceIR, ...]:
    spec = resolver.spec
    _check_unique(
        resolver,
        [(r.uri, ("resources", i, "uri")) for i, r in enumerate(spec.resources)],
        "resource URI",
        lambda uri: uri,
        "URI",
    )
    _check_unique(
        resolver,
        [(r.name, ("resources", i, "name")) for i, r in enumerate(spec.resources)],
        "resource",
        to_ident,
        "Python identifier",
    )
    resources = []
    for index, resource in enumerate(spec.resources):
        path: SpecPath = ("resources", index)
        if "{" in resource.uri:
            resolver.error(
                (*path, "uri"),
                "a static resource URI has no variables",
                hint="declare it under [[resource_templates]] with uri_template",
            )
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", resource.uri):
            resolver.error((*path, "uri"), f"{resource.uri!r} is not an absolute URI (scheme:...)")
        resources.append(
            ResourceIR(
                uri=resource.uri,
                name=resource.name,
                ident=to_ident(resource.name, prefix="resource"),
                title=resource.title,
                description=resource.description,
                mime_type=resource.mime_type,
                text=resource.text,
                subscribe=resource.subscribe,
                meta=resource.meta,
                path=path,
            )
        )
    return tuple(resources)


def _templates(resolver: _Resolver) -> tuple[TemplateIR, ...]:
    spec = resolver.spec
    _check_unique(
        resolver,
        [
            (t.name, ("resource_templates", i, "name"))
            for i, t in enumerate(spec.resource_templates)
        ],
        "resource template",
        to_ident,
        "Python identifier",
    )
    _check_unique(
        resolver,
        [
            (t.uri_template, ("resource_templates", i, "uri_template"))
            for i, t in enumerate(spec.resource_templates)
        ],
        "URI template",
        lambda text: text,
        "text",
    )
    templates = []
    for index, template in enumerate(spec.resource_templates):
        path: SpecPath = ("resource_templates", index)
        variables, problem = template_variables(template.uri_template)
        if problem is not None:
            resolver.error((*path, "uri_template"), f"invalid URI template: {problem}")
        elif not variables:
            resolver.error(
                (*path, "uri_template"),
                "a URI template needs at least one {variable}",
                hint="a fixed URI belongs under [[resources]]",
            )
        elif UriPattern.parse(template.uri_template) is None:
            # Valid RFC 6570, but the SDK's router would refuse it when the first URI comes.
            resolver.error(
                (*path, "uri_template"),
                "the MCP SDK cannot match URIs against this template",
                hint="it does not support prefix modifiers ({var:3}), two variables side by "
                "side ({a}{b}), two multi-segment variables, or {var*} outside a path or query",
            )
        names = [v[0] for v in variables]
        for param in template.params:
            if problem is None and param not in names:
                resolver.error(
                    (*path, "params", param),
                    f"{param!r} is not a variable of the template",
                    hint=did_you_mean(param, names) or f"its variables: {', '.join(names)}",
                )
        for position, argument in enumerate(template.complete):
            if problem is None and argument not in names:
                resolver.error(
                    (*path, "complete", position),
                    f"{argument!r} is not a variable of the template",
                    hint=did_you_mean(argument, names),
                )
        class_name = to_class_name(template.name, prefix="Template")
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, operator, explode in variables:
            given = template.params.get(name)
            if given is not None and resolver.check_schema(given, (*path, "params", name)):
                properties[name] = given
            else:
                properties[name] = (
                    {"type": "array", "items": {"type": "string"}}
                    if explode
                    else {"type": "string"}
                )
            if operator not in QUERY_OPERATORS:
                required.append(name)
        params_schema: JsonSchema = {"type": "object", "properties": properties}
        if required:
            params_schema["required"] = required
        params_model = resolver.model_for(
            model_class_name(class_name, "Params"), params_schema, path, in_spec=False
        )
        templates.append(
            TemplateIR(
                uri_template=template.uri_template,
                name=template.name,
                ident=to_ident(template.name, prefix="template"),
                class_name=class_name,
                title=template.title,
                description=template.description,
                mime_type=template.mime_type,
                params_model=params_model,
                variables=tuple(names),
                completers=tuple(
                    CompleterIR(argument, to_ident(f"complete_{argument}"))
                    for argument in template.complete
                ),
                subscribe=template.subscribe,
                meta=template.meta,
                path=path,
            )
        )
    # Most specific first, and the first match serves: two templates that one URI matches
    # must differ in specificity, or the order between them is an accident of their text.
    texts = [t.uri_template for t in spec.resource_templates]
    for first, second, uri in find_overlaps(texts):
        first_path: SpecPath = ("resource_templates", first, "uri_template")
        resolver.error(
            ("resource_templates", second, "uri_template"),
            f"{texts[first]!r} ({_show(first_path)}, {resolver.loaded.locate(first_path)}) "
            f"and {texts[second]!r} both match {uri!r}; which one serves it depends on order",
            hint="make one of them more specific (more literal text, or fewer variables), "
            "or merge them into one template",
        )
    templates.sort(key=lambda t: template_specificity(t.uri_template))
    return tuple(templates)


def _prompts(resolver: _Resolver) -> tuple[PromptIR, ...]:
    spec = resolver.spec
    _check_unique(
        resolver,
        [(p.name, ("prompts", i, "name")) for i, p in enumerate(spec.prompts)],
        "prompt",
        to_ident,
        "Python identifier",
    )
    prompts = []
    for index, prompt in enumerate(spec.prompts):
        path: SpecPath = ("prompts", index)
        names = [a.name for a in prompt.arguments]
        _check_unique(
            resolver,
            [(a.name, (*path, "arguments", i, "name")) for i, a in enumerate(prompt.arguments)],
            "prompt argument",
            to_ident,
            "Python identifier",
        )
        for position, argument in enumerate(prompt.complete):
            if argument not in names:
                resolver.error(
                    (*path, "complete", position),
                    f"{argument!r} is not an argument of the prompt",
                    hint=did_you_mean(argument, names),
                )
        class_name = to_class_name(prompt.name, prefix="Prompt")
        schema: JsonSchema = {
            "type": "object",
            "properties": {
                a.name: {
                    "type": "string",
                    **({"description": a.description} if a.description else {}),
                }
                for a in prompt.arguments
            },
        }
        required = [a.name for a in prompt.arguments if a.required]
        if required:
            schema["required"] = required
        arguments_model = resolver.model_for(
            model_class_name(class_name, "Arguments"), schema, path, in_spec=False
        )
        prompts.append(
            PromptIR(
                name=prompt.name,
                ident=to_ident(prompt.name, prefix="prompt"),
                class_name=class_name,
                title=prompt.title,
                description=prompt.description,
                arguments=tuple(
                    PromptArgumentIR(a.name, a.description, a.required) for a in prompt.arguments
                ),
                arguments_model=arguments_model,
                completers=tuple(
                    CompleterIR(argument, to_ident(f"complete_{argument}"))
                    for argument in prompt.complete
                ),
                meta=prompt.meta,
                path=path,
            )
        )
    return tuple(prompts)
