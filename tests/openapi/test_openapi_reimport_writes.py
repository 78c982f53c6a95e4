"""The spec and its base are written together or not at all: a failed import writes neither,
and an import killed while writing them is finished by the next one."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcpgen.diagnostics import SpecError
from mcpgen.openapi.importer import PAUSE_ENV, base_path
from openapi_support import FIXTURES, import_spec


def _petstore(folder: Path) -> Path:
    source = folder / "petstore.json"
    document = yaml.safe_load((FIXTURES / "petstore-3.0.yaml").read_text(encoding="utf-8"))
    source.write_text(json.dumps(document), encoding="utf-8")
    return source


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def test_a_base_that_cannot_be_written_leaves_no_spec(tmp_path: Path) -> None:
    source = _petstore(tmp_path)
    output = tmp_path / "petstore.toml"
    base_path(output).mkdir()  # in the way: the spec is written, then the base cannot be
    with pytest.raises(SpecError, match=r"cannot write .*; nothing was written"):
        import_spec(source, output)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "petstore.json",
        "petstore.openapi-base.json",
    ]
    assert base_path(output).is_dir()


def _change_api(source: Path) -> None:
    document: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    document["paths"]["/pet/{petId}"]["get"]["summary"] = "Find a pet by its ID"
    del document["paths"]["/store/inventory"]
    source.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.slow
def test_an_import_killed_while_writing_is_finished_by_the_next(tmp_path: Path) -> None:
    """SIGKILL a real re-import at random moments while it writes: the spec and base on disk
    are always both old or both new, unless the journal says the writing is under way; the
    next import then ends with exactly what an uninterrupted one writes."""
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    source = _petstore(pristine)
    import_spec(source, pristine / "petstore.toml")
    _change_api(source)
    old = _files(pristine)

    expected = tmp_path / "expected"
    expected.mkdir()
    for name, data in old.items():
        (expected / name).write_bytes(data)
    import_spec(expected / "petstore.json", expected / "petstore.toml")
    new = _files(expected)
    pair = ("petstore.toml", "petstore.openapi-base.json")
    assert all(old[name] != new[name] for name in pair)

    work = tmp_path / "work"
    command = [sys.executable, "-m", "mcpgen", "import", "openapi", "-o", "petstore.toml"]
    env = {**os.environ, PAUSE_ENV: "0.3"}
    work.mkdir()
    for name, data in old.items():
        (work / name).write_bytes(data)
    started = time.monotonic()
    subprocess.run(command, cwd=work, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    randomness = random.Random(13)
    journal = work / ".petstore.toml.import-journal"
    states: set[str] = set()
    # Where each kill lands: while the journal stands (the writing under way: timed by the
    # file, so a loaded machine cannot skew it), at random moments, and never (a whole run).
    moments: list[float | str] = ["journal", "journal", "never"]
    moments += [randomness.uniform(0.3, 1.0) for _ in range(5)]
    for moment in moments:
        for path in work.iterdir():
            path.unlink()
        for name, data in old.items():
            (work / name).write_bytes(data)
        process = subprocess.Popen(command, cwd=work, env=env, stderr=subprocess.DEVNULL)
        if moment == "journal":
            deadline = time.monotonic() + 10 * duration
            while not journal.exists() and process.poll() is None:
                assert time.monotonic() < deadline, "the import never started writing"
                time.sleep(0.005)
        elif isinstance(moment, float):
            time.sleep(moment * duration)
        if moment != "never" and process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()

        files = _files(work)
        written = tuple("new" if files[n] == new[n] else "old" for n in pair)
        assert all(files[n] in (old[n], new[n]) for n in pair)
        pending = ".petstore.toml.import-journal" in files
        assert pending or written in (("old", "old"), ("new", "new")), written
        states.add(f"{written}{' pending' if pending else ''}")

        finish = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
        assert finish.returncode == 0, finish.stderr
        assert ("interrupted" in finish.stderr) == pending
        assert {n: d for n, d in _files(work).items() if not n.startswith(".")} == new
        assert not [n for n in _files(work) if n.startswith(".")]
    # The kills met the writing in each state: before it, during it (pending), after it.
    assert {"('new', 'new')"} < states and any("pending" in state for state in states), states


def _pending(output: Path, spec_text: str, base_text: str) -> Path:
    """The journal an import leaves when killed after its commit point."""
    journal = output.with_name(f".{output.name}.import-journal")
    before = hashlib.sha256(output.read_bytes()).hexdigest()
    record = {
        "mcpgen_import_journal": 1,
        "spec_before_sha256": before,
        "spec": spec_text,
        "base": base_text,
    }
    journal.write_text(json.dumps(record), encoding="utf-8")
    return journal


def test_a_pending_import_is_finished_only_on_the_spec_it_read(tmp_path: Path) -> None:
    source = _petstore(tmp_path)
    output = tmp_path / "petstore.toml"
    import_spec(source, output)
    spec_text = output.read_text(encoding="utf-8") + "# From the interrupted import.\n"
    base_text = base_path(output).read_text(encoding="utf-8")

    journal = _pending(output, spec_text, base_text)
    result = import_spec(source, output)
    assert any("interrupted" in w.message and "finished" in w.message for w in result.warnings)
    assert "# From the interrupted import." in output.read_text(encoding="utf-8")
    assert not journal.exists()

    journal = _pending(output, spec_text.replace("interrupted", "other"), base_text)
    output.write_text(output.read_text(encoding="utf-8") + "# Mine, since.\n", encoding="utf-8")
    result = import_spec(source, output)
    assert any("not finished" in w.message for w in result.warnings)
    text = output.read_text(encoding="utf-8")
    assert "# Mine, since." in text and "# From the other import." not in text
    assert not journal.exists()


def test_the_spec_keeps_its_mode(tmp_path: Path) -> None:
    source = _petstore(tmp_path)
    output = tmp_path / "petstore.toml"
    import_spec(source, output)
    output.chmod(0o664)
    previous = os.umask(0o022)
    try:
        import_spec(source, output)
    finally:
        os.umask(previous)
    assert output.stat().st_mode & 0o777 == 0o664
