"""Checking values against a tool's JSON Schemas (2020-12), fast when they are valid."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

from ._json import _json_path
from ._patterns import ECMA_PATTERN_KEYWORD, _ecma_search, _ecma_validator


class _SchemaCheck:
    """Checks values against one JSON Schema (2020-12), fast when they are valid.

    jsonschema is the judge, but it costs ~10 µs for even a small object, twice per call
    (arguments and result): most of what a generated server adds to a call. So schemas made
    only of the common keywords are also compiled to plain Python predicates (`_compile`)
    that accept a valid value in ~1 µs; jsonschema runs only when the predicate says no,
    and then its verdict and its messages are the ones that count. A predicate may wrongly
    say no (it only costs time), never wrongly yes.
    """

    __slots__ = ("_quick", "_schema", "_validator", "_what")

    def __init__(self, schema: Mapping[str, Any], what: str = "value") -> None:
        self._schema = dict(schema)
        self._what = what  # what a message calls the value itself: "arguments", "result"
        self._quick = _compile(self._schema, self._schema, {})
        self._validator: Validator | None = None

    def errors(self, value: Any) -> list[str]:
        if self._quick is not None and self._quick(value):
            return []
        validator = self._validator
        if validator is None:
            validator = self._validator = _ecma_validator()(self._schema)
        if validator.is_valid(value):
            return []
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
        return [f"{_json_path(e.absolute_path, self._what)}: {e.message}" for e in errors]


Predicate: TypeAlias = Callable[[Any], bool]


# Keywords that only annotate: they never make a value invalid (no format checker is used).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "$anchor",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "format",
        "readOnly",
        "writeOnly",
        "deprecated",
        "contentMediaType",
        "contentEncoding",
    }
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_TESTS: dict[str, Predicate] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _compile(
    schema: Any, root: Mapping[str, Any], refs: dict[str, Predicate | None]
) -> Predicate | None:
    """A predicate true only of values valid under `schema`, or None if it uses keywords
    beyond the common ones (then jsonschema alone decides)."""
    if isinstance(schema, bool):
        verdict = schema
        return lambda v: verdict
    if not isinstance(schema, dict):
        return None
    tests: list[Predicate] = []
    for key, value in schema.items():
        test = _keyword(key, value, schema, root, refs)
        if test is _UNSUPPORTED:
            return None
        if test is not None:
            tests.append(test)
    return _all_of(tests)


def _all_of(tests: Sequence[Predicate]) -> Predicate:
    # Plain loops and closures: a generator per call costs more than the checks themselves.
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)

    def every(v: Any) -> bool:
        for test in tests:  # noqa: SIM110 - all() over a generator is the slow way here
            if not test(v):
                return False
        return True

    return every


def _unsupported(_: Any) -> bool:
    return False


_UNSUPPORTED: Predicate = _unsupported


def _keyword(
    key: str,
    value: Any,
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    refs: dict[str, Predicate | None],
) -> Predicate | None:
    """The predicate of one keyword; None for annotations; `_UNSUPPORTED` to give up."""
    if key == "type":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(n in _TYPE_TESTS for n in names):
            return _UNSUPPORTED
        accepted = [_TYPE_TESTS[n] for n in names]
        if len(accepted) == 1:
            return accepted[0]
        return lambda v: any(test(v) for test in accepted)
    if key in ("enum", "const"):
        options = value if key == "enum" else [value]
        if not isinstance(options, list):
            return _UNSUPPORTED
        return lambda v: any(_json_equal(v, option) for option in options)
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if not _is_number(value):
            return _UNSUPPORTED
        bound = value
        if key == "minimum":
            return lambda v: not _is_number(v) or v >= bound
        if key == "maximum":
            return lambda v: not _is_number(v) or v <= bound
        if key == "exclusiveMinimum":
            return lambda v: not _is_number(v) or v > bound
        return lambda v: not _is_number(v) or v < bound
    if key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        if not isinstance(value, int) or isinstance(value, bool):
            return _UNSUPPORTED
        kind = {"L": str, "I": list, "P": dict}[key[3]]
        low = key.startswith("min")
        return lambda v: not isinstance(v, kind) or (len(v) >= value if low else len(v) <= value)
    if key in ("pattern", ECMA_PATTERN_KEYWORD):
        if not isinstance(value, str):
            return _UNSUPPORTED
        matches = _ecma_search(value)
        return lambda v: not isinstance(v, str) or matches(v)
    if key == "required":
        if not isinstance(value, list):
            return _UNSUPPORTED
        names = tuple(value)

        def has_required(v: Any) -> bool:
            if isinstance(v, dict):
                for name in names:
                    if name not in v:
                        return False
            return True

        return has_required
    if key == "properties":
        if not isinstance(value, dict):
            return _UNSUPPORTED
        compiled = {name: _compile(sub, root, refs) for name, sub in value.items()}
        if any(c is None for c in compiled.values()):
            return _UNSUPPORTED
        checks = [(name, c) for name, c in compiled.items() if c is not None]

        def properties_valid(v: Any) -> bool:
            if isinstance(v, dict):
                for name, check in checks:
                    if name in v and not check(v[name]):
                        return False
            return True

        return properties_valid
    if key == "additionalProperties":
        if "patternProperties" in schema:
            return _UNSUPPORTED
        known = frozenset(schema.get("properties", {}))
        extra = _compile(value, root, refs)
        if extra is None:
            return _UNSUPPORTED

        def others_valid(v: Any) -> bool:
            if isinstance(v, dict):
                for name, item in v.items():
                    if name not in known and not extra(item):
                        return False
            return True

        return others_valid
    if key == "items":
        each = _compile(value, root, refs)
        if each is None or "prefixItems" in schema:
            return _UNSUPPORTED

        def items_valid(v: Any) -> bool:
            if isinstance(v, list):
                for item in v:
                    if not each(item):
                        return False
            return True

        return items_valid
    if key in ("anyOf", "oneOf", "allOf"):
        if not isinstance(value, list) or not value:
            return _UNSUPPORTED
        branches = [_compile(sub, root, refs) for sub in value]
        if any(b is None for b in branches):
            return _UNSUPPORTED
        ready = [b for b in branches if b is not None]
        if key == "anyOf":
            return lambda v: any(b(v) for b in ready)
        if key == "allOf":
            return lambda v: all(b(v) for b in ready)
        return lambda v: sum(1 for b in ready if b(v)) == 1
    if key == "$ref":
        return _reference(value, root, refs)
    return None if key in _ANNOTATIONS or key.startswith("x-") else _UNSUPPORTED


def _reference(ref: Any, root: Mapping[str, Any], refs: dict[str, Predicate | None]) -> Predicate:
    """A `#/$defs/Name` reference, compiled once (and lazily, so recursion works)."""
    if not isinstance(ref, str) or not ref.startswith(("#/$defs/", "#/definitions/")):
        return _UNSUPPORTED
    container, name = ref[2:].split("/", 1)
    if "/" in name or "~" in name:
        return _UNSUPPORTED
    target = root.get(container, {}).get(name)
    if target is None:
        return _UNSUPPORTED
    if ref not in refs:
        refs[ref] = None  # a cycle reaching back here resolves through the lookup below
        refs[ref] = _compile(target, root, refs)
        if refs[ref] is None:
            return _UNSUPPORTED

    def follow(v: Any) -> bool:
        compiled = refs[ref]
        return compiled is not None and compiled(v)

    return follow
