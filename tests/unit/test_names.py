"""Spec names become Python names that are always valid and never shadow anything."""

from __future__ import annotations

import builtins
import keyword

import pytest
from mcpgen.names import is_valid_tool_name, to_class_name, to_ident, words


@pytest.mark.parametrize(
    ("name", "ident", "class_name"),
    [
        ("get_forecast", "get_forecast", "GetForecast"),
        ("getForecast", "get_forecast", "GetForecast"),
        ("get-forecast.v2", "get_forecast_v2", "GetForecastV2"),
        ("HTTPServer", "http_server", "HttpServer"),
        ("utf8Decode", "utf8_decode", "Utf8Decode"),
        ("3d_render", "item_3d_render", "Item3dRender"),
        ("import", "import_", "Import"),
        ("list", "list_", "List"),
        ("match", "match_", "Match"),
        ("__init__", "init", "Init"),
        ("Ünïcode", "unicode", "Unicode"),
        ("---", "item", "Item"),
    ],
)
def test_conversions(name: str, ident: str, class_name: str) -> None:
    assert to_ident(name) == ident
    assert to_class_name(name) == class_name


@pytest.mark.parametrize("name", [*keyword.kwlist, *keyword.softkwlist, "print", "type", "id"])
def test_reserved_words_never_come_out_unchanged(name: str) -> None:
    ident = to_ident(name)
    assert ident.isidentifier()
    assert not keyword.iskeyword(ident)
    assert ident not in dir(builtins)


def test_words_split_every_spelling() -> None:
    assert words("getHTTPResponse") == ["get", "http", "response"]
    assert words("a.b-c d_e") == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("name", ["a", "get_forecast", "a.b-c", "X" * 128, "0"])
def test_valid_tool_names(name: str) -> None:
    assert is_valid_tool_name(name)


@pytest.mark.parametrize("name", ["", "a b", "a/b", "é", "X" * 129, "a\n"])
def test_invalid_tool_names(name: str) -> None:
    assert not is_valid_tool_name(name)
