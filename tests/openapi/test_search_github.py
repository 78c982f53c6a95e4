"""GitHub's 1,223 operations in search mode: a small `tools/list`, a ranking that finds what
30 tasks ask for, and every operation callable as directly (tests/benchmarks/bench_search.py
prints the same measures)."""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_support.imported import Imported, imported_server
from http_support.recorder import Running, recorder
from mcp.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.peers]

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / "tests/peers/node_modules/octokit-openapi/generated/api.github.com.json"
TASKS = REPO / "tests/fixtures/search/github_tasks.toml"
HELD_OUT = REPO / "tests/fixtures/search/github_tasks_heldout.toml"
# How many of each set's 30 tasks have a right operation in the top 5. The ranking was tuned
# on TASKS (18 when it landed: in-sample); HELD_OUT was written later and never tuned on (19
# with that same ranking). A floor guards against a regression: tuning the ranking on the
# held-out set would make its figure in-sample too, and worthless.
HIT_FLOORS = {TASKS: 18, HELD_OUT: 19}
# Under 5k tokens, estimated as bytes / 4 (no tokenizer here); measured: 1,560 bytes.
LIST_BUDGET = 5_000 * 4


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    assert GITHUB.is_file(), "run `npm ci --prefix tests/peers` (it brings @octokit/openapi)"
    with imported_server(GITHUB, tmp_path_factory.mktemp("github"), "github") as server:
        yield server


def _build(server: Imported, surface: str, **serving: Any) -> Any:
    """The server, its own runtime told to serve `surface` (as `--tool-surface` does)."""
    chosen = importlib.import_module(f"{server.package.__name__}._generated.runtime._serving")
    with chosen.serving(chosen.Serving(surface=surface, **serving)):
        return server.build()


async def _search(client: Client, query: str) -> list[str]:
    result = await client.call_tool("search_operations", {"query": query, "limit": 5})
    assert not result.is_error, result.content
    return [entry["name"] for entry in json.loads(result.content[0].text)]  # type: ignore[union-attr]


async def test_search_mode_lists_three_tools_within_budget(github: Imported) -> None:
    async with Client(_build(github, "search")) as client:
        listed = await client.list_tools()
    tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    size = len(json.dumps({"tools": tools}, separators=(",", ":")))
    assert [t["name"] for t in tools] == [
        "search_operations",
        "describe_operation",
        "call_operation",
    ]
    assert size < LIST_BUDGET


@pytest.mark.parametrize("path", HIT_FLOORS, ids=lambda path: path.stem)
async def test_the_30_tasks_find_their_operation_in_the_top_5(github: Imported, path: Path) -> None:
    spec = tomllib.loads(github.spec.read_text(encoding="utf-8"))
    names = {t["http"]["operation_id"]: t["name"] for t in spec["tools"] if "http" in t}
    tasks = tomllib.loads(path.read_text(encoding="utf-8"))["task"]
    assert len(tasks) == 30
    hits = 0
    async with Client(_build(github, "search")) as client:
        for task in tasks:
            found = await _search(client, task["query"])
            hits += bool({names[op] for op in task["expect"]} & set(found))
    assert hits >= HIT_FLOORS[path]


@pytest.mark.parametrize("path", HIT_FLOORS, ids=lambda path: path.stem)
def test_every_task_names_operations_of_the_description(path: Path) -> None:
    """A renamed or removed operation fails here by name, not as a silent miss."""
    document = json.loads(GITHUB.read_text(encoding="utf-8"))
    operations = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    tasks = tomllib.loads(path.read_text(encoding="utf-8"))["task"]
    unknown = [(t["query"], op) for t in tasks for op in t["expect"] if op not in operations]
    assert unknown == []
    queries = [t["query"] for t in tasks]
    assert len(set(queries)) == len(queries) == 30


def test_the_held_out_tasks_are_not_the_tuned_ones() -> None:
    def queries(path: Path) -> set[str]:
        return {t["query"].lower() for t in tomllib.loads(path.read_text(encoding="utf-8"))["task"]}

    assert queries(TASKS).isdisjoint(queries(HELD_OUT))


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("pulls_list", {"owner": "octo", "repo": "hello", "state": "open", "per_page": 5}),
    ("issues_create", {"owner": "octo", "repo": "hello", "title": "Broken", "labels": ["bug"]}),
    ("repos_delete_branch_protection", {"owner": "octo", "repo": "hello", "branch": "main"}),
    ("git_delete_ref", {"owner": "octo", "repo": "hello", "ref": "heads/feature/x y"}),
]


@pytest.fixture
def api() -> Iterator[Running]:
    with recorder() as running:
        yield running


def _sent(api: Running) -> list[tuple[str, str, dict[str, str], bytes]]:
    return [(s.method, s.target, s.headers, s.body) for s in api.app.seen]


async def test_a_call_through_the_surface_sends_what_the_direct_call_sends(
    github: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{github.env_prefix}_BASE_URL", api.origin)
    async with Client(_build(github, "tools")) as client:
        direct = [await client.call_tool(name, args) for name, args in CALLS]
    sent_directly = _sent(api)
    api.app.reset()
    async with Client(_build(github, "search")) as client:
        routed = [
            await client.call_tool("call_operation", {"name": name, "arguments": args})
            for name, args in CALLS
        ]
    assert len(sent_directly) == len(CALLS)
    assert _sent(api) == sent_directly
    assert [r.model_dump() for r in routed] == [r.model_dump() for r in direct]
    # And the wrong arguments are refused by the operation's own schema, before any request.
    api.app.reset()
    async with Client(_build(github, "search")) as client:
        wrong = await client.call_tool(
            "call_operation", {"name": "pulls_list", "arguments": {"owner": "octo"}}
        )
    text = wrong.content[0].text  # type: ignore[union-attr]
    assert wrong.is_error and text.startswith("Invalid arguments for tool 'pulls_list'")
    assert api.app.seen == []


def test_an_unknown_toolset_stops_the_command_line_naming_the_known_ones(
    github: Imported,
) -> None:
    import subprocess

    src = Path(github.package.__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "github", "--toolsets", "pulls,wikis"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert "unknown toolset 'wikis'" in done.stderr
    assert "actions, activity, agent-tasks" in done.stderr
