"""A spec the importer writes always generates, whatever regular expressions the API uses.

JSON Schema (and so `generate`) reads patterns as ECMA-262 with the `u` flag; real OpenAPI
documents also write them in browsers' legacy dialect and in other engines' spellings
(edge/patterns.yaml holds one of each, taken from the APIs.guru directory). The importer
rewrites what has one certain reading and leaves out, loudly, what has none; the generated
server then enforces each pattern as ECMA-262.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp.client import Client
from mcpgen.cli import main
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml

SOURCE = FIXTURES / "edge" / "patterns.yaml"


def test_patterns_are_rewritten_or_left_out_aloud_and_the_spec_resolves(tmp_path: Path) -> None:
    spec_path = tmp_path / "patterns.toml"
    result = import_spec(SOURCE, spec_path, server_name="patterns")
    spec = load_toml(spec_path)
    tag = spec["types"]["Tag"]["properties"]
    assert spec["types"]["TagKey"]["pattern"] == r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
    assert tag["queryArn"]["pattern"].endswith(r"/query-[a-zA-Z\d\-_/]+$")
    assert tag["snapshot"]["pattern"] == r"^snap-([0-9A-Fa-f]{8}|[0-9A-Fa-f]{17})$"
    assert tag["name"]["pattern"] == r"^[ -~]*$"
    assert tag["labels"]["patternProperties"] == {"^x-": {"type": "string"}}
    # No certain reading: left out, and said so where the user and the curator look.
    assert "pattern" not in tag["code"]
    assert "'[a-zA-Z]{1-70}'" in tag["code"]["$comment"]
    [warning] = result.warnings
    assert warning.level == "warning" and "[a-zA-Z]{1-70}" in warning.message
    assert warning.location is not None and warning.location.line == 56
    assert any("4 patterns rewritten" in note for note in result.summary.notes)

    # `generate` accepts it without a word: no error, and no warning about the version
    # (2020-11-03, a date, as every AWS document's), which pyproject.toml gets as 2020.11.3.
    _, diagnostics = check(spec_path)
    assert diagnostics == []


@pytest.mark.slow
def test_a_generated_server_enforces_the_patterns_as_ecma_262(tmp_path: Path) -> None:
    spec_path = tmp_path / "patterns.toml"
    import_spec(SOURCE, spec_path, server_name="patterns")
    generated = CliRunner().invoke(main, ["generate", str(spec_path), "-o", str(tmp_path / "p")])
    assert generated.exit_code == 0, generated.output

    async def calls(package: ModuleType) -> list[Any]:
        # The API's address is a closed port: arguments the schema accepts get as far as
        # the request (and fail there), refused ones never leave.
        async with Client(package.build_server()) as client:
            return [
                await client.call_tool("put_tag", {"key": key, "body": body})
                for key, body in [
                    ("école", {"digits": "2026"}),
                    ("école!", {}),
                    ("tag", {"digits": "٢٠٢٦"}),
                    ("tag", {"digits": "2026\n"}),
                    ("tag", {"queryArn": "arn:aws:config:eu-1:1:stored-query/a_b/query-x-_"}),
                    ("tag", {"labels": {"x-a": "1"}}),
                    ("tag", {"labels": {"y": "1"}}),
                ]
            ]

    with _imported(tmp_path / "p" / "src", "patterns") as package:
        results = anyio.run(calls, package)
    refused = ["Invalid arguments" in result.content[0].text for result in results]
    assert refused == [False, True, True, True, False, False, True], [
        r.content[0].text for r in results
    ]


@pytest.fixture(autouse=True)
def _no_base_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATTERNS_BASE_URL", raising=False)


@contextlib.contextmanager
def _imported(src: Path, name: str) -> Iterator[ModuleType]:
    """The generated package imported from `src`, and forgotten afterwards."""
    sys.path.insert(0, str(src))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(src))
        for module in [m for m in sys.modules if m.split(".")[0] == name]:
            del sys.modules[module]
