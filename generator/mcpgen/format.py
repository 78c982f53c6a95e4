"""Stage 5, format: ruff, once, over every Python file of the project.

ruff runs with an explicit config file of ours, so no `pyproject.toml` or `ruff.toml` above
the output folder can change what we produce. The rules are those the generated project's
own pyproject selects, so the project passes its own `ruff check`.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

# The ruff package ships its binary and this finder, without type information.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from mcpgen.render import RenderedFile

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


def format_files(files: dict[str, RenderedFile]) -> dict[str, RenderedFile]:
    """The same files with the Python ones fixed (imports sorted) and formatted."""
    python = {path: f for path, f in files.items() if path.endswith(".py")}
    if not python:
        return files
    ruff: str = find_ruff_bin()
    with tempfile.TemporaryDirectory(prefix="mcpgen-format-") as tmp:
        root = Path(tmp)
        config = root / "ruff.toml"
        config.write_text(RUFF_CONFIG, encoding="utf-8")
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
        formatted = {
            path: RenderedFile((root / path).read_text(encoding="utf-8"), rendered.owner)
            for path, rendered in python.items()
        }
    return {path: formatted.get(path, rendered) for path, rendered in files.items()}
