"""Regeneration does only the work a change needs, and never changes the output for it.

The fast path (`mcpgen.fastpath`): `generate` on a project nothing has touched since the
last generation answers from hashes without running the pipeline; any change to the spec,
a file it `$ref`s, mcpgen's templates, a generated file, a user file or the handler folder
sends it down the full path, which behaves exactly as before (a hand edit is refused).

The models' cache (`mcpgen.models`): the output is the same bytes with or without it, warm
or cold, intact or corrupt; a one-tool change regenerates only that tool's chunk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from mcpgen import fastpath, model_chunks, model_generator, pipeline, workers
from mcpgen.cache import ProjectCache
from mcpgen.cli import main as mcpgen_cli
from mcpgen.format import format_files
from mcpgen.load import load_spec
from mcpgen.models import render_models
from mcpgen.progress import SILENT, Observer
from mcpgen.render import header, render_files
from mcpgen.resolve import build_ir
from regeneration_support import GENERATED, HANDLERS, Generated, spec_data, write_spec
from regeneration_support import cli as support_cli

REPO = Path(__file__).resolve().parent.parent
WEATHER = REPO / "specs" / "weather.toml"
KITCHEN_SINK = REPO / "specs" / "kitchen-sink.toml"
REFS_CASE = REPO / "tests" / "cases" / "golden" / "refs"
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import synth_spec  # noqa: E402


def cli(*args: str) -> Result:
    return CliRunner().invoke(mcpgen_cli, list(args), catch_exceptions=False)


@pytest.fixture
def pipeline_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """The specs the full pipeline ran on since the fixture started."""
    runs: list[Path] = []
    original = pipeline.generate

    def spy(
        spec: Path, cache: ProjectCache | None = None, observer: Observer = SILENT
    ) -> pipeline.Result:
        runs.append(spec)
        return original(spec, cache, observer)

    monkeypatch.setattr(pipeline, "generate", spy)
    yield runs


def generated(spec: Path, root: Path) -> None:
    result = cli("generate", str(spec), "-o", str(root))
    assert result.exit_code == 0, result.output


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and fastpath.CACHE_DIR not in p.parts
    }


# -- the fast path --------------------------------------------------------------------------


def test_nothing_changed_takes_the_fast_path(tmp_path: Path, pipeline_runs: list[Path]) -> None:
    root = tmp_path / "project"
    generated(WEATHER, root)
    assert pipeline_runs == [WEATHER]
    before = tree(root)
    again = cli("generate", str(WEATHER), "-o", str(root))
    check = cli("generate", str(WEATHER), "-o", str(root), "--check")
    assert pipeline_runs == [WEATHER], "the pipeline ran although nothing changed"
    assert again.exit_code == 0
    unchanged = len(json.loads(before[".mcpgen-manifest.json"])["files"])  # all it made
    assert f"0 written, 0 new handler/project files, {unchanged} unchanged, 0 removed." in (
        again.output
    )
    assert check.exit_code == 0
    assert "is up to date" in check.output
    assert tree(root) == before
    assert (root / ".mcpgen-cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_fast_path_reports_what_the_full_path_reports(
    tmp_path: Path, generated_once: Generated
) -> None:
    """Same summary, and the spec's warnings again, whichever path answers."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        WEATHER.read_text(encoding="utf-8").replace('name = "get_forecast"', 'name = "GetForecast"')
    )
    root = tmp_path / "project"
    generated_once(spec, root)
    (root / ".mcpgen-cache" / fastpath.STAMP).unlink()
    full = cli("generate", str(spec), "-o", str(root))
    fast = cli("generate", str(spec), "-o", str(root))
    assert fastpath.up_to_date(spec, root) is not None
    assert fast.output == full.output


def _edit_spec(spec: Path, root: Path) -> None:
    spec.write_text(spec.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")


def _edit_ref(spec: Path, root: Path) -> None:
    ref = spec.parent / "common.json"
    data = json.loads(ref.read_text(encoding="utf-8"))
    ref.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")


def _delete_handler(spec: Path, root: Path) -> None:
    next((root / "src").glob("*/handlers/tools/*.py")).unlink()


def _add_orphan(spec: Path, root: Path) -> None:
    folder = next((root / "src").glob("*/handlers/tools"))
    (folder / "gone_from_the_spec.py").write_text("", encoding="utf-8")


def _delete_generated(spec: Path, root: Path) -> None:
    next((root / "src").glob("*/_generated/server.py")).unlink()


@pytest.mark.parametrize(
    "change",
    [_edit_spec, _edit_ref, _delete_handler, _add_orphan, _delete_generated],
    ids=lambda f: f.__name__.strip("_"),
)
def test_any_change_takes_the_full_path(
    change: Any, tmp_path: Path, pipeline_runs: list[Path], generated_once: Generated
) -> None:
    shutil.copytree(REFS_CASE, tmp_path / "case", ignore=shutil.ignore_patterns("expected"))
    spec, root = tmp_path / "case" / "spec.toml", tmp_path / "project"
    generated_once(spec, root)
    assert json.loads((root / fastpath.MANIFEST).read_text())["refs"].keys() == {"common.json"}
    change(spec, root)
    assert fastpath.up_to_date(spec, root) is None
    pipeline_runs.clear()
    generated(spec, root)
    assert pipeline_runs == [spec]
    # An orphaned handler is warned about on every run, so it keeps to the full path.
    fresh = fastpath.up_to_date(spec, root)
    assert (fresh is None) if change is _add_orphan else (fresh is not None)


def test_a_template_change_takes_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, generated_once: Generated
) -> None:
    root = tmp_path / "project"
    generated_once(WEATHER, root)
    templates = tmp_path / "templates"
    shutil.copytree(fastpath.templates_dir(), templates)
    header = templates / "server" / "_header.jinja"
    header.write_text(header.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(fastpath, "templates_dir", lambda: templates)
    fastpath.generator_fingerprint.cache_clear()
    try:
        assert fastpath.up_to_date(WEATHER, root) is None
    finally:
        fastpath.generator_fingerprint.cache_clear()


def test_a_hand_edit_is_still_refused(
    tmp_path: Path, pipeline_runs: list[Path], generated_once: Generated
) -> None:
    root = tmp_path / "project"
    generated_once(WEATHER, root)
    server = root / "src" / "weather" / "_generated" / "server.py"
    server.write_text(server.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    pipeline_runs.clear()
    result = cli("generate", str(WEATHER), "-o", str(root))
    assert result.exit_code == 1
    assert "was edited by hand" in result.output
    assert server.read_text(encoding="utf-8").endswith("# mine\n")
    assert pipeline_runs == [WEATHER]


def test_a_corrupt_stamp_or_manifest_takes_the_full_path(
    tmp_path: Path, generated_once: Generated
) -> None:
    root = tmp_path / "project"
    generated_once(WEATHER, root)
    stamp = root / ".mcpgen-cache" / fastpath.STAMP
    for garbage in ("", "[]", '{"generator": 1}', "\x00\xff"):
        stamp.write_text(garbage, encoding="utf-8")
        assert fastpath.up_to_date(WEATHER, root) is None
    generated(WEATHER, root)
    manifest = root / fastpath.MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert fastpath.up_to_date(WEATHER, root) is None


def test_check_writes_no_cache(tmp_path: Path) -> None:
    root = tmp_path / "project"
    result = cli("generate", str(WEATHER), "-o", str(root), "--check")
    assert result.exit_code == 1
    assert not root.exists()


# -- the models' cache ----------------------------------------------------------------------


def _synthetic(folder: Path, tools: int = 40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return synth_spec.write_spec(folder, tools)


def _change_one_tool(spec: Path, tool: int) -> None:
    data = json.loads(spec.read_text(encoding="utf-8"))
    data["tools"][tool]["input"].setdefault("properties", {})["note"] = {"type": "string"}
    spec.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _files(result: pipeline.Result) -> dict[str, str]:
    return {path: f.text for path, f in result.files.items()}


@pytest.fixture
def fresh_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents handed to datamodel-code-generator (cache misses), all in this process."""
    monkeypatch.setattr(workers, "WORKERS", 1)
    calls: list[str] = []
    original = model_generator.generate_fresh

    def spy(document: str) -> str:
        calls.append(document)
        return original(document)

    monkeypatch.setattr(model_generator, "generate_fresh", spy)
    return calls


@pytest.mark.slow
def test_cache_never_changes_the_output_and_one_tool_rebuilds_one_chunk(
    tmp_path: Path, fresh_calls: list[str]
) -> None:
    spec = _synthetic(tmp_path / "spec")
    ir, _ = pipeline.check(spec)
    runs = model_chunks.cut_into_runs(ir.models)
    assert runs is not None and len(runs) > 2, "the spec is too small to be cut into runs"
    cache = ProjectCache(tmp_path / "project")

    cold = _files(pipeline.generate(spec, cache))
    chunks = len(fresh_calls)
    assert chunks == len(runs) + 1, "one batch: a run interfered with the shared models"
    warm = _files(pipeline.generate(spec, ProjectCache(tmp_path / "project")))
    assert len(fresh_calls) == chunks, "a warm cache still called the generator"
    assert cold == warm == _files(pipeline.generate(spec))

    _change_one_tool(spec, 20)
    fresh_calls.clear()
    changed = _files(pipeline.generate(spec, ProjectCache(tmp_path / "project")))
    assert len(fresh_calls) == 1, "more than the changed tool's chunk was rebuilt"
    assert changed == _files(pipeline.generate(spec))
    assert changed != cold


@pytest.mark.slow
def test_chunked_models_define_what_one_batch_defines(tmp_path: Path) -> None:
    """Cut into runs or not, the same definitions to the character, and the module runs
    (definition order)."""
    spec = _synthetic(tmp_path / "spec")
    ir, _ = pipeline.check(spec)
    runs = model_chunks.cut_into_runs(ir.models)
    assert runs is not None
    chunked = model_chunks.chunked(ir.models, runs, None)
    batch = model_chunks.one_batch(ir.models, None)
    assert chunked is not None
    definitions: dict[str, list[str]] = {}
    for label, source in (("chunked", chunked), ("batch", batch)):
        definitions[label] = sorted(
            text for text, _ in model_generator.split_definitions(source, {}).values()
        )
        namespace: dict[str, Any] = {"__name__": f"models_{label}"}
        exec(compile(source, f"<{label}>", "exec"), namespace)
    assert definitions["chunked"] == definitions["batch"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "corrupt",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "not json",
        lambda text: "[]",
        lambda text: text.replace("class ", "klass ", 1),
        lambda text: json.dumps(
            {k: {**v, "source": v["source"] + "\nX = 1\n"} for k, v in json.loads(text).items()}
        ),
    ],
    ids=["truncated", "garbage", "wrong-shape", "edited-source", "appended-source"],
)
def test_a_corrupt_cache_is_ignored(corrupt: Any, tmp_path: Path) -> None:
    spec = _synthetic(tmp_path / "spec")
    project = tmp_path / "project"
    expected = _files(pipeline.generate(spec, ProjectCache(project)))
    for store in (ProjectCache.MODELS, ProjectCache.FORMATTED):
        path = project / fastpath.CACHE_DIR / store
        path.write_text(corrupt(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert _files(pipeline.generate(spec, ProjectCache(project))) == expected


def test_a_file_formatted_alone_comes_out_as_among_all(tmp_path: Path) -> None:
    """A warm cache sends only the changed files through ruff. Its isort once sorted an import
    of a handler module left out of such a run as third-party, and the cache kept the result."""
    ir, _ = build_ir(load_spec(KITCHEN_SINK))
    files = render_files(ir, render_models(ir, header(ir)))
    server = f"src/{ir.server.package}/_generated/server.py"
    assert f"from {ir.server.package}.handlers.lifespan import" in files[server].text
    first = ProjectCache(tmp_path)
    format_files(files, first)
    first.save()
    changed = {**files, server: replace(files[server], text=files[server].text + "\n# edited\n")}
    alone = format_files(changed, ProjectCache(tmp_path))[server].text
    assert alone == format_files(changed)[server].text


@pytest.mark.slow
def test_cli_trees_are_identical_with_and_without_cache(tmp_path: Path) -> None:
    spec = _synthetic(tmp_path / "spec")
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    generated(spec, warm)
    _change_one_tool(spec, 3)
    generated(spec, warm)
    generated(spec, cold)
    assert tree(warm) == tree(cold)


# -- what the user is told ------------------------------------------------------------------
#
# The fast path answers from the stamp, the full path from the cache or from nothing; none
# of them may tell the user anything a cold run would not. Each scenario below changes what
# the spec's hash does not cover (a handler, a file under _generated/, the way the spec is
# named) and every command is then run three ways: as the project stands (the fast path when
# it can), without the stamp (the cache's path) and without the cache (cold).

OLD_OUTPUT = {"alpha": {"fields": ["x"], "output": "Old"}, "beta": {}}
ALPHA = f"{HANDLERS}/tools/alpha.py"


def _retype_alpha(root: Path, returns: str) -> None:
    handler = root / ALPHA
    text = handler.read_text(encoding="utf-8")
    handler.write_text(re.sub(r"-> models\.\w+:", f"-> {returns}:", text), encoding="utf-8")


def _handler_fixed(spec: Path, root: Path) -> str:
    """The issue's case: the spec moves alpha to New, generate warns, the user fixes alpha."""
    write_spec(spec, spec_data({**OLD_OUTPUT, "alpha": {"fields": ["x"], "output": "New"}}))
    assert "returns models.Old" in support_cli("generate", spec, "-o", root).stderr
    _retype_alpha(root, "models.New")
    return str(spec)


def _handler_broken(spec: Path, root: Path) -> str:
    _retype_alpha(root, "models.New")
    return str(spec)


def _handler_unparsable(spec: Path, root: Path) -> str:
    (root / ALPHA).write_text("async def alpha(:\n", encoding="utf-8")
    return str(spec)


def _file_under_generated(spec: Path, root: Path) -> str:
    (root / GENERATED / "notes.txt").write_text("mine\n", encoding="utf-8")
    return str(spec)


def _symlink_out(spec: Path, root: Path) -> str:
    """Identical bytes, but reached through a symlink that leads out of the project."""
    errors = root / GENERATED / "errors.py"
    outside = root.parent / "elsewhere.py"
    shutil.copyfile(errors, outside)
    errors.unlink()
    errors.symlink_to(outside)
    return str(spec)


def _lifespan_left(spec: Path, root: Path) -> str:
    data = spec_data(OLD_OUTPUT)
    data["server"]["lifespan"] = True
    write_spec(spec, data)
    assert support_cli("generate", spec, "-o", root).exit_code == 0
    write_spec(spec, spec_data(OLD_OUTPUT))
    assert "is the server's lifespan" in support_cli("generate", spec, "-o", root).stderr
    return str(spec)


def _spec_named_otherwise(spec: Path, root: Path) -> str:
    """A spec warning located in the spec: its place is spelled as the command spelled the
    spec, `regen.json` from its folder, the absolute path from elsewhere."""
    data = spec_data(OLD_OUTPUT)
    data["tools"].append({"name": "c" * 70})  # a warning: clients cut names near 64
    write_spec(spec, data)
    cwd = Path.cwd()
    os.chdir(spec.parent)
    try:
        result = support_cli("generate", "regen.json", "-o", root)
    finally:
        os.chdir(cwd)
    assert "regen.json:" in result.stderr and str(spec) not in result.stderr
    return str(spec)


def _told_every_way(spec: str, root: Path) -> dict[str, list[tuple[int, str, str]]]:
    cache = root / fastpath.CACHE_DIR
    saved = root.parent / "saved-cache"
    shutil.copytree(cache, saved)
    told: dict[str, list[tuple[int, str, str]]] = {}
    for way in ("as it stands", "without the stamp", "cold"):
        shutil.rmtree(cache, ignore_errors=True)
        if way != "cold":
            shutil.copytree(saved, cache)
        if way == "without the stamp":
            (cache / fastpath.STAMP).unlink()
        told[way] = [
            (r.exit_code, r.stdout, r.stderr)
            for r in (
                support_cli("generate", spec, "-o", root, *extra)
                for extra in ((), ("--check",), ("--diff",), ())
            )
        ]
    shutil.rmtree(saved)
    return told


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario",
    [
        _handler_fixed,
        _handler_broken,
        _handler_unparsable,
        _file_under_generated,
        _symlink_out,
        _lifespan_left,
        _spec_named_otherwise,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_every_path_tells_what_a_cold_run_tells(scenario: Any, tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec" / "regen.json", spec_data(OLD_OUTPUT))
    root = tmp_path / "project"
    assert support_cli("generate", spec, "-o", root).exit_code == 0
    told = _told_every_way(scenario(spec, root), root)
    assert told["as it stands"] == told["cold"]
    assert told["without the stamp"] == told["cold"]
    if scenario is _handler_fixed:
        assert not any("warning" in err for _, _, err in told["cold"]), told["cold"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario", [_handler_broken, _handler_unparsable, _lifespan_left], ids=lambda f: f.__name__
)
def test_check_fails_while_a_users_file_does_not_fit_the_spec(
    scenario: Any, tmp_path: Path
) -> None:
    """A handler the generated wiring cannot use, like one whose item left the spec, leaves
    the project unfinished: `--check` fails on it, whichever path answers."""
    spec = write_spec(tmp_path / "spec" / "regen.json", spec_data(OLD_OUTPUT))
    root = tmp_path / "project"
    assert support_cli("generate", spec, "-o", root).exit_code == 0
    scenario(spec, root)
    for _ in range(2):  # the second answers from the stamp the first left
        assert support_cli("generate", spec, "-o", root).exit_code == 0
        check = support_cli("generate", spec, "-o", root, "--check")
        assert check.exit_code == 1, check.stderr
        assert "is not up to date" in check.stderr


@pytest.mark.parametrize(
    "stored",
    [
        lambda digest: [digest],  # as an mcpgen that did not say which checker judged
        lambda digest: {"generator": "jsonschema 4.0 on Python 3.99", "valid": [digest]},
    ],
    ids=["unattributed", "another-checker"],
)
def test_a_schema_verdict_is_reused_only_from_the_same_checker(stored: Any, tmp_path: Path) -> None:
    """Whether a schema is valid depends on the jsonschema release and Python's `re` (the
    `pattern` keyword's format): a verdict another checker made must not hide an error."""
    from mcpgen.cache import schema_digest
    from mcpgen.diagnostics import SpecError

    data = spec_data(OLD_OUTPUT)
    bad = {"type": "object", "properties": {"x": {"type": "string", "maxLength": -1}}}
    data["tools"][0]["input"] = bad
    spec = write_spec(tmp_path / "regen.json", data)
    folder = tmp_path / fastpath.CACHE_DIR
    folder.mkdir()
    (folder / ProjectCache.SCHEMAS).write_text(json.dumps(stored(schema_digest(bad))))
    with pytest.raises(SpecError, match="maxLength: invalid JSON Schema"):
        build_ir(load_spec(spec), ProjectCache(tmp_path))


def test_a_library_upgrade_takes_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A jsonschema release judges schemas, pydantic the spec: another version may say
    something else, so the stamp made under one proves nothing under another."""
    root = tmp_path / "project"
    generated(WEATHER, root)
    assert fastpath.up_to_date(WEATHER, root) is not None
    site = tmp_path / "site-packages"
    (site / "jsonschema-99.0.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    fastpath.generator_fingerprint.cache_clear()
    try:
        assert fastpath.up_to_date(WEATHER, root) is None
    finally:
        fastpath.generator_fingerprint.cache_clear()
