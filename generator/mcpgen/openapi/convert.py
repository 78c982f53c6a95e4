"""Import stage 2: an OpenAPI document -> the data of an mcpgen spec (plain dicts and lists).

One tool per selected operation. Parameters (path, query, header, cookie; path-level and
operation-level) and the request body merge into one input object (`inputs`); the first
2xx response becomes the output, and 4xx/5xx/default responses become declared errors shared
between tools (`responses`); the servers and security schemes make `[http]`
(`http_section`). Everything is keyed by sets (routes, pointers), so the order of the
document never shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.names import model_class_name, to_class_name, to_package_name
from mcpgen.openapi.document import DocumentSet, OpenApiDocument, Pointer, RefError
from mcpgen.openapi.http_section import HttpSection
from mcpgen.openapi.inputs import Inputs, pagination
from mcpgen.openapi.markup import description_text
from mcpgen.openapi.naming import Candidate, NamedOperation, class_names, tool_names
from mcpgen.openapi.operations import (
    Context,
    Operation,
    Skip,
    find_operations,
    requests_the_api_makes,
    route_order,
)
from mcpgen.openapi.responses import Responses, error_message
from mcpgen.openapi.schema import JsonSchema, SchemaConverter, without_examples
from mcpgen.openapi.select import Selectable, unused_criteria, why_skipped
from mcpgen.openapi.swagger2 import upgrade_swagger2
from mcpgen.spec import OpenApiSelection

# The JSON-RPC code of every error type an HTTP answer raises (a server error's range).
_ERROR_CODE = -32000


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose for this import (CLI options, or the spec's `[openapi]`)."""

    source: str  # as recorded in `[openapi].source`
    server_name: str | None = None
    max_name_length: int = 48
    output_validation: Literal["strict", "off"] = "strict"
    include: OpenApiSelection = field(default_factory=OpenApiSelection)
    exclude: OpenApiSelection = field(default_factory=OpenApiSelection)


@dataclass
class Conversion:
    """The spec data an import produced, and what the report says about it."""

    spec: dict[str, Any]
    operations: int
    skipped: list[tuple[str, str]]  # (route, reason)
    warnings: list[Diagnostic]
    notes: list[str]  # renames and other unlocated remarks


def convert_document(documents: DocumentSet, options: ImportOptions) -> Conversion:
    """Convert the loaded root document; raises SpecError with every located problem."""
    root = documents.documents[documents.root_key]
    data = root.data
    if not isinstance(data, dict):
        raise SpecError([root.diagnostic((), "an OpenAPI document is an object at the top")])
    version = data.get("openapi")
    if "swagger" in data:
        upgrade = upgrade_swagger2(root)
        documents.documents[root.key] = upgrade.document
        conversion = _Converter(documents, upgrade.document, options, openapi_30=True).run()
        conversion.warnings[:0] = upgrade.warnings
        conversion.notes.insert(0, upgrade.note)
        return conversion
    if not isinstance(version, str) or not re.match(r"3\.[0-2]\.", version + "."):
        where: Pointer = ("openapi",) if "openapi" in data else ()
        raise SpecError(
            [
                root.diagnostic(
                    where,
                    f"not an OpenAPI 3.x document (openapi: {version!r})"
                    if version is not None
                    else "not an OpenAPI document: it has no `openapi` field",
                )
            ]
        )
    return _Converter(documents, root, options, openapi_30=version.startswith("3.0")).run()


class _Converter:
    """One conversion: the parts that read the document's operations (sharing one
    `Context`), and the spec they make."""

    def __init__(
        self,
        documents: DocumentSet,
        root: OpenApiDocument,
        options: ImportOptions,
        *,
        openapi_30: bool,
    ) -> None:
        self.root = root
        self.options = options
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.schemas = SchemaConverter(documents, openapi_30, self.problems, self.warnings)
        self.context = Context(documents, root, self.schemas, self.problems, self.warnings)
        self.server_name = options.server_name or _server_name(root.data.get("info"))
        self.inputs = Inputs(self.context)
        self.responses = Responses(self.context)
        self.http = HttpSection(self.context, to_package_name(self.server_name).upper())

    def run(self) -> Conversion:
        data = self.root.data
        operations = find_operations(self.context)
        selectable = {
            op.route: Selectable(op.method, op.path, op.operation_id, op.tags, op.deprecated)
            for op in operations
        }
        skipped: list[tuple[str, str]] = []
        kept: list[Operation] = []
        for op in operations:
            reason = why_skipped(self.options.include, self.options.exclude, selectable[op.route])
            if reason is None:
                kept.append(op)
            else:
                skipped.append((op.route, reason))
        notes = unused_criteria(
            self.options.include, self.options.exclude, list(selectable.values())
        )
        self.http.read_schemes()
        ids = [op.operation_id for op in operations if op.operation_id]
        duplicated_ids = (
            {i for i in ids if ids.count(i) > 1} if len(ids) != len(set(ids)) else set()
        )
        tools: dict[str, dict[str, Any]] = {}
        tool_errors: dict[str, dict[str, str]] = {}
        for op in kept:
            try:
                tool, errors = self._tool(op)
            except Skip as skip:
                skipped.append((op.route, str(skip)))
                continue
            except RefError as error:
                self.problems.append(error.diagnostic)
                continue
            tools[op.route] = tool
            tool_errors[op.route] = errors
        for op_id in sorted(duplicated_ids):
            notes.append(f"operationId {op_id!r} is used by several operations: matched by route")
        notes.extend(requests_the_api_makes(data, kept))
        notes.extend(self.inputs.fragment_notes())
        notes.extend(self.http.notes())
        rewritten = self.schemas.rewritten_patterns
        if rewritten:
            first = min(rewritten)
            notes.append(
                f"{len(rewritten)} pattern{'s' * (len(rewritten) != 1)} rewritten into JSON Schema's dialect "
                f"(ECMA-262 with the u flag) with the same meaning, e.g. {first!r} -> "
                f"{rewritten[first]!r}"
            )
        if self.problems:
            raise SpecError(self.problems)
        if not tools:
            raise SpecError([self._no_tools(operations, kept, skipped, notes)])

        names = tool_names(
            [NamedOperation(route, tools[route]["http"].get("operation_id")) for route in tools],
            self.options.max_name_length,
        )
        notes.extend(f"tool name collision: {line}" for line in names.collisions)
        for route, tool in tools.items():
            tool["name"] = names.names[route]
        taken: dict[str, str] = {
            model_class_name(to_class_name(name, prefix="Tool"), kind): f"tool {name}"
            for name in names.names.values()
            for kind in ("Input", "Output")
        }
        error_names = self._name_errors_and_types(taken, notes, names.names)
        for route, tool in tools.items():
            by_status = {status: error_names[key] for status, key in tool_errors[route].items()}
            if by_status:
                tool["errors"] = sorted(set(by_status.values()))
                tool["http"]["errors"] = dict(sorted(by_status.items()))
        ordered = [tools[route] for route in sorted(tools, key=route_order)]
        for tool in ordered:
            _reorder(tool)
        spec = self._spec(ordered, error_names, data)
        return Conversion(
            spec=spec,
            operations=len(operations),
            skipped=sorted(skipped, key=lambda s: route_order(s[0])),
            warnings=self.warnings,
            notes=notes,
        )

    def _no_tools(
        self,
        operations: list[Operation],
        kept: list[Operation],
        skipped: list[tuple[str, str]],
        notes: list[str],
    ) -> Diagnostic:
        """Why the import would make a server without tools: an error, never an empty spec
        written without a word (a script importing many documents sees the exit code)."""
        data = self.root.data
        if not operations:
            webhooks = data.get("webhooks")
            count = len(webhooks) if isinstance(webhooks, dict) else 0
            sent = (
                f"; its {count} webhook{'s describe' if count != 1 else ' describes'} "
                "requests the API sends, which make no tools"
                if count
                else ""
            )
            return self.root.diagnostic(
                ("paths",) if "paths" in data else (),
                f"the document describes no operations: the server would have no tools{sent}",
            )
        many = f"{len(operations)} operation{'s' * (len(operations) != 1)}"
        if not kept:
            tags = sorted({tag for op in operations for tag in op.tags})
            shown = ", ".join(repr(t) for t in tags[:12]) + (", ..." if len(tags) > 12 else "")
            hints = [*notes, f"the document's tags: {shown}" if tags else "it has no tags"]
            return Diagnostic(
                "error",
                f"the selection leaves none of the document's {many}: the server would have "
                "no tools",
                hint="; ".join(hints),
            )
        reasons = "; ".join(f"{route}: {why}" for route, why in skipped[:3])
        return Diagnostic(
            "error",
            f"none of the document's {many} can become a tool ({reasons}"
            f"{', ...' if len(skipped) > 3 else ''}): the server would have no tools",
        )

    def _tool(self, op: Operation) -> tuple[dict[str, Any], dict[str, str]]:
        value = op.value
        tool: dict[str, Any] = {"name": ""}
        summary = description_text(value.get("summary"))
        description = description_text(value.get("description"))
        if summary:
            tool["title"] = summary
        if description or summary:
            tool["description"] = description or summary
        if op.deprecated:
            # A model reads the description: it should reach for another tool first.
            tool["description"] = " ".join(("Deprecated.", tool.get("description", ""))).strip()
        tool["annotations"] = _annotations(op.method)
        if self.options.output_validation == "off":
            tool["output_validation"] = "off"
        parts = self.inputs.path_parts(op)
        binding: dict[str, Any] = {"method": op.method, "path": parts.path}
        if parts.path != op.path:
            binding["openapi_path"] = op.path
        if op.operation_id:
            binding["operation_id"] = op.operation_id
        base_url = self.http.operation_base_url(op)
        if base_url is not None:
            binding["base_url"] = base_url
        if op.tags:
            binding["tags"] = list(op.tags)
        if op.deprecated:
            binding["deprecated"] = True
        filled = self.http.filled_parameters(op)
        tool["input"], params, body, query, credentials = self.inputs.tool_input(op, parts, filled)
        self.http.filled_by_credentials(credentials)
        if query:
            binding["query"] = query
        if params:
            binding["params"] = params
            paging = pagination(params, tool["input"].get("properties", {}))
            if paging:
                binding["pagination"] = paging
        if body is not None:
            binding["body"] = body
        long_running = self.responses.long_running(op)
        output, response = self.responses.output(op, interim_202=long_running is not None)
        if output is not None:
            tool["output"] = output
        if response != {}:
            binding["response"] = response
        errors = self.responses.errors(op)
        security = self.http.operation_security(op)
        if security is not None:
            binding["security"] = security
        if long_running is not None:
            binding["long_running"] = long_running
            # A client that speaks tasks polls a task while the server polls the API; the
            # request ends at the 202, once there is something to wait for.
            tool["task_support"] = "optional"
            tool["task_starts"] = "at_detach"
        tool["http"] = binding
        return tool, errors

    def _name_errors_and_types(
        self, taken: dict[str, str], notes: list[str], tool_names: dict[str, str]
    ) -> dict[str, str]:
        self.schemas.drain()
        type_candidates = [
            Candidate(entry.identity, entry.base_name, entry.is_component)
            for entry in self.schemas.types.values()
        ]
        type_names, type_notes = class_names(type_candidates, taken, "Schema")
        notes.extend(f"type name collision: {line}" for line in type_notes)
        self.type_names = type_names
        taken_by_types = dict(taken)
        for identity, name in type_names.items():
            taken_by_types[name] = f"type {identity}"
        candidates = self.responses.error_candidates(type_names, tool_names)
        # An error's data model is `<Name>Data`: keep those clear of types too.
        reserved = {**taken_by_types}
        for name in list(taken_by_types):
            if name.endswith("Data"):
                reserved[name[: -len("Data")]] = taken_by_types[name]
        names, error_notes = class_names(candidates, reserved, "Response")
        notes.extend(f"error name collision: {line}" for line in error_notes)
        return names

    def _spec(
        self, tools: list[dict[str, Any]], error_names: dict[str, str], data: dict[str, Any]
    ) -> dict[str, Any]:
        info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
        server: dict[str, Any] = {"name": self.server_name}
        if info.get("version") is not None:
            server["version"] = str(info["version"])
        if description_text(info.get("title")):
            server["title"] = description_text(info["title"])
        if description_text(info.get("description")):
            server["description"] = description_text(info["description"])
        openapi: dict[str, Any] = {"source": self.options.source}
        for kind, selection in (
            ("include", self.options.include),
            ("exclude", self.options.exclude),
        ):
            chosen = {k: v for k, v in selection.model_dump().items() if v}
            if chosen:
                openapi[kind] = chosen
        http_section: dict[str, Any] = {"base_url": self.http.base_url}
        top = self.http.requirements(data.get("security"))
        if top and top != [[]]:
            http_section["security"] = top
        if self.http.auth:
            http_section["auth"] = dict(sorted(self.http.auth.items()))
        errors: dict[str, dict[str, Any]] = {}
        for key, name in error_names.items():
            use = self.responses.error_uses[key]
            if not any(name in tool.get("errors", ()) for tool in tools):
                continue
            error: dict[str, Any] = {"code": _ERROR_CODE, "message": error_message(use)}
            if use.retryable:
                error["retryable"] = True
            error["data"] = use.data
            errors[name] = error
        reachable_from = [t.get("input", {}) for t in tools] + [
            t.get("output") or {} for t in tools
        ]
        reachable_from += [e["data"] for e in errors.values()]
        used = self._reachable(reachable_from)
        in_inputs = self._reachable([t.get("input", {}) for t in tools])
        types = {
            self.type_names[identity]: (
                entry.schema if identity in in_inputs else without_examples(entry.schema)
            )
            for identity in used
            for entry in [self.schemas.types[identity]]
        }
        for schema in [*types.values(), *(e["data"] for e in errors.values()), *tools]:
            self.schemas.name_refs(schema, self.type_names)
        spec: dict[str, Any] = {"server": server, "openapi": openapi, "http": http_section}
        if types:
            spec["types"] = dict(sorted(types.items()))
        if errors:
            spec["errors"] = dict(sorted(errors.items()))
        spec["tools"] = tools
        return spec

    def _reachable(self, schemas: list[JsonSchema]) -> set[str]:
        """The identities of every type the schemas use, directly or through other types."""
        pending = [identity for schema in schemas for identity in self.schemas.refs_of(schema)]
        seen: set[str] = set()
        while pending:
            identity = pending.pop()
            if identity not in seen:
                seen.add(identity)
                pending.extend(self.schemas.types[identity].uses)
        return seen


def _reorder(tool: dict[str, Any]) -> None:
    """Keys in reading order: who the tool is, what it does, then how it calls the API."""
    order = ("name", "title", "description", "annotations", "output_validation", "errors")
    front = {k: tool.pop(k) for k in order if k in tool}
    rest = dict(tool)
    tool.clear()
    tool.update(front)
    tool.update(rest)
    binding = tool["http"]
    http_order = (
        "method",
        "path",
        "query",
        "openapi_path",
        "operation_id",
        "base_url",
        "tags",
        "deprecated",
        "params",
        "body",
        "response",
    )
    front = {k: binding.pop(k) for k in http_order if k in binding}
    tail = dict(binding)
    binding.clear()
    binding.update(front)
    binding.update(tail)


def _annotations(method: str) -> dict[str, bool]:
    if method in ("GET", "HEAD"):
        return {"read_only": True, "open_world": True}
    if method == "DELETE":
        return {"destructive": True, "idempotent": True, "open_world": True}
    if method == "PUT":
        return {"idempotent": True, "open_world": True}
    return {"open_world": True}


def _server_name(info: Any) -> str:
    title = info.get("title") if isinstance(info, dict) else None
    name = "-".join(re.findall(r"[a-z0-9]+", str(title or "").lower()))[:60].strip("-")
    if not name or not name[0].isalpha():
        name = f"api-{name}".strip("-") if name else "api"
    return name
