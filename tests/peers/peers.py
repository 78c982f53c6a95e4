"""Where the npm peers live, and how to run them with the Node they need.

`npm ci --prefix tests/peers` installs them (the README's test command does); the tests
fail with that instruction when they are missing, rather than skip: a peer that does not
run proves nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PEERS = Path(__file__).resolve().parent
MODULES = PEERS / "node_modules"
NODE = MODULES / "node" / "bin" / "node"
REPO = PEERS.parent.parent


def node_env() -> dict[str, str]:
    """The environment with the pinned Node 22 first on PATH (the machine's may be older)."""
    return {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def require(package_dir: str) -> Path:
    """The installed package's directory, or a test failure saying how to install it."""
    path = MODULES / package_dir
    if not NODE.is_file() or not path.is_dir():
        pytest.fail(f"{path} is missing: run `npm ci --prefix tests/peers` first")
    return path


@dataclass(frozen=True)
class SuiteRun:
    """What one run of the conformance suite printed, and its totals."""

    output: str
    passed: int
    failed: int
    exit_code: int


# `--suite` prints "Total: N passed, F failed"; `--scenario` prints "Passed: N/M, F failed".
_TOTAL = re.compile(r"^(?:Total: (\d+) passed|Passed: (\d+)/\d+), (\d+) failed", re.MULTILINE)


def run_conformance(version_dir: str, url: str, *args: str, timeout: float = 300) -> SuiteRun:
    """`conformance server --url URL ARGS...` of the suite installed as `version_dir`."""
    entry = require(version_dir) / "dist" / "index.js"
    done = subprocess.run(
        [str(NODE), str(entry), "server", "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=node_env(),
        cwd=PEERS,
        check=False,
    )
    output = done.stdout + done.stderr
    totals = _TOTAL.search(output)
    if totals is None:
        pytest.fail(f"the suite printed no totals (exit {done.returncode}):\n{output}")
    passed = totals[1] if totals[1] is not None else totals[2]
    return SuiteRun(output, int(passed), int(totals[3]), done.returncode)


@dataclass(frozen=True)
class InspectorRun:
    """One `mcp-inspector --cli` invocation: its exit code and what it printed."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The result document it printed."""
        return json.loads(self.stdout)


def run_inspector(target: list[str], *args: str, env: dict[str, str] | None = None) -> InspectorRun:
    """`mcp-inspector --cli [-e K=V...] TARGET... ARGS...` with the pinned Node.

    Exit codes: 0 success, 5 an `isError` result or an unknown tool, 1 a JSON-RPC error.
    """
    launcher = require("inspector") / "clients" / "launcher" / "build" / "index.js"
    env_args = [part for key, value in (env or {}).items() for part in ("-e", f"{key}={value}")]
    done = subprocess.run(
        [str(NODE), str(launcher), "--cli", *env_args, *target, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=node_env(),
        cwd=PEERS,
        check=False,
    )
    return InspectorRun(done.returncode, done.stdout, done.stderr)
