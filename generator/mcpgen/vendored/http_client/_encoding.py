"""Requests as OpenAPI 3.1.1 says to send them: parameters placed and serialised by style,
bodies encoded by media type.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import quote, quote_plus

from ._operations import BY_CONTENT, Encoding, Operation, Param

# Methods whose request carries a body even when no property of it was given.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _text(value: Any) -> str:
    """A JSON value as parameter text: JSON's spelling of true/false, integral floats as
    integers (an input model holds `1` of a `number` property as 1.0), nested values as JSON."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def percent_encode(text: str) -> str:
    """Percent-encode everything but unreserved characters (so `/`, `?`, `#`, `&` too)."""
    return quote(text, safe="")


def _encode_reserved(text: str) -> str:
    """OpenAPI's `allowReserved`: reserved characters a query may hold, and percent-encoded
    triples, stay; `[`, `]` and `#` (which a query cannot hold), the form's `&`, `=` and `+`,
    and a `%` that starts no triple are encoded."""
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", quote(text, safe=":/?@!$'()*,;%"))


def _encode_path(text: str) -> str:
    # "." and ".." are dot segments that URL normalisation removes together with the
    # segment before them; encoded, they stay data.
    encoded = quote(text, safe="")
    if encoded and set(encoded) == {"."}:
        return encoded.replace(".", "%2E")
    return encoded


def _path_value(param: Param, value: Any) -> str:
    name, style, explode = param.name, param.style, param.explode
    if isinstance(value, list):
        items = [_encode_path(_text(v)) for v in value]
        if style == "label":
            return "." + ("." if explode else ",").join(items)
        if style == "matrix":
            if explode:
                return "".join(f";{name}={item}" for item in items)
            return f";{name}=" + ",".join(items)
        return ",".join(items)
    if isinstance(value, dict):
        pairs = [(_encode_path(str(k)), _encode_path(_text(v))) for k, v in value.items()]
        if explode:
            joined = [f"{k}={v}" for k, v in pairs]
            if style == "label":
                return "." + ".".join(joined)
            if style == "matrix":
                return "".join(f";{item}" for item in joined)
            return ",".join(joined)
        flat = ",".join(f"{k},{v}" for k, v in pairs)
        if style == "label":
            return "." + flat
        if style == "matrix":
            return f";{name}={flat}"
        return flat
    text = _encode_path(_text(value))
    if style == "label":
        return "." + text
    if style == "matrix":
        return f";{name}={text}" if text else f";{name}"
    return text


_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}


def _styled(
    name: str, value: Any, style: str, explode: bool, encode: Callable[[str], str] | None
) -> list[tuple[str, str]]:
    """A value serialised as OpenAPI serialises a query parameter: (name, value) pairs.

    `encode` percent-encodes values, and the names, delimiters and brackets are percent-encoded
    with it as OpenAPI 3.1.1 and 3.0.4 require (`%7C`, `%5B`...), except form's literal `,`;
    None (a multipart body) leaves everything as it is. deepObject nests, which OpenAPI leaves
    undefined, as qs, PHP and Stripe's own clients do: `a[b][c]=1`, arrays `a[0]=x`.
    """
    value_of = encode if encode is not None else str
    name_of = percent_encode if encode is not None else str
    key = name_of(name)
    if style == "deepObject" and isinstance(value, (dict, list)):
        opened, closed = value_of("["), value_of("]")
        return [
            (key + "".join(f"{opened}{name_of(part)}{closed}" for part in path), value_of(leaf))
            for path, leaf in _leaves(value)
        ]
    delimiter = value_of(_DELIMITERS[style]) if style in _DELIMITERS else ","
    if isinstance(value, list):
        items = [value_of(_text(v)) for v in value if v is not None]
        if not items:
            return []
        if explode and style == "form":
            return [(key, item) for item in items]
        return [(key, delimiter.join(items))]
    if isinstance(value, dict):
        pairs = [(name_of(str(k)), value_of(_text(v))) for k, v in value.items() if v is not None]
        if not pairs:
            return []
        if explode and style == "form":
            return pairs
        return [(key, delimiter.join(f"{k}{delimiter}{v}" for k, v in pairs))]
    return [(key, value_of(_text(value)))]


def _leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """The scalar leaves of nested objects and arrays, each with its path of keys/indexes."""
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return [(path, _text(value))]
    return [leaf for key, item in items if item is not None for leaf in _leaves(item, (*path, key))]


def _query_items(param: Param, value: Any) -> list[str]:
    """`name=value` items, percent-encoded, for a query parameter."""
    encode = _encode_reserved if param.allow_reserved else percent_encode
    return [f"{k}={v}" for k, v in _styled(param.name, value, param.style, param.explode, encode)]


def _header_value(param: Param, value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        if param.explode:
            return ",".join(f"{k}={_text(v)}" for k, v in value.items())
        return ",".join(f"{k},{_text(v)}" for k, v in value.items())
    return _text(value)


def _content_fields(name: str, value: Any, encoding: Encoding) -> list[tuple[str, str | None]]:
    """(text, content type) of each field of a form property sent by its content: an array
    makes one field per item (RFC 7578), an object or a JSON `content_type` JSON text; plain
    text has no type (text/plain is a part's default); `binary` text is base64."""
    fields: list[tuple[str, str | None]] = []
    kind = _specific(encoding.content_type)
    for item in value if isinstance(value, list) else [value]:
        if item is None:
            continue
        if encoding.binary:
            fields.append((_text(item), kind or "application/octet-stream"))
        elif isinstance(item, (dict, list)) or (kind is not None and _is_json(kind)):
            text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
            fields.append((text, kind or "application/json"))
        else:
            fields.append((_text(item), kind))
    return fields


def _is_json(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _specific(kinds: str | None) -> str | None:
    """The first specific media type of an Encoding's `contentType` list (`image/*`: none)."""
    for kind in (kinds or "").split(","):
        if kind.strip() and "*" not in kind:
            return kind.strip()
    return None


def _urlencoded(payload: Mapping[str, Any], encodings: Mapping[str, Encoding]) -> bytes:
    """An application/x-www-form-urlencoded body: by style RFC 6570's percent-encoding, by
    content RFC 1866's (a space is `+`), as OpenAPI 3.1.1 says of each."""
    items: list[str] = []
    for name, value in payload.items():
        if value is None:
            continue
        encoding = encodings.get(name, BY_CONTENT)
        if encoding.style is not None:
            encode = _encode_reserved if encoding.allow_reserved else percent_encode
            styled = _styled(name, value, encoding.style, encoding.explode, encode)
            items.extend(f"{k}={v}" for k, v in styled)
        else:
            key = quote_plus(name)
            items.extend(
                f"{key}={quote_plus(text)}" for text, _ in _content_fields(name, value, encoding)
            )
    return "&".join(items).encode("ascii")


MultipartParts: TypeAlias = list[tuple[str, tuple[str | None, str | bytes, str | None]]]


def _multipart(payload: Mapping[str, Any], encodings: Mapping[str, Encoding]) -> MultipartParts:
    """A multipart/form-data body's parts: (name, (filename, content, content type)). A styled
    property's pairs are parts of plain text, not percent-encoded (OpenAPI 3.1.1, appendix C);
    bytes go as a file named after their property."""
    parts: MultipartParts = []
    for name, value in payload.items():
        if value is None:
            continue
        encoding = encodings.get(name, BY_CONTENT)
        if encoding.style is not None:
            styled = _styled(name, value, encoding.style, encoding.explode, None)
            parts.extend((key, (None, text, None)) for key, text in styled)
        elif encoding.binary:
            parts.extend(
                (name, (name, base64.b64decode(text, validate=True), kind))
                for text, kind in _content_fields(name, value, encoding)
            )
        else:
            parts.extend(
                (name, (None, text, kind)) for text, kind in _content_fields(name, value, encoding)
            )
    return parts


def _header_text(name: str, text: str) -> str:
    """A header's value as HTTP can carry it, else ValueError saying why.

    RFC 9110 field values are visible ASCII, spaces and tabs: a line break would start
    another header (injection) and other characters have no agreed encoding, so a value
    the input schema allowed but a header cannot carry is refused by name, as the caller's
    to fix, rather than failing inside the HTTP library.
    """
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"header {name!r} cannot hold a line break or NUL")
    if not text.isascii():
        raise ValueError(f"header {name!r} can carry only ASCII text, not {text!r}")
    return text


@dataclass(slots=True)
class Prepared:
    """What an operation's request is made of, before credentials."""

    path: str
    query: list[str]
    headers: dict[str, str]
    cookies: list[str]
    content: bytes | None = None
    files: MultipartParts | None = None


def prepare(operation: Operation, values: Mapping[str, Any]) -> Prepared:
    """Place the arguments (their JSON form) in the request; raises ValueError or TypeError."""
    path_values: dict[str, str] = {}
    prepared = Prepared(
        path="", query=[operation.query] if operation.query else [], headers={}, cookies=[]
    )
    placed: set[str] = set()
    for param in operation.params:
        placed.add(param.property)
        if param.property not in values or values[param.property] is None:
            continue
        value = values[param.property]
        if param.json and isinstance(value, (dict, list)):
            # A header carries ASCII only: there JSON spells other characters as \u escapes.
            ascii_only = param.location == "header"
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only)
        if param.location == "path":
            path_values[param.name] = _path_value(param, value)
        elif param.location == "query":
            prepared.query.extend(_query_items(param, value))
        elif param.location == "header":
            prepared.headers[param.name] = _header_text(param.name, _header_value(param, value))
        else:
            prepared.cookies.append(f"{param.name}={percent_encode(_header_value(param, value))}")

    def substitute(match: re.Match[str]) -> str:
        found = path_values.get(match[1])
        if found is None:
            raise ValueError(f"path parameter {match[1]!r} has no value")
        return found

    prepared.path = re.sub(r"\{([^{}]+)\}", substitute, operation.path)
    body = operation.body
    if body is None:
        return prepared
    if body.property is not None:
        if body.property not in values:
            return prepared
        payload: Any = values[body.property]
    else:
        payload = {k: v for k, v in values.items() if k not in placed}
        if not payload and operation.method not in BODY_METHODS:
            return prepared
    kind = body.content_type
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data") and not isinstance(
        payload, dict
    ):
        raise TypeError("a form body is an object")
    if _is_json(kind):  # application/json, or the `+json` type the API names
        prepared.content = json.dumps(payload, ensure_ascii=False).encode()
    elif kind == "application/x-www-form-urlencoded":
        prepared.content = _urlencoded(payload, body.encoding)
    elif kind == "multipart/form-data":
        prepared.files = _multipart(payload, body.encoding)
        kind = ""  # httpx2 writes the header, with its boundary
    elif kind == "application/octet-stream":
        text = payload if isinstance(payload, str) else _text(payload)
        prepared.content = base64.b64decode(text, validate=True) if body.base64 else text.encode()
    else:
        prepared.content = (payload if isinstance(payload, str) else _text(payload)).encode()
        kind = "text/plain; charset=utf-8"
    if kind:
        prepared.headers["Content-Type"] = kind
    return prepared
