"""What every part of resolve shares: the `Resolver`, which holds the spec, its diagnostics and
the class names taken, and resolves the spec's schemas: `$ref`s (to spec types, a schema's own
`$defs`, files beside the spec) become one shared model each, wire schemas are made
self-contained, and every schema is checked against the JSON Schema meta-schema.
"""

from __future__ import annotations

import copy
import os.path
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcpgen import pointers
from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import Diagnostic, SpecPath, did_you_mean, format_path
from mcpgen.ir import JsonSchema, ModelIR
from mcpgen.load import Document, LoadedSpec
from mcpgen.meta_schema import bad_pattern, meets_meta_schema, meta_validator
from mcpgen.names import ClassName, model_class_name, to_class_name
from mcpgen.schema_keywords import DATA, DEFS_REF, MAP_OF_SUBSCHEMAS, defs_refs, undeclared_names
from mcpgen.spec import Spec

_JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


@dataclass(frozen=True)
class _Target:
    """Where a `$ref` points: a document (`""` is the spec) and the keys of a JSON pointer
    in it, decoded: two spellings of one place (`a b`, `a%20b`) are one target."""

    document: str
    keys: tuple[str, ...]


@dataclass
class Resolver:
    """One resolution's state: the loaded spec, its diagnostics so far, the class names taken
    (and by whom), and the shared models its schemas' `$ref`s have made."""

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
                f"class name {name!r} is already taken by {format_path(owner)} ({where})",
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
                message, hint = bad_pattern(problem.instance)
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
                    hint=did_you_mean(name, declared) or known_names("properties", declared),
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
                    hint=did_you_mean(name, self.spec.types)
                    or known_names("types", self.spec.types),
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
        if set(rewritten) == {"$ref"} and rewritten["$ref"].startswith(DEFS_REF):
            root_name = rewritten["$ref"][len(DEFS_REF) :]
            root = self._model_schema(ClassName(root_name))
            if root is not None:
                rewritten = copy.deepcopy(root)
        # Only what the schema reaches goes on the wire: the models it refers to and those
        # they refer to, and of the schema's own `$defs` the entries something refers to (a
        # spec refers to them only as `#/$defs/<name>`, which `defs_refs` reads). A model
        # takes the place of an own entry of its name, as it always has.
        own: dict[str, Any] = rewritten.get("$defs", {})
        body = {k: v for k, v in rewritten.items() if k != "$defs"}
        defs: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        queue = [*defs_refs(body), *_own_refs(body)]
        while queue:
            name = queue.pop(0)
            if name in defs or name in kept:
                continue
            model = self._model_schema(ClassName(name))
            if model is not None:
                defs[name] = model
                queue.extend(defs_refs(model))
            elif name in own:
                kept[name] = own[name]
                queue.extend([*defs_refs(own[name]), *_own_refs(own[name])])
        if defs or kept:
            # Where the spec wrote its `$defs`, else last.
            rewritten["$defs"] = {
                **{k: v for k, v in own.items() if k in kept},
                **{k: defs[k] for k in sorted(defs)},
            }
        else:
            rewritten.pop("$defs", None)
        return rewritten

    def _model_schema(self, name: ClassName) -> JsonSchema | None:
        self.drain_models()
        for model in self.models:
            if model.class_name == name:
                return model.schema
        return None


def _own_refs(schema: Any) -> Iterator[str]:
    """The entries of a schema's own `$defs` its `$ref`s name, read as jsonschema reads
    them (`#/%24defs/a%20b` is `a b`); what a data keyword holds is no reference."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            keys = pointers.keys(ref[1:])
            if len(keys) >= 2 and keys[0] == "$defs":
                yield keys[1]
        for key, value in schema.items():
            if key not in DATA:
                yield from _own_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _own_refs(item)


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


def _local_defs(keys: list[str]) -> bool:
    """Whether a pointer names one of a schema's own definitions."""
    return len(keys) == 2 and keys[0] in ("$defs", "definitions") and bool(keys[1])


def _posix_relative(file: Path, base: Path) -> str:
    return Path(os.path.relpath(os.path.realpath(file), os.path.realpath(base))).as_posix()


def known_names(kind: str, names: Iterable[str]) -> str:
    """A hint listing the names one could have meant (`known types: A, B`)."""
    listed = ", ".join(sorted(names))
    return f"known {kind}: {listed}" if listed else f"the spec declares no {kind}"


def is_object_schema(schema: JsonSchema) -> bool:
    """Whether a (self-contained) schema says its value is an object."""
    return schema.get("type") == "object"


def check_unique(
    resolver: Resolver,
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
                f"duplicate {what} {name!r}, first declared at {format_path(first)} ({resolver.loaded.locate(first)})",
            )
            flagged.add(path)
            continue
        seen[name] = (name, path)
        python = convert(name)
        if python in converted:
            other, first = converted[python]
            resolver.error(
                path,
                f"{what} {name!r} and {other!r} ({format_path(first)}, {resolver.loaded.locate(first)}) "
                f"both become the Python name {python!r}",
                hint=f"rename one of them so their {converted_what}s differ",
            )
            flagged.add(path)
            continue
        converted[python] = (name, path)
    return flagged


def unresolved(schema: JsonSchema) -> bool:
    """A root `$ref` that could not be inlined: already reported where it failed."""
    return set(schema) == {"$ref"}


def deref(root: JsonSchema, schema: Any) -> Any:
    """A property's schema, a `$ref` into the root's `$defs` followed."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 16:
        name = schema["$ref"].removeprefix(DEFS_REF)
        schema = root.get("$defs", {}).get(name)
        seen += 1
    return schema
