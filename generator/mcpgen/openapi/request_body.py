"""An operation's request body, in the media type the generated request sends it as: its
schema, whether its properties merge into the tool's input, and a form body's encoding."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from mcpgen.openapi.document import Pointer, Target
from mcpgen.openapi.operations import Context, Operation, Skip
from mcpgen.openapi.schema import JsonSchema
from mcpgen.spec import BODY_TYPES, FORM_STYLES, FORM_TYPES, sent_json_type

# The order among JSON media types (others: 1, then by name).
_JSON_PREFERENCE = {
    "application/json": -2,
    "application/merge-patch+json": -1,
    "application/json-patch+json": 2,
}


@dataclass(frozen=True)
class RequestBody:
    """An operation's request body in the media type the generated request sends."""

    schema: JsonSchema
    content_type: str
    required: bool
    merge: bool  # its properties merge into the tool's input
    encoding: dict[str, dict[str, Any]]  # form bodies: `http.body.encoding`


class RequestBodies:
    """Reads operations' request bodies."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def read(self, op: Operation) -> RequestBody | None:
        """The operation's request body, in the media type the generated request sends."""
        raw = op.value.get("requestBody")
        if raw is None:
            return None
        body, target = self.context.documents.follow(raw, op.document, (*op.parts, "requestBody"))
        if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
            self.context.problems.append(
                target.document.diagnostic(target.parts, "a request body needs `content`")
            )
            return None
        content = body["content"]
        unfit: list[str] = []  # form media types whose schema names no fields
        while True:
            chosen = _choose_media({m: v for m, v in content.items() if m not in unfit})
            if chosen is None:
                if unfit:
                    # A form sends fields: a list or a string has none to send it in.
                    raise Skip(f"its {', '.join(unfit)} body is no object of fields")
                shown = ", ".join(sorted(content)) or "no content type"
                raise Skip(f"request body only in {shown}")
            media, content_type = chosen
            media_value = content[media] if isinstance(content[media], dict) else {}
            raw_schema = media_value.get("schema")
            at: Pointer = (*target.parts, "content", media, "schema")
            if raw_schema is None:
                raw_schema = {"type": "object"} if is_json(content_type) else {"type": "string"}
            schema = self.context.schemas.convert(raw_schema, target.document, at, "input")
            if content_type not in FORM_TYPES or self._has_fields(schema):
                break
            unfit.append(media)
        required = body.get("required") is True
        raw_body = content_type in ("text/plain", "application/octet-stream")
        if raw_body and "$ref" not in schema and schema.get("type", "string") != "string":
            # Text or bytes, whatever type the description gives them (APIs.guru's upgrade
            # of Swagger 2.0's `type: file` says object): a string, which alone is sent so.
            schema = {k: v for k, v in schema.items() if k in ("title", "description")}
            schema["type"] = "string"
        if content_type == "application/octet-stream" and "$ref" not in schema:
            schema.setdefault("type", "string")
            schema.setdefault("contentEncoding", "base64")
        merge = (
            not raw_body
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
            if content_type in FORM_TYPES
            else {}
        )
        return RequestBody(schema, content_type, required, merge, encoding)

    def _encoding(
        self, raw: Any, at: Target, fields: Collection[str] | None
    ) -> dict[str, dict[str, Any]]:
        """A form body's Encoding Objects (`raw`, at `at`), as `http.body.encoding` writes them;
        `fields`: the body's properties, when its schema says."""
        if not isinstance(raw, dict):
            return {}
        found: dict[str, dict[str, Any]] = {}
        for name, value in raw.items():
            encoding, where = self.context.documents.follow(value, at.document, (*at.parts, name))
            if not isinstance(encoding, dict):
                continue
            if fields is not None and name not in fields:
                self.context.warnings.append(
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
            if style in FORM_STYLES:
                entry["style"] = style
            elif style is not None:
                self.context.warnings.append(
                    where.document.warning(
                        (*where.parts, "style"),
                        f"style {style!r} is not a form body's ({', '.join(FORM_STYLES)}): "
                        "left out",
                    )
                )
            for key, field_name in (("explode", "explode"), ("allowReserved", "allow_reserved")):
                if isinstance(encoding.get(key), bool):
                    entry[field_name] = encoding[key]
            if entry:
                found[name] = entry
        return found

    def _has_fields(self, schema: JsonSchema) -> bool:
        """Whether a form can send a value of `schema`: an object (or what may be one, a
        composition or a schema that names no type), not a list, a string or a number."""
        kind = self._through_type(schema).get("type")
        return kind is None or kind == "object" or (isinstance(kind, list) and "object" in kind)

    def _properties_of(self, schema: JsonSchema) -> Collection[str] | None:
        """The properties a converted object schema names (through one shared type); None
        when it does not say (a composition, not an object)."""
        properties = self._through_type(schema).get("properties")
        return set(properties) if isinstance(properties, dict) else None

    def _through_type(self, schema: JsonSchema) -> JsonSchema:
        """A converted schema, or the shared type's it refers to."""
        ref = schema.get("$ref")
        if ref is not None and hasattr(ref, "identity"):
            return self.context.schemas.types[ref.identity].schema
        return schema


def is_json(media: str) -> bool:
    """Whether content in this media type is JSON (`*/*` taken as JSON)."""
    base = media.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _choose_media(content: dict[str, Any]) -> tuple[str, str] | None:
    """The request media type to use and the content type the request goes as (JSON first).

    A JSON type other than application/json is sent as named (Kubernetes' PATCH takes
    only merge-patch and its kin, and answers application/json with 415); among several,
    application/json, then a merge patch (RFC 7386: the object the model writes), then the
    others by name, a JSON patch (RFC 6902: a list of operations) last. `*/*`, and a
    wildcard JSON type (`application/*+json`), which no request can be sent as, go as JSON.
    """
    ranked: list[tuple[int, int, str, str]] = []
    for media in content:
        base = media.split(";", 1)[0].strip().lower()
        kind = "application/json" if is_json(base) else base
        if kind not in BODY_TYPES:
            continue
        # A JSON type goes as named, with its parameters (Azure Batch's `application/json;
        # odata=minimalmetadata`), when a request can be sent as it; else as application/json.
        sent = (sent_json_type(media) or kind) if kind == "application/json" else kind
        preference = _JSON_PREFERENCE.get(sent.split(";", 1)[0], 1)
        ranked.append((BODY_TYPES.index(kind), preference, sent, media))
    if not ranked:
        return None
    _, _, sent, media = min(ranked)
    return media, sent
