"""Arguments for a tool, drawn from its input schema, for wire_conformance.py.

Deterministic instances that give every property they may and strings that test encoders
(a space, `/`, `?`, `&`, `#`, `%`, `+`, a non-ASCII letter): a request made of them shows
whether each value was placed and encoded as the description says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wire_description import pointer_tokens

# Strings that test a serializer: a space, reserved characters, a percent sign, non-ASCII.
AWKWARD_TEXT = "a b/c?d&e=f#g%h+i é"
FORMATS = {
    "date": "2024-01-31",
    "date-time": "2024-01-31T12:34:56Z",
    "time": "12:34:56Z",
    "email": "someone@example.com",
    "uri": "https://example.com/x?y=1",
    "url": "https://example.com/x?y=1",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
    "byte": "aGVsbG8=",
    "binary": "hello",
    "password": AWKWARD_TEXT,
}
# Depth at which drawing stops adding optional properties (a recursive type ends there).
MAX_DEPTH = 4


class Undrawable(Exception):
    """No instance of this schema could be made."""


def _pattern_text(pattern: str) -> str:
    from hypothesis import find
    from hypothesis import strategies as st

    try:
        found: str = find(st.from_regex(pattern), lambda text: True)
    except Exception as error:  # an ECMA-262 pattern Python's re cannot read, ...
        raise Undrawable(f"pattern {pattern!r}") from error
    return found


def _valid(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    """Whether `instance` fits `schema` (a part of `root`, whose `$defs` it may name)."""
    import jsonschema

    whole = {**schema, "$defs": root.get("$defs") or {}}
    try:
        return not any(jsonschema.Draft202012Validator(whole).iter_errors(instance))
    except Exception:  # a pattern Python's re cannot read: the server will judge it
        return True


def _matches(pattern: Any, text: str) -> bool:
    if pattern is None:
        return True
    try:
        return re.search(str(pattern), text) is not None
    except re.error:
        return False


def exemplar(schema: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    """A valid instance of `schema` that gives every property it may (a few levels deep),
    and strings that test encoders. Deterministic."""
    if schema is True or schema == {}:
        return AWKWARD_TEXT
    if not isinstance(schema, dict):
        raise Undrawable("a schema that is not an object")
    if "$ref" in schema:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            raise Undrawable(f"$ref {ref}")
        target: Any = root
        for part in pointer_tokens(ref):
            target = target[part]
        return exemplar(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = sorted(
                schema[key], key=lambda b: isinstance(b, dict) and b.get("type") == "null"
            )
            for branch in branches:
                merged = {**{k: v for k, v in schema.items() if k != key}, **branch}
                try:
                    candidate = exemplar(merged, root, depth)
                except Undrawable:
                    continue
                # An instance of one branch may fit another too, which oneOf forbids.
                if _valid(candidate, schema, root):
                    return candidate
            raise Undrawable(key)
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            while isinstance(part, dict) and "$ref" in part:
                target = root
                for bit in str(part["$ref"])[2:].split("/"):
                    target = target[bit]
                part = target
            if not isinstance(part, dict):
                continue
            for k, v in part.items():
                if k == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **v}
                elif k == "required":
                    merged["required"] = [*merged.get("required", []), *v]
                else:
                    merged.setdefault(k, v)
        return exemplar(merged, root, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "null":
        return None
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(3, int(low) + 1 if isinstance(low, (int, float)) else 3)
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(high, (int, float)) and value >= high:
            value = int(high) - 1 if "exclusiveMaximum" in schema else int(high)
        multiple = schema.get("multipleOf")
        if isinstance(multiple, (int, float)) and multiple:
            value = (
                int(multiple) * max(1, round(value / multiple))
                if float(multiple).is_integer()
                else multiple
            )
        return value if kind == "integer" else value + (0.5 if not multiple else 0)
    if kind == "string":
        known = FORMATS.get(str(schema.get("format")))
        if schema.get("contentEncoding") == "base64":
            text = FORMATS["byte"]
        elif known is not None and _matches(schema.get("pattern"), known):
            text = known  # a format's own example, when the pattern (if any) allows it
        elif "pattern" in schema:
            text = _pattern_text(str(schema["pattern"]))
        else:
            text = FORMATS.get(str(schema.get("format")), AWKWARD_TEXT)
        least, most = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < least:
            text = (
                (text * (least // max(1, len(text)) + 1))[: max(least, len(text))]
                if "pattern" not in schema
                else text
            )
        if isinstance(most, int) and len(text) > most:
            if "pattern" in schema or "format" in schema:
                raise Undrawable("maxLength with a pattern or format")
            text = text[:most]
        return text
    if kind == "array":
        items = schema.get("items", {})
        count = max(2, schema.get("minItems", 0))
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        values = [exemplar(items, root, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems") and count > 1:
            values = values[:1]
        return values
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            if name not in required and (
                depth >= MAX_DEPTH or (isinstance(sub, dict) and sub.get("readOnly"))
            ):
                continue
            try:
                out[name] = exemplar(sub, root, depth + 1)
            except Undrawable:
                if name in required:
                    raise
        if not properties and schema.get("additionalProperties") not in (None, False):
            out["key"] = (
                exemplar(schema["additionalProperties"], root, depth + 1)
                if isinstance(schema["additionalProperties"], dict)
                else AWKWARD_TEXT
            )
        return out
    raise Undrawable(f"type {kind!r}")


def draw_arguments(schema: Mapping[str, Any], seed: int) -> dict[str, Any] | None:
    """Arguments for a tool: an instance of its input schema, checked against it."""
    import jsonschema

    try:
        drawn = exemplar(schema, schema)
    except (Undrawable, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(drawn, dict):
        return None
    try:
        jsonschema.Draft202012Validator(schema).validate(drawn)
    except jsonschema.ValidationError:
        return None
    except Exception:  # a pattern Python's re cannot read: the server will judge it
        pass
    return drawn


def ascii_only(value: Any) -> Any:
    """The arguments with the awkward strings' one non-ASCII letter made ASCII."""
    if isinstance(value, str):
        return value.replace("é", "e")
    if isinstance(value, list):
        return [ascii_only(v) for v in value]
    if isinstance(value, dict):
        return {k: ascii_only(v) for k, v in value.items()}
    return value
