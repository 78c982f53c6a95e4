"""Long-running operations: an answer that says "accepted, not done" (`202 Accepted`, or an
Azure-style async-operation header) names a status monitor, which is polled until the
operation ends; its result, or its failure, is then the tool's. A resource that a PUT or
PATCH made, still being provisioned and naming no monitor, is itself polled (Azure).

The call detaches there (`ctx.detach()`): a client that speaks the tasks extension gets a
task it polls while this polls the API, and every other client's call waits, with progress,
within the tool's timeout. Polls are bounded: no closer together than the operation's
`min_poll_interval` whatever `Retry-After` says (a `Retry-After: 0` would make a busy loop
of the API's status endpoint), and no longer in all than its `max_wait`. A cancelled call
stops polling and sends nothing more: the API's own way to cancel, if it has one, is an
operation of its own, which nothing here calls on its behalf.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

import anyio
from pydantic import BaseModel

from ..runtime._context import Context
from ..runtime._errors import DeclaredError
from ._errors import error_body, with_excerpt
from ._operations import Answer, LongRunning, Operation

# Where an Azure resource says how its provisioning stands.
PROVISIONING_STATE = "/properties/provisioningState"
# Where a status monitor's body usually says how the operation stands: RFC 7807-like
# monitors and Azure's async-operation resource (`status`), others (`state`), and an Azure
# resource polled at its own URL.
STATE_POINTERS = ("/status", "/state", PROVISIONING_STATE)

Fetch = Callable[[str], Awaitable[Answer]]


class _FailedData(BaseModel):
    method: str
    path: str
    state: str
    body: Any = None


class HttpOperationFailed(DeclaredError):
    """The API accepted a long-running operation, which then ended in a failed state."""

    error_type = "HttpOperationFailed"
    code = -32067

    def __init__(self, method: str, path: str, state: str, body: Any) -> None:
        super().__init__(
            _FailedData(method=method, path=path, state=state, body=body),
            message=with_excerpt(
                f"{method} {path} was accepted, then failed: its status monitor says {state!r}",
                body,
            ),
        )


class _UnfinishedData(BaseModel):
    method: str
    path: str
    seconds: float
    polls: int
    state: str | None


class HttpOperationUnfinished(DeclaredError):
    """A long-running operation had not ended within `max_wait`. Not retryable: calling
    again would start the operation again, which may still be running."""

    error_type = "HttpOperationUnfinished"
    code = -32068

    def __init__(
        self, method: str, path: str, seconds: float, polls: int, state: str | None
    ) -> None:
        stood = f", last state {state!r}" if state is not None else ""
        super().__init__(
            _UnfinishedData(method=method, path=path, seconds=seconds, polls=polls, state=state),
            message=f"{method} {path} was accepted but had not ended after {seconds:g} s "
            f"({polls} polls{stood}); it may still end: the API has it",
        )


async def settle(ctx: Context[Any], operation: Operation, answer: Answer, fetch: Fetch) -> Answer:
    """The answer the operation ends with: `answer`, unless it is the start of a long-running
    operation, then the result its status monitor leads to (`fetch` GETs a URL)."""
    plan = operation.long_running
    if plan is None or not 200 <= answer.status < 300:
        return answer
    monitor = _monitor(plan, answer)
    pointers: tuple[str, ...]
    if monitor is not None:
        url, by_location = monitor
        pointers = (
            (plan.state,) if plan.state is not None else () if by_location else STATE_POINTERS
        )
    else:
        provisioning = _provisioning(plan, answer)
        if provisioning is None:
            return answer  # naming no monitor, and no resource being made: it is the result
        url, pointers = provisioning
    await ctx.detach()
    return await _Polling(ctx, operation, plan, answer, fetch).run(url, pointers)


class _Polling:
    """One operation's polls, from its first answer to its result."""

    def __init__(
        self,
        ctx: Context[Any],
        operation: Operation,
        plan: LongRunning,
        first: Answer,
        fetch: Fetch,
    ) -> None:
        self.ctx, self.operation, self.plan, self.fetch = ctx, operation, plan, fetch
        self.first = first
        self.polls = 0
        self.state: str | None = None
        self.percent = False  # progress is in the API's percent (else in polls made)
        self.started = anyio.current_time()

    async def run(self, monitor: str, pointers: tuple[str, ...]) -> Answer:
        """Poll `monitor` to the end, reading the operation's state at `pointers` (none: a
        monitor named by `Location`, the resource to be, read by its status: 202 running,
        else done, its body the resource, whose own `status` is no state of the
        operation's)."""
        plan, last = self.plan, self.first
        await self.ctx.progress(0, None, "accepted; waiting for the operation to end")
        while True:
            left = plan.max_wait - (anyio.current_time() - self.started)
            if left <= 0:
                raise HttpOperationUnfinished(
                    self.operation.method,
                    self.operation.path,
                    plan.max_wait,
                    self.polls,
                    self.state,
                )
            asked = last.retry_after()
            delay = max(plan.min_poll_interval, plan.poll_interval if asked is None else asked)
            await anyio.sleep(min(delay, left))
            last = await self.fetch(monitor)
            self.polls += 1
            if not 200 <= last.status < 300:
                return last  # the monitor's error: mapped as the operation's own
            body = _json(last)
            state = _state(body, pointers)
            self.state = state if state is not None else self.state
            if last.status == 202 or (state is not None and not self._ended(state)):
                moved = _monitor(plan, last, renamed=True)
                monitor = moved[0] if moved is not None else monitor
                await self._report(body)
                continue
            if state is not None and state.lower() in _lowered(plan.failed):
                raise HttpOperationFailed(
                    self.operation.method, self.operation.path, state, error_body(last)
                )
            return await self._result(monitor, last, body)

    def _ended(self, state: str) -> bool:
        return _ends(self.plan, state)

    async def _report(self, body: Any) -> None:
        """Progress: the API's percentage when it gives one, else the polls made so far
        (in a task, the task's status message)."""
        stands = self.state or "running"
        percent = _pointed(body, self.plan.progress) if self.plan.progress else None
        if isinstance(percent, int | float) and not isinstance(percent, bool):
            self.percent = True
            await self.ctx.progress(min(max(float(percent), 0.0), 100.0), 100, stands)
            return
        elapsed = anyio.current_time() - self.started
        polls = f"{self.polls} poll{'s' * (self.polls != 1)}"
        await self.ctx.progress(self.polls, None, f"{stands}; {polls} in {elapsed:.0f} s")

    async def _result(self, monitor: str, last: Answer, body: Any) -> Answer:
        """The result once the operation succeeded, where the plan says it is."""
        plan, first = self.plan, self.first
        url: str | None = None
        if plan.result == "location":
            location = first.headers.get("location")
            url = urljoin(first.url, location.strip()) if location else None
        elif plan.result == "original_uri":
            url = first.url or None
        elif plan.result == "link" and plan.result_link is not None:
            link = _pointed(body, plan.result_link)
            url = urljoin(last.url, link) if isinstance(link, str) and link else None
        if url is None or url == monitor:
            return last  # the monitor's last answer is the result
        # On the scale progress went by: a count of polls cannot follow a percentage.
        done, total = (100, 100) if self.percent else (self.polls + 1, None)
        await self.ctx.progress(done, total, "done; fetching the result")
        return await self.fetch(url)


def _monitor(
    plan: LongRunning, answer: Answer, *, renamed: bool = False
) -> tuple[str, bool] | None:
    """The status monitor an answer names, absolute, and whether `Location` named it;
    `renamed`: a monitor's answer moving it (by a header only: its body is a status)."""
    for name in plan.status_headers:
        location = name.lower() == "location"
        if location and answer.status != 202:
            continue  # a 201's Location is the created resource; a 200's means nothing
        value = answer.headers.get(name)
        if value and value.strip():
            return urljoin(answer.url, value.strip()), location
    if plan.status_link is not None and answer.status == 202 and not renamed:
        link = _pointed(_json(answer), plan.status_link)
        if isinstance(link, str) and link.strip():
            return urljoin(answer.url, link.strip()), False
    return None


def _provisioning(plan: LongRunning, answer: Answer) -> tuple[str, tuple[str, ...]] | None:
    """A resource a PUT or PATCH made or changed (its result at the operation's own URL),
    answered 200 or 201 while still being provisioned and naming no monitor: Azure Resource
    Manager's rule is to poll the resource itself until its provisioning state ends. Its
    URL and where it says its state; None when the answer is the result."""
    if plan.result != "original_uri" or answer.status not in (200, 201) or not answer.url:
        return None
    pointers = (plan.state or PROVISIONING_STATE,)
    state = _state(_json(answer), pointers)
    if state is None or _ends(plan, state):
        return None
    return answer.url, pointers


def _ends(plan: LongRunning, state: str) -> bool:
    return state.lower() in _lowered(plan.succeeded) + _lowered(plan.failed)


def _state(body: Any, pointers: tuple[str, ...]) -> str | None:
    """How the operation stands, as the monitor's body says (None: it does not say)."""
    for pointer in pointers:
        value = _pointed(body, pointer)
        if isinstance(value, str) and value:
            return value
    return None


def _lowered(states: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(state.lower() for state in states)


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.body) if answer.body else None
    except ValueError:
        return None


def _pointed(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901), or None where there is none."""
    value = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value
