"""The descriptors the generated `operations.py` is made of: operations, their parameters
and bodies, the API and its security schemes, and an API's answer.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import httpx2

from ..runtime._errors import DeclaredError

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


BY_CONTENT = Encoding()


@dataclass(frozen=True, slots=True)
class Body:
    """Where the request body comes from, and how it is encoded."""

    content_type: str = "application/json"
    property: str | None = None  # None: every input property that is not a parameter
    base64: bool = False  # an octet-stream body given as base64 text
    # Form bodies: how each property is sent (a property not named here: by its content).
    encoding: Mapping[str, Encoding] = field(default_factory=dict)


# An error answer is checked by the error's data schema (`DeclaredError.from_json`); its
# model is imported only when code reads the typed `.data`.
ErrorTypes: TypeAlias = Mapping[str, type[DeclaredError]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pagination:
    """The input properties that page through an operation's answer, by what they do: how
    many items a page holds (`size`), which page (`page`, from 1), from which item
    (`offset`, from 0), or after which (`cursor`: the value of the last item's `cursor_item`
    field, as Stripe's `starting_after` takes an `id`; without it, an opaque token the
    answer carries). A cut answer names them, with the values that read on (`_trimming`)."""

    size: str | None = None
    page: str | None = None
    offset: str | None = None
    cursor: str | None = None
    cursor_item: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LongRunning:
    """An operation that may answer before it is done (`202 Accepted`), naming a status
    monitor to poll: where the monitor is, how to read it, where the result is, and how
    long to wait (`_long_running` does the polling).

    JSON pointers (RFC 6901) read the bodies; `None` means the usual places: the state at
    `/status`, `/state` or `/properties/provisioningState` (Azure), but none in a monitor
    named by `Location` (the resource to be: its HTTP status says), no percentage.
    """

    # Headers of an answer that name its status monitor, tried in order (`Location` only
    # on a 202: on a 201 it names the created resource, RFC 9110 15.3.2).
    status_headers: tuple[str, ...] = ("Azure-AsyncOperation", "Operation-Location", "Location")
    status_link: str | None = None  # pointer to the monitor's URL in a 202's body
    state: str | None = None  # pointer to the operation's state in a monitor's body
    progress: str | None = None  # pointer to how much is done, in percent
    succeeded: tuple[str, ...] = (
        "succeeded",
        "success",
        "successful",
        "completed",
        "done",
        "finished",
    )
    failed: tuple[str, ...] = ("failed", "failure", "error", "canceled", "cancelled", "aborted")
    # Where the result is once the operation succeeded: the monitor's last answer
    # ("status"), the first answer's `Location` ("location"), the operation's own URL
    # ("original_uri": a PUT that creates), or the URL at `result_link` in the last answer.
    result: Literal["status", "location", "original_uri", "link"] = "status"
    result_link: str | None = None
    poll_interval: float = 5.0  # seconds between polls when the API says nothing
    min_poll_interval: float = 1.0  # a shorter `Retry-After` is raised to this
    max_wait: float = 600.0  # seconds from the first answer to the result, at most


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
    # "404" / "4XX" / "default" -> the error it raises.
    errors: ErrorTypes = field(default_factory=dict)
    security: tuple[tuple[str, ...], ...] | None = None  # None: the API's
    strict: bool = True  # check the answer against the output schema
    max_response_bytes: int | None = None  # None: the API's
    pagination: Pagination | None = None
    long_running: LongRunning | None = None  # None: the first answer is the result


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


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsSigV4:
    """AWS Signature Version 4: each request signed for `service` (its signing name) in a
    region: `region`, else the one the API's host names, else the environment's (`_sigv4`)."""

    service: str
    access_key_env: str
    secret_key_env: str
    region: str | None = None

    def env_vars(self) -> list[str]:
        return [self.access_key_env, self.secret_key_env]


Scheme: TypeAlias = Bearer | ApiKey | Basic | OAuth2ClientCredentials | AwsSigV4


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
    # The most bytes of an answer a tool passes on; the rest is cut (`_trimming`). The
    # variable, when set, overrides it for every operation (`--max-response-bytes`).
    max_response_bytes: int = 100_000
    max_response_bytes_env: str | None = None
    forward_headers: Sequence[str] = ()
    """Headers of the MCP client's HTTP request sent on to the API (a per-user credential);
    the client's `Authorization` never is (`runtime._context.forwarded_headers`)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, read in full."""

    status: int
    headers: httpx2.Headers
    body: bytes
    url: str = ""  # where the answer came from (after redirects): relative links resolve on it

    def retry_after(self) -> float | None:
        """Seconds the server asks to wait (`Retry-After`): a number, or an HTTP date."""
        value = self.headers.get("retry-after")
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

    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w.-]+)", self.headers.get("content-type", ""), re.I)
        if match:
            charset = match[1]
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")
