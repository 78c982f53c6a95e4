"""A project's `.mcpgen-cache/`: what the last generation computed that the next can reuse.

Two things, each most of a stage's time on a large spec and each a pure function of its
input, so reusable by content: the model generator's output per chunk of models (keyed by
the chunk's input, see `models`), and the digests of the schemas that passed the JSON
Schema meta-schema check (`resolve`). It keeps only what the last generation used, so it
stays about as big as one models.py. An entry is used only if it is intact (a model chunk
must still hash to the digest stored beside it); anything else (missing, truncated,
edited, another format) is a miss. A bad cache can cost time, never change the output.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mcpgen.fastpath import CACHE_DIR, make_cache_dir


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ProjectCache:
    MODELS = "models.json"
    SCHEMAS = "schemas.json"

    def __init__(self, project: Path) -> None:
        self.project = project
        self.folder = project / CACHE_DIR
        self._models: dict[str, str] = {}
        self._valid: set[str] = set()
        self.used_models: dict[str, str] = {}
        self.used_valid: set[str] = set()
        try:
            entries = json.loads((self.folder / self.MODELS).read_text(encoding="utf-8"))
            for key, entry in entries.items():
                if _sha256(entry["source"]) == entry["sha256"]:
                    self._models[key] = entry["source"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._models = {}
        try:
            digests = json.loads((self.folder / self.SCHEMAS).read_text(encoding="utf-8"))
            self._valid = {d for d in digests if isinstance(d, str)}
        except (OSError, ValueError, TypeError):
            self._valid = set()

    def model(self, key: str) -> str | None:
        source = self._models.get(key)
        if source is not None:
            self.used_models[key] = source
        return source

    def put_model(self, key: str, source: str) -> None:
        self.used_models[key] = source

    def known_valid(self, schema: Any) -> bool:
        """Whether this schema passed the meta-schema check before."""
        digest = schema_digest(schema)
        if digest is not None and digest in self._valid:
            self.used_valid.add(digest)
            return True
        return False

    def put_valid(self, schema: Any) -> None:
        digest = schema_digest(schema)
        if digest is not None:
            self.used_valid.add(digest)

    def save(self) -> None:
        """Keep what this generation used, where it differs from what is stored."""
        if self.used_models != self._models:
            entries = {
                key: {"sha256": _sha256(source), "source": source}
                for key, source in self.used_models.items()
            }
            self._write(self.MODELS, json.dumps(entries, ensure_ascii=False))
        if self.used_valid != self._valid:
            self._write(self.SCHEMAS, json.dumps(sorted(self.used_valid)))

    def _write(self, name: str, text: str) -> None:
        # A cache is a shortcut, never a reason to fail: an unwritable folder (the emit
        # stage reports it for the project's own files) just means no cache next time.
        tmp = self.folder / f".{name}.{os.getpid()}"
        try:
            make_cache_dir(self.project)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.folder / name)
        except OSError:
            tmp.unlink(missing_ok=True)


def schema_digest(schema: Any) -> str | None:
    """A digest of a JSON value; values JSON cannot hold (TOML dates) are tagged, not
    stringified, so a date never shares a digest with a string."""
    try:
        text = json.dumps(
            schema, sort_keys=True, ensure_ascii=False, default=lambda v: {"\0py": repr(v)}
        )
    except (TypeError, ValueError):
        return None
    return _sha256(text)
