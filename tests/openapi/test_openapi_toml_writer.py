"""The TOML writer: round-trips any data, and lays specs out for reading."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from mcpgen.openapi.toml_writer import dumps, multiline, string

# Any text a TOML file can hold: every code point but the surrogates.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
awkward = st.sampled_from(
    [
        '"""',
        '""',
        '"',
        "\\",
        "\\n",
        "a\nb",
        "\r\n",
        "\t",
        "\x00",
        "\x7f",
        "é",
        "🙂",
        "",
        " ",
        "x.y",
        "[a]",
        "=",
        "#",
        "'''",
        'ends with "',
        'ends with ""',
        "\\u0000",
    ]
)
strings = st.one_of(text, awkward)
scalars = st.one_of(
    strings,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(strings, children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(strings, values, max_size=6))
def test_round_trip(data: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(data)) == data


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(strings, values, max_size=6))
def test_round_trip_with_sections(data: dict[str, Any]) -> None:
    wrapped = {"tools": [data, data], "types": {"A": data}}
    text = dumps(wrapped, "# header", lambda path: len(path) <= 2)
    assert tomllib.loads(text) == wrapped


@given(strings)
def test_strings_round_trip(value: str) -> None:
    assert tomllib.loads(f"a = {string(value)}")["a"] == value
    assert tomllib.loads(f"a = {multiline(value)}")["a"] == value


def test_long_tables_spread_into_dotted_keys_and_text_into_multiline_strings() -> None:
    data = {
        "types": {
            "Pet": {
                "type": "object",
                "description": "A pet.\nIt has a name.",
                "properties": {
                    "name": {"type": "string", "description": "The pet's name, as its owner " * 3},
                    "id": {"type": "integer"},
                },
            }
        }
    }
    text = dumps(data, sections=lambda path: path[:1] == ("types",) and len(path) == 2)
    assert text == (
        "[types.Pet]\n"
        'type = "object"\n'
        'description = """\nA pet.\nIt has a name."""\n'
        'properties.name.type = "string"\n'
        "properties.name.description = \"The pet's name, as its owner The pet's name, as its owner "
        "The pet's name, as its owner \"\n"
        'properties.id = { type = "integer" }\n'
    )
    assert tomllib.loads(text) == data


def test_big_tables_in_arrays_become_arrays_of_tables() -> None:
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(12)}}
    data = {"schema": {"allOf": [big, {"$ref": "#/types/X"}]}}
    text = dumps(data)
    assert "[[schema.allOf]]" in text
    assert tomllib.loads(text) == data
