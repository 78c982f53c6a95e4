"""One session of the MCP Inspector CLI against examples/kitchen-sink: stdio, then HTTP.

The Inspector is the TypeScript SDK's client, so this checks what Python's client cannot:
that another implementation reads our lists, results, errors, resources and prompts.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import REPO, run_inspector
from server_process import HttpServer, serve_http

pytestmark = [pytest.mark.slow, pytest.mark.peers]

SRC = REPO / "examples" / "kitchen-sink" / "src"
STDIO = [sys.executable, "-m", "kitchen_sink"]
ENV = {"PYTHONPATH": str(SRC)}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    pythonpath = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath}
    log: Path = tmp_path_factory.mktemp("inspector") / "server.log"
    with serve_http("kitchen_sink", env, log) as running:
        yield running


def test_a_session_over_stdio() -> None:
    tools = run_inspector(STDIO, "--method", "tools/list", env=ENV)
    assert tools.exit_code == 0, tools.stderr
    listed = {tool["name"]: tool for tool in tools.json()["tools"]}
    assert listed["get_note"]["annotations"]["readOnlyHint"] is True
    assert listed["get_note"]["outputSchema"]["required"] == ["id", "title", "body", "tags"]

    found = run_inspector(
        STDIO, "--method", "tools/call", "--tool-name", "get_note", "--tool-arg", "id=2", env=ENV
    )
    assert found.exit_code == 0, found.stderr
    assert found.json()["structuredContent"]["title"] == "Ideas"

    missing = run_inspector(
        STDIO, "--method", "tools/call", "--tool-name", "get_note", "--tool-arg", "id=99", env=ENV
    )
    assert missing.exit_code == 5, missing.stderr  # an isError result, read as one
    assert missing.json()["_meta"]["dev.mcpgen/error"]["type"] == "NoteNotFound"

    note = run_inspector(STDIO, "--method", "resources/read", "--uri", "notes://3", env=ENV)
    assert note.exit_code == 0, note.stderr
    assert '"Quotes"' in note.json()["contents"][0]["text"]

    templates = run_inspector(STDIO, "--method", "resources/templates/list", env=ENV)
    assert templates.exit_code == 0, templates.stderr
    assert "notes://{id}" in {t["uriTemplate"] for t in templates.json()["resourceTemplates"]}

    prompt = run_inspector(
        STDIO,
        "--method",
        "prompts/get",
        "--prompt-name",
        "summarize",
        "--prompt-args",
        "id=1",
        "style=brief",
        env=ENV,
    )
    assert prompt.exit_code == 0, prompt.stderr
    assert prompt.json()["messages"][1]["content"]["text"] == "Summarize the note above; be brief."


def test_a_session_over_http(http: HttpServer) -> None:
    target = [http.url]
    tools = run_inspector(target, "--method", "tools/list")
    assert tools.exit_code == 0, tools.stderr
    with (REPO / "specs" / "kitchen-sink.toml").open("rb") as spec:
        declared = [tool["name"] for tool in tomllib.load(spec)["tools"]]
    assert [tool["name"] for tool in tools.json()["tools"]] == declared

    streamed = run_inspector(
        target, "--method", "tools/call", "--tool-name", "read_aloud", "--tool-arg", "id=1"
    )
    assert streamed.exit_code == 0, streamed.stderr
    assert streamed.json()["content"][0]["text"] == "eggs milk bread"

    timed_out = run_inspector(
        target, "--method", "tools/call", "--tool-name", "bounded_job", "--tool-arg", "seconds=5"
    )
    assert timed_out.exit_code == 5, timed_out.stderr
    assert timed_out.json()["_meta"]["dev.mcpgen/error"]["type"] == "ToolTimeout"

    refused = run_inspector(target, "--method", "resources/read", "--uri", "files://../secret")
    assert refused.exit_code == 1  # a JSON-RPC error: the path tries to leave its place
