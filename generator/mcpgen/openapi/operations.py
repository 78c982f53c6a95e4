"""An OpenAPI document's operations, and what every part of its conversion shares.

The conversion (`convert`) reads each operation through its parts: its input
(`inputs`, `request_body`), its output and errors (`responses`), and the API's servers and
security (`http_section`). They read one `Context`: the documents, the schema converter,
and the lists of problems and warnings they all report to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.openapi.document import DocumentSet, OpenApiDocument, Pointer, RefError, Target
from mcpgen.openapi.schema import SchemaConverter

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Context:
    """What every part of a conversion reads, and where each reports (lists it shares)."""

    documents: DocumentSet
    root: OpenApiDocument
    schemas: SchemaConverter
    problems: list[Diagnostic]
    warnings: list[Diagnostic]


@dataclass
class Operation:
    """One operation: its method and path key, and where it and its path item are written."""

    method: str
    path: str
    value: dict[str, Any]
    document: OpenApiDocument
    parts: Pointer
    path_item: dict[str, Any]
    path_item_at: Target

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str | None:
        found = self.value.get("operationId")
        return found if isinstance(found, str) and found else None

    @property
    def tags(self) -> tuple[str, ...]:
        tags = self.value.get("tags")
        return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()

    @property
    def deprecated(self) -> bool:
        return self.value.get("deprecated") is True


class Skip(Exception):
    """This operation cannot become a tool; the reason goes in the summary."""


def find_operations(context: Context) -> list[Operation]:
    """The document's operations, each where it is written (a path item may be a `$ref`)."""
    paths = context.root.data.get("paths", {})
    if not isinstance(paths, dict):
        raise SpecError([context.root.diagnostic(("paths",), "`paths` must be an object")])
    found: list[Operation] = []
    for path, raw_item in paths.items():
        if path.startswith("x-"):
            continue
        at: Pointer = ("paths", path)
        if not path.startswith("/"):
            context.problems.append(context.root.diagnostic(at, "a path must start with '/'"))
            continue
        try:
            item, target = context.documents.follow(raw_item, context.root, at)
        except RefError as error:
            context.problems.append(error.diagnostic)
            continue
        if not isinstance(item, dict):
            context.problems.append(context.root.diagnostic(at, "a path item must be an object"))
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parts = (*target.parts, method)
            if not isinstance(operation, dict):
                context.problems.append(
                    target.document.diagnostic(parts, "an operation must be an object")
                )
                continue
            found.append(
                Operation(method.upper(), path, operation, target.document, parts, item, target)
            )
    if context.problems:
        raise SpecError(context.problems)
    return found


def route_order(route: str) -> tuple[str, int]:
    """Tools read by path, then method in OpenAPI's order (a path's operations together)."""
    method, _, path = route.partition(" ")
    return (path, METHODS.index(method.lower()))


def requests_the_api_makes(data: dict[str, Any], kept: list[Operation]) -> list[str]:
    """Webhooks and callbacks are requests the API sends, not operations a client calls: no
    tools, but the user should know the document describes them."""
    notes: list[str] = []
    webhooks = data.get("webhooks")
    if isinstance(webhooks, dict) and webhooks:
        notes.append(f"webhooks ({len(webhooks)}): requests the API sends, not tools")
    with_callbacks = [op.route for op in kept if isinstance(op.value.get("callbacks"), dict)]
    if with_callbacks:
        shown = ", ".join(with_callbacks[:3]) + (", ..." if len(with_callbacks) > 3 else "")
        if len(with_callbacks) > 1:
            shown = f"{len(with_callbacks)} operations: {shown}"
        notes.append(f"callbacks (on {shown}): requests the API sends, not tools")
    return notes
