"""Stage 3, models: the IR's schemas -> pydantic source, by datamodel-code-generator.

Each schema is first made what a model should read (`model_schemas`); the generator
(`model_generator`) makes a small spec's models in one call, a large spec's in chunks it can
cache and share out (`model_chunks`); then each pattern goes to the runtime's ECMA-262 check
and invisible characters are escaped. The generator is most of a generation's time.
"""

from __future__ import annotations

import ast
import re

from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.ir import ModelIR, SpecIR
from mcpgen.model_chunks import chunked, cut_into_runs, one_batch
from mcpgen.model_generator import HEADER_SLOT, generator_helpers
from mcpgen.model_schemas import as_a_model_reads, without_narrowing_subclasses
from mcpgen.progress import SILENT, Observer

# A model is a class, or a type alias for a schema that is not an object (an enum, say).
_DEFINED = re.compile(r"^(?:class (\w+)\(|(\w+)(?:: TypeAlias)? = )", re.MULTILINE)


def render_models(
    ir: SpecIR, header: str, cache: ProjectCache | None = None, observer: Observer = SILENT
) -> str:
    """The source of `_generated/models.py`; the same with or without a cache. `observer`
    is told the chunks made of all, as they are made."""
    if not ir.models:
        return f"{header}\n"
    models = without_narrowing_subclasses(
        tuple(
            m
            if m.origin[:1] == ("resource_templates",)
            else ModelIR(m.class_name, as_a_model_reads(m.schema), m.origin)
            for m in ir.models
        )
    )
    runs = cut_into_runs(models)
    body = None
    with generator_helpers():
        if runs is not None:
            body = chunked(models, runs, cache, observer)
        if body is None:
            body = one_batch(models, cache, observer).removeprefix(HEADER_SLOT + "\n")
    top = header.rstrip("\n")
    source = _escape_invisibles(_ecma_patterns(f"{top}\n{body}"))
    defined = {cls or alias for cls, alias in _DEFINED.findall(source)}
    missing = [m for m in ir.models if m.class_name not in defined]
    if missing:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"the model {m.class_name!r} came out under another name: it collides "
                    "with a class the model generator derived from a nested schema",
                    path=m.origin,
                    hint="rename the type or give the nested schema its own entry under [types]",
                )
                for m in missing
            ]
        )
    return source


# The runtime's module of ECMA-262 `pattern` checks, as the models name it (`_ecma_patterns`):
# a name no field or class can take (pydantic fields and spec classes never start with `_`).
_PATTERNS_MODULE = "_patterns"


def _ecma_patterns(source: str) -> str:
    """The models with each `pattern=` of pydantic's moved into `runtime._patterns.EcmaPattern(...)`.

    JSON Schema patterns are ECMA-262 (`mcpgen.patterns`). pydantic would run them on Rust's
    regex engine, where `\\d` and `\\w` match non-ASCII digits and letters and a lookaround
    fails the model's import: a value the tool's schema check accepted (`\\W` and "é") could
    fail again in the model, and one lookahead (111 documents of the APIs.guru directory
    have one) would break every call. The generator writes `Field(..., pattern=P)` and
    `StringConstraints(pattern=P)`, always inside `Annotated[...]`: the pattern leaves the
    call and follows it as one more annotation, which the runtime checks with regress.
    """
    if "pattern=" not in source:
        return source
    encoded = source.encode()
    starts = [0]
    for line in encoded.split(b"\n"):
        starts.append(starts[-1] + len(line) + 1)
    tree = ast.parse(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Field", "StringConstraints")
        ):
            continue
        found = [k for k in node.keywords if k.arg == "pattern"]
        if not found:
            continue
        holder = parents.get(id(node))
        annotated = parents.get(id(holder)) if isinstance(holder, ast.Tuple) else None
        if not (
            isinstance(found[0].value, ast.Constant)
            and isinstance(found[0].value.value, str)
            and isinstance(annotated, ast.Subscript)
            and isinstance(annotated.value, ast.Name)
            and annotated.value.id == "Annotated"
        ):
            raise TypeError(f"datamodel-code-generator wrote a pattern as {ast.unparse(node)}")
        marker = f"{_PATTERNS_MODULE}.EcmaPattern({found[0].value.value!r})"
        rest = [k for k in node.keywords if k.arg != "pattern"]
        kept = ast.unparse(ast.Call(node.func, node.args, rest)) if node.args or rest else None
        assert node.end_lineno is not None and node.end_col_offset is not None
        edits.append(
            (
                starts[node.lineno - 1] + node.col_offset,
                starts[node.end_lineno - 1] + node.end_col_offset,
                f"{kept}, {marker}" if kept else marker,
            )
        )
    for start, end, text in sorted(edits, reverse=True):
        encoded = encoded[:start] + text.encode() + encoded[end:]
    future = b"from __future__ import annotations\n"
    at = encoded.index(future) + len(future) if future in encoded else 0
    line = f"\nfrom .runtime import {_PATTERNS_MODULE}\n".encode()
    return (encoded[:at] + line + encoded[at:]).decode()


# Characters that change how source reads without being seen: controls, bidi overrides
# ("Trojan Source"), line separators, BOM. datamodel-code-generator leaves them raw in the
# docstrings it writes; outside string literals they never occur, so escaping is safe.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)


def _escape_invisibles(source: str) -> str:
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", source)
