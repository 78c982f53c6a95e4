"""The import's report: operations kept and skipped, and what `tools/list` will cost a client.

The size is measured, not guessed: for each tool, the JSON object the server would advertise
(name, title, description, inputSchema and outputSchema each with only the `$defs` they use,
annotations), serialised compactly as UTF-8; tokens are estimated from it (`mcpgen.budget`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mcpgen.budget import ListSize, ToolSize
from mcpgen.diagnostics import counted
from mcpgen.openapi.reimport import MISSING, Conflict, MergeReport
from mcpgen.openapi.toml_writer import inline
from mcpgen.schema_keywords import DATA, DEFS_REF, defs_refs

_ANNOTATION_WIRE = {
    "title": "title",
    "read_only": "readOnlyHint",
    "destructive": "destructiveHint",
    "idempotent": "idempotentHint",
    "open_world": "openWorldHint",
}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _wire_refs(value: Any) -> Any:
    """`#/types/X` -> `#/$defs/X`, as the generated server advertises them (data as it is)."""
    if isinstance(value, dict):
        return {
            k: (
                DEFS_REF + v[len("#/types/") :]
                if k == "$ref" and isinstance(v, str) and v.startswith("#/types/")
                else v
                if k in DATA
                else _wire_refs(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_wire_refs(v) for v in value]
    return value


class _Types:
    """Each type's wire JSON and direct references, computed once."""

    def __init__(self, types: dict[str, Any]) -> None:
        self.schema = {name: _wire_refs(schema) for name, schema in types.items()}
        self.text = {name: _compact(schema) for name, schema in self.schema.items()}
        self.uses = {name: set(defs_refs(schema)) for name, schema in self.schema.items()}

    def closure(self, names: set[str]) -> list[str]:
        seen: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in seen or name not in self.schema:
                continue
            seen.add(name)
            pending.extend(self.uses[name])
        return sorted(seen)


def _schema_size(schema: Any, types: _Types) -> int:
    """Bytes of a schema with its `$defs` (a bare root `$ref` inlined, as mcpgen does)."""
    wire = _wire_refs(schema)
    if isinstance(wire, dict) and set(wire) == {"$ref"} and wire["$ref"].startswith(DEFS_REF):
        name = wire["$ref"][len(DEFS_REF) :]
        wire = types.schema.get(name, wire)
    text = _compact(wire)
    used = types.closure(set(defs_refs(wire)))
    if not used:
        return _size(text)
    defs = ",".join(f"{_compact(name)}:{types.text[name]}" for name in used)
    # `{...}` becomes `{...,"$defs":{...}}` (or `{"$defs":{...}}` when it was empty).
    joiner = "," if text != "{}" else ""
    return _size(text) + len(joiner) + _size('"$defs":{}') + _size(defs)


def tools_list_size(spec: dict[str, Any], *, outputs: bool | None = None) -> ListSize:
    """The `tools/list` result the spec's server would send (all tools, one page): its bytes
    and each tool's. An output schema counts where the spec lists it (`list_output_schemas`,
    a tool's `list_output_schema`), or, with `outputs`, wherever a tool has one or nowhere."""
    types = _Types(spec.get("types", {}))
    listed_by_server = spec.get("server", {}).get("list_output_schemas", True)
    total = _size('{"tools":[]}')
    sizes: list[ToolSize] = []
    for index, tool in enumerate(spec.get("tools", [])):
        head: dict[str, Any] = {"name": tool["name"]}
        for key in ("title", "description"):
            if tool.get(key):
                head[key] = tool[key]
        annotations = {_ANNOTATION_WIRE[k]: v for k, v in (tool.get("annotations") or {}).items()}
        tail = {"annotations": annotations} if annotations else {}
        size = _size(_compact(head)) - 1  # without the closing brace
        size += _size(',"inputSchema":') + _schema_size(
            tool.get("input", {"type": "object"}), types
        )
        listed = tool.get("list_output_schema", listed_by_server) if outputs is None else outputs
        if tool.get("output") is not None and listed:
            size += _size(',"outputSchema":') + _schema_size(tool["output"], types)
        if tail:
            size += 1 + _size(_compact(tail)[1:-1])
        size += 1  # the closing brace
        total += size + (1 if index else 0)  # and the comma before all but the first
        tags = (tool.get("http") or {}).get("tags") or ()
        sizes.append(ToolSize(tool["name"], tuple(tags), size))
    return ListSize(total, sizes)


@dataclass
class ImportSummary:
    """Everything the import prints when it is done."""

    spec_file: str
    source: str
    operations: int
    tools: int
    skipped: list[tuple[str, str]]
    notes: list[str]
    listed: ListSize
    merge: MergeReport | None

    def lines(self) -> list[str]:
        out = [
            f"{self.spec_file}: {counted(self.tools, 'tool')} from "
            f"{counted(self.operations, 'operation')} in {self.source}."
        ]
        if self.skipped:
            by_reason: defaultdict[str, list[str]] = defaultdict(list)
            for route, reason in self.skipped:
                by_reason[reason].append(route)
            out.append(f"Skipped {len(self.skipped)}:")
            for reason, routes in sorted(by_reason.items()):
                shown = ", ".join(routes[:5]) + (
                    f", ... ({len(routes) - 5} more)" if len(routes) > 5 else ""
                )
                out.append(f"  {reason} ({len(routes)}): {shown}")
        for note in self.notes:
            out.append(f"note: {note}")
        if self.merge is not None:
            out.extend(_merge_lines(self.merge))
        out.append(self.listed.line())
        return out


# Items listed per section of the report (an import of a large API adds hundreds of tools).
LISTED = 50
# A value in the report is cut here: a conflict's value can be a whole schema (17 KB seen in
# GitHub's description), and one line of the report should stay readable.
SHOWN_CHARACTERS = 120


def shown(value: Any) -> str:
    """A value as the spec would write it inline, on one line, cut to SHOWN_CHARACTERS."""
    text = inline(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}... ({len(text) - SHOWN_CHARACTERS:,} more characters)"


def _conflict_line(conflict: Conflict, without_base: bool) -> str:
    yours = "kept deleted" if conflict.deleted else "yours kept"
    if conflict.theirs is MISSING:
        return f"{conflict.path}: {yours}; the API " + (
            "has none" if without_base else "removed it"
        )
    now = "is" if without_base else "is now"
    return f"{conflict.path}: {yours}; the API's {now} {shown(conflict.theirs)}"


def _merge_lines(merge: MergeReport) -> list[str]:
    conflicts = [_conflict_line(c, merge.without_base) for c in merge.conflicts]
    sections: tuple[tuple[str, list[str]], ...]
    if merge.without_base:
        # Nothing here may claim to know who changed what.
        out = ["Re-import without the base file: mcpgen cannot tell your edits from the API's."]
        sections = (
            ("added (new in the API, or deleted by you: mcpgen cannot tell)", merge.added),
            ("taken from the API (your spec did not have them)", merge.changed),
            (
                "differences from the API (yours kept; the new base records the API's, so "
                "from now on they count as your edits)",
                conflicts,
            ),
            (
                "kept, though the API (as selected) has no such operation (you added them, "
                "or the API removed them: mcpgen cannot tell; from now on they count as yours)",
                merge.unbound,
            ),
            ("renamed", merge.renamed),
            ("comments dropped (what they sat on is gone)", merge.comments_lost),
        )
    else:
        out = []
        sections = (
            ("added", merge.added),
            ("removed upstream or no longer selected", merge.removed),
            ("kept removed (you deleted them)", merge.kept_removed),
            ("updated from the API (fields you had not edited)", merge.changed),
            ("conflicts (you and the API both changed them; yours kept)", conflicts),
            ("renamed", merge.renamed),
            ("types and errors you renamed (followed)", merge.tables_renamed),
            ("types and errors you renamed that the API removed", merge.tables_gone),
            ("types and errors kept for what refers to them", merge.tables_kept),
            ("comments dropped (what they sat on is gone)", merge.comments_lost),
        )
    for title, items in sections:
        if items:
            out.append(f"Re-import, {title} ({len(items)}):")
            # Conflicts are each for the user to review: all of them, whatever their number.
            listed = items if items is conflicts else items[:LISTED]
            out.extend(f"  {item}" for item in listed)
            if len(items) > len(listed):
                out.append(f"  ... ({len(items) - len(listed)} more)")
    changes = (
        merge.added,
        merge.removed,
        merge.changed,
        merge.conflicts,
        merge.renamed,
        merge.tables_gone,
        merge.tables_kept,
    )
    if not merge.without_base and not any(changes):
        out.append("Re-import: no change from the API.")
    return out
