"""A project's `.mcpgen-cache/`: what the last generation computed that the next can reuse.

Three things, each most of a stage's time on a large spec and each a pure function of its
input, so reusable by content: the model generator's output per chunk of models (keyed by
the chunk's input, see `models`), the digests of the schemas that passed the JSON Schema
meta-schema check (`resolve`), and each Python file as ruff formatted it (`format`). It
keeps only what the last generation used, so it stays about as big as one models.py. An
entry is used only if it is intact (a model chunk must still hash to the digest stored
beside it) and made by the same generator: a schema's verdict depends on the jsonschema
release and on Python's `re` (the `pattern` keyword's format), so the verdicts are kept
under the generator's fingerprint (`fastpath.generator_fingerprint`), which covers both.
Anything else (missing, truncated, edited, another format) is a miss. A bad cache can
cost time, never change the output or what the user is told.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mcpgen.fastpath import CACHE_DIR, generator_fingerprint, make_cache_dir


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read_texts(path: Path) -> dict[str, str]:
    """Texts by key from a store file; only entries that still hash to their digest."""
    texts: dict[str, str] = {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, entry in entries.items():
            if _sha256(entry["source"]) == entry["sha256"]:
                texts[key] = entry["source"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return texts


def _texts_json(texts: dict[str, str]) -> str:
    entries = {key: {"sha256": _sha256(text), "source": text} for key, text in texts.items()}
    return json.dumps(entries, ensure_ascii=False)


class ProjectCache:
    MODELS = "models.json"
    SCHEMAS = "schemas.json"
    FORMATTED = "formatted.json"

    def __init__(self, project: Path) -> None:
        self.project = project
        self.folder = project / CACHE_DIR
        self._valid: set[str] = set()
        self.used_models: dict[str, str] = {}
        self.used_valid: set[str] = set()
        self.used_formatted: dict[str, str] = {}
        self._models = _read_texts(self.folder / self.MODELS)
        self._formatted = _read_texts(self.folder / self.FORMATTED)
        try:
            stored = json.loads((self.folder / self.SCHEMAS).read_text(encoding="utf-8"))
            if stored["generator"] == generator_fingerprint():
                self._valid = {d for d in stored["valid"] if isinstance(d, str)}
        except (OSError, ValueError, TypeError, KeyError):
            self._valid = set()

    @property
    def holds_models(self) -> bool:
        """Whether an earlier generation left models here: this one is likely a small change."""
        return bool(self._models)

    def model(self, key: str) -> str | None:
        source = self._models.get(key)
        if source is not None:
            self.used_models[key] = source
        return source

    def put_model(self, key: str, source: str) -> None:
        self.used_models[key] = source

    def formatted(self, key: str) -> str | None:
        """A Python file as ruff left it, by the key of its input (see `format`)."""
        text = self._formatted.get(key)
        if text is not None:
            self.used_formatted[key] = text
        return text

    def put_formatted(self, key: str, text: str) -> None:
        self.used_formatted[key] = text

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
            self._write(self.MODELS, _texts_json(self.used_models))
        if self.used_formatted != self._formatted:
            self._write(self.FORMATTED, _texts_json(self.used_formatted))
        if self.used_valid != self._valid:
            stored = {"generator": generator_fingerprint(), "valid": sorted(self.used_valid)}
            self._write(self.SCHEMAS, json.dumps(stored))

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
