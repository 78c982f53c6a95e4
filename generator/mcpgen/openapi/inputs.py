"""A tool's input, from its operation: the path and operation parameters (path, query,
header, cookie) and the request body merge into one input object, and each parameter's
binding says how it goes on the wire. A path key's own query and fragment are read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, unquote

from mcpgen.openapi.document import Pointer, Target
from mcpgen.openapi.markup import description_text
from mcpgen.openapi.naming import digest, property_name
from mcpgen.openapi.operations import Context, Operation
from mcpgen.openapi.request_body import RequestBodies
from mcpgen.openapi.schema import JsonSchema
from mcpgen.spec import NAMED_JSON_TYPE, compared_place

_LOCATIONS = ("path", "query", "header", "cookie")
# OpenAPI: header parameters with these names are ignored (the request sets them).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# A `{variable}` of a path template.
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
# What a query may hold as it is (RFC 3986: unreserved, sub-delims, ":", "@", "/", "?").
_QUERY_SAFE = "-._~!$&'()*+,;=:@/?"


class Inputs:
    """Reads operations' inputs; remembers the path keys whose fragment it read or dropped."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.bodies = RequestBodies(context)
        # Path keys with a fragment: read as the query it stands for (aws2openapi), or dropped.
        self.fragments_read: set[str] = set()
        self.fragments_dropped: set[str] = set()

    def path_parts(self, op: Operation) -> _PathParts:
        """The operation's path key taken apart, its fragment read as the producer meant it."""
        parts = _split_path(op.path)
        if parts.fragment is not None:
            if self._aws_fragments:
                self.fragments_read.add(op.path)
            else:
                self.fragments_dropped.add(op.path)
        return parts

    def tool_input(
        self, op: Operation, parts: _PathParts, filled: frozenset[str] = frozenset()
    ) -> tuple[JsonSchema, dict[str, dict[str, Any]], dict[str, Any] | None, str, list[str]]:
        """The tool's input schema, how each parameter property is sent (`http.params`), the
        body's binding (None: no body), the query the path fixes, and the declared
        parameters left to the credentials: `filled` are those the operation's credentials
        fill ("header x-api-key", header names in lower case), which are no inputs."""
        template_names = set(_TEMPLATE.findall(parts.path))
        # `?name={variable}` in the path: the variable's parameter goes in the query as `name`.
        template = {
            match[1]: name
            for name, value in parts.query
            if value is not None
            for match in [_TEMPLATE.fullmatch(value)]
            if match is not None and match[1] not in template_names
        }
        wire_params, fixed, credentials = self._wire_parameters(
            op, parts, template_names, template, filled
        )
        properties: dict[str, Any] = {}
        required: list[str] = []
        params: dict[str, dict[str, Any]] = {}
        body_binding: dict[str, Any] | None = None
        body = self.bodies.read(op)
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
                if media == "application/json" or NAMED_JSON_TYPE.fullmatch(media):
                    binding["content_type"] = media
                elif media.endswith("+json"):  # a wildcard, `application/*+json`: JSON it is
                    binding["content_type"] = "application/json"
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
        return schema, params, body_binding, "&".join(fixed), credentials

    def _wire_parameters(
        self,
        op: Operation,
        parts: _PathParts,
        template_names: set[str],
        template: dict[str, str],
        filled: frozenset[str],
    ) -> tuple[list[tuple[dict[str, Any], Target, str]], list[str], list[str]]:
        """What the request sends as parameters, each with where it is declared and the name
        of its input property before cleaning (the declared ones but those the request sets
        itself or the path fixes; a path template's query variables in the query; undeclared
        path variables as strings), and the query items the path fixes."""
        bound = dict(template)  # each taken by its parameter; what is left is undeclared
        parameters = self._parameters(op)
        declared = {p["name"]: (p, t) for p, t in parameters if p["in"] == "query"}
        fixed, replaced = self._fixed_query(op, parts, declared)
        # (parameter, where it is, the name of its input property before cleaning)
        wire_params: list[tuple[dict[str, Any], Target, str]] = []
        credentials: list[str] = []  # declared, filled by a credential
        for parameter, target in parameters:
            where, name = parameter["in"], parameter["name"]
            if where == "header" and name.lower() in _IGNORED_HEADERS:
                continue
            place = compared_place(f"{where} {name}")
            if place in filled:
                credentials.append(place)
                continue
            if not name:
                # brainbi.net.json's `?=...`: nothing a request could send under no name.
                self.context.warnings.append(
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
                self.context.warnings.append(
                    target.document.warning(
                        target.parts, f"path parameter {name!r} is not in the path {op.path!r}"
                    )
                )
                continue
            wire_params.append((parameter, target, name))
        here = Target(op.document, op.parts)
        declared_in_path = {p["name"] for p, _, _ in wire_params if p["in"] == "path"}
        for missing in sorted(template_names - declared_in_path):
            self.context.warnings.append(
                op.document.warning(
                    op.parts, f"path parameter {missing!r} is not declared: taken as a string"
                )
            )
            wire_params.append(({"name": missing, "in": "path", "required": True}, here, missing))
        for variable, name in sorted(bound.items()):
            self.context.warnings.append(
                op.document.warning(
                    op.parts, f"query parameter {variable!r} is not declared: taken as a string"
                )
            )
            wire_params.append(({"name": name, "in": "query", "required": True}, here, variable))
        return wire_params, fixed, credentials

    def fragment_notes(self) -> list[str]:
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

    def _parameters(self, op: Operation) -> list[tuple[dict[str, Any], Target]]:
        merged: dict[tuple[str, str], tuple[dict[str, Any], Target]] = {}
        level_of: dict[tuple[str, str], int] = {}
        for level, (owner, at) in enumerate(
            ((op.path_item, op.path_item_at), (op.value, Target(op.document, op.parts)))
        ):
            raw = owner.get("parameters")
            if raw is None:
                continue
            if not isinstance(raw, list):
                self.context.problems.append(
                    at.document.diagnostic((*at.parts, "parameters"), "must be an array")
                )
                continue
            for index, item in enumerate(raw):
                parameter, target = self.context.documents.follow(
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
                    self.context.problems.append(
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
                    self.context.warnings.append(
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

    def _parameter_schema(self, parameter: dict[str, Any], target: Target) -> JsonSchema:
        raw = parameter.get("schema")
        at: Pointer = (*target.parts, "schema")
        if raw is None and isinstance(parameter.get("content"), dict) and parameter["content"]:
            media = sorted(parameter["content"])[0]
            raw = parameter["content"][media].get("schema")
            at = (*target.parts, "content", media, "schema")
        if raw is None:
            raw = {"type": "string"}
        schema = self.context.schemas.convert(raw, target.document, at, "input")
        described = description_text(parameter.get("description"))
        if described and "description" not in schema:
            schema["description"] = described
        if parameter.get("deprecated") is True:
            schema["deprecated"] = True
        return schema

    def _fixed_query(
        self, op: Operation, parts: _PathParts, declared: dict[str, tuple[dict[str, Any], Target]]
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
                    self.context.warnings.append(
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

    @cached_property
    def _aws_fragments(self) -> bool:
        """Whether paths' fragments are aws2openapi's: the query of AWS's own request URI (`?cors`
        -> `#cors`) and the names of required parameters, written there to tell operations on
        one path apart. Every query item it moves there is also declared as a parameter."""
        info = self.context.root.data.get("info")
        origins = info.get("x-origin") if isinstance(info, dict) else None
        return isinstance(origins, list) and any(
            isinstance(o, dict)
            and isinstance(o.get("converter"), dict)
            and str(o["converter"].get("url", "")).rstrip("/").endswith("/aws2openapi")
            for o in origins
        )

    def _schema_of(self, found: tuple[dict[str, Any], Target]) -> dict[str, Any]:
        parameter, target = found
        raw = parameter.get("schema")
        if raw is None:
            return {}
        schema, _ = self.context.documents.follow(raw, target.document, (*target.parts, "schema"))
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


@dataclass(frozen=True)
class _PathParts:
    """A path key taken apart: the path to send, its query's items, and its fragment."""

    path: str
    query: list[tuple[str, str | None]]  # (name, value; None for a bare name), as written
    fragment: str | None


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


def _default_style(where: str) -> str:
    return "form" if where in ("query", "cookie") else "simple"


def _paths(count: int) -> str:
    return f"{count} path" + ("" if count == 1 else "s")


# Query parameters that page an answer, by their name with case and punctuation dropped
# (`per_page`, `pageSize`, `page[size]`, `$top`, `max-results`): the names the APIs.guru
# directory's 60,009 GET operations use most (OData's $top/$skip 5.4k/5.2k, page 4.2k,
# per_page 3.3k, limit 2.4k, pageSize 1.6k, pageToken 1.5k, offset 1.2k, maxResults 1.1k).
_PAGE_SIZE = {"top", "perpage", "limit", "pagesize", "maxresults", "maxitems", "maxrecords"}
_PAGE_NUMBER = {"page", "pagenumber", "pageno", "pagenum"}
# Page numbers, offsets and item cursors are whole numbers: a `start` that is a date is no
# offset, and Stripe's text `page` of its search operations is a token its answers give.
_OFFSET = {"offset", "skip", "startindex", "startat", "firstrow", "skiprecords"}
_TOKEN = {
    "pagetoken",
    "nexttoken",
    "cursor",
    "marker",
    "skiptoken",
    "paginationtoken",
    "nextpagetoken",
    "pagecursor",
    "continuationtoken",
    "after",
}


def pagination(params: dict[str, dict[str, Any]], properties: dict[str, Any]) -> dict[str, str]:
    """The query parameters that page the operation's answer (`http.pagination`), by role;
    empty when it has none. A page starts at one place: an item cursor (Stripe's
    `starting_after` takes the last item's `id`, and so does GitHub's integer `since` of
    /users and /repositories), else a page number, an offset, an opaque token."""
    roles: dict[str, str] = {}
    for prop, binding in params.items():
        if binding["in"] != "query":
            continue
        name = re.sub(r"[^a-z]", "", str(binding.get("name", prop)).lower())
        whole = (properties.get(prop) or {}).get("type") == "integer"
        if name in _PAGE_SIZE:
            roles.setdefault("size", prop)
        elif name in _PAGE_NUMBER and whole:
            roles.setdefault("page", prop)
        elif name in _OFFSET and whole:
            roles.setdefault("offset", prop)
        elif name == "startingafter" or (name == "since" and whole):
            roles.setdefault("item_cursor", prop)
        elif name in _TOKEN or name in _PAGE_NUMBER:  # a `page` that is text: a token
            roles.setdefault("cursor", prop)
    found = {"size": roles["size"]} if "size" in roles else {}
    if "item_cursor" in roles:
        return {**found, "cursor": roles["item_cursor"], "cursor_item": "id"}
    for role in ("page", "offset", "cursor"):
        if role in roles:
            return {**found, role: roles[role]}
    return found
