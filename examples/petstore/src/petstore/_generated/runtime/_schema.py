"""Checking values against a tool's JSON Schemas (2020-12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

from ._json import json_path
from ._patterns import ECMA_PATTERN_KEYWORD, EcmaPatternKeyword, ecma_validator

# Where in the value a problem is, and what it is.
_Problem: TypeAlias = tuple[Sequence[str | int], str]
_Judge: TypeAlias = tuple[Callable[[Any], bool], Callable[[Any], Iterator[_Problem]]]


class SchemaCheck:
    """Checks values against one JSON Schema (2020-12), twice per tool call (arguments and
    result), and says what is wrong as `path: message` lines a client can read.

    jsonschema-rs (Rust) is the judge. It accepts a valid value 4-12x faster than the
    hand-written predicates it replaced (the weather example's arguments: 0.26 µs against
    2.4 µs; its 7-day result: 1.3 against 11 µs) and lists an invalid one's problems 3-130x
    faster than jsonschema behind them did, and it passes every case of the official test
    suite they passed and 32 more (tests/benchmarks/bench_schema.py, tests/runtime/
    test_schema_suite.py). Its regular expressions are not ECMA-262 in every corner (with a
    lookaround, `.` matches "\\r" and `\\d` matches "٢"), so `pattern` and the generator's
    `x-ecma262-pattern` are keywords of ours run by regress. A schema with
    `patternProperties`, whose property names jsonschema-rs would match with its own engine,
    is judged by jsonschema with the same ECMA-262 keywords: slower, as exact, and rare
    (no description of the APIs.guru directory, 2,639 of them, uses the keyword).
    """

    __slots__ = ("_judge", "_schema", "_what")

    def __init__(self, schema: Mapping[str, Any] | bool, what: str = "value") -> None:
        self._schema = schema if isinstance(schema, bool) else dict(schema)
        self._what = what  # what a message calls the value itself: "arguments", "result"
        # Compiled on first use: a server of 1,000 tools compiles the ones it is called with.
        self._judge: _Judge | None = None

    def errors(self, value: Any) -> list[str]:
        judge = self._judge
        if judge is None:
            judge = self._judge = _compile(self._schema)
        is_valid, problems = judge
        try:
            if is_valid(value):
                return []
            found = sorted(problems(value), key=lambda p: list(map(str, p[0])))
        except ValueError as error:
            # jsonschema-rs reads only JSON: a set, bytes or another object in a result
            # (a handler's dict) is no JSON value, so it can be valid under no schema.
            return [f"{self._what}: not a JSON value ({error})"]
        return [f"{json_path(path, self._what)}: {message}" for path, message in found]


def _compile(schema: dict[str, Any] | bool) -> _Judge:
    keys = _keys(schema)
    if "patternProperties" in keys:
        validator = ecma_validator()(schema)
        return validator.is_valid, lambda v: (
            (e.absolute_path, e.message) for e in validator.iter_errors(v)
        )
    # Imported on first use, not at start-up.
    import jsonschema_rs

    compiled = jsonschema_rs.Draft202012Validator(
        schema,
        validate_formats=False,  # 2020-12: `format` only annotates
        retriever=_no_retrieval,
        # Only where they may be used: any keyword of ours costs every call of the schema
        # (+60% on the weather example's result, which has no pattern).
        keywords={k: EcmaPatternKeyword for k in _PATTERN_KEYWORDS & keys} or None,
    )
    return compiled.is_valid, lambda v: (
        (e.instance_path, e.message) for e in compiled.iter_errors(v)
    )


_PATTERN_KEYWORDS = frozenset({"pattern", ECMA_PATTERN_KEYWORD})


def _no_retrieval(uri: str) -> Any:
    """A tool's schema is one document: a server fetches nothing a `$ref` names."""
    raise LookupError(f"{uri}: a tool's schema refers only within itself")


def _keys(schema: Any) -> set[str]:
    """The keys of every object in `schema`: the keywords it uses (and property names, which
    only ever make a check slower, never wrong)."""
    found: set[str] = set()
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            found.update(node)
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found
