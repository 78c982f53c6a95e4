"""The HTTP API a server's tools call: the `[http]` section (where the API is, its credential
schemes) and each tool's `http` binding, checked against the tool's input, output and errors
(its body: `resolve_http_body`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from mcpgen.diagnostics import SpecPath, did_you_mean
from mcpgen.ir import (
    ErrorIR,
    HttpAuthIR,
    HttpErrorIR,
    HttpIR,
    HttpOperationIR,
    HttpParamIR,
    JsonSchema,
    ServerIR,
)
from mcpgen.resolve_http_body import http_body
from mcpgen.resolver import Resolver, is_object_schema, known_names, unresolved
from mcpgen.spec import (
    FORM_STYLES,
    ApiKeyAuth,
    AwsSigV4Auth,
    BasicAuth,
    BearerAuth,
    HttpAuth,
    Tool,
    ToolHttp,
    compared_place,
    credential_place,
    credential_places_clash,
    filled_places,
)

# The styles OpenAPI allows in each place, the default first.
_PARAM_STYLES: dict[str, tuple[str, ...]] = {
    "path": ("simple", "label", "matrix"),
    "query": FORM_STYLES,
    "header": ("simple",),
    "cookie": ("form",),
}
_HTTP_STATUS_KEY = re.compile(r"[1-5][0-9][0-9]|[1-5]XX|default")
_PATH_VARIABLE = re.compile(r"\{([^{}]*)\}")
# The runtime class of each credential scheme.
_AUTH_CLASSES = {
    "bearer": "Bearer",
    "api_key": "ApiKey",
    "basic": "Basic",
    "oauth2_client_credentials": "OAuth2ClientCredentials",
    "aws_sigv4": "AwsSigV4",
}
# Headers of the MCP client's request that never go on to the API, and why.
_NEVER_FORWARDED = {
    "authorization": "it carries the MCP client's token for this server, not for the API",
    "proxy-authorization": "it carries a credential for a proxy of the MCP client",
    "cookie": "it carries the MCP client's cookies for this server",
    "host": "the API's host is its base URL's",
    "content-length": "the API request's body is not the MCP request's",
    "content-type": "the API request's body is not the MCP request's",
    "transfer-encoding": "the API request's body is not the MCP request's",
    "connection": "it concerns the MCP client's connection only",
}
_JSON_MEDIA = re.compile(r"application/([\w.-]+\+)?json(\s*;.*)?", re.IGNORECASE)
# A query's text (RFC 3986: pchar, "/" and "?"), with "&" and "=" as form-urlencoding uses them.
_QUERY_CHARACTER = re.compile(r"[A-Za-z0-9\-._~!$'()*+,;:@/?=]|%[0-9A-Fa-f]{2}")


def resolve_http_section(resolver: Resolver, server: ServerIR) -> HttpIR | None:
    """The `[http]` section: where the API is, and its credential schemes."""
    section = resolver.spec.http
    if section is None:
        return None
    env = section.base_url_env or f"{server.package.upper()}_BASE_URL"
    if not re.match(r"^https?://", section.base_url, re.IGNORECASE):
        resolver.warning(
            ("http", "base_url"),
            f"base_url {section.base_url!r} is not an absolute http(s) URL",
            hint=f"the server needs {env} set to one at run time",
        )
    schemes: list[HttpAuthIR] = []
    for name, scheme in section.auth.items():
        fields: tuple[tuple[str, Any], ...]
        if isinstance(scheme, BearerAuth):
            fields = (("env", scheme.env),)
        elif isinstance(scheme, ApiKeyAuth):
            fields = (("location", scheme.in_), ("name", scheme.name), ("env", scheme.env))
        elif isinstance(scheme, BasicAuth):
            fields = (("username_env", scheme.username_env), ("password_env", scheme.password_env))
        elif isinstance(scheme, AwsSigV4Auth):
            fields = (("service", scheme.service),)
            if scheme.region is not None:
                fields += (("region", scheme.region),)
            # The standard variables of AWS's SDKs and CLI, named here as every scheme's are.
            fields += (
                ("access_key_env", "AWS_ACCESS_KEY_ID"),
                ("secret_key_env", "AWS_SECRET_ACCESS_KEY"),
            )
        else:
            scheme_of = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", scheme.token_url)
            if scheme_of is not None and scheme_of[1].lower() not in ("http", "https"):
                resolver.error(
                    ("http", "auth", name, "token_url"),
                    f"token_url {scheme.token_url!r} is not an http(s) URL",
                    hint="an absolute http(s) URL, or one relative to base_url (`/oauth/token`)",
                )
            fields = (
                ("token_url", scheme.token_url),
                ("client_id_env", scheme.client_id_env),
                ("client_secret_env", scheme.client_secret_env),
            )
            if scheme.scopes:
                fields += (("scopes", list(scheme.scopes)),)
        schemes.append(HttpAuthIR(name, _AUTH_CLASSES[scheme.type], fields))
    _check_security(resolver, section.security, ("http", "security"))
    forwarded: dict[str, None] = {}
    for position, header in enumerate(section.forward_headers):
        name = header.lower()
        if name in _NEVER_FORWARDED:
            resolver.error(
                ("http", "forward_headers", position),
                f"{header} is never forwarded: {_NEVER_FORWARDED[name]}",
                hint="forward the user's API credential in a header of its own "
                "(X-User-Token), or give the server its own in [http.auth]",
            )
        forwarded[name] = None
    return HttpIR(
        base_url=section.base_url,
        base_url_env=env,
        timeout=section.timeout,
        retries=section.retries,
        deadline=section.deadline,
        auth=tuple(schemes),
        security=tuple(tuple(alternative) for alternative in section.security),
        forward_headers=tuple(sorted(set(forwarded) - set(_NEVER_FORWARDED))),
        max_response_bytes=section.max_response_bytes,
        max_response_bytes_env=f"{server.package.upper()}_MAX_RESPONSE_BYTES",
    )


def _check_security(resolver: Resolver, security: list[list[str]], path: SpecPath) -> None:
    section = resolver.spec.http
    if section is None:
        return
    for i, alternative in enumerate(security):
        for j, name in enumerate(alternative):
            if name not in section.auth:
                resolver.error(
                    (*path, i, j),
                    f"unknown security scheme {name!r}",
                    hint=did_you_mean(name, section.auth)
                    or known_names("[http.auth] schemes", section.auth),
                )
        places = [
            (name, _place(section.auth[name])) for name in alternative if name in section.auth
        ]
        clash = credential_places_clash(places)
        if clash is not None:
            first, second, place = clash
            resolver.error(
                (*path, i),
                f"{first!r} and {second!r} both send the {place}, which a request carries "
                "once: this requirement can never be met",
                hint=f"if either will do, list them apart: [[{first!r}], [{second!r}]]",
            )


def _check_credential_places(
    resolver: Resolver,
    params: Sequence[HttpParamIR],
    security: list[list[str]] | None,
    where: SpecPath,
) -> None:
    """A parameter where one of the tool's credentials goes (an API key's header, say) would
    be sent twice, and the model asked for the credential: refused."""
    section = resolver.spec.http
    if section is None:
        return
    alternatives = security if security is not None else section.security
    places = {
        place: name
        for alternative in alternatives
        for name in alternative
        if name in section.auth
        for place in _filled(section.auth[name])
    }
    for param in params:
        place = f"{param.location} {param.name}"
        scheme = places.get(compared_place(place))
        if scheme is not None:
            resolver.error(
                (*where, "params", param.property),
                f"the credential of {scheme!r} is sent as {place}: this parameter would send "
                "it twice, and ask the caller for it",
                hint=f"drop the parameter (and its input property): {scheme!r} fills it",
            )


def _filled(scheme: HttpAuth) -> set[str]:
    return filled_places(scheme.type, getattr(scheme, "in_", None), getattr(scheme, "name", None))


def _place(scheme: HttpAuth) -> str:
    return credential_place(
        scheme.type, getattr(scheme, "in_", None), getattr(scheme, "name", None)
    )


def tool_http(
    resolver: Resolver,
    tool: Tool,
    path: SpecPath,
    input_schema: JsonSchema,
    output_schema: JsonSchema | None,
    errors: Mapping[str, ErrorIR],
) -> HttpOperationIR | None:
    """A tool's HTTP binding, checked against its input, output and errors."""
    binding = tool.http
    assert binding is not None
    where: SpecPath = (*path, "http")
    if resolver.spec.http is None:
        resolver.error(
            where,
            "a tool with an http binding needs the top-level [http] section",
            hint='add [http] with base_url = "https://..."',
        )
    if tool.stream:
        resolver.error(
            (*path, "stream"),
            "an http tool's result is the API's answer; it cannot stream",
            hint="drop `stream`",
        )
    # When the input did not resolve, its problem is reported already: check no further.
    inputs_known = bool(input_schema) and is_object_schema(input_schema)
    properties: dict[str, Any] = input_schema.get("properties", {}) if inputs_known else {}
    required = set(input_schema.get("required", [])) if inputs_known else set()

    params = _params(resolver, binding, where, properties, required, inputs_known)
    body = http_body(resolver, binding, where, input_schema, properties, inputs_known)
    _check_response(resolver, tool, binding, where, output_schema)
    mapped = _http_errors(resolver, tool, binding, where, errors)
    security = binding.security
    if security is not None:
        _check_security(resolver, security, (*where, "security"))
    _check_credential_places(resolver, params, security, where)
    if binding.base_url is not None and not re.match(r"^https?://", binding.base_url, re.I):
        resolver.error(
            (*where, "base_url"),
            f"base_url {binding.base_url!r} is not an absolute http(s) URL",
            hint="drop it to call the API's [http].base_url",
        )
    return HttpOperationIR(
        method=binding.method,
        path=binding.path,
        query=binding.query,
        operation_id=binding.operation_id,
        base_url=binding.base_url.rstrip("/") if binding.base_url else None,
        custom=binding.handler == "custom",
        params=params,
        body_content_type=body.content_type,
        body_property=body.property,
        body_base64=body.base64,
        body_encoding=body.encoding,
        response_content_type=binding.response.content_type,
        wrap=binding.response.wrap,
        errors=mapped,
        security=tuple(tuple(a) for a in security) if security is not None else None,
        max_response_bytes=binding.max_response_bytes,
        pagination=_pagination(resolver, binding, where, properties, inputs_known),
        long_running=_long_running(resolver, tool, binding, where),
    )


def _long_running(
    resolver: Resolver, tool: Tool, binding: ToolHttp, where: SpecPath
) -> tuple[tuple[str, Any], ...] | None:
    """The operation's polling plan, checked: the settings that must go together do."""
    plan = binding.long_running
    if plan is None:
        return None
    at: SpecPath = (*where, "long_running")
    if not plan.status_headers and plan.status_link is None:
        resolver.error(
            (*at, "status_headers"),
            "nothing names the status monitor: no header and no status_link",
            hint='list a header (status_headers = ["Location"]) or set status_link = "/..."',
        )
    if plan.result == "link" and plan.result_link is None:
        resolver.error(
            (*at, "result"),
            'result = "link" needs result_link, the JSON pointer to the result\'s URL',
            hint='result_link = "/resourceLocation"',
        )
    if plan.result_link is not None and plan.result != "link":
        resolver.error(
            (*at, "result_link"),
            f'result_link is read only with result = "link" (this one is {plan.result!r})',
            hint='set result = "link", or drop result_link',
        )
    if plan.min_poll_interval > plan.poll_interval:
        resolver.error(
            (*at, "min_poll_interval"),
            f"min_poll_interval ({plan.min_poll_interval:g} s) is above poll_interval "
            f"({plan.poll_interval:g} s): polls could never come as often as asked",
            hint="lower min_poll_interval, or raise poll_interval",
        )
    both = {s.lower() for s in plan.succeeded} & {s.lower() for s in plan.failed}
    if both:
        resolver.error(
            (*at, "failed"),
            f"{', '.join(repr(s) for s in sorted(both))} is both a success and a failure",
            hint="keep each state in one list",
        )
    if tool.timeout is not None and tool.timeout < plan.max_wait:
        resolver.warning(
            (*where[:-1], "timeout"),
            f"the tool's timeout ({tool.timeout:g} s) ends a call that waits for the "
            f"operation before its max_wait ({plan.max_wait:g} s) does",
            hint="raise the timeout, or lower http.long_running.max_wait",
        )
    return tuple(
        (key, tuple(value) if isinstance(value, list) else value)
        for key, value in plan.model_dump(exclude_unset=True).items()
    )


def _pagination(
    resolver: Resolver,
    binding: ToolHttp,
    where: SpecPath,
    properties: Mapping[str, Any],
    inputs_known: bool,
) -> tuple[tuple[str, str], ...]:
    """The paging arguments, each an input property; one way to say where a page starts."""
    paging = binding.pagination
    if paging is None:
        return ()
    at: SpecPath = (*where, "pagination")
    named = paging.model_dump(exclude_none=True)
    for role, name in named.items():
        if role != "cursor_item" and inputs_known and name not in properties:
            resolver.error(
                (*at, role),
                f"{name!r} is not a property of the tool's input",
                hint=did_you_mean(name, properties) or known_names("input properties", properties),
            )
    starts = [role for role in ("page", "offset", "cursor") if role in named]
    if len(starts) > 1:
        resolver.error(
            (*at, starts[1]),
            f"a page starts at one place: {' and '.join(starts)} both say where",
            hint=f"keep one of {', '.join(starts)}",
        )
    if "cursor_item" in named and "cursor" not in named:
        resolver.error(
            (*at, "cursor_item"),
            "cursor_item names the item field a cursor takes, and there is no cursor",
            hint="add cursor = <the input property that takes it>",
        )
    if not named:
        resolver.error(at, "pagination names no argument", hint="drop it, or name size, page...")
    return tuple(named.items())


def _params(
    resolver: Resolver,
    binding: ToolHttp,
    where: SpecPath,
    properties: Mapping[str, Any],
    required: set[str],
    inputs_known: bool,
) -> tuple[HttpParamIR, ...]:
    """The binding's parameters, checked against the path, the fixed query and the input."""
    in_path = _path_variables(resolver, binding.path, (*where, "path"))
    fixed = _fixed_query_names(resolver, binding.query, (*where, "query"))
    params: list[HttpParamIR] = []
    wires: dict[tuple[str, str], str] = {}
    path_wires: set[str] = set()
    for key, param in binding.params.items():
        at: SpecPath = (*where, "params", key)
        if inputs_known and key not in properties:
            resolver.error(
                at,
                f"{key!r} is not a property of the tool's input",
                hint=did_you_mean(key, properties) or known_names("input properties", properties),
            )
        wire = param.name or key
        allowed = _PARAM_STYLES[param.in_]
        style = param.style or allowed[0]
        if style not in allowed:
            resolver.error(
                (*at, "style"),
                f"style {style!r} does not apply to a {param.in_} parameter",
                hint=f"{param.in_} parameters take {', '.join(allowed)}",
            )
        explode = param.explode if param.explode is not None else style == "form"
        if param.allow_reserved and param.in_ != "query":
            resolver.error(
                (*at, "allow_reserved"),
                f"allow_reserved applies to query parameters, not to a {param.in_} parameter",
            )
        if param.in_ == "query" and wire in fixed:
            resolver.error(
                at,
                f"query parameter {wire!r} is already sent by http.query ({binding.query!r})",
                hint="drop one of them",
            )
        if param.in_ == "path":
            path_wires.add(wire)
            if wire not in in_path:
                resolver.error(
                    at,
                    f"path parameter {wire!r} does not appear in the path {binding.path!r}",
                    hint=did_you_mean(wire, in_path)
                    or f"write {{{wire}}} in the path, or send it elsewhere",
                )
            if inputs_known and key in properties and key not in required:
                resolver.error(
                    at,
                    f"path parameter {key!r} must be a required input property",
                    hint=f"add {key!r} to input.required",
                )
        # Header names are case-insensitive on the wire.
        slot = (param.in_, wire.lower() if param.in_ == "header" else wire)
        if slot in wires:
            resolver.error(
                at, f"{param.in_} parameter {wire!r} is already sent for {wires[slot]!r}"
            )
        wires[slot] = key
        if param.content_type is not None and not _JSON_MEDIA.fullmatch(param.content_type):
            resolver.error(
                (*at, "content_type"),
                f"content_type {param.content_type!r}: a parameter's content can be JSON only",
                hint='content_type = "application/json", or a style',
            )
        json_content = param.content_type is not None
        params.append(
            HttpParamIR(key, wire, param.in_, style, explode, param.allow_reserved, json_content)
        )
    for name in dict.fromkeys(in_path):
        if name and name not in path_wires:
            resolver.error(
                (*where, "path"),
                f"{{{name}}} in the path has no parameter",
                hint=f'add params.{name} = {{ in = "path" }} (a required input property)',
            )
    return tuple(params)


def _path_variables(resolver: Resolver, path: str, at: SpecPath) -> list[str]:
    """The `{variable}`s of a binding's path, in order; reports what a path cannot hold."""
    in_path: list[str] = _PATH_VARIABLE.findall(path)
    if "{" in _PATH_VARIABLE.sub("", path) or "}" in _PATH_VARIABLE.sub("", path):
        resolver.error(at, "unbalanced '{' or '}' in the path")
    for mark, what, hint in (
        ("?", "a query", "put its fixed items in http.query and the rest in http.params"),
        ("#", "a fragment", "a URL's fragment is never sent: drop it"),
    ):
        if mark in path:
            resolver.error(at, f"the path {path!r} holds {what} ({mark!r})", hint=hint)
    for name in in_path:
        if not name:
            resolver.error(at, "an empty {} in the path")
    return in_path


def _fixed_query_names(resolver: Resolver, query: str | None, where: SpecPath) -> set[str]:
    """The names a fixed query sends (percent-decoded); reports text no URL can carry."""
    if query is None:
        return set()
    names: set[str] = set()
    for item in query.split("&"):
        rest = _QUERY_CHARACTER.sub("", item)
        if not item:
            resolver.error(
                where,
                f"{query!r} is not a query string: it has an empty item",
                hint="separate items with a single '&', without a leading '?'",
            )
            continue
        if rest:
            resolver.error(
                where,
                f"{query!r} is not a query string: {rest[0]!r} cannot stand in it as it is",
                hint="percent-encode it",
            )
            continue
        names.add(unquote(item.partition("=")[0]))
    return names


def _check_response(
    resolver: Resolver,
    tool: Tool,
    binding: ToolHttp,
    where: SpecPath,
    output_schema: JsonSchema | None,
) -> None:
    """The answer's content type and `wrap` agree with the tool's output."""
    response = binding.response
    if response.content_type != "application/json" and tool.output is not None:
        resolver.error(
            (*where, "response", "content_type"),
            f"a {response.content_type!r} answer is not structured content: the tool has no "
            "output schema",
            hint='drop `output`, or answer "application/json"',
        )
    if response.wrap is None:
        return
    at: SpecPath = (*where, "response", "wrap")
    if response.content_type != "application/json":
        resolver.error(at, "wrap places a JSON answer in the output; this answer is not JSON")
    elif tool.output is None:
        resolver.error(
            at,
            f"wrap needs an output schema with the property {response.wrap!r}",
            hint=f'output = {{ type = "object", required = ["{response.wrap}"], '
            f"properties.{response.wrap} = <the answer's schema> }}",
        )
    elif output_schema is not None and not unresolved(output_schema):
        wrapped = output_schema.get("properties", {})
        if response.wrap not in wrapped:
            resolver.error(
                at,
                f"the output schema has no property {response.wrap!r} to hold the answer",
                hint=did_you_mean(response.wrap, wrapped) or "add it to output.properties",
            )


def _http_errors(
    resolver: Resolver,
    tool: Tool,
    binding: ToolHttp,
    where: SpecPath,
    errors: Mapping[str, ErrorIR],
) -> tuple[HttpErrorIR, ...]:
    """The error types HTTP answers raise: exact statuses first, then ranges, then default."""
    mapped: list[HttpErrorIR] = []
    for status, error_name in binding.errors.items():
        at: SpecPath = (*where, "errors", status)
        if not _HTTP_STATUS_KEY.fullmatch(status):
            resolver.error(
                at,
                f"{status!r} is not an HTTP status (100-599), a range (1XX-5XX) or 'default'",
            )
            continue
        found = errors.get(error_name)
        if found is None:
            resolver.error(
                at,
                f"unknown error type {error_name!r}",
                hint=did_you_mean(error_name, errors) or known_names("errors", errors),
            )
            continue
        if error_name not in tool.errors:
            resolver.error(
                at,
                f"error type {error_name!r} is not among the tool's errors",
                hint=f"add {error_name!r} to the tool's `errors`",
            )
            continue
        if not _fits_http_error(resolver, error_name):
            resolver.error(
                at,
                f"error type {error_name!r} is raised for HTTP answers, so its data is "
                "{status, body}: it must declare the property `status` and require no "
                "other than `status` and `body`",
                hint='data = { type = "object", required = ["status"], properties = '
                '{ status = { type = "integer" }, body = {} } }',
            )
            continue
        mapped.append(HttpErrorIR(status, found))
    mapped.sort(key=lambda e: (e.status == "default", "X" in e.status, e.status))
    return tuple(mapped)


def _fits_http_error(resolver: Resolver, name: str) -> bool:
    """Whether the error type's data can be made of an HTTP answer: {status, body}."""
    data = resolver.spec.errors[name].data
    if data is None:
        return False
    schema = resolver.wire_schema(data, ("errors", name, "data"))
    if unresolved(schema):
        return True  # reported where it failed
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    return "status" in properties and required <= {"status", "body"}
