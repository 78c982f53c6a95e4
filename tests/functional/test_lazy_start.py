"""Start-up: `tools/list` is answered from data; models and handlers wait for a tool call.

A server of a thousand tools (GitHub's API) spent seconds importing its models and
handlers before it could list anything, and its first call bound every tool. Now the
definitions are `tools.json` and `bind_tool` binds a tool on its own first call. These tests
check both halves in a fresh interpreter (what is imported when), and that the file's shared
`$defs` give back every definition.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from functional_support import Project
from http_support.recorder import Recorder, Reply, recorder
from mcpgen import emit
from mcpgen.pipeline import generate
from mcpgen.render import tool_definition

REPO = Path(__file__).resolve().parents[2]

# Lists the tools, calls one, and prints which of `watched` were imported after each step.
PROBE = textwrap.dedent(
    """\
    import json, sys

    import anyio
    from mcp.client import Client

    package, tool, arguments, watched = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
    build_server = __import__(package).build_server


    def imported():
        return sorted(name for name in watched if name in sys.modules)


    async def main():
        report = {}
        async with Client(build_server(), mode="legacy") as client:
            report["tools"] = len((await client.list_tools()).tools)
            report["after_list"] = imported()
            result = await client.call_tool(tool, arguments)
            report["call_text"] = [c.text for c in result.content if c.type == "text"]
            report["after_call"] = imported()
        print(json.dumps(report))


    anyio.run(main)
    """
)


def probe(
    src: Path,
    package: str,
    tool: str,
    arguments: dict[str, object],
    watched: list[str],
    **env_vars: str,
) -> dict[str, object]:
    return run_script(src, PROBE, package, tool, json.dumps(arguments), *watched, **env_vars)


def run_script(src: Path, script: str, *args: str, **env_vars: str) -> dict[str, Any]:
    """What `script` reports (its last line, JSON), run in a fresh interpreter on `src`."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src), **env_vars},
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


@pytest.mark.slow
def test_listing_imports_no_tool_handler_until_a_call(project: Project) -> None:
    watched = [f"{project.package}.handlers.tools.echo", f"{project.package}.handlers.tools.whois"]
    report = probe(project.src, project.package, "echo", {"text": "hi"}, watched)
    assert report["after_list"] == []
    assert report["call_text"] == ["hi"]
    # A call binds its own tool: `whois` waits for a call of its own.
    assert report["after_call"] == [f"{project.package}.handlers.tools.echo"]


# The scripts' `slow` module takes a second to import; `package`'s server is built after.
SLOW_IMPORT = textwrap.dedent(
    """

    class SlowImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == slow:
                time.sleep(1.0)
            return None


    sys.meta_path.insert(0, SlowImport())
    build_server = __import__(package).build_server
    """
)


# Lists the tools of an HTTP API's server, waits (at most 10 s) for its HTTP client to be made
# without a call, then calls a tool; prints what of `watched` was imported at each step.
# With `slow`, importing that module takes a second: the call comes at once after the list.
MADE_AHEAD = (
    textwrap.dedent(
        """\
    import gc, importlib.abc, json, sys, time

    import anyio
    from mcp.client import Client

    package, tool, arguments, slow, watched = (
        sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5:]
    )
    """
    )
    + SLOW_IMPORT
    + textwrap.dedent(
        """\


    def imported():
        return sorted(name for name in watched if name in sys.modules)


    def clients():
        return sum(type(o).__name__ == "HttpClient" for o in gc.get_objects())


    async def main():
        report = {}
        async with Client(build_server(), mode="legacy") as client:
            start = time.perf_counter()
            report["tools"] = len((await client.list_tools()).tools)
            report["listed_in"] = time.perf_counter() - start
            report["after_list"] = imported()
            if not slow:
                while not clients() and time.perf_counter() - start < 10:
                    await anyio.sleep(0.01)
                report["made_ahead"] = imported()
            result = await client.call_tool(tool, arguments)
            report["called_in"] = time.perf_counter() - start
            report["call_text"] = [c.text for c in result.content if c.type == "text"]
            report["after_call"] = imported()
            report["clients"] = clients()
        print(json.dumps(report))


    anyio.run(main)
    """
    )
)


def made_ahead(slow: str, watched: list[str]) -> dict[str, Any]:
    """MADE_AHEAD's report on the petstore example, its API nowhere: the call fails (as a
    result) after its binding, sending its request."""
    return run_script(
        REPO / "examples" / "petstore" / "src",
        MADE_AHEAD,
        "petstore",
        "getPetById",
        json.dumps({"petId": 1}),
        slow,
        *watched,
        PETSTORE_BASE_URL="http://127.0.0.1:9",
        PETSTORE_API_KEY="key",
    )


@pytest.mark.slow
def test_http_tools_list_without_models_and_the_client_is_made_before_a_call() -> None:
    generated = "petstore._generated"
    watched = [f"{generated}.{name}" for name in ("http_client", "models", "operations")]
    report = made_ahead("", watched)
    assert report["tools"] == 11
    assert f"{generated}.models" not in report["after_list"]
    # The HTTP client every call needs is made once the tools are listed, with no call.
    assert report["made_ahead"] == [f"{generated}.{name}" for name in ("http_client", "operations")]
    # The models wait for a tool that needs one: an input model, or a declared error's data
    # (the API answering 404, say); a call that fails to connect needs neither.
    assert report["call_text"] == ["GET /pet/{petId} failed: could not connect"]
    assert report["after_call"] == report["made_ahead"]
    assert report["clients"] == 1


@pytest.mark.slow
def test_a_call_during_the_making_ahead_waits_for_it_and_nothing_is_made_twice() -> None:
    # The HTTP client's import takes a second; the list does not wait for it, the call
    # right after the list does (and makes no second client of its own).
    report = made_ahead("petstore._generated.http_client", [])
    assert report["listed_in"] < 0.5, report
    assert report["called_in"] >= 1.0, report
    assert report["call_text"] == ["GET /pet/{petId} failed: could not connect"]
    assert report["clients"] == 1


def test_a_declared_error_answer_imports_no_models() -> None:
    """The API answering with a declared error (404 -> PetNotFound) is checked against the
    error's data schema, not by building its typed model: Stripe's error data reaches 741
    model definitions, 1.2-1.5 s to import on the first call that met an error. The typed
    `.data` is built when code reads it (test_errors.py)."""
    generated = "petstore._generated"
    watched = [f"{generated}.models"]
    missing = Reply(404, {"code": 1, "type": "error", "message": "Pet not found"})
    with recorder(Recorder(respond=lambda _: missing)) as api:
        report = probe(
            REPO / "examples" / "petstore" / "src",
            "petstore",
            "getPetById",
            {"petId": 1},
            watched,
            PETSTORE_BASE_URL=api.origin,
            PETSTORE_API_KEY="key",
        )
    assert report["call_text"][0].startswith("No such pet (HTTP 404)"), report
    assert report["after_call"] == []


@pytest.mark.parametrize("case", ["refs", "minimal"])
def test_tools_json_gives_back_every_definition(case: str, tmp_path: Path) -> None:
    result = generate(REPO / "tests" / "cases" / "golden" / case / "spec.toml")
    package = result.ir.server.package
    plan = emit.plan(tmp_path, result.files, package)
    emit.apply(tmp_path, plan, result.ir.spec_sha256, result.refs)
    stored = json.loads((tmp_path / "src" / package / "_generated" / "tools.json").read_bytes())
    uses = [
        schema["$defs"]
        for tool in stored["tools"]
        for schema in (tool["inputSchema"], tool.get("outputSchema") or {})
        if "$defs" in schema
    ]
    # Each entry once, however many schemas use it.
    assert sorted({at for used in uses for at in used.values()}) == list(range(len(stored["defs"])))
    sys.path.insert(0, str(tmp_path / "src"))
    try:
        definitions = __import__(
            f"{package}._generated.runtime._definitions", fromlist=["load_tools"]
        )
        loaded = definitions.load_tools(f"{package}._generated")
    finally:
        sys.path.remove(str(tmp_path / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]
    assert loaded == [tool_definition(tool) for tool in result.ir.tools]


# The first call's binding is slowed down (the handler module takes a second to import, as
# a thousand tools' models do); meanwhile the same client lists the tools.
SLOW_BINDING = (
    textwrap.dedent(
        """\
    import importlib.abc, json, sys, time

    import anyio
    from mcp.client import Client

    package, slow = sys.argv[1], sys.argv[2]
    """
    )
    + SLOW_IMPORT
    + textwrap.dedent(
        """\


    async def main():
        done = {}
        async with Client(build_server(), mode="legacy") as client:
            await client.list_tools()
            start = time.perf_counter()

            async def call():
                await client.call_tool("echo", {"text": "hi"})
                done["call"] = time.perf_counter() - start

            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await anyio.sleep(0.1)
                await client.list_tools()
                done["list"] = time.perf_counter() - start
        print(json.dumps(done))


    anyio.run(main)
    """
    )
)


@pytest.mark.slow
def test_the_loop_answers_while_the_first_call_binds(project: Project) -> None:
    times = run_script(
        project.src, SLOW_BINDING, project.package, f"{project.package}.handlers.tools.echo"
    )
    assert times["call"] >= 1.0  # the binding really was slow
    assert times["list"] < times["call"] - 0.5  # and the list did not wait for it


def stdio_tools_list(src: Path, package: str, version: str) -> dict[str, object]:
    """The `tools/list` response of `python -m <package>`, read off its stdout as sent."""
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    with subprocess.Popen(
        [sys.executable, "-m", package],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(src)},
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        server.stdin.flush()
        # stdin stays open until the answers are in: at its end the server stops.
        responses = [json.loads(server.stdout.readline()) for _ in range(2)]
        server.stdin.close()
        assert server.wait(timeout=60) == 0
    assert [r.get("id") for r in responses] == [1, 2]
    assert responses[0]["result"]["protocolVersion"] == version
    listed: dict[str, object] = responses[1]
    return listed


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2024-11-05", "2025-11-25"])
def test_tools_list_sends_what_the_sdk_would(project: Project, version: str) -> None:
    # The runtime passes the SDK an empty list and puts the tools into the envelope it made
    # (`runtime._sieve.sieve_tools`): the wire must be the SDK's own check and dump of the whole list.
    from mcp_types.methods import serialize_server_result

    stored = json.loads((project.src / project.package / "_generated" / "tools.json").read_bytes())
    tools = [
        {
            **tool,
            **{
                key: {**tool[key], "$defs": {n: stored["defs"][at] for n, at in used.items()}}
                for key in ("inputSchema", "outputSchema")
                if (used := (tool.get(key) or {}).get("$defs"))
            },
        }
        for tool in stored["tools"]
    ]
    expected = serialize_server_result("tools/list", version, {"tools": tools})
    listed = stdio_tools_list(project.src, project.package, version)
    # Parsed in order: the same keys in the same order, the same values.
    assert json.dumps(listed["result"]) == json.dumps(expected)


# Records whether the garbage collector was on when the SDK's packages were first imported,
# then runs the command line (`__main__.main`) on an empty stdin, which returns at once.
GC_PROBE = textwrap.dedent(
    """\
    import gc, importlib.abc, json, sys

    package = sys.argv[1]
    report = {}


    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name in ("mcp", "mcp_types", "pydantic") and name not in report:
                report[name] = gc.isenabled()
            return None


    sys.meta_path.insert(0, Watch())
    __import__(package)
    report["sdk_with_the_package"] = "mcp" in sys.modules
    main = __import__(f"{package}.__main__", fromlist=["main"]).main
    sys.argv = [package]
    main()
    report["collector_after"] = gc.isenabled()
    report["frozen"] = gc.get_freeze_count() > 0
    print(json.dumps(report))
    """
)


@pytest.mark.slow
def test_start_up_runs_without_the_garbage_collector(project: Project) -> None:
    # Importing the SDK and building the server allocate much and free next to nothing:
    # `python -m <package>` keeps the collector off until the server is built, then
    # freezes what start-up made, so later passes skip it.
    report = run_script(project.src, GC_PROBE, project.package)
    assert report == {
        "sdk_with_the_package": False,  # importing the package imports no SDK
        "pydantic": False,
        "mcp_types": False,
        "mcp": False,
        "collector_after": True,
        "frozen": True,
    }
