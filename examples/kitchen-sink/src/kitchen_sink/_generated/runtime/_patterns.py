"""JSON Schema `pattern`s as ECMA-262 regular expressions, which Python's `re` is not."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


# JSON Schema reads `pattern` and `patternProperties` as ECMA-262 regular expressions built
# with the `u` flag (2020-12 core, "Regular Expressions"; the official test suite's
# ecmascript-regex cases): `\p{L}` matches letters, `\d` only ASCII digits, `$` never before
# a trailing newline. Python's `re` (jsonschema's own choice), pydantic's Rust engine and
# jsonschema-rs's engines differ (see `EcmaPatternKeyword`), so every pattern here is run by
# regress, an ECMA-262 engine. mcpgen checks each one compiles so when it generates.
_ECMA_FLAGS = "u"
# An advertised output schema carries a pattern Python's `re` cannot read under this key
# (mcpgen moves it there: the SDK's client checks results with jsonschema, whose `re`
# refuses `\p{L}`); the checks here read it as `pattern`.
ECMA_PATTERN_KEYWORD = "x-ecma262-pattern"


@functools.lru_cache(maxsize=1024)
def _ecma_search(pattern: str) -> Callable[[str], bool]:
    """Whether `pattern` matches somewhere in a string (JSON Schema patterns are not anchored)."""
    import regress

    find = regress.Regex(pattern, _ECMA_FLAGS).find
    return lambda text: find(text) is not None


class EcmaPatternKeyword:
    """`pattern` (and `x-ecma262-pattern`) as a jsonschema-rs keyword, matched by regress.

    jsonschema-rs translates patterns for its own engines, and where a lookaround sends one
    to fancy-regex, `.` matches "\\r" and "\\u2028", `\\d` matches "٢" and `\\s` misses
    "\\ufeff" (18 of the 3,508 patterns of the APIs.guru directory; it also refuses 6 that
    name surrogates), where ECMA-262 says otherwise. The keyword replaces jsonschema-rs's own.
    """

    __slots__ = ("_matches", "_regex")

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        self._regex = value
        self._matches = _ecma_search(value)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self._matches(instance):
            # Worded as jsonschema-rs's own message: the value as JSON, the pattern as is.
            shown = json.dumps(instance, ensure_ascii=False)
            raise ValueError(f'{shown} does not match "{self._regex}"')


@functools.cache
def ecma_validator() -> type[Validator]:
    """jsonschema's 2020-12 validator with every keyword that runs a pattern running it as
    ECMA-262: `pattern`, `patternProperties`, and `additionalProperties` (which tells the
    names `patternProperties` covers). The judge of schemas with `patternProperties`, whose
    names jsonschema-rs matches with its own engines (`_schema`)."""
    # jsonschema costs ~100 ms of CPU to import: pay for it on first use, not at start-up.
    from jsonschema import Draft202012Validator, validators
    from jsonschema import ValidationError as Violation

    def pattern(
        validator: Any, regex: str, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if validator.is_type(instance, "string") and not _ecma_search(regex)(instance):
            yield Violation(f"{instance!r} does not match {regex!r}")

    def pattern_properties(
        validator: Any, regexes: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if validator.is_type(instance, "object"):
            for regex, subschema in regexes.items():
                for name, value in instance.items():
                    if _ecma_search(regex)(name):
                        yield from validator.descend(value, subschema, path=name, schema_path=regex)

    def additional_properties(
        validator: Any, extra: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Violation]:
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        regexes = [_ecma_search(regex) for regex in schema.get("patternProperties", {})]
        others = [n for n in instance if n not in known and not any(m(n) for m in regexes)]
        if validator.is_type(extra, "object"):
            for name in others:
                yield from validator.descend(instance[name], extra, path=name)
        elif not extra and others:
            # jsonschema's own messages, word for word.
            listed = ", ".join(repr(name) for name in sorted(others))
            if regexes:
                verb = "does" if len(others) == 1 else "do"
                shown = ", ".join(repr(r) for r in sorted(schema["patternProperties"]))
                yield Violation(f"{listed} {verb} not match any of the regexes: {shown}")
            else:
                were = "was" if len(others) == 1 else "were"
                yield Violation(
                    f"Additional properties are not allowed ({listed} {were} unexpected)"
                )

    extended: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        {
            "pattern": pattern,
            ECMA_PATTERN_KEYWORD: pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )
    return extended


@dataclass(frozen=True)
class EcmaPattern:
    r"""A model field's JSON Schema `pattern`, matched as ECMA-262 like the schema checks.

    The generated models carry it in place of pydantic's `pattern=`, whose Rust engine reads
    `\d` and `\w` as Unicode classes and refuses lookarounds at import: a value the schema
    check accepted must not fail again in the model.
    """

    regex: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        matches = _ecma_search(self.regex)
        regex = self.regex

        def check(value: Any) -> Any:
            if isinstance(value, str) and not matches(value):
                raise ValueError(f"{value!r} does not match {regex!r}")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = handler(schema)
        if shown.get("type") == "string":
            shown["pattern"] = self.regex
        return shown
