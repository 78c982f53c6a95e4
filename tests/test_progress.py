"""Long runs show where they are on a terminal, and nothing anywhere else.

`mcpgen generate`, `import openapi` and `init` run as a user runs them, with stderr a real
pseudo-terminal (`pty`), a pipe, or a terminal under `--quiet`: the stages and the model
chunks show only in the first, the other two print exactly the same bytes, and what is
written is the same in all three.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from mcpgen import pipeline, progress
from mcpgen.openapi import importer
from regeneration_support import snapshot

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import synth_spec  # noqa: E402

STAR_TREK = REPO / "tests/fixtures/openapi/star-trek-3.0.yaml"
# The pipeline's stages and the CLI's own last one, as a terminal shows them.
GENERATE_STAGES = [
    pipeline.LOAD,
    pipeline.RESOLVE,
    pipeline.MODELS,
    pipeline.RENDER,
    pipeline.FORMAT,
    "writing files",
]
IMPORT_STAGES = [importer.READ, importer.CONVERT, importer.CHECK, importer.WRITE]
# What a terminal's line discipline does to a newline (ONLCR), undone to compare.
_CRLF = b"\r\n"
_ESCAPE = b"\x1b"


def _mcpgen(args: list[str], cwd: Path, terminal: bool) -> tuple[int, bytes]:
    """`python -m mcpgen ARGS` with stderr a new pseudo-terminal, or a pipe: exit code and
    stderr. Standard output goes to a file (nothing may block on it)."""
    command = [sys.executable, "-m", "mcpgen", *args]
    env = {k: v for k, v in os.environ.items() if k != "MCPGEN_QUIET"}
    with open(cwd / "stdout.txt", "wb") as stdout:
        if not terminal:
            done = subprocess.run(
                command, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=300
            )
            return done.returncode, done.stderr
        ours, theirs = pty.openpty()
        child = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=theirs, env=env
        )
        os.close(theirs)
        read = []
        while True:
            try:
                data = os.read(ours, 65536)
            except OSError:  # EIO: every holder of the terminal's other end is gone
                break
            if not data:
                break
            read.append(data)
        os.close(ours)
        return child.wait(timeout=300), b"".join(read)


def _shown(stderr: bytes) -> list[str]:
    """The texts the progress line showed, in order, each once (spinner, bar, clock gone)."""
    shown: list[str] = []
    for frame in stderr.decode().split("\r"):
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame)
        text = re.sub(r"[\u2800-\u28ff\u2500-\u257f]|\d+:\d\d:\d\d", "", text).strip()
        if text and (not shown or shown[-1] != text):
            shown.append(text)
    return shown


# A progress line, from hiding the cursor to erasing itself (rich's `transient`).
_PROGRESS_LINE = re.compile(rb"\x1b\[\?25l.*?\x1b\[\?25h\r\x1b\[1A\x1b\[2K", re.DOTALL)


def _without_progress(stderr: bytes) -> bytes:
    """What a terminal's stderr holds once its progress lines are erased: the same bytes as
    a pipe's, proof that a line erased itself whole, and no output came in its midst."""
    return _PROGRESS_LINE.sub(b"", stderr).replace(_CRLF, b"\n")


def _three_ways(args: list[str], tmp_path: Path) -> dict[str, tuple[int, bytes, Path]]:
    """The command run in three fresh folders: on a terminal, into a pipe, and on a
    terminal with `--quiet`."""
    runs = {}
    for way, terminal, extra in (
        ("terminal", True, []),
        ("pipe", False, []),
        ("quiet", True, ["--quiet"]),
    ):
        folder = tmp_path / way
        folder.mkdir()
        code, stderr = _mcpgen([*args, *extra], folder, terminal)
        runs[way] = (code, stderr, folder)
    return runs


def _nothing_extra(runs: dict[str, tuple[int, bytes, Path]]) -> bytes:
    """The pipe's stderr, checked against the quiet terminal's byte for byte."""
    _, piped, _ = runs["pipe"]
    _, quiet, _ = runs["quiet"]
    assert _ESCAPE not in piped
    assert quiet.replace(_CRLF, b"\n") == piped
    for way in runs:
        assert runs[way][0] == 0, runs[way][1].decode(errors="replace")
        assert (runs[way][2] / "stdout.txt").read_bytes() == b""
    return piped


@pytest.mark.slow
def test_generate_shows_its_stages_and_chunks_on_a_terminal_only(tmp_path: Path) -> None:
    # 40 tools: 80 models no other refers to, cut into chunks (`model_chunks`).
    spec = synth_spec.write_spec(tmp_path, 40)
    runs = _three_ways(["generate", str(spec), "-o", "out"], tmp_path)

    shown = _shown(runs["terminal"][1])
    stages = [s for s in shown if s in GENERATE_STAGES]
    assert stages == GENERATE_STAGES, shown
    counts = [
        (int(m[1]), int(m[2]))
        for s in shown
        if (m := re.fullmatch(re.escape(pipeline.MODELS) + r": chunks (\d+)/(\d+)", s))
    ]
    total = counts[-1][1]
    assert total > 1
    assert counts == [(done, total) for done in range(total + 1)]

    piped = _nothing_extra(runs)
    # Exactly what a run printed before progress existed: the budget's warning (40 synthetic
    # tools weigh ~39k tokens), the size line and the summary.
    lines = piped.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == ["warning", "  hint", "tools/list", "out"]
    assert re.fullmatch(
        r"out: \d+ written, \d+ new handler/project files, 0 unchanged, 0 removed\.", lines[-1]
    )
    assert _without_progress(runs["terminal"][1]) == piped

    trees = [snapshot(runs[way][2] / "out") for way in runs]
    assert trees[0] == trees[1] == trees[2]
    assert len(trees[0]) > 30


@pytest.mark.slow
def test_import_shows_its_stages_on_a_terminal_only(tmp_path: Path) -> None:
    runs = _three_ways(["import", "openapi", str(STAR_TREK), "-o", "st.toml"], tmp_path)

    shown = _shown(runs["terminal"][1])
    assert [s for s in shown if s in IMPORT_STAGES] == IMPORT_STAGES, shown
    piped = _nothing_extra(runs)
    assert b"st.toml: 120 tools from 120 operations" in piped
    assert _without_progress(runs["terminal"][1]) == piped

    files = [
        (runs[way][2] / "st.toml").read_bytes()
        + (runs[way][2] / "st.openapi-base.json").read_bytes()
        for way in runs
    ]
    assert files[0] == files[1] == files[2]


@pytest.mark.slow
def test_init_shows_the_generation_it_runs_unless_quiet(tmp_path: Path) -> None:
    spec = REPO / "specs/weather.toml"
    shown = {}
    for way, extra in (("terminal", []), ("quiet", ["--quiet"])):
        (tmp_path / way).mkdir()
        code, stderr = _mcpgen(
            ["init", "project", "--defaults", "--spec", str(spec), *extra], tmp_path / way, True
        )
        assert code == 0, stderr.decode(errors="replace")
        shown[way] = stderr
    assert pipeline.LOAD in _shown(shown["terminal"])
    assert pipeline.LOAD.encode() not in shown["quiet"]
    assert _ESCAPE + b"[?25l" not in shown["quiet"]  # the cursor was never hidden
    trees = [snapshot(tmp_path / way / "project") for way in shown]
    for tree in trees:
        # copier's `_commit` of a template with uncommitted changes is a commit it makes
        # of them, new each time.
        answers = tree.pop(".copier-answers.yml")
        assert b"\nspec_file: spec.toml\n" in answers
    assert trees[0] == trees[1]


def test_a_terminal_gets_the_line_and_anything_else_nothing() -> None:
    with progress.shown(quiet=False, stream=io.StringIO()) as observer:
        assert observer is progress.SILENT
    ours, theirs = pty.openpty()
    with open(theirs, "w", encoding="utf-8", closefd=True) as terminal:
        with progress.shown(quiet=True, stream=terminal) as observer:
            assert observer is progress.SILENT
        with progress.shown(quiet=False, stream=terminal) as observer:
            observer.stage("resolving")
            observer.chunks(2, 7)
    drawn = b""
    while b"chunks 2/7" not in drawn:
        drawn += os.read(ours, 65536)
    os.close(ours)
    assert b"resolving" in drawn


def test_chunks_are_counted_from_every_thread() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.seen: list[tuple[int, int]] = []

        def stage(self, name: str) -> None:
            raise AssertionError(name)

        def chunks(self, done: int, total: int) -> None:
            self.seen.append((done, total))

    recorder = Recorder()
    counter = progress.ChunkCounter(recorder, 3, 403)
    threads = [
        threading.Thread(target=lambda: [counter.made(i) for i in range(100)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recorder.seen[0] == (3, 403)
    assert sorted(done for done, _ in recorder.seen) == list(range(3, 404))
