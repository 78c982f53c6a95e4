"""Import stage 2: an OpenAPI document -> the data of an mcpgen spec (plain dicts and lists).

One tool per selected operation. Parameters (path, query, header, cookie; path-level and
operation-level) and the request body merge into one input object; the first 2xx response
becomes the output; 4xx/5xx/default responses become declared errors shared between tools.
Everything is keyed by sets (routes, pointers), so the order of the document never shows.
"""

from __future__ import annotations

import http
import json
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote, unquote

from mcpgen import pointers
from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.names import model_class_name, to_class_name, to_package_name
from mcpgen.openapi.document import DocumentSet, OpenApiDocument, Pointer, RefError, Target
from mcpgen.openapi.markup import as_markdown
from mcpgen.openapi.naming import (
    Candidate,
    NamedOperation,
    class_name,
    class_names,
    digest,
    property_name,
    snake,
    tool_names,
)
from mcpgen.openapi.schema import JsonSchema, SchemaConverter, without_examples
from mcpgen.openapi.select import Selectable, unused_criteria, why_skipped
from mcpgen.openapi.swagger2 import upgrade_swagger2
from mcpgen.spec import OpenApiSelection

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LOCATIONS = ("path", "query", "header", "cookie")
# OpenAPI: header parameters with these names are ignored (the request sets them).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# Request content types the generated handlers can send, best first.
_REQUEST_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The styles of a form body's property (those of a query parameter).
_FORM_STYLES = ("form", "spaceDelimited", "pipeDelimited", "deepObject")
_ERROR_CODE = -32000
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)


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


@dataclass
class _Operation:
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


@dataclass
class _ErrorUse:
    """One declared error type: every response with the same name, retryability and data."""

    wanted: str  # PascalCase, ending in Error
    data: JsonSchema
    retryable: bool
    # Words for the message, from each response met; the least one is used (order-free).
    descriptions: set[str] = field(default_factory=set)
    phrases: set[str] = field(default_factory=set)
    routes: set[str] = field(default_factory=set)  # the operations that answer with it


class _Skip(Exception):
    """This operation cannot become a tool; the reason goes in the summary."""


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
    def __init__(
        self,
        documents: DocumentSet,
        root: OpenApiDocument,
        options: ImportOptions,
        *,
        openapi_30: bool,
    ) -> None:
        self.documents = documents
        self.root = root
        self.options = options
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.schemas = SchemaConverter(documents, openapi_30, self.problems, self.warnings)
        self.server_name = options.server_name or _server_name(root.data.get("info"))
        self.env_prefix = to_package_name(self.server_name).upper()
        self.auth: dict[str, dict[str, Any]] = {}
        self.error_uses: dict[str, _ErrorUse] = {}
        # Path keys with a fragment: read as the query it stands for (aws2openapi), or dropped.
        self.fragments_read: set[str] = set()
        self.fragments_dropped: set[str] = set()

    def run(self) -> Conversion:
        data = self.root.data
        operations = self._operations()
        selectable = {
            op.route: Selectable(op.method, op.path, op.operation_id, op.tags, op.deprecated)
            for op in operations
        }
        skipped: list[tuple[str, str]] = []
        kept: list[_Operation] = []
        for op in operations:
            reason = why_skipped(self.options.include, self.options.exclude, selectable[op.route])
            if reason is None:
                kept.append(op)
            else:
                skipped.append((op.route, reason))
        notes = unused_criteria(
            self.options.include, self.options.exclude, list(selectable.values())
        )
        self._security_schemes()
        ids = [op.operation_id for op in operations if op.operation_id]
        duplicated_ids = (
            {i for i in ids if ids.count(i) > 1} if len(ids) != len(set(ids)) else set()
        )
        tools: dict[str, dict[str, Any]] = {}
        tool_errors: dict[str, dict[str, str]] = {}
        for op in kept:
            try:
                tool, errors = self._tool(op)
            except _Skip as skip:
                skipped.append((op.route, str(skip)))
                continue
            except RefError as error:
                self.problems.append(error.diagnostic)
                continue
            tools[op.route] = tool
            tool_errors[op.route] = errors
        for op_id in sorted(duplicated_ids):
            notes.append(f"operationId {op_id!r} is used by several operations: matched by route")
        notes.extend(_requests_the_api_makes(data, kept))
        notes.extend(self._fragment_notes())
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
        ordered = [tools[route] for route in sorted(tools, key=_route_order)]
        for tool in ordered:
            _reorder(tool)
        spec = self._spec(ordered, error_names, data)
        return Conversion(
            spec=spec,
            operations=len(operations),
            skipped=sorted(skipped, key=lambda s: _route_order(s[0])),
            warnings=self.warnings,
            notes=notes,
        )

    def _no_tools(
        self,
        operations: list[_Operation],
        kept: list[_Operation],
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

    # -- operations -------------------------------------------------------------------

    def _operations(self) -> list[_Operation]:
        paths = self.root.data.get("paths", {})
        if not isinstance(paths, dict):
            raise SpecError([self.root.diagnostic(("paths",), "`paths` must be an object")])
        found: list[_Operation] = []
        for path, raw_item in paths.items():
            if path.startswith("x-"):
                continue
            at: Pointer = ("paths", path)
            if not path.startswith("/"):
                self.problems.append(self.root.diagnostic(at, "a path must start with '/'"))
                continue
            try:
                item, target = self.documents.follow(raw_item, self.root, at)
            except RefError as error:
                self.problems.append(error.diagnostic)
                continue
            if not isinstance(item, dict):
                self.problems.append(self.root.diagnostic(at, "a path item must be an object"))
                continue
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                parts = (*target.parts, method)
                if not isinstance(operation, dict):
                    self.problems.append(
                        target.document.diagnostic(parts, "an operation must be an object")
                    )
                    continue
                found.append(
                    _Operation(
                        method.upper(), path, operation, target.document, parts, item, target
                    )
                )
        if self.problems:
            raise SpecError(self.problems)
        return found

    def _tool(self, op: _Operation) -> tuple[dict[str, Any], dict[str, str]]:
        value = op.value
        tool: dict[str, Any] = {"name": ""}
        summary = _text(value.get("summary"))
        description = _text(value.get("description"))
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
        parts = self._path_parts(op)
        binding: dict[str, Any] = {"method": op.method, "path": parts.path}
        if parts.path != op.path:
            binding["openapi_path"] = op.path
        if op.operation_id:
            binding["operation_id"] = op.operation_id
        base_url = self._operation_base_url(op)
        if base_url is not None:
            binding["base_url"] = base_url
        if op.tags:
            binding["tags"] = list(op.tags)
        if op.deprecated:
            binding["deprecated"] = True
        tool["input"], params, body, query = self._input(op, parts)
        if query:
            binding["query"] = query
        if params:
            binding["params"] = params
        if body is not None:
            binding["body"] = body
        output, response = self._output(op)
        if output is not None:
            tool["output"] = output
        if response != {}:
            binding["response"] = response
        errors = self._errors(op)
        security = self._operation_security(op)
        if security is not None:
            binding["security"] = security
        tool["http"] = binding
        return tool, errors

    def _parameters(self, op: _Operation) -> list[tuple[dict[str, Any], Target]]:
        merged: dict[tuple[str, str], tuple[dict[str, Any], Target]] = {}
        level_of: dict[tuple[str, str], int] = {}
        for level, (owner, at) in enumerate(
            ((op.path_item, op.path_item_at), (op.value, Target(op.document, op.parts)))
        ):
            raw = owner.get("parameters")
            if raw is None:
                continue
            if not isinstance(raw, list):
                self.problems.append(
                    at.document.diagnostic((*at.parts, "parameters"), "must be an array")
                )
                continue
            for index, item in enumerate(raw):
                parameter, target = self.documents.follow(
                    item, at.document, (*at.parts, "parameters", index)
                )
                if (
                    not isinstance(parameter, dict)
                    or parameter.get("in") not in _LOCATIONS
                    or not isinstance(parameter.get("name"), str)
                ):
                    swagger = isinstance(parameter, dict) and parameter.get("in") in (
                        "body",
                        "formData",
                    )
                    self.problems.append(
                        target.document.diagnostic(
                            target.parts,
                            "a parameter needs `name` and `in` (path, query, header or cookie)",
                            hint="`in: body` and `in: formData` are Swagger 2.0: OpenAPI 3 "
                            "describes the body under `requestBody`"
                            if swagger
                            else None,
                        )
                    )
                    continue
                # Operation-level parameters override path-level ones of the same name and
                # place; header names are case-insensitive (RFC 9110), so one header spelled
                # twice at one level (amazonaws.com/codeartifact.json) is sent once: the first.
                where, name = parameter["in"], parameter["name"]
                key = (where, name.lower() if where == "header" else name)
                if level_of.get(key) == level:
                    kept = merged[key][0]["name"]
                    self.warnings.append(
                        target.document.warning(
                            target.parts,
                            f"{where} parameter {name!r} is the same {where} parameter as "
                            f"{kept!r}, declared before it: left out",
                        )
                    )
                    continue
                merged[key] = (parameter, target)
                level_of[key] = level
        return list(merged.values())

    def _path_parts(self, op: _Operation) -> _PathParts:
        """The operation's path key taken apart, its fragment read as the producer meant it."""
        parts = _split_path(op.path)
        if parts.fragment is not None:
            if self._aws_fragments:
                self.fragments_read.add(op.path)
            else:
                self.fragments_dropped.add(op.path)
        return parts

    @cached_property
    def _aws_fragments(self) -> bool:
        """Whether paths' fragments are aws2openapi's: the query of AWS's own request URI (`?cors`
        -> `#cors`) and the names of required parameters, written there to tell operations on
        one path apart. Every query item it moves there is also declared as a parameter."""
        info = self.root.data.get("info")
        origins = info.get("x-origin") if isinstance(info, dict) else None
        return isinstance(origins, list) and any(
            isinstance(o, dict)
            and isinstance(o.get("converter"), dict)
            and str(o["converter"].get("url", "")).rstrip("/").endswith("/aws2openapi")
            for o in origins
        )

    def _fixed_query(
        self, op: _Operation, parts: _PathParts, declared: dict[str, tuple[dict[str, Any], Target]]
    ) -> tuple[list[str], set[str]]:
        """The query items the path fixes, and the declared query parameters they replace.

        From a `?` in the path: `name=value` and a bare `name` are sent as written, except a bare
        name that a declared parameter sends. From an aws2openapi fragment: only what stands
        for a declared query parameter that can take one value (`Action=X` with `enum: [X]`;
        a bare `cors` declared `allowEmptyValue` with `enum: [true]`, which means `?cors`); its
        other items name parameters sent anyway (`#resourceArn&tagKeys`), or only told two
        operations apart (`deprecated!`).
        """
        fixed: list[str] = []
        replaced: set[str] = set()
        for name, value in parts.query:
            if value is not None and _TEMPLATE.fullmatch(value):
                continue
            found = declared.get(unquote(name))
            if value is None and found is not None:
                continue
            fixed.append(_query_text(name if value is None else f"{name}={value}"))
            if found is not None:
                replaced.add(found[0]["name"])
                if value is not None and not self._admits(found, unquote(value)):
                    self.warnings.append(
                        found[1].document.warning(
                            found[1].parts,
                            f"query parameter {found[0]['name']!r} is fixed to {value!r} by "
                            f"the path {op.path!r}: sent so, not as an input",
                        )
                    )
        if self._aws_fragments and parts.fragment:
            for name, value in _query_items(parts.fragment):
                found = declared.get(name)
                if found is None:
                    continue
                parameter = found[0]
                if value is not None and self._admits(found, value):
                    fixed.append(_query_text(f"{name}={value}"))
                elif (
                    value is None
                    and parameter.get("allowEmptyValue") is True
                    and self._single_value(found) is not None
                ):
                    fixed.append(_query_text(name))
                else:
                    continue
                replaced.add(name)
        return fixed, replaced

    def _schema_of(self, found: tuple[dict[str, Any], Target]) -> dict[str, Any]:
        parameter, target = found
        raw = parameter.get("schema")
        if raw is None:
            return {}
        schema, _ = self.documents.follow(raw, target.document, (*target.parts, "schema"))
        return schema if isinstance(schema, dict) else {}

    def _single_value(self, found: tuple[dict[str, Any], Target]) -> Any:
        """The one value a parameter's schema allows (`enum` of one, or `const`), else None."""
        schema = self._schema_of(found)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        return enum[0] if isinstance(enum, list) and len(enum) == 1 else None

    def _admits(self, found: tuple[dict[str, Any], Target], text: str) -> bool:
        """Whether the parameter's schema lets it take the value `text` (as sent)."""
        schema = self._schema_of(found)
        allowed = schema["enum"] if isinstance(schema.get("enum"), list) else None
        if "const" in schema:
            allowed = [schema["const"]]
        return allowed is None or text in {_wire_text(v) for v in allowed}

    def _input(
        self, op: _Operation, parts: _PathParts
    ) -> tuple[JsonSchema, dict[str, dict[str, Any]], dict[str, Any] | None, str]:
        template_names = set(_TEMPLATE.findall(parts.path))
        # `?name={variable}` in the path: the variable's parameter goes in the query as `name`.
        template = {
            match[1]: name
            for name, value in parts.query
            if value is not None
            for match in [_TEMPLATE.fullmatch(value)]
            if match is not None and match[1] not in template_names
        }
        bound = dict(template)  # each taken by its parameter; what is left is undeclared
        properties: dict[str, Any] = {}
        required: list[str] = []
        params: dict[str, dict[str, Any]] = {}
        parameters = self._parameters(op)
        declared = {p["name"]: (p, t) for p, t in parameters if p["in"] == "query"}
        fixed, replaced = self._fixed_query(op, parts, declared)
        # (parameter, where it is, the name of its input property before cleaning)
        wire_params: list[tuple[dict[str, Any], Target, str]] = []
        for parameter, target in parameters:
            where, name = parameter["in"], parameter["name"]
            if where == "header" and name.lower() in _IGNORED_HEADERS:
                continue
            if not name:
                # brainbi.net.json's `?=...`: nothing a request could send under no name.
                self.warnings.append(
                    target.document.warning(target.parts, "the parameter has no name: left out")
                )
                continue
            if where == "query" and name in replaced:
                continue
            if where in ("path", "query") and name in bound:
                moved = {**parameter, "in": "query", "name": bound.pop(name)}
                wire_params.append((moved, target, name))
                continue
            if where == "path" and name not in template_names:
                self.warnings.append(
                    target.document.warning(
                        target.parts, f"path parameter {name!r} is not in the path {op.path!r}"
                    )
                )
                continue
            wire_params.append((parameter, target, name))
        here = Target(op.document, op.parts)
        declared_in_path = {p["name"] for p, _, _ in wire_params if p["in"] == "path"}
        for missing in sorted(template_names - declared_in_path):
            self.warnings.append(
                op.document.warning(
                    op.parts, f"path parameter {missing!r} is not declared: taken as a string"
                )
            )
            wire_params.append(({"name": missing, "in": "path", "required": True}, here, missing))
        for variable, name in sorted(bound.items()):
            self.warnings.append(
                op.document.warning(
                    op.parts, f"query parameter {variable!r} is not declared: taken as a string"
                )
            )
            wire_params.append(({"name": name, "in": "query", "required": True}, here, variable))

        body_binding: dict[str, Any] | None = None
        body = self._request_body(op)
        body_props: dict[str, Any] = {}
        if body is not None and body.merge:
            body_props = body.schema.get("properties", {})
        taken = set(body_props)
        # Parameters claim names by place (path first), then exact names before cleaned ones.
        order = sorted(
            wire_params,
            key=lambda entry: (
                _LOCATIONS.index(entry[0]["in"]),
                property_name(entry[2]) != entry[2],
                entry[2],
            ),
        )
        in_template: dict[str, str] = {}  # query name in the path's template -> property
        for parameter, target, input_name in order:
            where, wire = parameter["in"], parameter["name"]
            prop = property_name(input_name)
            if prop in taken:
                prop = property_name(f"{where}_{prop}")
            if prop in taken:
                prop = f"{prop}_{digest(where + ' ' + wire)}"
            taken.add(prop)
            binding: dict[str, Any] = {"in": where}
            if prop != wire:
                binding["name"] = wire
            style, explode = parameter.get("style"), parameter.get("explode")
            if isinstance(style, str) and style != _default_style(where):
                binding["style"] = style
            if isinstance(explode, bool) and explode != (
                (style or _default_style(where)) == "form"
            ):
                binding["explode"] = explode
            if parameter.get("allowReserved") is True and where == "query":
                binding["allow_reserved"] = True
            content = parameter.get("content")
            if parameter.get("schema") is None and isinstance(content, dict) and content:
                media = sorted(content)[0].split(";", 1)[0].strip().lower()
                if media == "application/json" or media.endswith("+json"):
                    binding["content_type"] = media
            params[prop] = binding
            properties[prop] = self._parameter_schema(parameter, target)
            if where == "query" and template.get(input_name) == wire:
                in_template[wire] = prop
            if where == "path" or parameter.get("required") is True:
                required.append(prop)
        # The query the path's template spells goes first, in its order, as the API wrote it.
        template_order = [in_template[n] for n, _ in parts.query if n in in_template]
        params = {**{p: params[p] for p in template_order}, **params}
        ordered_props = {p: properties[p] for p in params}
        if body is not None:
            if body.merge:
                ordered_props.update(body_props)
                if body.required:
                    required.extend(r for r in body.schema.get("required", []) if r in body_props)
                body_binding = {}
            else:
                name = next(
                    n
                    for n in ("body", "request_body", f"body_{digest(op.route)}")
                    if n not in ordered_props
                )
                ordered_props[name] = body.schema
                if body.required:
                    required.append(name)
                body_binding = {"property": name}
            if body.content_type != "application/json":
                body_binding = {"content_type": body.content_type, **body_binding}
            if body.encoding:
                body_binding["encoding"] = body.encoding
        schema: JsonSchema = {"type": "object"}
        if required:
            schema["required"] = required
        schema["properties"] = ordered_props
        return schema, params, body_binding, "&".join(fixed)

    def _parameter_schema(self, parameter: dict[str, Any], target: Target) -> JsonSchema:
        raw = parameter.get("schema")
        at: Pointer = (*target.parts, "schema")
        if raw is None and isinstance(parameter.get("content"), dict) and parameter["content"]:
            media = sorted(parameter["content"])[0]
            raw = parameter["content"][media].get("schema")
            at = (*target.parts, "content", media, "schema")
        if raw is None:
            raw = {"type": "string"}
        schema = self.schemas.convert(raw, target.document, at, "input")
        described = _text(parameter.get("description"))
        if described and "description" not in schema:
            schema["description"] = described
        if parameter.get("deprecated") is True:
            schema["deprecated"] = True
        return schema

    def _encoding(
        self, raw: Any, at: Target, fields: Collection[str] | None
    ) -> dict[str, dict[str, Any]]:
        """A form body's Encoding Objects (`raw`, at `at`), as `http.body.encoding` writes them;
        `fields`: the body's properties, when its schema says."""
        if not isinstance(raw, dict):
            return {}
        found: dict[str, dict[str, Any]] = {}
        for name, value in raw.items():
            encoding, where = self.documents.follow(value, at.document, (*at.parts, name))
            if not isinstance(encoding, dict):
                continue
            if fields is not None and name not in fields:
                self.warnings.append(
                    where.document.warning(
                        where.parts,
                        f"the encoding of {name!r}, which is not a property of the body: left out",
                    )
                )
                continue
            entry: dict[str, Any] = {}
            if isinstance(encoding.get("contentType"), str) and encoding["contentType"].strip():
                entry["content_type"] = encoding["contentType"].strip()
            style = encoding.get("style")
            if style in _FORM_STYLES:
                entry["style"] = style
            elif style is not None:
                self.warnings.append(
                    where.document.warning(
                        (*where.parts, "style"),
                        f"style {style!r} is not a form body's ({', '.join(_FORM_STYLES)}): "
                        "left out",
                    )
                )
            for key, field_name in (("explode", "explode"), ("allowReserved", "allow_reserved")):
                if isinstance(encoding.get(key), bool):
                    entry[field_name] = encoding[key]
            if entry:
                found[name] = entry
        return found

    def _request_body(self, op: _Operation) -> _RequestBody | None:
        """The operation's request body, in the media type the generated request sends."""
        raw = op.value.get("requestBody")
        if raw is None:
            return None
        body, target = self.documents.follow(raw, op.document, (*op.parts, "requestBody"))
        if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
            self.problems.append(
                target.document.diagnostic(target.parts, "a request body needs `content`")
            )
            return None
        content = body["content"]
        chosen = _choose_media(content)
        if chosen is None:
            shown = ", ".join(sorted(content)) or "no content type"
            raise _Skip(f"request body only in {shown}")
        media, content_type = chosen
        media_value = content[media] if isinstance(content[media], dict) else {}
        raw_schema = media_value.get("schema")
        at: Pointer = (*target.parts, "content", media, "schema")
        required = body.get("required") is True
        if raw_schema is None:
            raw_schema = {"type": "object"} if _is_json(content_type) else {"type": "string"}
        schema = self.schemas.convert(raw_schema, target.document, at, "input")
        if content_type == "application/octet-stream" and "$ref" not in schema:
            schema.setdefault("type", "string")
            schema.setdefault("contentEncoding", "base64")
        merge = (
            content_type not in ("text/plain", "application/octet-stream")
            and schema.get("type") == "object"
            and isinstance(schema.get("properties"), dict)
            and not set(schema) & {"$ref", "allOf", "anyOf", "oneOf", "not", "if"}
            and schema.get("additionalProperties", False) is False
            and "patternProperties" not in schema
        )
        if merge and "additionalProperties" in schema:
            schema = {k: v for k, v in schema.items() if k != "additionalProperties"}
        encoding = (
            self._encoding(
                media_value.get("encoding"),
                Target(target.document, (*target.parts, "content", media, "encoding")),
                self._properties_of(schema),
            )
            if content_type in _FORM_TYPES
            else {}
        )
        return _RequestBody(schema, content_type, required, merge, encoding)

    def _properties_of(self, schema: JsonSchema) -> Collection[str] | None:
        """The properties a converted object schema names (through one shared type); None
        when it does not say (a composition, not an object)."""
        ref = schema.get("$ref")
        if ref is not None and hasattr(ref, "identity"):
            schema = self.schemas.types[ref.identity].schema
        properties = schema.get("properties")
        return set(properties) if isinstance(properties, dict) else None

    def _success(self, op: _Operation) -> tuple[str, Any, Target] | None:
        responses = op.value.get("responses")
        if not isinstance(responses, dict):
            return None
        statuses = sorted(str(s) for s in responses if re.fullmatch(r"2(\d\d|XX)", str(s)))
        if not statuses and "default" in responses:
            statuses = ["default"]
        for status in statuses:
            response, target = self.documents.follow(
                responses[status], op.document, (*op.parts, "responses", status)
            )
            return status, response, target
        return None

    def _output(self, op: _Operation) -> tuple[JsonSchema | None, dict[str, Any]]:
        found = self._success(op)
        if found is None:
            return None, {"content_type": "none"}
        _, response, target = found
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict) or not content:
            return None, {"content_type": "none"}
        json_media = next((m for m in sorted(content) if _is_json(m)), None)
        if json_media is None:
            return None, {"content_type": "text"}
        media_value = content[json_media] if isinstance(content[json_media], dict) else {}
        raw = media_value.get("schema")
        at: Pointer = (*target.parts, "content", json_media, "schema")
        if raw is None:
            return None, {"content_type": "text"}
        schema = self.schemas.convert(raw, target.document, at, "output")
        if self.schemas.is_object(raw, target.document, at):
            if "$ref" not in schema and "type" not in schema:
                # An allOf of objects: says so at its root, as MCP's outputSchema must
                # (a shared one is typed where it is defined).
                schema = {"type": "object", **schema}
            return schema, {}
        return (
            {"type": "object", "required": ["result"], "properties": {"result": schema}},
            {"wrap": "result"},
        )

    def _errors(self, op: _Operation) -> dict[str, str]:
        responses = op.value.get("responses")
        if not isinstance(responses, dict):
            return {}
        has_success = any(re.fullmatch(r"2(\d\d|XX)", str(s)) for s in responses)
        result: dict[str, str] = {}
        for status in sorted(str(s) for s in responses):
            if not (
                re.fullmatch(r"[45](\d\d|XX)", status) or (status == "default" and has_success)
            ):
                continue
            raw = responses[status]
            response, target = self.documents.follow(
                raw, op.document, (*op.parts, "responses", status)
            )
            component = _component_response(raw)
            phrase = _phrase(status)
            wanted = class_name(component or phrase.title().replace(" ", ""))
            wanted = wanted if wanted.endswith("Error") else class_name(wanted + "Error")
            body: JsonSchema = {}
            content = response.get("content") if isinstance(response, dict) else None
            if isinstance(content, dict):
                json_media = next((m for m in sorted(content) if _is_json(m)), None)
                if json_media is not None and isinstance(content[json_media], dict):
                    raw_schema = content[json_media].get("schema")
                    if raw_schema is not None:
                        body = self.schemas.convert(
                            raw_schema,
                            target.document,
                            (*target.parts, "content", json_media, "schema"),
                            "output",
                        )
            data: JsonSchema = {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "integer"}, "body": body},
            }
            retryable = status == "429" or status.startswith("5")
            # Everything that shows in the error type's schema is in its key: which operation
            # met it first can never matter.
            key = json.dumps([wanted, retryable, _canonical(data)], sort_keys=True)
            use = self.error_uses.setdefault(key, _ErrorUse(wanted, data, retryable))
            description = _text(response.get("description")) if isinstance(response, dict) else ""
            if component and description:
                use.descriptions.add(description.split("\n", 1)[0].strip()[:200])
            use.phrases.add(phrase if not component else "HTTP error")
            use.routes.add(op.route)
            result[status] = key
        return result

    def _fragment_notes(self) -> list[str]:
        notes: list[str] = []
        if self.fragments_read:
            notes.append(
                f"{_paths(len(self.fragments_read))} with a fragment (`#...`) written by "
                "aws2openapi: each is sent as the query of AWS's own request URI (`#cors` -> "
                "`?cors`); the parameters it names go as declared"
            )
        if self.fragments_dropped:
            shown = sorted(self.fragments_dropped)
            listed = ", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "")
            notes.append(
                f"{_paths(len(shown))} with a fragment (`#...`), which a request never sends: "
                f"called without it ({listed})"
            )
        return notes

    # -- names of errors and types -------------------------------------------------------

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
        candidates = self._error_candidates(type_names, tool_names)
        # An error's data model is `<Name>Data`: keep those clear of types too.
        reserved = {**taken_by_types}
        for name in list(taken_by_types):
            if name.endswith("Data"):
                reserved[name[: -len("Data")]] = taken_by_types[name]
        names, error_notes = class_names(candidates, reserved, "Response")
        notes.extend(f"error name collision: {line}" for line in error_notes)
        return names

    def _error_candidates(
        self, type_names: dict[str, str], tool_names: dict[str, str]
    ) -> list[Candidate]:
        """Wanted error names, made distinct by what tells clashing errors apart.

        Errors that want one name but differ: a retryable one says so (`...RetryableError`), one
        whose body is a shared type names it (`NotFound` + `BasicError`), one with an inline
        body that only one operation answers names that operation's tool
        (`ReposCreate` + `UnprocessableEntityError`), and the one without a body keeps the plain
        name; whatever still clashes is numbered by `class_names`.
        """
        groups: defaultdict[str, list[str]] = defaultdict(list)
        for key, use in self.error_uses.items():
            groups[use.wanted].append(key)
        candidates: list[Candidate] = []
        for wanted, keys in groups.items():
            stem = wanted.removesuffix("Error")
            retry_split = len({self.error_uses[k].retryable for k in keys}) > 1
            for key in keys:
                use = self.error_uses[key]
                name = f"{stem}Retryable" if use.retryable and retry_split else stem
                body = use.data["properties"]["body"]
                label = "no body"
                if set(body) == {"$ref"}:
                    type_name = type_names[body["$ref"].identity]
                    label = f"body {type_name}"
                    if len(keys) > 1:
                        name += type_name
                elif body:
                    label = "an inline body"
                    if len(keys) > 1 and len(use.routes) == 1:
                        (route,) = use.routes
                        name = class_name(tool_names[route]) + name
                name = class_name(name if name.endswith("Error") else name + "Error")
                candidates.append(Candidate(key, name, preferred=not body, label=label))
        return candidates

    # -- security, servers, the spec ----------------------------------------------------

    def _security_schemes(self) -> None:
        components = self.root.data.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        if not isinstance(schemes, dict):
            return
        for name, raw in schemes.items():
            at: Pointer = ("components", "securitySchemes", name)
            try:
                scheme, target = self.documents.follow(raw, self.root, at)
            except RefError as error:
                self.problems.append(error.diagnostic)
                continue
            if not isinstance(scheme, dict):
                continue
            env = f"{self.env_prefix}_{snake(name, 'auth').upper()}"
            kind = scheme.get("type")
            http_scheme = str(scheme.get("scheme", "")).lower()
            if kind == "http" and http_scheme == "bearer":
                self.auth[name] = {"type": "bearer", "env": env}
            elif kind == "http" and http_scheme == "basic":
                self.auth[name] = {
                    "type": "basic",
                    "username_env": f"{env}_USERNAME",
                    "password_env": f"{env}_PASSWORD",
                }
            elif (
                kind == "apiKey"
                and scheme.get("in") in ("header", "query", "cookie")
                and isinstance(scheme.get("name"), str)
                and scheme["name"]
            ):
                self.auth[name] = {
                    "type": "api_key",
                    "in": scheme["in"],
                    "name": scheme["name"],
                    "env": env,
                }
            elif kind == "oauth2" and isinstance(
                (scheme.get("flows") or {}).get("clientCredentials"), dict
            ):
                flow = scheme["flows"]["clientCredentials"]
                token_url = flow.get("tokenUrl")
                if not isinstance(token_url, str) or not token_url:
                    self._unsupported(name, "oauth2 client credentials without tokenUrl", target)
                    continue
                entry: dict[str, Any] = {
                    "type": "oauth2_client_credentials",
                    "token_url": token_url,
                }
                scopes = flow.get("scopes")
                if isinstance(scopes, dict) and scopes:
                    entry["scopes"] = sorted(scopes)
                entry["client_id_env"] = f"{env}_CLIENT_ID"
                entry["client_secret_env"] = f"{env}_CLIENT_SECRET"
                self.auth[name] = entry
            else:
                described = f"{kind} {http_scheme}".strip() if kind == "http" else str(kind)
                if kind == "oauth2":
                    flows = scheme.get("flows")
                    described = "oauth2 " + (
                        "/".join(sorted(flows)) if isinstance(flows, dict) else "without flows"
                    )
                self._unsupported(name, described, target)

    def _unsupported(self, name: str, described: str, target: Target) -> None:
        self.warnings.append(
            target.document.warning(
                target.parts,
                f"security scheme {name!r} ({described}) is not supported: operations "
                "that need only it are called without credentials",
            )
        )

    def _requirements(self, raw: Any) -> list[list[str]] | None:
        """OpenAPI security requirements -> alternatives of supported scheme names."""
        if not isinstance(raw, list):
            return None
        alternatives: list[list[str]] = []
        for requirement in raw:
            if not isinstance(requirement, dict):
                continue
            names = sorted(requirement)
            if any(n not in self.auth for n in names):
                continue
            if names not in alternatives:
                alternatives.append(names)
        if raw and not alternatives:
            return [[]]
        return alternatives if raw else [[]]

    def _operation_security(self, op: _Operation) -> list[list[str]] | None:
        if "security" not in op.value:
            return None
        own = self._requirements(op.value["security"])
        top = self._requirements(self.root.data.get("security"))
        return None if own == top else own

    @cached_property
    def _base_url(self) -> str:
        """The API's base URL: its first server's (once: it warns)."""
        url = self._server_url(self.root.data.get("servers"), Target(self.root, ()))
        if url is None:
            self.warnings.append(
                self.root.warning(("servers",), "no servers: base_url is '/' (set it in [http])")
            )
            return "/"
        if not _ABSOLUTE.match(url):
            self.warnings.append(
                self.root.warning(
                    ("servers", 0, "url"),
                    f"the server URL {url!r} is relative: set the API's address in "
                    f"[http].base_url or in ${self.env_prefix}_BASE_URL",
                )
            )
        return url

    def _operation_base_url(self, op: _Operation) -> str | None:
        """Where an operation with `servers` of its own (or of its path) is served, when that
        is not the API's base URL: GitHub uploads release assets to another host, say."""
        for owner, at in (
            (op.value, Target(op.document, op.parts)),
            (op.path_item, op.path_item_at),
        ):
            if "servers" in owner:
                url = self._server_url(owner["servers"], at)
                break
        else:
            return None
        if url is None or url.rstrip("/") == self._base_url.rstrip("/"):
            return None
        if not _HTTP_URL.match(url):
            self.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", 0, "url"),
                    f"the server URL {url!r} is not an absolute http(s) URL: the tool calls "
                    "[http].base_url",
                )
            )
            return None
        return url

    def _server_url(self, servers: Any, at: Target) -> str | None:
        """The first of `servers`' URL, its variables at their defaults; None: no server."""
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            return None
        server = servers[0]
        url = str(server.get("url") or "/")
        variables = server.get("variables") if isinstance(server.get("variables"), dict) else {}

        def substitute(match: re.Match[str]) -> str:
            variable = variables.get(match[1]) if variables else None
            if isinstance(variable, dict) and variable.get("default") is not None:
                return str(variable["default"])
            return match[0]

        url = re.sub(r"\{([^{}]+)\}", substitute, url)
        if url.startswith("//"):
            # Protocol-relative: the scheme is the document's, which a file does not have.
            # https, as the Swagger 2.0 upgrade takes it when `schemes` is missing.
            self.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", 0, "url"),
                    f"the server URL {url!r} has no scheme: the API is taken to be https",
                )
            )
            url = "https:" + url
        if "{" in url:
            self.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", 0, "url"), f"server variable without default in {url!r}"
                )
            )
        return url

    def _spec(
        self, tools: list[dict[str, Any]], error_names: dict[str, str], data: dict[str, Any]
    ) -> dict[str, Any]:
        info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
        server: dict[str, Any] = {"name": self.server_name}
        if info.get("version") is not None:
            server["version"] = str(info["version"])
        if _text(info.get("title")):
            server["title"] = _text(info["title"])
        if _text(info.get("description")):
            server["description"] = _text(info["description"])
        openapi: dict[str, Any] = {"source": self.options.source}
        for kind, selection in (
            ("include", self.options.include),
            ("exclude", self.options.exclude),
        ):
            chosen = {k: v for k, v in selection.model_dump().items() if v}
            if chosen:
                openapi[kind] = chosen
        http_section: dict[str, Any] = {"base_url": self._base_url}
        top = self._requirements(data.get("security"))
        if top and top != [[]]:
            http_section["security"] = top
        if self.auth:
            http_section["auth"] = dict(sorted(self.auth.items()))
        errors: dict[str, dict[str, Any]] = {}
        for key, name in error_names.items():
            use = self.error_uses[key]
            if not any(name in tool.get("errors", ()) for tool in tools):
                continue
            error: dict[str, Any] = {"code": _ERROR_CODE, "message": _message(use)}
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


@dataclass(frozen=True)
class _RequestBody:
    """An operation's request body in the media type the generated request sends."""

    schema: JsonSchema
    content_type: str
    required: bool
    merge: bool  # its properties merge into the tool's input
    encoding: dict[str, dict[str, Any]]  # form bodies: `http.body.encoding`


@dataclass(frozen=True)
class _PathParts:
    """A path key taken apart: the path to send, its query's items, and its fragment."""

    path: str
    query: list[tuple[str, str | None]]  # (name, value; None for a bare name), as written
    fragment: str | None


# A `{variable}` of a path template.
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
# What a query may hold as it is (RFC 3986: unreserved, sub-delims, ":", "@", "/", "?").
_QUERY_SAFE = "-._~!$&'()*+,;=:@/?"


def _split_path(key: str) -> _PathParts:
    """`/a/{b}?c={c}&d=1#e` -> `/a/{b}`, [(c, {c}), (d, 1)], `e` (RFC 3986 order: ? then #)."""
    before, hashed, fragment = key.partition("#")
    path, _, query = before.partition("?")
    return _PathParts(path, _query_items(query), fragment if hashed else None)


def _query_items(query: str) -> list[tuple[str, str | None]]:
    return [
        (name, value if equals else None)
        for item in query.split("&")
        if item
        for name, equals, value in [item.partition("=")]
    ]


def _query_text(item: str) -> str:
    """A query item as a URL carries it: what it may hold stays, a valid `%XX` stays, the rest
    is percent-encoded (a space, a `#`, a stray `%`)."""
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", quote(item, safe=_QUERY_SAFE + "%"))


def _wire_text(value: Any) -> str:
    """A JSON value as a query carries it (JSON's spelling of booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _paths(count: int) -> str:
    return f"{count} path" + ("" if count == 1 else "s")


def _canonical(value: Any) -> Any:
    """A JSON-able copy in which type references show their identity (names come later)."""
    if isinstance(value, dict):
        return {
            k: (getattr(v, "identity", v) if k == "$ref" else _canonical(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _route_order(route: str) -> tuple[str, int]:
    """Tools read by path, then method in OpenAPI's order (a path's operations together)."""
    method, _, path = route.partition(" ")
    return (path, METHODS.index(method.lower()))


def _requests_the_api_makes(data: dict[str, Any], kept: list[_Operation]) -> list[str]:
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


def _default_style(where: str) -> str:
    return "form" if where in ("query", "cookie") else "simple"


def _is_json(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _choose_media(content: dict[str, Any]) -> tuple[str, str] | None:
    """The request media type to use and the content type the request goes as (JSON first).

    A JSON type other than application/json is sent as named (Kubernetes' PATCH takes
    only merge-patch and its kin, and answers application/json with 415); among several,
    application/json, then a merge patch (RFC 7386: the object the model writes), then the
    others by name, a JSON patch (RFC 6902: a list of operations) last. `*/*` goes as JSON.
    """
    ranked: list[tuple[int, int, str, str]] = []
    for media in content:
        base = media.split(";", 1)[0].strip().lower()
        kind = "application/json" if _is_json(base) else base
        if kind not in _REQUEST_TYPES:
            continue
        sent = base if kind == "application/json" and base.endswith("+json") else kind
        ranked.append((_REQUEST_TYPES.index(kind), _JSON_PREFERENCE.get(sent, 1), sent, media))
    if not ranked:
        return None
    _, _, sent, media = min(ranked)
    return media, sent


# The order among JSON media types (others: 1, then by name).
_JSON_PREFERENCE = {
    "application/json": -2,
    "application/merge-patch+json": -1,
    "application/json-patch+json": 2,
}


def _message(use: _ErrorUse) -> str:
    """The error's message template: the response's own words when it is a shared component."""
    text = min(use.descriptions) if use.descriptions else min(use.phrases)
    return text.replace("{", "{{").replace("}", "}}") + " (HTTP {status})"


def _component_response(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
        match = re.search(r"/responses/([^/]+)$", raw["$ref"])
        if match:
            return pointers.unescape(match[1])
    return None


def _phrase(status: str) -> str:
    if status == "default":
        return "Unexpected error"
    if status.endswith("XX"):
        return "Client error" if status.startswith("4") else "Server error"
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return f"HTTP {status}"


def _text(value: Any) -> str:
    """A description as Markdown text (`markup`); its lone surrogates were replaced when the
    document was read (`document`)."""
    if not isinstance(value, str):
        return ""
    return as_markdown(value.strip())


def _server_name(info: Any) -> str:
    title = info.get("title") if isinstance(info, dict) else None
    name = "-".join(re.findall(r"[a-z0-9]+", str(title or "").lower()))[:60].strip("-")
    if not name or not name[0].isalpha():
        name = f"api-{name}".strip("-") if name else "api"
    return name
