"""Cross-request state in Redis, shared by every replica of a server (`--state-url`).

One connection pool and one pub/sub connection per process. Everything a replica holds on
behalf of others (a concurrency slot, the lease of a task it runs) is a lease it renews
every `LEASE / 3` seconds: when a replica dies its slots come back and its tasks are
failed, within `LEASE` seconds. Times are Redis's own (`TIME` in the scripts), so the
replicas' clocks need not agree.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
import redis.asyncio as redis
from mcp.server.request_state import RequestStateSecurity  # noqa: TID251 (the runtime)

from ._errors import ToolBusy
from ._limits import Limiter, Limits
from ._state import Receiver, SharedTasks, State

_log = logging.getLogger("mcpgen.state")

# A replica's hold on a slot or a task lasts this long unrenewed: its death frees the slot
# and fails the task within 6 s, for one renewal round trip every 2 s per replica.
LEASE_MS = 6_000
# How often a call waiting for a concurrency slot asks again (a wait is at most `max_wait`).
_SLOT_POLL = 0.05
_TERMINAL = ("completed", "failed", "cancelled")

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

# KEYS: the slot set; ARGV: its cap, a holder's name, LEASE_MS. 1: admitted.
_TAKE_SLOT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return 1
"""
)

# KEYS: the window; ARGV: calls, window ms, a call's name. -1: admitted; else ms to wait.
_TAKE_RATE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + tonumber(ARGV[2]) - now)
"""
)

# KEYS: lease sets, one per ARGV member after ARGV[1] (LEASE_MS): renew the ones still held.
_RENEW = (
    _NOW
    + """
for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
end
return 0
"""
)

# KEYS: the task, the lease set; ARGV: task id, status, owner, record, ttl ms, LEASE_MS
# (0: release it; -1: leave it, as a replica that does not run the task writes), channel,
# notice, and "expired" to write only if the lease ran out.
# 0: the task was already final (nothing written); 1: written and announced.
_SAVE_TASK = (
    _NOW
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
if ARGV[9] == 'expired' then
    local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
    if not status or (lease and tonumber(lease) > now) then return 0 end
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'owner', ARGV[3], 'record', ARGV[4])
if tonumber(ARGV[5]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
if tonumber(ARGV[6]) > 0 then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[1])
elseif tonumber(ARGV[6]) == 0 then
    redis.call('ZREM', KEYS[2], ARGV[1])
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""
)

# KEYS: the task, the lease set; ARGV: task id. The record, and 1 if its lease ran out.
_LOAD_TASK = (
    _NOW
    + """
local found = redis.call('HMGET', KEYS[1], 'status', 'owner', 'record')
if not found[1] then return nil end
local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
local lost = 0
if found[1] ~= 'completed' and found[1] ~= 'failed' and found[1] ~= 'cancelled'
   and (not lease or tonumber(lease) <= now) then lost = 1 end
return {found[2], found[3], lost}
"""
)


class RedisState(State):
    """Every piece of cross-request state, in the Redis at `url`, under `namespace:`."""

    def __init__(
        self, url: str, keys: Sequence[str], namespace: str, *, lease_ms: int = LEASE_MS
    ) -> None:
        self.security = RequestStateSecurity(keys=list(keys))
        self.url = url
        self.lease_ms = lease_ms
        self.redis = redis.Redis.from_url(url)
        self.prefix = f"mcpgen:{namespace}:"
        self.notices = self.prefix + "notices"
        self.commands = self.prefix + "task-commands"
        self._receivers: list[Receiver] = []
        self._command_receivers: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []
        # (lease set, holder): what this replica renews while it holds it.
        self.held: dict[tuple[str, str], None] = {}
        self._runs = 0  # servers running on this state now (`running`)
        self._scripts()
        self._tasks = RedisTasks(self)

    def _scripts(self) -> None:
        self._take_slot = self.redis.register_script(_TAKE_SLOT)
        self._take_rate = self.redis.register_script(_TAKE_RATE)
        self._renew = self.redis.register_script(_RENEW)
        self.save_task = self.redis.register_script(_SAVE_TASK)
        self.load_task = self.redis.register_script(_LOAD_TASK)

    def limiter(self, what: str, limits: Limits) -> Limiter:
        return RedisLimiter(self, what, limits)

    def tasks(self) -> SharedTasks:
        return self._tasks

    async def publish(self, notice: dict[str, Any]) -> None:
        await self.redis.publish(self.notices, json.dumps(notice))

    def receive(self, receiver: Receiver) -> None:
        self._receivers.append(receiver)

    def on_command(self, receiver: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._command_receivers.append(receiver)

    def running(self) -> AbstractAsyncContextManager[None]:
        return self._running()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        # One connection and one listener however often the server runs at once (a server
        # object served to several in-process clients runs its lifespan for each): a second
        # listener would deliver every notice twice. The first run keeps them until the last
        # one ends.
        self._runs += 1
        try:
            if self._runs > 1:
                yield
                return
            async with self._connected():
                try:
                    yield
                finally:
                    with anyio.CancelScope(shield=True):
                        while self._runs > 1:
                            await anyio.sleep(0.05)  # the other runs end with their servers
        finally:
            self._runs -= 1

    @asynccontextmanager
    async def _connected(self) -> AsyncIterator[None]:
        # A client per run, in the loop it serves (a server may be run again, as tests do).
        self.redis = redis.Redis.from_url(self.url)
        self._scripts()
        try:
            await self.redis.ping()  # a wrong --state-url fails the start, not the first call
        except redis.RedisError as error:
            where = self.redis.connection_pool.connection_kwargs  # not the URL: its password
            raise RuntimeError(
                f"the shared state (--state-url) at {where.get('host')}:{where.get('port')} "
                f"does not answer: {error}"
            ) from None
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.notices, self.commands)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._hear, pubsub)
                group.start_soon(self._renew_forever)
                try:
                    yield
                finally:
                    group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await pubsub.aclose()
                await self.redis.aclose()

    async def _hear(self, pubsub: Any) -> None:
        """Hand each notice and task command published to this replica's receivers."""
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except (redis.ConnectionError, redis.TimeoutError) as error:
                _log.warning("lost the shared state's pub/sub connection (%s); retrying", error)
                await anyio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            data = json.loads(message["data"])
            try:
                if message["channel"].decode() == self.commands:
                    for command_receiver in list(self._command_receivers):
                        await command_receiver(data["task"], data)
                else:
                    for receiver in list(self._receivers):
                        await receiver(data)
            except Exception:
                _log.exception("a shared notice could not be delivered")

    async def _renew_forever(self) -> None:
        """Renew every lease this replica holds, in one round trip every LEASE / 3."""
        while True:
            await anyio.sleep(self.lease_ms / 3000)
            held = list(self.held)
            if not held:
                continue
            try:
                await self._renew(
                    keys=[key for key, _ in held],
                    args=[self.lease_ms, *[name for _, name in held]],
                )
            except redis.RedisError as error:
                _log.warning("could not renew the leases of this replica: %s", error)

    async def take_slot(self, key: str, cap: int, holder: str) -> bool:
        return bool(await self._take_slot(keys=[key], args=[cap, holder, self.lease_ms]))

    async def take_rate(self, key: str, calls: int, window_ms: int, name: str) -> int:
        waited: int = await self._take_rate(keys=[key], args=[calls, window_ms, name])
        return waited


class RedisLimiter(Limiter):
    """Limits every replica is admitted under together: a sliding window of the calls'
    times, and a set of slot holders, each a lease its replica renews while the call runs."""

    def __init__(self, state: RedisState, what: str, limits: Limits) -> None:
        super().__init__(what, limits)
        self._state = state
        self._rate_key = f"{state.prefix}rate:{what}"
        self._slot_key = f"{state.prefix}slots:{what}"

    def admit(self) -> AbstractAsyncContextManager[None]:
        return self._admit()

    @asynccontextmanager
    async def _admit(self) -> AsyncIterator[None]:
        limits = self.limits
        patience = limits.max_wait if limits.when_busy == "wait" else 0.0
        deadline = anyio.current_time() + patience
        name = os.urandom(8).hex()
        if limits.rate_limit is not None:
            calls, per = limits.rate_limit
            while True:
                wait_ms = await self._state.take_rate(self._rate_key, calls, int(per * 1000), name)
                if wait_ms < 0:
                    break
                wait = wait_ms / 1000
                if anyio.current_time() + wait > deadline:
                    raise ToolBusy(self.what, wait)
                await anyio.sleep(wait)
        cap = limits.max_concurrency
        if not cap:
            yield
            return
        while not await self._state.take_slot(self._slot_key, cap, name):
            left = deadline - anyio.current_time()
            if left <= 0:  # waited all of `max_wait` (a last try at its end), as in memory
                raise ToolBusy(self.what, 1.0)
            await anyio.sleep(min(_SLOT_POLL, left))
        held = (self._slot_key, name)
        self._state.held[held] = None
        try:
            yield
        finally:
            del self._state.held[held]
            with anyio.CancelScope(shield=True):
                await self._state.redis.zrem(self._slot_key, name)


class RedisTasks(SharedTasks):
    """Tasks in Redis: a hash per task (status, owner, record) that expires with the task,
    a lease set of the tasks running, and commands on a channel every replica hears."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._leases = state.prefix + "task-leases"

    def _key(self, task_id: str) -> str:
        return f"{self._state.prefix}task:{task_id}"

    async def save(
        self,
        task_id: str,
        owner: str,
        record: dict[str, Any],
        ttl_ms: int,
        *,
        running: bool = True,
    ) -> bool:
        status = record["status"]
        lease = self._state.lease_ms if running else -1
        if status in _TERMINAL:
            lease = 0
        written = await self._state.save_task(
            keys=[self._key(task_id), self._leases],
            args=[
                task_id,
                status,
                owner,
                json.dumps(record),
                ttl_ms,
                lease,
                self._state.notices,
                json.dumps({"task": record, "owner": owner}),
                "",
            ],
        )
        return bool(written)

    async def load(self, task_id: str) -> tuple[str, dict[str, Any]] | None:
        found = await self._state.load_task(keys=[self._key(task_id), self._leases], args=[task_id])
        if found is None:
            return None
        owner, record, lost = found[0].decode(), json.loads(found[1]), found[2]
        if lost:
            failed = {
                **record,
                "status": "failed",
                "error": {
                    "code": -32603,
                    "message": "The server process running the task stopped before it ended",
                },
            }
            failed.pop("inputRequests", None)
            failed.pop("statusMessage", None)
            failed["lastUpdatedAt"] = (
                datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
            )
            await self._state.save_task(
                keys=[self._key(task_id), self._leases],
                args=[
                    task_id,
                    "failed",
                    owner,
                    json.dumps(failed),
                    0,
                    0,
                    self._state.notices,
                    json.dumps({"task": failed, "owner": owner}),
                    "expired",
                ],
            )
            return await self.load(task_id)
        return owner, record

    async def send(self, task_id: str, command: dict[str, Any]) -> None:
        await self._state.redis.publish(
            self._state.commands, json.dumps({**command, "task": task_id})
        )

    def on_command(self, receiver: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._state.on_command(receiver)

    def hold(self, task_id: str) -> None:
        self._state.held[(self._leases, task_id)] = None

    def release(self, task_id: str) -> None:
        self._state.held.pop((self._leases, task_id), None)

    async def forget(self, task_id: str) -> None:
        self.release(task_id)
        try:
            async with self._state.redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._key(task_id))
                pipe.zrem(self._leases, task_id)
                await pipe.execute()
        except redis.RedisError as error:  # the record's own expiry then forgets it
            _log.warning("could not forget task %s past its lifetime: %s", task_id, error)
