"""Every fixture imports (and mcpgen validates the spec) or fails with a located message;
the output does not depend on the document's order or on hash seeds."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.importer import base_path
from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec

# Describes webhooks only: no tools, which the import refuses (test_openapi_no_tools).
WEBHOOKS_ONLY = FIXTURES / "oas-examples-webhooks-3.1.yaml"
GOOD = sorted(
    [*(p for p in FIXTURES.glob("*.yaml") if p != WEBHOOKS_ONLY)]
    + [FIXTURES / "petstore-separate" / "spec" / "openapi.yaml"]
    + [FIXTURES / "edge" / name for name in ("clashes.yaml", "bodies.yaml", "servers.yaml")]
    + [FIXTURES / "edge" / "split" / "openapi.yaml"]
    + [FIXTURES / "edge" / "swagger2-split" / "swagger.yaml"]
)
BAD = sorted((FIXTURES / "edge" / "bad").iterdir())
GITHUB = (
    Path(__file__).parents[1] / "peers/node_modules/octokit-openapi/generated/api.github.com.json"
)


@pytest.mark.parametrize("source", GOOD, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_imports_and_validates(source: Path, tmp_path: Path) -> None:
    output = tmp_path / "spec.toml"
    import_spec(source, output)
    _, diagnostics = check(output)
    # A document without an absolute server URL makes a server that needs its base URL
    # from the environment: the generator says so, and says nothing else.
    relative = "is not an absolute http(s) URL"
    assert [d.render() for d in diagnostics if relative not in d.message] == []


@pytest.mark.parametrize("source", BAD, ids=lambda p: p.name)
def test_bad_document_fails_with_a_located_message(source: Path, tmp_path: Path) -> None:
    output = tmp_path / "spec.toml"
    with pytest.raises(SpecError) as raised:
        import_spec(source, output)
    first = raised.value.diagnostics[0]
    assert first.level == "error"
    assert first.location is not None and first.location.line >= 1
    assert not output.exists() and not base_path(output).exists()


EXPECTED_CLI_ERRORS = {
    "remote-ref.yaml": r"remote-ref\.yaml:11:30: error: #/paths/~1x/get/responses/200/content/"
    r"application~1json/schema/\$ref: remote \$ref 'https://schemas\.example/thing\.json'",
    "yaml-syntax.yaml": r"yaml-syntax\.yaml:7:1: error: invalid YAML",
    "json-syntax.json": r"json-syntax\.json:3:69: error: invalid JSON",
    "ref-cycle.yaml": r"ref-cycle\.yaml:7:11: error: #/paths/~1x/get/parameters/0: \$ref cycle",
    "required-not-names.yaml": r"required-not-names\.yaml:16:45: error: #/paths/~1a/post/"
    r"requestBody/content/application~1json/schema/properties/x/required: `required` must be",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_CLI_ERRORS))
def test_cli_reports_bad_documents_without_a_traceback(name: str, tmp_path: Path) -> None:
    output = tmp_path / "spec.toml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpgen",
            "import",
            "openapi",
            str(FIXTURES / "edge" / "bad" / name),
            "-o",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert re.search(EXPECTED_CLI_ERRORS[name], run.stderr), run.stderr
    assert "nothing was written" in run.stderr
    assert not output.exists()


@pytest.mark.slow
def test_cli_imports_and_validate_accepts(tmp_path: Path) -> None:
    output = tmp_path / "petstore.toml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpgen",
            "import",
            "openapi",
            str(FIXTURES / "petstore-3.1.yaml"),
            "-o",
            str(output),
            "--exclude-tag",
            "user",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "12 tools from 20 operations" in run.stderr
    assert "excluded by tag 'user' (8)" in run.stderr
    assert re.search(
        r"tools/list: [\d,]+ tools?, [\d,]+ bytes, ~[\d,]+ tokens \(estimate", run.stderr
    )
    check = subprocess.run(
        [sys.executable, "-m", "mcpgen", "validate", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0 and check.stderr.count("\n") == 1, check.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "mcpgen", "import", "openapi", "-o", str(tmp_path / "new.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2 and "give SOURCE" in usage.stderr


def _shuffled_copy(source: Path, target: Path, seed: int) -> None:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    paths = list(document["paths"].items())
    random.Random(seed).shuffle(paths)
    document["paths"] = dict(paths)
    schemas = list(document.get("components", {}).get("schemas", {}).items())
    random.Random(seed).shuffle(schemas)
    if schemas:
        document["components"]["schemas"] = dict(schemas)
    target.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    "name", ["petstore-3.0.yaml", "train-travel-3.1.yaml", "edge/clashes.yaml"]
)
def test_output_does_not_depend_on_document_order(name: str, tmp_path: Path) -> None:
    outputs = []
    for seed in range(3):
        source = tmp_path / f"doc{seed}.json"
        _shuffled_copy(FIXTURES / name, source, seed)
        output = tmp_path / f"out{seed}" / "spec.toml"
        output.parent.mkdir()
        # The same recorded source path, so the header and [openapi] match too.
        (output.parent / "doc.json").write_bytes(source.read_bytes())
        import_spec(output.parent / "doc.json", output)
        outputs.append((output.read_bytes(), base_path(output).read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.slow
def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    texts = []
    for seed in ("1", "2", "3"):
        output = tmp_path / seed / "spec.toml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mcpgen",
                "import",
                "openapi",
                str(FIXTURES / "star-trek-3.0.yaml"),
                "-o",
                str(output),
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
        )
        texts.append(output.read_text(encoding="utf-8").replace(f"/{seed}/", "/"))
    assert texts[0] == texts[1] == texts[2]


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.peers
def test_github_imports_and_validates(tmp_path: Path) -> None:
    """The largest real document we know: 1,223 operations, 13 MB (speed: bench_openapi.py)."""
    assert GITHUB.is_file(), "run `npm ci --prefix tests/peers` (it brings @octokit/openapi)"
    result = import_spec(GITHUB, tmp_path / "github.toml")
    assert result.summary.tools == 1223
    _, diagnostics = check(tmp_path / "github.toml")
    assert [d.render() for d in diagnostics if d.level == "error"] == []


def test_lone_surrogates_anywhere_in_a_json_document_are_replaced(tmp_path: Path) -> None:
    """JSON can escape half a surrogate pair (`\\ud800`), which no UTF-8 file holds: every
    string the import carries (descriptions, titles, enums, names) has it replaced, as an
    operation's description always had, rather than failing with a traceback."""
    text = json.dumps(
        {
            "openapi": "3.1.0",
            "info": {"title": "T", "version": "1"},
            "paths": {
                "/x": {
                    "get": {
                        "operationId": "getX",
                        "description": "op \ud800 text",
                        "parameters": [
                            {
                                "name": "q\udfff",
                                "in": "query",
                                "schema": {
                                    "type": "string",
                                    "title": "ti \ud800",
                                    "description": "param \ud800 desc",
                                    "enum": ["a\ud800"],
                                },
                            }
                        ],
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            },
        }
    )
    assert "\\ud800" in text
    source = tmp_path / "api.json"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "spec.toml"
    import_spec(source, output)
    check(output)
    written = output.read_text(encoding="utf-8")
    for replaced in ("op ? text", "ti ?", "param ? desc", '"a?"', "q?"):
        assert replaced in written, replaced
