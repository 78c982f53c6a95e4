"""The bad-spec corpus: broken specs and the exact diagnostics `mcpgen validate` prints.

Each folder under tests/cases/bad/ holds one broken spec (`spec.toml` or `spec.json`, plus any
file it `$ref`s) and `expected.txt`: the exact standard error of `mcpgen validate spec.toml`
run inside that folder, so locations read `spec.toml:LINE:COL`. Every case must exit 1, and
`mcpgen generate` must write nothing for it.

To accept new output after an intended change to the messages, run with
MCPGEN_UPDATE_GOLDEN=1 and then read every changed expected.txt as a user would: located,
naming the spec path, clear about what to change. Cases in KNOWN_BUGS are never rewritten:
their expected.txt holds the output the generator *should* print, and they are expected to
fail (strictly) until the generator is fixed; then remove them from KNOWN_BUGS.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mcpgen.cli import main
from mcpgen.pipeline import check

CASES = Path(__file__).parent / "cases" / "bad"
UPDATE_GOLDEN = os.environ.get("MCPGEN_UPDATE_GOLDEN") == "1"
MIN_CASES = 40

# Cases whose expected.txt is what the generator should print but does not yet (see the
# reason for each). `validate` is expected to fail on them until the generator is fixed.
KNOWN_BUGS: dict[str, str] = {}

# Known bugs where the generator wrongly accepts the spec (or crashes), so `generate`
# exits 0 or raises instead of exiting 1 and writing nothing.
GENERATE_BUGS: dict[str, str] = {}


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _params(known: dict[str, str]) -> list[object]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=known[name])] if name in known else [],
        )
        for name in _case_names()
    ]


def _spec_name(case: Path) -> str:
    found = [name for name in ("spec.toml", "spec.json") if (case / name).is_file()]
    assert len(found) == 1, f"{case.name}: needs exactly one of spec.toml, spec.json"
    return found[0]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click 8.1
    except TypeError:
        return CliRunner()  # click 8.2 and later keep standard error apart anyway


def _invoke(args: list[str]) -> Result:
    result = _runner().invoke(main, args)
    # A crash is a bug of its own: show its traceback rather than compare exit codes.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# -- the corpus -------------------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    names = _case_names()
    assert len(names) >= MIN_CASES
    for name in names:
        case = CASES / name
        _spec_name(case)
        assert (case / "expected.txt").is_file(), f"{name}: no expected.txt"
    assert set(KNOWN_BUGS) <= set(names)
    assert set(GENERATE_BUGS) <= set(KNOWN_BUGS)


@pytest.mark.parametrize("name", _params(KNOWN_BUGS))
def test_validate_prints_the_expected_diagnostics(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES / name
    golden = case / "expected.txt"
    monkeypatch.chdir(case)
    result = _invoke(["validate", _spec_name(case)])
    if UPDATE_GOLDEN and name not in KNOWN_BUGS and result.exit_code == 1:
        golden.write_text(result.stderr, encoding="utf-8", newline="\n")
    assert result.stderr == golden.read_text(encoding="utf-8")
    assert result.stdout == ""
    assert result.exit_code == 1


@pytest.mark.parametrize("name", _params(GENERATE_BUGS))
def test_generate_writes_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES / name
    before = _files(case)
    output = tmp_path / "out"
    monkeypatch.chdir(case)
    result = _invoke(["generate", _spec_name(case), "-o", str(output)])
    assert result.exit_code == 1, result.stderr
    assert "nothing was written" in result.stderr
    assert not output.exists() or not any(output.iterdir())
    assert _files(case) == before


# -- usage errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate", "no-such-spec.toml"], id="missing-file"),
        pytest.param(["generate", "no-such-spec.toml"], id="generate-missing-file"),
        pytest.param(["validate", "--no-such-option", "spec.toml"], id="unknown-option"),
        pytest.param(["validate"], id="no-spec"),
        pytest.param(["validat", "spec.toml"], id="unknown-command"),
        pytest.param(["validate", "."], id="folder-not-file"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spec.toml").write_text('[server]\nname = "demo"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _invoke(args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Usage:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def test_missing_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke(["validate", "no-such-spec.toml"])
    assert result.exit_code == 2
    assert "no-such-spec.toml" in result.stderr
    assert "does not exist" in result.stderr


# -- near misses that must be accepted ------------------------------------------------------


def _write_spec(folder: Path, text: str) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_python_keyword_tool_names_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_spec(
        tmp_path,
        '[server]\nname = "demo"\n\n'
        '[[tools]]\nname = "import"\n\n'
        '[[tools]]\nname = "class"\n\n'
        '[[prompts]]\nname = "def"\narguments = [{ name = "from" }]\n',
    )
    monkeypatch.chdir(tmp_path)
    result = _invoke(["validate", "spec.toml"])
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr == "spec.toml: ok (2 tools, 0 resources, 0 resource templates, 1 prompt).\n"
    )

    ir, diagnostics = check(Path("spec.toml"))
    assert diagnostics == []
    assert [(t.name, t.ident) for t in ir.tools] == [("import", "import_"), ("class", "class_")]
    assert [(p.name, p.ident) for p in ir.prompts] == [("def", "def_")]

    output = tmp_path / "out"
    result = _invoke(["generate", "spec.toml", "-o", str(output)])
    assert result.exit_code == 0, result.stderr
    handlers = output / "src" / "demo" / "handlers" / "tools"
    assert "async def import_(" in (handlers / "import_.py").read_text(encoding="utf-8")
    assert "async def class_(" in (handlers / "class_.py").read_text(encoding="utf-8")
    for source in output.rglob("*.py"):
        ast.parse(source.read_text(encoding="utf-8"), filename=str(source))


@pytest.mark.parametrize("length", [64, 65, 128])
def test_long_tool_name_warns_but_validates(
    length: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_spec(tmp_path, f'[server]\nname = "demo"\n\n[[tools]]\nname = "{"t" * length}"\n')
    monkeypatch.chdir(tmp_path)
    result = _invoke(["validate", "spec.toml"])
    assert result.exit_code == 0, result.stderr
    warning = (
        f"spec.toml:5:1: warning: tools[0].name: tool name is {length} characters long; "
        "clients that prefix tool names cut them near 64\n"
    )
    ok = "spec.toml: ok (1 tool, 0 resources, 0 resource templates, 0 prompts).\n"
    assert result.stderr == (ok if length <= 64 else warning + ok)


def test_error_data_may_refer_to_an_object_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_spec(
        tmp_path,
        '[server]\nname = "demo"\n\n'
        '[types.CityData]\ntype = "object"\nrequired = ["city"]\n'
        'properties.city = { type = "string" }\n\n'
        "[errors.CityNotFound]\ncode = -32004\n"
        'message = "No weather data for {city}"\n'
        'data = { "$ref" = "#/types/CityData" }\n',
    )
    monkeypatch.chdir(tmp_path)
    result = _invoke(["validate", "spec.toml"])
    assert (
        result.stderr == "spec.toml: ok (0 tools, 0 resources, 0 resource templates, 0 prompts).\n"
    )
    assert result.exit_code == 0
