"""Helper processes that share a generation's work with this one.

The pipeline starts them first (`helper_processes`), so that each pays the start-up of what
it will run (the model generator's, `model_generator.generator_helpers`) while this process
loads and resolves the spec; any stage then hands them work (`in_helpers`, `shared_out`).
Which process computed what never shows in the output (tested).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How many helpers run at most: the output never depends on it (tested).
WORKERS = min(2, os.cpu_count() or 1)


class Helper:
    """A process that runs its warm-up at once, then computes what it is sent.

    The model generator's first call takes about half a second (it imports and compiles
    lazily); started before `load`, a helper has paid it by the time the models stage needs
    it (a one-tool change of a large spec spent a fifth of its time there).
    """

    def __init__(self, warm_up: Callable[[], object] | None) -> None:
        self.connection, theirs = multiprocessing.Pipe()
        # Forked where the platform can: the helper starts without importing mcpgen again.
        if "fork" in multiprocessing.get_all_start_methods():
            fork = multiprocessing.get_context("fork")
            self.process: multiprocessing.process.BaseProcess = fork.Process(
                target=_serve, args=(theirs, self.connection, warm_up), daemon=True
            )
        else:
            spawn = multiprocessing.get_context("spawn")
            self.process = spawn.Process(target=_serve, args=(theirs, None, warm_up), daemon=True)
        self.process.start()
        theirs.close()

    def call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """`function(argument)`, computed by the helper."""
        # Functions travel by name (pickle): module-level ones only.
        self.connection.send((function, argument))
        ok, value = self.connection.recv()
        if not ok:
            raise RuntimeError(f"a helper process failed:\n{value}")
        return value

    def map(self, function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`[function(item) for item in items]`, computed by the helper."""
        return list(self.call(_map, (function, items)))

    def close(self) -> None:
        # Nothing in a helper is worth a clean exit; one may still be warming up.
        self.connection.close()
        self.process.terminate()
        self.process.join()


def _serve(connection: Any, ours: Any, warm_up: Callable[[], object] | None) -> None:
    """Answer the pipe until its other end closes. `ours` is that other end as a fork
    inherits it: closed at once, or a killed generation would leave the helper waiting on
    a pipe it holds open itself, forever (a SIGKILL runs no `close`). A helper forked later
    holds an earlier one's end too, until it ends in turn."""
    if ours is not None:
        ours.close()
    if warm_up is not None:
        warm_up()
    while True:
        try:
            function, argument = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, function(argument)))
        except Exception:
            connection.send((False, traceback.format_exc()))


def _map(work: tuple[Callable[[Any], Any], list[Any]]) -> list[Any]:
    function, items = work
    return [function(item) for item in items]


# The helpers running while a `helper_processes` block runs; None when none run.
_HELPERS: list[Helper] | None = None


def running() -> list[Helper]:
    """The helpers running now (none outside a `helper_processes` block, or on one core)."""
    return list(_HELPERS or ())


@contextlib.contextmanager
def helper_processes(
    count: int | None = None, warm_up: Callable[[], object] | None = None
) -> Iterator[None]:
    """`count` (WORKERS) helper processes, each running `warm_up` first, while the block runs
    (none on one core); a block inside another shares its helpers."""
    global _HELPERS
    if _HELPERS is not None or WORKERS <= 1:
        yield
        return
    _HELPERS = [Helper(warm_up) for _ in range(min(count or WORKERS, WORKERS))]
    try:
        yield
    finally:
        helpers, _HELPERS = _HELPERS, None
        for helper in helpers:
            helper.close()


def in_helpers(function: Callable[[Any], T], items: list[Any], batch: int = 64) -> list[T]:
    """`[function(item) for item in items]`, in order, computed by the helpers (when they
    are running, and free: a helper still warming up takes its first batch later) and by
    this process, batch by batch. `function` must be a module-level function."""
    helpers = running()
    if not helpers or len(items) <= batch:
        return [function(item) for item in items]
    done = shared_out(
        helpers,
        list(range(0, len(items), batch)),
        lambda helper, start: helper.map(function, items[start : start + batch]),
        lambda start: [function(item) for item in items[start : start + batch]],
        leave=0,
    )
    return [result for start in sorted(done) for result in done[start]]


def shared_out(
    helpers: list[Helper],
    tasks: list[int],
    on_helper: Callable[[Helper, int], R],
    here: Callable[[int], R],
    leave: int | None,
) -> dict[int, R]:
    """Each task's result: the helpers take tasks from the front, each in a thread of this
    process that waits for it, and this process works on them from the back while more
    than `leave` are left (never if None)."""
    pending = deque(tasks)
    done: dict[int, R] = {}
    failures: list[BaseException] = []

    def feed(helper: Helper) -> None:
        while not failures:
            try:
                task = pending.popleft()  # atomic: each task goes to one worker
            except IndexError:
                return
            try:
                done[task] = on_helper(helper, task)
            except BaseException as error:  # re-raised below, in the calling thread
                failures.append(error)

    threads = [threading.Thread(target=feed, args=(helper,)) for helper in helpers]
    for thread in threads:
        thread.start()
    try:
        while leave is not None and len(pending) > leave and not failures:
            try:
                task = pending.pop()
            except IndexError:  # the helpers took the last ones meanwhile
                break
            done[task] = here(task)
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return done
