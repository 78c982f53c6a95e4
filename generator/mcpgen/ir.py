"""The intermediate representation: a resolved spec, ready to render.

Frozen dataclasses, every name already a valid Python name, every schema already
self-contained, every collection already in its final order. Templates only read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcpgen.diagnostics import SpecPath
from mcpgen.names import ClassName, PyIdent

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class ModelIR:
    """A pydantic model to generate: its class name and its schema (refs -> `#/$defs/...`)."""

    class_name: ClassName
    schema: JsonSchema
    origin: SpecPath


@dataclass(frozen=True)
class LimitsIR:
    """Concurrency and rate limits of one tool, or of all tool calls of the server."""

    max_concurrency: int | None
    rate_limit: tuple[int, float] | None  # (calls, per seconds)
    when_busy: str  # "wait" | "reject"
    max_wait: float


@dataclass(frozen=True)
class AuthIR:
    """`[server.auth]`: the defaults of the resource server's run-time options."""

    issuer: str | None
    audience: str | None
    jwks_url: str | None
    introspection_url: str | None
    scopes: tuple[str, ...]
    algorithms: tuple[str, ...] | None  # None: every asymmetric algorithm the runtime knows
    leeway: float
    documentation: str | None


@dataclass(frozen=True)
class ServerIR:
    name: str
    version: str
    title: str | None
    description: str | None
    instructions: str | None
    website_url: str | None
    package: PyIdent
    lifespan: bool
    limits: LimitsIR | None
    auth: AuthIR | None = None
    tool_surface: str = "tools"  # "tools" | "search"


@dataclass(frozen=True)
class ErrorIR:
    name: str
    class_name: ClassName
    code: int
    message: str
    description: str | None
    data_model: ClassName | None
    jsonrpc: bool
    retryable: bool
    # The data's JSON Schema (with its `$defs`), beside `data_model`: an API's error answer is
    # checked by it, without importing the models (`errors.json`).
    data_schema: JsonSchema | None = None


@dataclass(frozen=True)
class HttpParamIR:
    """One input property sent as a path, query, header or cookie parameter."""

    property: str  # the input property (its JSON name)
    name: str  # the name on the wire
    location: str  # "path" | "query" | "header" | "cookie"
    style: str  # the OpenAPI style, defaults applied
    explode: bool
    allow_reserved: bool
    json: bool  # an object or array value goes as JSON text (OpenAPI `content`)


@dataclass(frozen=True)
class HttpEncodingIR:
    """How one property of a form body is sent, OpenAPI's defaults applied."""

    name: str  # the body's property
    style: str | None  # None: by its content
    explode: bool
    allow_reserved: bool
    content_type: str | None
    binary: bool  # multipart: base64 text sent as bytes

    @property
    def arguments(self) -> tuple[tuple[str, Any], ...]:
        """Keyword arguments of the runtime's `Encoding`: those that are not its defaults."""
        given = (
            ("style", self.style, None),
            ("explode", self.explode, True),
            ("allow_reserved", self.allow_reserved, False),
            ("content_type", self.content_type, None),
            ("binary", self.binary, False),
        )
        return tuple((key, value) for key, value, default in given if value != default)


@dataclass(frozen=True)
class HttpErrorIR:
    """An HTTP status ("404"), range ("4XX") or "default", and the error type it raises."""

    status: str
    error: ErrorIR


@dataclass(frozen=True)
class HttpOperationIR:
    """The HTTP request a tool makes, and how its answer becomes the tool's result."""

    method: str
    path: str
    query: str | None  # the fixed query, sent before the parameters
    operation_id: str | None
    base_url: str | None  # None: the API's
    custom: bool  # a user-owned handler calls the generated request
    params: tuple[HttpParamIR, ...]
    body_content_type: str | None  # None: no request body
    body_property: str | None  # the input property holding the whole body; None: merged
    body_base64: bool  # an octet-stream body property that holds base64 text
    body_encoding: tuple[HttpEncodingIR, ...]  # form bodies: the properties not sent as text
    response_content_type: str  # "application/json" | "text" | "none"
    wrap: str | None
    errors: tuple[HttpErrorIR, ...]  # exact statuses first, then ranges, then "default"
    security: tuple[tuple[str, ...], ...] | None  # None: the API's
    max_response_bytes: int | None = None  # None: the API's
    # Keyword arguments of the runtime's `Pagination`, in a fixed order; empty: none.
    pagination: tuple[tuple[str, str], ...] = ()
    # Keyword arguments of the runtime's `LongRunning` the spec sets (lists as tuples), in
    # the spec's order; None: the operation's first answer is its result.
    long_running: tuple[tuple[str, Any], ...] | None = None


@dataclass(frozen=True)
class HttpAuthIR:
    """A credential scheme: its name, kind and where its secrets come from."""

    name: str
    kind: str  # the runtime class: Bearer, ApiKey, Basic, OAuth2ClientCredentials, AwsSigV4
    # Keyword arguments of the runtime's scheme class, in a fixed order.
    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class HttpIR:
    """The HTTP API the server's tools call."""

    base_url: str
    base_url_env: str
    timeout: float  # seconds for each try
    retries: int
    deadline: float  # seconds for a whole call
    auth: tuple[HttpAuthIR, ...]
    security: tuple[tuple[str, ...], ...]
    # Headers of the MCP client's request sent on to the API (lower case, sorted).
    forward_headers: tuple[str, ...] = ()
    max_response_bytes: int = 100_000
    max_response_bytes_env: str = ""


@dataclass(frozen=True)
class ToolIR:
    name: str
    ident: PyIdent
    class_name: ClassName
    title: str | None
    description: str | None
    # Keyword arguments of `ToolAnnotations`, in a fixed order.
    annotations: tuple[tuple[str, Any], ...]
    # The models a user-owned handler takes and returns. A generated HTTP handler sends the
    # arguments on as they came (checked against `input_schema`), so its tool has neither.
    input_model: ClassName | None
    output_model: ClassName | None
    input_schema: JsonSchema
    output_schema: JsonSchema | None
    # Whether `tools/list` carries `output_schema` (the server checks results either way).
    list_output_schema: bool
    progress: bool
    cancellable: bool
    limits: LimitsIR | None
    output_validation: bool
    timeout: float | None
    stream: bool
    task_support: str  # "forbidden" | "optional" | "required"
    task_starts: str  # "at_once" | "at_detach"
    meta: dict[str, Any]
    errors: tuple[ErrorIR, ...]
    examples: tuple[dict[str, Any], ...]
    path: SpecPath
    http: HttpOperationIR | None = None
    scopes: tuple[str, ...] = ()  # OAuth scopes a call needs besides the server's
    tags: tuple[str, ...] = ()  # its toolsets: its own tags, then its operation's

    @property
    def user_handler(self) -> bool:
        """Whether the user writes its handler: all but the HTTP calls mcpgen writes."""
        return self.http is None or self.http.custom


@dataclass(frozen=True)
class ResourceIR:
    uri: str
    name: str
    ident: PyIdent
    title: str | None
    description: str | None
    mime_type: str | None
    text: str | None
    subscribe: bool
    meta: dict[str, Any]
    path: SpecPath


@dataclass(frozen=True)
class CompleterIR:
    argument: str
    ident: PyIdent


@dataclass(frozen=True)
class TemplateIR:
    uri_template: str
    name: str
    ident: PyIdent
    class_name: ClassName
    title: str | None
    description: str | None
    mime_type: str | None
    params_model: ClassName
    variables: tuple[str, ...]
    completers: tuple[CompleterIR, ...]
    subscribe: bool
    meta: dict[str, Any]
    path: SpecPath


@dataclass(frozen=True)
class PromptArgumentIR:
    name: str
    description: str | None
    required: bool


@dataclass(frozen=True)
class PromptIR:
    name: str
    ident: PyIdent
    class_name: ClassName
    title: str | None
    description: str | None
    arguments: tuple[PromptArgumentIR, ...]
    arguments_model: ClassName
    completers: tuple[CompleterIR, ...]
    meta: dict[str, Any]
    path: SpecPath


@dataclass(frozen=True)
class SpecIR:
    server: ServerIR
    models: tuple[ModelIR, ...]
    errors: tuple[ErrorIR, ...]
    tools: tuple[ToolIR, ...]
    resources: tuple[ResourceIR, ...]
    templates: tuple[TemplateIR, ...]
    prompts: tuple[PromptIR, ...]
    spec_file: str
    spec_sha256: str
    http: HttpIR | None = None
