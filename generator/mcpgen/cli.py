"""The `mcpgen` command: a thin shell over the pipeline.

Exit codes: 0 success, 1 the spec has errors (or `--check` found stale files), 2 usage,
3 `import openapi` wrote the spec with places to review (conflicts).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mcpgen import __version__
from mcpgen.diagnostics import Diagnostic, SpecError, counted

if TYPE_CHECKING:
    from mcpgen.emit import Plan

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)
# `import openapi` wrote the spec, but some places need the user's review: CI must see it.
CONFLICTS_EXIT = 3
# `--quiet` from the environment: how `init --quiet` reaches the `generate` its template runs.
QUIET_ENV = "MCPGEN_QUIET"


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.render(), err=True)
    errors = sum(d.level == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if errors:
        click.echo(
            counted(errors, "error")
            + (f", {counted(warnings, 'warning')}" if warnings else "")
            + "; nothing was written.",
            err=True,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcpgen")
def main() -> None:
    """Compile an MCP server spec (TOML or JSON) into a typed Python server package.

    \b
    Start with:  mcpgen init my-server   (a whole project, from the copier template)
    Or:          mcpgen validate server.toml
    Then:        mcpgen generate server.toml -o my-server
    """


def _quiet_option(command: Any) -> Any:
    """`--quiet`: no progress line, even on a terminal (`mcpgen.progress`)."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        envvar=QUIET_ENV,
        help=f"Show no progress, even on a terminal (or set {QUIET_ENV}=1). Progress is "
        "shown only when stderr is a terminal.",
    )(command)


def _budget_options(command: Any) -> Any:
    """`--max-tools` and `--max-tokens`: the tools/list a command may make, or it fails."""
    command = click.option(
        "--max-tokens",
        type=click.IntRange(1),
        help="Fail, writing nothing, if tools/list would exceed this many tokens "
        "(estimated as bytes / 4 of its JSON).",
    )(command)
    return click.option(
        "--max-tools",
        type=click.IntRange(1),
        help="Fail, writing nothing, if the server would have more tools than this.",
    )(command)


@main.command()
@click.argument("spec", type=SPEC, required=False)
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
    help="Overwrite generated files even where they were edited by hand "
    "(each edited file is saved under .mcpgen-backup/ first).",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Write nothing; print a diff of what generating would change (exit 0).",
)
@_budget_options
@_quiet_option
def generate(
    spec: Path | None,
    output: Path | None,
    check: bool,
    force: bool,
    show_diff: bool,
    max_tools: int | None,
    max_tokens: int | None,
    quiet: bool,
) -> None:
    """Generate (or update) the server project described by SPEC.

    Files under _generated/ are rewritten when their content changes; handler
    modules are created once and never overwritten. Without SPEC, inside a project
    (or with -o) whose spec lives in it, the spec the last generation used is taken.
    """
    from mcpgen import fastpath

    if spec is None:
        spec = _project_spec(output if output is not None else Path.cwd())
    root = output if output is not None else spec.parent
    # A budget is checked against what generating makes: up to date or not, it runs.
    budgeted = max_tools is not None or max_tokens is not None
    unchanged = None if budgeted else fastpath.up_to_date(spec, root)
    if unchanged is not None:
        # Nothing to write: say what the full run would say, word for word.
        for line in unchanged.diagnostics:
            click.echo(line, err=True)
        _echo_stored_size(root, unchanged.package)
        _warn_about_handlers(unchanged.misfits)
        _warn_about_dependencies(root)
        if check or show_diff:
            _conclude(root, spec, check, _stale(misfits=len(unchanged.misfits)))
        else:
            click.echo(_written(root, 0, 0, unchanged.generated_files, 0), err=True)
        return

    from mcpgen import emit
    from mcpgen.budget import budget_errors, budget_warning
    from mcpgen.cache import ProjectCache
    from mcpgen.pipeline import generate as run_pipeline
    from mcpgen.progress import shown
    from mcpgen.render import Owner, generate_cut_with, tools_list_size
    from mcpgen.signatures import expectations

    try:
        # --check writes nothing, not even the cache; nor does a run a budget may refuse
        # make a project folder that holds only a cache.
        writes_cache = not check and not (budgeted and not root.exists())
        with shown(quiet) as observer:
            result = run_pipeline(spec, ProjectCache(root) if writes_cache else None, observer)
    except SpecError as error:
        _report(error.diagnostics)
        sys.exit(1)
    listed = tools_list_size(result.ir)
    if listed.over_budget() or budgeted:
        listed = tools_list_size(result.ir, _tags(spec))  # which tags weigh most
    refused = budget_errors(listed, max_tools, max_tokens, f"{root} was left as it was")
    over = budget_warning(listed, generate_cut_with(result.ir))
    if over is not None:
        # With the spec's own warnings, so that a run with nothing to write repeats it.
        result.diagnostics.append(over)
    if refused:
        _report([*result.diagnostics, *refused])
        sys.exit(1)
    _report(result.diagnostics)
    click.echo(listed.line(), err=True)
    try:
        plan = emit.plan(root, result.files, result.ir.server.package)
    except emit.EmitError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    _warn_about_user_files(plan)
    earlier = fastpath.earlier_handler_checks(root)
    handlers = fastpath.check_handlers(root, expectations(result.ir), earlier)
    misfits = [h.warnings for h in handlers if h.warnings]
    _warn_about_handlers(misfits)
    _warn_about_dependencies(root)
    if check or show_diff:
        sys.stdout.write(emit.diff(root, plan))
        _conclude(
            root,
            spec,
            check,
            _stale(
                write=len(plan.write),
                scaffold=len(plan.scaffold),
                remove=len(plan.remove),
                orphans=len(plan.orphans),
                misfits=len(misfits),
            ),
        )
        return
    if plan.conflicts and not force:
        sys.stdout.write(emit.diff(root, plan, only=plan.conflicts))
        for path in plan.hand_edited:
            click.echo(f"error: {path} was edited by hand since mcpgen wrote it.", err=True)
        for path in plan.untracked:
            click.echo(
                f"error: {path} is in a generated file's place but mcpgen did not write it "
                f"(it is not in {fastpath.MANIFEST}).",
                err=True,
            )
        click.echo(
            "Generated files are rewritten from the spec: move the change into a handler or "
            "the spec, or pass --force to overwrite (the diff above is what --force would do; "
            f"your version is saved under {emit.BACKUP_DIR}/). Nothing was written.",
            err=True,
        )
        sys.exit(1)
    try:
        with shown(quiet) as observer:
            observer.stage(WRITING)
            emit.apply(root, plan, result.ir.spec_sha256, result.refs, _spec_in(spec, root))
    except emit.EmitError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path, backup in sorted(plan.backups.items()):
        click.echo(f"warning: overwrote {path}; the previous version is in {backup}.", err=True)
    # The stubs just scaffolded fit, but the stamp needs their bytes' digests, or the next
    # run would check every one of them again.
    handlers = [
        h if h.sha256 is not None else fastpath.check_handlers(root, [h.expected])[0]
        for h in handlers
    ]
    fastpath.write_stamp(
        root,
        spec,
        result.ir.server.package,
        [path for path, f in result.files.items() if f.owner is Owner.USER],
        result.diagnostics,
        handlers,
    )
    click.echo(
        _written(root, len(plan.write), len(plan.scaffold), len(plan.unchanged), len(plan.remove)),
        err=True,
    )


# The stage of `generate` after the pipeline's (`mcpgen.pipeline`): the CLI's own.
WRITING = "writing files"


def _echo_stored_size(root: Path, package: str) -> None:
    """The tools/list line a full run prints, for a project that is up to date."""
    from mcpgen.tools_file import TOOLS_PATH, stored_tools_list_size

    stored = (root / TOOLS_PATH.format(pkg=package)).read_text(encoding="utf-8")
    click.echo(stored_tools_list_size(stored).line(), err=True)


def _tags(spec: Path) -> dict[str, tuple[str, ...]]:
    """Each tool's OpenAPI tags (`http.tags`), as the spec writes them."""
    from mcpgen.load import load_spec

    tools = load_spec(spec, partial=True).document.data.get("tools", [])
    return {
        tool["name"]: tuple((tool.get("http") or {}).get("tags") or ())
        for tool in tools
        if isinstance(tool, dict) and isinstance(tool.get("name"), str)
    }


def _written(root: Path, written: int, scaffolded: int, unchanged: int, removed: int) -> str:
    return (
        f"{root}: {written} written, {counted(scaffolded, 'new handler/project file')}, "
        f"{unchanged} unchanged, {removed} removed."
    )


def _conclude(root: Path, spec: Path, check: bool, stale: str) -> None:
    """The last word of --check and --diff; --check exits 1 on a stale project."""
    if not stale:
        click.echo(f"{root} is up to date.", err=True)
    elif check:
        click.echo(f"{root} is not up to date with {spec}: {stale}.", err=True)
        sys.exit(1)


def _spec_in(spec: Path, root: Path) -> str | None:
    """The spec's POSIX path relative to the project, if the project holds it."""
    try:
        return spec.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _project_spec(start: Path) -> Path:
    """The spec recorded in the manifest of the project at or above `start` (exit 2 if none)."""
    from mcpgen import fastpath

    for folder in [start.resolve(), *start.resolve().parents]:
        manifest = folder / fastpath.MANIFEST
        if not manifest.is_file():
            continue
        try:
            recorded = json.loads(manifest.read_text(encoding="utf-8")).get("spec")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if not isinstance(recorded, str):
            raise click.UsageError(
                f"{manifest} does not say where the spec is (it lives outside the project): "
                "pass the spec's path"
            )
        spec = folder / recorded
        if not spec.is_file():
            raise click.UsageError(f"{manifest} names the spec {recorded}, which is missing")
        return spec
    raise click.UsageError(
        f"no spec given, and no {fastpath.MANIFEST} in {start} or above: pass the spec's path"
    )


def _warn_about_user_files(plan: Plan) -> None:
    """Name every user file a regeneration leaves alone although the spec no longer needs it."""
    for orphan in plan.orphans:
        if orphan.kind == "lifespan":
            click.echo(
                f"warning: {orphan.path} is the server's lifespan, which the spec no longer "
                "asks for; it was kept. Delete it, or set lifespan = true under [server] again.",
                err=True,
            )
            continue
        click.echo(
            f"warning: {orphan.path} handles {orphan.kind} {orphan.name!r}, which the spec no "
            "longer declares; it was kept. Delete it, or restore the "
            f"{orphan.kind} in the spec (if it was renamed, move the code into the new handler).",
            err=True,
        )
    for path in plan.kept:
        click.echo(f"warning: {path} is no longer generated but was edited; it was kept.", err=True)
    for path in plan.foreign:
        click.echo(
            f"warning: {path} was not written by mcpgen; it was left alone. _generated/ "
            "belongs to mcpgen: move it out.",
            err=True,
        )


def _warn_about_handlers(misfits: Sequence[Sequence[str]]) -> None:
    for warnings in misfits:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)


def _warn_about_dependencies(root: Path) -> None:
    from mcpgen.pyproject import undeclared, undeclared_extras

    pyproject = root / "pyproject.toml"
    missing = undeclared(pyproject)
    if missing:
        listed = ", ".join(f'"{line}"' for line in missing)
        click.echo(
            "warning: pyproject.toml does not declare what the generated runtime imports; "
            f"add to [project] dependencies: {listed}",
            err=True,
        )
    extras = undeclared_extras(pyproject)
    if extras:
        click.echo(
            "warning: pyproject.toml lacks the runtime's extras (the Dockerfile installs "
            f"them); add to [project.optional-dependencies]: {'; '.join(extras)}",
            err=True,
        )


def _stale(
    *, write: int = 0, scaffold: int = 0, remove: int = 0, orphans: int = 0, misfits: int = 0
) -> str:
    """What keeps a project from being up to date, or "" when nothing does.

    A handler is the user's file, yet one whose item left the spec, or whose signature no
    longer fits it, leaves the project unfinished as surely as a stale generated file: the
    server would not type-check (or not import) as the spec describes it, and only the user
    can finish the change. So both fail --check, named in the warnings above.
    """
    parts = [
        counted(write, "generated file") + " to write",
        counted(scaffold, "new handler/project file") + " to create",
        counted(remove, "generated file") + " to remove",
        counted(orphans, "handler") + " left by the spec (see the warnings)",
        counted(misfits, "handler") + " at odds with the spec (see the warnings)",
    ]
    counts = (write, scaffold, remove, orphans, misfits)
    return ", ".join(part for n, part in zip(counts, parts, strict=True) if n)


@main.command()
@click.argument("name", type=click.Path(file_okay=False, path_type=Path))
@click.option("--spec", type=SPEC, help="Start from this spec (copied in) instead of a starter.")
@click.option("--defaults", is_flag=True, help="Ask nothing: take every default.")
@click.option(
    "--data",
    "-d",
    "data",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a template question (project_name, package_name, description, author_name, "
    "author_email, python_version, spec_file); repeatable.",
)
@_quiet_option
def init(name: Path, spec: Path | None, defaults: bool, data: tuple[str, ...], quiet: bool) -> None:
    """Create the project NAME from mcpgen's copier template, and generate its server.

    The same as `copier copy <mcpgen> NAME`: pyproject, README, spec, tests, CI, a
    requirements-dev.txt that installs this very mcpgen (with a copy of its wheel in
    vendor/ when it was installed from a local folder or file), then the generated code.
    Keep the project in git, and `copier update` brings template changes.
    """
    from mcpgen.project import InitError, init_project

    answers: dict[str, str] = {}
    for item in data:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--data")
        answers[key.strip()] = value
    if quiet:
        # The template's task runs `mcpgen generate` in a child process, which shows its own
        # progress on the terminal they share; this command ends with the child.
        os.environ[QUIET_ENV] = "1"
    try:
        project = init_project(name, spec=spec, data=answers, defaults=defaults)
    except InitError as error:
        click.echo(f"error: {error}", err=True)
        click.echo("Nothing was written.", err=True)
        sys.exit(1)
    click.echo(f"{project}: a new MCP server project.", err=True)


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
        f"{spec}: ok ({counted(len(ir.tools), 'tool')}, "
        f"{counted(len(ir.resources), 'resource')}, "
        f"{counted(len(ir.templates), 'resource template')}, "
        f"{counted(len(ir.prompts), 'prompt')}).",
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


@main.group("import")
def import_group() -> None:
    """Make a spec from another description of an API."""


def _selection(
    tags: tuple[str, ...],
    paths: tuple[str, ...],
    operations: tuple[str, ...],
    deprecated: bool = False,
) -> Any:
    from mcpgen.spec import OpenApiSelection

    return OpenApiSelection(
        tags=list(tags), paths=list(paths), operations=list(operations), deprecated=deprecated
    )


@import_group.command("openapi")
@click.argument("source", required=False)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The spec to write (or to update, keeping your edits, when it exists).",
)
@click.option("--name", "server_name", help="Server name (default: from info.title).")
@click.option("--include-tag", multiple=True, help="Keep operations with this tag (repeatable).")
@click.option("--exclude-tag", multiple=True, help="Drop operations with this tag (repeatable).")
@click.option("--include-path", multiple=True, help="Keep operations whose path matches this glob.")
@click.option("--exclude-path", multiple=True, help="Drop operations whose path matches this glob.")
@click.option(
    "--include-operation",
    multiple=True,
    help="Keep this operation: an operationId or 'METHOD /path' (repeatable).",
)
@click.option(
    "--exclude-operation",
    multiple=True,
    help="Drop this operation: an operationId or 'METHOD /path' (repeatable).",
)
@click.option(
    "--exclude-deprecated",
    is_flag=True,
    help="Drop the operations the API marks deprecated.",
)
@click.option(
    "--max-name-length",
    type=click.IntRange(16, 128),
    help="Longest tool name (default 48: clients prefix names and cap the whole near 64).",
)
@click.option(
    "--output-validation",
    type=click.Choice(["strict", "off"]),
    help="Check API responses against the output schema (strict, the default) or not.",
)
@click.option(
    "--allow-remote-refs",
    is_flag=True,
    help="Fetch $refs to http(s) URLs (never done otherwise).",
)
@_budget_options
@_quiet_option
def import_openapi(
    source: str | None,
    output: Path,
    server_name: str | None,
    include_tag: tuple[str, ...],
    exclude_tag: tuple[str, ...],
    include_path: tuple[str, ...],
    exclude_path: tuple[str, ...],
    include_operation: tuple[str, ...],
    exclude_operation: tuple[str, ...],
    exclude_deprecated: bool,
    max_name_length: int | None,
    output_validation: str | None,
    allow_remote_refs: bool,
    max_tools: int | None,
    max_tokens: int | None,
    quiet: bool,
) -> None:
    """Make (or update) the spec OUTPUT from the OpenAPI 3.0/3.1 (or Swagger 2.0) document SOURCE.

    \b
    One tool per operation; a later import of the changed API keeps your edits
    (renames, deletions, descriptions, limits), comparing with the base file the
    import writes beside the spec. Without SOURCE, the spec's [openapi].source is read.
    Selection options replace the selection recorded in the spec.

    Exit 0 when written, 1 on errors (nothing written), 2 on usage errors, and exit 3
    when the spec was written with places to review: conflicts (you and the API both
    changed them: yours kept, the API's value shown), or, without the base file,
    each place where your spec and the API differ.
    """
    from mcpgen.openapi.importer import ImportRequest, run_import
    from mcpgen.progress import shown

    selecting = any(
        (
            include_tag,
            exclude_tag,
            include_path,
            exclude_path,
            include_operation,
            exclude_operation,
            exclude_deprecated,
        )
    )
    if source is None and not output.exists():
        raise click.UsageError(f"give SOURCE: {output} does not exist yet")
    if server_name is not None:
        import re

        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]{0,99}", server_name):
            raise click.BadParameter(
                "a letter, then letters, digits, '.', '_' or '-'", param_hint="--name"
            )
    request = ImportRequest(
        output=output,
        source=source,
        server_name=server_name,
        include=_selection(include_tag, include_path, include_operation) if selecting else None,
        exclude=_selection(exclude_tag, exclude_path, exclude_operation, exclude_deprecated)
        if selecting
        else None,
        max_name_length=max_name_length,
        output_validation="off"
        if output_validation == "off"
        else ("strict" if output_validation == "strict" else None),
        allow_remote_refs=allow_remote_refs,
        max_tools=max_tools,
        max_tokens=max_tokens,
    )
    try:
        with shown(quiet) as observer:
            result = run_import(request, observer=observer)
    except SpecError as error:
        _report(error.diagnostics)
        if not any(d.level == "error" for d in error.diagnostics):
            click.echo("Nothing was written.", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(warning.render(), err=True)
    for line in result.summary.lines():
        click.echo(line, err=True)
    if result.summary.merge is not None and result.summary.merge.conflicts:
        sys.exit(CONFLICTS_EXIT)
