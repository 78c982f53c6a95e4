"""The official JSON Schema Test Suite (json-schema-org/JSON-Schema-Test-Suite), draft 2020-12.

No wheel on PyPI, npm package or Debian package carries the draft 2020-12 suite: npm's
`json-schema-test-suite` (0.0.10) and Debian's `json-schema-test-suite` (2.0.0) stop at
draft 6, and npm's `@json-schema-org/tests` (2.0.0) pulls it from GitHub, which a machine
here cannot reach. jsonschema's source distribution on PyPI ships it (its `json/` folder,
the suite jsonschema itself is tested against), so pip downloads that, once, into a cache
folder outside the repository (~10 s the first time; the suite is ~0.7 MB).
`JSON_SCHEMA_TEST_SUITE` names a checkout of the suite to use instead (as in jsonschema's
own tests).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Pinned: a newer suite may add cases, and what each candidate passes is part of a report.
SOURCE = "jsonschema==4.26.0"
DRAFT = "draft2020-12"


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mcpgen-tests" / f"json-schema-test-suite-{SOURCE.replace('==', '-')}"


def suite_root() -> Path:
    """The suite's root folder (`tests/`, `remotes/`), downloaded on first use."""
    given = os.environ.get("JSON_SCHEMA_TEST_SUITE")
    if given:
        return Path(given)
    root = _cache_root()
    done = root / "suite"
    if done.is_dir():
        return done
    root.mkdir(parents=True, exist_ok=True)
    # pytest -n 2: one worker downloads, the other waits for it.
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_dir():
            _download(done)
    return done


def _download(target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run(
            [*pip, "--no-binary", "jsonschema", SOURCE, "-d", work],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (sdist,) = Path(work).glob("*.tar.gz")
        unpacked = Path(work) / "suite"
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                parts = Path(member.name).parts
                # <sdist>/json/{tests,remotes,LICENSE}/...: the suite and its licence only.
                if (
                    len(parts) > 2
                    and parts[1] == "json"
                    and parts[2] in {"tests", "remotes", "LICENSE"}
                ):
                    member.name = str(Path(*parts[2:]))
                    archive.extract(member, unpacked, filter="data")
        shutil.move(unpacked, target)


@dataclass(frozen=True)
class Case:
    """One test of the suite: `file` is the path under the draft's folder, without `.json`."""

    file: str
    group: str
    description: str
    schema: Any
    data: Any
    valid: bool

    @property
    def label(self) -> str:
        return f"{self.file}: {self.group}: {self.description}"


def files() -> list[str]:
    """The draft's test files, as paths under its folder without `.json` (`optional/bignum`)."""
    folder = suite_root() / "tests" / DRAFT
    return sorted(str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.json"))


def cases(file: str) -> Iterator[Case]:
    path = suite_root() / "tests" / DRAFT / f"{file}.json"
    for group in json.loads(path.read_text(encoding="utf-8")):
        for test in group["tests"]:
            yield Case(
                file, group["description"], test["description"], group["schema"],
                test["data"], test["valid"],
            )  # fmt: skip


def remotes() -> dict[str, Any]:
    """The documents remote `$ref`s of the suite name, by URL (the suite serves them from
    http://localhost:1234/)."""
    folder = suite_root() / "remotes"
    return {
        f"http://localhost:1234/{p.relative_to(folder).as_posix()}": json.loads(
            p.read_text(encoding="utf-8")
        )
        for p in folder.rglob("*.json")
    }


# What a generated server's checks are not held to, and why. A server never fetches what a
# `$ref` names (a tool's schema is one document), and in 2020-12 `format` only annotates
# unless a schema's meta-schema turns on the format-assertion vocabulary.
_REMOTE = "a remote $ref (the suite serves these documents; a server fetches nothing)"
_FORMAT = "`format` asserting: in 2020-12 it only annotates, and the runtime asserts no format"
SKIPPED_FILES = {
    "refRemote": _REMOTE,
    "optional/cross-draft": _REMOTE,
    "optional/format-assertion": _FORMAT,
}
SKIPPED_GROUPS = {
    ("dynamicRef", "strict-tree schema, guards against misspelled properties"): _REMOTE,
    ("dynamicRef", "tests for implementation dynamic anchor and reference link"): _REMOTE,
    ("dynamicRef", "$ref and $dynamicAnchor are independent of order - $defs first"): _REMOTE,
    ("dynamicRef", "$ref and $dynamicAnchor are independent of order - $ref first"): _REMOTE,
    ("dynamicRef", "$ref to $dynamicRef finds detached $dynamicAnchor"): _REMOTE,
    ("vocabulary", "schema that uses custom metaschema with with no validation vocabulary"): (
        "a remote meta-schema (" + _REMOTE + ")"
    ),
}


def skip_reason(file: str) -> str | None:
    """Why a whole file is not run against the runtime, or None."""
    if file.startswith("optional/format/"):
        return _FORMAT
    return SKIPPED_FILES.get(file)


def group_skip_reason(case: Case) -> str | None:
    """Why a case's group is not run against the runtime, or None."""
    return SKIPPED_GROUPS.get((case.file, case.group))
