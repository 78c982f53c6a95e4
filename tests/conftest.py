"""Fixtures for every test folder."""

from __future__ import annotations

import pytest
from regeneration_support import Generated


@pytest.fixture(scope="session")
def generated_once(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """Generates a project once per spec in this session (per xdist worker), then copies it."""
    return Generated(tmp_path_factory.mktemp("generated-once"))
