"""Same spec in, same bytes out: across processes, hash seeds, folders and hostile configs.

Also: nothing machine-specific (timestamps, absolute paths, user names) in the output; an
up-to-date project is left untouched by `generate`, `--check` says so, and a stale project
gets a unified diff from `--check` with nothing written.
"""

from __future__ import annotations

import datetime
import difflib
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcpgen.cli import main as mcpgen_cli
from regeneration_support import Generated

REPO = Path(__file__).resolve().parent.parent
WEATHER = REPO / "specs" / "weather.toml"
FAKE_USER = "mallory-determinism-7f3a"

# A config that would change the output if anything (ruff, datamodel-code-generator's own
# formatter, black, isort) picked it up from the surrounding folders.
HOSTILE_PYPROJECT = """\
[project]
name = "hostile-parent"
version = "0"

[tool.ruff]
line-length = 40
indent-width = 2

[tool.ruff.format]
quote-style = "single"
skip-magic-trailing-comma = true

[tool.ruff.lint]
select = ["ALL"]

[tool.black]
line-length = 40
skip-string-normalization = true

[tool.isort]
profile = "google"
force_single_line = true
line_length = 40

[tool.datamodel-codegen]
use-double-quotes = false
field-constraints = false
snake-case-field = true
custom-file-header = "# HOSTILE HEADER"
"""


# -- a big spec: ~30 tools, nested objects, enums, $refs -------------------------------------


def many_tools_spec() -> dict[str, Any]:
    types: dict[str, Any] = {
        "Status": {
            "type": "string",
            "enum": ["draft", "active", "archived"],
            "description": "Lifecycle state.",
        },
        "Priority": {"type": "integer", "enum": [1, 2, 3, 5, 8]},
        "Currency": {"type": "string", "enum": ["EUR", "USD", "JPY"]},
        "Tag": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "maxLength": 32},
        "Geo": {
            "type": "object",
            "required": ["lat", "lon"],
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
        },
        "Address": {
            "type": "object",
            "required": ["street", "city"],
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "postcode": {"type": ["string", "null"]},
                "geo": {"$ref": "#/types/Geo"},
                "extra": {
                    "type": "object",
                    "properties": {"floor": {"type": "integer"}, "note": {"type": "string"}},
                },
            },
        },
        "Money": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "number", "exclusiveMinimum": 0},
                "currency": {"$ref": "#/types/Currency"},
            },
        },
        "Item": {
            "type": "object",
            "required": ["id", "status"],
            "description": "A thing with a lifecycle.",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"$ref": "#/types/Status"},
                "priority": {"$ref": "#/types/Priority"},
                "tags": {"type": "array", "items": {"$ref": "#/types/Tag"}, "uniqueItems": True},
                "price": {"$ref": "#/types/Money"},
                "ship_to": {"$ref": "#/types/Address"},
                "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                "created": {"type": "string", "format": "date-time"},
            },
        },
        "Page": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/types/Item"}},
                "next_cursor": {"type": ["string", "null"]},
            },
        },
        "Contact": {"anyOf": [{"$ref": "#/types/Address"}, {"$ref": "#/types/Geo"}]},
    }
    errors: dict[str, Any] = {
        "NotFound": {
            "code": -32004,
            "message": "No {kind} with id {id}",
            "data": {
                "type": "object",
                "required": ["kind", "id"],
                "properties": {"kind": {"type": "string"}, "id": {"type": "string"}},
            },
        },
        "Conflict": {
            "code": -32009,
            "message": "Conflict on {id}: {reason}",
            "data": {
                "type": "object",
                "required": ["id", "reason"],
                "properties": {"id": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "RateLimited": {"code": 1429, "message": "Slow down"},
    }
    tools: list[dict[str, Any]] = []
    nouns = ["item", "order", "customer", "invoice", "shipment"]
    verbs = ["get", "list", "create", "update", "delete", "archive"]
    for index, (noun, verb) in enumerate((n, v) for n in nouns for v in verbs):
        properties: dict[str, Any] = {}
        required: list[str] = []
        if verb in ("get", "update", "delete", "archive"):
            properties["id"] = {
                "type": "string",
                "minLength": 1,
                "description": f"The {noun}'s id.",
            }
            required.append("id")
        if verb == "list":
            properties["status"] = {"$ref": "#/types/Status", "default": "active"}
            properties["limit"] = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
            properties["cursor"] = {"type": ["string", "null"], "default": None}
            properties["order"] = {"type": "string", "enum": ["asc", "desc"], "default": "asc"}
        if verb in ("create", "update"):
            properties["item"] = {"$ref": "#/types/Item"}
            properties["options"] = {
                "type": "object",
                "description": "Write options.",
                "properties": {
                    "dry_run": {"type": "boolean", "default": False},
                    "notify": {
                        "type": "object",
                        "properties": {
                            "channels": {
                                "type": "array",
                                "items": {"type": "string", "enum": ["email", "sms", "push"]},
                            },
                            "quiet_hours": {
                                "type": "object",
                                "properties": {
                                    "start": {"type": "integer"},
                                    "end": {"type": "integer"},
                                },
                            },
                        },
                    },
                },
            }
            required.append("item")
        if verb == "archive":
            properties["reason"] = {"type": "string", "enum": ["duplicate", "obsolete", "other"]}
            properties["contact"] = {"$ref": "#/types/Contact"}
        tool: dict[str, Any] = {
            "name": f"{verb}_{noun}",
            "title": f"{verb.title()} {noun}",
            "description": f"{verb.title()} a {noun} (tool {index}).",
            "input": {"type": "object", "properties": properties},
            "annotations": {"read_only": verb in ("get", "list"), "destructive": verb == "delete"},
        }
        if required:
            tool["input"]["required"] = required
        if verb == "list":
            tool["output"] = {"$ref": "#/types/Page"}
        elif verb in ("get", "create", "update"):
            tool["output"] = {"$ref": "#/types/Item"}
            tool["errors"] = ["NotFound"] if verb == "get" else ["NotFound", "Conflict"]
        elif verb == "delete":
            tool["output"] = {
                "type": "object",
                "required": ["deleted"],
                "properties": {
                    "deleted": {"type": "boolean"},
                    "at": {"type": "string", "format": "date-time"},
                },
            }
            tool["errors"] = ["NotFound", "RateLimited"]
        tools.append(tool)
    tools.append({"name": "ping", "description": "Liveness check."})
    tools.append(
        {
            "name": "stats.v2",
            "description": "Counts by status.",
            "input": {
                "type": "object",
                "properties": {"since": {"type": "string", "format": "date"}},
            },
            "output": {
                "type": "object",
                "required": ["counts"],
                "properties": {
                    "counts": {"type": "object", "additionalProperties": {"type": "integer"}}
                },
            },
        }
    )
    return {
        "server": {
            "name": "many-tools",
            "title": "Many tools",
            "version": "1.2.3",
            "description": "A big spec for the determinism tests.",
            "instructions": "Use the list_* tools first.",
        },
        "types": types,
        "errors": errors,
        "tools": tools,
        "resources": [
            {"uri": "many://about", "name": "about", "text": "About.", "mime_type": "text/plain"},
            {"uri": "many://catalog", "name": "catalog", "mime_type": "application/json"},
        ],
        "resource_templates": [
            {
                "uri_template": "many://items/{id}",
                "name": "item_by_id",
                "params": {"id": {"type": "string", "format": "uuid"}},
                "complete": ["id"],
            },
            {
                "uri_template": "many://items/{id}/history{?limit}",
                "name": "item_history",
                "params": {"limit": {"type": "integer", "minimum": 1}},
            },
            {"uri_template": "many://{kind}/{id}", "name": "anything", "complete": ["kind"]},
        ],
        "prompts": [
            {
                "name": "triage",
                "description": "Triage an item.",
                "arguments": [{"name": "id", "required": True}, {"name": "tone"}],
                "complete": ["id"],
            },
            {"name": "summarize", "arguments": [{"name": "scope"}]},
        ],
    }


def write_spec(kind: str, folder: Path) -> Path:
    """The spec `kind` as a file in `folder` (same file name wherever it is written)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "weather":
        path = folder / WEATHER.name
        shutil.copyfile(WEATHER, path)
    else:
        path = folder / "many_tools.json"
        path.write_text(json.dumps(many_tools_spec(), indent=2) + "\n", encoding="utf-8")
    return path


# -- helpers ---------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, inode) of every file and folder: a rewrite, even of equal bytes, shows."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in sorted(root.rglob("*"))
    }


def age(root: Path) -> None:
    """Set every mtime to an old fixed time, so a same-second rewrite cannot hide."""
    for path in [root, *root.rglob("*")]:
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))


def first_difference(a: dict[str, bytes], b: dict[str, bytes]) -> str:
    if sorted(a) != sorted(b):
        return f"file sets differ: only in first {sorted(set(a) - set(b))}, only in second {sorted(set(b) - set(a))}"
    for name in a:
        if a[name] != b[name]:
            diff = difflib.unified_diff(
                a[name].decode("utf-8", "replace").splitlines(),
                b[name].decode("utf-8", "replace").splitlines(),
                f"first/{name}",
                f"second/{name}",
                lineterm="",
            )
            return "\n".join(list(diff)[:60])
    return ""


def run_mcpgen(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m mcpgen` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "mcpgen", *args],
        cwd=cwd,
        env={**os.environ, "USER": FAKE_USER, "LOGNAME": FAKE_USER, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def cli(args: list[str]) -> Any:
    """The CLI in this process: quicker, with stdout and stderr apart."""
    return CliRunner().invoke(mcpgen_cli, args, catch_exceptions=False)


# -- byte-identical across processes ---------------------------------------------------------


@pytest.fixture(scope="module", params=["weather", "many_tools"])
def two_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list[Path]]:
    """The same spec generated twice, as differently as we can manage.

    Run A: hash seed 0, cwd beside the spec, absolute spec path, plain folders.
    Run B: hash seed 12345, another cwd, relative spec path, TZ and locale changed, and the
    output folder and TMPDIR (where mcpgen runs ruff) below a hostile pyproject.toml.
    """
    kind: str = request.param
    base = tmp_path_factory.mktemp(f"determinism-{kind}")
    spec_a = write_spec(kind, base / "a" / "specs")
    out_a = base / "a" / "out"
    done = run_mcpgen(
        ["generate", str(spec_a), "-o", str(out_a)], spec_a.parent, PYTHONHASHSEED="0"
    )
    assert done.returncode == 0, done.stderr

    hostile = base / "b-hostile-parent"
    hostile.mkdir()
    (hostile / "pyproject.toml").write_text(HOSTILE_PYPROJECT, encoding="utf-8")
    (hostile / "tmp").mkdir()
    spec_b = write_spec(kind, base / "b-elsewhere" / "deeper")
    out_b = hostile / "project" / "out"
    done = run_mcpgen(
        ["generate", os.path.relpath(spec_b, base / "b-elsewhere"), "-o", str(out_b)],
        base / "b-elsewhere",
        PYTHONHASHSEED="12345",
        TMPDIR=str(hostile / "tmp"),
        TZ="Pacific/Kiritimati",
        LC_ALL="C",
    )
    assert done.returncode == 0, done.stderr
    return out_a, out_b, [base, hostile]


@pytest.mark.slow
def test_generation_is_byte_identical_across_runs(two_runs: tuple[Path, Path, list[Path]]) -> None:
    out_a, out_b, _ = two_runs
    a, b = snapshot(out_a), snapshot(out_b)
    assert len(a) > 20
    assert a == b, first_difference(a, b)


@pytest.mark.slow
def test_hostile_parent_config_left_no_trace(two_runs: tuple[Path, Path, list[Path]]) -> None:
    _, out_b, [_, hostile] = two_runs
    for name, data in snapshot(out_b).items():
        text = data.decode("utf-8")
        assert "HOSTILE" not in text, name
        if name.endswith(".py"):
            assert "\n  def " not in text and "\n  return" not in text, f"{name}: 2-space indent"
    leftovers = [p for p in (hostile / "tmp").iterdir()]
    assert not leftovers, f"temporary files left behind: {leftovers}"


_COMMON_ACCOUNT_NAMES = frozenset({"root", "user", "admin", "runner", "ubuntu", "nobody", "build"})
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"  # ISO date and time
    r"|\b\d{2}:\d{2}:\d{2}\b"  # a clock time
    r"|(generated|created|modified)\s+(at|on)\b",
    re.IGNORECASE,
)


@pytest.mark.slow
def test_no_timestamps_paths_or_user_names(two_runs: tuple[Path, Path, list[Path]]) -> None:
    out_a, out_b, folders = two_runs
    today = datetime.date.today()
    now = datetime.datetime.now()
    dates = {
        today.isoformat(),
        today.strftime("%Y/%m/%d"),
        today.strftime("%d/%m/%Y"),
        today.strftime("%m/%d/%Y"),
        today.strftime("%d %b %Y"),
        today.strftime("%b %d, %Y"),
        today.strftime("%Y%m%d"),
        str(int(now.timestamp()))[:7],  # a Unix time of these days, to ~3 hours
    }
    paths = {
        *(str(f) for f in folders),
        *(str(f.resolve()) for f in folders),
        str(out_a),
        str(out_b),
        str(REPO),
        str(Path.home()),
        sys.prefix,
        sys.base_prefix,
        tempfile.gettempdir() + os.sep,
        os.getcwd(),
    }
    # The runs had USER/LOGNAME set to FAKE_USER, so getpass-style lookups would leak that;
    # the real account name is checked too unless it is an everyday word ("root": `.root`).
    users = {FAKE_USER} | {
        name
        for name in (getpass.getuser(), os.environ.get("USER", ""))
        if len(name) >= 4 and name not in _COMMON_ACCOUNT_NAMES
    }
    for root in (out_a, out_b):
        for name, data in snapshot(root).items():
            text = data.decode("utf-8")
            found_time = _TIMESTAMP.search(text)
            assert found_time is None, f"{name}: timestamp {found_time.group()!r}"
            for date in dates:
                assert date not in text, f"{name}: today's date {date!r}"
            for path in paths:
                assert path not in text, f"{name}: absolute path {path!r}"
            for user in users:
                assert not re.search(rf"(?<![\w-]){re.escape(user)}(?![\w-])", text), (
                    f"{name}: user name {user!r}"
                )


@pytest.mark.slow
def test_a_pyproject_above_the_working_directory_changes_nothing(
    tmp_path: Path,
) -> None:
    spec = write_spec("weather", tmp_path / "plain")
    reference = tmp_path / "reference"
    done = run_mcpgen(["generate", str(spec), "-o", str(reference)], tmp_path / "plain")
    assert done.returncode == 0, done.stderr

    hostile = tmp_path / "repo"
    (hostile / "work").mkdir(parents=True)
    (hostile / "pyproject.toml").write_text("[tool.ruff]\nline-length = 40\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_mcpgen(["generate", str(spec), "-o", str(out)], hostile / "work")
    assert done.returncode == 0, done.stderr
    a, b = snapshot(reference), snapshot(out)
    assert a == b, first_difference(a, b)


# -- up to date: nothing written; --check -----------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, generated_once: Generated) -> tuple[Path, Path]:
    """A weather project generated from its own copy of the spec, all mtimes aged."""
    spec = write_spec("weather", tmp_path / "spec")
    root = tmp_path / "project"
    generated_once(spec, root)
    age(root)
    return spec, root


def test_regenerating_an_up_to_date_project_writes_nothing(project: tuple[Path, Path]) -> None:
    spec, root = project
    before_stats, before_bytes = stats(root), snapshot(root)
    result = cli(["generate", str(spec), "-o", str(root)])
    assert result.exit_code == 0, result.output
    assert "0 written" in result.stderr and "0 new" in result.stderr, result.stderr
    assert stats(root) == before_stats
    assert snapshot(root) == before_bytes


def test_check_passes_on_an_up_to_date_project(project: tuple[Path, Path]) -> None:
    spec, root = project
    before_stats = stats(root)
    result = cli(["generate", "--check", str(spec), "-o", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "up to date" in result.stderr
    assert stats(root) == before_stats


@pytest.mark.slow
def test_check_passes_in_a_fresh_process(project: tuple[Path, Path]) -> None:
    """--check in another process (another hash seed) agrees with the writing process."""
    spec, root = project
    before_stats = stats(root)
    done = run_mcpgen(
        ["generate", "--check", str(spec), "-o", str(root)], root, PYTHONHASHSEED="777"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    assert stats(root) == before_stats


def _edit_spec(spec: Path) -> None:
    text = spec.read_text(encoding="utf-8")
    changed = text.replace(
        'description = "Current conditions in a city."',
        'description = "Current conditions in a city, now with wind gusts."',
    )
    assert changed != text
    changed += '\n[[tools]]\nname = "get_alerts"\ndescription = "Weather alerts."\n'
    spec.write_text(changed, encoding="utf-8")


def test_check_on_a_changed_spec_prints_a_diff_and_writes_nothing(
    project: tuple[Path, Path],
) -> None:
    spec, root = project
    _edit_spec(spec)
    before_stats, before_bytes = stats(root), snapshot(root)
    result = cli(["generate", "--check", str(spec), "-o", str(root)])
    assert result.exit_code == 1, result.output
    diff = result.stdout
    assert "not up to date" in result.stderr
    assert (
        "--- a/src/weather/_generated/server.py\n+++ b/src/weather/_generated/server.py\n" in diff
    )
    assert "--- /dev/null\n+++ b/src/weather/handlers/tools/get_alerts.py\n" in diff
    assert re.search(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", diff, re.MULTILINE)
    assert re.search(r"^\+.*now with wind gusts", diff, re.MULTILINE)
    assert re.search(r"^-.*Current conditions in a city\.", diff, re.MULTILINE)
    assert all(line[:1] in {"-", "+", " ", "@"} for line in diff.splitlines()), "not a unified diff"
    # Nothing written: same files, same bytes, same mtimes and inodes (no manifest either).
    assert stats(root) == before_stats
    assert snapshot(root) == before_bytes


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to apply the diff")
def test_check_diff_applies_to_give_what_generate_writes(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    """The --check diff is exact: applied to the old tree it gives the new generated files."""
    spec, root = project
    _edit_spec(spec)
    _assert_the_diff_applies(spec, root, tmp_path)


# Where str.splitlines() ends a line and `patch` does not. JSON and TOML keep the last three
# raw (tools.json, pyproject.toml), and README.md all of them.
OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to apply the diff")
def test_check_diff_applies_where_the_text_holds_other_line_breaks(tmp_path: Path) -> None:
    """Lines of a diff end at a newline only, as `git apply` reads them."""
    spec = tmp_path / "spec" / "breaks.json"
    spec.parent.mkdir()
    data: dict[str, Any] = {
        "server": {"name": "breaks", "description": f"server{OTHER_LINE_BREAKS}text"},
        "tools": [
            {
                "name": "t",
                "description": f"tool{OTHER_LINE_BREAKS}text",
                "input": {"type": "object"},
            }
        ],
    }
    spec.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    root = tmp_path / "project"
    assert cli(["generate", str(spec), "-o", str(root)]).exit_code == 0
    data["server"]["description"] += " changed"
    data["tools"][0]["description"] += " changed"
    spec.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    _assert_the_diff_applies(spec, root, tmp_path)


def _assert_the_diff_applies(spec: Path, root: Path, tmp_path: Path) -> None:
    diff = cli(["generate", "--check", str(spec), "-o", str(root)]).stdout
    patched = tmp_path / "patched"
    shutil.copytree(root, patched)
    (tmp_path / "check.diff").write_text(diff, encoding="utf-8")
    # Outside a repository `git apply` works as a strict `patch -p1`, new files included.
    done = subprocess.run(
        ["git", "apply", "--verbose", str(tmp_path / "check.diff")],
        cwd=patched,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = cli(["generate", str(spec), "-o", str(root)])
    assert result.exit_code == 0, result.output
    # The manifest and the cache are mcpgen's bookkeeping, not part of the diff.
    bookkeeping = (".mcpgen-manifest.json", ".mcpgen-cache/")
    written = {k: v for k, v in snapshot(root).items() if not k.startswith(bookkeeping)}
    applied = {k: v for k, v in snapshot(patched).items() if not k.startswith(bookkeeping)}
    assert applied == written, first_difference(applied, written)


def test_in_process_generation_is_repeatable() -> None:
    """Two pipeline runs in one process give the same files (no state leaks between runs)."""
    from mcpgen.pipeline import generate

    first = generate(WEATHER)
    second = generate(WEATHER)
    assert {k: (v.text, v.owner) for k, v in first.files.items()} == {
        k: (v.text, v.owner) for k, v in second.files.items()
    }
    assert list(first.files) == sorted(first.files)


# -- a file changes only when its content does ---------------------------------------------


def _files_of(spec: Path) -> dict[str, str]:
    from mcpgen.pipeline import generate

    return {path: rendered.text for path, rendered in generate(spec).files.items()}


@pytest.mark.slow
def test_a_description_edit_changes_only_the_files_that_show_it(tmp_path: Path) -> None:
    """Provenance (the spec's digest) lives in the manifest: a header that carried it made
    one edited description rewrite every generated file, the runtime included, and two
    branches that both touch the spec conflict in every header."""
    spec = tmp_path / "weather.toml"
    text = WEATHER.read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    before = _files_of(spec)
    edited = text.replace(
        'description = "Daily forecast for a city, up to 7 days ahead."',
        'description = "Daily forecast for a city, up to a week ahead."',
    )
    assert edited != text
    spec.write_text(edited, encoding="utf-8")
    after = _files_of(spec)
    assert after.keys() == before.keys()
    changed = {path for path in after if after[path] != before[path]}
    # The tool's definition as tools/list sends it; its handler stub would show it too, but
    # a stub is written once (the user's file, never rewritten).
    assert changed == {
        "src/weather/_generated/tools.json",
        "src/weather/handlers/tools/get_forecast.py",
    }


@pytest.mark.slow
def test_an_mcpgen_upgrade_rewrites_only_what_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version that wrote a project is in the manifest; a release that changes nothing
    in a file leaves its bytes alone, so an upgrade's diff is what the upgrade changed."""
    before = _files_of(WEATHER)
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "mcpgen" and hasattr(module, "__version__"):
            monkeypatch.setattr(module, "__version__", "99.0.0")
    assert _files_of(WEATHER) == before
