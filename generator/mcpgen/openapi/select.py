"""Import stage: which operations become tools (include/exclude by tag, path glob, operation,
deprecation).

An operation is kept when it matches some include criterion (or there is none) and no exclude
criterion. The criteria live in the spec's `[openapi]` section, so a re-import applies them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from mcpgen.spec import OpenApiSelection


@dataclass(frozen=True)
class Selectable:
    """What selection looks at in an operation."""

    method: str  # upper case
    path: str
    operation_id: str | None
    tags: tuple[str, ...]
    deprecated: bool = False


def _matches(selection: OpenApiSelection, op: Selectable) -> str | None:
    """The first criterion of `selection` that `op` matches, as the user would write it."""
    for tag in selection.tags:
        if tag in op.tags:
            return f"tag {tag!r}"
    for pattern in selection.paths:
        if fnmatchcase(op.path, pattern):
            return f"path {pattern!r}"
    for wanted in selection.operations:
        if _same_operation(wanted, op):
            return f"operation {wanted!r}"
    if selection.deprecated and op.deprecated:
        return "deprecated"
    return None


def _same_operation(wanted: str, op: Selectable) -> bool:
    method, _, path = wanted.strip().partition(" ")
    if path and method.upper() == op.method and path.strip() == op.path:
        return True
    return op.operation_id is not None and wanted == op.operation_id


def _is_empty(selection: OpenApiSelection) -> bool:
    return not (selection.tags or selection.paths or selection.operations or selection.deprecated)


def why_skipped(include: OpenApiSelection, exclude: OpenApiSelection, op: Selectable) -> str | None:
    """None when the operation is selected, else the reason it is not."""
    if not _is_empty(include) and _matches(include, op) is None:
        return "not included by the selection"
    excluded_by = _matches(exclude, op)
    if excluded_by is not None:
        return f"excluded by {excluded_by}"
    return None


def unused_criteria(
    include: OpenApiSelection, exclude: OpenApiSelection, ops: list[Selectable]
) -> list[str]:
    """Criteria that match no operation at all: most likely a typo worth a warning."""
    unused: list[str] = []
    for kind, selection in (("include", include), ("exclude", exclude)):
        for tag in selection.tags:
            if not any(tag in op.tags for op in ops):
                unused.append(f"{kind} tag {tag!r} matches no operation")
        for pattern in selection.paths:
            if not any(fnmatchcase(op.path, pattern) for op in ops):
                unused.append(f"{kind} path {pattern!r} matches no operation")
        for wanted in selection.operations:
            if not any(_same_operation(wanted, op) for op in ops):
                unused.append(f"{kind} operation {wanted!r} matches no operation")
        if selection.deprecated and not any(op.deprecated for op in ops):
            unused.append(f"{kind} deprecated: no operation is deprecated")
    return unused
