"""An import that would make no tool fails aloud (exit 1, nothing written), saying why.

An MCP server without tools is never what `mcpgen import openapi` was run for: a document
with no operations (only schemas, or only webhooks), a selection that matches none, or
operations that all had to be skipped. A script that imports many descriptions must see the
failure in the exit code, and a person must read what to change.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from mcpgen.cli import main
from openapi_support import FIXTURES

PETSTORE = FIXTURES / "petstore-3.0.yaml"


def _import(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["import", "openapi", *map(str, args)])
    return result.exit_code, result.output


def test_a_document_without_operations_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "out.toml"
    code, output = _import(FIXTURES / "oas-examples-webhooks-3.1.yaml", "-o", spec)
    assert code == 1
    assert "the document describes no operations: the server would have no tools" in output
    assert "its 1 webhook describes requests the API sends" in output  # what it does hold
    assert not spec.exists() and not (tmp_path / "out.openapi-base.json").exists()


def test_a_selection_that_keeps_nothing_is_refused_and_names_what_there_is(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "out.toml"
    code, output = _import(PETSTORE, "-o", spec, "--include-tag", "pets")
    assert code == 1
    assert "none of the document's 20 operations" in output
    assert "tag 'pets' matches no operation" in output
    assert "'pet', 'store', 'user'" in output  # the tags there are
    assert not spec.exists()


def test_a_reimport_whose_selection_keeps_nothing_leaves_the_spec_alone(tmp_path: Path) -> None:
    spec = tmp_path / "out.toml"
    code, output = _import(PETSTORE, "-o", spec, "--include-tag", "store")
    assert code == 0, output
    before = spec.read_text(encoding="utf-8")
    code, output = _import("-o", spec, "--include-path", "/nowhere/*")
    assert code == 1
    assert "none of the document's 20 operations" in output
    assert spec.read_text(encoding="utf-8") == before
