"""Where a long run is: the stage it is at, and the model chunks made of all.

Importing GitHub's description takes seconds and generating its 1,223 tools tens of seconds.
The pipeline and the import stay pure (docs: design.md): they tell an `Observer` each stage
as it begins and each model chunk as it is made, and never print. The CLI decides what is
shown (`shown`): on a terminal, one line on stderr that rich redraws in place (stage, a
bar, the time spent) and erases when the run ends, so what the run prints stays as it is;
nothing at all when stderr is not a terminal (a pipe, a file, CI) or under `--quiet`.

rich rather than click's `progressbar` (no new dependency, but no better than code of our
own here): the line must erase itself (click's stays behind, and it prints its label once
when stderr is not a terminal), stay alive through stages that count nothing (resolving
GitHub is seconds without an item to count: rich redraws a spinner and the clock from its
own thread, click only on an update), take updates from the threads that wait on the helper
processes (rich locks; click does not), and fit the terminal's width.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, TextIO, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

T = TypeVar("T")


class Observer(Protocol):
    """Told where a run is; must not raise, and may be called from several threads."""

    def stage(self, name: str) -> None:
        """The stage `name` begins (the one before it has ended)."""

    def chunks(self, done: int, total: int) -> None:
        """`done` of the `total` model chunks are made (read back from the cache counts)."""


class Silent:
    """The observer of a run that shows nothing."""

    def stage(self, name: str) -> None:
        pass

    def chunks(self, done: int, total: int) -> None:
        pass


SILENT = Silent()


class ChunkCounter:
    """Counts chunks made as their makers finish, in any thread, for an observer."""

    def __init__(self, observer: Observer, done: int, total: int) -> None:
        self._observer = observer
        self._done = done
        self._total = total
        self._lock = threading.Lock()
        observer.chunks(done, total)

    def made(self, chunk: T) -> T:
        """`chunk`, just made: counted."""
        with self._lock:
            self._done += 1
            done = self._done
        self._observer.chunks(done, self._total)
        return chunk


class _Line:
    """The terminal's line. It starts at the first stage, not before: the pipeline forks its
    helper processes first, and a fork must not copy the lock rich's redrawing thread may
    hold (the helper would hang on its first write to stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._stage = ""
        self._lock = threading.Lock()

    def stage(self, name: str) -> None:
        with self._lock:
            self._stage = name
            progress, task = self._started()
            # A stage counts nothing, and its clock starts at 0 (an update would keep the
            # last stage's chunks "finished": no spinner).
            progress.reset(task, total=None, description=name)
            # Drawn now, not at the next tick (10 a second): every stage shows, if briefly.
            progress.refresh()

    def chunks(self, done: int, total: int) -> None:
        with self._lock:
            progress, task = self._started()
            progress.update(
                task,
                description=f"{self._stage}: chunks {done}/{total}",
                total=total,
                completed=done,
                refresh=True,
            )

    def _started(self) -> tuple[Progress, TaskID]:
        if self._progress is None or self._task is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
                # Standard output is the commands' result (`--diff`, `schema`): never touched.
                redirect_stdout=False,
            )
            self._task = self._progress.add_task("")
            self._progress.start()
        return self._progress, self._task

    def close(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()


@contextlib.contextmanager
def shown(quiet: bool, stream: TextIO | None = None) -> Iterator[Observer]:
    """An observer that shows the run on `stream` (stderr) while the block runs, when it is
    a terminal and not `quiet`; `SILENT` otherwise."""
    stream = sys.stderr if stream is None else stream
    if quiet or not stream.isatty():
        yield SILENT
        return
    line = _Line(stream)
    try:
        yield line
    finally:
        line.close()
