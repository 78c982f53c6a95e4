"""Stage 6, emit: the only stage that touches the output folder.

Generator-owned files are rewritten only when their content changes (so untouched files
keep their bytes and modification times); user-owned files are written once and never
again. A manifest of what we wrote lets us notice hand edits in generated files, and
remove a generated file only if we made it and nobody changed it since.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcpgen import __version__
from mcpgen.fastpath import HANDLER_DIRS, MANIFEST
from mcpgen.render import Owner, RenderedFile


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Plan:
    """What emitting would do, computed without writing anything."""

    write: dict[str, str] = field(default_factory=dict)  # generated files new or changed
    scaffold: dict[str, str] = field(default_factory=dict)  # user files not there yet
    unchanged: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # generated earlier, gone from the spec
    hand_edited: list[str] = field(default_factory=list)  # generated files someone changed
    kept: list[str] = field(default_factory=list)  # ours once, edited since: left alone
    orphans: list[str] = field(default_factory=list)  # handlers whose item left the spec
    manifest: dict[str, str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return bool(self.write or self.scaffold or self.remove or self.orphans)


def read_manifest(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def plan(root: Path, files: dict[str, RenderedFile], package: str) -> Plan:
    previous = read_manifest(root)
    result = Plan()
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
        if current is not None and path in previous and sha256(current) != previous[path]:
            result.hand_edited.append(path)
        result.write[path] = rendered.text
    for path, digest in sorted(previous.items()):
        if path in files:
            continue
        current = _read(root / path)
        if current is None:
            continue
        if sha256(current) == digest:
            result.remove.append(path)
        else:
            result.kept.append(path)
    handlers = root / "src" / package / "handlers"
    for kind in HANDLER_DIRS:
        for module in sorted((handlers / kind).glob("*.py")):
            relative = module.relative_to(root).as_posix()
            if module.name != "__init__.py" and relative not in files:
                result.orphans.append(relative)
    return result


def diff(root: Path, result: Plan) -> str:
    """A unified diff of what emitting the plan would change."""
    chunks: list[str] = []
    for path, text in sorted({**result.write, **result.scaffold}.items()):
        old = _read(root / path)
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}",
            )
        )
    for path in result.remove:
        old = _read(root / path) or ""
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True), [], fromfile=f"a/{path}", tofile="/dev/null"
            )
        )
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply(
    root: Path, result: Plan, spec_sha256: str, refs: Mapping[str, str] | None = None
) -> None:
    """Carry out a plan: write, scaffold, remove, and record the manifest.

    `refs` (the files the spec `$ref`s, by path relative to it, and their sha256) go into
    the manifest so the next `generate` can tell they are unchanged without parsing the spec.
    """
    for path, text in sorted({**result.write, **result.scaffold}.items()):
        write_atomic(root / path, text)
    for path in result.remove:
        (root / path).unlink()
        _prune_empty_dirs((root / path).parent, root)
    manifest = {
        "mcpgen": __version__,
        "spec_sha256": spec_sha256,
        **({"refs": dict(sorted(refs.items()))} if refs else {}),
        "files": dict(sorted(result.manifest.items())),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if _read(root / MANIFEST) != text:
        write_atomic(root / MANIFEST, text)


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
