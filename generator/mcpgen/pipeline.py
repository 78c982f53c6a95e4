"""The compiler as one pure function: a spec file in, the project's files out.

load -> resolve -> models -> render -> format. Nothing here writes; `emit` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcpgen.diagnostics import Diagnostic
from mcpgen.format import format_files
from mcpgen.ir import SpecIR
from mcpgen.load import load_spec
from mcpgen.models import render_models
from mcpgen.render import RenderedFile, header, render_files
from mcpgen.resolve import build_ir


@dataclass(frozen=True)
class Result:
    ir: SpecIR
    files: dict[str, RenderedFile]
    diagnostics: list[Diagnostic]


def check(spec_path: Path) -> tuple[SpecIR, list[Diagnostic]]:
    """Load and resolve only: what `mcpgen validate` needs. Raises SpecError."""
    return build_ir(load_spec(spec_path))


def generate(spec_path: Path) -> Result:
    """Every file of the project the spec describes. Raises SpecError."""
    ir, diagnostics = check(spec_path)
    models = render_models(ir, header(ir))
    files = format_files(render_files(ir, models))
    return Result(ir, files, diagnostics)
