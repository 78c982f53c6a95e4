"""A server's resources, resource templates (ordered most specific first) and prompts."""

from __future__ import annotations

import re
from typing import Any

from mcpgen.diagnostics import SpecPath, did_you_mean, format_path
from mcpgen.ir import (
    CompleterIR,
    JsonSchema,
    PromptArgumentIR,
    PromptIR,
    ResourceIR,
    TemplateIR,
)
from mcpgen.names import model_class_name, to_class_name, to_ident
from mcpgen.resolver import Resolver, check_unique
from mcpgen.uritemplates import (
    QUERY_OPERATORS,
    UriPattern,
    find_overlaps,
    template_specificity,
    template_variables,
)


def resolve_resources(resolver: Resolver) -> tuple[ResourceIR, ...]:
    spec = resolver.spec
    check_unique(
        resolver,
        [(r.uri, ("resources", i, "uri")) for i, r in enumerate(spec.resources)],
        "resource URI",
        lambda uri: uri,
        "URI",
    )
    check_unique(
        resolver,
        [(r.name, ("resources", i, "name")) for i, r in enumerate(spec.resources)],
        "resource",
        to_ident,
        "Python identifier",
    )
    resources = []
    for index, resource in enumerate(spec.resources):
        path: SpecPath = ("resources", index)
        if "{" in resource.uri:
            resolver.error(
                (*path, "uri"),
                "a static resource URI has no variables",
                hint="declare it under [[resource_templates]] with uri_template",
            )
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", resource.uri):
            resolver.error((*path, "uri"), f"{resource.uri!r} is not an absolute URI (scheme:...)")
        resources.append(
            ResourceIR(
                uri=resource.uri,
                name=resource.name,
                ident=to_ident(resource.name, prefix="resource"),
                title=resource.title,
                description=resource.description,
                mime_type=resource.mime_type,
                text=resource.text,
                subscribe=resource.subscribe,
                meta=resource.meta,
                path=path,
            )
        )
    return tuple(resources)


def resolve_templates(resolver: Resolver) -> tuple[TemplateIR, ...]:
    spec = resolver.spec
    check_unique(
        resolver,
        [
            (t.name, ("resource_templates", i, "name"))
            for i, t in enumerate(spec.resource_templates)
        ],
        "resource template",
        to_ident,
        "Python identifier",
    )
    check_unique(
        resolver,
        [
            (t.uri_template, ("resource_templates", i, "uri_template"))
            for i, t in enumerate(spec.resource_templates)
        ],
        "URI template",
        lambda text: text,
        "text",
    )
    templates = []
    for index, template in enumerate(spec.resource_templates):
        path: SpecPath = ("resource_templates", index)
        variables, problem = template_variables(template.uri_template)
        if problem is not None:
            resolver.error((*path, "uri_template"), f"invalid URI template: {problem}")
        elif not variables:
            resolver.error(
                (*path, "uri_template"),
                "a URI template needs at least one {variable}",
                hint="a fixed URI belongs under [[resources]]",
            )
        elif UriPattern.parse(template.uri_template) is None:
            # Valid RFC 6570, but the SDK's router would refuse it when the first URI comes.
            resolver.error(
                (*path, "uri_template"),
                "the MCP SDK cannot match URIs against this template",
                hint="it does not support prefix modifiers ({var:3}), two variables side by "
                "side ({a}{b}), two multi-segment variables, or {var*} outside a path or query",
            )
        names = [v[0] for v in variables]
        for param in template.params:
            if problem is None and param not in names:
                resolver.error(
                    (*path, "params", param),
                    f"{param!r} is not a variable of the template",
                    hint=did_you_mean(param, names) or f"its variables: {', '.join(names)}",
                )
        for position, argument in enumerate(template.complete):
            if problem is None and argument not in names:
                resolver.error(
                    (*path, "complete", position),
                    f"{argument!r} is not a variable of the template",
                    hint=did_you_mean(argument, names),
                )
        class_name = to_class_name(template.name, prefix="Template")
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, operator, explode in variables:
            given = template.params.get(name)
            if given is not None and resolver.check_schema(given, (*path, "params", name)):
                properties[name] = given
            else:
                properties[name] = (
                    {"type": "array", "items": {"type": "string"}}
                    if explode
                    else {"type": "string"}
                )
            if operator not in QUERY_OPERATORS:
                required.append(name)
        params_schema: JsonSchema = {"type": "object", "properties": properties}
        if required:
            params_schema["required"] = required
        params_model = resolver.model_for(
            model_class_name(class_name, "Params"), params_schema, path, in_spec=False
        )
        templates.append(
            TemplateIR(
                uri_template=template.uri_template,
                name=template.name,
                ident=to_ident(template.name, prefix="template"),
                class_name=class_name,
                title=template.title,
                description=template.description,
                mime_type=template.mime_type,
                params_model=params_model,
                variables=tuple(names),
                completers=tuple(
                    CompleterIR(argument, to_ident(f"complete_{argument}"))
                    for argument in template.complete
                ),
                subscribe=template.subscribe,
                meta=template.meta,
                path=path,
            )
        )
    # Most specific first, and the first match serves: two templates that one URI matches
    # must differ in specificity, or the order between them is an accident of their text.
    texts = [t.uri_template for t in spec.resource_templates]
    for first, second, uri in find_overlaps(texts):
        first_path: SpecPath = ("resource_templates", first, "uri_template")
        resolver.error(
            ("resource_templates", second, "uri_template"),
            f"{texts[first]!r} ({format_path(first_path)}, {resolver.loaded.locate(first_path)}) "
            f"and {texts[second]!r} both match {uri!r}; which one serves it depends on order",
            hint="make one of them more specific (more literal text, or fewer variables), "
            "or merge them into one template",
        )
    templates.sort(key=lambda t: template_specificity(t.uri_template))
    return tuple(templates)


def resolve_prompts(resolver: Resolver) -> tuple[PromptIR, ...]:
    spec = resolver.spec
    check_unique(
        resolver,
        [(p.name, ("prompts", i, "name")) for i, p in enumerate(spec.prompts)],
        "prompt",
        to_ident,
        "Python identifier",
    )
    prompts = []
    for index, prompt in enumerate(spec.prompts):
        path: SpecPath = ("prompts", index)
        names = [a.name for a in prompt.arguments]
        check_unique(
            resolver,
            [(a.name, (*path, "arguments", i, "name")) for i, a in enumerate(prompt.arguments)],
            "prompt argument",
            to_ident,
            "Python identifier",
        )
        for position, argument in enumerate(prompt.complete):
            if argument not in names:
                resolver.error(
                    (*path, "complete", position),
                    f"{argument!r} is not an argument of the prompt",
                    hint=did_you_mean(argument, names),
                )
        class_name = to_class_name(prompt.name, prefix="Prompt")
        schema: JsonSchema = {
            "type": "object",
            "properties": {
                a.name: {
                    "type": "string",
                    **({"description": a.description} if a.description else {}),
                }
                for a in prompt.arguments
            },
        }
        required = [a.name for a in prompt.arguments if a.required]
        if required:
            schema["required"] = required
        arguments_model = resolver.model_for(
            model_class_name(class_name, "Arguments"), schema, path, in_spec=False
        )
        prompts.append(
            PromptIR(
                name=prompt.name,
                ident=to_ident(prompt.name, prefix="prompt"),
                class_name=class_name,
                title=prompt.title,
                description=prompt.description,
                arguments=tuple(
                    PromptArgumentIR(a.name, a.description, a.required) for a in prompt.arguments
                ),
                arguments_model=arguments_model,
                completers=tuple(
                    CompleterIR(argument, to_ident(f"complete_{argument}"))
                    for argument in prompt.complete
                ),
                meta=prompt.meta,
                path=path,
            )
        )
    return tuple(prompts)
