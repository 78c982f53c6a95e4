"""Fixtures of the tests: yours to change, mcpgen writes this file once and never again.

`server` is the server the generated tests (tests/test_mcp_surface.py) talk to: whatever
you set up here is what they, and every tool example of the spec, run against.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer import build_server
from deployer._generated import runtime


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> runtime.SdkServer:
    """A new server for each test, running in a temporary folder.

    What the server writes relative to its working directory (a database, say) lands there,
    not in the project.
    """
    monkeypatch.chdir(tmp_path)
    return build_server()
