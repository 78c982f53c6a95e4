"""Stage 2, resolve: a validated `Spec` -> the IR, or every semantic problem at once.

Here names become Python names (with collisions reported against both places), `$ref`s are
resolved (spec types and files beside the spec) into a shared set of models, wire schemas
are made self-contained, schemas are checked against the JSON Schema metaschema, examples
against their schemas, and resource templates are ordered most specific first. This module
runs the parts in order: the schemas (`resolver`), tools and errors (`resolve_tools`), the
HTTP API (`resolve_http`), resources, templates and prompts (`resolve_resources`).
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from mcpgen import pointers
from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import Diagnostic, SpecError, SpecPath, by_location, has_errors
from mcpgen.ir import (
    AuthIR,
    ErrorIR,
    JsonSchema,
    ModelIR,
    PromptIR,
    ServerIR,
    SpecIR,
    TemplateIR,
    ToolIR,
)
from mcpgen.load import LoadedSpec
from mcpgen.names import PyIdent, package_version, to_package_name
from mcpgen.resolve_http import resolve_http_section
from mcpgen.resolve_resources import resolve_prompts, resolve_resources, resolve_templates
from mcpgen.resolve_tools import limits, resolve_errors, resolve_tools
from mcpgen.resolver import Resolver
from mcpgen.schema_keywords import defs_refs
from mcpgen.spec import Spec

# Import names a generated package must not take: they would shadow what it imports.
_TAKEN_PACKAGES = frozenset(sys.stdlib_module_names) | {
    "anyio",
    "jsonschema",
    "mcp",
    "mcp_types",
    "pydantic",
    "starlette",
    "tests",
    "uvicorn",
}


def own_schemas(spec: Spec) -> list[tuple[SpecPath, JsonSchema]]:
    """The schemas written in the spec's own file that resolve checks against the
    meta-schema, by path: most of its checking, which `build_ir` can be told the outcome of."""
    found: list[tuple[SpecPath, Any]] = [(("types", name), s) for name, s in spec.types.items()]
    found += [
        (("errors", name, "data"), error.data)
        for name, error in spec.errors.items()
        if error.data is not None
    ]
    for index, tool in enumerate(spec.tools):
        found.append((("tools", index, "input"), tool.input))
        if tool.output is not None:
            found.append((("tools", index, "output"), tool.output))
    return [(path, schema) for path, schema in found if isinstance(schema, dict)]


def build_ir(
    loaded: LoadedSpec,
    cache: ProjectCache | None = None,
    valid: frozenset[SpecPath] = frozenset(),
) -> tuple[SpecIR, list[Diagnostic]]:
    """Resolve a loaded spec into the IR and its warnings; raises SpecError on any error.

    `cache` only saves re-checking schemas that passed before, `valid` the schemas of
    `own_schemas` found to meet the meta-schema ahead (`meets_meta_schema`, elsewhere);
    the result is the same.
    """
    resolver = Resolver(loaded, cache=cache, valid=valid)
    spec = loaded.spec
    server = _server(resolver)

    _report_ref_cycles(resolver)
    # Types first, so that their names win over derived ones in collision reports.
    for name in spec.types:
        if name in resolver.broken_types:
            continue
        resolver.resolve_ref("#" + pointers.fragment(("types", name)), ("types", name), "")
    resolver.drain_models()

    errors = resolve_errors(resolver)
    http = resolve_http_section(resolver, server)
    tools = resolve_tools(resolver, errors)
    resources = resolve_resources(resolver)
    templates = resolve_templates(resolver)
    prompts = resolve_prompts(resolver)
    resolver.drain_models()

    # What lies under a place `load` patched was reported there already, as itself.
    spec_file = loaded.document.display
    resolver.diagnostics = [
        d
        for d in resolver.diagnostics
        if d.location is None
        or d.location.file != spec_file
        or not any(d.path[: len(place)] == place for place in loaded.patched)
    ]
    resolver.diagnostics += loaded.problems
    resolver.diagnostics.sort(key=by_location)
    if has_errors(resolver.diagnostics):
        raise SpecError(resolver.diagnostics)
    models, tools = _models_read(resolver.models, tools, errors, templates, prompts)
    ir = SpecIR(
        server=server,
        models=models,
        errors=tuple(errors.values()),
        tools=tools,
        resources=resources,
        templates=templates,
        prompts=prompts,
        spec_file=loaded.document.path.name,
        spec_sha256=loaded.sha256,
        http=http,
    )
    return ir, resolver.diagnostics


def _models_read(
    models: list[ModelIR],
    tools: tuple[ToolIR, ...],
    errors: Mapping[str, ErrorIR],
    templates: tuple[TemplateIR, ...],
    prompts: tuple[PromptIR, ...],
) -> tuple[tuple[ModelIR, ...], tuple[ToolIR, ...]]:
    """The models some code reads, and the tools with the models of generated handlers dropped.

    User-owned handlers read their models, error classes their data, the runtime a template's
    parameters and a prompt's arguments; a type that no tool, error, template or prompt reaches
    is there for the user's own code. A generated HTTP handler reads none: it sends the
    arguments on as they came, checked against the input schema, and checks the answer against
    the output schema. Importing a large API, that is most of its models: GitHub's 1,223
    operations make ~3,000 classes that would take most of generation and seconds of a
    server's first tool call. Names were claimed before this, so switching a tool's handler
    renames no other model.
    """
    if all(tool.user_handler for tool in tools):
        return tuple(models), tools  # every handler is the user's: every model is read
    refs: dict[str, set[str]] = {m.class_name: set(defs_refs(m.schema)) for m in models}
    others: set[str] = {e.data_model for e in errors.values() if e.data_model}
    others.update(t.params_model for t in templates)
    others.update(p.arguments_model for p in prompts)
    tool_models: dict[str, set[str]] = {
        t.name: {m for m in (t.input_model, t.output_model) if m} for t in tools
    }
    # Types no item reaches, even through other types, are there for the user's own code.
    reached = _closure(others.union(*tool_models.values()), refs)
    read = others | ({m.class_name for m in models if m.origin[0] == "types"} - reached)
    kept: list[ToolIR] = []
    for tool in tools:
        if tool.user_handler:
            read |= tool_models[tool.name]
            kept.append(tool)
        else:
            kept.append(replace(tool, input_model=None, output_model=None))
    read = _closure(read, refs)
    return tuple(m for m in models if m.class_name in read), tuple(kept)


def _closure(names: set[str], refs: Mapping[str, set[str]]) -> set[str]:
    """`names` and every model they refer to, directly or not."""
    found = set(names)
    queue = list(names)
    while queue:
        for ref in refs.get(queue.pop(), ()):
            if ref not in found:
                found.add(ref)
                queue.append(ref)
    return found


def _report_ref_cycles(resolver: Resolver) -> None:
    """A type that is only `$ref`s leading back to itself never reaches a schema."""
    types = resolver.spec.types
    for start in types:
        chain = [start]
        while True:
            target = _bare_type_ref(types[chain[-1]])
            if target is None or target not in types:
                break
            if target in chain:
                cycle = chain[chain.index(target) :]
                if not resolver.broken_types & set(cycle):
                    shown = " -> ".join(f"types.{t}" for t in [*cycle, target])
                    resolver.error(
                        ("types", cycle[0], "$ref"), f"$ref cycle: {shown} never reaches a schema"
                    )
                resolver.broken_types.update(cycle)
                break
            chain.append(target)


def _bare_type_ref(schema: Any) -> str | None:
    """`X` when a schema is nothing but `{"$ref": "#/types/X"}`."""
    if isinstance(schema, dict) and set(schema) == {"$ref"} and isinstance(schema["$ref"], str):
        file, _, fragment = schema["$ref"].partition("#")
        keys = pointers.keys(fragment)
        if not file and len(keys) == 2 and keys[0] == "types" and keys[1]:
            return keys[1]
    return None


def _server(resolver: Resolver) -> ServerIR:
    section = resolver.spec.server
    package = PyIdent(section.package) if section.package else to_package_name(section.name)
    if package in _TAKEN_PACKAGES or package.rstrip("_") in _TAKEN_PACKAGES:
        resolver.error(
            ("server", "package" if section.package else "name"),
            f"the package name {package!r} would shadow a module the server imports",
            hint="set server.package to another name",
        )
    if package_version(section.version) == "0.1.0" != section.version:
        # Any other version has a PEP 440 form (`package_version`), which pyproject.toml
        # takes: no warning for what API descriptions write (`2016-06-10`, `v1beta1`).
        resolver.warning(
            ("server", "version"),
            f"{section.version!r} has no letter or digit to make a PEP 440 version of; the "
            "generated pyproject.toml starts at 0.1.0",
        )
    return ServerIR(
        name=section.name,
        version=section.version,
        title=section.title,
        description=section.description,
        instructions=section.instructions,
        website_url=section.website_url,
        package=package,
        lifespan=section.lifespan,
        limits=limits(section),
        auth=_auth(resolver),
        tool_surface=section.tool_surface,
    )


def _auth(resolver: Resolver) -> AuthIR | None:
    """`[server.auth]`, checked: one way to check tokens, keys and tokens never fetched in
    the clear but from this machine."""
    auth = resolver.spec.server.auth
    if auth is None:
        return None
    path = ("server", "auth")
    if auth.jwks_url and auth.introspection_url:
        resolver.error(
            (*path, "introspection_url"),
            "give jwks_url (JWT access tokens) or introspection_url (opaque tokens), not both",
            hint="with introspection_url every token is introspected, its JWKS unused",
        )
    for key in ("issuer", "audience", "jwks_url", "introspection_url", "documentation"):
        url = getattr(auth, key)
        host = urlsplit(url).hostname if url else None
        if url and key != "audience" and not url.startswith("https:") and not _loopback(host):
            resolver.error(
                (*path, key),
                f"{url!r} is not https: tokens and keys are fetched only over TLS "
                "(http only from this machine's loopback)",
            )
    return AuthIR(
        issuer=auth.issuer,
        audience=auth.audience,
        jwks_url=auth.jwks_url,
        introspection_url=auth.introspection_url,
        scopes=tuple(dict.fromkeys(auth.scopes)),
        algorithms=tuple(auth.algorithms) if auth.algorithms else None,
        leeway=auth.leeway,
        documentation=auth.documentation,
    )


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
