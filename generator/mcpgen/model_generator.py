"""The model generator (datamodel-code-generator) as mcpgen calls it, and its output taken
apart into definitions and put together again (`model_chunks` makes a large spec's models in
chunks).

Each model is a `$defs` entry named by its class name, so the generator never has to
invent (and number) a root name. Every option is explicit, so an upgrade of its defaults
cannot change our output; the version is pinned in pyproject. It formats nothing: ruff
formats the whole package afterwards (`format`). The header names the spec file, which has
nothing to do with a chunk's models, so the generator sees a fixed placeholder comment
instead (HEADER_SLOT), laid out alike, and the real header goes on afterwards.
"""

from __future__ import annotations

import ast
import hashlib
import json
import warnings
from contextlib import AbstractContextManager
from importlib.metadata import version

from mcpgen import workers
from mcpgen.fastpath import generator_fingerprint
from mcpgen.ir import JsonSchema

HEADER_SLOT = "# mcpgen: the file header goes here"


def generator_helpers(count: int | None = None) -> AbstractContextManager[None]:
    """`count` helper processes (`workers`) with the model generator warmed up, while the
    block runs. The output never depends on them (tested)."""
    return workers.helper_processes(count, warm_up=warm_up)


def input_document(defs: JsonSchema) -> tuple[str, str]:
    """The generator's input document for these `$defs` (class name -> schema), and its
    cache key: everything the generator reads (mcpgen's sources hold the options)."""
    document: JsonSchema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
    }
    text = json.dumps(document, sort_keys=False, ensure_ascii=False)
    key = hashlib.sha256(
        "\0".join((text, generator_fingerprint(), version("datamodel-code-generator"))).encode()
    ).hexdigest()
    return text, key


def generate_fresh(document: str) -> str:
    """The generator's module for an input document (`input_document`), placeholder header
    first."""
    # Its UserWarnings (a format it maps to a plain type, a constraint a pydantic type
    # cannot carry) point at its own source lines and would reach the user's terminal;
    # nothing is lost: arguments and results are checked against the advertised schema,
    # which keeps every format and constraint.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        source = _generate(document)
    if not isinstance(source, str):
        raise TypeError("datamodel-code-generator returned several modules for one schema")
    # What its own formatter did first and ruff's does not do inside a docstring: newlines
    # made LF, and no line ending in blanks (a description's trailing space fails W291).
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source = "\n".join(line.rstrip() for line in lines)
    if not source.startswith(HEADER_SLOT + "\n"):
        raise TypeError("datamodel-code-generator moved the file header")
    return source


# What a helper generates first: classes, an alias, an enum, a union, formats and bounds,
# so that the generator's lazy imports and template compiling are done before real work.
_WARM_UP = json.dumps(
    {
        "$defs": {
            "Warm": {
                "type": "object",
                "description": "Warm-up.",
                "required": ["at"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                    "mode": {"enum": ["a", "b"]},
                    "count": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                },
            },
            "Item": {"type": "object", "properties": {"nested": {"type": "object"}}},
            "Kind": {"type": "string", "enum": ["x", "y"]},
        }
    }
)


def warm_up() -> None:
    generate_fresh(_WARM_UP)


def _generate(document: str) -> object:
    from datamodel_code_generator import LiteralType, generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import PythonVersion

    return generate(
        document,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        # No formatter: ruff formats the whole package afterwards (`format`), and the
        # generator's own (a third of its time) reads settings from the working directory.
        formatters=[],
        custom_file_header=HEADER_SLOT,
        disable_timestamp=True,
        skip_root_model=True,
        use_type_alias=True,
        use_annotated=True,
        field_constraints=True,
        use_standard_collections=True,
        use_union_operator=True,
        use_double_quotes=True,
        use_schema_description=True,
        parent_scoped_naming=True,
        strict_nullable=True,
        enum_field_as_literal=LiteralType.All,
        capitalise_enum_members=False,
        keep_model_order=False,
        # Resource templates' parameters keep their formats (`as_a_model_reads`), so the
        # formats whose types would change a value or need more than mcp and pydantic stay
        # plain there too: EmailStr needs email-validator and ULID python-ulid at import
        # time (one such field and models.py does not import: every tool call fails);
        # SecretStr serializes as "**********"; Base64Str hands the handler decoded text
        # (and fails on binary data); Decimal serializes as a JSON string.
        type_mappings=[
            "email=string",
            "idn-email=string",
            "ulid=string",
            "password=string",
            "byte=string",
            "number+decimal=number",
        ],
    )


def generate_split(document: str) -> Split:
    """`generate_fresh`, taken apart: what a helper process sends back for a chunk."""
    return split_source(generate_fresh(document))


# A chunk's output as `split_source` leaves it: its imports, and its definitions in order,
# each with its name, its text and the names of the chunk's definitions it refers to.
Node = tuple[str, str, list[str]]
Split = tuple[dict[str, list[str]], list[Node]]


def split_source(source: str) -> Split:
    """The generator's module as its imports and its definitions (`Split`)."""
    imports: dict[str, set[str]] = {}
    nodes = [
        (name, text, refs) for name, (text, refs) in split_definitions(source, imports).items()
    ]
    return {module: sorted(names) for module, names in imports.items()}, nodes


def split_definitions(
    source: str, imports: dict[str, set[str]]
) -> dict[str, tuple[str, list[str]]]:
    """A module's top-level definitions by name, in order, each with the names of the
    module's definitions it refers to; its imports go into `imports`.

    The `X.model_rebuild()` call the generator writes after a recursive model `X` is kept
    under the name `X.model_rebuild()` (`_is_rebuild`), so a run that repeats it is
    compared with the shared chunk like any definition.
    """
    # The parser's lines: str.splitlines() also breaks at \v, \f, \x1c-\x1e, \x85, U+2028
    # and U+2029, which a description leaves raw in a docstring (`_escape_invisibles` is later).
    lines = source.split("\n")
    nodes: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "model_rebuild"
            and isinstance(node.value.func.value, ast.Name)
        ):
            call = ast.unparse(node)
            nodes[call] = call
            names[call] = {node.value.func.value.id}
            continue
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.setdefault(node.module, set()).update(
                a.name if a.asname is None else f"{a.name} as {a.asname}" for a in node.names
            )
            continue
        if isinstance(node, ast.Import):
            # Keyed apart from `from` imports of the same module, rendered as written.
            imports.setdefault(ast.unparse(node), set())
            continue
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and nodes
        ):
            # The docstring written under a type alias belongs to the alias before it.
            name = next(reversed(nodes))
            nodes[name] += "\n" + "\n".join(lines[node.lineno - 1 : node.end_lineno])
            continue
        if isinstance(node, ast.ClassDef):
            name = node.name
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
        else:
            raise TypeError(
                f"datamodel-code-generator wrote an unexpected statement: {ast.dump(node)[:80]}"
            )
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        nodes[name] = "\n".join(lines[start - 1 : node.end_lineno])
        names[name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return {
        name: (text, sorted(names[name] & nodes.keys() - {name})) for name, text in nodes.items()
    }


REBUILD = ".model_rebuild()"


def _is_rebuild(text: str) -> bool:
    return text.endswith(REBUILD)


def assemble(imports: dict[str, set[str]], bodies: list[str]) -> str:
    """The body of models.py: the merged imports, then the definitions."""
    # `X.model_rebuild()` of recursive models go after every class, as in one batch.
    rebuilds = [text for text in bodies if _is_rebuild(text)]
    bodies = [text for text in bodies if not _is_rebuild(text)]
    # The shadowing fields' model is dropped; its base class, its only import, is imported
    # by every chunk of a spec that has fields at all.
    future = imports.pop("__future__", set())
    lines = [f"from __future__ import {', '.join(sorted(future))}"] if future else []
    lines += [
        f"from {module} import {', '.join(sorted(names))}" if names else module
        for module, names in sorted(imports.items())
    ]
    tail = "\n\n\n" + "\n".join(rebuilds) if rebuilds else ""
    return "\n" + "\n".join(lines) + "\n\n\n" + "\n\n\n".join(bodies) + tail + "\n"
