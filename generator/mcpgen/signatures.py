"""Handlers whose signature no longer fits the spec, found without running a type checker.

A spec edit can change the model a handler takes or returns (a tool's output now `$ref`s
another type, a tool gains or loses its output). mypy reports that at the wiring line in
`_generated/server.py`; `mcpgen generate` says it at once, naming the tool, by reading each
existing handler module with `ast` and comparing the generated model classes its
annotations name with those the spec now requires. Only class names are compared: a
model that keeps its name but changes its fields is left to the type checker, which sees
the handler's body.

A handler is the user's file: it changes without the spec changing. So what a handler must
look like (`Expected`) is data the no-change fast path keeps, and each check is redone
whenever the handler's bytes differ from those last checked (`fastpath`).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpgen.ir import SpecIR


@dataclass(frozen=True)
class Expected:
    """What the generated Protocol requires of one handler function."""

    kind: str  # "tool", "resource template", "prompt"
    name: str  # the item's name in the spec
    path: str  # the handler module, relative to the project root
    function: str
    argument: str  # the model class of the second parameter
    returns: str | None  # the model class of the result, if it has one
    result: str | None  # the result as the stub spells it; None: results are not compared
    models: str  # the generated models module, as handlers import it


def expectations(ir: SpecIR) -> Iterator[Expected]:
    """What each user-owned handler of the spec must look like."""
    handlers = f"src/{ir.server.package}/handlers"
    models = f"{ir.server.package}._generated.models"
    for tool in ir.tools:
        if tool.input_model is None:
            continue  # a generated handler: no user code to compare
        if tool.stream:
            returns, result = None, "an AsyncIterator[runtime.ToolChunk] (the tool streams)"
        elif tool.output_model:
            returns, result = tool.output_model, f"models.{tool.output_model}"
        else:
            returns, result = None, "no output model (return runtime.ToolReturn)"
        path = f"{handlers}/tools/{tool.ident}.py"
        yield Expected(
            "tool", tool.name, path, tool.ident, tool.input_model, returns, result, models
        )
    for template in ir.templates:
        path = f"{handlers}/resource_templates/{template.ident}.py"
        yield Expected(
            "resource template",
            template.name,
            path,
            template.ident,
            template.params_model,
            None,
            None,
            models,
        )
    for prompt in ir.prompts:
        path = f"{handlers}/prompts/{prompt.ident}.py"
        yield Expected(
            "prompt", prompt.name, path, prompt.ident, prompt.arguments_model, None, None, models
        )


def check_handlers(root: Path, ir: SpecIR) -> list[str]:
    """One warning per existing handler whose annotations name the wrong generated models."""
    return [w for expected in expectations(ir) for w in check_handler(root, expected)[1]]


def check_handler(root: Path, expected: Expected) -> tuple[str | None, list[str]]:
    """The sha256 of the handler module as read (None: there is none yet), and what is
    wrong with it."""
    try:
        raw = (root / expected.path).read_bytes()
        source = raw.decode("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None, []
    return hashlib.sha256(raw).hexdigest(), _problems(source, expected)


def _problems(source: str, expected: Expected) -> list[str]:
    where = f"{expected.kind} {expected.name!r} ({expected.path}"
    try:
        module = ast.parse(source, filename=expected.path)
    except SyntaxError as error:
        return [
            f"handler of {where}:{error.lineno}) does not parse: {error.msg}; "
            "the server cannot import it."
        ]
    function = next(
        (
            node
            for node in module.body
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
            and node.name == expected.function
        ),
        None,
    )
    if function is None:
        return [
            f"handler of {where}) defines no function {expected.function!r}, which the "
            "generated wiring imports."
        ]
    warnings: list[str] = []
    names = _model_names(module, expected.models)
    where = f"{where}:{function.lineno})"
    parameters = [*function.args.posonlyargs, *function.args.args]
    if len(parameters) >= 2 and parameters[1].annotation is not None:
        problem = _mismatch(parameters[1].annotation, names, expected.argument)
        if problem is not None:
            warnings.append(
                f"handler of {where} takes {problem} but the spec now gives "
                f"models.{expected.argument}."
            )
    if expected.result is not None and function.returns is not None:
        problem = _mismatch(function.returns, names, expected.returns)
        if problem is not None:
            warnings.append(
                f"handler of {where} returns {problem} but the spec now gives {expected.result}."
            )
    return warnings


@dataclass(frozen=True)
class _Names:
    """How the module can spell a generated model: `alias.X`, or a name imported from it."""

    module_aliases: frozenset[str]
    imported: dict[str, str]  # local name -> model class name
    generated_aliases: frozenset[str]  # names bound to any module of the generated package


def _model_names(module: ast.Module, models_module: str) -> _Names:
    package = models_module.rsplit(".", 1)[0]
    aliases: set[str] = set()
    generated: set[str] = set()
    imported: dict[str, str] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module == package:
                    generated.add(local)
                    if alias.name == "models":
                        aliases.add(local)
                elif node.module == models_module:
                    imported[local] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == models_module and alias.asname:
                    aliases.add(alias.asname)
    return _Names(frozenset(aliases), imported, frozenset(generated | aliases))


def _mismatch(annotation: ast.expr, names: _Names, wanted: str | None) -> str | None:
    """The annotation as written, if the models it names are not exactly `wanted`."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    found: set[str] = set()
    mentions_generated = False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in names.module_aliases:
                found.add(node.attr)
            mentions_generated |= node.value.id in names.generated_aliases
        elif isinstance(node, ast.Name) and node.id in names.imported:
            found.add(names.imported[node.id])
            mentions_generated = True
    expected = {wanted} if wanted else set()
    # An annotation that names nothing generated (`Any`, a protocol of the user's own) is
    # the user's choice; only the generated types the spec renames can be compared.
    if found == expected or not mentions_generated:
        return None
    return ast.unparse(annotation)
