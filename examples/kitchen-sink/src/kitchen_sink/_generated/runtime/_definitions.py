"""What a server is made of, as the generated `server.py` declares it: tools (their wire
definitions and, once bound, how they run), static resources, resource templates, prompts,
and their limits.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp.shared.path_security import contains_path_traversal, is_absolute_path
from mcp.shared.uri_template import UriTemplate

from ._context import Context
from ._handle import ServerHandle
from ._limits import Limits as Limits  # defined with what enforces it; declared here
from ._schema import SchemaCheck
from ._tasking import TaskSupport
from ._types import INVALID_PARAMS, ModelT, PromptReturn, ResourceReturn


@dataclass(frozen=True, slots=True)
class Binding(Generic[ModelT]):
    """How a tool runs: its input model, its handler, and the limits it runs under.

    A server binds a tool on its first call, not at start-up, and that tool alone: a large
    API's models and handler modules take seconds to import, listing the tools needs none
    of them, and a call needs only its own tool's.
    Without an input model (`None`), the handler gets the arguments as they came, already
    checked against the tool's input schema: a generated HTTP handler sends them on so.
    """

    input_model: type[ModelT] | None
    handler: Callable[[Context[Any], ModelT], Any]
    _: KW_ONLY
    limits: Limits | None = None
    timeout: float | None = None
    validate_output: bool = True
    stream: bool = False
    task_starts: Literal["at_once", "at_detach"] = "at_once"


# The member of a tool's definition (in `tools.json`) that holds an output schema the server
# checks results against but does not list (`list_output_schema = false` in the spec): the
# sieve leaves it out of `tools/list`. The generator writes the same name.
UNLISTED_OUTPUT_SCHEMA = "unlistedOutputSchema"


class Tool:
    """A tool as advertised (its wire definition, as data) and, once bound, how it runs.

    Its results are checked against its output schema, listed or not: leaving a schema out
    of `tools/list` makes the list smaller, never the checks weaker.
    """

    __slots__ = ("_checks", "binding", "definition", "input_schema", "name", "output_schema")

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.name: str = definition["name"]
        self.input_schema: Mapping[str, Any] = definition["inputSchema"]
        self.output_schema: Mapping[str, Any] | None = definition.get(
            "outputSchema", definition.get(UNLISTED_OUTPUT_SCHEMA)
        )
        self.binding: Binding[Any] | None = None
        self._checks: dict[str, SchemaCheck] = {}

    @property
    def task_support(self) -> TaskSupport:
        support: TaskSupport = (self.definition.get("execution") or {}).get(
            "taskSupport", "forbidden"
        )
        return support

    def validation_errors(self, arguments: Mapping[str, Any]) -> list[str]:
        """Where `arguments` break the advertised input schema, one readable line each."""
        return self._check("arguments", self.input_schema).errors(arguments)

    def output_errors(self, structured: Mapping[str, Any]) -> list[str]:
        """Where a structured result breaks the advertised output schema."""
        assert self.output_schema is not None
        return self._check("result", self.output_schema).errors(structured)

    def _check(self, what: str, schema: Mapping[str, Any]) -> SchemaCheck:
        check = self._checks.get(what)
        if check is None:
            check = self._checks[what] = SchemaCheck(schema, what)
        return check


SharedT = TypeVar("SharedT")


class ToolBinder:
    """What a server's `bind_tool` gets on a tool's first call: the tools as advertised,
    what the tools share (made once, on the first call that needs it), and where to hand
    what binding opened (an HTTP client, say) to be closed at shutdown."""

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = tools
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._shared: dict[Callable[[ToolBinder], Any], Any] = {}

    def shared(self, make: Callable[[ToolBinder], SharedT]) -> SharedT:
        """What `make(self)` makes, made on the first call and then given to every tool that
        asks (the HTTP client, with its connections, of a server's HTTP tools)."""
        if make not in self._shared:
            self._shared[make] = make(self)
        made: SharedT = self._shared[make]
        return made

    def at_exit(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run `close` when the server stops (after the lifespan), or a connection ends."""
        self._closers.append(close)

    async def close(self) -> None:
        for close in reversed(self._closers):
            await close()


BindTool: TypeAlias = Callable[[ToolBinder, str], Binding[Any]]
"""Binds one tool, by name. Generated as `server.bind_tool`; the runtime calls it once per
tool, on the tool's first call (in a worker thread, one binding at a time)."""


def load_tools(package: str | None, resource: str = "tools.json") -> list[dict[str, Any]]:
    """The tool definitions `tools/list` answers with, from the JSON file beside server.py.

    The file holds each `$defs` entry once (`"defs"`), and each schema's `$defs` names the
    entries it uses by index: GitHub's API takes 3.2 MB so, 8.8 MB spelled out per tool,
    and loads in a tenth of the time. Tools share the entries, which nothing mutates.
    """
    document = _read_json(package, resource)
    tools: list[dict[str, Any]] = document["tools"]
    for tool in tools:
        for key in ("inputSchema", "outputSchema", UNLISTED_OUTPUT_SCHEMA):
            _share_defs(tool.get(key), document["defs"])
    return tools


@functools.cache
def load_error_schemas(package: str | None) -> dict[str, Any]:
    """The data schemas of the declared errors (by name), from `errors.json` beside
    errors.py (its `$defs` shared as `tools.json`'s are); read on the first error that
    comes as JSON (`DeclaredError.from_json`), once."""
    document = _read_json(package, "errors.json")
    schemas: dict[str, Any] = document["errors"]
    for schema in schemas.values():
        _share_defs(schema, document["defs"])
    return schemas


def _read_json(package: str | None, resource: str) -> dict[str, Any]:
    from importlib.resources import files

    assert package is not None, "called from a module of the generated package"
    document: dict[str, Any] = json.loads(files(package).joinpath(resource).read_bytes())
    return document


def _share_defs(schema: dict[str, Any] | None, shared: list[Any]) -> None:
    """Put back the `$defs` entries a stored schema names by their index in `shared`."""
    if schema is not None and "$defs" in schema:
        schema["$defs"] = {name: shared[at] for name, at in schema["$defs"].items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A static resource at a fixed URI, served from `text` or by a handler."""

    uri: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    handler: Callable[[Context[Any]], Awaitable[ResourceReturn]] | None = None
    text: str | None = None
    subscribe: bool = False
    meta: Mapping[str, Any] | None = None

    def definition(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
            _meta=dict(self.meta) if self.meta else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceTemplate(Generic[ModelT]):
    """An RFC 6570 URI template whose variables are validated into a typed model."""

    uri_template: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    params_model: type[ModelT]
    handler: Callable[[Context[Any], ModelT], Awaitable[ResourceReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)
    subscribe: bool = False
    meta: Mapping[str, Any] | None = None
    _parsed: list[UriTemplate] = field(default_factory=list, init=False, repr=False)

    def definition(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
            _meta=dict(self.meta) if self.meta else None,
        )

    @property
    def parsed(self) -> UriTemplate:
        if not self._parsed:
            self._parsed.append(UriTemplate.parse(self.uri_template))
        return self._parsed[0]

    def match(self, uri: str) -> dict[str, str | list[str]] | None:
        """The template's variables in `uri`, or None when the URI is not one of its own.

        Raises MCPError for a match whose values try to leave their place: a `..`
        segment, an absolute path or a NUL byte (after percent-decoding) in any variable
        outside the query.
        """
        variables = self.parsed.match(uri)
        if variables is None:
            return None
        query = self.parsed.query_variable_names
        for name, value in variables.items():
            for part in [value] if isinstance(value, str) else value:
                unsafe = "\x00" in part or (
                    name not in query and (contains_path_traversal(part) or is_absolute_path(part))
                )
                if unsafe:
                    raise MCPError(
                        INVALID_PARAMS,
                        f"Invalid resource URI {uri!r}: {name!r} may not hold a path that "
                        "leaves its place",
                    )
        return variables


@dataclass(frozen=True, slots=True)
class PromptArgument:
    name: str
    description: str | None
    required: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Prompt(Generic[ModelT]):
    """A prompt template with typed arguments."""

    name: str
    title: str | None
    description: str | None
    arguments: Sequence[PromptArgument]
    arguments_model: type[ModelT]
    handler: Callable[[Context[Any], ModelT], Awaitable[PromptReturn]]
    completers: Mapping[str, Completer] = field(default_factory=dict)
    meta: Mapping[str, Any] | None = None

    def definition(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
            _meta=dict(self.meta) if self.meta else None,
        )


Completer: TypeAlias = Callable[[Context[Any], str, Mapping[str, str]], Awaitable[Sequence[str]]]
"""Suggests values for one argument: `(ctx, partial value, other arguments) -> values`."""

Lifespan: TypeAlias = Callable[[ServerHandle], AbstractAsyncContextManager[Any]]
"""The user's lifespan: set up state at start-up, yield it, tear it down at shutdown."""
