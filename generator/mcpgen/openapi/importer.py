"""`mcpgen import openapi`: load -> convert -> (merge with the curated spec) -> write.

Everything is computed in memory first; files are written only when no error was found, and
the spec and its base together or not at all (see `_write_together`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from mcpgen.budget import SEARCH_HINT, TOKEN_BUDGET, ListSize, budget_errors, budget_warning
from mcpgen.diagnostics import Diagnostic, Location, SpecError, SpecPath
from mcpgen.load import Document, load_spec
from mcpgen.openapi.comments import carry_comments, import_header
from mcpgen.openapi.convert import ImportOptions, convert_document
from mcpgen.openapi.document import DocumentSet, is_remote
from mcpgen.openapi.naming import DEFAULT_MAX_NAME_LENGTH
from mcpgen.openapi.reimport import BASE_FORMAT, MergeReport, merge_specs, tool_identity
from mcpgen.openapi.summary import ImportSummary, tools_list_size
from mcpgen.openapi.toml_writer import dumps
from mcpgen.progress import SILENT, Observer
from mcpgen.spec import OpenApiSelection, Spec

# The tool name lengths an import takes: `--max-name-length`'s range (the CLI spells it out
# in its option, which must not import this module to start fast). Below 16, a clashing
# name's readable head beside its 6-character hash would be a few letters.
MAX_NAME_LENGTHS = (16, 128)


@dataclass(frozen=True)
class ImportRequest:
    """The command line: what to import, where to, and the choices that override the spec's."""

    output: Path
    source: str | None = None
    server_name: str | None = None
    include: OpenApiSelection | None = None  # None: as recorded in the spec
    exclude: OpenApiSelection | None = None
    max_name_length: int | None = None  # None: as last time, else the default
    output_validation: Literal["strict", "off"] | None = None
    allow_remote_refs: bool = False
    max_tools: int | None = None  # refuse to write a spec whose tools/list has more tools
    max_tokens: int | None = None  # or more tokens (`mcpgen.budget`)


@dataclass
class ImportResult:
    """What was written and what to tell the user."""

    summary: ImportSummary
    warnings: list[Diagnostic] = field(default_factory=list)
    spec_text: str = ""
    base_text: str = ""


def base_path(spec: Path) -> Path:
    """Where the machine-written base of a spec lives: beside it, `<stem>.openapi-base.json`."""
    return spec.with_name(f"{spec.stem}.openapi-base.json")


# The stages `run_import` tells its observer, in order (merging only on a re-import).
READ, CONVERT, MERGE, CHECK, WRITE = (
    "reading the description",
    "converting operations",
    "merging with the spec",
    "checking the spec",
    "writing the spec",
)


def run_import(
    request: ImportRequest, *, write: bool = True, observer: Observer = SILENT
) -> ImportResult:
    """Import (or re-import) and write the spec and its base; raises SpecError on any error.
    `observer` is told each stage as it begins."""
    output = request.output
    current: dict[str, Any] | None = None
    current_text = ""
    base: dict[str, Any] | None = None
    recorded_options: dict[str, Any] = {}
    warnings: list[Diagnostic] = []
    if write:
        finished = _finish_interrupted(output)
        if finished is not None:
            warnings.append(finished)
    elif _journal(output).exists():
        warnings.append(
            Diagnostic(
                "warning",
                f"an interrupted import of {output} is pending (the next import that writes "
                "finishes it): the spec and base read here may be out of step",
            )
        )
    if output.exists():
        current, current_text = _current_spec(output)
        base, recorded_options = _read_base(output, warnings)
    source = request.source
    recorded_source: str
    if source is None:
        if current is None:
            raise SpecError(
                [Diagnostic("error", f"no SOURCE given and {output} does not exist yet")]
            )
        recorded_source = current["openapi"]["source"]
        source = (
            recorded_source if is_remote(recorded_source) else str(output.parent / recorded_source)
        )
    else:
        recorded_source = (
            source
            if is_remote(source)
            else Path(os.path.relpath(Path(source).resolve(), output.parent.resolve())).as_posix()
        )
    previous = current.get("openapi", {}) if current is not None else {}
    include, exclude = request.include, request.exclude
    if include is None and exclude is None:
        include = OpenApiSelection.model_validate(previous.get("include", {}))
        exclude = OpenApiSelection.model_validate(previous.get("exclude", {}))
    max_length = request.max_name_length or int(
        recorded_options.get("max_name_length", DEFAULT_MAX_NAME_LENGTH)
    )
    validation = request.output_validation or recorded_options.get("output_validation", "strict")
    server_name = request.server_name or (
        current.get("server", {}).get("name") if current is not None else None
    )
    options = ImportOptions(
        source=recorded_source,
        server_name=server_name,
        max_name_length=max_length,
        output_validation="off" if validation == "off" else "strict",
        include=include or OpenApiSelection(),
        exclude=exclude or OpenApiSelection(),
    )
    observer.stage(READ)
    documents = DocumentSet(allow_remote_refs=request.allow_remote_refs)
    documents.load_root(source)
    observer.stage(CONVERT)
    conversion = convert_document(documents, options)
    new = conversion.spec
    notes = [*conversion.notes, *_lean_by_default(new)]
    merge: MergeReport | None = None
    final = imported = new
    if current is not None:
        observer.stage(MERGE)
        final, imported, merge = merge_specs(base, current, new)
    base_text = base_json(
        imported, {"max_name_length": max_length, "output_validation": validation}
    )
    observer.stage(CHECK)
    _check(final, output)
    observer.stage(WRITE)
    header = _header(conversion.spec, recorded_source, output)
    spec_text = dumps(final, header, _is_section)
    if current is not None and merge is not None:
        spec_text, merge.comments_lost = carry_comments(
            current_text, current, spec_text, final, merge.moved_operations
        )
    summary = ImportSummary(
        spec_file=str(output),
        source=recorded_source,
        operations=conversion.operations,
        tools=len(final.get("tools", [])),
        skipped=conversion.skipped,
        notes=notes,
        listed=tools_list_size(final),
        merge=merge,
    )
    refused = budget_errors(
        summary.listed, request.max_tools, request.max_tokens, "nothing was written"
    )
    if refused:
        raise SpecError([*refused, *_cut_hint(summary.listed)])
    over = budget_warning(summary.listed, import_cut_with)
    if over is not None:
        warnings.append(over)
    if write:
        _write_together(output, spec_text, base_text, None if current is None else current_text)
    return ImportResult(summary, [*warnings, *conversion.warnings], spec_text, base_text)


def import_cut_with(tag: str | None) -> str:
    """How an import's tools/list is cut, for the budget's warning (`tag`: the biggest, if
    any operation has one)."""
    exclude = (
        f"--exclude-tag {tag!r} (repeatable), --exclude-path GLOB" if tag else "--exclude-path GLOB"
    )
    include = (
        "--include-tag / --include-operation" if tag else "--include-path / --include-operation"
    )
    return (
        f"{SEARCH_HINT}; or select fewer operations: {exclude}, or keep only what a model needs "
        f"with {include} (recorded in [openapi], so a re-import selects alike)"
    )


def _cut_hint(listed: ListSize) -> list[Diagnostic]:
    """The budget's warning beside its errors: what weighs most, and the options to cut it."""
    over = budget_warning(listed, import_cut_with)
    return [] if over is None else [over]


def _lean_by_default(spec: dict[str, Any]) -> list[str]:
    """Leave the output schemas out of `tools/list` when, with them, it would be over the
    token budget: what a big API sends is then mostly shapes of results no model asked for
    (Stripe: 99.3% of 177 MB; GitHub: 74% of 4.0 MB), while the server checks results
    against them all the same. Written into the spec's [server], for the user to see and
    change; the note says what it saves."""
    if not any(tool.get("output") is not None for tool in spec.get("tools", [])):
        return []
    full = tools_list_size(spec, outputs=True)
    if full.tokens <= TOKEN_BUDGET:
        return []
    spec["server"]["list_output_schemas"] = False
    lean = tools_list_size(spec)
    return [
        f"output schemas are left out of tools/list ([server] list_output_schemas = false): "
        f"~{lean.tokens:,} tokens instead of ~{full.tokens:,}, over the budget of "
        f"{TOKEN_BUDGET:,}. The server still checks every result against them; set it to "
        "true (or a tool's list_output_schema) for clients to see and check the results' shape"
    ]


def base_json(spec: dict[str, Any], options: dict[str, Any]) -> str:
    """The base file: JSON with one line per type, error and tool, so that its diffs in
    version control read like the spec's (and it is written at the C encoder's speed)."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    sections: list[str] = []
    for name, value in spec.items():
        if isinstance(value, list):
            inner = ",\n".join(f"  {compact(item)}" for item in value)
            sections.append(f" {compact(name)}:[\n{inner}\n ]" if value else f" {compact(name)}:[]")
        elif name in ("types", "errors") and isinstance(value, dict) and value:
            inner = ",\n".join(f"  {compact(k)}:{compact(v)}" for k, v in value.items())
            sections.append(f" {compact(name)}:{{\n{inner}\n }}")
        else:
            sections.append(f" {compact(name)}:{compact(value)}")
    body = ",\n".join(sections)
    return (
        f'{{"mcpgen_openapi_base":{BASE_FORMAT},"options":{compact(options)},"spec":{{\n'
        f"{body}\n}}}}\n"
    )


def _current_spec(output: Path) -> tuple[dict[str, Any], str]:
    """The curated spec as the user left it, and its text; refused (nothing written) unless
    it loads."""
    loaded = load_spec(output)
    data: dict[str, Any] = loaded.document.data
    if "openapi" not in data:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"{output} has no [openapi] section: it was not made by `mcpgen import "
                    "openapi`, and importing would overwrite it",
                    hint="choose another -o",
                )
            ]
        )
    return data, loaded.document.text


def _restore_base(path: Path) -> str:
    """What to do about a missing or broken base: the file is committed beside the spec."""
    return (
        f"restore it from version control (`git checkout -- {path.name}`) and import again; "
        "without it, an import keeps your spec's value wherever it differs from the API and "
        "lists each one"
    )


def _read_base(
    output: Path, warnings: list[Diagnostic]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    path = base_path(output)
    if not path.exists():
        warnings.append(
            Diagnostic(
                "warning",
                f"{path} is missing, so mcpgen cannot tell your edits from the API's changes: "
                "where your spec and the API differ your spec's value is kept, and each "
                "difference is listed with the API's value; what only the API has is added",
                hint=_restore_base(path),
            )
        )
        return None, {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"{path} cannot be read ({error}); it is written by mcpgen",
                    hint=_restore_base(path),
                )
            ]
        ) from None
    try:
        data = json.loads(text)
    except ValueError as error:
        at = (
            Location(str(path), error.lineno, error.colno)
            if isinstance(error, json.JSONDecodeError)
            else None
        )
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"invalid JSON ({error}); it is written by mcpgen",
                    location=at,
                    hint=_restore_base(path),
                )
            ]
        ) from None
    problems = _base_problems(Document(path, str(path), text, data))
    if problems:
        raise SpecError(problems)
    return data["spec"], data["options"]


_BASE_KEYS = ("mcpgen_openapi_base", "options", "spec")


def _base_problems(document: Document) -> list[Diagnostic]:
    """Where a base that is JSON is not what an import writes (it would make the merge
    report false conflicts, or take options it cannot use), each at its place in the file."""
    data = document.data
    problems: list[Diagnostic] = []

    def problem(at: SpecPath, message: str) -> None:
        problems.append(
            Diagnostic(
                "error",
                message,
                path=at,
                location=document.locate(at),
                # Once: every problem has the same remedy.
                hint=None if problems else f"{_WRITTEN_BY_IMPORT}; {_restore_base(document.path)}",
            )
        )

    if not isinstance(data, dict):
        problem((), f"an import base is a JSON object with the keys {', '.join(_BASE_KEYS)}")
        return problems
    for key in data:
        if key not in _BASE_KEYS:
            problem((key,), f"unknown key {key!r}")
    for key in _BASE_KEYS:
        if key not in data:
            problem((), f"the key {key!r} is missing")
    if "mcpgen_openapi_base" in data and data["mcpgen_openapi_base"] != BASE_FORMAT:
        problem(("mcpgen_openapi_base",), f"must be {BASE_FORMAT}, the format this mcpgen reads")
    options = data.get("options", {})
    if not isinstance(options, dict):
        problem(("options",), "must be an object")
    else:
        for key, value in options.items():
            if key not in _OPTION_CHECKS:
                problem(("options", key), f"unknown option {key!r}")
            elif not _OPTION_CHECKS[key][0](value):
                problem(("options", key), f"must be {_OPTION_CHECKS[key][1]}")
    spec = data.get("spec", {})
    if not isinstance(spec, dict):
        problem(("spec",), "must be an object")
        return problems
    try:
        Spec.model_validate(spec)
    except ValidationError as error:
        for item in error.errors():
            # Pydantic names the union member it tried inside a location (`list[...]`).
            loc = [p for p in item["loc"] if isinstance(p, int) or "[" not in p]
            problem(("spec", *loc), item["msg"])
    if "openapi" not in spec:
        problem(("spec",), "the spec has no [openapi] section")
    tools = spec.get("tools", [])
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        if isinstance(tool, dict) and tool_identity(tool) is None:
            problem(("spec", "tools", index), "a tool without `http` (the operation it calls)")
    return problems


_WRITTEN_BY_IMPORT = "this file is written by `mcpgen import openapi`, and not like this"


def _valid_name_length(value: Any) -> bool:
    return type(value) is int and MAX_NAME_LENGTHS[0] <= value <= MAX_NAME_LENGTHS[1]


_OPTION_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "max_name_length": (
        _valid_name_length,
        f"an integer from {MAX_NAME_LENGTHS[0]} to {MAX_NAME_LENGTHS[1]}",
    ),
    "output_validation": (lambda value: value in ("strict", "off"), '"strict" or "off"'),
}


def _check(spec: dict[str, Any], output: Path) -> None:
    """The result must be a spec mcpgen loads; anything else is a bug worth a clear message."""
    try:
        Spec.model_validate(spec)
    except ValidationError as error:
        problems = [
            Diagnostic("error", f"the merged spec is not valid at {item['loc']}: {item['msg']}")
            for item in error.errors()[:20]
        ]
        raise SpecError([*problems, Diagnostic("error", f"{output} was left as it was")]) from None


def _header(spec: dict[str, Any], source: str, output: Path) -> str:
    server = spec["server"]
    about = server.get("title") or server["name"]
    version = f" {server['version']}" if server.get("version") else ""
    return import_header(source, f"{about}{version}", output.name, base_path(output).name)


def _is_section(path: tuple[str, ...]) -> bool:
    """The tables a spec shows under their own headers, for reading."""
    if len(path) == 1:
        return path[0] in ("server", "openapi", "http", "tools")
    return (len(path) == 2 and path[0] in ("types", "errors")) or (
        len(path) == 3 and path[:2] == ("http", "auth")
    )


# Seconds to sleep after each step of writing the spec and its base: the seam the
# interruption test kills a real import in.
PAUSE_ENV = "MCPGEN_TEST_PAUSE_IMPORT_WRITES"


def _journal(output: Path) -> Path:
    """Where an import records what it is writing, until both files are written."""
    return output.with_name(f".{output.name}.import-journal")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _write_together(output: Path, spec_text: str, base_text: str, before: str | None) -> None:
    """Write the spec and its base together or not at all (`before`: the spec's text as the
    import read it, None when there was none).

    The journal beside the spec, written whole, is the commit point: it holds both texts and
    the hash of the spec they replace. A run killed after it is finished by the next import;
    an error after it puts the spec back.
    """
    journal = _journal(output)
    record = {
        "mcpgen_import_journal": 1,
        "spec_before_sha256": None if before is None else _sha256(before),
        "spec": spec_text,
        "base": base_text,
    }
    pause = float(os.environ.get(PAUSE_ENV, "0"))
    try:
        _write_atomic(journal, json.dumps(record, ensure_ascii=False))
    except OSError as error:
        raise _cannot_write(error, "nothing was written") from None
    try:
        for path, text in ((output, spec_text), (base_path(output), base_text)):
            time.sleep(pause)
            _write_atomic(path, text)
    except OSError as error:
        try:
            if before is None:
                output.unlink(missing_ok=True)
            else:
                _write_atomic(output, before)
            journal.unlink()
        except OSError:
            raise _cannot_write(
                error, f"run the import again to finish writing {output.name} and its base"
            ) from None
        raise _cannot_write(error, "nothing was written") from None
    time.sleep(pause)
    journal.unlink()


def _finish_interrupted(output: Path) -> Diagnostic | None:
    """Finish the writing an import killed after its commit point left, if the spec is still
    as that import read or wrote it; else drop it (the user has edited the spec since)."""
    journal = _journal(output)
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
        spec_text, base_text = str(record["spec"]), str(record["base"])
        before = record["spec_before_sha256"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)
        return Diagnostic("warning", f"{journal} was unreadable and is removed")
    if output.exists():
        unchanged = _sha256(output.read_bytes().decode("utf-8", "replace")) in (
            before,
            _sha256(spec_text),
        )
    else:
        unchanged = before is None
    if not unchanged:
        journal.unlink()
        return Diagnostic(
            "warning",
            f"an import of {output} was interrupted while writing it and its base, and "
            f"{output.name} changed since: the import is not finished, so the base may be "
            "older than the spec (a later import may then report a conflict that is not one)",
        )
    _write_atomic(output, spec_text)
    _write_atomic(base_path(output), base_text)
    journal.unlink()
    return Diagnostic(
        "warning",
        f"an import of {output} was interrupted while writing it and its base: finished "
        "(both are now as that import made them)",
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary beside `path` (a fixed name, so that one a killed run left
    is reused) and a rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.import-tmp")
    temporary.unlink(missing_ok=True)
    # O_EXCL: never write through whatever (a symlink) might sit at the temporary's name;
    # the spec keeps its mode, a new one is an ordinary file.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # as it was, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _cannot_write(error: OSError, outcome: str) -> SpecError:
    where = error.filename or "the spec's folder"
    return SpecError(
        [Diagnostic("error", f"cannot write {where}: {error.strerror or error}; {outcome}")]
    )
