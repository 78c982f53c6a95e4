"""What an OpenAPI description means by an operation's request, for wire_conformance.py.

An operation's path key taken apart (a query in the path, AWS's `#fragment` queries), the
operation a tool was made from, and a one-operation copy of the document for openapi-core.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


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
    for template, raw_item in (document.get("paths") or {}).items():
        # A path item may be a reference to another (SureVoIP's `/support/service-status`).
        item = resolved(document, raw_item)
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
                param = resolved(document, raw)
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
            for param in (resolved(document, raw) for raw in holder.get("parameters") or [])
            if not (param.get("in") == "query" and param.get("name") in fixed)
            and not _ignored_header(param)
        ]
    single["paths"] = {op.path: item}
    single.pop("webhooks", None)
    single["components"] = _components_reached(document, item)
    return single


def _ignored_header(param: Mapping[str, Any]) -> bool:
    """OpenAPI: a header parameter named Accept, Content-Type or Authorization "SHALL be
    ignored" (the body and the security schemes say those)."""
    name = str(param.get("name", "")).lower()
    return param.get("in") == "header" and name in ("accept", "content-type", "authorization")


def _components_reached(document: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    """The components `item` reaches through `$ref`s, transitively, and the security schemes:
    openapi-core reads what it is given, and Stripe's 5 MB of components made it hold 2.5 GB
    to judge one request."""
    components = document.get("components") or {}
    kept: dict[str, dict[str, Any]] = {}
    if "securitySchemes" in components:
        kept["securitySchemes"] = dict(components["securitySchemes"])
    stack: list[Any] = [item]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = pointer_tokens(ref)[1:3]
                target = (components.get(kind) or {}).get(name)
                if target is not None and name not in kept.setdefault(kind, {}):
                    kept[kind][name] = target
                    stack.append(target)
            stack.extend(value.values())
    return kept


def pointer_tokens(fragment: str) -> list[str]:
    """The reference tokens of a JSON pointer written as a URI fragment (`#/a~1b/%7Bc%7D`):
    percent-decoded first, then `~1` and `~0` (RFC 6901, sections 6 and 4). Codat's
    parameters refer to `#/paths/~1companies~1%7BcompanyId%7D~1...`."""
    return [
        unquote(part).replace("~1", "/").replace("~0", "~")
        for part in fragment.removeprefix("#").removeprefix("/").split("/")
    ]


def resolved(document: Mapping[str, Any], value: Any) -> Any:
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        target: Any = document
        for part in pointer_tokens(value["$ref"]):
            target = target[int(part)] if isinstance(target, list) else target[part]
        value = target
    return value


def parameter_of(document: Mapping[str, Any], op: Operation, location: str, name: str) -> Any:
    for raw in [*(op.spec.get("parameters") or []), *(op.path_item.get("parameters") or [])]:
        param = resolved(document, raw)
        if isinstance(param, dict) and param.get("in") == location and param.get("name") == name:
            return param
    return {}


def style_of(param: Mapping[str, Any]) -> tuple[str, bool]:
    """A parameter's style and explode, with OpenAPI's defaults for its location."""
    default = "simple" if param.get("in") in ("path", "header") else "form"
    style = str(param.get("style", default))
    return style, bool(param.get("explode", style == "form"))
