"""The judge of wire_conformance.py: is a recorded request what its description means?

openapi-core (an independent implementation of OpenAPI's request rules) reads the request
back against a one-operation copy of the document; what openapi-core 0.23 cannot read is
judged here to OpenAPI 3.1.1's rules (path values, deepObject and delimited queries, form and
raw bodies, JSON `content` parameters), or counted as not judged (label and matrix paths,
object cookies and headers). Credentials found anywhere a scheme does not put them are leaks.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from wire_description import Operation, parameter_of, resolved, single_operation_document, style_of

# A made-up credential: found anywhere a credential should not be, it is a leak.
SECRET = "mcpgen-wire-secret-{}"


@dataclass(frozen=True)
class Recorded:
    method: str
    target: str  # the request target as sent: path and query, percent-encoded
    headers: tuple[tuple[str, str], ...]
    body: bytes


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
    if isinstance(received, (str, bytes)) and isinstance(sent, str) and sent != received:
        # `format: byte`: openapi-core hands back the bytes the base64 text stands for.
        raw = received if isinstance(received, bytes) else received.encode()
        if raw.decode(errors="replace") == sent:
            return True
        try:
            return base64.b64decode(sent, validate=True) == raw
        except ValueError:
            return False
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
        _drop_defaults(described)
        _drop_unreadable_patterns(described)
        _azure_discriminators(described, document)
        _json_for_any_media(described, op)
        # A format openapi-core does not know (`format: string`, `format: lat`) fails every
        # parameter it reads: unknown formats are taken as the text they are.
        unknown = _formats(described) - KNOWN_FORMATS
        api = OpenAPI.from_dict(
            described,
            config=Config(  # type: ignore[arg-type]
                spec_validator_cls=None,
                extra_format_validators={f: _anything for f in unknown},
                extra_format_unmarshallers={f: _itself for f in unknown},
                # openapi-core 0.23 reads application/json only as JSON; `+json` types are
                # JSON too (RFC 6839).
                extra_media_type_deserializers={m: json.loads for m in _json_media(described)},
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
            parameter_of(document, op, error.location, error.name), document
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


def _json_for_any_media(described: dict[str, Any], op: Operation) -> None:
    """A body described as `*/*` (Kubernetes' are) goes as JSON; openapi-core reads a
    `*/*` body as bytes and refuses them against an object schema, so its copy says JSON."""
    method = described["paths"][op.path][op.method.lower()]
    body = resolved(described, method.get("requestBody"))
    # A media type's type and subtype have no case (RFC 9110 8.3.1): Mastercard's
    # `application/JSON` is what the request's `application/json` is sent as.
    content = {_lower_type(k): v for k, v in ((body or {}).get("content") or {}).items()}
    if "*/*" in content and "application/json" not in content:
        content = {"application/json": content["*/*"]}
    if body:
        method["requestBody"] = {**body, "content": content}


def _lower_type(media: str) -> str:
    kind, sep, rest = media.partition(";")
    return kind.strip().lower() + sep + rest


def _json_media(described: Mapping[str, Any]) -> set[str]:
    """The `+json` media types a document names anywhere."""
    found: set[str] = set()
    stack: list[Any] = [described]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(k for k in item if isinstance(k, str) and k.endswith("+json"))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _drop_defaults(value: Any) -> None:
    """openapi-core fills a missing property's `default` in before it hands the body back
    (then `enabled: true` reads as sent when it was not), and refuses a readOnly one it filled
    itself: the judge compares what was sent, so defaults go from its copy of the document."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if _SCHEMA_KEYWORDS & set(item):
                item.pop("default", None)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _drop_unreadable_patterns(value: Any) -> None:
    """openapi-core runs `pattern` with Python's `re`, which cannot compile some patterns
    the import reads with certainty (`\\A...\\z`, Ruby's and Java's anchors: "bad escape
    \\z" before Python 3.14) and then refuses every value: the judge cannot read them, so
    its copy leaves them out, and the runtime's own check (ECMA-262) holds them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            pattern = item.get("pattern")
            if isinstance(pattern, str) and _SCHEMA_KEYWORDS & set(item):
                try:
                    re.compile(pattern)
                except re.error:
                    del item["pattern"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# A dict with one of these is a schema (its `default` is one), not a map of properties: a
# default beside `allOf` (doqs.dev's `font: {allOf: [Font], default: helvetica}`) too.
_SCHEMA_KEYWORDS = frozenset({"type", "properties", "allOf", "anyOf", "oneOf", "$ref", "enum"})


def _azure_discriminators(described: dict[str, Any], document: Mapping[str, Any]) -> None:
    """Azure names a subtype's discriminator value `x-ms-discriminator-value`, which
    openapi-core does not read: it looks the value up as a schema name ("ScheduleBased"),
    which is none, and fails every body. The import drops `discriminator` (a tool's body is
    its base schema), so the judge's copy does too, where the document is Azure's."""
    if '"x-ms-discriminator-value"' not in json.dumps(document.get("components") or {}):
        return
    stack: list[Any] = [described]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            discriminator = item.get("discriminator")
            if isinstance(discriminator, dict) and not discriminator.get("mapping"):
                del item["discriminator"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


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


def _judged_here(param: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """Parameters openapi-core 0.23 cannot read back: judged here (path values, which it
    checks still percent-encoded; query styles it does not split; exploded query objects,
    whose name is not on the wire) or not at all (label and matrix paths, object cookies,
    nested values): its own error about them says nothing of the request."""
    if "content" in param or param.get("in") == "path" or _nested(param, document):
        return True
    style, _ = style_of(param)
    kind = (param.get("schema") or {}).get("type")
    return (
        (param.get("in") == "query" and (style != "form" or kind == "object"))
        or style in ("label", "matrix")
        or (param.get("in") in ("cookie", "header") and kind in ("object", "array"))
    )


def _nested(param: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """An array or object parameter holding arrays or objects, in a style other than
    deepObject: OpenAPI 3.1.1 leaves its serialization undefined (§4.8.12.4, "the behavior
    for nested objects and arrays is undefined"), so no sending of it is wrong."""
    if style_of(param)[0] == "deepObject":
        return False
    schema = resolved(document, param.get("schema") or {})
    members = [schema.get("items")] if schema.get("type") == "array" else []
    if schema.get("type") == "object":
        members = list((schema.get("properties") or {}).values())
    return any(
        resolved(document, m).get("type") in ("array", "object")
        for m in members
        if isinstance(m, dict)
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
    style, explode = style_of(param)
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
        param = parameter_of(document, op, location, wire)
        if "content" in param:
            _judge_content_parameter(param, arguments[prop], request_parts, problems)
            continue
        if location == "path":
            _judge_path_parameter(
                op, param or {"name": wire}, arguments[prop], request_parts[0], problems
            )
            continue
        if _nested(param, document):
            continue  # any sending is OpenAPI's (see `_nested`)
        if _judged_here(param, document):
            expected = _query_expected(param, arguments[prop]) if location == "query" else None
            if expected is not None:
                missing = [item for item in expected if item not in query]
                if missing:
                    problems.append(
                        f"query parameter {wire!r} ({style_of(param)[0]}): {missing[:3]} not in "
                        f"the query {query!r}"[:400]
                    )
            continue
        if location == "query" and arguments[prop] == "" and (wire, "") in query:
            continue  # sent empty, as it is: openapi-core drops empty values it refuses
        if location == "query" and not param:
            # A template's variable the description never declares (icons8's
            # `latest?term={term}`): openapi-core reads only declared parameters.
            if not any(k == wire and _same(arguments[prop], v) for k, v in query):
                problems.append(f"undeclared query parameter {wire!r} not sent as {query!r}")
            continue
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
    style, explode = style_of({"in": "path", **param})
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
    body = resolved(document, op.spec.get("requestBody")) or {}
    # The tool's media type; without one it sends JSON.
    chosen = ((tool.get("http") or {}).get("body") or {}).get("content_type", "application/json")
    for media, content in (body.get("content") or {}).items():
        kind = media.split(";")[0].strip().lower()
        if chosen != kind:
            continue
        schema = resolved(document, (content or {}).get("schema")) or {}
        if kind not in FORM_TYPES and not _is_json(kind):
            # A raw body (bytes, text): openapi-core 0.23 checks its bytes against a string
            # schema and refuses them; it is compared here, as the bytes it should be.
            # `format: file`: Swagger 2.0's file, as APIs.guru's upgrade leaves it.
            # An octet-stream body is bytes whatever its schema (none, for brainbi.net's).
            raw = (
                kind == "application/octet-stream"
                or schema.get("format") in ("binary", "file")
                or bool({"contentEncoding", "contentMediaType"} & set(schema))
            )
            return kind, {}, {""} if raw else set()
        if kind in FORM_TYPES:
            binary = set()
            for name, prop in (schema.get("properties") or {}).items():
                prop = resolved(document, prop) or {}
                items = resolved(document, prop.get("items")) or {}
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
