"""Real OpenAPI documents imported and generated the way a user does, for wire-level tests.

`imported_server(fixture, root, name)` runs `mcpgen import openapi` on a document of
tests/fixtures/openapi and `mcpgen generate` on the spec it wrote, then imports the generated
package in this process; the test points it at a loopback recorder through `<NAME>_BASE_URL`
and calls its tools with the SDK client.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"


def mcpgen(*args: str | Path) -> str:
    """Run the real CLI; its standard error (the report) on success."""
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mcpgen {args[0]} failed:\n{done.stderr[-4000:]}"
    return done.stderr


@dataclass
class Imported:
    """A generated server package, imported, and the spec it came from."""

    package: ModuleType
    spec: Path
    report: str  # what the import printed

    @property
    def env_prefix(self) -> str:
        return self.package.__name__.upper()

    def build(self) -> Any:
        return self.package.build_server()


@contextmanager
def imported_server(fixture: str, root: Path, name: str, *options: str) -> Iterator[Imported]:
    """Import `fixture` (with `options`), generate it under `root`, import the package `name`."""
    spec = root / f"{name}.toml"
    report = mcpgen("import", "openapi", FIXTURES / fixture, "-o", spec, "--name", name, *options)
    mcpgen("generate", spec, "-o", root / "project")
    src = root / "project" / "src"
    sys.path.insert(0, str(src))
    try:
        yield Imported(importlib.import_module(name.replace("-", "_")), spec, report)
    finally:
        sys.path.remove(str(src))
        package = name.replace("-", "_")
        for module in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[module]
