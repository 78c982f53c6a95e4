"""Fixtures for every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import services
from mcpgen.model_generator import warm_up
from regeneration_support import Generated


@pytest.fixture(scope="session", autouse=True)
def warm_model_generator() -> None:
    """The model generator imported and warmed up in this process, once.

    Every in-process generation forks helper processes (`model_generator.generator_helpers`) whose
    first job is this warm-up: forked from a warm process, they start with it done. The
    helpers, the pipe and every step after stay as they are; a generation of weather.toml
    takes 0.13 s of CPU instead of 0.6 s, and the quick lane runs about a hundred.
    """
    warm_up()


@pytest.fixture(scope="session")
def generated_once(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """Generates a project once per spec in this session (per xdist worker), then copies it."""
    return Generated(tmp_path_factory.mktemp("generated-once"))


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A real `redis-server` on loopback for this session (per xdist worker)."""
    with services.redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The session's `redis-server`, emptied for this test."""
    services.flush(redis_server_url)
    return redis_server_url
