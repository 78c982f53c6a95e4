"""Shared helpers for the OpenAPI importer's tests (a module of its own, not a conftest: two
`conftest.py` files imported by name clash when tests of both folders run together)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from mcpgen.openapi.importer import ImportRequest, ImportResult, run_import

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openapi"


def import_spec(source: Path | str, output: Path, **options: Any) -> ImportResult:
    """Run an import that writes `output` (and its base) for real."""
    return run_import(ImportRequest(output=output, source=str(source), **options))


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def petstore_project(folder: Path) -> tuple[Path, Path]:
    """The petstore document (as JSON, for `edit_document`) beside its imported spec."""
    source = folder / "petstore.json"
    document = yaml.safe_load((FIXTURES / "petstore-3.0.yaml").read_text(encoding="utf-8"))
    source.write_text(json.dumps(document), encoding="utf-8")
    output = folder / "petstore.toml"
    import_spec(source, output)
    return source, output


def edit_document(path: Path, change: Callable[[Any], object]) -> None:
    """The API changes: `change` edits the JSON description in place."""
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def assert_settled(source: Path, output: Path) -> None:
    """Importing again, with nothing changed, writes the same spec."""
    before = output.read_bytes()
    import_spec(source, output)
    assert output.read_bytes() == before


def replaced(text: str, replacements: list[tuple[str, str]]) -> str:
    """`text` with each `old` (which must occur exactly once) replaced by its `new`."""
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
