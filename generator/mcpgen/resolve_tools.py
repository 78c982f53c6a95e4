"""A server's tools, and the error types they raise: names, input and output schemas and
their models, examples, limits, and each tool's HTTP binding (`resolve_http`).
"""

from __future__ import annotations

import re
import string
import warnings
from collections.abc import Mapping
from typing import Any

from mcpgen import patterns
from mcpgen.diagnostics import SpecPath, did_you_mean
from mcpgen.ir import ErrorIR, HttpOperationIR, JsonSchema, LimitsIR, ToolIR
from mcpgen.names import (
    TOOL_NAME_HARD_LIMIT,
    TOOL_NAME_PATTERN,
    TOOL_NAME_SOFT_LIMIT,
    ClassName,
    is_valid_tool_name,
    model_class_name,
    to_class_name,
    to_ident,
)
from mcpgen.resolve_http import tool_http
from mcpgen.resolver import (
    Resolver,
    check_unique,
    deref,
    is_object_schema,
    known_names,
    unresolved,
)
from mcpgen.schema_keywords import (
    BRANCHING,
    COMPOSING,
    OPENING,
    map_subschemas,
)
from mcpgen.spec import ServerSection, Tool


def limits(section: ServerSection | Tool) -> LimitsIR | None:
    """The limits a section declares, or None when it sets neither kind."""
    if section.max_concurrency is None and section.rate_limit is None:
        return None
    rate = section.rate_limit
    return LimitsIR(
        max_concurrency=section.max_concurrency,
        rate_limit=(rate.calls, rate.per) if rate is not None else None,
        when_busy=section.when_busy,
        max_wait=section.max_wait,
    )


def resolve_errors(resolver: Resolver) -> dict[str, ErrorIR]:
    result: dict[str, ErrorIR] = {}
    for name, error in resolver.spec.errors.items():
        path: SpecPath = ("errors", name)
        class_name = resolver.claim_class(to_class_name(name), path)
        if -32768 <= error.code <= -32100:
            resolver.error(
                (*path, "code"),
                f"code {error.code} is reserved by JSON-RPC",
                hint="use -32000..-32099 (server errors) or a code outside -32768..-32000",
            )
        data_model: ClassName | None = None
        data_wire: JsonSchema | None = None
        properties: Mapping[str, Any] = {}
        fields_known = True
        if error.data is not None and resolver.check_schema(error.data, (*path, "data")):
            data_schema = resolver.wire_schema(error.data, (*path, "data"))
            if unresolved(data_schema):
                fields_known = False
            elif not is_object_schema(data_schema):
                resolver.error(
                    (*path, "data"), 'error data must be an object schema (type = "object")'
                )
            else:
                data_model = resolver.model_for(
                    model_class_name(class_name, "Data"), error.data, (*path, "data")
                )
                data_wire = data_schema
                properties = data_schema.get("properties", {})
        fields = _placeholders(error.message)
        if fields is None:
            resolver.error(
                (*path, "message"),
                "malformed message template (unbalanced '{' or '}')",
                hint="write a literal brace as '{{' or '}}'",
            )
        elif fields_known:
            for placeholder in fields:
                if placeholder not in properties:
                    resolver.error(
                        (*path, "message"),
                        f"placeholder {{{placeholder}}} is not a property of the error's data",
                        hint=did_you_mean(placeholder, properties)
                        or "declare it under data.properties",
                    )
        result[name] = ErrorIR(
            name=name,
            class_name=class_name,
            code=error.code,
            message=error.message,
            description=error.description,
            data_model=data_model,
            jsonrpc=error.jsonrpc,
            retryable=error.retryable,
            data_schema=data_wire,
        )
    return result


def _placeholders(template: str) -> list[str] | None:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        return None


_ANNOTATION_KEYS = (
    ("title", "title"),
    ("read_only", "read_only_hint"),
    ("destructive", "destructive_hint"),
    ("idempotent", "idempotent_hint"),
    ("open_world", "open_world_hint"),
)


def _check_tool_name(resolver: Resolver, name: str, path: SpecPath) -> None:
    if len(name) > TOOL_NAME_HARD_LIMIT:
        resolver.error(
            path,
            f"tool name is {len(name)} characters long; MCP tool names have at most "
            f"{TOOL_NAME_HARD_LIMIT}",
        )
    elif not is_valid_tool_name(name):
        resolver.error(
            path, f"tool name {name!r} is not valid: MCP tool names match ^{TOOL_NAME_PATTERN}$"
        )
    elif len(name) > TOOL_NAME_SOFT_LIMIT:
        resolver.warning(
            path,
            f"tool name is {len(name)} characters long; clients that prefix tool names "
            f"cut them near {TOOL_NAME_SOFT_LIMIT}",
        )


def resolve_tools(resolver: Resolver, errors: Mapping[str, ErrorIR]) -> tuple[ToolIR, ...]:
    spec = resolver.spec
    named = [(t.name, ("tools", i, "name")) for i, t in enumerate(spec.tools)]
    clashing = check_unique(resolver, named, "tool", to_ident, "Python identifier")
    tools: list[ToolIR] = []
    for index, tool in enumerate(spec.tools):
        path: SpecPath = ("tools", index)
        # A tool whose name clashes is checked all the same, but claims no class names:
        # its derived names would only repeat the clash.
        clashes = (*path, "name") in clashing
        if not clashes:
            _check_tool_name(resolver, tool.name, (*path, "name"))
        ident = to_ident(tool.name, prefix="tool")
        class_name = to_class_name(tool.name, prefix="Tool")
        input_schema: JsonSchema = {}
        input_model = model_class_name(class_name, "Input")
        input_valid = resolver.check_schema(tool.input, (*path, "input"))
        if input_valid:
            input_schema = resolver.wire_schema(tool.input, (*path, "input"))
            if not is_object_schema(input_schema) and not unresolved(input_schema):
                resolver.error(
                    (*path, "input"),
                    'a tool\'s input must be an object schema (type = "object")',
                    hint="put the arguments under input.properties",
                )
            if not clashes:
                input_model = resolver.model_for(input_model, tool.input, (*path, "input"))
        output_schema: JsonSchema | None = None
        output_model: ClassName | None = None
        if tool.output is not None and resolver.check_schema(tool.output, (*path, "output")):
            output_schema = resolver.wire_schema(tool.output, (*path, "output"))
            if not is_object_schema(output_schema) and not unresolved(output_schema):
                resolver.error(
                    (*path, "output"),
                    'a tool\'s output must be an object schema (type = "object"): '
                    "MCP structured content is a JSON object",
                    hint="wrap the value in an object property, e.g. { result = ... }",
                )
            if not clashes:
                output_model = resolver.model_for(
                    model_class_name(class_name, "Output"), tool.output, (*path, "output")
                )
        if output_schema is not None:
            output_schema = readable_by_python_clients(output_schema)
        if tool.task_starts != "at_once" and tool.task_support == "forbidden":
            resolver.error(
                (*path, "task_starts"),
                "task_starts applies to a tool that runs as a task",
                hint='set task_support = "optional" or "required"',
            )
        if tool.stream and tool.output is not None:
            resolver.error(
                (*path, "stream"),
                "a streaming tool's result is the chunks it yielded; it has no output schema",
                hint="drop `output`, or drop `stream` and return the structured result",
            )
        declared: list[ErrorIR] = []
        for position, error_name in enumerate(tool.errors):
            found = errors.get(error_name)
            if found is None:
                resolver.error(
                    (*path, "errors", position),
                    f"unknown error type {error_name!r}",
                    hint=did_you_mean(error_name, errors) or known_names("errors", errors),
                )
            elif found not in declared:
                declared.append(found)
        if tool.scopes and resolver.spec.server.auth is None:
            resolver.error(
                (*path, "scopes"),
                "a tool's scopes need [server.auth]: without it nobody's token is checked",
                hint="add [server.auth] with the issuer whose tokens grant these scopes",
            )
        http: HttpOperationIR | None = None
        if tool.http is not None:
            http = tool_http(resolver, tool, path, input_schema, output_schema, errors)
        if input_schema and is_object_schema(input_schema):
            validator = patterns.EcmaValidator(input_schema)
            for position, example in enumerate(tool.examples):
                for problem in sorted(
                    validator.iter_errors(example), key=lambda e: list(map(str, e.path))
                ):
                    resolver.error(
                        (*path, "examples", position, *problem.path),
                        f"example does not match the input schema: {problem.message}",
                    )
        if tool.examples and isinstance(tool.input, dict):
            # The names an example uses are checked even against an input schema with
            # mistakes of its own: a misspelled key is a mistake apart.
            known = input_schema or resolver.wire_schema(tool.input, (*path, "input"))
            for position, example in enumerate(tool.examples):
                _check_example_keys(resolver, example, known, known, (*path, "examples", position))
        if clashes:
            continue
        annotations: tuple[tuple[str, Any], ...] = ()
        if tool.annotations is not None:
            annotations = tuple(
                (wire, getattr(tool.annotations, key))
                for key, wire in _ANNOTATION_KEYS
                if getattr(tool.annotations, key) is not None
            )
        tools.append(
            ToolIR(
                name=tool.name,
                ident=ident,
                class_name=class_name,
                title=tool.title,
                description=tool.description,
                annotations=annotations,
                input_model=input_model,
                output_model=output_model,
                input_schema=input_schema,
                output_schema=output_schema,
                list_output_schema=spec.server.list_output_schemas
                if tool.list_output_schema is None
                else tool.list_output_schema,
                progress=tool.progress,
                cancellable=tool.cancellable,
                limits=limits(tool),
                output_validation=tool.output_validation == "strict",
                timeout=tool.timeout,
                stream=tool.stream,
                task_support=tool.task_support,
                task_starts=tool.task_starts,
                meta=tool.meta,
                errors=tuple(declared),
                examples=tuple(tool.examples),
                path=path,
                http=http,
                scopes=tuple(dict.fromkeys(tool.scopes)),
                tags=tuple(dict.fromkeys([*tool.tags, *(tool.http.tags if tool.http else ())])),
            )
        )
    return tuple(tools)


def _check_example_keys(
    resolver: Resolver, value: Any, schema: Any, root: JsonSchema, path: SpecPath
) -> None:
    """Keys of an example that no property declares, where the schema admits no others but
    does not say so (`additionalProperties = false` makes the example invalid, reported as
    such): a valid example may carry them, which is how a misspelled argument hides, and the
    handler would never see them."""
    schema = deref(root, schema)
    if not isinstance(schema, dict):
        return
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _check_example_keys(resolver, item, schema["items"], root, (*path, index))
        return
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        return
    closed = not any(k in schema for k in (*COMPOSING, *BRANCHING, *OPENING))
    for key, item in value.items():
        if key in properties:
            _check_example_keys(resolver, item, properties[key], root, (*path, key))
        elif closed:
            resolver.error(
                (*path, key),
                f"example key {key!r} is not a declared property",
                hint=did_you_mean(key, properties) or known_names("properties", properties),
            )


# Where a JSON Schema pattern that Python's `re` cannot read goes in an advertised output
# schema (the runtime reads it as `pattern`). JSON Schema's patterns are ECMA-262
# (`\p{L}`: 494 patterns of 99 directory documents), but the SDK's client checks every
# result against the output schema with jsonschema, whose `re` refuses them: it raised
# "Invalid schema for tool" on every call of such a tool. Clients ignore an `x-` keyword.
ECMA_PATTERN_KEYWORD = "x-ecma262-pattern"


def readable_by_python_clients(schema: Any) -> Any:
    """`schema` with each `pattern` Python's `re` cannot compile under ECMA_PATTERN_KEYWORD."""
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, readable_by_python_clients)
    return {
        ECMA_PATTERN_KEYWORD
        if key == "pattern" and isinstance(value, str) and not _python_reads(value)
        else key: value
        for key, value in out.items()
    }


def _python_reads(pattern: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": it compiles
        try:
            re.compile(pattern)
        except re.error:
            return False
    return True
