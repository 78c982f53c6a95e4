"""Stand-ins: the shared models a chunk of models refers to, cut down to what a reference
to them is written from (`model_chunks`)."""

from __future__ import annotations

from mcpgen.ir import JsonSchema, ModelIR
from mcpgen.schema_keywords import (
    LIST_OF_SUBSCHEMAS,
    MAP_OF_SUBSCHEMAS,
    ONE_SUBSCHEMA,
    defs_refs,
    defs_refs_by_use,
    json_objects,
)


def with_references(
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
            whole.update(defs_refs(schemas[name]))
        else:
            for ref, extended in defs_refs_by_use(schemas[name]):
                # A model extended by `allOf` is written from its fields: it comes whole.
                (whole if extended else loose).add(ref)
    pending = list(whole.difference(names))
    while pending:
        for ref in defs_refs(schemas[pending.pop()]):
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
        pending.extend(defs_refs(stand_ins[name]))
    chunk = [
        m if m.class_name in whole else ModelIR(m.class_name, stand_ins[m.class_name], m.origin)
        for m in models
        if m.class_name in whole or m.class_name in stand_ins
    ]
    return chunk, frozenset(stand_ins)


def _mentions_discriminator(schema: object) -> bool:
    return any("discriminator" in value for value in json_objects(schema))


# What a stand-in's properties and inline subschemas become: a type that needs no import
# and derives no class, so a stand-in adds neither to its run's output.
_PLAIN: JsonSchema = {"type": "string"}


# Keywords that only document a schema.
_DOCUMENTING = frozenset(
    ["description", "title", "examples", "example", "$comment", "deprecated", "externalDocs"]
)


def _stand_in(schema: JsonSchema) -> JsonSchema:
    """A shared model cut down to what a reference to it is written from: its keywords
    at the top (and in its `allOf` parts), its property names (each a plain string), and
    its references; documentation, nested schemas and property types are dropped."""
    out: JsonSchema = {}
    for key, value in schema.items():
        if key in _DOCUMENTING or (key in MAP_OF_SUBSCHEMAS and key != "properties"):
            continue  # named subschemas shape only the model's own class
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _PLAIN for name in value}
        elif key == "allOf" and isinstance(value, list):
            out[key] = [_stand_in(part) if isinstance(part, dict) else part for part in value]
        elif key in LIST_OF_SUBSCHEMAS and isinstance(value, list):
            # A member typed null makes a reference to the union admit None: kept as such.
            out[key] = [_null_or(part, _reference_or_plain(part)) for part in value]
        elif key in ONE_SUBSCHEMA:
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
