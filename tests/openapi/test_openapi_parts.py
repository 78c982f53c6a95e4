"""Unit tests of the smaller stages: names, the tools/list size, remote documents."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcpgen.diagnostics import SpecError
from mcpgen.load import load_spec
from mcpgen.openapi.naming import (
    Candidate,
    NamedOperation,
    class_names,
    fit,
    property_name,
    tool_names,
)
from mcpgen.openapi.summary import tools_list_size
from mcpgen.render import tools_list_size as served_size
from mcpgen.resolve import build_ir
from openapi_support import FIXTURES, import_spec, load_toml


def test_tool_names_are_snake_case_fitted_and_order_free() -> None:
    operations = [
        NamedOperation("GET /repos/{owner}/{repo}", "repos/get"),
        NamedOperation("POST /pets", "addPet"),
        NamedOperation("GET /pets/{petId}/photos", None),
        NamedOperation("GET /x", "a" * 80),
        NamedOperation("GET /y", "ünïcode-Ωperation"),
    ]
    names = tool_names(operations, 48).names
    assert names["GET /repos/{owner}/{repo}"] == "repos_get"
    assert names["POST /pets"] == "add_pet"
    assert names["GET /pets/{petId}/photos"] == "get_pets_pet_id_photos"
    assert len(names["GET /x"]) == 48 and names["GET /x"].startswith("aaaa")
    assert names["GET /y"] == "unicode_peration"
    assert tool_names(reversed(operations), 48).names == names


def test_clashing_names_do_not_depend_on_who_else_exists() -> None:
    pair = [NamedOperation("GET /a", "getThing"), NamedOperation("GET /b", "get_thing")]
    trio = [*pair, NamedOperation("GET /c", "getThing")]
    assert tool_names(pair, 48).names["GET /a"] == tool_names(trio, 48).names["GET /a"]
    assert len(set(tool_names(trio, 48).names.values())) == 3


def test_fit_keeps_a_readable_head_and_a_hash() -> None:
    assert fit("short", 10) == "short"
    fitted = fit("x" * 30, 20)
    assert len(fitted) == 20 and fitted.startswith("x" * 13 + "_")
    assert fit("x" * 30, 20) != fit("x" * 29 + "y", 20)


def test_class_names_prefer_the_exact_component_and_avoid_taken_names() -> None:
    names, notes = class_names(
        [
            Candidate("#/components/schemas/Pet", "Pet", preferred=True),
            Candidate("#/components/schemas/pet", "pet", preferred=True),
            Candidate("#/components/schemas/GetPetInput", "GetPetInput", preferred=True),
        ],
        {"GetPetInput": "tool get_pet"},
        "Schema",
    )
    assert names["#/components/schemas/Pet"] == "Pet"
    assert (
        names["#/components/schemas/pet"].startswith("Pet")
        and names["#/components/schemas/pet"][3:].isdigit()
    )
    assert names["#/components/schemas/GetPetInput"] == "GetPetInputSchema"
    assert len(notes) == 1


def test_property_names_clients_accept() -> None:
    assert property_name("X-Request-ID") == "X-Request-ID"
    assert property_name("page[size]") == "page_size"
    assert property_name("$$$").startswith("param_")
    assert len(property_name("p" * 100)) == 64


@pytest.mark.parametrize(
    "name", ["petstore-3.1.yaml", "train-travel-3.1.yaml", "edge/clashes.yaml"]
)
def test_tools_list_size_is_the_size_of_what_the_server_advertises(
    name: str, tmp_path: Path
) -> None:
    output = tmp_path / "spec.toml"
    import_spec(FIXTURES / name, output)
    ir, _ = build_ir(load_spec(output))
    listed = []
    for tool in ir.tools:
        entry: dict[str, Any] = {"name": tool.name}
        if tool.title:
            entry["title"] = tool.title
        if tool.description:
            entry["description"] = tool.description
        entry["inputSchema"] = tool.input_schema
        if tool.output_schema is not None:
            entry["outputSchema"] = tool.output_schema
        wire = {"readOnlyHint": "read_only", "destructiveHint": "destructive"}
        wire |= {"idempotentHint": "idempotent", "openWorldHint": "open_world"}
        annotations = {
            key.replace("_hint", "Hint")
            .replace("read_onlyHint", "readOnlyHint")
            .replace("open_worldHint", "openWorldHint"): value
            for key, value in tool.annotations
        }
        if annotations:
            entry["annotations"] = annotations
        listed.append(entry)
    expected = json.dumps({"tools": listed}, ensure_ascii=False, separators=(",", ":"))
    assert tools_list_size(load_toml(output)).size == len(expected.encode())
    # What `generate` reports, from the definitions the server is generated with.
    assert served_size(ir).size == len(expected.encode())


@pytest.fixture
def served() -> Iterator[str]:
    """The split-file fixture served over HTTP on loopback."""
    root = FIXTURES / "edge" / "split"

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_remote_refs_are_fetched_only_when_allowed(served: str, tmp_path: Path) -> None:
    document = tmp_path / "api.yaml"
    local = (FIXTURES / "edge" / "split" / "openapi.yaml").read_text(encoding="utf-8")
    document.write_text(
        local.replace("paths/animals.yaml", f"{served}/paths/animals.yaml").replace(
            '"schemas/', f'"{served}/schemas/'
        ),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="remote \\$ref"):
        import_spec(document, tmp_path / "a.toml")
    import_spec(document, tmp_path / "b.toml", allow_remote_refs=True)
    spec = load_toml(tmp_path / "b.toml")
    assert set(spec["types"]) == {"Animal", "Keeper", "Problem"}


def test_a_remote_source_resolves_its_relative_refs_remotely(served: str, tmp_path: Path) -> None:
    import_spec(f"{served}/openapi.yaml", tmp_path / "c.toml", allow_remote_refs=True)
    spec = load_toml(tmp_path / "c.toml")
    assert spec["openapi"]["source"] == f"{served}/openapi.yaml"
    assert len(spec["tools"]) == 2
