"""Where the event streams of HTTP sessions are kept, so a client can resume one it lost."""

from __future__ import annotations

import itertools
import os
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import TypeAlias

from ._types import logger


class EventLog(ABC):
    """Where the event streams of HTTP sessions are kept, so a client can resume one it lost.

    Each stream has an owner: a random key the server makes for each session and never
    sends to a client. Event ids are random too, so none can be guessed. A replay names its
    owner, and a log replays a stream only to the owner that wrote it: a client that holds
    another session's event id, or that numbers its requests as others do (a stream is
    named by its request's id), reads nothing of anyone else's. Serving HTTP reaches the log
    only through this interface, so a log shared by several server processes can replace
    the one in memory; it keeps each message as the JSON it was sent as.
    """

    @abstractmethod
    async def append(self, owner: str, stream: str, message: bytes | None) -> str:
        """Keep `message` (JSON) at the end of `owner`'s `stream`; its new event id.

        `None` is a stream's priming event: an id for the client to resume from.
        """

    @abstractmethod
    async def after(self, owner: str, event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        """`owner`'s stream that `event_id` is an event of, and the messages that came after
        it there, each with its event id; None when `event_id` is not an event of `owner`'s.
        """


StreamKey: TypeAlias = tuple[str, str]
"""A stream in the event log: (its owner, its name)."""


@dataclass(slots=True)
class _Event:
    stream: StreamKey
    # Bytes, not the message object: 10,000 kept messages are 10,000 object graphs the
    # garbage collector walks again and again (measured: +10% of the server's CPU per call
    # over HTTP, bench_http.py), where bytes are one untracked object each.
    message: bytes | None


class MemoryEventStore(EventLog):
    """The event log of one server process: the last `max_events` events, in memory."""

    def __init__(self, max_events: int = 10_000) -> None:
        self._max_events = max_events
        # Oldest first (dicts keep insertion order): the first key is the next to go.
        self._events: dict[str, _Event] = {}
        self._streams: dict[StreamKey, deque[str]] = {}

    async def append(self, owner: str, stream: str, message: bytes | None) -> str:
        # 128 random bits: an id a client cannot guess, whatever it has seen (as hex: 2 calls
        # where token_urlsafe makes 8, twice per tool call).
        event_id = os.urandom(16).hex()
        key = (owner, stream)
        self._events[event_id] = _Event(key, message)
        self._streams.setdefault(key, deque()).append(event_id)
        if len(self._events) > self._max_events:
            oldest = self._events.pop(next(iter(self._events)))
            ids = self._streams[oldest.stream]
            ids.popleft()  # a stream's oldest event is the oldest of all that it still has
            if not ids:
                del self._streams[oldest.stream]
        return event_id

    async def after(self, owner: str, event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        event = self._events.get(event_id)
        if event is None:
            return None
        if event.stream[0] != owner:
            logger.warning("refused to replay a stream to a session that does not own it")
            return None
        ids = itertools.dropwhile(event_id.__ne__, self._streams[event.stream])
        next(ids)  # `event_id` itself
        later = [(i, self._events[i].message) for i in ids]
        return event.stream[1], [(i, message) for i, message in later if message is not None]
