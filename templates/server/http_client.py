"""The HTTP side of an mcpgen server: tools whose handlers call an HTTP API.

mcpgen copies this one file verbatim into the `_generated` package of a server whose spec
binds tools to HTTP operations, next to the runtime shim. The spec's operations become a
table of small descriptors (`Operation`, in `_generated/operations.py`); this module holds
everything that happens when one of them is called:

- one shared `httpx2.AsyncClient` per server, made on first use and closed at shutdown;
- the base URL from the spec, overridable by an environment variable;
- credentials from the environment, by the first security alternative whose variables
  are all set (bearer, API key in a header, query parameter or cookie, basic, OAuth 2
  client credentials with the token cached until it expires), sent only to the API's
  origin: a redirect elsewhere is refused, and no credential reaches a log or, echoed by
  the API, a result;
- parameters placed and serialised per OpenAPI 3.1.1 (styles simple, label, matrix, form,
  spaceDelimited, pipeDelimited, deepObject; allowReserved; JSON `content`; path values
  percent-encoded so that a `/` or a `..` in a value cannot leave its segment), after the
  operation's fixed query;
- bodies as JSON, form fields (by each property's `encoding`), multipart parts, text or
  bytes;
- retries of 429 and 503 answers with exponential backoff and jitter, honouring
  `Retry-After`; transport failures retried only when the request cannot have reached
  the server, or when the method is idempotent; one deadline for the whole call;
- the answer checked against the tool's output schema (per `output_validation`), error
  statuses mapped to the spec's declared error types, anything else to `HttpError`, the
  message ending with what the API answered;
- progress while waiting to retry and while downloading a body of known length, and
  cancellation: a cancelled tool call closes the connection of its request.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import quote, quote_plus, urljoin

import anyio
import httpx2
from pydantic import BaseModel, ValidationError

from . import runtime

__all__ = [
    "Answer",
    "Api",
    "ApiKey",
    "Basic",
    "Bearer",
    "Body",
    "Encoding",
    "HttpAuthFailed",
    "HttpClient",
    "HttpCredentialsMissing",
    "HttpError",
    "HttpRedirectRefused",
    "HttpRequestFailed",
    "HttpRequestInvalid",
    "HttpResponseInvalid",
    "HttpTimeout",
    "OAuth2ClientCredentials",
    "Operation",
    "Param",
    "Request",
]

HTTP_CLIENT_VERSION = "0.1.0"

ModelT = TypeVar("ModelT", bound=BaseModel)
Arguments: TypeAlias = runtime.Arguments
"""What a request is made from: the tool's input model, or its JSON form."""

# Methods a retry cannot do harm with, even if the first attempt reached the server.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Methods whose request carries a body even when no property of it was given.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
RETRY_STATUSES = frozenset({429, 503})
# Backoff before retry n (from 0): BACKOFF_BASE * 2**n seconds, less up to half as jitter.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
# A `Retry-After` longer than this is not waited for: the call fails at once (retryable).
RETRY_AFTER_MAX = 30.0
# Redirects (within the API's origin) followed for one request, at most.
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Downloads at least this large (by Content-Length) report progress.
PROGRESS_FROM_BYTES = 64 * 1024
# Error bodies that are not JSON are cut to this many characters in the error's data,
ERROR_TEXT_MAX = 2000
# and every error body to this many in the error's message (what a model reads).
ERROR_EXCERPT_MAX = 500
# Problems listed when an answer breaks the output schema.
PROBLEMS_MAX = 10
# An OAuth 2 token is renewed this many seconds before it expires.
TOKEN_MARGIN = 30.0


# -- errors ------------------------------------------------------------------------------


class HttpErrorData(BaseModel):
    status: int
    method: str
    path: str
    body: Any = None
    retry_after: float | None = None


def _with_excerpt(message: str, body: Any) -> str:
    """An error's message with what the API said, cut short: a model reads the message (the
    body whole is in the error's data, which a client may not show it)."""
    if body is None or body == "":
        return message
    text = (
        body
        if isinstance(body, str)
        else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    )
    text = " ".join(text.split())
    if len(text) > ERROR_EXCERPT_MAX:
        text = f"{text[:ERROR_EXCERPT_MAX]}... ({len(text) - ERROR_EXCERPT_MAX} more characters)"
    return f"{message}\nThe API answered: {text}"


class HttpError(runtime.DeclaredError):
    """The API answered with an error status for which the spec declares no error type."""

    error_type = "HttpError"
    code = -32060

    def __init__(self, data: HttpErrorData) -> None:
        message = f"HTTP {data.status} from {data.method} {data.path}"
        super().__init__(data, message=_with_excerpt(message, data.body))


class RetryableHttpError(HttpError):
    """An `HttpError` worth retrying later: 429 Too Many Requests, or a 5xx."""

    retryable = True


class _FailureData(BaseModel):
    method: str
    path: str
    reason: str


class HttpRequestFailed(runtime.DeclaredError):
    """The API could not be reached, or did not answer in time."""

    error_type = "HttpRequestFailed"
    code = -32061
    retryable = True

    def __init__(self, method: str, path: str, reason: str) -> None:
        super().__init__(
            _FailureData(method=method, path=path, reason=reason),
            message=f"{method} {path} failed: {reason}",
        )


class _TimeoutData(BaseModel):
    method: str
    path: str
    seconds: float


class HttpTimeout(runtime.ToolTimeout):
    """The API did not answer in time: within a try, or within the call's deadline.

    A `ToolTimeout` (type, code, retryable), with the request it was waiting for as data.
    """

    def __init__(self, method: str, path: str, seconds: float, limit: str) -> None:
        runtime.DeclaredError.__init__(
            self,
            _TimeoutData(method=method, path=path, seconds=seconds),
            message=f"{method} {path} timed out: no answer within {seconds:g} s ({limit})",
        )


class _InvalidAnswerData(BaseModel):
    status: int
    method: str
    path: str
    problems: list[str]


class HttpResponseInvalid(runtime.DeclaredError):
    """The API answered outside the schema the spec declares for the answer."""

    error_type = "HttpResponseInvalid"
    code = -32062

    def __init__(self, status: int, method: str, path: str, problems: Sequence[str]) -> None:
        shown = list(problems[:PROBLEMS_MAX])
        if len(problems) > PROBLEMS_MAX:
            shown.append(f"... and {len(problems) - PROBLEMS_MAX} more")
        super().__init__(
            _InvalidAnswerData(status=status, method=method, path=path, problems=shown),
            message=f"{method} {path} answered outside its schema:\n- " + "\n- ".join(shown),
        )


class _CredentialsData(BaseModel):
    alternatives: list[list[str]]


class HttpCredentialsMissing(runtime.DeclaredError):
    """No security alternative of the operation has all its environment variables set."""

    error_type = "HttpCredentialsMissing"
    code = -32063

    def __init__(self, method: str, path: str, alternatives: list[list[str]]) -> None:
        wanted = " or ".join(" and ".join(names) for names in alternatives)
        super().__init__(
            _CredentialsData(alternatives=alternatives),
            message=f"{method} {path} needs credentials: set {wanted}",
        )


class _RequestInvalidData(BaseModel):
    method: str
    path: str
    reason: str


class HttpRequestInvalid(runtime.DeclaredError):
    """The arguments (or the configuration) cannot make a valid HTTP request."""

    error_type = "HttpRequestInvalid"
    code = -32064

    def __init__(self, method: str, path: str, reason: str) -> None:
        super().__init__(
            _RequestInvalidData(method=method, path=path, reason=reason),
            message=f"Cannot send {method} {path}: {reason}",
        )


class _RedirectData(BaseModel):
    method: str
    path: str
    status: int
    origin: str  # where the redirect pointed: scheme, host and port only


class HttpRedirectRefused(runtime.DeclaredError):
    """The API redirected a request to another origin, which the client does not follow."""

    error_type = "HttpRedirectRefused"
    code = -32066

    def __init__(self, method: str, path: str, status: int, origin: str, base_url_env: str) -> None:
        super().__init__(
            _RedirectData(method=method, path=path, status=status, origin=origin),
            message=f"{method} {path} was redirected (HTTP {status}) to another origin, {origin}: "
            "not followed, so that the API's credentials and data go nowhere else. If that is "
            f"where the API now is, set {base_url_env} to it.",
        )


class _AuthFailedData(BaseModel):
    scheme: str
    reason: str


class HttpAuthFailed(runtime.DeclaredError):
    """Credentials were set but could not be turned into a token (OAuth 2)."""

    error_type = "HttpAuthFailed"
    code = -32065

    def __init__(self, scheme: str, reason: str) -> None:
        super().__init__(
            _AuthFailedData(scheme=scheme, reason=reason),
            message=f"Authentication with {scheme!r} failed: {reason}",
        )


# -- descriptors -------------------------------------------------------------------------

Location: TypeAlias = Literal["path", "query", "header", "cookie"]
_DEFAULT_STYLE: dict[str, str] = {
    "path": "simple",
    "header": "simple",
    "query": "form",
    "cookie": "form",
}


class Param:
    """One input property sent as a parameter: where, under which name, in which style."""

    __slots__ = ("allow_reserved", "explode", "json", "location", "name", "property", "style")

    def __init__(
        self,
        property: str,
        location: Location,
        *,
        name: str | None = None,
        style: str | None = None,
        explode: bool | None = None,
        allow_reserved: bool = False,
        json: bool = False,
    ) -> None:
        self.property = property
        self.location = location
        self.name = name if name is not None else property
        self.style = style if style is not None else _DEFAULT_STYLE[location]
        self.explode = explode if explode is not None else self.style == "form"
        self.allow_reserved = allow_reserved
        self.json = json  # OpenAPI `content`: an object or array goes as JSON text


@dataclass(frozen=True, slots=True, kw_only=True)
class Encoding:
    """How one property of a form body is sent: OpenAPI's Encoding Object, defaults applied.

    With a `style`, the property is serialised as a query parameter of that style would be
    (deepObject: `metadata[order]=42`), each pair a field. Without one, each value (each item,
    for an array) is one field: text, JSON (`content_type` application/json, and any object),
    or in a multipart body bytes (`binary`: base64 text, decoded) of `content_type`.
    """

    style: str | None = None
    explode: bool = True
    allow_reserved: bool = False
    content_type: str | None = None
    binary: bool = False


_BY_CONTENT = Encoding()


@dataclass(frozen=True, slots=True)
class Body:
    """Where the request body comes from, and how it is encoded."""

    content_type: str = "application/json"
    property: str | None = None  # None: every input property that is not a parameter
    base64: bool = False  # an octet-stream body given as base64 text
    # Form bodies: how each property is sent (a property not named here: by its content).
    encoding: Mapping[str, Encoding] = field(default_factory=dict)


ErrorTypes: TypeAlias = Mapping[str, tuple[type[runtime.DeclaredError], type[BaseModel]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One HTTP operation a tool calls: the request, and how its answer becomes a result."""

    tool: str
    method: str
    path: str
    query: str | None = None  # a fixed query, sent before the parameters
    base_url: str | None = None  # None: the API's
    params: tuple[Param, ...] = ()
    body: Body | None = None
    response: Literal["application/json", "text", "none"] = "application/json"
    wrap: str | None = None
    # "404" / "4XX" / "default" -> (error class, its data model).
    errors: ErrorTypes = field(default_factory=dict)
    security: tuple[tuple[str, ...], ...] | None = None  # None: the API's
    strict: bool = True  # check the answer against the output schema


@dataclass(frozen=True, slots=True, kw_only=True)
class Bearer:
    """`Authorization: Bearer <token>`."""

    env: str

    def env_vars(self) -> list[str]:
        return [self.env]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """An API key in a header, a query parameter or a cookie."""

    location: Literal["header", "query", "cookie"]
    name: str
    env: str

    def env_vars(self) -> list[str]:
        return [self.env]


@dataclass(frozen=True, slots=True, kw_only=True)
class Basic:
    """HTTP Basic authentication."""

    username_env: str
    password_env: str

    def env_vars(self) -> list[str]:
        return [self.username_env, self.password_env]


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuth2ClientCredentials:
    """OAuth 2 client credentials: a token from `token_url`, cached until it expires."""

    token_url: str
    client_id_env: str
    client_secret_env: str
    scopes: Sequence[str] = ()

    def env_vars(self) -> list[str]:
        return [self.client_id_env, self.client_secret_env]


Scheme: TypeAlias = Bearer | ApiKey | Basic | OAuth2ClientCredentials


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    """The HTTP API as the spec's `[http]` section declares it."""

    base_url: str
    base_url_env: str
    timeout: float = 30.0  # seconds for each try
    retries: int = 2
    deadline: float = 30.0  # seconds for a whole call: every try, every wait
    auth: Mapping[str, Scheme] = field(default_factory=dict)
    security: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, read in full."""

    status: int
    headers: httpx2.Headers
    body: bytes

    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w.-]+)", self.headers.get("content-type", ""), re.I)
        if match:
            charset = match[1]
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


# -- serialisation -----------------------------------------------------------------------


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


def _encode(text: str) -> str:
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
    name_of = _encode if encode is not None else str
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
    encode = _encode_reserved if param.allow_reserved else _encode
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
        encoding = encodings.get(name, _BY_CONTENT)
        if encoding.style is not None:
            encode = _encode_reserved if encoding.allow_reserved else _encode
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
        encoding = encodings.get(name, _BY_CONTENT)
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
class _Prepared:
    """What an operation's request is made of, before credentials."""

    path: str
    query: list[str]
    headers: dict[str, str]
    cookies: list[str]
    content: bytes | None = None
    files: MultipartParts | None = None


def _prepare(operation: Operation, values: Mapping[str, Any]) -> _Prepared:
    """Place the arguments (their JSON form) in the request; raises ValueError or TypeError."""
    path_values: dict[str, str] = {}
    prepared = _Prepared(
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
            prepared.cookies.append(f"{param.name}={_encode(_header_value(param, value))}")

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


# -- secrets -------------------------------------------------------------------------------


class _Secrets(logging.Filter):
    """The credentials this process has sent, in every spelling the wire uses, and a logging
    filter that blanks them out of records (their message, arguments and traceback).

    httpx2 logs every request's full URL at INFO (a query-string key with it), httpcore2 the
    response headers at DEBUG (an API may echo the request): a record from those loggers, or
    ours, leaves with no secret in it, at any level, whatever handler then writes it. An
    answer that echoes one (a `self` link with the key) is blanked too, but there only secrets
    of `ECHO_MIN` characters or more: a shorter one (a password `admin`) cannot be told from
    the data it would corrupt, and an API key is longer.
    """

    MASK = "[secret]"
    ECHO_MIN = 8
    LOGGERS = (
        "httpx2",
        "httpcore2",
        "httpcore2.connection",
        "httpcore2.http11",
        "httpcore2.http2",
        "httpcore2.proxy",
        "httpcore2.socks",
        "mcpgen.runtime",
    )

    def __init__(self) -> None:
        super().__init__()
        self._known: set[str] = set()
        self._in_logs: re.Pattern[str] | None = None
        self._in_answers: re.Pattern[str] | None = None

    def add(self, *secrets: str) -> None:
        """Remember secrets (with their percent-, form- and JSON-encoded spellings)."""
        spellings = {
            spelling
            for secret in secrets
            if secret
            for spelling in (
                secret,
                quote(secret, safe=""),
                quote(secret),
                quote_plus(secret),
                json.dumps(secret)[1:-1],
            )
        }
        if not spellings <= self._known:
            self._known |= spellings
            self._in_logs = _alternatives(self._known)
            self._in_answers = _alternatives({s for s in self._known if len(s) >= self.ECHO_MIN})

    def install(self) -> None:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)

    def redact(self, text: str) -> str:
        """An API's answer (text) without the credentials it echoes."""
        return self._in_answers.sub(self.MASK, text) if self._in_answers is not None else text

    def redact_value(self, value: Any) -> Any:
        """An API's answer (JSON) with every string in it (keys too) redacted."""
        if self._in_answers is None:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = self._in_logs
        if pattern is None:
            return True
        message = record.getMessage()
        redacted = pattern.sub(self.MASK, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pattern.sub(self.MASK, record.exc_text)
        return True


def _alternatives(texts: set[str]) -> re.Pattern[str] | None:
    # Longest first: a spelling that holds another is blanked whole.
    ordered = sorted(texts, key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


SECRETS = _Secrets()


# -- the client --------------------------------------------------------------------------


def _no_cookie_jar() -> CookieJar:
    # The client is shared by every call (and, over HTTP, every MCP client): a cookie one
    # answer sets must not ride along on another's requests.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the server asks to wait: a number, or an HTTP date."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _backoff(attempt: int) -> float:
    delay = min(BACKOFF_MAX, BACKOFF_BASE * 2.0**attempt)
    return delay * (0.5 + random.random() / 2)


def _error_body(answer: Answer) -> Any:
    """An error answer's body: JSON, else text cut short; credentials an API echoes blanked."""
    if not answer.body:
        return None
    try:
        return SECRETS.redact_value(json.loads(answer.body))
    except ValueError:
        text = SECRETS.redact(answer.text())
        return text if len(text) <= ERROR_TEXT_MAX else text[:ERROR_TEXT_MAX] + "..."


Handler: TypeAlias = Callable[[runtime.Context[Any], BaseModel], Awaitable[Any]]


def _credential(variable: str, *, raw_in_header: bool = False) -> str:
    """The credential in `variable`, remembered as a secret; ValueError naming the variable,
    never the value, when it cannot be sent.

    A control character is always a mistake (a key file read with its newline, `KEY=$(cat
    key)`; RFC 7617 forbids them in Basic credentials too) and in a header a line break would
    start another header; a value that goes into a header as it is must be ASCII as well.
    """
    value = os.environ[variable]
    SECRETS.add(value)
    if not value.isprintable():
        raise ValueError(
            f"the credential in {variable} holds a line break or another control character "
            "(a trailing newline from the file it was read from?)"
        )
    if raw_in_header and not value.isascii():
        raise ValueError(f"the credential in {variable} goes in a header, which carries only ASCII")
    return value


class HttpClient:
    """The server's connection to its HTTP API: one per built server.

    `handler(operation)` is the generated handler of a tool; `custom(operation, handler)`
    gives a user-owned handler the operation's `Request`; `tools` are the server's tools,
    whose output schemas judge the API's answers; `aclose` closes the connections (the
    server does at shutdown).
    """

    def __init__(self, api: Api, tools: Mapping[str, runtime.Tool] | None = None) -> None:
        self.api = api
        self._client: httpx2.AsyncClient | None = None
        self._tools: Mapping[str, runtime.Tool] = tools if tools is not None else {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._token_lock: anyio.Lock | None = None

    # -- wiring ----------------------------------------------------------------------

    def handler(self, operation: Operation) -> Handler:
        """The generated handler of the tool that calls `operation`."""

        async def call(ctx: runtime.Context[Any], args: Arguments) -> Any:
            request = Request(self, operation, ctx)
            tool = self._tools.get(operation.tool)
            if tool is not None and tool.output_schema is not None:
                return await request.structured(args)
            return await request.text(args)

        return call

    def custom(
        self,
        operation: Operation,
        handler: Callable[[runtime.Context[Any], ModelT, Request], Awaitable[Any]],
    ) -> Callable[[runtime.Context[Any], ModelT], Awaitable[Any]]:
        """A user-owned handler, given the operation's generated request to call."""

        def call(ctx: runtime.Context[Any], args: ModelT) -> Awaitable[Any]:
            return handler(ctx, args, Request(self, operation, ctx))

        return call

    async def aclose(self) -> None:
        """Close the connections; the next request opens new ones."""
        client, self._client = self._client, None
        self._token_lock = None
        if client is not None:
            with anyio.CancelScope(shield=True):
                await client.aclose()

    # -- sending ---------------------------------------------------------------------

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            SECRETS.install()
            self._client = httpx2.AsyncClient(
                timeout=self.api.timeout,
                # Redirects are followed by `_exchange`, within the API's origin only.
                follow_redirects=False,
                cookies=_no_cookie_jar(),
            )
        return self._client

    def base_url(self, operation: Operation | None = None) -> str:
        """The base URL: the environment's override, else the operation's, else the API's.

        The override sends every request to its address, operations with their own included:
        it points the whole API somewhere else (a test server, a proxy, an enterprise host),
        and credentials never go where the one who set it did not say.
        """
        configured = (operation.base_url if operation else None) or self.api.base_url
        return (os.environ.get(self.api.base_url_env) or configured).rstrip("/")

    def token_url(self, scheme: OAuth2ClientCredentials) -> str:
        """The token endpoint: a relative `tokenUrl` resolved (RFC 3986) against the API's
        base URL, as OpenAPI resolves a security scheme's URLs against the Server Object, and
        against the override when set: it moves the whole API, its token endpoint with it.
        An absolute `tokenUrl` names a service of its own and stays."""
        return urljoin(os.environ.get(self.api.base_url_env) or self.api.base_url, scheme.token_url)

    async def send(
        self, ctx: runtime.Context[Any], operation: Operation, values: Mapping[str, Any]
    ) -> Answer:
        """Send the operation's request made of `values`, retrying as the API allows."""
        method, path = operation.method, operation.path
        try:
            prepared = _prepare(operation, values)
        except (ValueError, TypeError) as problem:
            raise HttpRequestInvalid(method, path, str(problem)) from None
        base = self.base_url(operation)
        if not re.match(r"^https?://", base, re.I):
            raise HttpRequestInvalid(
                method,
                path,
                f"the base URL {base!r} is not absolute: set {self.api.base_url_env}",
            )
        # One deadline for the call: the token request, every try and every wait between.
        with anyio.move_on_after(self.api.deadline) as deadline:
            return await self._tries(ctx, operation, prepared, base, deadline)
        raise HttpTimeout(method, path, self.api.deadline, "the call's deadline")

    async def _tries(
        self,
        ctx: runtime.Context[Any],
        operation: Operation,
        prepared: _Prepared,
        base: str,
        deadline: anyio.CancelScope,
    ) -> Answer:
        method, path = operation.method, operation.path
        try:
            await self._authorize(operation, prepared)
        except ValueError as problem:
            raise HttpRequestInvalid(operation.method, operation.path, str(problem)) from None
        url = base + prepared.path
        if prepared.query:
            url += "?" + "&".join(prepared.query)
        headers = dict(prepared.headers)
        if prepared.cookies:
            headers["Cookie"] = "; ".join(prepared.cookies)
        if operation.response == "application/json":
            headers.setdefault("Accept", "application/json")
        client = self._http()
        retries = self.api.retries
        attempt = 0
        while True:
            request = client.build_request(
                method, url, headers=headers, content=prepared.content, files=prepared.files
            )
            try:
                answer = await self._exchange(ctx, client, request, operation)
            except httpx2.TransportError as failure:
                # A connection never made carried nothing; anything later may have been
                # received, so only an idempotent request is sent again.
                unsent = isinstance(
                    failure, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
                )
                if attempt < retries and (unsent or method in IDEMPOTENT_METHODS):
                    await self._wait(ctx, attempt, _backoff(attempt), f"{type(failure).__name__}")
                    attempt += 1
                    continue
                if isinstance(failure, httpx2.TimeoutException):
                    raise HttpTimeout(method, path, self.api.timeout, "each try") from None
                raise HttpRequestFailed(method, path, _describe(failure)) from None
            if answer.status in RETRY_STATUSES and attempt < retries:
                asked = _retry_after(answer.headers)
                delay = asked if asked is not None else _backoff(attempt)
                # A wait the deadline cannot hold is not begun: the API's answer stands.
                left = deadline.deadline - anyio.current_time()
                if (asked is None or asked <= RETRY_AFTER_MAX) and delay < left:
                    await self._wait(ctx, attempt, delay, f"HTTP {answer.status}")
                    attempt += 1
                    continue
            if answer.status == 401:
                self._forget_tokens(operation)
            return answer

    async def _wait(self, ctx: runtime.Context[Any], attempt: int, delay: float, why: str) -> None:
        await ctx.progress(
            attempt + 1,
            None,
            f"{why}; retry {attempt + 1} of {self.api.retries} in {delay:.1f} s",
        )
        await anyio.sleep(delay)

    async def _exchange(
        self,
        ctx: runtime.Context[Any],
        client: httpx2.AsyncClient,
        request: httpx2.Request,
        operation: Operation,
    ) -> Answer:
        """The answer to `request`, redirects within its origin followed (credentials stay on
        them: they go where they went); a redirect to another origin is refused."""
        origin = _origin(request.url)
        for _ in range(MAX_REDIRECTS + 1):
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or location is None:
                    return await self._read(ctx, response)
            finally:
                # Shielded: a cancelled call must still close its connection (the server
                # then sees the client go), not leave it half-read in the pool.
                with anyio.CancelScope(shield=True):
                    await response.aclose()
            target = request.url.join(location)
            if _origin(target) != origin or target.userinfo:
                raise HttpRedirectRefused(
                    operation.method,
                    operation.path,
                    response.status_code,
                    _origin(target),
                    self.api.base_url_env,
                )
            request = _redirected(client, request, response.status_code, target)
        raise HttpRequestFailed(
            operation.method, operation.path, f"more than {MAX_REDIRECTS} redirects"
        )

    async def _read(self, ctx: runtime.Context[Any], response: httpx2.Response) -> Answer:
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
        report = total is not None and total >= PROGRESS_FROM_BYTES
        chunks: list[bytes] = []
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            if report and total is not None:
                await ctx.progress(min(response.num_bytes_downloaded, total), total, "downloading")
        return Answer(response.status_code, response.headers, b"".join(chunks))

    # -- credentials -----------------------------------------------------------------

    async def _authorize(self, operation: Operation, prepared: _Prepared) -> None:
        alternatives = operation.security if operation.security is not None else self.api.security
        if not alternatives:
            return
        for alternative in alternatives:
            schemes = [(name, self.api.auth[name]) for name in alternative]
            if all(os.environ.get(var) for _, scheme in schemes for var in scheme.env_vars()):
                for name, scheme in schemes:
                    await self._apply(name, scheme, prepared)
                return
        raise HttpCredentialsMissing(
            operation.method,
            operation.path,
            [
                [var for name in alternative for var in self.api.auth[name].env_vars()]
                for alternative in alternatives
            ],
        )

    async def _apply(self, name: str, scheme: Scheme, prepared: _Prepared) -> None:
        if isinstance(scheme, Bearer):
            token = _credential(scheme.env, raw_in_header=True)
            prepared.headers["Authorization"] = f"Bearer {token}"
        elif isinstance(scheme, ApiKey):
            key = _credential(scheme.env, raw_in_header=scheme.location == "header")
            if scheme.location == "header":
                prepared.headers[scheme.name] = key
            elif scheme.location == "query":
                prepared.query.append(f"{_encode(scheme.name)}={_encode(key)}")
            else:
                prepared.cookies.append(f"{scheme.name}={_encode(key)}")
        elif isinstance(scheme, Basic):
            pair = _basic(_credential(scheme.username_env), _credential(scheme.password_env))
            prepared.headers["Authorization"] = f"Basic {pair}"
        else:
            token = await self._token(name, scheme)
            prepared.headers["Authorization"] = f"Bearer {token}"

    async def _token(self, name: str, scheme: OAuth2ClientCredentials) -> str:
        client_id = _credential(scheme.client_id_env)
        key = (name, client_id)
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        if self._token_lock is None:
            self._token_lock = anyio.Lock()
        async with self._token_lock:
            cached = self._tokens.get(key)  # fetched while this call waited for the lock
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            form = {"grant_type": "client_credentials"}
            if scheme.scopes:
                form["scope"] = " ".join(scheme.scopes)
            secret = _credential(scheme.client_secret_env)
            url = self.token_url(scheme)
            if not re.match(r"^https?://", url, re.I):
                raise HttpAuthFailed(
                    name,
                    f"the token URL {scheme.token_url!r} is not absolute, nor is the base URL: "
                    f"set {self.api.base_url_env}",
                )
            try:
                response = await self._http().post(
                    url,
                    data=form,
                    headers={
                        "Accept": "application/json",
                        "Authorization": f"Basic {_basic(client_id, secret)}",
                    },
                )
            except httpx2.TransportError as failure:
                raise HttpAuthFailed(name, _describe(failure)) from None
            if response.status_code in REDIRECT_STATUSES:
                # The client secret goes to the token URL the description names, nowhere else.
                raise HttpAuthFailed(
                    name,
                    f"the token endpoint answered with a redirect (HTTP {response.status_code}),"
                    " which is not followed",
                )
            if response.status_code != 200:
                raise HttpAuthFailed(name, f"the token endpoint answered {response.status_code}")
            try:
                grant = response.json()
                token = str(grant["access_token"])
                lifetime = float(grant.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise HttpAuthFailed(name, "the token endpoint's answer has no token") from None
            if not (token.isascii() and token.isprintable()):
                # It goes into a header as it is (RFC 6750's b64token is ASCII).
                raise HttpAuthFailed(name, "the token endpoint's token is not a header's text")
            SECRETS.add(token)
            self._tokens[key] = (token, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN))
            return token

    def _forget_tokens(self, operation: Operation) -> None:
        # A 401 may mean the token was revoked early: the next call fetches a new one.
        alternatives = operation.security if operation.security is not None else self.api.security
        names = {name for alternative in alternatives for name in alternative}
        for key in [k for k in self._tokens if k[0] in names]:
            del self._tokens[key]

    def tool(self, name: str) -> runtime.Tool | None:
        return self._tools.get(name)


def _basic(user: str, password: str) -> str:
    """The credentials of `Authorization: Basic` (RFC 7617), remembered as secrets, both."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    SECRETS.add(password, pair)
    return pair


def _origin(url: httpx2.URL) -> str:
    """A URL's origin (RFC 6454): scheme, host and port, the default port spelled out."""
    port = url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}"


def _redirected(
    client: httpx2.AsyncClient, request: httpx2.Request, status: int, target: httpx2.URL
) -> httpx2.Request:
    """The request a redirect asks for (RFC 9110 15.4): a 303, and a 301 or 302 answering a
    POST, become a GET without a body; a 307 or 308 repeats the request as it was."""
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    headers = httpx2.Headers(request.headers)
    del headers["host"]
    if method != request.method:
        for name in ("content-type", "content-length", "transfer-encoding"):
            headers.pop(name, None)
        return client.build_request(method, target, headers=headers)
    return client.build_request(method, target, headers=headers, content=request.read())


def _describe(failure: httpx2.TransportError) -> str:
    if isinstance(failure, httpx2.TimeoutException):
        return "no answer in time"
    if isinstance(failure, httpx2.ConnectError):
        return "could not connect"
    return type(failure).__name__


class Request:
    """One operation's generated HTTP request, bound to the server's client and a call.

    A user-owned handler gets one: `await request.structured(args)` (or `.text(args)`)
    does what the generated handler would; `await request.send(values)` gives the raw
    answer (after credentials and retries) for handlers that read it themselves.
    """

    __slots__ = ("_client", "ctx", "operation")

    def __init__(self, client: HttpClient, operation: Operation, ctx: runtime.Context[Any]) -> None:
        self._client = client
        self.operation = operation
        self.ctx = ctx

    async def send(self, args: Arguments) -> Answer:
        """The API's answer to the request made of `args`, whatever its status."""
        values = (
            args.model_dump(mode="json", by_alias=True, exclude_unset=True)
            if isinstance(args, BaseModel)
            else dict(args)
        )
        return await self._client.send(self.ctx, self.operation, values)

    async def structured(self, args: Arguments) -> dict[str, Any]:
        """The answer as the tool's structured result; an error status raises its error."""
        operation = self.operation
        answer = self._succeeded(await self.send(args))
        try:
            # Credentials an API echoes (a request URL in a `self` link) are not passed on.
            value = SECRETS.redact_value(json.loads(answer.body)) if answer.body else None
        except ValueError:
            raise self._invalid(answer, ["the answer is not JSON"]) from None
        if operation.wrap is not None:
            value = {operation.wrap: value}
        elif not isinstance(value, dict):
            raise self._invalid(answer, ["the answer is not a JSON object"])
        tool = self._client.tool(operation.tool)
        if operation.strict and tool is not None and tool.output_schema is not None:
            problems = tool.output_errors(value)
            if problems:
                raise self._invalid(answer, problems)
        return value

    async def text(self, args: Arguments) -> str:
        """The answer as text; an error status raises its error."""
        answer = self._succeeded(await self.send(args))
        if self.operation.response == "none" or not answer.body:
            return f"{self.operation.method} {self.operation.path}: HTTP {answer.status}"
        return SECRETS.redact(answer.text())

    def _succeeded(self, answer: Answer) -> Answer:
        """The answer if its status is 2xx, else raise the error the spec maps it to."""
        if 200 <= answer.status < 300:
            return answer
        operation, status = self.operation, answer.status
        body = _error_body(answer)
        errors = operation.errors
        declared = (
            errors.get(str(status)) or errors.get(f"{status // 100}XX") or errors.get("default")
        )
        if declared is not None:
            error_class, data_model = declared
            try:
                data = data_model.model_validate({"status": status, "body": body})
            except ValidationError:
                pass  # the body is not the declared one: say what came, as an HttpError
            else:
                error = error_class(data)
                error.message = _with_excerpt(error.message, body)
                error.args = (error.message,)
                raise error
        data_class = RetryableHttpError if status == 429 or status >= 500 else HttpError
        raise data_class(
            HttpErrorData(
                status=status,
                method=operation.method,
                path=operation.path,
                body=body,
                retry_after=_retry_after(answer.headers),
            )
        )

    def _invalid(self, answer: Answer, problems: Sequence[str]) -> HttpResponseInvalid:
        return HttpResponseInvalid(
            answer.status, self.operation.method, self.operation.path, problems
        )
