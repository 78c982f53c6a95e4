"""The spec language, version 1, as pydantic models.

These models are the single definition of the language: `load` validates against them, and
`mcpgen schema` exports their JSON Schema (kept in `specs/` and drift-tested) for editors.
Unknown keys are refused everywhere, so a misspelling never passes silently.
JSON Schema values (tool inputs, outputs, types) stay plain dicts here; `resolve` checks them
against the JSON Schema metaschema.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

JsonSchema = dict[str, Any]

SPEC_VERSION: Literal[1] = 1

# What an http tool's body can be sent as (`HttpBody.content_type`), the importer's
# preference first: JSON, either form, text, bytes. Besides application/json, a body goes
# as any JSON type named in full (`NAMED_JSON_TYPE`: Kubernetes' PATCH takes only
# merge-patch and its kin); a wildcard such as `application/*+json` names none.
BODY_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NAMED_JSON_TYPE = re.compile(r"application/[\w.-]+\+json")
# A JSON body's media type as a request sends it: application/json or a named `+json`
# type, with the parameters the API names (Azure Batch's `application/json;
# odata=minimalmetadata`), written `type; name=value`.
SENT_JSON_TYPE = re.compile(r"application/(json|[\w.-]+\+json)(; [\w.-]+=[\w.-]+)*")


def sent_json_type(media: str) -> str | None:
    """`media`, a JSON media type, as a request sends it (type and subtype in lower case,
    its parameters kept, one space after each `;`); None when it is no JSON type a request
    can be sent as (a wildcard, a parameter that is not `name=value`)."""
    base, *parameters = (part.strip() for part in media.split(";"))
    sent = "; ".join([base.lower(), *filter(None, parameters)])
    return sent if SENT_JSON_TYPE.fullmatch(sent) else None


# The styles a form body's property (OpenAPI's Encoding) or a query parameter takes.
FormStyle = Literal["form", "spaceDelimited", "pipeDelimited", "deepObject"]
FORM_STYLES: tuple[str, ...] = get_args(FormStyle)


class _Strict(BaseModel):
    # strict: `progress = "yes"` is a mistake to report, not a value to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RateLimit(_Strict):
    """At most `calls` calls in any `per` seconds."""

    calls: Annotated[int, Field(ge=1)]
    per: Annotated[float, Field(gt=0, description="Window in seconds.")] = 1.0


class _Limits(_Strict):
    max_concurrency: Annotated[
        int | None, Field(ge=1, description="At most this many calls run at once.")
    ] = None
    rate_limit: Annotated[
        RateLimit | None, Field(description="At most so many calls per window.")
    ] = None
    when_busy: Annotated[
        Literal["wait", "reject"],
        Field(
            description="A call over a limit waits (at most `max_wait` seconds) or is refused "
            "at once; either way a refusal is a structured, retryable error."
        ),
    ] = "wait"
    max_wait: Annotated[
        float, Field(ge=0, description="Seconds a call may wait for a limit before it is refused.")
    ] = 30.0


# An OAuth scope (RFC 6749 section 3.3: printable ASCII but space, `"` and `\`).
Scope = Annotated[str, Field(pattern=r"^[!#-\[\]-~]+$")]
# The JWS algorithms a token may be signed with: asymmetric only (never `none`, never an
# HMAC whose secret would be the issuer's public key).
JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
Url = Annotated[str, Field(pattern=r"^https?://[^\s/]+", description="An http(s) URL.")]


class ServerAuth(_Strict):
    """Inbound authorization over streamable HTTP (the MCP authorization spec): every
    request needs a bearer token the issuer gave for this server. Each value here is a
    default that `--auth-*` options and `<PACKAGE>_AUTH_*` variables override at run time;
    issuer and audience must be known by then."""

    issuer: Annotated[
        Url | None,
        Field(description="The authorization server whose tokens are taken (their `iss`)."),
    ] = None
    audience: Annotated[
        Url | None,
        Field(
            description="This server's resource URL (https://mcp.example.com/mcp): the `aud` "
            "its tokens must carry and the `resource` of its Protected Resource Metadata."
        ),
    ] = None
    jwks_url: Annotated[
        Url | None,
        Field(description="The issuer's keys (default: found in its RFC 8414 or OpenID metadata)."),
    ] = None
    introspection_url: Annotated[
        Url | None,
        Field(
            description="Check opaque tokens here (RFC 7662) instead of as JWTs; the client id "
            "and secret come from <PACKAGE>_AUTH_CLIENT_ID and <PACKAGE>_AUTH_CLIENT_SECRET."
        ),
    ] = None
    scopes: Annotated[list[Scope], Field(description="Scopes every request needs.")] = Field(
        default_factory=list
    )
    algorithms: Annotated[
        list[JwtAlgorithm] | None,
        Field(min_length=1, description="Signing algorithms accepted (default: all listed)."),
    ] = None
    leeway: Annotated[
        float,
        Field(ge=0, le=300, description="Seconds a token's exp and nbf may be off by."),
    ] = 30.0
    documentation: Annotated[
        Url | None,
        Field(description="A page for people on how to get access (in the metadata)."),
    ] = None


class ServerSection(_Limits):
    """Identity of the server, and limits over all its tool calls."""

    name: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z][A-Za-z0-9._-]*$",
            max_length=100,
            description="Wire name of the server; the Python package name derives from it.",
        ),
    ]
    version: Annotated[str, Field(min_length=1, description="Server version.")] = "0.1.0"
    title: Annotated[str | None, Field(description="Human-readable name.")] = None
    description: str | None = None
    instructions: Annotated[
        str | None, Field(description="Sent to clients at initialization: how to use the server.")
    ] = None
    website_url: str | None = None
    package: Annotated[
        str | None,
        Field(
            pattern=r"^[a-z_][a-z0-9_]*$",
            description="Python import name of the generated package (default: from `name`).",
        ),
    ] = None
    lifespan: Annotated[
        bool,
        Field(
            description="A user-owned lifespan (handlers/lifespan.py) sets up state at start-up, "
            "tears it down at shutdown, and every handler reads it as `ctx.state`."
        ),
    ] = False
    auth: Annotated[
        ServerAuth | None,
        Field(description="Who may call the server over HTTP: OAuth bearer tokens."),
    ] = None
    # What `tools/list` carries (issue 16: a tool surface within a model's budget).
    list_output_schemas: Annotated[
        bool,
        Field(
            description="Send each tool's output schema in tools/list (default). false: "
            "results are still checked against it by the server, but clients no longer see "
            "it (the SDK client then does not check structured results, and a model does not "
            "see their shape); a tool's `list_output_schema` overrides this."
        ),
    ] = True
    tool_surface: Annotated[
        Literal["tools", "search"],
        Field(
            description="tools: one tool per operation in `tools/list`; search: three tools "
            "that search the operations by words, describe one and call one by name, for APIs "
            "too big to list (needs the package's `search` extra). `--tool-surface` overrides it."
        ),
    ] = "tools"


class ErrorType(_Strict):
    """A structured error a handler may raise; becomes an exception class with typed data."""

    code: Annotated[
        int,
        Field(
            description="JSON-RPC error code; -32000..-32099 is the range for server errors.",
        ),
    ]
    message: Annotated[
        str,
        Field(
            min_length=1,
            description="Message template; `{field}` placeholders name properties of `data`.",
        ),
    ]
    description: str | None = None
    data: Annotated[
        JsonSchema | None, Field(description="JSON Schema (an object) of the error's data.")
    ] = None
    jsonrpc: Annotated[
        bool,
        Field(
            description="Raised in a tool, answer with a JSON-RPC error instead of an `isError` "
            "result (for failures of the request itself rather than of the tool's work)."
        ),
    ] = False
    retryable: Annotated[
        bool, Field(description="Tells the client that the same call may succeed later.")
    ] = False


class ToolAnnotations(_Strict):
    """Hints about a tool's behaviour, for clients deciding how to present or confirm it."""

    title: str | None = None
    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = None


Meta = Annotated[
    dict[str, Any],
    Field(description="Extra metadata sent as `_meta` (keys like `vendor.example/key`)."),
]


# --- HTTP bindings: a tool that calls an HTTP API (what `mcpgen import openapi` writes) ---

HttpMethod = Literal["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]
SecurityRequirements = Annotated[
    list[list[str]],
    Field(
        description="Alternatives, each a list of `http.auth` scheme names that apply together "
        "(OpenAPI's security requirement). The first alternative whose credentials are all set "
        "in the environment is used; an empty alternative means no credentials are needed."
    ),
]
EnvVar = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# A JSON pointer (RFC 6901) into an answer's body: "" (the whole body) or "/a/b".
JsonPointer = Annotated[str, Field(pattern=r"^(/([^~]|~[01])*)*$")]
HeaderName = Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]


def credential_place(kind: str, where: str | None = None, name: str | None = None) -> str:
    """Where a scheme of `kind` puts its credential in a request: "header Authorization" for
    bearer, basic, OAuth 2 and SigV4, else the API key's own place ("query api_key"). A
    request carries each place once, so two schemes of one security requirement that share
    a place can never both be sent (header names compared without case)."""
    if kind != "api_key" or where is None or name is None:
        return "header Authorization"
    if where == "header" and name.lower() == "authorization":
        return "header Authorization"
    return f"{where} {name}"


def compared_place(place: str) -> str:
    """A credential's place as two are compared: header names without case."""
    return place.lower() if place.startswith("header ") else place


# The headers of an AWS Signature Version 4 besides `Authorization` (lower case), which AWS
# descriptions also declare as every operation's parameters: the signer sends them.
SIGV4_HEADERS = frozenset(
    {
        "x-amz-algorithm",
        "x-amz-content-sha256",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-signedheaders",
    }
)


def filled_places(kind: str, where: str | None = None, name: str | None = None) -> set[str]:
    """Every place a scheme of `kind` fills in a request, as `compared_place` spells it: its
    credential's place, and a SigV4 signature's headers. A parameter there would be sent
    twice, and ask the caller for a credential."""
    places = {compared_place(credential_place(kind, where, name))}
    if kind == "aws_sigv4":
        places.update(f"header {header}" for header in SIGV4_HEADERS)
    return places


def credential_places_clash(places: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """The first two (scheme, place) pairs of one requirement that share a place, as
    (first scheme, second scheme, place); None when none do."""
    seen: dict[str, tuple[str, str]] = {}
    for scheme, place in places:
        key = compared_place(place)
        if key in seen:
            return seen[key][0], scheme, seen[key][1]
        seen[key] = (scheme, place)
    return None


class BearerAuth(_Strict):
    """`Authorization: Bearer <token>`, the token read from an environment variable."""

    type: Literal["bearer"]
    env: Annotated[EnvVar, Field(description="Environment variable holding the token.")]


class ApiKeyAuth(_Strict):
    """An API key sent as a header, query parameter or cookie."""

    type: Literal["api_key"]
    in_: Annotated[Literal["header", "query", "cookie"], Field(alias="in")]
    name: Annotated[str, Field(min_length=1, description="Header, parameter or cookie name.")]
    env: Annotated[EnvVar, Field(description="Environment variable holding the key.")]


class BasicAuth(_Strict):
    """HTTP Basic authentication."""

    type: Literal["basic"]
    username_env: EnvVar
    password_env: EnvVar


class OAuth2ClientCredentials(_Strict):
    """OAuth 2 client credentials: a token fetched from `token_url`, cached until it expires."""

    type: Literal["oauth2_client_credentials"]
    token_url: Annotated[str, Field(min_length=1)]
    scopes: list[str] = Field(default_factory=list)
    client_id_env: EnvVar
    client_secret_env: EnvVar


class AwsSigV4Auth(_Strict):
    """AWS Signature Version 4: every request signed with the credentials of the standard AWS
    variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN when temporary)."""

    type: Literal["aws_sigv4"]
    service: Annotated[
        str,
        Field(
            min_length=1,
            pattern=r"^[A-Za-z0-9._-]+$",
            description="The service's signing name (`execute-api`, `sts`, `kinesisvideo`).",
        ),
    ]
    region: Annotated[
        str | None,
        Field(
            pattern=r"^[a-z0-9-]+$",
            description="The region signed for; unset: the one the API's host names "
            "(`sts.eu-west-1.amazonaws.com`), us-east-1 for a global endpoint "
            "(`iam.amazonaws.com`), else AWS_REGION or AWS_DEFAULT_REGION at run time.",
        ),
    ] = None


HttpAuth = Annotated[
    BearerAuth | ApiKeyAuth | BasicAuth | OAuth2ClientCredentials | AwsSigV4Auth,
    Field(discriminator="type"),
]


class HttpSection(_Strict):
    """The HTTP API that tools with an `http` binding call."""

    base_url: Annotated[
        str, Field(min_length=1, description="Base URL; operation paths are appended to it.")
    ]
    base_url_env: Annotated[
        EnvVar | None,
        Field(
            description="Environment variable that overrides `base_url` (default: "
            "<PACKAGE>_BASE_URL)."
        ),
    ] = None
    timeout: Annotated[
        float, Field(gt=0, description="Seconds for each try of an HTTP request.")
    ] = 30.0
    deadline: Annotated[
        float,
        Field(
            gt=0,
            description="Seconds a tool's HTTP call may take in all (the OAuth token request, "
            "every try, every wait between tries); then it fails with a retryable ToolTimeout.",
        ),
    ] = 30.0
    retries: Annotated[
        int,
        Field(
            ge=0,
            description="Retries after 429 or 503 answers, with backoff that honours "
            "`Retry-After`.",
        ),
    ] = 2
    auth: Annotated[
        dict[str, HttpAuth],
        Field(description="Credential schemes by name, read from the environment."),
    ] = Field(default_factory=dict)
    security: SecurityRequirements = Field(default_factory=list)
    # 100,000 bytes is 25,000 tokens at 4 bytes a token: Claude Code's default cap on an MCP
    # tool's output (MAX_MCP_OUTPUT_TOKENS), 12% of a 200k-token context. The runtime's
    # `http_client.Api` has the same default.
    max_response_bytes: Annotated[
        int,
        Field(
            ge=1_000,
            description="The most bytes of an answer a generated tool passes on (as its text "
            "content carries it); a longer one is cut where it stays valid, with a note of what "
            "was cut and the paging arguments that read on. <PACKAGE>_MAX_RESPONSE_BYTES or "
            "--max-response-bytes overrides it, and every tool's own, at run time.",
        ),
    ] = 100_000
    forward_headers: Annotated[
        list[HeaderName],
        Field(
            description="Headers of the MCP client's HTTP request sent on to the API as they "
            "came (a per-user credential such as X-User-Token). Nothing is forwarded unless "
            "listed; the client's `Authorization` never is."
        ),
    ] = Field(default_factory=list)


class HttpParam(_Strict):
    """Where one input property goes in the request."""

    in_: Annotated[Literal["path", "query", "header", "cookie"], Field(alias="in")]
    name: Annotated[
        str | None,
        Field(min_length=1, description="Name on the wire (default: the input property's name)."),
    ] = None
    style: Annotated[
        Literal[
            "simple", "label", "matrix", "form", "spaceDelimited", "pipeDelimited", "deepObject"
        ]
        | None,
        Field(
            description="OpenAPI serialization style (default: simple for path and header, "
            "form for query and cookie)."
        ),
    ] = None
    explode: Annotated[
        bool | None, Field(description="OpenAPI explode (default: true for form, else false).")
    ] = None
    content_type: Annotated[
        str | None,
        Field(
            description="The parameter is sent as this JSON media type (OpenAPI `content`): an "
            "object or array as JSON text, not spread by a style; a scalar as itself."
        ),
    ] = None
    allow_reserved: Annotated[
        bool,
        Field(
            description="OpenAPI allowReserved (query parameters): characters reserved in URIs "
            "(`:/?@!$'()*,;`) and percent-encoded triples go as they are; the rest is "
            "percent-encoded."
        ),
    ] = False


class HttpEncoding(_Strict):
    """How one property of a form body is sent (OpenAPI's Encoding Object).

    With any of `style`, `explode`, `allow_reserved`, the property is serialised as a query
    parameter of that style (default form, exploded); without, by its content: text, JSON for
    objects and a JSON `content_type`, and in multipart bodies the part's `content_type`.
    """

    content_type: Annotated[
        str | None,
        Field(
            min_length=1,
            description="Media type of the property's value (OpenAPI contentType: a "
            "comma-separated list, wildcards allowed); ignored when a style is set.",
        ),
    ] = None
    style: FormStyle | None = None
    explode: Annotated[bool | None, Field(description="Default: true for form, else false.")] = None
    allow_reserved: bool | None = None


class HttpBody(_Strict):
    """Where the request body comes from."""

    content_type: Annotated[
        str,
        Field(
            description="How the body is sent: JSON (application/json, or another JSON media "
            "type such as application/merge-patch+json, sent as named, with parameters "
            "such as `; odata=minimalmetadata`), "
            "application/x-www-form-urlencoded, multipart/form-data, text/plain or "
            "application/octet-stream."
        ),
    ] = "application/json"
    property: Annotated[
        str | None,
        Field(
            description="The input property holding the whole body; without it, every input "
            "property not listed in `params` is a property of the body object."
        ),
    ] = None
    encoding: Annotated[
        dict[str, HttpEncoding],
        Field(
            description="Form bodies (urlencoded, multipart): how each property of the body "
            "object is sent, by name."
        ),
    ] = Field(default_factory=dict)


class HttpResponse(_Strict):
    """How the success response becomes the tool's result."""

    content_type: Annotated[
        Literal["application/json", "text", "none"],
        Field(
            description="application/json: structured content (checked against `output`); "
            "text: the body as text content; none: no body is expected."
        ),
    ] = "application/json"
    wrap: Annotated[
        str | None,
        Field(
            description="The output schema holds the body under this property (for bodies "
            "that are not JSON objects: an MCP structured result is an object)."
        ),
    ] = None


class HttpPagination(_Strict):
    """The input properties that page through the operation's answer (the import finds
    them); a cut answer names them with the values that read on."""

    size: Annotated[
        str | None, Field(description="Items per page (per_page, limit, pageSize, $top).")
    ] = None
    page: Annotated[str | None, Field(description="The page number, from 1.")] = None
    offset: Annotated[str | None, Field(description="Items to skip (offset, $skip).")] = None
    cursor: Annotated[
        str | None,
        Field(
            description="Where the page starts: a token an answer gives (pageToken, cursor), "
            "or with `cursor_item` the last item's field (Stripe's starting_after)."
        ),
    ] = None
    cursor_item: Annotated[
        str | None,
        Field(description="The item field whose value, of the last item shown, is `cursor`."),
    ] = None


class HttpLongRunning(_Strict):
    """The operation may answer before it is done (`202 Accepted`), naming a status monitor
    the server polls until the operation ends; the call runs as a task where the client
    speaks tasks (the tool's `task_support`), else it waits, with progress.

    An answer starts polling when it names a monitor: by one of `status_headers` (`Location`
    only on a 202), or on a 202 by the link at `status_link`. A monitor on another origin than
    the API's is polled without credentials.
    """

    status_headers: Annotated[
        list[HeaderName],
        Field(description="Headers naming the status monitor, tried in order."),
    ] = Field(default_factory=lambda: ["Azure-AsyncOperation", "Operation-Location", "Location"])
    status_link: Annotated[
        JsonPointer | None,
        Field(description="JSON pointer to the monitor's URL in a 202's body."),
    ] = None
    state: Annotated[
        JsonPointer | None,
        Field(
            description="JSON pointer to the operation's state in the monitor's body (default: "
            "/status, /state or /properties/provisioningState, the first that holds a string; "
            "none for a monitor named by Location, the resource to be, read by its status). "
            "A 202 from the monitor means running; a success without a state means done."
        ),
    ] = None
    progress: Annotated[
        JsonPointer | None,
        Field(description="JSON pointer to how much is done, in percent, in the monitor's body."),
    ] = None
    succeeded: Annotated[
        list[Annotated[str, Field(min_length=1)]],
        Field(min_length=1, description="States that end the operation well (any case)."),
    ] = Field(
        default_factory=lambda: [
            "succeeded",
            "success",
            "successful",
            "completed",
            "done",
            "finished",
        ]
    )
    failed: Annotated[
        list[Annotated[str, Field(min_length=1)]],
        Field(
            min_length=1,
            description="States that end it badly (any case): the tool's error names the state "
            "and carries the monitor's body.",
        ),
    ] = Field(
        default_factory=lambda: ["failed", "failure", "error", "canceled", "cancelled", "aborted"]
    )
    result: Annotated[
        Literal["status", "location", "original_uri", "link"],
        Field(
            description="Where the result is once it succeeded: the monitor's last answer; a GET "
            "of the first answer's Location; a GET of the operation's own URL (a PUT that "
            "creates); a GET of the URL at `result_link` in the monitor's last answer."
        ),
    ] = "status"
    result_link: Annotated[
        JsonPointer | None,
        Field(description='JSON pointer to the result\'s URL (with result = "link").'),
    ] = None
    poll_interval: Annotated[
        float,
        Field(ge=0.1, description="Seconds between polls when the API sends no Retry-After."),
    ] = 5.0
    min_poll_interval: Annotated[
        float,
        Field(
            ge=0.1,
            description="A shorter Retry-After is raised to this many seconds: an API's "
            "`Retry-After: 0` does not make a busy loop of its status endpoint.",
        ),
    ] = 1.0
    max_wait: Annotated[
        float,
        Field(
            gt=0,
            description="Seconds from the first answer to the result, at most; then the call "
            "fails with HttpOperationUnfinished (not retryable: the operation may still run).",
        ),
    ] = 600.0


class ToolHttp(_Strict):
    """The HTTP operation a tool calls; where it came from, and how its input maps to a request."""

    method: HttpMethod
    path: Annotated[
        str,
        Field(
            pattern=r"^/",
            description="Path under the base URL with `{name}` parameters; no query (see "
            "`query`) and no fragment.",
        ),
    ]
    query: Annotated[
        str | None,
        Field(
            min_length=1,
            description="A fixed query sent before the parameters, as written (`cors`, "
            "`Action=AddRoleToDBCluster`, `v=2&full=true`): percent-encoded where it must be, "
            "without the `?`.",
        ),
    ] = None
    openapi_path: Annotated[
        str | None,
        Field(
            description="The path as the OpenAPI document writes it, when it held a query or a "
            "fragment that `path` and `query` took apart: with `method`, the operation's "
            "identity on re-import when it has no operationId.",
        ),
    ] = None
    operation_id: Annotated[
        str | None,
        Field(description="The OpenAPI operationId, the operation's identity on re-import."),
    ] = None
    base_url: Annotated[
        str | None,
        Field(
            min_length=1,
            description="Where this operation is served, when not at `http.base_url` (an "
            "OpenAPI operation's or path's own `servers`). The `base_url_env` override, when "
            "set, still sends every request to its address.",
        ),
    ] = None
    tags: list[str] = Field(default_factory=list)
    deprecated: Annotated[
        bool, Field(description="The API marks the operation deprecated (kept as metadata).")
    ] = False
    handler: Annotated[
        Literal["generated", "custom"],
        Field(
            description="generated: mcpgen writes the call; custom: a user-owned handler "
            "(scaffolded once, calling the generated request) replaces it."
        ),
    ] = "generated"
    params: Annotated[
        dict[str, HttpParam],
        Field(description="Input properties sent as path, query, header or cookie parameters."),
    ] = Field(default_factory=dict)
    body: HttpBody | None = None
    response: HttpResponse = Field(default_factory=HttpResponse)
    errors: Annotated[
        dict[str, str],
        Field(
            description='HTTP status ("404"), range ("4XX") or "default" -> the error type '
            "(from `errors`) the tool raises for it, with the status and the body as data."
        ),
    ] = Field(default_factory=dict)
    security: Annotated[
        list[list[str]] | None, Field(description="Overrides `http.security` for this operation.")
    ] = None
    max_response_bytes: Annotated[
        int | None,
        Field(ge=1_000, description="Overrides `[http] max_response_bytes` for this tool."),
    ] = None
    pagination: HttpPagination | None = None
    long_running: Annotated[
        HttpLongRunning | None,
        Field(
            description="The operation may answer `202 Accepted` and end later: the server polls "
            "its status monitor (`{}` for the usual headers and states)."
        ),
    ] = None


class OpenApiSelection(_Strict):
    tags: list[str] = Field(default_factory=list)
    paths: Annotated[list[str], Field(description="Glob patterns over paths, like `/pets/*`.")] = (
        Field(default_factory=list)
    )
    operations: Annotated[list[str], Field(description="operationIds, or `METHOD /path`.")] = Field(
        default_factory=list
    )
    deprecated: Annotated[
        bool, Field(description="Operations the API marks deprecated (`deprecated: true`).")
    ] = False


class OpenApiSource(_Strict):
    """Where `mcpgen import openapi` took this spec from; re-import reads it."""

    source: Annotated[
        str,
        Field(
            min_length=1,
            description="The OpenAPI document: a path relative to this spec, or a URL.",
        ),
    ]
    include: OpenApiSelection = Field(default_factory=OpenApiSelection)
    exclude: OpenApiSelection = Field(default_factory=OpenApiSelection)


class Tool(_Limits):
    """A tool: JSON Schema input and (optionally) output, and a typed handler."""

    name: Annotated[
        str,
        Field(description="Wire name; must match ^[A-Za-z0-9._-]{1,128}$ (at most 64 advised)."),
    ]
    title: str | None = None
    description: str | None = None
    annotations: ToolAnnotations | None = None
    input: Annotated[
        JsonSchema,
        Field(description="JSON Schema of the arguments: an object schema, inline or `$ref`."),
    ] = Field(default_factory=lambda: {"type": "object"})
    output: Annotated[
        JsonSchema | None,
        Field(description="JSON Schema of the structured result: an object schema, or none."),
    ] = None
    progress: Annotated[bool, Field(description="The handler reports progress.")] = False
    cancellable: Annotated[
        bool, Field(description="The handler checks for cancellation at checkpoints.")
    ] = False
    list_output_schema: Annotated[
        bool | None,
        Field(
            description="Send this tool's output schema in tools/list (default: the server's "
            "`list_output_schemas`); the server checks results against it either way."
        ),
    ] = None
    output_validation: Annotated[
        Literal["strict", "off"],
        Field(
            description="strict: the handler's result is checked against the output schema "
            "before it is sent; off: it is sent as the handler made it (a model or a mapping)."
        ),
    ] = "strict"
    timeout: Annotated[
        float | None,
        Field(gt=0, description="Seconds a call may run; then it is stopped with an error."),
    ] = None
    stream: Annotated[
        bool,
        Field(
            description="The handler is an async generator: each chunk it yields goes to the "
            "client as it comes (progress or log), and the result gathers them all."
        ),
    ] = False
    task_support: Annotated[
        Literal["forbidden", "optional", "required"],
        Field(
            description="Whether a client may (optional) or must (required) run the tool as a "
            "task it polls (the io.modelcontextprotocol/tasks extension, 2026-07-28 clients)."
        ),
    ] = "forbidden"
    task_starts: Annotated[
        Literal["at_once", "at_detach"],
        Field(
            description="at_once: the call becomes a task before the handler runs; at_detach: "
            "the handler runs in the request (it may ask for input) until it calls "
            "`ctx.detach()`, and the rest runs as the task."
        ),
    ] = "at_once"
    meta: Meta = Field(default_factory=dict)
    errors: Annotated[
        list[str], Field(description="Names of the error types (from `errors`) it may raise.")
    ] = Field(default_factory=list)
    examples: Annotated[
        list[dict[str, Any]],
        Field(description="Example arguments; checked against the input schema and used in tests."),
    ] = Field(default_factory=list)
    http: Annotated[
        ToolHttp | None,
        Field(description="The HTTP operation the tool calls (needs the top-level `http`)."),
    ] = None
    scopes: Annotated[
        list[Scope],
        Field(
            description="OAuth scopes a call needs besides the server's (needs `server.auth`); "
            "a token without them is answered 403 insufficient_scope."
        ),
    ] = Field(default_factory=list)
    tags: Annotated[
        list[str],
        Field(
            description="Toolsets the tool is in (`--toolsets` serves only some); an imported "
            "operation's are its OpenAPI tags (`http.tags`)."
        ),
    ] = Field(default_factory=list)


class Resource(_Strict):
    """A resource at a fixed URI: inline `text`, or served by a handler."""

    uri: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    text: Annotated[
        str | None,
        Field(description="Fixed content served as is; without it, a handler serves it."),
    ] = None
    subscribe: Annotated[
        bool,
        Field(description="Clients may subscribe to changes (the handler announces them)."),
    ] = False
    meta: Meta = Field(default_factory=dict)


class ResourceTemplate(_Strict):
    """Resources addressed by an RFC 6570 URI template with typed parameters."""

    uri_template: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    params: Annotated[
        dict[str, JsonSchema],
        Field(description="JSON Schema per template variable (default: a string)."),
    ] = Field(default_factory=dict)
    complete: Annotated[
        list[str], Field(description="Variables whose values the server can complete.")
    ] = Field(default_factory=list)
    subscribe: Annotated[
        bool,
        Field(description="Clients may subscribe to changes of its resources."),
    ] = False
    meta: Meta = Field(default_factory=dict)


class PromptArgument(_Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    required: bool = False


class Prompt(_Strict):
    """A prompt template with named string arguments."""

    name: Annotated[str, Field(min_length=1)]
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] = Field(default_factory=list)
    complete: Annotated[
        list[str], Field(description="Arguments whose values the server can complete.")
    ] = Field(default_factory=list)
    meta: Meta = Field(default_factory=dict)


class Spec(_Strict):
    """An MCP server, declared."""

    schema_: Annotated[str | None, Field(alias="$schema")] = None
    spec_version: Annotated[Literal[1], Field(description="Version of the spec language.")] = (
        SPEC_VERSION
    )
    server: ServerSection
    http: HttpSection | None = None
    openapi: OpenApiSource | None = None
    types: Annotated[
        dict[str, JsonSchema],
        Field(description='Reusable JSON Schemas, referenced as {"$ref" = "#/types/Name"}.'),
    ] = Field(default_factory=dict)
    errors: dict[str, ErrorType] = Field(default_factory=dict)
    tools: list[Tool] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)
    resource_templates: list[ResourceTemplate] = Field(default_factory=list)
    prompts: list[Prompt] = Field(default_factory=list)


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec language, as exported to `specs/`."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://mcpgen.dev/schema/spec-v1.json"
    return schema
