"""2025-era resumable streams of a server whose state is in Redis (`--state-url`):
test_http_serving's stream tests again, on a real `redis-server`. A 2025-era session lives
in the replica that opened it, and so do the event streams it resumes: a session resumes
its own stream, and reads nothing of another's, and none of it goes to Redis.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
import test_http_serving
from test_http_serving import Serving, anyio_backend, project, start

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

__all__ = ["anyio_backend", "project", "start"]  # the fixtures these tests run on

KEY = "streams-" + "0" * 32


def on_redis(start: Callable[..., Serving], redis_url: str) -> Callable[..., Serving]:
    """`start`, each server keeping its state in the Redis at `redis_url`."""

    def run(*options: str, **environment: str) -> Serving:
        return start(*options, "--state-url", redis_url, SERVING_STATE_KEY=KEY, **environment)

    return run


async def test_a_session_cannot_replay_another_sessions_stream_beside_a_shared_state(
    start: Callable[..., Serving], redis_url: str
) -> None:
    await test_http_serving.test_a_session_cannot_replay_another_sessions_stream(
        on_redis(start, redis_url)
    )
    # The streams stayed with their sessions: Redis holds no message of them.
    assert not redis.Redis.from_url(redis_url).keys("mcpgen:serving:*event*")


async def test_a_client_resumes_its_stream_beside_a_shared_state(
    start: Callable[..., Serving], redis_url: str
) -> None:
    await test_http_serving.test_a_client_that_resumes_its_stream_in_time_gets_its_answer(
        on_redis(start, redis_url)
    )
