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
  under an editable install without a version bump) and of the libraries that shape its
  output, the manifest it vouches for, the user-owned files that generation expected, the
  spec's warnings as data, and what each handler must look like. Keeping the fingerprint
  out of the manifest means a template edit does not touch every committed manifest; a
  fresh clone simply takes the slow path once.

The fast path must tell the user what a cold run would, word for word: the spec's warnings
are rendered again with the spec named as this command names it, and handlers, which are
the user's files and change without the spec, are checked again (`signatures`) wherever
their bytes differ from the ones checked last. Anything else a full run would report (a
handler whose item left the spec, a file someone put under _generated/, a symlink leading
out of the project) sends it down the full path.

Any doubt (a file missing, unreadable or malformed, a digest that differs) means "not
proven", never an error: the full pipeline then decides, as it always did.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mcpgen import __version__, templates_dir
from mcpgen.diagnostics import Diagnostic, Location
from mcpgen.signatures import Expected, check_handler

MANIFEST = ".mcpgen-manifest.json"
CACHE_DIR = ".mcpgen-cache"
STAMP = "stamp.json"
# The handler folders, and the kind of item each module handles.
HANDLER_KINDS = {
    "tools": "tool",
    "resources": "resource",
    "resource_templates": "resource template",
    "prompts": "prompt",
}
# Libraries whose version can change what a generation writes or says (the model generator,
# ruff, the JSON Schema checks, the spec's validation, the templates' engine, the TOML
# parser), by the name of their `.dist-info` folder.
_SHAPING = frozenset(
    {
        "datamodel_code_generator",
        "ruff",
        "jsonschema",
        "jsonschema_specifications",
        "pydantic",
        "pydantic_core",
        "jinja2",
        "tomli",
    }
)


def spec_digest(spec: bytes, refs: Mapping[str, bytes]) -> str:
    """The digest of a spec and the files it `$ref`s (by path relative to the spec's folder)."""
    digest = hashlib.sha256(spec)
    for name in sorted(refs):
        digest.update(b"\0" + name.encode() + b"\0" + refs[name])
    return digest.hexdigest()


@cache
def generator_fingerprint() -> str:
    """A digest of everything that shapes mcpgen's output and messages: its sources and
    templates, the Python it runs on and the libraries it hands work to.

    Hashed rather than trusted to the version number, because an editable install changes
    them without a bump. About 1 ms: a few hundred kilobytes. The libraries are named by
    their installed `.dist-info` folders (name and version), which listing sys.path finds
    in a fraction of a millisecond; importlib.metadata would cost the fast path 40 ms.
    """
    digest = hashlib.sha256(__version__.encode())
    digest.update(sys.version.encode())
    for found in _installed(_SHAPING):
        digest.update(b"\0" + found.encode())
    package = Path(__file__).parent
    for folder, pattern in (
        (package, "*.py"),
        (package / "vendored", "**/*.py"),
        (templates_dir(), "**/*"),
    ):
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(b"\0" + path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _installed(names: frozenset[str]) -> list[str]:
    """The `.dist-info` folders of these distributions on sys.path, as `name-version`."""
    found: list[str] = []
    for entry in sys.path:
        try:
            listed = os.listdir(entry or ".")
        except OSError:
            continue
        found += [
            folder.removesuffix(".dist-info")
            for folder in listed
            if folder.endswith(".dist-info") and folder.split("-", 1)[0].lower() in names
        ]
    return sorted(found)


@dataclass(frozen=True)
class HandlerCheck:
    """One handler as the last generation checked it: its bytes' digest (None: it was not
    there yet) and what was wrong with it."""

    expected: Expected
    sha256: str | None
    warnings: tuple[str, ...]

    def again(self, root: Path) -> tuple[str, ...]:
        """What is wrong with the handler now: the same check, redone if its bytes changed."""
        try:
            with open(os.path.join(root, self.expected.path), "rb") as handle:
                if _sha256(handle.read()) == self.sha256:
                    return self.warnings
        except OSError:
            pass
        return check_handlers(root, [self.expected])[0].warnings


def check_handlers(
    root: Path, expected: Iterable[Expected], earlier: Iterable[HandlerCheck] = ()
) -> list[HandlerCheck]:
    """Each handler checked against what the spec expects of it (`signatures`).

    A handler whose bytes and expectation are as one of the `earlier` checks saw them keeps
    that check's verdict: parsing 500 handlers is 0.1 s of a one-tool regeneration (~7%).
    """
    known = {check.expected: check for check in earlier if check.sha256 is not None}
    checks = []
    for one in expected:
        prior = known.get(one)
        if prior is not None and _file_matches(root / one.path, prior.sha256):
            checks.append(prior)
            continue
        digest, warnings = check_handler(root, one)
        checks.append(HandlerCheck(one, digest, tuple(warnings)))
    return checks


def earlier_handler_checks(root: Path) -> tuple[HandlerCheck, ...]:
    """The handler checks of the last successful generation by this very generator."""
    stamp = _read_stamp(root)
    return stamp.handlers if stamp is not None else ()


@dataclass(frozen=True)
class Stamp:
    """What the last successful generation leaves for the next one to compare against."""

    generator: str
    spec_file: str
    manifest_sha256: str
    user_files: tuple[str, ...]
    diagnostics: tuple[dict[str, Any], ...]  # the spec's, as `_diagnostic_data` keeps them
    handlers: tuple[HandlerCheck, ...]
    package: str


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_json(path: Path) -> tuple[bytes, dict[str, Any]] | None:
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
    try:
        # Written by this very generator (the fingerprint says so), so its shape is known;
        # anything else is a stamp someone edited, which proves nothing.
        if data["generator"] != generator_fingerprint():
            return None
        return Stamp(
            generator=data["generator"],
            spec_file=str(data["spec_file"]),
            manifest_sha256=str(data["manifest_sha256"]),
            user_files=tuple(str(p) for p in data["user_files"]),
            diagnostics=tuple(dict(d) for d in data["diagnostics"]),
            handlers=tuple(
                HandlerCheck(Expected(**h["expected"]), h["sha256"], tuple(h["warnings"]))
                for h in data["handlers"]
            ),
            package=str(data["package"]),
        )
    except (KeyError, TypeError, ValueError):
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
    misfits: tuple[tuple[str, ...], ...]  # each handler's warnings, checked now; none: fits
    generated_files: int
    package: str


def up_to_date(spec: Path, root: Path) -> Unchanged | None:
    """What a full run would report if generating again would change nothing, else None.

    "Nothing" is: the same generator, the same spec and `$ref`d files, every generated file
    still as written (so a hand edit still goes to the full path, which refuses it) and
    nothing else under _generated/, every user file still there (else it would be
    scaffolded again), no handler orphaned since, no symlink leading out of the project.
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
    # Paths as strings from here: pathlib's objects cost a 500-tool project 60 ms.
    if not all(os.path.isfile(os.path.join(root, path)) for path in stamp.user_files):
        return None
    user_files = set(stamp.user_files)
    if any(path not in user_files for path, _, _ in handler_modules(root, stamp.package)):
        return None
    if any(path not in files for path in generated_folder_files(root, stamp.package)):
        return None
    if _leads_out(root, [*files, *user_files]):
        return None
    return Unchanged(
        tuple(_diagnostic(data, str(spec)).render() for data in stamp.diagnostics),
        tuple(wrong for check in stamp.handlers if (wrong := check.again(root))),
        len(files),
        stamp.package,
    )


def _leads_out(root: Path, paths: Iterable[str]) -> bool:
    """Whether a symlink takes one of the paths out of the project (which `emit` refuses).

    Only their folders and the files that are symlinks are resolved: resolving each file
    of a 500-tool project took 90 ms, most of the fast path's time.
    """
    real_root = os.path.realpath(root)
    suspects = set()
    for path in paths:
        suspects.add(path.rpartition("/")[0])
        if os.path.islink(os.path.join(root, path)):
            suspects.add(path)
    return not all(
        os.path.realpath(os.path.join(root, path)).startswith(real_root + os.sep)
        or os.path.realpath(os.path.join(root, path)) == real_root
        for path in suspects
    )


def handler_modules(root: Path, package: str) -> Iterator[tuple[str, str, str]]:
    """Every user handler module in the project: its path, the kind of item it handles
    and the item's name (`handlers/lifespan.py` handles the lifespan)."""
    handlers = f"src/{package}/handlers"
    for folder, kind in HANDLER_KINDS.items():
        try:
            names = sorted(os.listdir(os.path.join(root, handlers, folder)))
        except OSError:
            continue
        for name in names:
            if name.endswith(".py") and name != "__init__.py":
                yield f"{handlers}/{folder}/{name}", kind, name.removesuffix(".py")
    if os.path.isfile(os.path.join(root, handlers, "lifespan.py")):
        yield f"{handlers}/lifespan.py", "lifespan", "lifespan"


def generated_folder_files(root: Path, package: str) -> list[str]:
    """Every file under the package's `_generated/` but its bytecode, by project path."""
    generated = root / "src" / package / "_generated"
    return [
        path.relative_to(root).as_posix()
        for path in sorted(generated.rglob("*"))
        if path.is_file() and "__pycache__" not in path.relative_to(generated).parts
    ]


def _diagnostic_data(diagnostic: Diagnostic, spec_display: str) -> dict[str, Any]:
    """A diagnostic as stamp data; a place in the spec keeps no file name, since the next
    command may name the spec otherwise (`spec.toml`, `./spec.toml`, an absolute path)."""
    data = asdict(diagnostic)
    data["path"] = list(diagnostic.path)
    location = diagnostic.location
    if location is not None:
        in_spec = location.file == spec_display
        data["location"] = [None if in_spec else location.file, location.line, location.col]
    return data


def _diagnostic(data: Mapping[str, Any], spec_display: str) -> Diagnostic:
    location = data["location"]
    return Diagnostic(
        data["level"],
        data["message"],
        tuple(data["path"]),
        Location(location[0] or spec_display, location[1], location[2]) if location else None,
        data["hint"],
    )


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
    root: Path,
    spec: Path,
    package: str,
    user_files: list[str],
    diagnostics: Sequence[Diagnostic],
    handlers: Sequence[HandlerCheck],
) -> None:
    """Record the generation just made, for the next `up_to_date` to trust.

    Written after the manifest, so the stamp vouches for exactly the manifest on disk.
    `diagnostics` are the spec's, as the command that loaded it as `spec` reported them.
    """
    data = {
        "generator": generator_fingerprint(),
        "spec_file": spec.name,
        "manifest_sha256": _sha256((root / MANIFEST).read_bytes()),
        "user_files": sorted(user_files),
        "diagnostics": [_diagnostic_data(d, str(spec)) for d in diagnostics],
        "handlers": [
            {"expected": asdict(h.expected), "sha256": h.sha256, "warnings": list(h.warnings)}
            for h in handlers
        ],
        "package": package,
    }
    try:
        folder = make_cache_dir(root)
        tmp = folder / f".{STAMP}.{os.getpid()}"
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, folder / STAMP)
    except OSError:
        pass  # no stamp: the next run takes the full path, which is always right
