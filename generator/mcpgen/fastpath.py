"""The no-change fast path of `mcpgen generate`: prove the project is up to date, cheaply.

A full generation of a 500-tool spec takes seconds, most of it in imports and the model
generator; proving that nothing changed takes milliseconds of hashing. So `generate` first
compares what the last generation recorded with what is on disk now, and runs the
pipeline only when something differs. Everything here is standard library on purpose:
importing pydantic, jinja2 or datamodel-code-generator would cost more than the check.

The proof has two halves, kept in two places because they have two lifetimes:
- the manifest (committed with the project): the mcpgen version, the digest of the spec
  and of every file it `$ref`s (with their paths), and the digest of each generated file;
- the stamp, `.mcpgen-cache/stamp.json` (machine-local, git-ignored by its own
  `.gitignore`): a fingerprint of the generator's own sources and templates (they change
  under an editable install without a version bump), the manifest it vouches for, the
  user-owned files that generation expected, and its warnings to replay. Keeping the
  fingerprint out of the manifest means a template edit does not touch every committed
  manifest; a fresh clone simply takes the slow path once.

Any doubt (a file missing, unreadable or malformed, a digest that differs) means "not
proven", never an error: the full pipeline then decides, as it always did.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mcpgen import __version__, templates_dir

MANIFEST = ".mcpgen-manifest.json"
CACHE_DIR = ".mcpgen-cache"
STAMP = "stamp.json"
HANDLER_DIRS = ("tools", "resources", "resource_templates", "prompts")


def spec_digest(spec: bytes, refs: Mapping[str, bytes]) -> str:
    """The digest of a spec and the files it `$ref`s (by path relative to the spec's folder)."""
    digest = hashlib.sha256(spec)
    for name in sorted(refs):
        digest.update(b"\0" + name.encode() + b"\0" + refs[name])
    return digest.hexdigest()


@cache
def generator_fingerprint() -> str:
    """A digest of everything in mcpgen that shapes its output: its sources and templates.

    Hashed rather than trusted to the version number, because an editable install changes
    them without a bump. About 1 ms: a few hundred kilobytes. The pinned model generator
    and ruff are covered by the version: mcpgen requires their exact versions.
    """
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    for folder, pattern in ((package, "*.py"), (templates_dir(), "**/*")):
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(b"\0" + path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What the last successful generation leaves for the next one to compare against."""

    generator: str
    spec_file: str
    manifest_sha256: str
    user_files: tuple[str, ...]
    diagnostics: tuple[str, ...]
    handlers: str  # the project's handler folder, for the orphan check


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_json(path: Path) -> tuple[bytes, dict[str, object]] | None:
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError):
        return None
    return (raw, data) if isinstance(data, dict) else None


def _read_stamp(root: Path) -> Stamp | None:
    found = _read_json(root / CACHE_DIR / STAMP)
    if found is None:
        return None
    data = found[1]
    user_files, diagnostics = data.get("user_files"), data.get("diagnostics")
    if not isinstance(user_files, list) or not isinstance(diagnostics, list):
        return None
    try:
        return Stamp(
            generator=str(data["generator"]),
            spec_file=str(data["spec_file"]),
            manifest_sha256=str(data["manifest_sha256"]),
            user_files=tuple(str(p) for p in user_files),
            diagnostics=tuple(str(d) for d in diagnostics),
            handlers=str(data["handlers"]),
        )
    except KeyError:
        return None


def _file_matches(path: Path, digest: object) -> bool:
    try:
        return _sha256(path.read_bytes()) == digest
    except OSError:
        return False


@dataclass(frozen=True)
class Unchanged:
    """The proof's outcome: what the full run would have reported."""

    diagnostics: tuple[str, ...]  # the spec's warnings, rendered
    generated_files: int


def up_to_date(spec: Path, root: Path) -> Unchanged | None:
    """What the last generation reported if generating again would change nothing, else None.

    "Nothing" is: the same generator, the same spec and `$ref`d files, every generated file
    still as written (so a hand edit still goes to the full path, which refuses it), every
    user file still there (else it would be scaffolded again), no handler orphaned since.
    """
    stamp = _read_stamp(root)
    found = _read_json(root / MANIFEST)
    if stamp is None or found is None:
        return None
    raw, manifest = found
    refs, files = manifest.get("refs", {}), manifest.get("files")
    if (
        stamp.manifest_sha256 != _sha256(raw)
        or stamp.spec_file != spec.name
        or manifest.get("mcpgen") != __version__
        or stamp.generator != generator_fingerprint()
        or not isinstance(refs, dict)
        or not isinstance(files, dict)
    ):
        return None
    try:
        spec_bytes = spec.read_bytes()
        ref_bytes = {str(name): (spec.parent / name).read_bytes() for name in refs}
    except OSError:
        return None
    if spec_digest(spec_bytes, ref_bytes) != manifest.get("spec_sha256") or any(
        _sha256(data) != refs[name] for name, data in ref_bytes.items()
    ):
        return None
    if not all(_file_matches(root / path, digest) for path, digest in files.items()):
        return None
    if not all((root / path).is_file() for path in stamp.user_files):
        return None
    handlers = root / stamp.handlers
    user_files = set(stamp.user_files)
    for kind in HANDLER_DIRS:
        for module in (handlers / kind).glob("*.py"):
            if (
                module.name != "__init__.py"
                and module.relative_to(root).as_posix() not in user_files
            ):
                return None
    return Unchanged(stamp.diagnostics, len(files))


def make_cache_dir(root: Path) -> Path:
    """The project's `.mcpgen-cache/`, made if need be; it ignores itself for git.

    In the project rather than a per-user cache: it lives and dies with the project
    (delete the project, the cache goes), holds only what the project's next generation
    can use, and needs no entry in the user's .gitignore, like pytest's and mypy's caches.
    """
    return make_ignored_dir(root / CACHE_DIR, "a local cache, safe to delete")


def make_ignored_dir(folder: Path, what: str) -> Path:
    """`folder`, made if need be, with a `.gitignore` that ignores all of it: what mcpgen
    keeps in a project for that machine only stays out of git wherever the project is."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        ignore.write_text(f"# Written by mcpgen: {what}.\n*\n")
    return folder


def write_stamp(
    root: Path, spec: Path, user_files: list[str], diagnostics: list[str], handlers: str
) -> None:
    """Record the generation just made, for the next `up_to_date` to trust.

    Written after the manifest, so the stamp vouches for exactly the manifest on disk.
    """
    data = {
        "generator": generator_fingerprint(),
        "spec_file": spec.name,
        "manifest_sha256": _sha256((root / MANIFEST).read_bytes()),
        "user_files": sorted(user_files),
        "diagnostics": diagnostics,
        "handlers": handlers,
    }
    try:
        folder = make_cache_dir(root)
        tmp = folder / f".{STAMP}.{os.getpid()}"
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, folder / STAMP)
    except OSError:
        pass  # no stamp: the next run takes the full path, which is always right
