"""Shared helpers for the OpenAPI importer's tests."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from mcpgen.openapi.importer import ImportRequest, ImportResult, run_import

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openapi"


def import_spec(source: Path | str, output: Path, **options: Any) -> ImportResult:
    """Run an import that writes `output` (and its base) for real."""
    return run_import(ImportRequest(output=output, source=str(source), **options))


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
