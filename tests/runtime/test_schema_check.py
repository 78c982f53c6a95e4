"""The runtime's schema check: its verdicts, its messages, what it never does.

The official test suite holds its verdicts to the spec (test_schema_suite.py) and
test_ecma_patterns.py its patterns to ECMA-262; here each schema below is also checked on
thousands of random JSON values (fixed seeds) against jsonschema, a second implementation
written apart from jsonschema-rs, and the rest is what a tool call relies on: readable
`path: message` lines, no exception for a value that is not JSON, no fetching, no import
before the first check.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcpgen.vendored.runtime._schema import SchemaCheck

NOTE = {
    "type": "object",
    "required": ["id", "title"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer", "minimum": 1, "maximum": 9},
        "title": {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^a"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "kind": {"enum": ["a", 1, True, None, [1], {"a": 1}]},
        "score": {"type": ["number", "null"], "exclusiveMinimum": 0, "exclusiveMaximum": 2},
        "flag": {"const": False},
    },
}
SCHEMAS: list[dict[str, Any]] = [
    NOTE,
    {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    {"type": "integer"},
    {"type": "number", "minimum": 0.5},
    {"type": "array", "items": {"$ref": "#/$defs/Node"}, "$defs": {"Node": NOTE}},
    {
        "$defs": {
            "Tree": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}},
                "additionalProperties": {"type": "integer"},
            }
        },
        "$ref": "#/$defs/Tree",
    },
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"oneOf": [{"type": "number"}, {"type": "integer"}]},
    {"allOf": [{"minProperties": 1}, {"maxProperties": 2}]},
    {"type": "string", "format": "date", "description": "format only annotates", "x-any": 1},
    {"properties": {"a": True, "x": False}, "additionalProperties": False},
    {"type": "integer", "multipleOf": 2},
    {"not": {"type": "string"}},
    {"if": {"type": "string"}, "then": {"minLength": 2}},
    {"type": "array", "uniqueItems": True},
    {"patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
    {"$id": "https://example.com/s", "type": "string"},
    {"prefixItems": [{"type": "integer"}], "items": False},
    {"properties": {"a": {}}, "unevaluatedProperties": {"type": "integer"}},
    {"dependentRequired": {"a": ["x"]}},
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value drawn to hit the edges: bool vs int, 1 vs 1.0, keys of the schemas."""
    scalars: list[Any] = [
        None, True, False, 0, 1, 2, 9, 10, -1, 1.0, 1.5, 0.5, 2.0, "", "a", "ab", "abc",
        "abcd", "b", "ba", "2026-13-45",
    ]  # fmt: skip
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rng.choice(scalars)
    if roll < 0.75:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["id", "title", "tags", "kind", "score", "flag", "text", "children", "a", "x", "xa"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _complete_note(rng: random.Random) -> dict[str, Any]:
    """A mostly valid note, so valid and invalid values are both frequent."""
    note: dict[str, Any] = {"id": rng.randint(0, 10), "title": rng.choice(["a", "ab", "b", ""])}
    for key in ("tags", "kind", "score", "flag"):
        if rng.random() < 0.5:
            note[key] = random_json(rng, 2)
    return note


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_verdicts_agree_with_jsonschema(index: int) -> None:
    schema = SCHEMAS[index]
    check = SchemaCheck(schema)
    validator = Draft202012Validator(schema)
    rng = random.Random(index)
    verdicts = {True: 0, False: 0}
    for _ in range(1500):
        value = _complete_note(rng) if rng.random() < 0.5 else random_json(rng)
        expected = validator.is_valid(value)
        assert (check.errors(value) == []) is expected, (schema, value)
        verdicts[expected] += 1
    assert verdicts[True] and verdicts[False], verdicts


def test_problems_are_readable_lines_in_the_order_of_their_paths() -> None:
    check = SchemaCheck({"type": "array", "items": NOTE}, "result")
    value = [{"id": 1, "title": "a"}, {"id": 0, "title": "b", "tags": ["t", 2], "more": 1}]
    assert check.errors(value) == [
        "[1]: Additional properties are not allowed ('more' was unexpected)",
        "[1].id: 0 is less than the minimum of 1",
        '[1].tags[1]: 2 is not of type "string"',
        '[1].title: "b" does not match "^a"',
    ]
    assert check.errors(value[:1]) == []
    assert SchemaCheck(NOTE, "arguments").errors({"id": 1}) == [
        'arguments: "title" is a required property'
    ]


def test_a_result_that_is_not_json_is_a_problem_not_a_crash() -> None:
    """A handler may return a dict holding anything; what is no JSON value is invalid."""
    check = SchemaCheck({"properties": {"tags": {"type": "array"}}}, "result")
    (problem,) = check.errors({"tags": {"a", "b"}})
    assert problem.startswith("result: not a JSON value (") and "set" in problem


@pytest.fixture
def loopback_schema_host() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that serves `{"type": "integer"}` at any path, and the
    paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = json.dumps({"type": "integer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/n.json", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_ref_to_a_url_is_never_fetched(loopback_schema_host: tuple[str, list[str]]) -> None:
    """jsonschema-rs fetches a `$ref`'s URL by default: a server must not (a schema names
    what the server would reach, and a tool's schema is one document)."""
    url, asked = loopback_schema_host
    check = SchemaCheck({"properties": {"n": {"$ref": url}}}, "arguments")
    with pytest.raises(ValueError, match="refers only within itself"):
        check.errors({"n": "x"})
    assert asked == []


def test_the_ecma_pattern_keyword_is_one_between_generator_and_runtime() -> None:
    """mcpgen moves a pattern Python cannot read under this keyword in an advertised output
    schema; the runtime must read that very keyword as `pattern`."""
    from mcpgen.resolve_tools import ECMA_PATTERN_KEYWORD
    from mcpgen.vendored.runtime._patterns import ECMA_PATTERN_KEYWORD as RUNTIME_KEYWORD

    assert RUNTIME_KEYWORD == ECMA_PATTERN_KEYWORD
    schema = {
        "type": "object",
        "properties": {"k": {"type": "string", ECMA_PATTERN_KEYWORD: r"^\p{L}+$"}},
    }
    check = SchemaCheck(schema, "result")
    assert check.errors({"k": "école"}) == []
    assert check.errors({"k": "école!"}) == [r'k: "école!" does not match "^\p{L}+$"']


@pytest.mark.slow
def test_start_up_imports_no_schema_library() -> None:
    """A server imports jsonschema-rs (and jsonschema, for `patternProperties`) on its first
    check, not when it starts: a server whose tools are never called pays for neither."""
    script = """
import sys
from mcpgen.vendored.runtime._schema import SchemaCheck

def loaded():
    return sorted(m for m in ("jsonschema", "jsonschema_rs", "regress") if m in sys.modules)

check = SchemaCheck({"type": "string", "pattern": "^a"})
print(loaded())
check.errors("a")
print(loaded())
SchemaCheck({"patternProperties": {"^a": {}}}).errors({})
print(loaded())
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:3] == [
        "[]",
        "['jsonschema_rs', 'regress']",
        "['jsonschema', 'jsonschema_rs', 'regress']",
    ]
