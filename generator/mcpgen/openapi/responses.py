"""An operation's responses: the first 2xx one becomes the tool's output; 4xx, 5xx and
`default` ones become error types, shared between the tools that answer with them."""

from __future__ import annotations

import http
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from mcpgen import pointers
from mcpgen.openapi.document import Pointer, Target
from mcpgen.openapi.markup import description_text
from mcpgen.openapi.naming import Candidate, class_name
from mcpgen.openapi.operations import Context, Operation
from mcpgen.openapi.request_body import is_json
from mcpgen.openapi.schema import JsonSchema


@dataclass
class ErrorUse:
    """One declared error type: every response with the same name, retryability and data."""

    wanted: str  # PascalCase, ending in Error
    data: JsonSchema
    retryable: bool
    # Words for the message, from each response met; the least one is used (order-free).
    descriptions: set[str] = field(default_factory=set)
    phrases: set[str] = field(default_factory=set)
    routes: set[str] = field(default_factory=set)  # the operations that answer with it


# Headers of a 202 (or, but `Location`, of any 2xx) that name a status monitor.
MONITOR_HEADERS = ("azure-asyncoperation", "operation-location", "location")
# Properties of a 202's JSON body that hold the monitor's URL (Visma.net's 474 background
# operations say `stateLocation`); a plain `location` is Azure's region, never a link.
MONITOR_LINKS = frozenset(
    {
        "stateLocation",
        "statusLocation",
        "statusUrl",
        "statusUri",
        "status_url",
        "monitorUrl",
        "operationLocation",
        "operationUrl",
        "pollUrl",
        "pollingUrl",
    }
)
# Azure's `final-state-via` -> where the result is (`http.long_running.result`).
_FINAL_STATE_VIA = {
    "azure-async-operation": "status",
    "operation-location": "status",
    "location": "location",
    "original-uri": "original_uri",
}

# Where Azure's result is when `final-state-via` is not given (autorest's defaults).
_AZURE_FINAL_STATE = {"PUT": "original_uri", "PATCH": "original_uri", "POST": "location"}


class Responses:
    """Reads operations' outputs and errors; gathers the error types they use."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.error_uses: dict[str, ErrorUse] = {}

    def long_running(self, op: Operation) -> dict[str, Any] | None:
        """The operation's `http.long_running`, when the description marks it (Azure's
        `x-ms-long-running-operation`) or its 202 names a status monitor (a header, or a
        link in its body); None: its first answer is its result."""
        value = op.value
        if value.get("x-ms-long-running-operation") is True:
            options = value.get("x-ms-long-running-operation-options")
            via = options.get("final-state-via") if isinstance(options, dict) else None
            result = _FINAL_STATE_VIA.get(str(via))
            if result is None:
                # A PUT or PATCH ends at its own URL, a POST at its Location when it has
                # one, anything else at the monitor.
                result = _AZURE_FINAL_STATE.get(op.method, "status")
            return {} if result == "status" else {"result": result}
        responses = value.get("responses")
        if not isinstance(responses, dict) or "202" not in responses:
            return None
        accepted, target = self.context.documents.follow(
            responses["202"], op.document, (*op.parts, "responses", "202")
        )
        if not isinstance(accepted, dict):
            return None
        headers = accepted.get("headers")
        if isinstance(headers, dict) and {str(h).lower() for h in headers} & set(MONITOR_HEADERS):
            return {}
        content = accepted.get("content")
        if not isinstance(content, dict):
            return None
        media = next((m for m in sorted(content) if is_json(m)), None)
        if media is None or not isinstance(content[media], dict) or "schema" not in content[media]:
            return None
        schema, _ = self.context.documents.follow(
            content[media]["schema"], target.document, (*target.parts, "content", media, "schema")
        )
        properties = schema.get("properties") if isinstance(schema, dict) else None
        links = sorted(MONITOR_LINKS & set(properties)) if isinstance(properties, dict) else []
        if not links:
            return None
        return {"status_headers": [], "status_link": "/" + pointers.escape(links[0])}

    def output(
        self, op: Operation, *, interim_202: bool = False
    ) -> tuple[JsonSchema | None, dict[str, Any]]:
        """The tool's output and `http.response`: from the first success response, but for
        a long-running operation (`interim_202`) not its 202, which describes the status
        monitor rather than the result: one that has no other answers as text."""
        found = self._success(op, skip="202" if interim_202 else None)
        if found is None:
            return None, {"content_type": "text" if interim_202 else "none"}
        _, response, target = found
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict) or not content:
            return None, {"content_type": "none"}
        json_media = next((m for m in sorted(content) if is_json(m)), None)
        if json_media is None:
            return None, {"content_type": "text"}
        media_value = content[json_media] if isinstance(content[json_media], dict) else {}
        raw = media_value.get("schema")
        at: Pointer = (*target.parts, "content", json_media, "schema")
        if raw is None:
            return None, {"content_type": "text"}
        schema = self.context.schemas.convert(raw, target.document, at, "output")
        if self.context.schemas.is_object(raw, target.document, at):
            if "$ref" not in schema and "type" not in schema:
                # An allOf of objects: says so at its root, as MCP's outputSchema must
                # (a shared one is typed where it is defined).
                schema = {"type": "object", **schema}
            return schema, {}
        return (
            {"type": "object", "required": ["result"], "properties": {"result": schema}},
            {"wrap": "result"},
        )

    def errors(self, op: Operation) -> dict[str, str]:
        responses = op.value.get("responses")
        if not isinstance(responses, dict):
            return {}
        has_success = any(re.fullmatch(r"2(\d\d|XX)", str(s)) for s in responses)
        result: dict[str, str] = {}
        for status in sorted(str(s) for s in responses):
            if not (
                re.fullmatch(r"[45](\d\d|XX)", status) or (status == "default" and has_success)
            ):
                continue
            raw = responses[status]
            response, target = self.context.documents.follow(
                raw, op.document, (*op.parts, "responses", status)
            )
            component = _component_response(raw)
            phrase = _phrase(status)
            wanted = class_name(component or phrase.title().replace(" ", ""))
            wanted = wanted if wanted.endswith("Error") else class_name(wanted + "Error")
            body: JsonSchema = {}
            content = response.get("content") if isinstance(response, dict) else None
            if isinstance(content, dict):
                json_media = next((m for m in sorted(content) if is_json(m)), None)
                if json_media is not None and isinstance(content[json_media], dict):
                    raw_schema = content[json_media].get("schema")
                    if raw_schema is not None:
                        body = self.context.schemas.convert(
                            raw_schema,
                            target.document,
                            (*target.parts, "content", json_media, "schema"),
                            "output",
                        )
            data: JsonSchema = {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "integer"}, "body": body},
            }
            retryable = status == "429" or status.startswith("5")
            # Everything that shows in the error type's schema is in its key: which operation
            # met it first can never matter.
            key = json.dumps([wanted, retryable, _canonical(data)], sort_keys=True)
            use = self.error_uses.setdefault(key, ErrorUse(wanted, data, retryable))
            description = (
                description_text(response.get("description")) if isinstance(response, dict) else ""
            )
            if component and description:
                use.descriptions.add(description.split("\n", 1)[0].strip()[:200])
            use.phrases.add(phrase if not component else "HTTP error")
            use.routes.add(op.route)
            result[status] = key
        return result

    def error_candidates(
        self, type_names: dict[str, str], tool_names: dict[str, str]
    ) -> list[Candidate]:
        """Wanted error names, made distinct by what tells clashing errors apart.

        Errors that want one name but differ: a retryable one says so (`...RetryableError`), one
        whose body is a shared type names it (`NotFound` + `BasicError`), one with an inline
        body that only one operation answers names that operation's tool
        (`ReposCreate` + `UnprocessableEntityError`), and the one without a body keeps the plain
        name; whatever still clashes is numbered by `class_names`.
        """
        groups: defaultdict[str, list[str]] = defaultdict(list)
        for key, use in self.error_uses.items():
            groups[use.wanted].append(key)
        candidates: list[Candidate] = []
        for wanted, keys in groups.items():
            stem = wanted.removesuffix("Error")
            retry_split = len({self.error_uses[k].retryable for k in keys}) > 1
            for key in keys:
                use = self.error_uses[key]
                name = f"{stem}Retryable" if use.retryable and retry_split else stem
                body = use.data["properties"]["body"]
                label = "no body"
                if set(body) == {"$ref"}:
                    type_name = type_names[body["$ref"].identity]
                    label = f"body {type_name}"
                    if len(keys) > 1:
                        name += type_name
                elif body:
                    label = "an inline body"
                    if len(keys) > 1 and len(use.routes) == 1:
                        (route,) = use.routes
                        name = class_name(tool_names[route]) + name
                name = class_name(name if name.endswith("Error") else name + "Error")
                candidates.append(Candidate(key, name, preferred=not body, label=label))
        return candidates

    def _success(self, op: Operation, skip: str | None = None) -> tuple[str, Any, Target] | None:
        responses = op.value.get("responses")
        if not isinstance(responses, dict):
            return None
        statuses = sorted(str(s) for s in responses if re.fullmatch(r"2(\d\d|XX)", str(s)))
        if not statuses and "default" in responses:
            statuses = ["default"]
        statuses = [status for status in statuses if status != skip]
        for status in statuses:
            response, target = self.context.documents.follow(
                responses[status], op.document, (*op.parts, "responses", status)
            )
            return status, response, target
        return None


def error_message(use: ErrorUse) -> str:
    """The error's message template: the response's own words when it is a shared component."""
    text = min(use.descriptions) if use.descriptions else min(use.phrases)
    return text.replace("{", "{{").replace("}", "}}") + " (HTTP {status})"


def _component_response(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
        match = re.search(r"/responses/([^/]+)$", raw["$ref"])
        if match:
            return pointers.unescape(match[1])
    return None


def _phrase(status: str) -> str:
    if status == "default":
        return "Unexpected error"
    if status.endswith("XX"):
        return "Client error" if status.startswith("4") else "Server error"
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return f"HTTP {status}"


def _canonical(value: Any) -> Any:
    """A JSON-able copy in which type references show their identity (names come later)."""
    if isinstance(value, dict):
        return {
            k: (getattr(v, "identity", v) if k == "$ref" else _canonical(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
