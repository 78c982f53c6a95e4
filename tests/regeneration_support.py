"""A small spec built from data, and views of a project tree, for the regeneration tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from mcpgen.cli import main as mcpgen_cli

PACKAGE = "regen"
HANDLERS = f"src/{PACKAGE}/handlers"
GENERATED = f"src/{PACKAGE}/_generated"
MANIFEST = ".mcpgen-manifest.json"


def spec_data(
    tools: dict[str, dict[str, Any]],
    resources: tuple[str, ...] = (),
    templates: tuple[str, ...] = (),
    prompts: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`tools` maps a name to {"fields": [...], "output": "Old" | "New" | None}."""
    data: dict[str, Any] = {
        "server": {"name": PACKAGE},
        "types": {
            "Old": {"type": "object", "properties": {"a": {"type": "string"}}},
            "New": {"type": "object", "properties": {"b": {"type": "integer"}}},
        },
        "tools": [
            {
                "name": name,
                "input": {
                    "type": "object",
                    "properties": {field: {"type": "string"} for field in tool.get("fields", [])},
                },
                **({"output": {"$ref": f"#/types/{tool['output']}"}} if tool.get("output") else {}),
            }
            for name, tool in sorted(tools.items())
        ],
    }
    if resources:
        data["resources"] = [{"uri": f"regen://{r}", "name": r} for r in resources]
    if templates:
        data["resource_templates"] = [
            {"uri_template": f"regen://{t}/{{id}}", "name": t} for t in templates
        ]
    if prompts:
        data["prompts"] = [{"name": p} for p in prompts]
    return data


def write_spec(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def cli(*args: str | Path) -> Result:
    """The CLI in this process, stdout and stderr apart."""
    return CliRunner().invoke(mcpgen_cli, [str(a) for a in args], catch_exceptions=False)


# Not the project's content: bytecode, and mcpgen's own cache of generated models, which a
# run may refresh even when it refuses to touch the project.
_NOT_CONTENT = frozenset({"__pycache__", ".mcpgen-cache"})


def _content(root: Path) -> list[Path]:
    return [
        p for p in sorted(root.rglob("*")) if _NOT_CONTENT.isdisjoint(p.relative_to(root).parts)
    ]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in _content(root) if p.is_file()}


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, inode) of every file and folder: a rewrite, even of equal bytes, shows."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in _content(root)
    }


def age(root: Path) -> None:
    """Set every mtime to an old fixed time, so a same-second rewrite cannot hide."""
    for path in [root, *root.rglob("*")]:
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))


class Generated:
    """`mcpgen generate SPEC -o ROOT` once per input and session; later calls copy the result.

    A generation forks the model generator's helpers, runs ruff and writes and syncs some
    forty files: 0.1-0.3 s with the generator warm (`warm_model_generator`), a second
    without; a copy takes milliseconds. Everything `generate` reads back from a
    project is content (digests, paths relative to the project and its spec), so a copy is
    regenerated, checked and refused exactly as the project it copies. Keyed by the spec's
    path from the project and every file of the spec's folder (the files it `$ref`s among
    them); a spec that `$ref`s a file outside its folder is refused.
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        self._made: dict[tuple[str, tuple[tuple[str, bytes], ...]], Path] = {}

    def __call__(self, spec: Path, root: Path) -> None:
        folder = spec.parent
        inputs = tuple(
            (path.relative_to(folder).as_posix(), path.read_bytes())
            for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.is_relative_to(root)
        )
        key = (os.path.relpath(spec, root), inputs)
        made = self._made.get(key)
        if made is not None:
            shutil.copytree(made, root, symlinks=True)
            return
        result = cli("generate", spec, "-o", root)
        assert result.exit_code == 0, result.output
        refs = json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("refs", {})
        assert not [ref for ref in refs if ref.startswith("..")], f"refs out of {folder}"
        made = self.store / str(len(self._made))
        shutil.copytree(root, made, symlinks=True)
        self._made[key] = made
