"""A deterministic synthetic mcpgen spec: many tools with realistic nested JSON Schemas.

Used by `bench_generate.py`. The same (tools, seed) always gives the same bytes.

What a tool looks like, roughly as real MCP servers write them (CRM, ticketing, billing...):
an input object of 3-9 properties mixing plain scalars with bounds and formats, enums,
optional fields with defaults, arrays of strings, `$ref`s to shared `types`, and one or two
nested objects (a filter holding an array of condition objects holding enums and a nested
range object); an output object holding an array of records (objects with nested objects
and arrays), a `$ref`ed pagination block and so on; sometimes a bare `$ref` output, sometimes
none. About a third of the tools carry examples (generated to match their input schema), and
some declare errors, a few of which carry typed data.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

JsonSchema = dict[str, Any]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VERBS = _words(
    "get list create update delete search archive restore export import sync assign "
    "approve reject merge split schedule cancel summarize validate"
)
NOUNS = _words(
    "customer invoice order ticket project task comment user team payment refund shipment "
    "product catalog campaign contact lead deal subscription report dashboard alert "
    "incident deployment repository branch release document folder calendar_event meeting "
    "note webhook api_key audit_log warehouse supplier contract"
)
FIELD_WORDS = _words(
    "name title label summary notes reference code slug owner region channel source "
    "category segment locale timezone language external_id parent_id query keyword cursor "
    "color icon"
)
STRING_FORMATS = ("date", "date-time", "email", "uri", "uuid", "hostname", "ipv4", "time")
ENUM_POOLS = (
    ("asc", "desc"),
    ("low", "medium", "high", "critical"),
    ("draft", "pending", "active", "suspended", "closed"),
    ("eq", "ne", "lt", "lte", "gt", "gte", "contains", "starts_with"),
    ("daily", "weekly", "monthly", "quarterly", "yearly"),
    ("email", "sms", "push", "webhook"),
    ("json", "csv", "xlsx", "pdf"),
    ("north", "south", "east", "west"),
)
SENTENCES = (
    "Identifier of the record, as returned by the list endpoint.",
    "Free text; matched case-insensitively against names and descriptions.",
    "Only records changed at or after this instant are returned.",
    "Maximum number of items per page; the server may return fewer.",
    "Opaque cursor from a previous page; omit it for the first page.",
    "ISO 4217 currency code, upper case.",
    "When true, archived records are included as well.",
    "Human-readable label shown in the user interface.",
    "Tags attached to the record; order is not significant.",
    "Conditions are combined with AND; an empty list matches everything.",
)

# Shared types, referenced as {"$ref": "#/types/<Name>"}; some reference each other.
SHARED_TYPES: dict[str, JsonSchema] = {
    "Currency": {
        "type": "string",
        "description": "ISO 4217 currency code.",
        "enum": ["EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK"],
    },
    "Money": {
        "type": "object",
        "description": "An amount in a currency, in minor units.",
        "required": ["amount_minor", "currency"],
        "properties": {
            "amount_minor": {"type": "integer", "minimum": -(10**12), "maximum": 10**12},
            "currency": {"$ref": "#/types/Currency"},
        },
        "additionalProperties": False,
    },
    "Address": {
        "type": "object",
        "description": "A postal address.",
        "required": ["line1", "city", "country"],
        "properties": {
            "line1": {"type": "string", "minLength": 1, "maxLength": 200},
            "line2": {"type": "string", "maxLength": 200},
            "city": {"type": "string", "minLength": 1},
            "postal_code": {"type": "string", "pattern": "^[A-Za-z0-9 -]{2,12}$"},
            "country": {
                "type": "string",
                "pattern": "^[A-Z]{2}$",
                "description": "ISO 3166-1 alpha-2.",
            },
            "location": {"$ref": "#/types/GeoPoint"},
        },
    },
    "GeoPoint": {
        "type": "object",
        "required": ["lat", "lon"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
        },
    },
    "Pagination": {
        "type": "object",
        "description": "Where a page sits in the whole result.",
        "required": ["total", "has_more"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "UserRef": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "display_name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
        },
    },
    "Tag": {
        "type": "object",
        "required": ["key"],
        "properties": {
            "key": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"},
            "value": {"type": "string", "maxLength": 256},
        },
    },
    "Priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
    "Status": {
        "type": "string",
        "description": "Lifecycle state of a record.",
        "enum": ["new", "open", "in_progress", "blocked", "done", "cancelled"],
    },
    "TimeRange": {
        "type": "object",
        "required": ["start"],
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
        },
    },
    "Attachment": {
        "type": "object",
        "required": ["url", "media_type"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "media_type": {"type": "string"},
            "size_bytes": {"type": "integer", "minimum": 0},
            "uploaded_by": {"$ref": "#/types/UserRef"},
        },
    },
    "AuditInfo": {
        "type": "object",
        "required": ["created_at", "created_by"],
        "properties": {
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": {"$ref": "#/types/UserRef"},
            "updated_at": {"type": "string", "format": "date-time"},
            "updated_by": {"$ref": "#/types/UserRef"},
        },
    },
}
REF_TARGETS = tuple(SHARED_TYPES)
OBJECT_REFS = tuple(n for n, s in SHARED_TYPES.items() if s.get("type") == "object")

ERRORS: dict[str, dict[str, Any]] = {
    "NotFound": {
        "code": -32004,
        "message": "No {kind} with id {id}",
        "description": "The record does not exist or is not visible to the caller.",
        "data": {
            "type": "object",
            "required": ["kind", "id"],
            "properties": {"kind": {"type": "string"}, "id": {"type": "string"}},
        },
    },
    "PermissionDenied": {"code": -32003, "message": "You may not do this"},
    "Conflict": {
        "code": -32009,
        "message": "The record changed since version {expected_version}",
        "data": {
            "type": "object",
            "required": ["expected_version", "actual_version"],
            "properties": {
                "expected_version": {"type": "integer", "minimum": 0},
                "actual_version": {"type": "integer", "minimum": 0},
            },
        },
    },
    "RateLimited": {
        "code": -32029,
        "message": "Too many requests; retry after {retry_after_s} s",
        "data": {
            "type": "object",
            "required": ["retry_after_s"],
            "properties": {"retry_after_s": {"type": "number", "minimum": 0}},
        },
    },
    "InvalidState": {"code": -32010, "message": "The record is not in a state that allows this"},
    "QuotaExceeded": {
        "code": -32011,
        "message": "Quota exceeded",
        "description": "Plan limit reached.",
    },
}


class _Synth:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def describe(self, schema: JsonSchema, p: float = 0.5) -> JsonSchema:
        if self.chance(p):
            schema["description"] = self.r.choice(SENTENCES)
        return schema

    # -- leaves ------------------------------------------------------------------------

    def scalar(self) -> JsonSchema:
        kind = self.r.choice(
            ("string", "string", "string", "fmt", "integer", "number", "boolean", "enum", "ref")
        )
        if kind == "string":
            s: JsonSchema = {"type": "string"}
            if self.chance(0.5):
                s["minLength"] = 1
            if self.chance(0.4):
                s["maxLength"] = self.r.choice((64, 128, 255, 1000))
            if self.chance(0.15):
                s["pattern"] = "^[A-Za-z0-9_.-]+$"
            return self.describe(s)
        if kind == "fmt":
            return self.describe({"type": "string", "format": self.r.choice(STRING_FORMATS)})
        if kind == "integer":
            s = {"type": "integer", "minimum": self.r.choice((0, 1))}
            if self.chance(0.6):
                s["maximum"] = self.r.choice((10, 100, 1000, 10_000))
            if self.chance(0.3):
                s["default"] = s["minimum"] + 1 if "maximum" not in s else min(s["maximum"], 20)
            return self.describe(s)
        if kind == "number":
            s = {"type": "number"}
            if self.chance(0.5):
                s["exclusiveMinimum"] = 0
            if self.chance(0.3):
                s["maximum"] = 1e6
            return self.describe(s)
        if kind == "boolean":
            s = {"type": "boolean"}
            if self.chance(0.5):
                s["default"] = False
            return self.describe(s)
        if kind == "enum":
            pool = self.r.choice(ENUM_POOLS)
            s = {"type": "string", "enum": list(pool)}
            if self.chance(0.3):
                s["default"] = pool[0]
            return self.describe(s)
        return {"$ref": f"#/types/{self.r.choice(REF_TARGETS)}"}

    def string_array(self) -> JsonSchema:
        s: JsonSchema = {"type": "array", "items": {"type": "string", "minLength": 1}}
        if self.chance(0.5):
            s["uniqueItems"] = True
        if self.chance(0.5):
            s["maxItems"] = self.r.choice((10, 50, 100))
        return self.describe(s)

    def fields(self, count: int, prefix: str = "") -> dict[str, JsonSchema]:
        names = self.r.sample(FIELD_WORDS, count)
        out: dict[str, JsonSchema] = {}
        for name in names:
            out[prefix + name] = self.string_array() if self.chance(0.12) else self.scalar()
        return out

    def obj(self, properties: dict[str, JsonSchema], required_share: float = 0.4) -> JsonSchema:
        required = [k for k in properties if self.chance(required_share)]
        s: JsonSchema = {"type": "object", "properties": properties}
        if required:
            s["required"] = required
        if self.chance(0.3):
            s["additionalProperties"] = False
        return s

    # -- nested shapes ------------------------------------------------------------------

    def filter_object(self) -> JsonSchema:
        """object > array of condition objects > (enum, nested range object)."""
        condition = self.obj(
            {
                "field": {"type": "string", "enum": self.r.sample(FIELD_WORDS, 5)},
                "op": {"type": "string", "enum": list(ENUM_POOLS[3])},
                "value": {"type": ["string", "number", "boolean", "null"]},
                "range": self.obj(
                    {
                        "from": {"type": "number"},
                        "to": {"type": "number"},
                        "inclusive": {"type": "boolean", "default": True},
                    },
                    0.0,
                ),
            },
            0.0,
        )
        condition["required"] = ["field", "op"]
        return self.describe(
            self.obj(
                {
                    "match": {"type": "string", "enum": ["all", "any"], "default": "all"},
                    "conditions": {"type": "array", "items": condition, "maxItems": 20},
                    "updated_since": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"$ref": "#/types/Tag"}},
                },
                0.0,
            ),
            0.8,
        )

    def record(self, depth: int) -> JsonSchema:
        """A returned record: scalars, a nested object or two, arrays of objects."""
        properties: dict[str, JsonSchema] = {"id": {"type": "string", "format": "uuid"}}
        properties.update(self.fields(self.r.randint(2, 5)))
        properties["status"] = {"$ref": "#/types/Status"}
        if self.chance(0.4):
            properties["amount"] = {"$ref": "#/types/Money"}
        if self.chance(0.3):
            properties["audit"] = {"$ref": "#/types/AuditInfo"}
        if depth > 0 and self.chance(0.7):
            properties["details"] = self.obj(
                {
                    **self.fields(self.r.randint(2, 4), "detail_"),
                    "address": {"$ref": "#/types/Address"},
                }
            )
        if depth > 0 and self.chance(0.6):
            properties["line_items"] = {
                "type": "array",
                "items": self.record(depth - 1),
                "description": "Items in display order.",
            }
        if self.chance(0.3):
            properties["attachments"] = {"type": "array", "items": {"$ref": "#/types/Attachment"}}
        s = self.obj(properties, 0.5)
        s.setdefault("required", [])
        if "id" not in s["required"]:
            s["required"].insert(0, "id")
        return s

    # -- tools --------------------------------------------------------------------------

    def input_schema(self, verb: str) -> JsonSchema:
        properties = self.fields(self.r.randint(2, 5))
        if verb in ("list", "search", "export", "sync"):
            properties["filter"] = self.filter_object()
            properties["page_size"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": 200,
                "default": 50,
            }
            properties["cursor"] = {"type": "string"}
            properties["sort"] = {"type": "string", "enum": ["asc", "desc"], "default": "desc"}
        elif verb in ("create", "update", "import", "merge"):
            properties["payload"] = self.record(1)
            properties["dry_run"] = {"type": "boolean", "default": False}
        else:
            properties["id"] = {"type": "string", "format": "uuid"}
            if self.chance(0.5):
                properties["reason"] = {"type": "string", "maxLength": 500}
            if self.chance(0.4):
                properties["when"] = {"$ref": "#/types/TimeRange"}
        if self.chance(0.3):
            properties["priority"] = {"$ref": "#/types/Priority", "default": "normal"}
        s = self.obj(properties, 0.35)
        return s

    def output_schema(self, verb: str) -> JsonSchema | None:
        roll = self.r.random()
        if roll < 0.1:
            return None
        if roll < 0.18:
            return {
                "$ref": f"#/types/{self.r.choice(('Money', 'Address', 'AuditInfo', 'Attachment'))}"
            }
        if verb in ("list", "search", "export", "sync"):
            return self.obj(
                {
                    "items": {"type": "array", "items": self.record(2)},
                    "page": {"$ref": "#/types/Pagination"},
                    "warnings": self.string_array(),
                },
                1.0,
            )
        return self.obj(
            {"record": self.record(1), "version": {"type": "integer", "minimum": 0}}, 0.8
        )

    def tool(self, index: int, types: dict[str, JsonSchema]) -> dict[str, Any]:
        verb = VERBS[index % len(VERBS)]
        noun = NOUNS[(index // len(VERBS)) % len(NOUNS)]
        # A round number keeps names unique past len(VERBS) * len(NOUNS) tools.
        round_ = index // (len(VERBS) * len(NOUNS))
        name = f"{verb}_{noun}" + (f"_v{round_ + 1}" if round_ else "")
        tool: dict[str, Any] = {
            "name": name,
            "description": f"{verb.capitalize()} {noun.replace('_', ' ')} records. "
            + self.r.choice(SENTENCES),
        }
        if self.chance(0.5):
            tool["title"] = f"{verb.capitalize()} {noun.replace('_', ' ')}"
        if self.chance(0.6):
            tool["annotations"] = {
                "read_only": verb in ("get", "list", "search", "export", "summarize"),
                "destructive": verb in ("delete", "cancel", "reject"),
                "idempotent": self.chance(0.5),
            }
        tool["input"] = self.input_schema(verb)
        output = self.output_schema(verb)
        if output is not None:
            tool["output"] = output
        if self.chance(0.2):
            tool["progress"] = True
        if self.chance(0.1):
            tool["cancellable"] = True
        if self.chance(0.1):
            tool["max_concurrency"] = self.r.choice((1, 2, 4, 8))
        if self.chance(0.4):
            tool["errors"] = self.r.sample(sorted(ERRORS), self.r.randint(1, 2))
        if self.chance(0.3):
            tool["examples"] = [example(tool["input"], types)]
        return tool


def example(schema: JsonSchema, types: dict[str, JsonSchema]) -> Any:
    """A minimal value valid against `schema`: required properties only."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return example(types[ref.rsplit("/", 1)[-1]], types)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example(props[k], types) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if schema.get("pattern"):
        return {"^[A-Z]{2}$": "PT"}.get(schema["pattern"], "abc")
    return {
        "date": "2025-01-31",
        "date-time": "2025-01-31T12:00:00Z",
        "email": "someone@example.com",
        "uri": "https://example.com/x",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "hostname": "example.com",
        "ipv4": "192.0.2.1",
        "time": "12:00:00Z",
    }.get(schema.get("format", ""), "abc")


def build_spec(tools: int = 500, seed: int = 20250131) -> dict[str, Any]:
    """The spec as a JSON-ready dict."""
    synth = _Synth(seed)
    types = json.loads(json.dumps(SHARED_TYPES))
    return {
        "spec_version": 1,
        "server": {
            "name": "synthetic-suite",
            "version": "1.0.0",
            "title": "Synthetic suite",
            "description": f"A synthetic server of {tools} tools for benchmarking mcpgen.",
        },
        "types": types,
        "errors": json.loads(json.dumps(ERRORS)),
        "tools": [synth.tool(i, types) for i in range(tools)],
        "resources": [
            {"uri": "suite://about", "name": "about", "text": "A synthetic server."},
            {"uri": "suite://status", "name": "status", "mime_type": "application/json"},
        ],
        "resource_templates": [
            {
                "uri_template": "suite://records/{kind}/{id}",
                "name": "record",
                "params": {"id": {"type": "string", "format": "uuid"}},
                "complete": ["kind"],
            }
        ],
        "prompts": [
            {
                "name": "triage",
                "description": "Triage the open tickets.",
                "arguments": [{"name": "team", "required": True}, {"name": "since"}],
            }
        ],
    }


def write_spec(folder: Path, tools: int = 500, seed: int = 20250131) -> Path:
    """Write the spec as `<folder>/synthetic.json` and return its path."""
    path = folder / "synthetic.json"
    path.write_text(json.dumps(build_spec(tools, seed), indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    sys.stdout.write(json.dumps(build_spec(count), indent=2) + "\n")
