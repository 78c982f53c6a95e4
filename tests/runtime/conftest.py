"""Fixtures of the runtime tests (helpers are in runtime_support.py)."""

from __future__ import annotations

import pytest
from runtime_support import ERAS


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=ERAS)
def mode(request: pytest.FixtureRequest) -> str:
    """The protocol era: the 2025-11-25 handshake ("legacy") or 2026-07-28."""
    era: str = request.param
    return era
