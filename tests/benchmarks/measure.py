"""What every benchmark here measures the same way: whole process trees, and paired rounds.

- `run_tree(command)`: a command's wall time, the CPU time of its whole process tree
  (helpers it forks or spawns included) and the peak of the tree's summed resident memory.
  A small interpreter of its own does the spawning, so that this process's own pages and
  CPU (large after a benchmark's earlier work) are never counted as the command's.
- `Paired`: two sides timed in the same rounds. A shared machine's noise moves both sides
  of a round together, so the figure to read is the median of the per-round ratios, with
  their spread; a ratio of medians taken from different rounds can pair a quiet round of
  one side with a noisy round of the other (it printed 5.35x where the rounds gave 2.6x,
  4.4x and 5.7x).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

# The spawner: runs the command, polls the tree's resident memory every 10 ms from /proc
# (ru_maxrss is the largest single process, not the sum of a tree that runs helpers), and
# reads the tree's CPU from RUSAGE_CHILDREN once the command is reaped: the kernel adds a
# reaped child's own reaped children, so a helper counts once its parent has waited for it.
# The spawner is a child subreaper (prctl), so a helper its parent left behind becomes the
# spawner's to reap and is counted too; the /proc poll's per-process last readings are the
# cross-check (`cpu_seen`).
_SPAWNER = r"""
import ctypes, json, os, resource, subprocess, sys, tempfile, time

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(root):
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                todo.extend(int(p) for p in handle.read().split())
        except OSError:
            pass
    return pids


def reading(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/statm") as handle:
            rss = int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK, rss


# stderr to a file, not a pipe: a command that writes more than a pipe holds (64 KB) would
# block on it while this waits for it to end.
errors = tempfile.TemporaryFile()
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=errors)
peak, seen = 0, {}
while child.poll() is None:
    total = 0
    for pid in tree(child.pid):
        found = reading(pid)
        if found is not None:
            seen[pid] = found[0]
            total += found[1]
    peak = max(peak, total)
    time.sleep(0.01)
elapsed = time.perf_counter() - start
errors.seek(0)
error = errors.read()
# Helpers left behind get 10 s to end (a daemon process pool's workers end with their parent).
until = time.monotonic() + 10
while time.monotonic() < until:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.01)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
if child.returncode:
    sys.stderr.buffer.write(error[-3000:])
    sys.exit(child.returncode)
print(json.dumps({
    "wall": elapsed,
    "cpu": usage.ru_utime + usage.ru_stime,
    "cpu_seen": sum(seen.values()),
    "peak_mb": peak / 2**20,
    "processes": len(seen),
}))
"""


@dataclass(frozen=True)
class TreeRun:
    """One run of a command: wall seconds, CPU seconds of its tree, peak summed RSS."""

    wall: float
    cpu: float
    peak_mb: float
    processes: int


def run_tree(
    command: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> TreeRun:
    """Run `command` to its end; its wall time, tree CPU and tree peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", _SPAWNER, *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{list(command[:4])} failed ({done.returncode}):\n{done.stderr}")
    facts = json.loads(done.stdout)
    # A helper its parent never reaped is missing from RUSAGE_CHILDREN; /proc saw it run.
    cpu = max(facts["cpu"], facts["cpu_seen"])
    return TreeRun(facts["wall"], cpu, facts["peak_mb"], facts["processes"])


def bytecode_cache_note(env: dict[str, str] | None = None) -> str:
    """Whether the commands a benchmark spawns may write and read `__pycache__`."""
    off = (env if env is not None else os.environ).get("PYTHONDONTWRITEBYTECODE")
    if off:
        return "bytecode cache: off (PYTHONDONTWRITEBYTECODE is set; every start compiles)"
    return "bytecode cache: on (__pycache__ written on the first start, read after)"


def with_bytecode_cache(env: dict[str, str]) -> dict[str, str]:
    """`env` as a user's Python runs: compiled modules cached in `__pycache__`.

    Some containers (this one among them) set PYTHONDONTWRITEBYTECODE, which adds the
    compiling of every module to every start (~0.5 s for mcpgen's imports).
    """
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Paired:
    """Two sides measured in the same rounds; `ratio` is `numerator / denominator`."""

    numerator: str
    denominator: str
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, side: str, value: float) -> None:
        self.values.setdefault(side, []).append(value)

    def ratios(self) -> list[float]:
        top = self.values[self.numerator]
        bottom = self.values[self.denominator]
        return [a / b for a, b in zip(top, bottom, strict=True)]

    def ratio(self) -> float:
        """The median of the per-round ratios."""
        return statistics.median(self.ratios())

    def line(self, label: str, target: str = "", unit: str = "x") -> str:
        """`label: R (median of per-round ratios; spread lo-hi; rounds [...])`."""
        ratios = self.ratios()
        shown = ", ".join(f"{r:.2f}" for r in ratios)
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        goal = f" (target {target})" if target else ""
        return (
            f"{label}: {self.ratio():.2f}{unit}{goal}; median of {len(ratios)} per-round "
            f"ratios, spread {spread}, rounds [{shown}]"
        )
