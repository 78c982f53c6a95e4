"""Fixtures of the functional tests: the behaviour spec, generated once per session.

`project` runs the real `mcpgen generate` on behaviour.toml into a temporary folder and
copies the handlers of tests/functional/handlers/ over the scaffolded stubs. In-process
tests import the package from `<project>/src` (put on sys.path); subprocess tests get it
through PYTHONPATH. Nothing is installed.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from functional_support import ERAS, SPEC_FILE, HttpServer, Project, generate_project, http_server
from http_support.recorder import Running, recorder
from http_support.shim import load_shim
from mcp.server.lowlevel import Server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- the HTTP client shim on its own (tests/http_support) ---------------------------------


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The HTTP client shim, copied into a throwaway package (one per test module: it keeps
    module-level state, the secrets its log filter blanks)."""
    with load_shim(tmp_path_factory.mktemp("shim")) as module:
        yield module


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    """A loopback recorder, the API the shim's requests go to (one per test module)."""
    with recorder() as running:
        yield running


@pytest.fixture
def api(served: Running) -> Running:
    """The recorder, forgetting what earlier tests sent and how it was told to answer."""
    served.app.reset()
    return served


@pytest.fixture(params=ERAS)
def mode(request: pytest.FixtureRequest) -> str:
    """The protocol era: the 2025-11-25 handshake ("legacy") or 2026-07-28."""
    era: str = request.param
    return era


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """behaviour.toml as data: what the server must advertise."""
    with SPEC_FILE.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return generate_project(tmp_path_factory.mktemp("behaviour-project"))


@pytest.fixture(scope="session")
def package(project: Project) -> Iterator[ModuleType]:
    """The generated package, imported in this process."""
    sys.path.insert(0, str(project.src))
    try:
        yield importlib.import_module(project.package)
    finally:
        sys.path.remove(str(project.src))
        for name in [m for m in sys.modules if m.split(".")[0] == project.package]:
            del sys.modules[name]


@pytest.fixture
def build_server(package: ModuleType) -> Callable[[], Server[Any]]:
    """Builds a fresh SDK server per call, so no state leaks between tests."""
    build: Callable[[], Server[Any]] = package.build_server
    return build


@pytest.fixture
def runtime(package: ModuleType) -> ModuleType:
    """The runtime shim as copied into the package."""
    return importlib.import_module(f"{package.__name__}._generated.runtime")


@pytest.fixture
def handler_module(package: ModuleType) -> Callable[[str], ModuleType]:
    """A handler module by its path under `handlers`, e.g. `tools.serial`."""

    def load(dotted: str) -> ModuleType:
        return importlib.import_module(f"{package.__name__}.handlers.{dotted}")

    return load


@pytest.fixture
def start_http_server(project: Project, tmp_path: Path) -> Iterator[Callable[[], HttpServer]]:
    """Starts HTTP servers for one test; each is stopped at teardown whatever happened."""
    with contextlib.ExitStack() as stack:
        started: list[HttpServer] = []

        def start() -> HttpServer:
            log = tmp_path / f"http-{len(started)}.log"
            started.append(stack.enter_context(http_server(project, log)))
            return started[-1]

        yield start


@pytest.fixture(scope="module")
def shared_http_server(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HttpServer]:
    """One HTTP server for a module's read-mostly tests."""
    with http_server(project, tmp_path_factory.mktemp("http") / "server.log") as server:
        yield server
