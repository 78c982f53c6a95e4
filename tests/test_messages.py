"""What mcpgen and a generated server print says what is so: counts agree with their nouns
("1 tool", never "1 tools"), and a message names the thing it is about (a result's problem
is the result's, not the arguments').
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal

import anyio
import mcp_types as types
import pytest
from click.testing import CliRunner
from mcp.client import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcpgen.cli import main
from pydantic import ConfigDict


def _cli(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


ONE_OF_EACH = {
    "server": {"name": "single"},
    "tools": [{"name": "only"}],
    "resources": [{"uri": "single://about", "name": "about", "text": "About."}],
    "resource_templates": [{"uri_template": "single://{id}", "name": "item"}],
    "prompts": [{"name": "ask"}],
}


def test_validate_counts_one_of_each_in_the_singular(tmp_path: Path) -> None:
    spec = tmp_path / "single.json"
    spec.write_text(json.dumps(ONE_OF_EACH), encoding="utf-8")
    result = _cli("validate", spec)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"{spec}: ok (1 tool, 1 resource, 1 resource template, 1 prompt).\n")


def test_generate_counts_one_new_file_in_the_singular(tmp_path: Path) -> None:
    spec = tmp_path / "single.json"
    spec.write_text(json.dumps(ONE_OF_EACH), encoding="utf-8")
    root = tmp_path / "project"
    assert _cli("generate", spec, "-o", root).exit_code == 0
    spec.write_text(
        json.dumps({**ONE_OF_EACH, "tools": [{"name": "only"}, {"name": "another"}]}),
        encoding="utf-8",
    )
    result = _cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert "1 new handler/project file," in result.stderr, result.stderr


ONE_OPERATION = {
    "openapi": "3.1.0",
    "info": {"title": "single", "version": "1"},
    "servers": [{"url": "https://api.example"}],
    "paths": {
        "/ping": {"get": {"operationId": "ping", "responses": {"204": {"description": "pong"}}}}
    },
}


def test_import_counts_one_operation_in_the_singular(tmp_path: Path) -> None:
    document = tmp_path / "single.json"
    document.write_text(json.dumps(ONE_OPERATION), encoding="utf-8")
    result = _cli("import", "openapi", document, "-o", tmp_path / "single.toml")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"{tmp_path / 'single.toml'}: 1 tool from 1 operation in single.json."
    )


# -- a generated server ----------------------------------------------------------------------

SERVER = {
    "server": {"name": "told"},
    "tools": [
        {
            "name": "incomplete",
            "output": {
                "type": "object",
                "required": ["answer"],
                "properties": {"answer": {"type": "string"}},
            },
        },
        {"name": "one_chunk", "stream": True, "task_support": "optional"},
    ],
}
INCOMPLETE = """\
from __future__ import annotations

from typing import Any

from told._generated import models, runtime


async def incomplete(ctx: runtime.Context, args: models.IncompleteInput) -> Any:
    return {"answr": "misspelled"}  # a mapping is sent as it is, checked against the schema
"""
ONE_CHUNK = """\
from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from told._generated import models, runtime


async def one_chunk(
    ctx: runtime.Context, args: models.OneChunkInput
) -> AsyncIterator[runtime.ToolChunk]:
    yield "the only chunk"
    await anyio.sleep(1)  # long enough for the client to read the task's status
"""


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("told")
    spec = folder / "told.json"
    spec.write_text(json.dumps(SERVER), encoding="utf-8")
    result = _cli("generate", spec, "-o", folder / "out")
    assert result.exit_code == 0, result.output
    src = folder / "out" / "src"
    tools = src / "told" / "handlers" / "tools"
    (tools / "incomplete.py").write_text(INCOMPLETE, encoding="utf-8")
    (tools / "one_chunk.py").write_text(ONE_CHUNK, encoding="utf-8")
    sys.path.insert(0, str(src))
    try:
        yield importlib.import_module("told")
    finally:
        sys.path.remove(str(src))
        for name in [m for m in sys.modules if m.split(".")[0] == "told"]:
            del sys.modules[name]


@pytest.mark.slow
def test_a_results_problem_is_logged_as_the_results(
    told: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    async def call() -> types.CallToolResult:
        async with Client(told.build_server()) as client:
            return await client.call_tool("incomplete", {})

    with caplog.at_level(logging.ERROR):
        result = anyio.run(call)
    assert result.is_error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '- result: "answer" is a required property' in logged, logged
    assert "arguments" not in logged


class _CreatedTask(types.Result):
    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"]
    task_id: str


class _TaskParams(types.RequestParams):
    model_config = ConfigDict(extra="allow")
    task_id: str


class _TaskRequest(types.Request[_TaskParams, str]):
    name_param: ClassVar[str | None] = "taskId"


class _AnyResult(types.Result):
    model_config = ConfigDict(extra="allow")


class _StatusReader(ClientExtension):
    """The tasks extension's client side, reduced to reading a task's status messages."""

    identifier = "io.modelcontextprotocol/tasks"

    def __init__(self) -> None:
        self.messages: list[str] = []

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=_CreatedTask, resolve=self.resolve)]

    async def resolve(self, created: _CreatedTask, ctx: ClaimContext) -> types.CallToolResult:
        with anyio.fail_after(30):
            while True:
                request = _TaskRequest(
                    method="tasks/get", params=_TaskParams(task_id=created.task_id)
                )
                task = (await ctx.session.send_request(request, _AnyResult)).model_dump(
                    mode="json", by_alias=True, exclude_none=True
                )
                if task.get("statusMessage") and task["statusMessage"] not in self.messages:
                    self.messages.append(task["statusMessage"])
                if task["status"] == "completed":
                    return types.CallToolResult.model_validate(task["result"])
                await anyio.sleep(0.05)


@pytest.mark.slow
def test_a_streaming_tasks_status_counts_one_chunk_in_the_singular(told: ModuleType) -> None:
    reader = _StatusReader()

    async def call() -> types.CallToolResult:
        async with Client(told.build_server(), extensions=[reader]) as client:
            return await client.call_tool("one_chunk", {})

    result = anyio.run(call)
    assert not result.is_error, result.content
    assert reader.messages == ["1 chunk"]


def test_a_lifespan_left_by_the_spec_is_named_for_what_it_is(tmp_path: Path) -> None:
    """The lifespan is no named item of the spec, but its `[server] lifespan = true`."""
    spec = tmp_path / "single.json"
    spec.write_text(
        json.dumps({**ONE_OF_EACH, "server": {"name": "single", "lifespan": True}}),
        encoding="utf-8",
    )
    root = tmp_path / "project"
    assert _cli("generate", spec, "-o", root).exit_code == 0
    spec.write_text(json.dumps(ONE_OF_EACH), encoding="utf-8")
    result = _cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert (
        "warning: src/single/handlers/lifespan.py is the server's lifespan, which the spec no "
        "longer asks for; it was kept. Delete it, or set lifespan = true under [server] again."
    ) in result.stderr, result.stderr
