"""The compiler as one pure function: a spec file in, the project's files out.

load -> resolve -> models -> render -> format. Nothing here writes to the project but
its cache, when given; `emit` does the rest. Nor does anything here print: an `Observer`
passed in is told each stage as it begins (the CLI shows them, `mcpgen.progress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcpgen.cache import ProjectCache
from mcpgen.diagnostics import Diagnostic, SpecPath
from mcpgen.format import format_files
from mcpgen.ir import SpecIR
from mcpgen.load import load_spec
from mcpgen.meta_schema import meets_meta_schema
from mcpgen.model_generator import generator_helpers
from mcpgen.models import render_models
from mcpgen.progress import SILENT, Observer
from mcpgen.render import RenderedFile, header, render_files
from mcpgen.resolve import build_ir, own_schemas
from mcpgen.workers import WORKERS, in_helpers


@dataclass(frozen=True)
class Result:
    ir: SpecIR
    files: dict[str, RenderedFile]
    diagnostics: list[Diagnostic]
    refs: dict[str, str]  # the files the spec `$ref`s -> their sha256, for the manifest


def check(spec_path: Path) -> tuple[SpecIR, list[Diagnostic]]:
    """Load and resolve only: what `mcpgen validate` needs. Raises SpecError."""
    return build_ir(load_spec(spec_path, partial=True))


# The stages `generate` tells its observer, in order.
LOAD, RESOLVE, MODELS, RENDER, FORMAT = (
    "loading the spec",
    "resolving",
    "generating models",
    "rendering",
    "formatting (ruff)",
)


def generate(
    spec_path: Path, cache: ProjectCache | None = None, observer: Observer = SILENT
) -> Result:
    """Every file of the project the spec describes. Raises SpecError.

    The output does not depend on `cache`: it only saves redoing work an earlier
    generation of the same project did (schema checks, models, formatting); nor on
    `observer`, which is only told where the run is.
    """
    # The model generator's helpers start now, so that their warm-up overlaps load. From
    # scratch, they also check the spec's schemas against the meta-schema, most of resolve's
    # time, with this process. Regenerating, the cache knows those schemas, and most model
    # chunks: one helper, which leaves this process the other core.
    regenerating = cache is not None and cache.holds_models
    with generator_helpers(1 if regenerating else WORKERS):
        observer.stage(LOAD)  # after the helpers' fork (`mcpgen.progress._Line`)
        loaded = load_spec(spec_path, partial=True)
        observer.stage(RESOLVE)
        valid: frozenset[SpecPath] = frozenset()
        if not regenerating:
            schemas = own_schemas(loaded.spec)
            verdicts = in_helpers(meets_meta_schema, [schema for _, schema in schemas])
            valid = frozenset(path for (path, _), ok in zip(schemas, verdicts, strict=True) if ok)
        ir, diagnostics = build_ir(loaded, cache, valid)
        observer.stage(MODELS)
        models = render_models(ir, header(ir), cache, observer)
    observer.stage(RENDER)
    rendered = render_files(ir, models)
    observer.stage(FORMAT)
    files = format_files(rendered, cache)
    if cache is not None:
        cache.save()
    return Result(ir, files, diagnostics, loaded.refs_sha256)
