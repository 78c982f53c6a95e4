"""The HTTP client shim on its own, without generating a server.

A generated server's `_generated/http_client/` and `_generated/runtime/` are mcpgen's
vendored packages copied verbatim; `load_shim` copies them into a throwaway package the same
way and imports it, so a test can drive `HttpClient` with hand-made `Api` and `Operation`
descriptors in a fraction of the time a generation takes.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
VENDORED = REPO / "generator" / "mcpgen" / "vendored"


@contextmanager
def load_shim(root: Path, package: str = "wireshim") -> Iterator[ModuleType]:
    """`<package>._generated.http_client`, imported from a copy under `root`."""
    generated = root / package / "_generated"
    generated.mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    (generated / "__init__.py").write_text("", encoding="utf-8")
    for name in ("runtime", "http_client"):
        shutil.copytree(
            VENDORED / name, generated / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(f"{package}._generated.http_client")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


class QuietContext:
    """The one part of a handler context the HTTP client uses: progress, here recorded."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        self.messages.append(message)
