"""The `mcpgen` command: a thin shell over the pipeline.

Exit codes: 0 success, 1 the spec has errors (or `--check` found stale files), 2 usage.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import click

from mcpgen import __version__
from mcpgen.diagnostics import Diagnostic, SpecError

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.render(), err=True)
    errors = sum(d.level == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if errors:
        click.echo(
            f"{errors} error{'s' * (errors != 1)}"
            + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")
            + "; nothing was written.",
            err=True,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcpgen")
def main() -> None:
    """Compile an MCP server spec (TOML or JSON) into a typed Python server package.

    \b
    Start with:  mcpgen validate server.toml
    Then:        mcpgen generate server.toml -o my-server
    """


@main.command()
@click.argument("spec", type=SPEC)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder to write (default: the folder holding the spec).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and print a diff if the project is not up to date.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite generated files even where they were edited by hand.",
)
def generate(spec: Path, output: Path | None, check: bool, force: bool) -> None:
    """Generate (or update) the server project described by SPEC.

    Files under _generated/ are rewritten when their content changes; handler
    modules are created once and never overwritten.
    """
    from mcpgen import fastpath

    root = output if output is not None else spec.parent
    unchanged = fastpath.up_to_date(spec, root)
    if unchanged is not None:
        # Nothing changed since the last generation: say what the full run would say.
        for line in unchanged.diagnostics:
            click.echo(line, err=True)
        click.echo(
            f"{root} is up to date."
            if check
            else f"{root}: 0 written, 0 new handler/project files, "
            f"{unchanged.generated_files} unchanged, 0 removed.",
            err=True,
        )
        return

    from mcpgen import emit
    from mcpgen.cache import ProjectCache
    from mcpgen.pipeline import generate as run_pipeline
    from mcpgen.render import Owner

    try:
        # --check writes nothing, not even the cache.
        result = run_pipeline(spec, None if check else ProjectCache(root))
    except SpecError as error:
        _report(error.diagnostics)
        sys.exit(1)
    _report(result.diagnostics)
    plan = emit.plan(root, result.files, result.ir.server.package)
    for path in plan.orphans:
        click.echo(
            f"warning: {path} handles nothing the spec declares any more; it was kept. "
            "Delete it, or restore its entry in the spec.",
            err=True,
        )
    for path in plan.kept:
        click.echo(f"warning: {path} is no longer generated but was edited; it was kept.", err=True)
    if check:
        if plan.stale:
            sys.stdout.write(emit.diff(root, plan))
            click.echo(f"{root} is not up to date with {spec}.", err=True)
            sys.exit(1)
        click.echo(f"{root} is up to date.", err=True)
        return
    if plan.hand_edited and not force:
        for path in plan.hand_edited:
            click.echo(f"error: {path} was edited by hand since mcpgen wrote it.", err=True)
        click.echo(
            "Generated files are rewritten from the spec: move the change into a handler or "
            "the spec, or pass --force to overwrite. Nothing was written.",
            err=True,
        )
        sys.exit(1)
    emit.apply(root, plan, result.ir.spec_sha256, result.refs)
    fastpath.write_stamp(
        root,
        spec,
        [path for path, f in result.files.items() if f.owner is Owner.USER],
        [d.render() for d in result.diagnostics],
        f"src/{result.ir.server.package}/handlers",
    )
    click.echo(
        f"{root}: {len(plan.write)} written, {len(plan.scaffold)} new handler/project files, "
        f"{len(plan.unchanged)} unchanged, {len(plan.remove)} removed.",
        err=True,
    )


@main.command()
@click.argument("spec", type=SPEC)
@click.option("--dump-ir", is_flag=True, help="Print the resolved spec (the IR) as JSON.")
def validate(spec: Path, dump_ir: bool) -> None:
    """Check SPEC and report every problem, each with file:line:col and the spec path."""
    from mcpgen.pipeline import check

    try:
        ir, diagnostics = check(spec)
    except SpecError as error:
        _report(error.diagnostics)
        sys.exit(1)
    _report(diagnostics)
    if dump_ir:
        click.echo(json.dumps(_plain(ir), indent=2, ensure_ascii=False))
    click.echo(
        f"{spec}: ok ({len(ir.tools)} tools, {len(ir.resources)} resources, "
        f"{len(ir.templates)} resource templates, {len(ir.prompts)} prompts).",
        err=True,
    )


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the spec language (for editors and CI)."""
    from mcpgen.spec import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="\n")


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
