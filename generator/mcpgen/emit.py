"""Stage 6, emit: the only stage that touches the output folder.

Generator-owned files are rewritten only when their content changes (so untouched files
keep their bytes and modification times); user-owned files are written once and never
again. A manifest of what we wrote lets us notice hand edits in generated files, and
remove a generated file only if we made it and nobody changed it since.

Writing is staged so that an interrupted run (killed, disk full, read-only folder) never
leaves a half-written file and never makes the next run mistake our own output for a hand
edit: every new text goes to a temporary file beside its target first; only when all are
staged does the manifest accept both the old and the new hash of each file, and only then
are the temporaries renamed into place, and the manifest narrowed to the new hashes.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcpgen import __version__
from mcpgen.fastpath import (
    MANIFEST,
    generated_folder_files,
    handler_modules,
    make_ignored_dir,
)
from mcpgen.render import Owner, RenderedFile

BACKUP_DIR = ".mcpgen-backup"
STAGED_SUFFIX = ".mcpgen-tmp"
# Seconds to sleep after each rename: the seam the interruption tests kill a real run in.
PAUSE_ENV = "MCPGEN_TEST_PAUSE_BETWEEN_RENAMES"


class EmitError(Exception):
    """The project cannot be written as asked; the message says why and what to do."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Orphan:
    """A user handler module whose spec item is gone: kept, and reported by kind and name."""

    path: str
    kind: str  # "tool", "resource", "resource template", "prompt", "lifespan"
    name: str


@dataclass
class Plan:
    """What emitting would do, computed without writing anything."""

    write: dict[str, str] = field(default_factory=dict)  # generated files new or changed
    scaffold: dict[str, str] = field(default_factory=dict)  # user files not there yet
    unchanged: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # generated earlier, gone from the spec
    hand_edited: list[str] = field(default_factory=list)  # generated files someone changed
    untracked: list[str] = field(default_factory=list)  # in a generated path, not made by us
    kept: list[str] = field(default_factory=list)  # ours once, edited since: left alone
    orphans: list[Orphan] = field(default_factory=list)  # handlers whose item left the spec
    foreign: list[str] = field(default_factory=list)  # files under _generated/ we never wrote
    leftovers: list[str] = field(default_factory=list)  # temporaries of an interrupted run
    backups: dict[str, str] = field(default_factory=dict)  # conflicting path -> backup path
    manifest: dict[str, str] = field(default_factory=dict)
    previous: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[str]:
        """Generated paths whose current bytes mcpgen cannot vouch for: overwrite needs --force."""
        return sorted(self.hand_edited + self.untracked)


def read_manifest(root: Path) -> dict[str, frozenset[str]]:
    """Path -> the hashes mcpgen may have left there; {} when there is no manifest yet.

    A value is a list of hashes only while a run is switching files over (see `apply`).
    A manifest that is there but unreadable raises EmitError: without it a hand edit
    could not be told from our own output, so guessing would risk clobbering user bytes.
    """
    path = root / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise _corrupt(path, str(error)) from error
    try:
        files = json.loads(text)["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not an object")
        manifest: dict[str, frozenset[str]] = {}
        for name, value in files.items():
            hashes = [value] if isinstance(value, str) else value
            if not isinstance(hashes, list) or not all(_is_digest(h) for h in hashes):
                raise TypeError(f"the entry of {name!r} is not a sha256 digest")
            manifest[name] = frozenset(hashes)
    except (ValueError, KeyError, TypeError) as error:
        raise _corrupt(path, str(error) or type(error).__name__) from error
    return manifest


def _is_digest(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _corrupt(path: Path, reason: str) -> EmitError:
    return EmitError(
        f"{path} is corrupt ({reason}), so mcpgen cannot tell its own output from hand "
        f"edits. Restore it (from version control), or delete it and run `mcpgen generate "
        f"--force`: generated files are then rewritten and any that differ are backed up "
        f"under {BACKUP_DIR}/; handler files are never touched. Nothing was written."
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _staged(path: Path) -> Path:
    return path.with_name(f".{path.name}{STAGED_SUFFIX}")


def _inside(root: Path, relative: str) -> None:
    """Refuse a path that a symlink in the project leads outside it."""
    real_root = root.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(real_root):
        raise EmitError(
            f"{root / relative} leads outside the project, to {target} (through a symlink); "
            "mcpgen writes only inside the project. Replace the symlink with a real folder "
            "or file. Nothing was written."
        )


def plan(root: Path, files: dict[str, RenderedFile], package: str) -> Plan:
    """Compare the rendered files with the project on disk. Raises EmitError."""
    previous = read_manifest(root)
    result = Plan(previous=previous)
    for path in sorted({*files, *previous, MANIFEST}):
        _inside(root, path)
    for path, rendered in files.items():
        current = _read(root / path)
        if rendered.owner is Owner.USER:
            if current is None:
                result.scaffold[path] = rendered.text
            continue
        result.manifest[path] = sha256(rendered.text)
        if current == rendered.text:
            result.unchanged.append(path)
            continue
        if current is not None:
            if path not in previous:
                result.untracked.append(path)
            elif sha256(current) not in previous[path]:
                result.hand_edited.append(path)
        result.write[path] = rendered.text
    for path, digests in sorted(previous.items()):
        if path in files:
            continue
        current = _read(root / path)
        if current is None:
            continue
        if sha256(current) in digests:
            result.remove.append(path)
        else:
            result.kept.append(path)
    result.orphans = _orphans(root, files, package)
    result.foreign = _foreign(root, files, previous, package)
    result.leftovers = _leftovers(root, [*files, *previous, MANIFEST])
    result.backups = _backup_paths(root, result.conflicts)
    return result


def _orphans(root: Path, files: dict[str, RenderedFile], package: str) -> list[Orphan]:
    return [
        Orphan(path, kind, name)
        for path, kind, name in handler_modules(root, package)
        if path not in files
    ]


def _foreign(
    root: Path, files: dict[str, RenderedFile], previous: dict[str, frozenset[str]], package: str
) -> list[str]:
    """Files someone put under _generated/: not ours to rewrite or delete, so only reported."""
    return [
        path
        for path in generated_folder_files(root, package)
        if not path.endswith(STAGED_SUFFIX) and path not in files and path not in previous
    ]


def _leftovers(root: Path, paths: Iterable[str]) -> list[str]:
    """Staged temporaries an interrupted run left beside the files it was replacing."""
    found = {
        _staged(root / path).relative_to(root).as_posix()
        for path in paths
        if _staged(root / path).is_file()
    }
    return sorted(found)


def _backup_paths(root: Path, conflicts: list[str]) -> dict[str, str]:
    """Where --force saves each conflicting file: `.mcpgen-backup/<path>`, numbered if taken.

    The name depends only on what is already there (no timestamps), so the same project
    gives the same answer; an older, different backup is never overwritten.
    """
    backups: dict[str, str] = {}
    for path in conflicts:
        current = _read(root / path)
        candidate, number = f"{BACKUP_DIR}/{path}", 0
        while (existing := _read(root / candidate)) is not None and existing != current:
            number += 1
            candidate = f"{BACKUP_DIR}/{path}.{number}"
        _inside(root, candidate)
        backups[path] = candidate
    return backups


def diff(root: Path, result: Plan, only: Iterable[str] | None = None) -> str:
    """A unified diff of what emitting the plan would change (of the `only` paths if given)."""
    chosen = None if only is None else set(only)
    chunks: list[str] = []
    for path, text in sorted({**result.write, **result.scaffold}.items()):
        if chosen is not None and path not in chosen:
            continue
        old = _read(root / path)
        chunks.extend(
            difflib.unified_diff(
                _lines(old or ""),
                _lines(text),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}",
            )
        )
    for path in result.remove:
        if chosen is not None and path not in chosen:
            continue
        old = _read(root / path) or ""
        chunks.extend(
            difflib.unified_diff(_lines(old), [], fromfile=f"a/{path}", tofile="/dev/null")
        )
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)


def _lines(text: str) -> list[str]:
    """The lines `patch` reads, each with its newline. str.splitlines() also ends a line at
    \\v, \\f, \\x1c-\\x1e, \\x85, U+2028 and U+2029, which a description leaves raw in
    README.md, pyproject.toml and tools.json: a diff cut there did not apply."""
    return io.StringIO(text, newline="\n").readlines()


def _stage(path: Path, text: str, created: list[Path]) -> Path:
    """Write `text` durably to the temporary beside `path`; record folders we had to make."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir()
        created.append(folder)
    staged = _staged(path)
    staged.unlink(missing_ok=True)
    # O_EXCL: never write through whatever (a symlink) might sit at the temporary's name.
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return staged


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    staged = _stage(path, text, [])
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def _place_new(staged: Path, target: Path) -> None:
    """Move a scaffold into place only if nothing appeared there since the plan."""
    try:
        os.link(staged, target)
    except FileExistsError:
        pass
    finally:
        staged.unlink(missing_ok=True)


def _manifest_text(
    spec_sha256: str,
    files: dict[str, str | list[str]],
    refs: Mapping[str, str] | None,
    spec: str | None,
) -> str:
    manifest = {
        "mcpgen": __version__,
        **({"spec": spec} if spec is not None else {}),
        "spec_sha256": spec_sha256,
        **({"refs": dict(sorted(refs.items()))} if refs else {}),
        "files": dict(sorted(files.items())),
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def apply(
    root: Path,
    result: Plan,
    spec_sha256: str,
    refs: Mapping[str, str] | None = None,
    spec: str | None = None,
) -> None:
    """Carry out a plan: back up conflicts, write, scaffold, remove, record the manifest.

    `refs` (the files the spec `$ref`s, by path relative to it, and their sha256) go into
    the manifest so the next `generate` can tell they are unchanged without parsing the spec.
    `spec` is the spec's path inside the project, when it lives there, so that a plain
    `mcpgen generate` in the project finds it.
    Raises EmitError if the folder cannot be written; when that happens while staging
    (the usual case: a read-only folder, a full disk) nothing in the project changed.
    """
    for path in result.leftovers:
        (root / path).unlink(missing_ok=True)
    pending = sorted({**result.write, **result.scaffold}.items())
    staged: dict[str, Path] = {}
    created: list[Path] = []
    try:
        if result.backups:
            make_ignored_dir(
                root / BACKUP_DIR, "your versions of generated files that --force replaced"
            )
        for path, backup in sorted(result.backups.items()):
            current = _read(root / path)
            if current is not None and _read(root / backup) != current:
                write_atomic(root / backup, current)
        for path, text in pending:
            staged[path] = _stage(root / path, text, created)
    except OSError as error:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        for folder in reversed(created):
            if not any(folder.iterdir()):
                folder.rmdir()
        raise EmitError(
            f"cannot write {error.filename or root}: {error.strerror or error}. "
            "Nothing in the project was changed."
        ) from error

    # From here the manifest vouches for the old and the new bytes of every file, so an
    # interruption leaves only whole files that the next run recognises as its own.
    switching: dict[str, str | list[str]] = {}
    for path, digest in result.manifest.items():
        switching[path] = sorted(result.previous.get(path, frozenset()) | {digest})
    for path in result.remove:
        switching[path] = sorted(result.previous[path])
    pause = float(os.environ.get(PAUSE_ENV, "0"))
    try:
        if staged or result.remove:
            write_atomic(root / MANIFEST, _manifest_text(spec_sha256, switching, refs, spec))
        for path, temporary in staged.items():
            if path in result.scaffold:
                _place_new(temporary, root / path)
            else:
                os.replace(temporary, root / path)
            if pause:
                time.sleep(pause)
        for path in result.remove:
            (root / path).unlink(missing_ok=True)
            _prune_empty_dirs((root / path).parent, root)
        final = _manifest_text(spec_sha256, dict(result.manifest), refs, spec)
        if _read(root / MANIFEST) != final:
            write_atomic(root / MANIFEST, final)
    except OSError as error:
        raise EmitError(
            f"cannot finish writing {root}: {error}. Every file is whole (old or new) and "
            "the manifest knows both; run `mcpgen generate` again to finish."
        ) from error


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
