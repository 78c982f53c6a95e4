"""A `$ref` is a URI reference: its fragment is a JSON Pointer (RFC 6901) written in a URI, so
it is percent-decoded before its `~1` and `~0` are read, by the spec's resolver as by the
importer and by jsonschema, which checks every call against the advertised schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcpgen import pointers
from mcpgen.pipeline import check

SPEC = """\
[server]
name = "pointers"

[types."Odd name/~"]
type = "object"
properties.text = {{ type = "string", maxLength = 3 }}

[[tools]]
name = "take"
input.type = "object"
input.properties.local = {{ "$ref" = "{local}" }}
input.properties.shared = {{ "$ref" = "{shared}" }}
input.properties.again = {{ "$ref" = "#/types/Odd name~1~0" }}
input."$defs"."a b" = {{ type = "integer" }}
"""


def _checked(tmp_path: Path, local: str, shared: str) -> tuple[dict[str, Any], list[str]]:
    spec = tmp_path / "server.toml"
    spec.write_text(SPEC.format(local=local, shared=shared), encoding="utf-8")
    ir, _ = check(spec)
    (tool,) = ir.tools
    return tool.input_schema, [m.class_name for m in ir.models if m.origin[0] == "types"]


@pytest.mark.parametrize(
    ("local", "shared"),
    [
        ("#/$defs/a b", "#/types/Odd name~1~0"),
        ("#/$defs/a%20b", "#/types/Odd%20name~1~0"),
        ("#/%24defs/a%20b", "#/types/Odd%20name%7E1%7E0"),
    ],
)
def test_a_percent_encoded_ref_names_what_jsonschema_resolves(
    tmp_path: Path, local: str, shared: str
) -> None:
    schema, type_models = _checked(tmp_path, local, shared)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"local": 1, "shared": {"text": "abc"}})
    assert not validator.is_valid({"local": "1"})
    assert not validator.is_valid({"shared": {"text": "abcd"}})
    # One type, however its references spell it: one model.
    assert type_models == ["OddName"]


@pytest.mark.parametrize("key", ["plain", "a/b", "~tilde", "~1 not an escape", "100%", "%20", ""])
def test_a_fragment_reads_back_as_its_keys(key: str) -> None:
    assert pointers.keys(pointers.fragment([key, 0])) == [key, "0"]
    if "%" not in key:
        # The plain pointer (as diagnostics show it) reads back too, percent signs aside.
        assert pointers.keys(pointers.pointer([key])) == [key]


def test_walk_stops_at_the_missing_key() -> None:
    data = {"a": [{"b/c": 1}]}
    assert pointers.walk(data, ["a", "0", "b/c"]) == (1, ["a", 0, "b/c"], None)
    assert pointers.walk(data, ["a", "1"]) == (data["a"], ["a"], "1")
    assert pointers.walk(data, ["a", "0", "x"]) == ({"b/c": 1}, ["a", 0], "x")
