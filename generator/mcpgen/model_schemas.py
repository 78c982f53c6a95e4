"""What a model is made from: each schema as the model should read it, which is not always
the schema the server advertises and checks."""

from __future__ import annotations

from typing import Any

from mcpgen.ir import JsonSchema, ModelIR
from mcpgen.schema_keywords import DEFS_REF, map_subschemas


def as_a_model_reads(schema: Any) -> Any:
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
    judged_otherwise = ("format", "pattern", "patternProperties")
    read = map_subschemas(
        {key: value for key, value in schema.items() if key not in judged_otherwise},
        as_a_model_reads,
    )
    if "patternProperties" in schema:
        read["additionalProperties"] = True
    return read


def without_narrowing_subclasses(models: tuple[ModelIR, ...]) -> tuple[ModelIR, ...]:
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
    base = schemas.get(str(refs[0]["$ref"]).removeprefix(DEFS_REF))
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
