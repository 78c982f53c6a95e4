"""Stage 5, format: ruff, once, over every Python file of the project.

ruff runs with an explicit config file of ours, so no `pyproject.toml` or `ruff.toml` above
the output folder can change what we produce. The rules are those the generated project's
own pyproject selects, so the project passes its own `ruff check`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from importlib.metadata import version
from pathlib import Path

# The ruff package ships its binary and this finder, without type information.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from mcpgen.cache import ProjectCache
from mcpgen.render import RenderedFile

# Pinned exactly, but part of every cache key all the same: a different ruff formats differently.
RUFF_VERSION = version("ruff")

RUFF_CONFIG = """\
line-length = 100
target-version = "py311"
src = ["src"]

[lint]
select = ["E", "F", "W", "I", "UP", "B", "SIM", "RUF"]
ignore = ["E501", "RUF001", "RUF002", "RUF003"]
"""


class FormatError(RuntimeError):
    """ruff failed: a bug in a template, never the user's fault."""


def format_files(
    files: dict[str, RenderedFile], cache: ProjectCache | None = None
) -> dict[str, RenderedFile]:
    """The same files with the Python ones fixed (imports sorted) and formatted.

    Every rule ruff applies here reads one file, and the config names the first-party
    packages, so a file's result is a function of the config, its path and its text: with
    a cache, only the files not formatted before go through ruff.
    """
    python = {path: f for path, f in files.items() if path.endswith(".py") and not f.verbatim}
    if not python:
        return files
    config = _ruff_config(python)
    keys = {path: _format_key(config, path, f.text) for path, f in python.items()}
    done: dict[str, RenderedFile] = {}
    if cache is not None:
        for path, rendered in python.items():
            text = cache.formatted(keys[path])
            if text is not None:
                done[path] = RenderedFile(text, rendered.owner)
    todo = {path: f for path, f in python.items() if path not in done}
    if todo:
        done.update(_run_ruff(todo, config))
        if cache is not None:
            for path in todo:
                cache.put_formatted(keys[path], done[path].text)
    return {path: done.get(path, rendered) for path, rendered in files.items()}


def _ruff_config(python: dict[str, RenderedFile]) -> str:
    """The config, with the project's packages named first-party. Left to find them, ruff's
    isort looks for each imported module's file: a generated module that imports a handler
    module not among the files formatted (a cached run) would sort differently."""
    packages = sorted({parts[1] for parts in (p.split("/") for p in python) if parts[0] == "src"})
    return f"{RUFF_CONFIG}\n[lint.isort]\nknown-first-party = {json.dumps(packages)}\n"


def _format_key(config: str, path: str, text: str) -> str:
    digest = hashlib.sha256()
    for part in (RUFF_VERSION, config, path, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _run_ruff(python: dict[str, RenderedFile], config_text: str) -> dict[str, RenderedFile]:
    ruff: str = find_ruff_bin()
    with tempfile.TemporaryDirectory(prefix="mcpgen-format-") as tmp:
        root = Path(tmp)
        config = root / "ruff.toml"
        config.write_text(config_text, encoding="utf-8")
        for path, rendered in python.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered.text, encoding="utf-8", newline="\n")
        for command in (
            [
                ruff,
                "check",
                "--fix",
                "--exit-zero",
                "--quiet",
                "--no-cache",
                "--config",
                str(config),
                ".",
            ],
            [ruff, "format", "--quiet", "--no-cache", "--config", str(config), "."],
        ):
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise FormatError(f"{' '.join(command[1:2])} failed:\n{done.stderr or done.stdout}")
        return {
            path: RenderedFile((root / path).read_text(encoding="utf-8"), rendered.owner)
            for path, rendered in python.items()
        }
