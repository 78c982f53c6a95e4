"""Do imported tools send the requests their OpenAPI description means? Ask a second reader.

For each OpenAPI document: `mcpgen import openapi`, `mcpgen generate`, start the generated
server over stdio with its base URL pointed at a loopback recorder and a made-up value in
every credential variable, call some of its tools with arguments drawn from their input
schemas (hypothesis-jsonschema, derandomized), and judge every recorded request with
openapi-core, an independent implementation of OpenAPI's request rules, against the
original document:

- the request reaches the operation the tool was made from (method and path template; for
  a path that carries a query or an AWS-style `#fragment`, its fixed query items too);
- its parameters and body deserialize (styles, explode, deepObject, form encodings) to
  exactly the arguments the tool was given, and validate against their schemas;
- the credential sits where a security scheme of the operation puts it, and nowhere else.

    python tests/openapi/wire_conformance.py DOC [DOC ...] [--tools 5] [--work DIR]
    python tests/openapi/wire_conformance.py --directory PATH --sample 30 --seed 1

A document, tool or request the checker cannot judge (openapi-core refuses the document,
no arguments can be drawn, only OAuth 2 credentials, whose token endpoint is not here) is
counted as such, never as a pass. The exit status is 1 when any request was judged wrong.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

# Documents are big and varied; a run judges at most this many tools of each.
DEFAULT_TOOLS = 5
# A made-up credential: found anywhere a credential should not be, it is a leak.
SECRET = "mcpgen-wire-secret-{}"


# -- the recorder ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    method: str
    target: str  # the request target as sent: path and query, percent-encoded
    headers: tuple[tuple[str, str], ...]
    body: bytes


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[Recorded]

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.requests.append(Recorded(self.command, self.path, tuple(self.headers.items()), body))
        answer = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _record

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def recorder() -> Iterator[tuple[str, list[Recorded]]]:
    """A loopback HTTP server recording every request; its base URL and the record."""
    record: list[Recorded] = []
    handler = type("Recorder", (_Recorder,), {"requests": record})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", record
    finally:
        server.shutdown()
        server.server_close()


# -- what the description means -----------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """An operation of the description, its path template split as the description means it."""

    method: str
    template: str  # the path as written, `#fragment` or `?query` included
    path: str  # the path part
    fixed_query: tuple[tuple[str, str | None], ...]  # `?cors` -> ("cors", None)
    spec: Mapping[str, Any]  # the operation object
    path_item: Mapping[str, Any]


def split_template(
    template: str, aws: bool = False
) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """`/a?x={x}&y=1` -> ("/a", (("x", "{x}"), ("y", "1"))): a query in the path is part of
    the request. A `#fragment` never is (RFC 3986), except in AWS's descriptions, whose
    converter spells a fixed query as one: `/{Bucket}#cors` is `?cors`, `/#Action=X`
    `?Action=X`."""
    if not aws:
        template = template.split("#", 1)[0]
    cut = min((i for i in (template.find("?"), template.find("#")) if i >= 0), default=-1)
    if cut < 0:
        return template, ()
    items: list[tuple[str, str | None]] = []
    for part in re.split(r"[&#?]", template[cut + 1 :]):
        if not part:
            continue
        name, eq, value = part.partition("=")
        if name.endswith("!"):
            continue  # aws2openapi's markers (`deprecated!`), not query items
        items.append((name, value if eq else None))
    return template[:cut], tuple(items)


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def is_aws(document: Mapping[str, Any]) -> bool:
    """Converted from AWS's own API models (APIs.guru's aws2openapi marks its output)."""
    origins = (document.get("info") or {}).get("x-origin") or []
    return any("aws2openapi" in json.dumps(origin) for origin in origins)


def _one_value(schema: Any) -> bool:
    """A parameter that can take one value only (`cors`: a boolean whose enum is [true])."""
    if not isinstance(schema, dict):
        return False
    return "const" in schema or len(schema.get("enum") or []) == 1


def operations(document: Mapping[str, Any]) -> list[Operation]:
    aws = is_aws(document)
    found = []
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            path, fixed = split_template(template, aws)
            # A bare fragment item naming a parameter the caller chooses
            # (`/tags#resourceArn&tagKeys`) only says which parameters the operation has.
            # An item naming a header (`/#X-Amz-Target=X`: AWS's JSON protocol sends it as
            # the header it declares) is that parameter too.
            params, elsewhere = {}, set()
            for raw in [*(spec.get("parameters") or []), *(item.get("parameters") or [])]:
                param = _resolve(document, raw)
                if isinstance(param, dict) and param.get("in") == "query":
                    params[param.get("name")] = param
                elif isinstance(param, dict) and param.get("in") == "header":
                    elsewhere.add(str(param.get("name")).lower())
            fixed = tuple(
                (key, value)
                for key, value in fixed
                if key.lower() not in elsewhere
                and (
                    value is not None or key not in params or _one_value(params[key].get("schema"))
                )
            )
            found.append(Operation(method.upper(), template, path, fixed, spec, item))
    return found


def operation_of(tool: Mapping[str, Any], document: Mapping[str, Any]) -> Operation | None:
    """The operation the spec's tool was made from: by operationId, else method + path."""
    http = tool.get("http") or {}
    wanted = http.get("operation_id")
    for op in operations(document):
        if wanted is not None and op.spec.get("operationId") == wanted:
            return op
    # The document's own key of the path (`http.path` holds only its path part).
    key = http.get("openapi_path") or http.get("path")
    for op in operations(document):
        if wanted is None and op.method == http.get("method") and op.template == key:
            return op
    return None


def single_operation_document(document: Mapping[str, Any], op: Operation) -> dict[str, Any]:
    """The document with one path item holding only `op`, at its path part.

    openapi-core finds an operation by method and path; `/{Bucket}#cors` and `/{Bucket}`
    are one path to it. Alone in the document, the operation is the one it judges against.
    """
    single = dict(document)
    # A parameter declared `in: path` whose `{name}` stands in the template's query part
    # (`/alerts?lat={lat}`) goes in the query, as the template shows.
    in_query = {str(v)[1:-1] for _, v in op.fixed_query if v and str(v).startswith("{")}
    # Servers of the path or the operation are where the tool sends it (the recorder here).
    item = {k: v for k, v in op.path_item.items() if k not in METHODS and k != "servers"}
    item[op.method.lower()] = {k: v for k, v in op.spec.items() if k != "servers"}
    # A fixed item (`?cors`, `?list-type=2`) is judged by its presence (`judge`); the
    # parameter the description declares for it is not the tool's to send again.
    fixed = {key for key, v in op.fixed_query if not (v and str(v).startswith("{"))}
    for holder in (item, item[op.method.lower()]):
        holder["parameters"] = [
            {**param, "in": "query"}
            if param.get("in") == "path" and param.get("name") in in_query
            else param
            for param in (_resolve(document, raw) for raw in holder.get("parameters") or [])
            if not (param.get("in") == "query" and param.get("name") in fixed)
        ]
    single["paths"] = {op.path: item}
    return single


# -- the arguments -----------------------------------------------------------------------


# Strings that test a serializer: a space, reserved characters, a percent sign, non-ASCII.
AWKWARD_TEXT = "a b/c?d&e=f#g%h+i é"
FORMATS = {
    "date": "2024-01-31",
    "date-time": "2024-01-31T12:34:56Z",
    "time": "12:34:56Z",
    "email": "someone@example.com",
    "uri": "https://example.com/x?y=1",
    "url": "https://example.com/x?y=1",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
    "byte": "aGVsbG8=",
    "binary": "hello",
    "password": AWKWARD_TEXT,
}
# Depth at which drawing stops adding optional properties (a recursive type ends there).
MAX_DEPTH = 4


class Undrawable(Exception):
    """No instance of this schema could be made."""


def _pattern_text(pattern: str) -> str:
    from hypothesis import find
    from hypothesis import strategies as st

    try:
        found: str = find(st.from_regex(pattern), lambda text: True)
    except Exception as error:  # an ECMA-262 pattern Python's re cannot read, ...
        raise Undrawable(f"pattern {pattern!r}") from error
    return found


def _valid(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> bool:
    """Whether `instance` fits `schema` (a part of `root`, whose `$defs` it may name)."""
    import jsonschema

    whole = {**schema, "$defs": root.get("$defs") or {}}
    try:
        return not any(jsonschema.Draft202012Validator(whole).iter_errors(instance))
    except Exception:  # a pattern Python's re cannot read: the server will judge it
        return True


def _matches(pattern: Any, text: str) -> bool:
    if pattern is None:
        return True
    try:
        return re.search(str(pattern), text) is not None
    except re.error:
        return False


def exemplar(schema: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    """A valid instance of `schema` that gives every property it may (a few levels deep),
    and strings that test encoders. Deterministic."""
    if schema is True or schema == {}:
        return AWKWARD_TEXT
    if not isinstance(schema, dict):
        raise Undrawable("a schema that is not an object")
    if "$ref" in schema:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            raise Undrawable(f"$ref {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return exemplar(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = sorted(
                schema[key], key=lambda b: isinstance(b, dict) and b.get("type") == "null"
            )
            for branch in branches:
                merged = {**{k: v for k, v in schema.items() if k != key}, **branch}
                try:
                    candidate = exemplar(merged, root, depth)
                except Undrawable:
                    continue
                # An instance of one branch may fit another too, which oneOf forbids.
                if _valid(candidate, schema, root):
                    return candidate
            raise Undrawable(key)
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            while isinstance(part, dict) and "$ref" in part:
                target = root
                for bit in str(part["$ref"])[2:].split("/"):
                    target = target[bit]
                part = target
            if not isinstance(part, dict):
                continue
            for k, v in part.items():
                if k == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **v}
                elif k == "required":
                    merged["required"] = [*merged.get("required", []), *v]
                else:
                    merged.setdefault(k, v)
        return exemplar(merged, root, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "null":
        return None
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(3, int(low) + 1 if isinstance(low, (int, float)) else 3)
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(high, (int, float)) and value >= high:
            value = int(high) - 1 if "exclusiveMaximum" in schema else int(high)
        multiple = schema.get("multipleOf")
        if isinstance(multiple, (int, float)) and multiple:
            value = (
                int(multiple) * max(1, round(value / multiple))
                if float(multiple).is_integer()
                else multiple
            )
        return value if kind == "integer" else value + (0.5 if not multiple else 0)
    if kind == "string":
        known = FORMATS.get(str(schema.get("format")))
        if schema.get("contentEncoding") == "base64":
            text = FORMATS["byte"]
        elif known is not None and _matches(schema.get("pattern"), known):
            text = known  # a format's own example, when the pattern (if any) allows it
        elif "pattern" in schema:
            text = _pattern_text(str(schema["pattern"]))
        else:
            text = FORMATS.get(str(schema.get("format")), AWKWARD_TEXT)
        least, most = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < least:
            text = (
                (text * (least // max(1, len(text)) + 1))[: max(least, len(text))]
                if "pattern" not in schema
                else text
            )
        if isinstance(most, int) and len(text) > most:
            if "pattern" in schema or "format" in schema:
                raise Undrawable("maxLength with a pattern or format")
            text = text[:most]
        return text
    if kind == "array":
        items = schema.get("items", {})
        count = max(2, schema.get("minItems", 0))
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        values = [exemplar(items, root, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems") and count > 1:
            values = values[:1]
        return values
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            if name not in required and (
                depth >= MAX_DEPTH or (isinstance(sub, dict) and sub.get("readOnly"))
            ):
                continue
            try:
                out[name] = exemplar(sub, root, depth + 1)
            except Undrawable:
                if name in required:
                    raise
        if not properties and schema.get("additionalProperties") not in (None, False):
            out["key"] = (
                exemplar(schema["additionalProperties"], root, depth + 1)
                if isinstance(schema["additionalProperties"], dict)
                else AWKWARD_TEXT
            )
        return out
    raise Undrawable(f"type {kind!r}")


def draw_arguments(schema: Mapping[str, Any], seed: int) -> dict[str, Any] | None:
    """Arguments for a tool: an instance of its input schema, checked against it."""
    import jsonschema

    try:
        drawn = exemplar(schema, schema)
    except (Undrawable, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(drawn, dict):
        return None
    try:
        jsonschema.Draft202012Validator(schema).validate(drawn)
    except jsonschema.ValidationError:
        return None
    except Exception:  # a pattern Python's re cannot read: the server will judge it
        pass
    return drawn


# -- the judge ---------------------------------------------------------------------------


@dataclass
class Verdict:
    tool: str
    ok: bool | None  # None: could not be judged
    problems: list[str] = field(default_factory=list)


def _same(sent: Any, received: Any) -> bool:
    """Equal as JSON values (1 == 1.0; a date openapi-core parsed equals its text)."""
    if not isinstance(received, (str, bytes, int, float, list, tuple, Mapping)) and hasattr(
        received, "__dict__"
    ):
        received = vars(received)  # an `x-model` schema: openapi-core makes an object of it
    if isinstance(received, (list, tuple)) and isinstance(sent, list):
        return len(sent) == len(received) and all(map(_same, sent, received))
    if isinstance(received, Mapping) and isinstance(sent, dict):
        return set(sent) == set(received) and all(_same(sent[k], received[k]) for k in sent)
    if hasattr(received, "isoformat") and isinstance(sent, str):
        return True  # parsed from the text sent; its validity is openapi-core's check
    if isinstance(received, bytes) and isinstance(sent, str):
        return received.decode(errors="replace") == sent
    if isinstance(sent, bool) or isinstance(received, bool):
        return sent is received or str(sent).lower() == str(received).lower()
    if isinstance(sent, (int, float)) and isinstance(received, (int, float)):
        return float(sent) == float(received)
    if type(sent) is not type(received) and not isinstance(received, (list, dict)):
        return str(sent) == str(received)
    return bool(sent == received)


def judge(
    document: Mapping[str, Any],
    op: Operation,
    tool: Mapping[str, Any],
    arguments: Mapping[str, Any],
    sent: list[Recorded],
    secrets: Mapping[str, str],
) -> Verdict:
    name = str(tool["name"])
    if len(sent) != 1:
        return Verdict(name, False, [f"{len(sent)} requests sent for one call"])
    request = sent[0]
    problems: list[str] = []
    split = urlsplit(request.target)
    if request.method != op.method:
        problems.append(f"method {request.method}, the description says {op.method}")
    query = parse_qsl(split.query, keep_blank_values=True)
    for key, value in op.fixed_query:
        present = [v for k, v in query if k == key]
        if not present:
            problems.append(f"fixed query item {key!r} of {op.template!r} is missing")
        elif value is not None and "{" not in value and value not in present:
            problems.append(f"fixed query item {key}={value!r} sent as {present!r}")
    verdict = _openapi_core(document, op, tool, arguments, request, split, query, problems)
    if verdict is not None:
        return verdict
    leaked = _misplaced_secrets(request, op, document, secrets)
    problems.extend(leaked)
    return Verdict(name, not problems, problems)


def _openapi_core(
    document: Mapping[str, Any],
    op: Operation,
    tool: Mapping[str, Any],
    arguments: Mapping[str, Any],
    request: Recorded,
    split: Any,
    query: list[tuple[str, str]],
    problems: list[str],
) -> Verdict | None:
    from openapi_core import Config, OpenAPI
    from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
    from openapi_core.testing import MockRequest
    from openapi_core.unmarshalling.schemas.exceptions import FormatterNotFoundError
    from openapi_core.validation.request.exceptions import ParameterValidationError
    from werkzeug.datastructures import ImmutableMultiDict

    name = str(tool["name"])
    single = single_operation_document(document, op)
    single["servers"] = [{"url": "http://recorder"}]
    form = _body_judged_here(document, op, tool)
    if form is not None:
        # openapi-core reads form fields as text and never casts them to their schema's
        # types (a boolean field 'true' fails): the form body is judged here instead.
        method = single["paths"][op.path][op.method.lower()]
        single["paths"][op.path][op.method.lower()] = {
            k: v for k, v in method.items() if k != "requestBody"
        }
    single.pop("security", None) if op.spec.get("security") == [] else None
    try:
        described = copy.deepcopy(single)
        _drop_read_only_defaults(described)
        # A format openapi-core does not know (`format: string`, `format: lat`) fails every
        # parameter it reads: unknown formats are taken as the text they are.
        unknown = _formats(described) - KNOWN_FORMATS
        api = OpenAPI.from_dict(
            described,
            config=Config(  # type: ignore[arg-type]
                spec_validator_cls=None,
                extra_format_validators={f: _anything for f in unknown},
                extra_format_unmarshallers={f: _itself for f in unknown},
            ),
        )
    except Exception as error:
        return Verdict(name, None, [f"openapi-core cannot read the document: {error!r}"[:300]])
    headers = {k: v for k, v in request.headers}
    cookies = dict(
        part.strip().split("=", 1) for part in headers.get("Cookie", "").split(";") if "=" in part
    )
    mock = MockRequest(
        "http://recorder",
        request.method.lower(),
        split.path,
        headers=headers,
        cookies=cookies,
        data=request.body or None,
        content_type=headers.get("Content-Type", "application/json"),
    )
    mock.parameters.query = ImmutableMultiDict(query)
    try:
        result = api.unmarshal_request(mock)
    except Exception as error:
        return Verdict(name, None, [f"openapi-core failed: {error!r}"[:300]])
    for error in _flat(result.errors):
        judged_here = isinstance(error, ParameterValidationError) and _judged_here(
            _parameter(document, op, error.location, error.name)
        )
        if (
            judged_here
            # a format the document names and openapi-core does not know
            or _caused_by(error, FormatterNotFoundError)
            # an empty string the schema allows (`enum: ["", "EN"]`) can only be sent empty
            or _caused_by(error, EmptyQueryParameterValue)
        ):
            continue
        causes = getattr(error, "schema_errors", None) or [getattr(error, "__cause__", None)]
        details = "; ".join(_told(c) for c in causes if c is not None)
        problems.append(f"openapi-core: {type(error).__name__}: {details or _told(error)}")
    if problems:
        return Verdict(name, False, problems)
    _compare(document, op, tool, arguments, result, problems, (split.path, query, headers))
    if form is not None:
        _judge_form(form, tool, arguments, request, problems)
    return None


# The formats openapi-core 0.23 checks (openapi-schema-validator's) or unmarshals.
KNOWN_FORMATS = frozenset(
    [
        "binary",
        "byte",
        "date",
        "date-time",
        "double",
        "email",
        "float",
        "idn-email",
        "idn-hostname",
        "int32",
        "int64",
        "ipv4",
        "ipv6",
        "password",
        "regex",
        "time",
        "uuid",
    ]
)


def _formats(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("format"), str):
                found.add(item["format"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _anything(value: Any) -> bool:
    return True


def _itself(value: Any) -> Any:
    return value


def _drop_read_only_defaults(value: Any) -> None:
    """openapi-core fills a missing property's default in, then refuses a readOnly one it
    filled itself ("Tried to write read-only property"): such defaults go."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("readOnly") is True:
                item.pop("default", None)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _resolve(document: Mapping[str, Any], value: Any) -> Any:
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        target: Any = document
        for part in value["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        value = target
    return value


def _parameter(document: Mapping[str, Any], op: Operation, location: str, name: str) -> Any:
    for raw in [*(op.spec.get("parameters") or []), *(op.path_item.get("parameters") or [])]:
        param = _resolve(document, raw)
        if isinstance(param, dict) and param.get("in") == location and param.get("name") == name:
            return param
    return {}


def _told(error: Any) -> str:
    """An error of openapi-core's, said in a line (some of its own __str__ raise)."""
    path = "/".join(map(str, getattr(error, "absolute_path", ())))
    try:
        text = str(getattr(error, "message", error))
    except Exception:
        text = f"{type(error).__name__} {getattr(error, '__dict__', '')!r}"
    return f"{path}: {text}"[:200]


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _flat(errors: Any) -> list[Any]:
    """openapi-core's errors, with a ParametersError's own list opened."""
    flat = []
    for error in errors:
        inner = getattr(error, "errors", None)
        flat.extend(_flat(inner) if inner is not None and not isinstance(error, str) else [error])
    return flat


def _style(param: Mapping[str, Any]) -> tuple[str, bool]:
    """A parameter's style and explode, with OpenAPI's defaults for its location."""
    default = "simple" if param.get("in") in ("path", "header") else "form"
    style = str(param.get("style", default))
    return style, bool(param.get("explode", style == "form"))


def _judged_here(param: Mapping[str, Any]) -> bool:
    """Parameters openapi-core 0.23 cannot read back: judged here (path values, which it
    checks still percent-encoded; query styles it does not split; exploded query objects,
    whose name is not on the wire) or not at all (label and matrix paths, object cookies):
    its own error about them says nothing of the request."""
    if "content" in param or param.get("in") == "path":
        return True
    style, _ = _style(param)
    kind = (param.get("schema") or {}).get("type")
    return (
        (param.get("in") == "query" and (style != "form" or kind == "object"))
        or style in ("label", "matrix")
        or (param.get("in") in ("cookie", "header") and kind in ("object", "array"))
    )


def _unquoted(value: Any) -> Any:
    if isinstance(value, str):
        return unquote(value)
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    if isinstance(value, dict):
        return {k: _unquoted(v) for k, v in value.items()}
    return value


def _query_expected(param: Mapping[str, Any], value: Any) -> list[tuple[str, str]] | None:
    """What OpenAPI's query styles make of `value`, read back (percent-decoded): the
    examples table of OpenAPI 3.1.1 §4.8.12.4.1, and deepObject nested `a[b][c]`."""
    name = str(param["name"])
    style, explode = _style(param)
    if style == "deepObject":
        items: list[tuple[str, str]] = []

        def deep(prefix: str, member: Any) -> None:
            if isinstance(member, dict):
                for key, sub in member.items():
                    deep(f"{prefix}[{key}]", sub)
            elif isinstance(member, list):
                for index, sub in enumerate(member):
                    deep(f"{prefix}[{index}]", sub)
            elif member is not None:
                items.append((prefix, _form_text(member)))

        deep(name, value)
        return items
    delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
    if isinstance(value, list):
        texts = [_form_text(v) for v in value]
        if explode and style == "form":
            return [(name, t) for t in texts]
        return [(name, delimiter.join(texts))]
    if isinstance(value, dict):
        pairs = [(str(k), _form_text(v)) for k, v in value.items() if v is not None]
        if explode and style == "form":
            return pairs
        return [(name, delimiter.join(f"{k}{delimiter}{v}" for k, v in pairs))]
    return None


def _compare(
    document: Mapping[str, Any],
    op: Operation,
    tool: Mapping[str, Any],
    arguments: Mapping[str, Any],
    result: Any,
    problems: list[str],
    request_parts: tuple[str, list[tuple[str, str]], Mapping[str, str]],
) -> None:
    """Each argument arrived, under the parameter or body field the spec maps it to.

    `request_parts`: the request's path, query items and headers as sent."""
    query = request_parts[1]
    http = tool.get("http") or {}
    params = http.get("params") or {}
    received: dict[str, Mapping[str, Any]] = {
        # openapi-core hands path and cookie values on as they stand: percent-encoded.
        "path": _unquoted(dict(result.parameters.path)),
        "query": result.parameters.query,
        "header": {k.lower(): v for k, v in result.parameters.header.items()},
        "cookie": _unquoted(dict(result.parameters.cookie)),
    }
    placed: set[str] = set()
    for prop, where in params.items():
        placed.add(prop)
        if prop not in arguments:
            continue
        location = where.get("in", "query")
        wire = where.get("name", prop)
        key = wire.lower() if location == "header" else wire
        param = _parameter(document, op, location, wire)
        if "content" in param:
            _judge_content_parameter(param, arguments[prop], request_parts, problems)
            continue
        if location == "path":
            _judge_path_parameter(
                op, param or {"name": wire}, arguments[prop], request_parts[0], problems
            )
            continue
        if _judged_here(param):
            expected = _query_expected(param, arguments[prop]) if location == "query" else None
            if expected is not None:
                missing = [item for item in expected if item not in query]
                if missing:
                    problems.append(
                        f"query parameter {wire!r} ({_style(param)[0]}): {missing[:3]} not in "
                        f"the query {query!r}"[:400]
                    )
            continue
        if location == "query" and arguments[prop] == "" and (wire, "") in query:
            continue  # sent empty, as it is: openapi-core drops empty values it refuses
        if key not in received[location]:
            problems.append(f"{prop!r} was not received as {location} parameter {wire!r}")
        elif not _same(arguments[prop], received[location][key]):
            problems.append(
                f"{location} parameter {wire!r}: sent {arguments[prop]!r}, "
                f"the API reads {received[location][key]!r}"
            )
    if _body_judged_here(document, op, tool) is not None:
        return
    expected = _body_arguments(tool, arguments)
    if expected is not None and not _same(expected, result.body):
        problems.append(f"body: sent {expected!r}"[:200] + f", the API reads {result.body!r}"[:200])


def _judge_path_parameter(
    op: Operation, param: Mapping[str, Any], value: Any, path: str, problems: list[str]
) -> None:
    """A simple-style path value: its segment, percent-decoded, is the value's text (an
    array's items and an object's members joined by `,`, each encoded on its own)."""
    name = str(param["name"])
    style, explode = _style({"in": "path", **param})
    if style != "simple":
        return  # label and matrix: no reader here or in openapi-core
    # The template's text literal, each `{name}` one segment's worth: [lit, name, lit, ...].
    parts = re.split(r"\{([^{}]+)\}", op.path)
    pattern = "".join(re.escape(p) if i % 2 == 0 else "([^/]*)" for i, p in enumerate(parts))
    groups = re.fullmatch(pattern, path)
    if groups is None:
        problems.append(f"path {path!r} does not follow the template {op.path!r}")
        return
    names = parts[1::2]
    raw = dict(zip(names, groups.groups(), strict=False)).get(name)
    if raw is None:
        return
    if isinstance(value, list):
        expected = [_form_text(v) for v in value]
        got: Any = [unquote(part) for part in raw.split(",")]
    elif isinstance(value, dict):
        pairs = [(str(k), _form_text(v)) for k, v in value.items() if v is not None]
        expected = [f"{k}={v}" for k, v in pairs] if explode else [x for kv in pairs for x in kv]
        got = [unquote(part) for part in raw.split(",")]
    else:
        expected, got = _form_text(value), unquote(raw)
    if got != expected:
        problems.append(f"path parameter {name!r}: sent {value!r}, the API reads {got!r}"[:300])


def _judge_content_parameter(
    param: Mapping[str, Any],
    value: Any,
    request: tuple[str, list[tuple[str, str]], Mapping[str, str]],
    problems: list[str],
) -> None:
    """A parameter described by `content` (JSON): an object or array goes as JSON text. A
    scalar goes as its text or as JSON (Stream declares its path's plain `name` so, and
    wants it plain); openapi-core 0.23 reads neither from a path."""
    path, query, headers = request
    name, location = str(param["name"]), param.get("in")
    if location == "query":
        found = [v for k, v in query if k == name]
    elif location == "header":
        found = [v for k, v in headers.items() if k.lower() == name.lower()]
    else:
        found = [unquote(part) for part in path.split("/")]
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    allowed = {text} if isinstance(value, (dict, list)) else {text, _form_text(value)}
    if not allowed & set(found):
        problems.append(f"{location} parameter {name!r} (content): {text!r} not sent"[:300])


def _body_arguments(tool: Mapping[str, Any], arguments: Mapping[str, Any]) -> Any:
    http = tool.get("http") or {}
    body = (http.get("body") or {}).get("property")
    if body is not None:
        return arguments.get(body)
    placed = set(http.get("params") or {})
    return {k: v for k, v in arguments.items() if k not in placed} or None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _body_judged_here(
    document: Mapping[str, Any], op: Operation, tool: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any], set[str]] | None:
    """How the tool's body is judged here, when openapi-core cannot: a form (its media type,
    `encoding` map and file properties: raw bytes, `format: binary` in 3.0, a
    `contentEncoding` or `contentMediaType` in 3.1) or a raw body ({""} if bytes). None
    for JSON, which openapi-core judges."""
    body = _resolve(document, op.spec.get("requestBody")) or {}
    # The tool's media type; without one it sends JSON.
    chosen = ((tool.get("http") or {}).get("body") or {}).get("content_type", "application/json")
    for media, content in (body.get("content") or {}).items():
        kind = media.split(";")[0].strip().lower()
        if chosen != kind:
            continue
        schema = _resolve(document, (content or {}).get("schema")) or {}
        if kind not in FORM_TYPES and not _is_json(kind):
            # A raw body (bytes, text): openapi-core 0.23 checks its bytes against a string
            # schema and refuses them; it is compared here, as the bytes it should be.
            raw = schema.get("format") == "binary" or bool(
                {"contentEncoding", "contentMediaType"} & set(schema)
            )
            return kind, {}, {""} if raw else set()
        if kind in FORM_TYPES:
            binary = set()
            for name, prop in (schema.get("properties") or {}).items():
                prop = _resolve(document, prop) or {}
                items = _resolve(document, prop.get("items")) or {}
                for candidate in (prop, items):
                    if candidate.get("format") == "binary" or {
                        "contentEncoding",
                        "contentMediaType",
                    } & set(candidate):
                        binary.add(name)
            return kind, (content or {}).get("encoding") or {}, binary
    return None


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or media == "*/*"


def _unbase64(value: Any) -> Any:
    if isinstance(value, list):
        return [_unbase64(v) for v in value]
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except ValueError:
        return value


def _form_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expected_form_items(
    value: Mapping[str, Any], encoding: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The fields OpenAPI 3.1.1 makes of a form body (§4.8.14-15, and OAI issue 3331): a
    property whose Encoding gives `style`, `explode` or `allowReserved` is serialized like a
    query parameter of that style (deepObject nested `a[b][c]`, arrays `a[0]`); any other
    goes by content: an object (or an array's object) as JSON, an array as one field per
    item, a scalar as its text."""
    items: list[tuple[str, str]] = []
    for name, member in value.items():
        if member is None:
            continue
        rule = encoding.get(name) or {}
        if any(key in rule for key in ("style", "explode", "allowReserved")):
            param = {"name": name, "in": "query", **rule}
            styled = _query_expected(param, member)
            items.extend(styled if styled is not None else [(name, _form_text(member))])
            continue
        for item in member if isinstance(member, list) else [member]:
            if isinstance(item, (dict, list)):
                items.append((name, json.dumps(item, separators=(",", ":"), ensure_ascii=False)))
            elif item is not None:
                items.append((name, _form_text(item)))
    return items


def received_form_items(media: str, request: Recorded) -> list[tuple[str, str]]:
    headers = {k.lower(): v for k, v in request.headers}
    if media == "application/x-www-form-urlencoded":
        return parse_qsl(request.body.decode("ascii", "replace"), keep_blank_values=True)
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + headers.get("content-type", "").encode() + b"\r\n\r\n" + request.body
    )
    items = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        items.append((str(name), payload.decode("utf-8", "replace")))
    return items


def _judge_form(
    form: tuple[str, Mapping[str, Any]],
    tool: Mapping[str, Any],
    arguments: Mapping[str, Any],
    request: Recorded,
    problems: list[str],
) -> None:
    media, encoding, binary = form
    value = _body_arguments(tool, arguments)
    if media not in FORM_TYPES:
        expected = _unbase64(value) if "" in binary else value
        if value is not None and request.body.decode("utf-8", "replace") != str(expected):
            problems.append(f"raw body: sent {expected!r}"[:200] + f", got {request.body!r}"[:200])
        return
    if not isinstance(value, dict):
        return
    # A file the tool takes as base64 text goes as its bytes.
    value = {
        k: _unbase64(v) if k in binary and media == "multipart/form-data" else v
        for k, v in value.items()
    }
    sent_type = {k.lower(): v for k, v in request.headers}.get("content-type", "")
    if not sent_type.lower().startswith(media):
        problems.append(f"body sent as {sent_type!r}, the description says {media}")
        return
    expected = sorted(expected_form_items(value, encoding))
    received = sorted(received_form_items(media, request))
    if expected != received:
        missing = [i for i in expected if i not in received][:4]
        extra = [i for i in received if i not in expected][:4]
        problems.append(f"form body: missing {missing}, unexpected {extra}")


def _misplaced_secrets(
    request: Recorded, op: Operation, document: Mapping[str, Any], secrets: Mapping[str, str]
) -> list[str]:
    """A credential anywhere but a place one of the operation's schemes names is a leak."""
    requirements = op.spec.get("security", document.get("security")) or []
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    allowed: set[tuple[str, str]] = set()
    for requirement in requirements:
        for scheme_name in requirement or {}:
            scheme = schemes.get(scheme_name) or {}
            if scheme.get("type") == "apiKey":
                allowed.add((scheme.get("in", ""), str(scheme.get("name", "")).lower()))
            elif scheme.get("type") in {"http", "oauth2", "openIdConnect"}:
                allowed.add(("header", "authorization"))
    split = urlsplit(request.target)
    where: list[tuple[str, str]] = []
    for secret in secrets.values():
        where.extend(
            ("query", key.lower())
            for key, value in parse_qsl(split.query, keep_blank_values=True)
            if secret in value
        )
        for key, value in request.headers:
            if key.lower() == "cookie":
                where.extend(
                    ("cookie", part.split("=", 1)[0].strip().lower())
                    for part in value.split(";")
                    if secret in part
                )
            elif secret in value or secret in _basic_credentials(value):
                where.append(("header", key.lower()))
        if secret in unquote(split.path) or secret.encode() in request.body:
            where.append(("path or body", ""))
    return [
        f"a credential was sent in {kind} {name!r}, where no scheme of the operation puts one"
        for kind, name in where
        if (kind, name) not in allowed
    ]


def _basic_credentials(value: str) -> str:
    """The `user:password` of a Basic authorization value, else ''."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(token).decode("utf-8", "replace")
    except ValueError:
        return ""


# -- one document ------------------------------------------------------------------------


@dataclass
class DocumentResult:
    document: str
    stage: str  # "import", "generate", "serve", "judged"
    error: str = ""
    verdicts: list[Verdict] = field(default_factory=list)


def credentials(spec: Mapping[str, Any]) -> tuple[dict[str, str], bool]:
    """A made-up value for every credential variable but OAuth 2's (its token endpoint is
    elsewhere), and whether any scheme was left unset for that reason."""
    values: dict[str, str] = {}
    oauth = False
    for scheme in ((spec.get("http") or {}).get("auth") or {}).values():
        if scheme.get("type") == "oauth2_client_credentials" or "token_url" in scheme:
            oauth = True
            continue
        for key, var in scheme.items():
            if key == "env" or key.endswith("_env"):
                values[var] = SECRET.format(var.lower())
    return values, oauth


def read_document(path: Path) -> Any:
    """The description as data, JSON or YAML."""
    import yaml

    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def run_document(path: Path, work: Path, tools: int, seed: int) -> DocumentResult:
    name = "wire" + re.sub(r"\W", "", path.stem.lower())[:20]
    spec_file = work / "spec.toml"
    mcpgen = [sys.executable, "-m", "mcpgen"]
    done = subprocess.run(
        [*mcpgen, "import", "openapi", str(path), "-o", str(spec_file), "--name", name],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return DocumentResult(str(path), "import", done.stderr[-600:])
    done = subprocess.run(
        [*mcpgen, "generate", str(spec_file), "-o", str(work / "server")],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return DocumentResult(str(path), "generate", done.stderr[-600:])
    spec = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    document = read_document(path)
    # The package as generated (mcpgen derives it from the server's name).
    package = next(p.name for p in (work / "server" / "src").iterdir() if p.is_dir())
    chosen = random.Random(seed).sample(
        spec.get("tools") or [], min(tools, len(spec.get("tools") or []))
    )
    result = DocumentResult(str(path), "judged")
    secrets, _ = credentials(spec)
    with recorder() as (base_url, record):
        env = {
            **os.environ,
            **secrets,
            "PYTHONPATH": str(work / "server" / "src"),
            (spec.get("http") or {}).get("base_url_env") or f"{package.upper()}_BASE_URL": base_url,
        }
        server = StdioServerParameters(command=sys.executable, args=["-m", package], env=env)
        log_path = work / "server.log"

        async def call_all() -> None:
            with log_path.open("w", encoding="utf-8") as log:
                await call_each(log)

        async def call_each(log: Any) -> None:
            async with Client(stdio_client(server, errlog=log)) as client:
                # The input schemas as a client reads them: self-contained, `$defs` inside.
                schemas = {t.name: t.input_schema for t in (await client.list_tools()).tools}
                for i, tool in enumerate(chosen):
                    op = operation_of(tool, document)
                    if op is None:
                        result.verdicts.append(
                            Verdict(tool["name"], False, ["no operation of the document matches"])
                        )
                        continue
                    arguments = draw_arguments(schemas[tool["name"]], seed + i)
                    if arguments is None:
                        result.verdicts.append(Verdict(tool["name"], None, ["no arguments drawn"]))
                        continue
                    record.clear()
                    answer = await client.call_tool(tool["name"], arguments)
                    if not record and "can carry only ASCII" in _text_of(answer):
                        # Refused by name, as it should be: a header carries only ASCII.
                        # The same call again, its text ASCII, puts the rest to the test.
                        arguments = _ascii(arguments)
                        answer = await client.call_tool(tool["name"], arguments)
                    meta = answer.meta or {}
                    error = str((meta.get("dev.mcpgen/error") or {}).get("type", ""))
                    if not record and "Credentials" in error:
                        result.verdicts.append(
                            Verdict(tool["name"], None, ["needs an OAuth 2 credential"])
                        )
                        continue
                    verdict = judge(document, op, tool, arguments, list(record), secrets)
                    if not record:
                        texts = _text_of(answer)[:300]
                        verdict.problems.append(f"the tool answered: {texts}")
                        reference = re.search(r"reference ([0-9a-f]+)", texts)
                        if reference is not None:
                            log.flush()
                            verdict.problems.append(_incident(log_path, reference[1]))
                    result.verdicts.append(verdict)

        try:
            anyio.run(call_all)
        except Exception as error:
            result.stage = "serve"
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
            result.error = f"{error!r}"[:300] + f"; the server's log ends: {tail}"
    return result


def _text_of(answer: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in answer.content)


def _ascii(value: Any) -> Any:
    """The arguments with the awkward strings' one non-ASCII letter made ASCII."""
    if isinstance(value, str):
        return value.replace("é", "e")
    if isinstance(value, list):
        return [_ascii(v) for v in value]
    if isinstance(value, dict):
        return {k: _ascii(v) for k, v in value.items()}
    return value


def _incident(log: Path, reference: str) -> str:
    """The exception the server logged under an incident reference: its last line."""
    text = log.read_text(encoding="utf-8", errors="replace")
    at = text.find(f"reference {reference}")
    if at < 0:
        return "(not in the server's log)"
    lines = text[at:].splitlines()[1:]
    for line in lines:
        if line and not line.startswith((" ", "Traceback")):
            return "server: " + line[:300]
    return "(no exception line)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("documents", nargs="*", type=Path)
    parser.add_argument("--directory", type=Path, help="a folder of JSON descriptions")
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tools", type=int, default=DEFAULT_TOOLS)
    parser.add_argument("--json", type=Path, help="write every result here as JSON lines")
    args = parser.parse_args(argv)
    documents = list(args.documents)
    if args.directory is not None:
        every = sorted(p for p in args.directory.rglob("*.json") if not p.name.startswith("_"))
        documents += random.Random(args.seed).sample(every, min(args.sample, len(every)))
    wrong = 0
    counts = {"ok": 0, "wrong": 0, "not judged": 0}
    stages: dict[str, int] = {}
    out = args.json.open("w", encoding="utf-8") if args.json else None
    for index, document in enumerate(documents):
        with tempfile.TemporaryDirectory(prefix="mcpgen-wire-") as tmp:
            result = run_document(document, Path(tmp), args.tools, args.seed + index)
        stages[result.stage] = stages.get(result.stage, 0) + 1
        for verdict in result.verdicts:
            key = "not judged" if verdict.ok is None else "ok" if verdict.ok else "wrong"
            counts[key] += 1
        bad = [v for v in result.verdicts if v.ok is False]
        wrong += len(bad)
        line = f"{document}: {result.stage}"
        if result.error:
            line += f" ({result.error.strip().splitlines()[-1][:200]})"
        line += " " + " ".join(
            "." if v.ok else "?" if v.ok is None else "X" for v in result.verdicts
        )
        print(line, flush=True)
        for verdict in result.verdicts:
            if verdict.ok is not True:
                mark = "wrong" if verdict.ok is False else "not judged"
                for problem in verdict.problems[:4]:
                    print(f"    {verdict.tool} ({mark}): {problem}")
        if out is not None:
            out.write(
                json.dumps(
                    {
                        "document": str(document),
                        "stage": result.stage,
                        "error": result.error,
                        "verdicts": [v.__dict__ for v in result.verdicts],
                    }
                )
                + "\n"
            )
    if out is not None:
        out.close()
    generated = sum(n for stage, n in stages.items() if stage in {"judged", "serve"})
    print(
        f"\n{generated}/{len(documents)} documents imported and generated ({stages}); "
        f"requests: {counts['ok']} ok, {counts['wrong']} wrong, {counts['not judged']} not judged"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
