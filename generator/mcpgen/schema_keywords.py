"""Where a JSON Schema (2020-12, and the older keywords OpenAPI documents use) holds other
schemas, where it holds data, and which keywords declare an object's properties: the one
table every walk over schemas reads, so that none misses a keyword or takes data for a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mcpgen.diagnostics import SpecPath

# Keywords whose value is one subschema.
ONE_SUBSCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "additionalItems",
        "contentSchema",
    }
)
# Keywords whose value is a list of subschemas.
LIST_OF_SUBSCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
# Keywords whose value maps names to subschemas.
MAP_OF_SUBSCHEMAS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# Keywords whose value is data, whatever it looks like (a "pattern" key there is no keyword,
# a "$ref" there no reference).
DATA = frozenset({"const", "enum", "default", "examples", "example"})

# How a generated schema refers to a model: by its class name, under the root's `$defs`.
DEFS_REF = "#/$defs/"


def map_subschemas(schema: dict[str, Any], function: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of a schema object, `function` applied to each subschema it holds directly (by
    the tables above), every other keyword as it is, in the same order."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in MAP_OF_SUBSCHEMAS and isinstance(value, dict):
            out[key] = {name: function(sub) for name, sub in value.items()}
        elif key in LIST_OF_SUBSCHEMAS and isinstance(value, list):
            out[key] = [function(sub) for sub in value]
        elif key in ONE_SUBSCHEMA:
            out[key] = function(value)
        else:
            out[key] = value
    return out


def json_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON value, itself included, data too, in no particular order."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
            yield item
        elif isinstance(item, list):
            pending.extend(item)


def defs_refs(schema: Any) -> Iterator[str]:
    """The class names a schema refers to (`{"$ref": "#/$defs/<name>"}`), in order, with
    repeats; what a data keyword holds is no reference."""
    for name, _ in defs_refs_by_use(schema):
        yield name


def defs_refs_by_use(schema: Any, extends: bool = False) -> Iterator[tuple[str, bool]]:
    """`defs_refs`, each with whether an `allOf` holds it: a model extended, not only used."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(DEFS_REF):
            yield ref[len(DEFS_REF) :], extends
        for key, value in schema.items():
            if key not in DATA:
                yield from defs_refs_by_use(value, extends or key == "allOf")
    elif isinstance(schema, list):
        for item in schema:
            yield from defs_refs_by_use(item, extends)


# Keywords whose subschemas declare properties of the object they apply to (so a name may
# be declared there rather than under `properties`), and those that let an object have
# properties it does not declare.
COMPOSING = ("allOf", "$ref", "$dynamicRef")
BRANCHING = ("anyOf", "oneOf", "if", "then", "else", "not")
OPENING = ("additionalProperties", "patternProperties", "unevaluatedProperties")


def undeclared_names(schema: Any) -> list[tuple[SpecPath, str]]:
    """The property names an object schema requires (`required`, `dependentRequired`,
    `dependentSchemas`, and `required` in its anyOf/oneOf/if/then/else/not branches) but
    does not declare under `properties`, with where each is written (relative to `schema`).

    A required name that names no property is almost always a misspelling: the object must
    then carry a key that no model field reads. Only a schema that declares its properties
    and admits no others is judged; one whose properties may come from elsewhere (an
    `allOf`, a `$ref`, a branch declaring its own, `additionalProperties`) is not. The
    importer declares such names of real API descriptions (as `{}`, which changes nothing
    a schema accepts) by this same rule, so that its specs always generate.
    """
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties")
    if (
        not isinstance(properties, dict)
        or any(key in schema for key in COMPOSING)
        or any(schema.get(key, False) is not False for key in OPENING)
    ):
        return []
    branches: list[tuple[SpecPath, Any]] = [((), schema)]
    for key in BRANCHING:
        value = schema.get(key)
        listed: list[tuple[SpecPath, Any]] = (
            [((key, i), b) for i, b in enumerate(value)]
            if isinstance(value, list)
            else [((key,), value)]
        )
        for at, branch in listed:
            if not isinstance(branch, dict):
                continue
            if "properties" in branch or any(k in branch for k in COMPOSING):
                return []  # a branch declaring properties of its own
            branches.append((at, branch))
    found: list[tuple[SpecPath, str]] = []
    for at, branch in branches:
        required = branch.get("required")
        if isinstance(required, list):
            found += [
                ((*at, "required", i), name)
                for i, name in enumerate(required)
                if isinstance(name, str) and name not in properties
            ]
        dependent = branch.get("dependentRequired")
        if isinstance(dependent, dict):
            for key, names in dependent.items():
                if key not in properties:
                    found.append(((*at, "dependentRequired", key), key))
                if isinstance(names, list):
                    found += [
                        ((*at, "dependentRequired", key, i), name)
                        for i, name in enumerate(names)
                        if isinstance(name, str) and name not in properties
                    ]
        triggers = branch.get("dependentSchemas")
        if isinstance(triggers, dict):
            found += [
                ((*at, "dependentSchemas", key), key) for key in triggers if key not in properties
            ]
    return found
