"""A long-running operation from description to answer: Azure's Computer Vision OCR document
(its POST /recognizeText answers 202 with `Operation-Location`) imported, generated, started
as a stdio subprocess and called through the SDK client, against a loopback API that accepts
the request, says "Running" once, then "Succeeded" with the text it read."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
from http_support.project import subprocess_env
from http_support.recorder import Recorder, Reply, Seen, recorder
from mcp import StdioServerParameters
from mcp.client import Client
from test_openapi_end_to_end import _mcpgen

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FIXTURE = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "openapi"
    / "microsoft-cognitiveservices-ocr.json"
)
KEY = "ocr-subscription-key-123"
READ = {"status": "Succeeded", "recognitionResult": {"lines": [{"text": "HELLO WORLD"}]}}


@pytest.fixture(scope="module")
def generated_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("ocr-imported")
    spec = work / "ocr.toml"
    _mcpgen("import", "openapi", FIXTURE, "-o", spec, "--name", "ocr")
    _mcpgen("generate", spec, "-o", work / "project")
    return work / "project" / "src"


class Vision:
    """POST /vision/v2.1/recognizeText is accepted; its monitor runs once, then succeeds.
    `Retry-After: 1` (the least a header says) keeps the polls a second apart, not the
    description's default five."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.polls = 0

    def __call__(self, seen: Seen) -> Reply:
        wait = {"retry-after": "1"}
        if seen.method == "POST":
            monitor = f"{self.origin}/vision/v2.1/textOperations/op-1"
            return Reply(202, "", {"operation-location": monitor, **wait})
        self.polls += 1
        return Reply(200, {"status": "Running"} if self.polls == 1 else READ, wait)


async def test_an_imported_long_running_operation_answers_its_result(generated_src: Path) -> None:
    app = Recorder()
    with recorder(app) as api:
        app.respond = Vision(api.origin)
        env = subprocess_env(
            generated_src, OCR_BASE_URL=f"{api.origin}/vision/v2.1", OCR_APIM_KEY=KEY
        )
        server = StdioServerParameters(command=sys.executable, args=["-m", "ocr"], env=env)
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        async with Client(server) as client:
            [tool] = [t for t in (await client.list_tools()).tools if t.name == "recognize_text"]
            result = await client.call_tool(
                "recognize_text",
                {"mode": "Printed", "body": {"url": "https://example.com/sign.png"}},
                progress_callback=on_progress,
            )
    assert tool.execution is not None and tool.execution.task_support == "optional"
    assert not result.is_error, result
    assert "HELLO WORLD" in str(result.content[0])
    assert [(s.method, s.target) for s in app.seen] == [
        ("POST", "/vision/v2.1/recognizeText?mode=Printed"),
        ("GET", "/vision/v2.1/textOperations/op-1"),
        ("GET", "/vision/v2.1/textOperations/op-1"),
    ]
    # The monitor is on the API's origin: the key goes there too.
    assert {s.headers.get("ocp-apim-subscription-key") for s in app.seen} == {KEY}
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(app.seen)]
    assert min(gaps) >= 0.95
    assert [message for _, _, message in progress] == [
        "accepted; waiting for the operation to end",
        "Running; 1 poll in 1 s",
    ]
