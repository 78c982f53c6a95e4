"""Stage 4, render: the IR and the models' source -> `{path: RenderedFile}`.

One Jinja environment, strict about undefined names and quiet about whitespace. The
OUTPUTS table is the whole map of a generated project: which template makes which path,
and who owns the result afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from mcpgen import templates_dir
from mcpgen.budget import SEARCH_HINT, ListSize, ToolSize
from mcpgen.ir import ErrorIR, SpecIR, ToolIR
from mcpgen.literals import docstring, py_literal
from mcpgen.names import package_version, to_class_name
from mcpgen.pyproject import (
    dependency_lines,
    deployed_extras,
    optional_dependencies,
    tool_tables,
)
from mcpgen.tools_file import TOOLS_PATH, UNLISTED_OUTPUT_SCHEMA


class Owner(Enum):
    """Who a generated file belongs to once it is on disk."""

    GENERATOR = "generator"  # rewritten whenever its content changes
    USER = "user"  # scaffolded once, never overwritten


@dataclass(frozen=True)
class RenderedFile:
    text: str
    owner: Owner
    # A copy of mcpgen's own source (the vendored packages): already formatted, and checked
    # by mcpgen's tests to pass the generated project's rules, so formatting skips it.
    verbatim: bool = False


@dataclass(frozen=True)
class Output:
    template: str
    path: str  # a format string over `pkg` and the item's `ident`
    owner: Owner
    items: Callable[[SpecIR], list[Any]] | None = None  # one file per item, else one file
    context: Callable[[Any], dict[str, Any]] | None = None


def _once(_: SpecIR) -> list[Any]:
    return [None]


OUTPUTS: tuple[Output, ...] = (
    Output("package_init.py.jinja", "src/{pkg}/__init__.py", Owner.GENERATOR),
    Output("main.py.jinja", "src/{pkg}/__main__.py", Owner.GENERATOR),
    Output("generated_init.py.jinja", "src/{pkg}/_generated/__init__.py", Owner.GENERATOR),
    Output("errors.py.jinja", "src/{pkg}/_generated/errors.py", Owner.GENERATOR),
    Output("protocols.py.jinja", "src/{pkg}/_generated/protocols.py", Owner.GENERATOR),
    Output("server.py.jinja", "src/{pkg}/_generated/server.py", Owner.GENERATOR),
    Output(
        "operations.py.jinja",
        "src/{pkg}/_generated/operations.py",
        Owner.GENERATOR,
        lambda ir: [None] if uses_http(ir) else [],
    ),
    Output("test_surface.py.jinja", "tests/test_mcp_surface.py", Owner.GENERATOR),
    Output("scaffold/pyproject.toml.jinja", "pyproject.toml", Owner.USER),
    Output("scaffold/README.md.jinja", "README.md", Owner.USER),
    Output("scaffold/gitignore.jinja", ".gitignore", Owner.USER),
    # Deploying: an image, and replicas of it on Redis behind nginx (README "Deploying").
    Output("scaffold/deploy/Dockerfile.jinja", "Dockerfile", Owner.USER),
    Output("scaffold/deploy/dockerignore.jinja", ".dockerignore", Owner.USER),
    Output("scaffold/deploy/compose.yaml.jinja", "compose.yaml", Owner.USER),
    Output("scaffold/deploy/nginx.conf.jinja", "deploy/nginx.conf", Owner.USER),
    Output("scaffold/conftest.py.jinja", "tests/conftest.py", Owner.USER),
    Output(
        "scaffold/package_init.py.jinja",
        "src/{pkg}/handlers/__init__.py",
        Owner.USER,
        _once,
        lambda _: {"kind": "tools, resources, resource templates and prompts"},
    ),
    Output(
        "scaffold/lifespan.py.jinja",
        "src/{pkg}/handlers/lifespan.py",
        Owner.USER,
        lambda ir: [None] if ir.server.lifespan else [],
    ),
    Output(
        "scaffold/package_init.py.jinja",
        "src/{pkg}/handlers/tools/__init__.py",
        Owner.USER,
        lambda ir: [None] if user_tools(ir) else [],
        lambda _: {"kind": "tools"},
    ),
    Output(
        "scaffold/tool.py.jinja",
        "src/{pkg}/handlers/tools/{ident}.py",
        Owner.USER,
        lambda ir: user_tools(ir),
        lambda tool: {"tool": tool},
    ),
    Output(
        "scaffold/package_init.py.jinja",
        "src/{pkg}/handlers/resources/__init__.py",
        Owner.USER,
        lambda ir: [None] if any(r.text is None for r in ir.resources) else [],
        lambda _: {"kind": "resources"},
    ),
    Output(
        "scaffold/resource.py.jinja",
        "src/{pkg}/handlers/resources/{ident}.py",
        Owner.USER,
        lambda ir: [r for r in ir.resources if r.text is None],
        lambda resource: {"resource": resource},
    ),
    Output(
        "scaffold/package_init.py.jinja",
        "src/{pkg}/handlers/resource_templates/__init__.py",
        Owner.USER,
        lambda ir: [None] if ir.templates else [],
        lambda _: {"kind": "resource templates"},
    ),
    Output(
        "scaffold/template.py.jinja",
        "src/{pkg}/handlers/resource_templates/{ident}.py",
        Owner.USER,
        lambda ir: list(ir.templates),
        lambda template: {"template": template},
    ),
    Output(
        "scaffold/package_init.py.jinja",
        "src/{pkg}/handlers/prompts/__init__.py",
        Owner.USER,
        lambda ir: [None] if ir.prompts else [],
        lambda _: {"kind": "prompts"},
    ),
    Output(
        "scaffold/prompt.py.jinja",
        "src/{pkg}/handlers/prompts/{ident}.py",
        Owner.USER,
        lambda ir: list(ir.prompts),
        lambda prompt: {"prompt": prompt},
    ),
)

MODELS_PATH = "src/{pkg}/_generated/models.py"
# mcpgen's vendored packages (`mcpgen.vendored`), copied as they are into `_generated/`.
VENDORED_SOURCE = Path(__file__).parent / "vendored"
VENDORED_PATH = "src/{pkg}/_generated/{module}"
# The data schemas of the errors an API answer is checked against (`errors_json`).
ERRORS_PATH = "src/{pkg}/_generated/errors.json"


def _comment_safe(text: str) -> str:
    """Text for a `#` comment: one line, printable."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's escaping is TOML's, except that TOML also forbids DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _py_tuple(value: tuple[Any, ...]) -> str:
    """A Python tuple literal (nested tuples too) of JSON values."""
    items = [_py_tuple(v) if isinstance(v, tuple) else py_literal(v) for v in value]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "server"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["py_tuple"] = _py_tuple
    env.filters["docstring"] = docstring
    env.filters["py_comment"] = _comment_safe
    env.filters["toml"] = _toml_string
    env.filters["package_version"] = package_version
    env.filters["class_name"] = to_class_name
    env.globals["runtime_dependencies"] = dependency_lines
    env.globals["tool_tables"] = tool_tables
    env.globals["optional_dependencies"] = optional_dependencies
    env.globals["deployed_extras"] = deployed_extras
    return env


def header(ir: SpecIR) -> str:
    return environment().get_template("_header.jinja").render(_base_context(ir))


def _base_context(ir: SpecIR) -> dict[str, Any]:
    return {
        "ir": ir,
        "pkg": ir.server.package,
        "spec_file": ir.spec_file,
        "project_name": ir.server.name,
        # What handlers annotate their context with: it carries the lifespan state's type.
        "context_type": "runtime.Context[State]" if ir.server.lifespan else "runtime.Context",
        "uses_tasks": uses_tasks(ir),
        "uses_http": uses_http(ir),
        "checked_errors": {e.name for e in checked_errors(ir)},
        "auth_arguments": auth_arguments(ir),
        "user_tools": user_tools(ir),
    }


def uses_tasks(ir: SpecIR) -> bool:
    return any(tool.task_support != "forbidden" for tool in ir.tools)


def uses_http(ir: SpecIR) -> bool:
    """Whether some tool calls an HTTP operation (the package then gets the HTTP client)."""
    return any(tool.http is not None for tool in ir.tools)


def auth_arguments(ir: SpecIR) -> list[tuple[str, Any]]:
    """The keyword arguments of the runtime's `Authorization` (`[server.auth]`), in a fixed
    order; none when the server declares no authorization."""
    auth = ir.server.auth
    if auth is None:
        return []
    arguments: list[tuple[str, Any]] = [
        (key, getattr(auth, key))
        for key in ("issuer", "audience", "jwks_url", "introspection_url")
        if getattr(auth, key) is not None
    ]
    if auth.scopes:
        arguments.append(("scopes", auth.scopes))
    tool_scopes = {tool.name: tool.scopes for tool in ir.tools if tool.scopes}
    if tool_scopes:
        arguments.append(("tool_scopes", dict(sorted(tool_scopes.items()))))
    if auth.algorithms is not None:
        arguments.append(("algorithms", auth.algorithms))
    arguments.append(("leeway", auth.leeway))
    arguments.append(("resource_name", ir.server.title or ir.server.name))
    if auth.documentation is not None:
        arguments.append(("documentation", auth.documentation))
    return arguments


def user_tools(ir: SpecIR) -> list[ToolIR]:
    """The tools with a user-owned handler: all but those whose HTTP call mcpgen writes."""
    return [tool for tool in ir.tools if tool.user_handler]


@cache
def vendored_sources() -> dict[str, str]:
    """Every module of `mcpgen.vendored` but its own `__init__`, by POSIX path below it."""
    return {
        path.relative_to(VENDORED_SOURCE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(VENDORED_SOURCE.rglob("*.py"))
        if path.parent != VENDORED_SOURCE
    }


def vendored_modules(ir: SpecIR) -> list[str]:
    """The vendored modules a server carries: the runtime, less what its spec does not use."""
    return [
        module
        for module in vendored_sources()
        if not (module.startswith("runtime/_tasks") and not uses_tasks(ir))
        and not (module.startswith("http_client/") and not uses_http(ir))
        and not (module.startswith("runtime/_auth") and ir.server.auth is None)
    ]


def render_files(ir: SpecIR, models_source: str) -> dict[str, RenderedFile]:
    """Every file of the project, keyed by POSIX path relative to the project root."""
    env = environment()
    base = _base_context(ir)
    pkg = ir.server.package
    files: dict[str, RenderedFile] = {
        MODELS_PATH.format(pkg=pkg): RenderedFile(models_source, Owner.GENERATOR),
        f"src/{pkg}/py.typed": RenderedFile("", Owner.GENERATOR),
    }
    sources = vendored_sources()
    for module in vendored_modules(ir):
        path = VENDORED_PATH.format(pkg=pkg, module=module)
        files[path] = RenderedFile(sources[module], Owner.GENERATOR, verbatim=True)
    if ir.tools:
        files[TOOLS_PATH.format(pkg=pkg)] = RenderedFile(tools_json(ir), Owner.GENERATOR)
    if checked_errors(ir):
        files[ERRORS_PATH.format(pkg=pkg)] = RenderedFile(errors_json(ir), Owner.GENERATOR)
    for output, item in _expand(ir):
        ident = getattr(item, "ident", "")
        path = output.path.format(pkg=pkg, ident=ident)
        context = {**base, "path": f"src/{pkg}/" + path.split(f"src/{pkg}/", 1)[-1]}
        if output.context is not None:
            context.update(output.context(item))
        text = env.get_template(output.template).render(context)
        files[path] = RenderedFile(text, output.owner)
    return dict(sorted(files.items()))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def tool_definition(tool: ToolIR) -> dict[str, Any]:
    """The tool as `tools.json` holds it: the wire form (camelCase, no nulls), and an output
    schema the server checks but does not list under UNLISTED_OUTPUT_SCHEMA."""
    definition: dict[str, Any] = {"name": tool.name}
    if tool.title is not None:
        definition["title"] = tool.title
    if tool.description is not None:
        definition["description"] = tool.description
    definition["inputSchema"] = tool.input_schema
    if tool.output_schema is not None:
        where = "outputSchema" if tool.list_output_schema else UNLISTED_OUTPUT_SCHEMA
        definition[where] = tool.output_schema
    if tool.annotations:
        definition["annotations"] = {_camel(key): value for key, value in tool.annotations}
    if tool.task_support != "forbidden":
        definition["execution"] = {"taskSupport": tool.task_support}
    if tool.meta:
        definition["_meta"] = tool.meta
    return definition


def generate_cut_with(ir: SpecIR) -> Callable[[str | None], str]:
    """How a generated server's tools/list is cut, for the budget's warning, given the
    biggest tag (if any)."""
    lean = any(t.output_schema is not None and t.list_output_schema for t in ir.tools)
    imported = any(t.http is not None for t in ir.tools)

    def cut_with(tag: str | None) -> str:
        lean_first = "leave output schemas out ([server] list_output_schemas = false); " * lean
        by_tag = (
            f"`mcpgen import openapi --exclude-tag {tag!r}` (or [openapi] exclude.tags, then "
            "import again), or "
            if tag is not None and imported
            else ""
        )
        return (
            f"{SEARCH_HINT}; or {lean_first}serve fewer tools: {by_tag}delete the tools a "
            "model does not need"
        )

    return cut_with


def tools_list_size(ir: SpecIR, tags: Mapping[str, tuple[str, ...]] | None = None) -> ListSize:
    """The `tools/list` result the server sends (one page, compact JSON): its bytes and each
    tool's, with the tools' tags as `tags` gives them."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    sizes = []
    for tool in ir.tools:
        definition = tool_definition(tool)
        definition.pop(UNLISTED_OUTPUT_SCHEMA, None)
        sizes.append(
            ToolSize(tool.name, (tags or {}).get(tool.name, ()), len(compact(definition).encode()))
        )
    return ListSize.of(sizes, ir.server.tool_surface)


class _SharedDefs:
    """The `$defs` entries of a JSON file's schemas, each distinct entry kept once (`"defs"`),
    each schema's `$defs` naming its entries by their index there (`runtime.load_tools`
    and `load_error_schemas` put them back)."""

    def __init__(self) -> None:
        self.defs: list[str] = []
        self._index: dict[str, int] = {}  # an entry's canonical JSON -> its place in `defs`

    def share(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is None or not isinstance(schema.get("$defs"), dict):
            return schema
        indices = {}
        for name, entry in schema["$defs"].items():
            canonical = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            if canonical not in self._index:
                self._index[canonical] = len(self.defs)
                self.defs.append(json.dumps(entry, ensure_ascii=False))
            indices[name] = self._index[canonical]
        return {**schema, "$defs": indices}

    def listed(self) -> str:
        return '"defs": [\n' + ",\n".join(self.defs) + "\n]"


def _generated_note(ir: SpecIR) -> str:
    note = (
        f"Generated by mcpgen from {_comment_safe(ir.spec_file)}. "
        "DO NOT EDIT: `mcpgen generate` rewrites this file."
    )
    return f'"//": {json.dumps(note, ensure_ascii=False)}'


def tools_json(ir: SpecIR) -> str:
    """`tools.json`: every tool's definition, data the server answers `tools/list` with.

    Data, not Python literals: a server with a thousand tools reads it in a tenth of the
    time it takes to import it as code. Each distinct `$defs` entry is kept once, under
    `"defs"` (`_SharedDefs`). One entry per line, so a spec change shows as a readable diff.
    """
    shared = _SharedDefs()
    tools = []
    for tool in ir.tools:
        definition = tool_definition(tool)
        for key in ("inputSchema", "outputSchema", UNLISTED_OUTPUT_SCHEMA):
            if key in definition:
                definition[key] = shared.share(definition[key])
        tools.append(json.dumps(definition, ensure_ascii=False))
    # Read by `mcpgen generate` on an up-to-date project (tools_file.py), not by the server.
    surface = (
        "" if ir.server.tool_surface == "tools" else f'"surface": "{ir.server.tool_surface}",\n'
    )
    return (
        "{\n" + _generated_note(ir) + ",\n" + surface + shared.listed() + ",\n"
        '"tools": [\n' + ",\n".join(tools) + "\n]\n}\n"
    )


def checked_errors(ir: SpecIR) -> list[ErrorIR]:
    """The declared errors an API's answer may come as (its body as their data), checked by
    their data schema from `errors.json`: those with data, in a server that calls APIs."""
    return [e for e in ir.errors if e.data_schema is not None] if uses_http(ir) else []


def errors_json(ir: SpecIR) -> str:
    """`errors.json`: the data schema of each error in `checked_errors`, by name, `$defs`
    shared as in `tools.json`: data the HTTP client checks an error answer by, without
    importing the models (`DeclaredError.from_json`)."""
    shared = _SharedDefs()
    errors = [
        f"{json.dumps(e.name, ensure_ascii=False)}: "
        + json.dumps(shared.share(e.data_schema), ensure_ascii=False)
        for e in checked_errors(ir)
    ]
    return (
        "{\n"
        + _generated_note(ir)
        + ",\n"
        + shared.listed()
        + ",\n"
        + '"errors": {\n'
        + ",\n".join(errors)
        + "\n}\n}\n"
    )


def _expand(ir: SpecIR) -> Iterator[tuple[Output, Any]]:
    for output in OUTPUTS:
        for item in (output.items or _once)(ir):
            yield output, item


def template_names() -> list[str]:
    """Every template file, for the check that each is used by OUTPUTS."""
    root = templates_dir() / "server"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.jinja"))
