"""The runtime's in-memory event log replays a stream only to the owner that wrote it.

Owners are HTTP sessions and stream names are request ids, which every client numbers
alike: two owners writing stream "2" must never see each other's events, whichever event
id they present. (tests/functional/test_http_serving.py checks the same through real
sessions on a real server.)
"""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from mcp.server.streamable_http import EventMessage
from mcpgen.vendored.runtime._event_store import MemoryEventStore
from mcpgen.vendored.runtime._http_calls import Calls, SessionEvents

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def response(request_id: int, text: str) -> types.JSONRPCResponse:
    return types.JSONRPCResponse(jsonrpc="2.0", id=request_id, result={"text": text})


def answer(request_id: int, text: str) -> bytes:
    """A response as the log keeps it: the JSON the SDK wrote to the stream."""
    return response(request_id, text).model_dump_json(by_alias=True, exclude_unset=True).encode()


async def replayed(
    log: MemoryEventStore, owner: str, event_id: str
) -> tuple[str | None, list[str]]:
    found = await log.after(owner, event_id)
    if found is None:
        return None, []
    stream, later = found
    return stream, [json.loads(message)["result"]["text"] for _, message in later]


async def test_an_owner_replays_its_own_stream_and_nothing_else() -> None:
    log = MemoryEventStore()
    a_priming = await log.append("a", "2", None)
    b_priming = await log.append("b", "2", None)
    await log.append("a", "2", answer(2, "a's progress"))
    await log.append("b", "2", answer(2, "b's answer"))
    await log.append("a", "3", answer(3, "a's other stream"))
    await log.append("a", "2", answer(2, "a's answer"))

    assert await replayed(log, "a", a_priming) == ("2", ["a's progress", "a's answer"])
    assert await replayed(log, "b", b_priming) == ("2", ["b's answer"])
    # Another owner's event id replays nothing at all.
    assert await replayed(log, "b", a_priming) == (None, [])
    assert await replayed(log, "a", "no-such-event") == (None, [])


async def test_event_ids_are_random_and_never_repeat() -> None:
    log = MemoryEventStore()
    ids = [await log.append("a", "2", None) for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    # 128 bits each, as hex: 32 characters, no counter to guess the next from.
    assert {len(event_id) for event_id in ids} == {32}
    assert all(int(event_id, 16) >= 0 for event_id in ids)
    assert sorted(ids) != ids


async def test_the_log_keeps_the_latest_events_of_every_stream() -> None:
    log = MemoryEventStore(max_events=3)
    first = await log.append("a", "2", None)
    second = await log.append("a", "2", answer(2, "one"))
    await log.append("b", "5", answer(5, "two"))
    await log.append("a", "2", answer(2, "three"))
    # The oldest event went: resuming from it finds nothing; from the next, the rest.
    assert await replayed(log, "a", first) == (None, [])
    assert await replayed(log, "a", second) == ("2", ["three"])
    assert len(log._events) == 3


async def test_a_replay_survives_events_that_come_and_go_while_it_sends() -> None:
    log = MemoryEventStore(max_events=3)
    session = SessionEvents(log, Calls())
    priming = await session.store_event("2", None)
    await session.store_event("2", response(2, "one"))
    await session.store_event("2", response(2, "two"))
    sent: list[EventMessage] = []

    async def send_slowly(event: EventMessage) -> None:
        # Meanwhile, other sessions' events push the rest of this stream out of the log.
        for n in range(3):
            await log.append("b", "7", answer(7, f"b {n}"))
        sent.append(event)

    assert await session.replay_events_after(priming, send_slowly) == "2"
    # The very messages the SDK stored, each under its own event id.
    assert [event.message for event in sent] == [response(2, "one"), response(2, "two")]
    assert all(event.event_id for event in sent)
