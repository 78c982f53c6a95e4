"""The official MCP conformance suite against examples/conformance, over streamable HTTP.

The example is generated from specs/conformance.toml; its handlers are ordinary user code.
Every check of each suite must pass, with the exact totals the suites define: 0.1.16 (the
2025 era), 0.2.0-alpha.12 on 2026-07-28, and 0.2.0-alpha.12's tasks extension scenarios.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import REPO, run_conformance
from server_process import HttpServer, serve_http

pytestmark = [pytest.mark.slow, pytest.mark.peers]

EXAMPLE = REPO / "examples" / "conformance"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    src = str(EXAMPLE / "src")
    pythonpath = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}
    log: Path = tmp_path_factory.mktemp("conformance") / "server.log"
    with serve_http("conformance", env, log) as running:
        yield running


def url(server: HttpServer) -> str:
    # The suites test DNS-rebinding protection against a localhost URL.
    return f"http://localhost:{server.port}/mcp"


def test_suite_0_1_all_scenarios(server: HttpServer) -> None:
    run = run_conformance("conformance-0.1", url(server), "--suite", "all")
    assert (run.passed, run.failed) == (44, 0), run.output
    assert run.exit_code == 0, run.output


def test_suite_0_2_all_scenarios_of_2026_07_28(server: HttpServer) -> None:
    run = run_conformance(
        "conformance-0.2", url(server), "--suite", "all", "--spec-version", "2026-07-28"
    )
    assert (run.passed, run.failed) == (152, 0), run.output
    assert run.exit_code == 0, run.output
    assert "WARNING" not in run.output, run.output


# The tasks extension's scenarios (0.2.0-alpha.12), run one by one as the suite requires,
# with each one's number of checks. The SDK lists them all as expected failures.
# tasks-status-notifications has none: the suite skips it, pending its rewrite.
TASK_SCENARIOS = {
    "tasks-lifecycle": 9,
    "tasks-capability-negotiation": 5,
    "tasks-wire-fields": 4,
    "tasks-request-state-removal": 3,
    "tasks-mrtr-input": 4,
    "tasks-request-headers": 5,
    "tasks-dispatch-and-envelope": 9,
    "tasks-status-notifications": 0,
    "tasks-required-task-error": 3,
    "tasks-mrtr-composition": 2,
}


@pytest.mark.parametrize("scenario", sorted(TASK_SCENARIOS))
def test_suite_0_2_tasks_extension(server: HttpServer, scenario: str) -> None:
    run = run_conformance("conformance-0.2", url(server), "--scenario", scenario)
    assert (run.passed, run.failed) == (TASK_SCENARIOS[scenario], 0), run.output
    assert run.exit_code == 0, run.output
