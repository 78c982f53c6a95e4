"""Shared helpers for the OpenAPI importer's tests (a module of its own, not a conftest: two
`conftest.py` files imported by name clash when tests of both folders run together)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mcpgen.openapi.importer import ImportRequest, ImportResult, run_import

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openapi"


def import_spec(source: Path | str, output: Path, **options: Any) -> ImportResult:
    """Run an import that writes `output` (and its base) for real."""
    return run_import(ImportRequest(output=output, source=str(source), **options))


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))
