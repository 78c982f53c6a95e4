"""A tool's HTTP request body, checked against the tool's input: the media type it goes as,
the input property that holds it (or the input's properties, merged), base64 text sent as
bytes, and a form body's encoding (`resolve_http` checks the rest of the request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcpgen.diagnostics import SpecPath, did_you_mean
from mcpgen.ir import HttpEncodingIR, JsonSchema
from mcpgen.resolver import Resolver, deref, known_names
from mcpgen.spec import BODY_TYPES, FORM_TYPES, HttpBody, ToolHttp, sent_json_type

# OpenAPI's Encoding contentType: media types (wildcards allowed), comma-separated.
_MEDIA_TYPES = re.compile(
    r"[\w.+*-]+/[\w.+*-]+(\s*;[^,]*)?(\s*,\s*[\w.+*-]+/[\w.+*-]+(\s*;[^,]*)?)*"
)


@dataclass(frozen=True)
class Body:
    """How a tool's request body is sent (all None, False and empty: it has none)."""

    content_type: str | None
    property: str | None  # the input property holding the whole body; None: merged
    base64: bool  # an octet-stream body property that holds base64 text
    encoding: tuple[HttpEncodingIR, ...]


def http_body(
    resolver: Resolver,
    binding: ToolHttp,
    where: SpecPath,
    input_schema: JsonSchema,
    properties: Mapping[str, Any],
    inputs_known: bool,
) -> Body:
    """The binding's body, checked; without one, input properties no parameter sends are
    reported (`inputs_known`: the input resolved to an object schema)."""
    if binding.body is None:
        if inputs_known:
            unsent = [name for name in properties if name not in binding.params]
            if unsent:
                resolver.warning(
                    where,
                    "input properties that go nowhere (no parameter, and no body): "
                    + ", ".join(map(repr, unsent)),
                    hint="list them under http.params, or declare http.body",
                )
        return Body(None, None, False, ())
    body_type = _body_content_type(resolver, binding.body.content_type, (*where, "body"))
    body_property = binding.body.property
    body_base64 = False
    if body_property is not None:
        at: SpecPath = (*where, "body", "property")
        if inputs_known and body_property not in properties:
            resolver.error(
                at,
                f"{body_property!r} is not a property of the tool's input",
                hint=did_you_mean(body_property, properties)
                or known_names("input properties", properties),
            )
        elif body_property in binding.params:
            resolver.error(at, f"{body_property!r} is already sent as a parameter")
        elif inputs_known:
            schema = deref(input_schema, properties[body_property])
            body_base64 = (
                body_type == "application/octet-stream"
                and isinstance(schema, dict)
                and schema.get("contentEncoding") == "base64"
            )
            kind = schema.get("type") if isinstance(schema, dict) else None
            if (
                body_type in FORM_TYPES
                and kind is not None
                and "object" not in (kind if isinstance(kind, list) else [kind])
            ):
                # The import skips such operations; by hand, every call would fail.
                resolver.error(
                    at,
                    f"the body ({body_type}) sends an object's fields, and {body_property!r} is "
                    f"{kind!r}: no call could be sent",
                    hint="send it as JSON, text or bytes (body.content_type), or make it an "
                    "object of fields",
                )
    elif body_type in ("text/plain", "application/octet-stream"):
        resolver.error(
            (*where, "body"),
            f"the body ({body_type}) is one value: name the input property holding it",
            hint='set body.property = "<property>"',
        )
    body_encoding: tuple[HttpEncodingIR, ...] = ()
    if inputs_known:
        fields: Mapping[str, Any]
        if body_property is None:
            fields = {k: v for k, v in properties.items() if k not in binding.params}
            known_fields = True
        else:
            # Known when its schema lists them (through one `$ref`), as the importer reads it.
            whole = deref(input_schema, properties.get(body_property))
            listed = whole.get("properties") if isinstance(whole, dict) else None
            fields = listed if isinstance(listed, dict) else {}
            known_fields = isinstance(listed, dict)
        body_encoding = _body_encoding(
            resolver, binding.body, (*where, "body"), input_schema, fields, known_fields
        )
    return Body(body_type, body_property, body_base64, body_encoding)


def _body_content_type(resolver: Resolver, kind: str, at: SpecPath) -> str:
    """The body's media type as it is sent (lower-cased, a JSON type's parameters kept); a
    located error when none the client can send."""
    sent = sent_json_type(kind)
    if sent is not None:
        return sent
    kind = kind.strip().lower()
    if kind in BODY_TYPES:
        return kind
    resolver.error(
        (*at, "content_type"),
        f"a body cannot be sent as {kind!r}",
        hint="JSON (application/json or another +json type), "
        + ", ".join(repr(k) for k in BODY_TYPES[1:]),
    )
    return "application/json"


def _body_encoding(
    resolver: Resolver,
    body: HttpBody,
    where: SpecPath,
    root: JsonSchema,
    fields: Mapping[str, Any],
    known_fields: bool,
) -> tuple[HttpEncodingIR, ...]:
    """A form body's encoding table, checked, OpenAPI's defaults applied; in multipart, a
    property holding base64 text (`contentEncoding`) is sent as bytes, declared or not."""
    if body.encoding and body.content_type not in FORM_TYPES:
        resolver.error(
            (*where, "encoding"),
            f"encoding applies to form bodies ({', '.join(FORM_TYPES)}), not to "
            f"{body.content_type}",
            hint="drop it",
        )
        return ()
    multipart = body.content_type == "multipart/form-data"
    found: list[HttpEncodingIR] = []
    for name, encoding in body.encoding.items():
        at: SpecPath = (*where, "encoding", name)
        if known_fields and name not in fields:
            resolver.error(
                at,
                f"{name!r} is not a property of the body",
                hint=did_you_mean(name, fields) or known_names("body properties", fields),
            )
            continue
        styled = (encoding.style, encoding.explode, encoding.allow_reserved) != (None,) * 3
        style = (encoding.style or "form") if styled else None
        explode = encoding.explode if encoding.explode is not None else style == "form"
        if style == "deepObject" and not explode:
            resolver.error(
                (*at, "explode"),
                "deepObject without explode is undefined in OpenAPI",
                hint="drop `explode = false`",
            )
        kind = encoding.content_type
        if kind is not None and not _MEDIA_TYPES.fullmatch(kind):
            resolver.error((*at, "content_type"), f"{kind!r} is not a media type (or a list)")
        elif kind is not None and styled:
            resolver.warning(
                (*at, "content_type"),
                "content_type is ignored: style, explode and allow_reserved serialise the "
                "property (OpenAPI)",
            )
        binary = multipart and not styled and _holds_base64(root, fields.get(name))
        found.append(
            HttpEncodingIR(name, style, explode, bool(encoding.allow_reserved), kind, binary)
        )
    if multipart:
        listed = set(body.encoding)
        found.extend(
            HttpEncodingIR(name, None, True, False, None, True)
            for name, schema in fields.items()
            if name not in listed and _holds_base64(root, schema)
        )
    return tuple(found)


def _holds_base64(root: JsonSchema, schema: Any) -> bool:
    """Whether a property holds base64 text (bytes, in JSON), or an array of it."""
    schema = deref(root, schema)
    if isinstance(schema, dict) and schema.get("type") == "array":
        schema = deref(root, schema.get("items"))
    return isinstance(schema, dict) and schema.get("contentEncoding") == "base64"
