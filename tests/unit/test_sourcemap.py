"""Tests for mcpgen.sourcemap: spec paths to line:column in TOML and JSON text."""

import json
import time
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from mcpgen.sourcemap import (
    Position,
    SourceMap,
    SpecPath,
    json_source_map,
    toml_source_map,
)


def toml_at(text: str, *path: str | int) -> tuple[int, int]:
    tomllib.loads(text)  # the builders are only ever given text that parsed
    position = toml_source_map(text).locate(path)
    return position.line, position.col


def json_at(text: str, *path: str | int) -> tuple[int, int]:
    json.loads(text)
    position = json_source_map(text).locate(path)
    return position.line, position.col


# --- TOML: keys -----------------------------------------------------------------------------


def test_empty_path_is_the_start_of_the_text() -> None:
    assert toml_source_map("\n\n  a = 1\n").locate(()) == Position(1, 1)
    assert json_source_map('\n  {"a": 1}').locate(()) == Position(1, 1)


def test_top_level_keys_and_comments() -> None:
    text = '# leading comment\n\nname = "x"  # trailing = [comment]\n  version = 2\n'
    assert toml_at(text, "name") == (3, 1)
    assert toml_at(text, "version") == (4, 3)


def test_quoted_and_literal_keys() -> None:
    text = '"quoted key" = 1\n\'literal key\' = 2\n"esc\\"aped\\u00e9" = 3\n"" = 4\n'
    assert toml_at(text, "quoted key") == (1, 1)
    assert toml_at(text, "literal key") == (2, 1)
    assert toml_at(text, 'esc"aped\u00e9') == (3, 1)
    assert toml_at(text, "") == (4, 1)


def test_dotted_keys_point_at_each_part() -> None:
    text = 'x = 0\na . "b.c" . d = 1\na.e = 2\n'
    assert toml_at(text, "a", "b.c", "d") == (2, 13)
    assert toml_at(text, "a", "b.c") == (2, 5)
    # A table opened by a dotted key stays where it was first opened.
    assert toml_at(text, "a") == (2, 1)
    assert toml_at(text, "a", "e") == (3, 3)


def test_digit_keys_are_strings_not_indices() -> None:
    text = "1.5 = true\n[ports]\n8080 = 'web'\n"
    assert toml_at(text, "1", "5") == (1, 3)
    assert toml_at(text, "ports", "8080") == (3, 1)


# --- TOML: tables ---------------------------------------------------------------------------


def test_table_headers_point_at_the_last_key() -> None:
    text = "[server]\nname = 'w'\n\n[ types . Forecast ]\ntype = 'object'\n"
    assert toml_at(text, "server") == (1, 2)
    assert toml_at(text, "server", "name") == (2, 1)
    assert toml_at(text, "types") == (4, 3)
    assert toml_at(text, "types", "Forecast") == (4, 11)
    assert toml_at(text, "types", "Forecast", "type") == (5, 1)


def test_a_table_defined_after_a_subtable_points_at_its_own_header() -> None:
    text = "[a.b]\nx = 1\n[a]\ny = 2\n"
    assert toml_at(text, "a") == (3, 2)
    assert toml_at(text, "a", "b") == (1, 4)
    assert toml_at(text, "a", "y") == (4, 1)


def test_arrays_of_tables_count_their_headers() -> None:
    text = (
        "[[tools]]\n"  # 1
        "name = 'a'\n"  # 2
        "\n"  # 3
        "[[tools]]\n"  # 4
        "name = 'b'\n"  # 5
        "[tools.input]\n"  # 6
        "type = 'object'\n"  # 7
        "  [[ tools . examples ]]\n"  # 8
        "  value = 1\n"  # 9
        "  [[tools.examples]]\n"  # 10
        "  value = 2\n"  # 11
        "[[tools]]\n"  # 12
        "name = 'c'\n"  # 13
        "[[tools.examples]]\n"  # 14
        "value = 3\n"  # 15
    )
    assert toml_at(text, "tools") == (1, 3)
    assert toml_at(text, "tools", 0) == (1, 1)
    assert toml_at(text, "tools", 0, "name") == (2, 1)
    assert toml_at(text, "tools", 1) == (4, 1)
    assert toml_at(text, "tools", 1, "name") == (5, 1)
    assert toml_at(text, "tools", 1, "input") == (6, 8)
    assert toml_at(text, "tools", 1, "input", "type") == (7, 1)
    assert toml_at(text, "tools", 1, "examples") == (8, 14)
    assert toml_at(text, "tools", 1, "examples", 0) == (8, 3)
    assert toml_at(text, "tools", 1, "examples", 1) == (10, 3)
    assert toml_at(text, "tools", 1, "examples", 1, "value") == (11, 3)
    assert toml_at(text, "tools", 2) == (12, 1)
    # The examples of the third tool are a new array, counted from zero.
    assert toml_at(text, "tools", 2, "examples", 0) == (14, 1)
    assert toml_at(text, "tools", 2, "examples", 0, "value") == (15, 1)


def test_array_of_tables_under_a_table() -> None:
    text = "[server]\nname = 'w'\n[[server.hooks]]\nrun = 1\n[[server.hooks]]\nrun = 2\n"
    assert toml_at(text, "server", "hooks", 1) == (5, 1)
    assert toml_at(text, "server", "hooks", 1, "run") == (6, 1)


# --- TOML: values ---------------------------------------------------------------------------


def test_inline_tables() -> None:
    text = "annotations = { read_only = true, b.c = 2,  'q' = { deep = [] } }\nnext = {}\n"
    assert toml_at(text, "annotations") == (1, 1)
    assert toml_at(text, "annotations", "read_only") == (1, 17)
    assert toml_at(text, "annotations", "b") == (1, 35)
    assert toml_at(text, "annotations", "b", "c") == (1, 37)
    assert toml_at(text, "annotations", "q") == (1, 45)
    assert toml_at(text, "annotations", "q", "deep") == (1, 53)
    assert toml_at(text, "next") == (2, 1)


def test_arrays_index_by_element_position() -> None:
    text = "xs = [1, [2, 3], {x = 1}, 'four']\n"
    assert toml_at(text, "xs", 0) == (1, 7)
    assert toml_at(text, "xs", 1) == (1, 10)
    assert toml_at(text, "xs", 1, 0) == (1, 11)
    assert toml_at(text, "xs", 1, 1) == (1, 14)
    assert toml_at(text, "xs", 2) == (1, 18)
    assert toml_at(text, "xs", 2, "x") == (1, 19)
    assert toml_at(text, "xs", 3) == (1, 27)


def test_multi_line_arrays_with_comments_and_trailing_commas() -> None:
    text = (
        "xs = [  # the [first] = element follows\n"  # 1
        "  1,\n"  # 2
        "  # 2, not an element\n"  # 3
        "\n"  # 4
        "  [\n"  # 5
        "    'a', # ]\n"  # 6
        "    'b',\n"  # 7
        "  ],\n"  # 8
        "  { name = 'n' },\n"  # 9
        "]\n"  # 10
        "after = 1\n"  # 11
    )
    assert toml_at(text, "xs", 0) == (2, 3)
    assert toml_at(text, "xs", 1) == (5, 3)
    assert toml_at(text, "xs", 1, 1) == (7, 5)
    assert toml_at(text, "xs", 2) == (9, 3)
    assert toml_at(text, "xs", 2, "name") == (9, 5)
    assert toml_at(text, "after") == (11, 1)


def test_inline_tables_inside_arrays_inside_arrays_of_tables() -> None:
    text = (
        "[[prompts]]\n"
        "name = 'plan_trip'\n"
        "arguments = [{ name = 'city', required = true }, { name = 'days' }]\n"
    )
    assert toml_at(text, "prompts", 0, "arguments", 0, "required") == (3, 31)
    assert toml_at(text, "prompts", 0, "arguments", 1) == (3, 50)
    assert toml_at(text, "prompts", 0, "arguments", 1, "name") == (3, 52)


def test_every_kind_of_string_is_skipped_whole() -> None:
    text = (
        'a = "x = 1, ] } # \\" \\\\"\n'  # 1
        "b = 'c:\\path [x] # y'\n"  # 2
        'c = """\n'  # 3
        "[[fake]]\n"  # 4
        "key = 1\n"  # 5
        "\\\"\"\" still inside ] } # '''\n"  # 6
        'two quotes end here"""""\n'  # 7
        "d = '''\n"  # 8
        "[fake]\n"  # 9
        'key = """ = 1\n'  # 10
        "one quote ends here''''\n"  # 11
        "e = [''' ] ''', \"\"\"[\"\"\", '''\n"  # 12
        "]''']\n"  # 13
        "key = 2\n"  # 14
    )
    data = tomllib.loads(text)
    assert "fake" not in data
    assert data["key"] == 2
    assert toml_at(text, "b") == (2, 1)
    assert toml_at(text, "c") == (3, 1)
    assert toml_at(text, "d") == (8, 1)
    assert toml_at(text, "e", 1) == (12, 17)
    assert toml_at(text, "e", 2) == (12, 26)
    assert toml_at(text, "key") == (14, 1)
    assert toml_at(text, "fake") == (1, 1)


def test_numbers_dates_and_booleans() -> None:
    text = (
        "ints = [+1, 0xdead_beef, 0o17, 0b1, 1_000]\n"
        "floats = [1.5e+3, -inf, nan, 6.02e23]\n"
        "dates = [1979-05-27 07:32:00Z, 1979-05-27T00:32:00.999-07:00, 1979-05-27, 07:32:00]\n"
        "when = 1979-05-27 07:32:00 # a space separated date-time\n"
        "flags = [true, false]\n"
    )
    assert toml_at(text, "ints", 4) == (1, 37)
    assert toml_at(text, "floats", 3) == (2, 30)
    assert toml_at(text, "dates", 1) == (3, 32)
    assert toml_at(text, "dates", 2) == (3, 63)
    assert toml_at(text, "dates", 3) == (3, 75)
    assert toml_at(text, "flags") == (5, 1)
    assert toml_at(text, "flags", 1) == (5, 16)


def test_columns_count_code_points_not_bytes() -> None:
    text = 'title = "héllo 😀"\n[t]\n"ключ" = { s = "😀😀", k = 1 }\n'
    assert toml_at(text, "t", "ключ") == (3, 1)
    assert toml_at(text, "t", "ключ", "k") == (3, 22)
    assert json_at('{"😀": ["é", 1]}', "😀", 1) == (1, 13)


def test_crlf_line_endings() -> None:
    text = "[a]\r\nx = 1\r\ny = [\r\n  1,\r\n  2,\r\n]\r\n"
    assert toml_at(text, "a", "y", 1) == (5, 3)
    assert json_at('{\r\n  "a": [\r\n    1\r\n  ]\r\n}', "a", 0) == (3, 5)


# --- fallback and robustness ----------------------------------------------------------------


def test_missing_paths_fall_back_to_the_deepest_existing_ancestor() -> None:
    text = "[[tools]]\nname = 'a'\n[[tools]]\ndescription = 'no name'\ninput = {}\n"
    assert toml_at(text, "tools", 1, "name") == (3, 1)
    assert toml_at(text, "tools", 1, "input", "properties", "x") == (5, 1)
    assert toml_at(text, "tools", 7, "name") == (1, 3)
    assert toml_at(text, "nothing", "here") == (1, 1)
    assert json_at('{"tools": [{"name": 1}]}', "tools", 0, "input") == (1, 12)


def test_odd_input_never_raises() -> None:
    odd = [
        "",
        "[",
        "[[a",
        "[a.]",
        "a.= 1",
        "= 1",
        "a = ",
        "a = [1, 2",
        "a = [1 }",
        "a = {b = ",
        'a = "unterminated',
        'a = """unterminated',
        '"\\U99999999" = 1',
        "\ufeffa = 1",
        "a = 1\n\x00",
        "{",
        '{"a": ',
        '{"a\\x": 1}',
        '{"a" 1}',
        "[1, 2,",
        "]",
    ]
    for text in odd:
        for source_map in (toml_source_map(text), json_source_map(text)):
            assert isinstance(source_map.locate(("a", 0, "b")), Position)


def test_truncated_documents_map_what_they_can() -> None:
    for text, build in ((TOML_DOCUMENT, toml_source_map), (JSON_DOCUMENT, json_source_map)):
        whole = build(text)
        path: SpecPath = ("tools", 1, "input", "properties", "days")
        for end in range(len(text) + 1):
            position = build(text[:end]).locate(path)
            assert (position.line, position.col) <= (
                whole.locate(path).line,
                whole.locate(path).col,
            )


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    depth = 2000  # well past the default recursion limit of 1000
    deepest = (0,) * (depth - 1)
    assert json_source_map("[" * depth + "]" * depth).locate(deepest) == Position(1, depth)
    assert toml_source_map("a = " + "[" * depth + "]" * depth).locate(("a", *deepest)) == (
        Position(1, depth + 4)
    )


def test_large_documents_map_in_linear_time() -> None:
    # Each of these would take minutes if some step were quadratic in the size of the text.
    cases = [
        ("big = '''" + "x''\\\"\n" * 100_000 + "'''\nend = 1\n", ("end",), "end = 1"),
        ('big = """' + 'x"\\"#[]\n' * 100_000 + '"""\nend = 1\n', ("end",), "end = 1"),
        ("xs = [" + "1, [2], {a = 3}, " * 20_000 + "]\nend = 1\n", ("end",), "end = 1"),
        (
            "".join(
                f"[[tools]]\nname = 'n{i}'\ninput.p.{i} = {{ t = 1 }}\n" for i in range(10_000)
            ),
            ("tools", 9_999, "input", "p", "9999", "t"),
            "input.p.9999 = { t = 1 }",
        ),
    ]
    for text, path, line in cases:
        started = time.perf_counter()
        position = toml_source_map(text).locate(path)
        assert time.perf_counter() - started < 5
        assert text.splitlines()[position.line - 1] == line


# --- JSON -----------------------------------------------------------------------------------


def test_json_members_point_at_the_key_quote_and_elements_at_their_start() -> None:
    text = (
        "{\n"  # 1
        '  "server": {"name": "weather", "version": "0.1.0"},\n'  # 2
        '  "tools": [\n'  # 3
        '    {"name": "a \\" b", "input": {"type": "object"}},\n'  # 4
        '    [ 1 , -2.5e3, true, null, "\\\\", {"\\u00e9\\"": []} ]\n'  # 5
        "  ],\n"  # 6
        '  "after" :\t"x"\n'  # 7
        "}\n"
    )
    assert json_at(text, "server") == (2, 3)
    assert json_at(text, "server", "version") == (2, 33)
    assert json_at(text, "tools", 0) == (4, 5)
    assert json_at(text, "tools", 0, "input") == (4, 24)
    assert json_at(text, "tools", 0, "input", "type") == (4, 34)
    assert json_at(text, "tools", 1) == (5, 5)
    assert json_at(text, "tools", 1, 1) == (5, 11)
    assert json_at(text, "tools", 1, 4) == (5, 31)
    assert json_at(text, "tools", 1, 5) == (5, 37)
    assert json_at(text, "tools", 1, 5, 'é"') == (5, 38)
    assert json_at(text, "after") == (7, 3)


def test_json_duplicate_keys_point_at_the_one_json_keeps() -> None:
    assert json.loads('{"a": 1, "a": 2}') == {"a": 2}
    assert json_at('{"a": 1, "a": 2}', "a") == (1, 10)


def test_json_scalar_and_empty_documents() -> None:
    assert json_at('  "just a string"', "x") == (1, 1)
    assert json_at("[]", 0) == (1, 1)
    assert json_at("[[], {}]", 1) == (1, 6)


# --- every path a parse yields can be located -----------------------------------------------

TOML_DOCUMENT = '''\
[server]                 # wire name; the Python package name is derived unless given
name = "weather"
version = "0.1.0"
instructions = """Forecasts
for cities. [[tools]]
name = "not a key" """

[types.Forecast]
type = "object"
required = ["city", "days"]
properties.city = { type = "string" }
properties.days = { type = "array", items = { type = "number" } }

[errors.CityNotFound]
code = -32004
message = "No forecast for {city}"
data.properties.city = { type = "string" }

[[tools]]
name = "get_forecast"
annotations = { read_only = true, idempotent = true, open_world = true }
errors = ["CityNotFound"]
input.required = ["city"]
input.properties.city = { type = "string", minLength = 1 }
output = { "$ref" = "#/types/Forecast" }

[[tools]]
name = 'list_cities'
"description" = \'\'\'
Lists [cities].
key = 'value' \'\'\'
input.properties.days = { type = "integer", minimum = 1, maximum = 14, default = 3 }
  [[tools.examples]]
  arguments = { days = 2 }
  [tools.examples.result]
  cities = [
    "Oslo",   # first
    "Zürich", # second
  ]

[[resource_templates]]
uri_template = "weather://forecast/{city}/{date}"
params.date = { type = "string", format = "date" }
complete = ["city", ["nested", { deep = [1, 2.5, 1979-05-27T07:32:00Z] }]]

[[prompts]]
name = "plan_trip"
arguments = [{ name = "city", required = true }]
'''

JSON_DOCUMENT = json.dumps(tomllib.loads(TOML_DOCUMENT), indent=2, default=str)

DOCUMENTS = [
    pytest.param(TOML_DOCUMENT, tomllib.loads, toml_source_map, id="toml-spec"),
    pytest.param(
        "a.b.c = 1\n'x y'.\"z\\tw\" = [[], [[]], [{}], {q = [1, {r = 2}]}]\n[a.d]\ne = 3\n",
        tomllib.loads,
        toml_source_map,
        id="toml-nesting",
    ),
    pytest.param(JSON_DOCUMENT, json.loads, json_source_map, id="json-indented"),
    pytest.param(
        json.dumps(tomllib.loads(TOML_DOCUMENT), default=str, ensure_ascii=True),
        json.loads,
        json_source_map,
        id="json-one-line-ascii",
    ),
]


def walk(value: Any, path: SpecPath = ()) -> Iterator[SpecPath]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from walk(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from walk(child, (*path, index))


@pytest.mark.parametrize(("text", "parse", "build"), DOCUMENTS)
def test_every_parsed_path_is_located_at_its_own_text(
    text: str, parse: Callable[[str], Any], build: Callable[[str], SourceMap]
) -> None:
    source_map = build(text)
    lines = text.splitlines()
    paths = list(walk(parse(text)))
    positions = {source_map.locate(path) for path in paths}
    # Every path has a place of its own, so none of them fell back to an ancestor.
    assert len(positions) == len(paths)
    for path in paths:
        position = source_map.locate(path)
        rest = lines[position.line - 1][position.col - 1 :]
        last = path[-1]
        if isinstance(last, str):
            assert rest.startswith((last, f'"{last}"', f"'{last}'", json.dumps(last))), path
        else:
            assert rest[0] in "[{\"'+-0123456789tfin", path
