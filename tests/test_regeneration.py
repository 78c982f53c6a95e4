"""Regeneration after spec edits: user code is never lost, generated code never silently clobbered.

Each test builds a small project, edits its spec (and sometimes its handlers or generated
files) and runs `mcpgen generate` again, checking bytes, modification times, messages and
exit codes. The interruption test kills a real `mcpgen generate` while it renames files.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcpgen import emit
from regeneration_support import (
    GENERATED,
    HANDLERS,
    MANIFEST,
    Generated,
    age,
    cli,
    snapshot,
    spec_data,
    stats,
    write_spec,
)

BASE = {"alpha": {"fields": ["x"], "output": "Old"}, "beta": {}}
USER_CODE = "\n\ndef helper() -> int:\n    return 42  # the user's own code\n"


@pytest.fixture
def project(tmp_path: Path, generated_once: Generated) -> tuple[Path, Path]:
    """A generated project whose alpha handler holds user code, all mtimes aged."""
    spec = write_spec(tmp_path / "spec" / "regen.json", spec_data(BASE))
    root = tmp_path / "project"
    generated_once(spec, root)
    with (root / HANDLERS / "tools" / "alpha.py").open("a", encoding="utf-8") as handle:
        handle.write(USER_CODE)
    age(root)
    return spec, root


def test_only_changed_generated_files_are_rewritten(project: tuple[Path, Path]) -> None:
    spec, root = project
    before_bytes, before_stats = snapshot(root), stats(root)
    write_spec(spec, spec_data({**BASE, "alpha": {"fields": ["x", "y"], "output": "Old"}}))
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    after_bytes, after_stats = snapshot(root), stats(root)
    changed = {p for p in after_bytes if after_bytes[p] != before_bytes.get(p)}
    assert f"{GENERATED}/models.py" in changed
    assert not any(p.startswith(HANDLERS) for p in changed)
    touched = {p for p in after_stats if p in after_bytes and after_stats[p] != before_stats[p]}
    assert touched == changed, "a file was rewritten with the same bytes"
    assert "src/regen/py.typed" in after_bytes and "src/regen/py.typed" not in touched


def test_new_items_get_stubs_and_user_code_keeps_every_byte(project: tuple[Path, Path]) -> None:
    spec, root = project
    handlers = {p: b for p, b in snapshot(root).items() if p.startswith(HANDLERS)}
    handler_stats = {p: s for p, s in stats(root).items() if p in handlers}
    write_spec(
        spec,
        spec_data({**BASE, "gamma": {}}, resources=("r1",), templates=("t1",), prompts=("p1",)),
    )
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    after = snapshot(root)
    assert {p: after[p] for p in handlers} == handlers
    assert {p: s for p, s in stats(root).items() if p in handlers} == handler_stats
    for stub, signature in [
        ("tools/gamma.py", "async def gamma(ctx: runtime.Context, args: models.GammaInput)"),
        ("resources/r1.py", "async def r1(ctx: runtime.Context) -> runtime.ResourceReturn"),
        ("resource_templates/t1.py", "async def t1("),
        ("prompts/p1.py", "async def p1("),
    ]:
        assert signature in after[f"{HANDLERS}/{stub}"].decode(), stub
    assert cli("generate", "--check", spec, "-o", root).exit_code == 0


def test_removed_and_renamed_tools_are_kept_named_and_fail_check(
    project: tuple[Path, Path],
) -> None:
    spec, root = project
    alpha = (root / HANDLERS / "tools" / "alpha.py").read_bytes()
    write_spec(spec, spec_data({"delta": BASE["alpha"]}))  # alpha renamed, beta removed
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    for name in ("alpha", "beta"):
        assert (
            f"warning: {HANDLERS}/tools/{name}.py handles tool '{name}', which the spec no "
            "longer declares; it was kept." in result.stderr
        )
    assert (root / HANDLERS / "tools" / "alpha.py").read_bytes() == alpha
    assert (root / HANDLERS / "tools" / "beta.py").is_file()
    assert (root / HANDLERS / "tools" / "delta.py").is_file()

    check = cli("generate", "--check", spec, "-o", root)
    assert check.exit_code == 1
    assert "2 handlers left by the spec" in check.stderr
    assert f"{HANDLERS}/tools/alpha.py handles tool 'alpha'" in check.stderr
    # The user resolves it: alpha's code moves to delta, beta goes.
    (root / HANDLERS / "tools" / "alpha.py").unlink()
    (root / HANDLERS / "tools" / "beta.py").unlink()
    check = cli("generate", "--check", spec, "-o", root)
    assert check.exit_code == 0, check.output


def test_a_handler_whose_models_changed_is_reported_by_name(project: tuple[Path, Path]) -> None:
    spec, root = project
    write_spec(spec, spec_data({"alpha": {"fields": ["x"], "output": "New"}, "beta": {}}))
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: handler of tool 'alpha' ({HANDLERS}/tools/alpha.py:8) returns models.Old "
        "but the spec now gives models.New." in result.stderr
    )
    write_spec(spec, spec_data({"alpha": {"fields": ["x"]}, "beta": {"output": "New"}}))
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert (
        "handler of tool 'alpha' (src/regen/handlers/tools/alpha.py:8) returns models.Old but "
        "the spec now gives no output model (return runtime.ToolReturn)." in result.stderr
    )
    assert (
        "handler of tool 'beta' (src/regen/handlers/tools/beta.py:8) returns runtime.ToolReturn "
        "but the spec now gives models.New." in result.stderr
    )


def test_the_argument_model_and_missing_functions_are_checked(tmp_path: Path) -> None:
    from mcpgen.pipeline import generate
    from mcpgen.signatures import check_handlers

    spec = write_spec(tmp_path / "regen.json", spec_data(BASE, templates=("t1",)))
    tools = tmp_path / HANDLERS / "tools"
    tools.mkdir(parents=True)
    (tools / "alpha.py").write_text(
        "from regen._generated.models import BetaInput as In, Old\n"
        "async def alpha(ctx: object, args: 'In') -> Old: ...\n",
        encoding="utf-8",
    )
    (tools / "beta.py").write_text("async def renamed(ctx, args): ...\n", encoding="utf-8")
    templates = tmp_path / HANDLERS / "resource_templates"
    templates.mkdir(parents=True)
    (templates / "t1.py").write_text("def t1(:\n", encoding="utf-8")
    assert check_handlers(tmp_path, generate(spec).ir) == [
        f"handler of tool 'alpha' ({HANDLERS}/tools/alpha.py:2) takes In but the spec now "
        "gives models.AlphaInput.",
        f"handler of tool 'beta' ({HANDLERS}/tools/beta.py) defines no function 'beta', "
        "which the generated wiring imports.",
        f"handler of resource template 't1' ({HANDLERS}/resource_templates/t1.py:1) does not "
        "parse: invalid syntax; the server cannot import it.",
    ]


def test_a_hand_edit_is_refused_with_its_diff_and_force_keeps_a_backup(
    project: tuple[Path, Path],
) -> None:
    spec, root = project
    server = root / GENERATED / "server.py"
    generated = server.read_text(encoding="utf-8")
    edited = generated + "HAND_EDIT = 1\n"
    server.write_text(edited, encoding="utf-8")
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    before, before_stats = snapshot(root), stats(root)

    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 1
    assert f"error: {GENERATED}/server.py was edited by hand since mcpgen wrote it." in (
        result.stderr
    )
    assert "Nothing was written." in result.stderr
    assert f"--- a/{GENERATED}/server.py\n+++ b/{GENERATED}/server.py\n" in result.stdout
    assert "-HAND_EDIT = 1\n" in result.stdout
    assert snapshot(root) == before and stats(root) == before_stats

    result = cli("generate", "--force", spec, "-o", root)
    assert result.exit_code == 0, result.output
    backup = f".mcpgen-backup/{GENERATED}/server.py"
    assert (
        f"warning: overwrote {GENERATED}/server.py; the previous version is in {backup}."
        in result.stderr
    )
    assert (root / backup).read_text(encoding="utf-8") == edited
    assert "HAND_EDIT" not in server.read_text(encoding="utf-8")
    assert cli("generate", "--check", spec, "-o", root).exit_code == 0

    # A second, different hand edit never overwrites the first backup.
    server.write_text(server.read_text(encoding="utf-8") + "SECOND = 2\n", encoding="utf-8")
    result = cli("generate", "--force", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert f"the previous version is in {backup}.1." in result.stderr
    assert (root / backup).read_text(encoding="utf-8") == edited
    assert "SECOND = 2" in (root / f"{backup}.1").read_text(encoding="utf-8")


def test_diff_shows_the_change_and_writes_nothing(project: tuple[Path, Path]) -> None:
    spec, root = project
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    before, before_stats = snapshot(root), stats(root)
    result = cli("generate", "--diff", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert f"--- /dev/null\n+++ b/{HANDLERS}/tools/gamma.py\n" in result.stdout
    assert f"+++ b/{GENERATED}/server.py\n" in result.stdout
    assert snapshot(root) == before and stats(root) == before_stats
    check = cli("generate", "--check", spec, "-o", root)
    assert check.exit_code == 1
    assert check.stdout == result.stdout
    assert "not up to date" in check.stderr and "1 new handler/project file to create" in (
        check.stderr
    )


def test_stale_files_go_only_if_mcpgen_wrote_them(project: tuple[Path, Path]) -> None:
    """An older mcpgen's file is removed if unchanged, kept if edited; a stranger's is left."""
    spec, root = project
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    old, edited, foreign = (f"{GENERATED}/{n}.py" for n in ("old", "edited", "notes"))
    (root / old).write_text("# made by mcpgen once\n", encoding="utf-8")
    (root / edited).write_text("# made by mcpgen once, then edited\n", encoding="utf-8")
    (root / foreign).write_text("# the user's own file\n", encoding="utf-8")
    manifest["files"][old] = emit.sha256("# made by mcpgen once\n")
    manifest["files"][edited] = emit.sha256("# made by mcpgen once\n")
    (root / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    check = cli("generate", "--check", spec, "-o", root)
    assert check.exit_code == 1 and "1 generated file to remove" in check.stderr
    assert f"--- a/{old}\n+++ /dev/null\n" in check.stdout
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert not (root / old).exists()
    assert (root / edited).is_file() and (root / foreign).is_file()
    assert f"warning: {edited} is no longer generated but was edited; it was kept." in (
        result.stderr
    )
    assert f"warning: {foreign} was not written by mcpgen; it was left alone." in result.stderr
    assert "1 removed" in result.stderr


# -- bad input -------------------------------------------------------------------------------


def test_a_corrupt_manifest_is_refused_and_force_rebuilds_without_touching_handlers(
    project: tuple[Path, Path],
) -> None:
    """Decision: refuse (exit 1, nothing written) rather than guess which files are ours."""
    spec, root = project
    (root / MANIFEST).write_text("{not json", encoding="utf-8")
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    before, before_stats = snapshot(root), stats(root)
    for args in ([], ["--check"], ["--force"]):
        result = cli("generate", *args, spec, "-o", root)
        assert result.exit_code == 1, args
        assert f"error: {root / MANIFEST} is corrupt" in result.stderr
        assert "Nothing was written." in result.stderr
    assert snapshot(root) == before and stats(root) == before_stats

    # Its documented way out: delete it; then every differing generated file is untracked.
    (root / MANIFEST).unlink()
    (root / GENERATED / "errors.py").write_text("# edited\n", encoding="utf-8")
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 1
    assert f"error: {GENERATED}/errors.py is in a generated file's place but mcpgen did not" in (
        result.stderr
    )
    result = cli("generate", "--force", spec, "-o", root)
    assert result.exit_code == 0, result.output
    assert (root / ".mcpgen-backup" / GENERATED / "errors.py").read_text() == "# edited\n"
    after = snapshot(root)
    assert {p: after[p] for p in before if p.startswith(HANDLERS)} == {
        p: b for p, b in before.items() if p.startswith(HANDLERS)
    }
    assert cli("generate", "--check", spec, "-o", root).exit_code == 0


def test_a_missing_spec_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("generate", tmp_path / "nope.toml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_spec_that_fails_validation_writes_nothing(project: tuple[Path, Path]) -> None:
    spec, root = project
    data = spec_data({**BASE, "gamma": {}})
    data["tools"][0]["input"]["type"] = "array"
    write_spec(spec, data)
    before, before_stats = snapshot(root), stats(root)
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert snapshot(root) == before and stats(root) == before_stats


def test_a_failed_write_changes_nothing(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails part-way (the third file) leaves every file as it was."""
    spec, root = project
    write_spec(spec, spec_data({**BASE, "gamma": {}}, prompts=("p1",)))
    before, before_stats = snapshot(root), stats(root)
    real_open, calls = os.open, []

    def failing_open(path: str | Path, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            calls.append(path)
            if len(calls) == 3:
                raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(emit.os, "open", failing_open)
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 1
    assert "error: cannot write" in result.stderr and "Permission denied" in result.stderr
    assert "Nothing in the project was changed." in result.stderr
    assert snapshot(root) == before
    # No temporaries, no new folders left behind, no file replaced.
    after_stats = stats(root)
    assert sorted(after_stats) == sorted(before_stats)
    assert {p: after_stats[p] for p in before} == {p: before_stats[p] for p in before}


def _make_read_only(folders: list[Path], read_only: bool) -> None:
    """chmod for ordinary users; root ignores permissions, so it gets the immutable flag."""
    if os.geteuid() != 0:
        for folder in folders:
            folder.chmod(0o555 if read_only else 0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    done = subprocess.run(
        ["chattr", "+i" if read_only else "-i", *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"chattr failed (file system without the immutable flag?): {done.stderr}")


@pytest.mark.slow
def test_a_read_only_project_is_a_clear_error(project: tuple[Path, Path]) -> None:
    spec, root = project
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    before, before_stats = snapshot(root), stats(root)
    _make_read_only(folders, True)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(root)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    finally:
        _make_read_only(folders, False)
    assert done.returncode == 1, done.stderr
    assert "error: cannot write" in done.stderr
    assert "Nothing in the project was changed." in done.stderr
    assert snapshot(root) == before and stats(root) == before_stats


@pytest.mark.parametrize("link", [f"{GENERATED}", f"{HANDLERS}/tools", MANIFEST])
def test_a_symlink_leading_outside_the_project_is_refused(
    project: tuple[Path, Path], tmp_path: Path, link: str
) -> None:
    spec, root = project
    outside = tmp_path / "outside"
    target = root / link
    shutil.move(target, outside)
    target.symlink_to(outside)
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    before = snapshot(outside) if outside.is_dir() else outside.read_bytes()
    result = cli("generate", spec, "-o", root)
    assert result.exit_code == 1
    assert "leads outside the project" in result.stderr and str(outside) in result.stderr
    assert "Nothing was written." in result.stderr
    assert (snapshot(outside) if outside.is_dir() else outside.read_bytes()) == before


# -- interruption ----------------------------------------------------------------------------


def _manifest_hashes(root: Path) -> dict[str, set[str]]:
    files = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
    return {p: {h} if isinstance(h, str) else set(h) for p, h in files.items()}


@pytest.mark.slow
def test_a_killed_generation_leaves_whole_files_and_the_next_run_finishes(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    """SIGKILL a real `mcpgen generate` at random moments, in the pipeline and between renames.

    After each kill every file is whole, either its old or its new bytes, the manifest
    vouches for what is there, and the user's code is untouched; the next run completes
    to exactly the tree an uninterrupted run makes.
    """
    spec, root = project
    pristine = tmp_path / "pristine"
    shutil.copytree(root, pristine)
    write_spec(spec, spec_data({"alpha": {"fields": ["x", "y"], "output": "New"}, "gamma": {}}))
    expected_root = tmp_path / "expected"
    shutil.copytree(pristine, expected_root)
    assert cli("generate", spec, "-o", expected_root).exit_code == 0
    old, new = snapshot(pristine), snapshot(expected_root)

    command = [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(root)]
    env = {**os.environ, emit.PAUSE_ENV: "0.15"}
    started = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    randomness = random.Random(4)
    kills = 0
    for _ in range(6):
        shutil.rmtree(root)
        shutil.copytree(pristine, root)
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        time.sleep(randomness.uniform(0.4, 1.0) * duration)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()

        tree = snapshot(root)
        hashes = _manifest_hashes(root)
        for path, data in tree.items():
            if path.endswith(emit.STAGED_SUFFIX) or path == MANIFEST:
                continue
            assert data in (old.get(path), new.get(path)), f"{path} is neither old nor new"
            if path in hashes:
                assert emit.sha256(data.decode()) in hashes[path], path
        assert tree[f"{HANDLERS}/tools/alpha.py"] == old[f"{HANDLERS}/tools/alpha.py"]

        finish = subprocess.run(command, capture_output=True, text=True, check=False)
        assert finish.returncode == 0, finish.stderr
        assert snapshot(root) == new
    assert kills >= 3, "the kills came too late to test anything"


def test_inside_a_project_that_holds_its_spec_no_path_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    spec = write_spec(root / "server.json", spec_data(BASE))
    assert cli("generate", spec).exit_code == 0
    assert json.loads((root / MANIFEST).read_text(encoding="utf-8"))["spec"] == "server.json"
    write_spec(spec, spec_data({**BASE, "gamma": {}}))
    monkeypatch.chdir(root / HANDLERS)  # anywhere inside the project
    stale = cli("generate", "--check")
    assert stale.exit_code == 1, stale.output
    regenerated = cli("generate")
    assert regenerated.exit_code == 0, regenerated.output
    assert (root / HANDLERS / "tools" / "gamma.py").is_file()
    assert cli("generate", "--check").exit_code == 0


def test_without_a_spec_path_the_project_must_say_where_its_spec_is(
    project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, root = project  # its spec lives outside it: the manifest does not name it
    assert "spec" not in json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    monkeypatch.chdir(root)
    outside = cli("generate")
    assert outside.exit_code == 2
    assert "does not say where the spec is" in outside.output
    monkeypatch.chdir(tmp_path / "spec")
    nowhere = cli("generate")
    assert nowhere.exit_code == 2
    assert "no spec given" in nowhere.output
