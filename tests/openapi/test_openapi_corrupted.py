"""A corrupted document imports, or fails with located messages: never anything else.

Each example takes a real fixture and breaks it in one place (a value replaced by one of
another kind, or a key removed), as a hand edit or a buggy exporter would, and imports it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.importer import ImportRequest, run_import
from openapi_support import FIXTURES

DOCUMENTS = {
    name: yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    for name in ("petstore-3.0.yaml", "petstore-swagger-2.0.yaml")
}

# What a broken place may hold instead: every JSON kind, and the shapes schemas expect.
REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from(["", "x", "#/components/schemas/Nope", "#/definitions/Nope", "object"]),
    st.just([]),
    st.just([{}]),
    st.just({}),
    st.just({"$ref": "#/nowhere"}),
    st.just({"type": "array"}),
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document, root excluded."""
    found: list[tuple[Any, ...]] = [path] if path else []
    if isinstance(value, (dict, list)):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            found.extend(_places(item, (*path, key)))
    return found


PLACES = {name: _places(document) for name, document in DOCUMENTS.items()}


def _broken(document: Any, place: tuple[Any, ...], replacement: Any, remove: bool) -> Any:
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in place[:-1]:
        parent = parent[key]
    if remove and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = replacement
    return copy


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    place = draw(st.sampled_from(PLACES[name]))
    return name, _broken(DOCUMENTS[name], place, draw(REPLACEMENTS), draw(st.booleans()))


@pytest.mark.slow
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(corruptions())
def test_a_corrupted_document_imports_or_says_where(corruption: tuple[str, Any]) -> None:
    name, document = corruption
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"{Path(name).stem}.json"
        source.write_text(json.dumps(document), encoding="utf-8")
        request = ImportRequest(output=Path(folder) / "spec.toml", source=str(source))
        try:
            run_import(request, write=False)
        except SpecError as error:
            assert error.diagnostics
            for diagnostic in error.diagnostics:
                assert diagnostic.location is not None, diagnostic.render()
                assert diagnostic.location.line >= 1
