"""Spec text becomes Python source only as literals that round-trip exactly."""

from __future__ import annotations

import ast

import pytest
from mcpgen.literals import docstring, py_literal

HOSTILE = [
    "",
    'a """ b',
    "a ''' b",
    "{{ x }} {% if %} {# c #}",
    "back\\slash\\",
    "\\N{BULLET}",
    "line\nbreak\r\n",
    "nul\x00byte",
    "ünïcödé 😀 \u202e",
    '"); import os  #',
    'ends with a quote"',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_strings_round_trip(text: str) -> None:
    assert ast.literal_eval(py_literal(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_docstrings_round_trip(text: str) -> None:
    module = ast.parse(f"def f():\n    {docstring(text)}\n")
    function = module.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert ast.get_docstring(function, clean=False) == text


def test_json_values_round_trip() -> None:
    value = {"a": [1, 2.5, True, False, None, {"b": "c"}], "d\n": -3, "": []}
    assert ast.literal_eval(py_literal(value)) == value


def test_non_json_values_are_refused() -> None:
    with pytest.raises(ValueError):
        py_literal(float("nan"))
    with pytest.raises(TypeError):
        py_literal({1, 2})
