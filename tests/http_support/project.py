"""The Petstore server project, generated from specs/petstore.toml for the HTTP tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "specs" / "petstore.toml"
PACKAGE = "petstore"
ERROR_META = "dev.mcpgen/error"


def generate_petstore(root: Path) -> Path:
    """`mcpgen generate specs/petstore.toml -o root`; returns the `src` folder."""
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(SPEC), "-o", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"mcpgen generate failed:\n{done.stderr}"
    return root / "src"


def subprocess_env(src: Path, **variables: str) -> dict[str, str]:
    """The environment of a server subprocess: the package importable, no stray credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETSTORE_")}
    pythonpath = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1", **variables}
