"""Import stage 2a: OpenAPI schemas -> JSON Schema 2020-12, with shared types kept shared.

Every `$ref` to a schema becomes a reference to a spec type (`#/types/Name`): component
schemas, schemas in other files, anything a `$ref` points at. A type is converted once, when
first referenced, so recursive and circular schemas stay references (never inlined forever).
Type names are only known once every type is (collisions are resolved over the whole set, see
`naming`), so a `$ref` is first written as a placeholder that knows its target, and one walk
over the finished spec writes the names in.

OpenAPI 3.0's dialect is translated (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`,
`example`); OpenAPI-only keywords (`discriminator`, `xml`, `externalDocs`, `x-*`) are dropped.
TOML has no null, so nulls in values become schema alternatives (`enum`, `const`) or are
dropped (`default`, `examples`, annotations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from mcpgen.diagnostics import Diagnostic
from mcpgen.openapi.document import (
    DocumentSet,
    OpenApiDocument,
    Pointer,
    RefError,
    Target,
    pointer_text,
)
from mcpgen.openapi.markup import as_markdown
from mcpgen.patterns import pattern_error, to_unicode_mode
from mcpgen.schema_keywords import (
    LIST_OF_SUBSCHEMAS,
    MAP_OF_SUBSCHEMAS,
    ONE_SUBSCHEMA,
    json_objects,
    map_subschemas,
    undeclared_names,
)

JsonSchema = dict[str, Any]
# Where a schema is used: readOnly properties are left out of inputs, writeOnly of outputs.
Mode = Literal["input", "output", "shared"]

_DROPPED = frozenset({"discriminator", "xml", "externalDocs", "nullable", "$schema", "$id"})
# Pointer parts that say nothing about what a schema is (for naming a non-component type).
_UNNAMING = frozenset(
    {"schema", "schemas", "items", "properties", "content", "additionalProperties", "$defs"}
    | {"definitions", "allOf", "anyOf", "oneOf", "components", "responses", "requestBody"}
)


@dataclass
class SchemaType:
    """A referenced schema that becomes one `[types.X]` entry."""

    target: Target
    identity: str  # `file#/pointer`, the file relative to the root document ("" for the root)
    base_name: str  # the name it would like (component name, file stem...)
    is_component: bool  # a root `#/components/schemas/X` (or Swagger `#/definitions/X`)
    schema: JsonSchema = field(default_factory=dict)
    # The types its schema references (for reachability and tools/list sizes).
    uses: set[str] = field(default_factory=set)


@dataclass
class SchemaConverter:
    """Converts schemas, registering each referenced schema as a shared type."""

    documents: DocumentSet
    openapi_30: bool
    problems: list[Diagnostic]
    warnings: list[Diagnostic] = field(default_factory=list)
    types: dict[str, SchemaType] = field(default_factory=dict)
    # Patterns rewritten into JSON Schema's dialect (see `_pattern`), for the report.
    rewritten_patterns: dict[str, str] = field(default_factory=dict)
    _pending: list[SchemaType] = field(default_factory=list)

    def convert(
        self, schema: Any, document: OpenApiDocument, parts: Pointer, mode: Mode
    ) -> JsonSchema:
        """A JSON Schema 2020-12 copy of an OpenAPI schema (a table, for TOML)."""
        try:
            result = self._node(schema, document, parts, mode)
        except RecursionError:
            self.problems.append(document.diagnostic(parts, "the schema nests too deeply"))
            return {}
        self.drain()
        return _as_table(result)

    def refs_of(self, schema: JsonSchema) -> set[str]:
        """The types a converted schema refers to directly (by identity)."""
        return {
            ref.identity
            for value in json_objects(schema)
            if isinstance(ref := value.get("$ref"), _TypeRef)
        }

    def _behind_refs(
        self, schema: Any, document: OpenApiDocument, parts: Pointer
    ) -> tuple[Any, OpenApiDocument, Pointer]:
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 50:
            try:
                target = self.documents.resolve(schema["$ref"], document, (*parts, "$ref"))
            except RefError:
                return {}, document, parts
            document, parts = target.document, target.parts
            schema = self.documents.value(target)
            seen += 1
        return schema, document, parts

    def is_object(
        self, schema: Any, document: OpenApiDocument, parts: Pointer, depth: int = 0
    ) -> bool:
        """The schema (after its `$ref`s) is `type: object`, not nullable, or an `allOf` of
        such schemas with no other type: an MCP object."""
        raw, document, parts = self._behind_refs(schema, document, parts)
        if not isinstance(raw, dict) or (self.openapi_30 and raw.get("nullable") is True):
            return False
        if raw.get("type") == "object":
            return True
        every = raw.get("allOf")
        return (
            "type" not in raw
            and isinstance(every, list)
            and bool(every)
            and depth < 50
            and all(
                self.is_object(part, document, (*parts, "allOf", index), depth + 1)
                for index, part in enumerate(every)
            )
        )

    def drain(self) -> None:
        """Convert every type referenced so far (each may reference more)."""
        while self._pending:
            entry = self._pending.pop()
            raw = self.documents.value(entry.target)
            try:
                converted = self._node(raw, entry.target.document, entry.target.parts, "shared")
            except RecursionError:
                self.problems.append(
                    entry.target.document.diagnostic(
                        entry.target.parts, "the schema nests too deeply"
                    )
                )
                converted = {}
            entry.schema = _as_table(converted)
            if "type" not in entry.schema and self.is_object(
                raw, entry.target.document, entry.target.parts
            ):
                # An allOf of objects: typed as one, so that it can be a tool's output.
                entry.schema = {"type": "object", **entry.schema}
            entry.uses = self.refs_of(entry.schema)

    @staticmethod
    def name_refs(value: Any, names: dict[str, str]) -> None:
        """Write the final `#/types/<Name>` into every placeholder reference in `value`."""
        for item in json_objects(value):
            ref = item.get("$ref")
            if isinstance(ref, _TypeRef):
                item["$ref"] = f"#/types/{names[ref.identity]}"

    # -- the walk ---------------------------------------------------------------------

    def _hidden(self, schema: Any, document: OpenApiDocument, parts: Pointer, mode: Mode) -> bool:
        """A property that has no place in this direction (readOnly in inputs, writeOnly in
        outputs), said by its schema or by the one its `$ref` names (Intellifi's
        `id: {$ref: IdReadOnly}`: a model was asked for the id the server assigns)."""
        if _hidden_here(schema, mode):
            return True
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
            return False
        try:
            target, _ = self.documents.follow(schema, document, parts)
        except RefError:
            return False  # reported where the property is converted
        return _hidden_here(target, mode)

    def _ref(self, ref: str, document: OpenApiDocument, parts: Pointer) -> _TypeRef | None:
        try:
            target = self.documents.resolve(ref, document, parts)
        except RefError as error:
            self.problems.append(error.diagnostic)
            return None
        identity = self.documents.relative_name(target.document) + pointer_text(target.parts)
        entry = self.types.get(identity)
        if entry is None:
            entry = SchemaType(
                target,
                identity,
                _base_name(target),
                is_component=target.document.key == self.documents.root_key
                and _is_component(target.parts),
            )
            self.types[identity] = entry
            self._pending.append(entry)
        return _TypeRef(identity)

    def _node(self, schema: Any, document: OpenApiDocument, parts: Pointer, mode: Mode) -> Any:
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            self.problems.append(
                document.diagnostic(parts, f"a schema must be an object, not {_kind(schema)}")
            )
            return {}
        result: JsonSchema = {}
        nullable = self.openapi_30 and schema.get("nullable") is True
        for key, value in schema.items():
            here = (*parts, key)
            if key.startswith("x-") or key in _DROPPED:
                continue
            if key == "$ref" and isinstance(value, str):
                target = self._ref(value, document, here)
                if target is None:
                    continue
                if len(schema) == 1 or (self.openapi_30 and not _keeps_siblings(schema)):
                    # OpenAPI 3.0 ignores a $ref's siblings (but `nullable` is kept above).
                    result = {"$ref": target}
                    break
                result["$ref"] = target
            elif key in MAP_OF_SUBSCHEMAS and isinstance(value, dict):
                converted = {}
                for name, sub in value.items():
                    if key == "properties" and self._hidden(sub, document, (*here, name), mode):
                        continue
                    if key == "patternProperties":
                        kept = self._pattern(name, document, (*here, name), result)
                        if kept is not None:
                            converted[kept] = self._node(sub, document, (*here, name), mode)
                        continue
                    converted[name] = self._node(sub, document, (*here, name), mode)
                result[key] = converted
            elif key == "description" and isinstance(value, str):
                result[key] = as_markdown(value)
            elif key == "pattern" and isinstance(value, str):
                kept = self._pattern(value, document, here, result)
                if kept is not None:
                    result[key] = kept
            elif key in LIST_OF_SUBSCHEMAS and isinstance(value, list):
                result[key] = [
                    self._node(sub, document, (*here, i), mode) for i, sub in enumerate(value)
                ]
            elif key == "items" and isinstance(value, list):
                # Draft 4 tuple form: 2020-12 spells it prefixItems.
                result["prefixItems"] = [
                    self._node(sub, document, (*here, i), mode) for i, sub in enumerate(value)
                ]
            elif key in ONE_SUBSCHEMA and isinstance(value, (dict, bool)):
                result[key] = self._node(value, document, here, mode)
            elif key in ("example", "examples") and mode == "output":
                continue  # see `without_examples`
            elif key == "example":
                if value is not None:
                    result.setdefault("examples", [_no_nulls(value)])
            elif key == "examples" and isinstance(value, list):
                result[key] = [_no_nulls(v) for v in value if v is not None]
            elif key == "enum" and isinstance(value, list):
                if None in value:
                    nullable = True
                result[key] = [_no_nulls(v) for v in value if v is not None]
            elif key == "const":
                if value is None:
                    result["type"] = "null"
                else:
                    result[key] = _no_nulls(value)
            elif key == "required":
                if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                    self.problems.append(
                        document.diagnostic(here, "`required` must be a list of property names")
                    )
                    continue
                result[key] = value
            elif key == "type" and value == "file":
                result["type"] = "string"
                result["contentEncoding"] = "base64"
            elif key == "format" and value in ("binary", "byte"):
                # JSON carries bytes as base64 text; 2020-12 says so with contentEncoding.
                result["contentEncoding"] = "base64"
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and isinstance(schema.get(bound), (int, float)):
                    result[key] = schema[bound]
            elif value is not None:
                result[key] = _no_nulls(value)
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if schema.get(key) is True and key in result:
                result.pop(bound, None)
        declared = schema.get("properties")
        if "required" in result and isinstance(declared, dict) and "properties" in result:
            hidden = [
                name
                for name in result["required"]
                if name in declared and name not in result["properties"]
            ]
            if hidden:
                result["required"] = [n for n in result["required"] if n not in hidden]
        if result.get("required") == []:
            del result["required"]
        # A name the schema requires but does not declare is refused in a spec (it is almost
        # always a misspelling); in an API description it is what the API says, and `{}`
        # declares it without changing what the schema accepts.
        for _, name in undeclared_names(result):
            result["properties"].setdefault(name, {})
        return _with_null(result) if nullable else result

    def _pattern(
        self, pattern: str, document: OpenApiDocument, parts: Pointer, schema: JsonSchema
    ) -> str | None:
        """`pattern` in JSON Schema's dialect (ECMA-262, `u` flag), or None when no reading of
        it is certain: then the constraint is left out, said so in a warning and in the
        schema's `$comment`, never dropped silently (`generate` refuses what regress cannot
        compile, so the importer must not write it)."""
        kept = to_unicode_mode(pattern)
        if kept is not None:
            if kept != pattern:
                self.rewritten_patterns[pattern] = kept
            return kept
        why = pattern_error(pattern)
        warning = document.warning(
            parts,
            f"pattern {pattern!r} is left out: it is not a regular expression JSON Schema "
            f"reads (ECMA-262 with the u flag: {why}), and no rewrite of it is certain",
        )
        if all(w.message != warning.message for w in self.warnings):
            self.warnings.append(warning)
        note = f"Not enforced: the API's pattern {pattern!r} (see the import's warning)."
        comment = schema.get("$comment")
        schema["$comment"] = f"{comment} {note}" if isinstance(comment, str) else note
        return None


class _TypeRef(str):
    """A `$ref` value waiting for its type's name (replaced by `name_types`)."""

    __slots__ = ("identity",)

    def __new__(cls, identity: str) -> _TypeRef:
        made = super().__new__(cls, "#/types/?")
        made.identity = identity
        return made

    identity: str


def _keeps_siblings(schema: JsonSchema) -> bool:
    # Descriptive siblings are kept even in 3.0: dropping a field's description loses the
    # one thing a model reads about it, and 2020-12 applies them alongside the $ref.
    return any(k in ("description", "title", "default", "readOnly", "writeOnly") for k in schema)


def without_examples(schema: Any) -> Any:
    """`schema` without its `examples`, its subschemas' neither.

    Examples of a result tell a client nothing it checks, and a model reads real results:
    in the outputs of a large API they were a fifth of what `tools/list` carries (GitHub:
    1.75 of 8.8 MB). The types only outputs use and the outputs' own schemas leave them out;
    the description still has them, for a curator to add back where they help.
    """
    if not isinstance(schema, dict):
        return schema
    kept = {key: value for key, value in schema.items() if key != "examples"}
    return map_subschemas(kept, without_examples)


def _hidden_here(schema: Any, mode: Mode) -> bool:
    """A property schema that has no place in this direction (readOnly in inputs,
    writeOnly in outputs), by its own keywords."""
    if not isinstance(schema, dict):
        return False
    if mode == "input":
        return schema.get("readOnly") is True
    if mode == "output":
        return schema.get("writeOnly") is True
    return False


def _with_null(schema: JsonSchema) -> JsonSchema:
    """`schema` that also accepts null (OpenAPI 3.0 `nullable`, or a null in an enum)."""
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema and "$ref" not in schema:
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list) and "enum" not in schema:
        return {**schema, "type": [*kind, "null"]} if "null" not in kind else schema
    description = schema.pop("description", None)
    wrapped: JsonSchema = {"anyOf": [schema, {"type": "null"}]}
    if description is not None:
        wrapped = {"description": description, **wrapped}
    return wrapped


def _no_nulls(value: Any) -> Any:
    """A literal value without nulls, which TOML cannot hold."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value if v is not None]
    return value


def _as_table(schema: Any) -> JsonSchema:
    """A schema that can be a TOML table: `true` accepts anything, `false` nothing."""
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    return schema if isinstance(schema, dict) else {}


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number"}.get(
        type(value), "null"
    )


def _is_component(parts: Pointer) -> bool:
    return (len(parts) == 3 and parts[:2] == ("components", "schemas")) or (
        len(parts) == 2 and parts[0] == "definitions"
    )


def _base_name(target: Target) -> str:
    """The name a referenced schema asks for: its component name, else its place or file."""
    parts = target.parts
    if _is_component(parts):
        return str(parts[-1])
    for part in reversed(parts):
        if (
            isinstance(part, str)
            and part not in _UNNAMING
            and "/" not in part
            and not part.isdigit()
            and not part.startswith("x-")
        ):
            return part
    return PurePosixPath(target.document.key).stem.split(".")[0] or "Schema"
