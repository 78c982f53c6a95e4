"""The command line's state options: `--state-url` without the replicas' shared key refuses
to start, saying how to make one; a key too short is refused too; without `--state-url` the
state is this process's memory (with the key, if one is given, as its sealing key)."""

from __future__ import annotations

import pytest
from mcpgen.vendored.runtime._cli import open_state
from mcpgen.vendored.runtime._state import MemoryState
from mcpgen.vendored.runtime._state_redis import RedisState


def test_shared_state_without_a_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PKG_STATE_KEY", raising=False)
    with pytest.raises(ValueError, match="--state-url needs PKG_STATE_KEY") as refused:
        open_state("redis://127.0.0.1:1/0", "PKG_", "server")
    assert "secrets.token_hex(32)" in str(refused.value)


def test_a_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKG_STATE_KEY", "short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        open_state("redis://127.0.0.1:1/0", "PKG_", "server")


def test_the_state_is_in_redis_with_a_url_and_in_memory_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PKG_STATE_KEY", "a" * 32 + ", " + "b" * 32)
    assert isinstance(open_state("redis://127.0.0.1:1/0", "PKG_", "server"), RedisState)
    assert isinstance(open_state(None, "PKG_", "server"), MemoryState)
