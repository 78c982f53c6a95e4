"""Hostile spec text: every place a spec string reaches generated Python, under attack.

Each corpus string is put into every text field of a spec (server, tools, schema
descriptions, defaults, enums, const, error messages, resources, templates, prompts, and
the names that reach docstrings), generated with the real CLI, and then:

* every generated .py compiles without warnings;
* the package imports and, through the SDK client, every string comes back byte-identical;
* the generated code has the same shape as a benign control spec's (only string constants
  differ), and no sentinel that an executed injection would leave exists;
* (slow) `ruff check`/`ruff format --check` with the project's own pyproject, `mypy --strict`,
  and the generated project's own tests pass.

One generation carries the whole corpus: in the hostile spec each corpus key has its own
types, error, tools, resources, template and prompt, each name carrying the key (161 models:
the model generator's chunked path, which a spec per key never reached); a benign control
spec of the same shape is the other. The server's fields, which a spec has once, get a small
spec per key and one control (no models: 0.3 s each, most of it writing files). A generation
has a fixed cost whatever its size (helper processes, ruff, ~40 files written and synced):
one spec per key and control, 46 generations, took 70 s of the quick lane.

The tests are still per key. A fault in the shared tree (a shape that differs from the
control's, a line that does not compile, a raw control character) is blamed on each key the
code around it names, and on every key when it names none: any fault fails some key's test.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
import types
import typing
import unicodedata
import urllib.parse
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.cli import main as mcpgen_cli
from mcpgen.ir import SpecIR
from mcpgen.model_chunks import cut_into_runs
from mcpgen.names import to_class_name, words
from mcpgen.pipeline import check as check_spec


def _ruff() -> str:
    """The ruff binary mcpgen itself runs (ruff ships no type information)."""
    path: str = importlib.import_module("ruff.__main__").find_ruff_bin()
    return path


# -- the corpus ------------------------------------------------------------------------------

_LONG = ('""" {{ x }} {% if %} \\ \u00e9 \U0001f389 \n' * 1500) + "x" * 40_000 + "\\"

CORPUS: dict[str, str] = {
    "triple_double": 'say """hi""" and end on a quote "',
    "triple_single": "it's '''quoted''' and ends on '",
    "quotes_mixed": '"\'"\'""\'\'"""\'\'\'""""',
    "jinja_expr": "{{ x }} {{ 7 * 7 }}",
    "jinja_stmt": "{% if %}{% endif %}{% raw %}{% for %}",
    "jinja_comment": "{# an unclosed Jinja comment",
    "jinja_ssti": (
        '{{ "INJ" ~ "ECTED" }}'
        "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}{% set x = 1 %}"
    ),
    "format_braces": "{0} {} {name} {{ }} }{ %s %(x)s {!r}",
    "backslashes": "C:\\new\\table \\N{BULLET} \\x41 \\u00e9 \\t \\\\ \\\" \\'",
    "trailing_backslash": "ends with a backslash \\",
    "backslash_newline": "line \\\ncontinued \\\r\n",
    "newlines": "one\ntwo\r\nthree\rfour\n\nfive\n",
    "multi_line_plain": "First line.\nSecond line, with a sample:\n    indented code\nlast line ",
    "nul": "before\x00after\x00",
    "controls": "\x01\x07\x08\t\x0b\x0c\x1b[31mred\x1b[0m\x7f",
    "unicode_separators": "a\x85b\u2028c\u2029d\ufeffe",
    "non_ascii": "caf\u00e9 na\u00efve \u2014 \u65e5\u672c\u8a9e \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \ufb01",
    "emoji": "\U0001f389 \U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001f3f3\ufe0f\u200d\U0001f308",
    "rtl_marks": "\u202e})(live\u202c \u200f\u2067x\u2069 \u061cabc \u200e",
    "code": '"); import os; os.system("x")  #',
    "code_sentinel": (
        '\'\'\'"""); __import__("pathlib").Path("PWNED").touch()  # '
        "\n__import__('pathlib').Path('PWNED').touch()\n"
    ),
    "script": "</script><script>alert(1)</script><!--",
    "long": _LONG,
}
KEYS = list(CORPUS)

CONTROL_TEXT = "benign text"
SENTINEL_FILE = "PWNED"  # what an executed injection from the corpus would create
SENTINEL_TEXT = "INJECTED"  # what an evaluated Jinja expression from the corpus would print
NAME_LIMIT = 200  # names become file names; very long ones are tested on their own below
# "auto" negotiates 2026-07-28 through server/discover; "legacy" the 2025 handshake.
ERAS = ["legacy", "auto"]


# -- the specs -------------------------------------------------------------------------------


def _odd_uri_part(text: str) -> str:
    """Keep quotes, backslashes and non-ASCII; percent-encode what a spec URI cannot hold."""
    return "".join(
        urllib.parse.quote(c, safe="") if c in "%{}" or c.isspace() or not c.isprintable() else c
        for c in text
    )


@dataclass(frozen=True)
class Names:
    """The spec names that reach Python (docstrings, literals) besides free text."""

    resource: str
    resource_handler: str
    template: str
    prompt: str
    error: str

    @classmethod
    def hostile(cls, key: str, text: str) -> Names:
        """Each name carries its key, which keeps the names of one spec apart. The text opens
        the resources' names and closes the others', so each text still starts a literal and
        an identifier (`{0}` makes one that starts with a digit) and still ends a literal."""
        name = text[:NAME_LIMIT]
        return cls(
            resource=f"{name} {key}",
            resource_handler=f"{name} {key} 2",
            template=f"{key} {name}",
            prompt=f"{key} {name}",
            error=f"Boom {key} {name}",
        )

    def control(self) -> Names:
        """Benign names that make the same Python identifiers and class names.

        A name's words (letters and digits only) convert exactly as the name does, even
        where a long name is shortened with a hash.
        """
        return Names(
            " ".join(words(self.resource)),
            " ".join(words(self.resource_handler)),
            " ".join(words(self.template)),
            " ".join(words(self.prompt)),
            " ".join(words(self.error)),
        )


@dataclass(frozen=True)
class Expected:
    """One key's part of the shared spec, as the tests look it up and expect it back."""

    key: str
    text: str
    names: Names
    echo: str  # the tool that echoes its arguments
    fail: str  # the tool that raises the declared error
    hostile_type: str
    enum_type: str
    uri_odd: str
    uri_strict: str
    uri_template: str
    message: str
    rendered_message: str


def key_part(key: str, text: str, names: Names) -> tuple[dict[str, Any], Expected]:
    """The spec sections of one key: every text field that is not the server's."""
    short = text[:300]
    # URIs and tool names carry the key, which a control's text cannot tell apart.
    uri_odd = f"hostile+odd.v1://host:1/{key}/raw/" + _odd_uri_part(short) + "?q='x'#frag"
    uri_strict = f"hostile://r/{key}/" + urllib.parse.quote(short, safe="!$&'()*+,;=:@") + "/strict"
    suffix = to_class_name(key)
    want = Expected(
        key=key,
        text=text,
        names=names,
        echo=f"echo_{key}",
        fail=f"fail_{key}",
        hostile_type=f"Hostile{suffix}",
        enum_type=f"HostileEnum{suffix}",
        uri_odd=uri_odd,
        uri_strict=uri_strict,
        uri_template=f"hostile://t/{key}/{{id}}",
        message=text.replace("{", "{{").replace("}", "}}") + " :: {detail}",
        rendered_message=text + " :: " + text,
    )
    part: dict[str, Any] = {
        "types": {
            want.hostile_type: {
                "type": "object",
                "description": text,
                "properties": {"v": {"type": "string", "description": text, "default": text}},
            },
            want.enum_type: {"type": "string", "enum": [text, "plain"], "description": text},
        },
        "errors": {
            names.error: {
                "code": -32001,
                "message": want.message,
                "description": text,
                "data": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string", "description": text}},
                },
            }
        },
        "tools": [
            {
                "name": want.echo,
                "title": text,
                "description": text,
                "annotations": {"title": text, "read_only": True},
                "input": {
                    "type": "object",
                    "properties": {
                        "text": {
                            "type": "string",
                            "description": text,
                            "default": text,
                            "examples": [text],
                        },
                        "choice": {
                            "type": "string",
                            "enum": [text, "plain"],
                            "description": text,
                            "default": text,
                        },
                        "fixed": {"const": text, "description": text},
                        "nested": {
                            "type": "object",
                            "description": text,
                            "properties": {
                                "inner": {"type": "string", "description": text, "default": text}
                            },
                        },
                        "ref": {"$ref": f"#/types/{want.hostile_type}"},
                        "unit": {"$ref": f"#/types/{want.enum_type}"},
                    },
                },
                "examples": [{"text": text, "choice": text, "fixed": text}],
            },
            {
                "name": want.fail,
                "description": text,
                "errors": [names.error],
                "input": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string"}},
                },
            },
        ],
        "resources": [
            {
                "uri": uri_odd,
                "name": names.resource,
                "title": text,
                "description": text,
                "mime_type": text[:NAME_LIMIT],
                "text": text,
            },
            {
                "uri": uri_strict,
                "name": names.resource_handler,
                "title": text,
                "description": text,
            },
        ],
        "resource_templates": [
            {
                "uri_template": want.uri_template,
                "name": names.template,
                "title": text,
                "description": text,
                "mime_type": text[:NAME_LIMIT],
            }
        ],
        "prompts": [
            {
                "name": names.prompt,
                "title": text,
                "description": text,
                "arguments": [{"name": "topic", "description": text, "required": True}],
            }
        ],
    }
    return part, want


def shared_spec(package: str, *, control: bool) -> dict[str, Any]:
    """Every key's part in one spec (the control: benign text, names of the same shape)."""
    spec: dict[str, Any] = {
        "server": {"name": "hostile", "package": package},
        "types": {},
        "errors": {},
        "tools": [],
        "resources": [],
        "resource_templates": [],
        "prompts": [],
    }
    for key, text in CORPUS.items():
        names = Names.hostile(key, text)
        part, _ = (
            key_part(key, CONTROL_TEXT, names.control()) if control else key_part(key, text, names)
        )
        for section, value in part.items():
            if isinstance(value, dict):
                spec[section].update(value)
            else:
                spec[section].extend(value)
    return spec


EXPECTED = {key: key_part(key, text, Names.hostile(key, text))[1] for key, text in CORPUS.items()}


def website_url(text: str) -> str:
    return "https://example.test/" + _odd_uri_part(text[:300])


def server_spec(text: str, package: str) -> dict[str, Any]:
    """The server's fields, all of them `text`: the one part a spec has once."""
    return {
        "server": {
            "name": "hostile",
            "package": package,
            "version": text,
            "title": text,
            "description": text,
            "instructions": text,
            "website_url": website_url(text),
        }
    }


# -- generating ------------------------------------------------------------------------------

ECHO_HANDLER = '''\
"""Test handler: echoes the validated arguments as JSON."""

from __future__ import annotations

import json

from {pkg}._generated import models, runtime


async def {function}(ctx: runtime.Context, args: models.{input}) -> runtime.ToolReturn:
    return json.dumps(args.model_dump(mode="json", by_alias=True), ensure_ascii=False)
'''

FAIL_HANDLER = '''\
"""Test handler: raises the declared error with the given detail."""

from __future__ import annotations

from {pkg}._generated import models, runtime
from {pkg}._generated.errors import {error}


async def {function}(ctx: runtime.Context, args: models.{input}) -> runtime.ToolReturn:
    raise {error}(models.{data}(detail=args.detail))
'''


# Where a key's name or class name shows in source: not inside a longer word ("script" is in
# "description", "nul" in "null"); "code" still shows in "code_sentinel", which blames both.
_MARKS = {
    key: re.compile(rf"(?<![a-z0-9]){key}(?![a-z0-9])|{to_class_name(key)}(?![a-z0-9])")
    for key in KEYS
}


@dataclass(frozen=True)
class Fault:
    """Something wrong in a generated tree: where, and the source text it was found in."""

    where: str
    source: str

    def blames(self, key: str) -> bool:
        """Whether the fault may be `key`'s: its source names the key, or no key at all."""
        named = _named(self.source)
        return not named or key in named


def _named(source: str) -> list[str]:
    return [key for key, mark in _MARKS.items() if mark.search(source)]


@dataclass
class Tree:
    sandbox: Path  # the working directory of generation and import
    root: Path
    package: str
    ir: SpecIR

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def python_files(self) -> list[Path]:
        return [p for p in self.files() if p.suffix == ".py"]

    @cached_property
    def compile_faults(self) -> list[Fault]:
        return self._faults(self.python_files(), lambda path: _compile_problems(path.read_bytes()))

    @cached_property
    def raw_character_faults(self) -> list[Fault]:
        return self._faults(self.python_files(), lambda path: _raw_characters(_text(path)))

    @cached_property
    def evaluated_faults(self) -> list[Fault]:
        """Lines where a Jinja expression from the spec printed its result."""
        return self._faults(self.files(), lambda path: _evaluated(_text(path)))

    def _faults(
        self, files: list[Path], problems: Callable[[Path], tuple[tuple[int, str], ...]]
    ) -> list[Fault]:
        faults = []
        for path in files:
            where = path.relative_to(self.root).as_posix()
            lines = _text(path).split("\n")
            for line, what in problems(path):
                faults.append(Fault(f"{where}:{line}: {what}", f"{where}\n{lines[line - 1]}"))
        return faults


def _text(path: Path) -> str:
    """The file as it is: a raw CR is not made a line break."""
    return path.read_bytes().decode("utf-8", errors="replace")


# The checks of one file's text, cached by content: the vendored runtime is the same in
# every tree, and 26 trees compiled it in a quarter of test_injection's time.


@functools.cache
def _compile_problems(source: bytes) -> tuple[tuple[int, str], ...]:
    with warnings.catch_warnings():
        # An invalid escape sequence (`\N`, `\d`) is a SyntaxWarning/DeprecationWarning.
        warnings.simplefilter("error")
        try:
            compile(source, "<generated>", "exec", dont_inherit=True)
        except (SyntaxError, SyntaxWarning, DeprecationWarning) as error:
            return ((getattr(error, "lineno", None) or 1, f"{type(error).__name__}: {error}"),)
    return ()


_BIDI_AND_LINE_BREAKS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff\x85"
)


@functools.cache
def _raw_characters(text: str) -> tuple[tuple[int, str], ...]:
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        chars = sorted(
            {
                c
                for c in line
                if (unicodedata.category(c) == "Cc" and c not in "\n\t")
                or c in _BIDI_AND_LINE_BREAKS
            }
        )
        if chars:
            found.append((number, ", ".join(f"U+{ord(c):04X}" for c in chars)))
    return tuple(found)


@functools.cache
def _evaluated(text: str) -> tuple[tuple[int, str], ...]:
    lines = enumerate(text.split("\n"), 1)
    return tuple((number, SENTINEL_TEXT) for number, line in lines if SENTINEL_TEXT in line)


def generate(sandbox: Path, spec: dict[str, Any], package: str) -> Tree:
    sandbox.mkdir(parents=True)
    spec_path = sandbox / "spec.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    root = sandbox / "project"
    with contextlib.chdir(sandbox):
        result = CliRunner().invoke(
            mcpgen_cli, ["generate", str(spec_path), "-o", str(root)], catch_exceptions=True
        )
    if result.exit_code != 0 or result.exception is not None:
        detail = result.output[-3000:]
        raise AssertionError(f"mcpgen generate failed ({result.exit_code}): {detail}") from (
            result.exception if not isinstance(result.exception, SystemExit) else None
        )
    ir, _ = check_spec(spec_path)
    handlers = root / "src" / package / "handlers" / "tools"
    written = []
    for tool in ir.tools:
        path = handlers / f"{tool.ident}.py"
        fields = {"pkg": package, "function": tool.ident, "input": tool.input_model}
        if tool.errors:
            error = tool.errors[0]
            path.write_text(
                FAIL_HANDLER.format(**fields, error=error.class_name, data=error.data_model),
                encoding="utf-8",
            )
        else:
            path.write_text(ECHO_HANDLER.format(**fields), encoding="utf-8")
        written.append(path)
    _tidy(written)
    return Tree(sandbox, root, package, ir)


def _tidy(files: list[Path]) -> None:
    """Lay out our handlers as the project's ruff would (long generated names wrap)."""
    if not files:
        return
    ruff = _ruff()
    names = [str(f) for f in files]
    options = ["--isolated", "--no-cache", "--line-length", "100", "--target-version", "py311"]
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([ruff, *command, *options, *names], check=True, capture_output=True)


class Forge:
    """Generates each tree once, on first use; a failure is kept and raised to every test
    that needs the tree."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._trees: dict[str, Tree | Exception] = {}

    def _get(self, name: str, spec: Callable[[str], dict[str, Any]]) -> Tree:
        if name not in self._trees:
            package = f"inj_{name}_{uuid.uuid4().hex[:8]}"
            try:
                self._trees[name] = generate(self.base / name, spec(package), package)
            except Exception as error:  # remember it: every test of the tree reports it
                self._trees[name] = error
        found = self._trees[name]
        if isinstance(found, Exception):
            raise found
        return found

    def shared(self) -> Tree:
        """Every key's tools, types, error, resources, template and prompt."""
        return self._get("shared", lambda package: shared_spec(package, control=False))

    def shared_control(self) -> Tree:
        return self._get("shared_control", lambda package: shared_spec(package, control=True))

    def server(self, key: str) -> Tree:
        """The server's fields, all of them the key's text."""
        return self._get(f"server_{key}", lambda package: server_spec(CORPUS[key], package))

    def server_control(self) -> Tree:
        return self._get("server_control", lambda package: server_spec(CONTROL_TEXT, package))

    def trees(self, key: str) -> list[Tree]:
        """The trees a key's text is in."""
        return [self.shared(), self.server(key)]


@pytest.fixture(scope="session")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Forge:
    return Forge(tmp_path_factory.mktemp("injection"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.contextmanager
def within(tree: Tree) -> Iterator[None]:
    """In the tree's sandbox: what an injection that ran would write lands there."""
    previous = Path.cwd()
    os.chdir(tree.sandbox)
    try:
        yield
    finally:
        os.chdir(previous)


class Imports:
    """Imports each generated package once, from its src folder, and forgets them all at
    the end (the shared one and its models take 0.17 s: once per test would be 20 s)."""

    def __init__(self) -> None:
        self._done: dict[str, types.ModuleType] = {}
        self._paths: list[str] = []

    def __call__(self, tree: Tree) -> types.ModuleType:
        if tree.package not in self._done:
            src = str(tree.root / "src")
            sys.path.insert(0, src)
            self._paths.append(src)
            with within(tree):
                self._done[tree.package] = importlib.import_module(tree.package)
        return self._done[tree.package]

    def forget(self) -> None:
        for src in self._paths:
            sys.path.remove(src)
        for package in self._done:
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]
        importlib.invalidate_caches()


@pytest.fixture(scope="module")
def load() -> Iterator[Imports]:
    imports = Imports()
    try:
        yield imports
    finally:
        imports.forget()


def by_name(items: typing.Iterable[Any], name: str) -> Any:
    """The IR entry of this spec name (tools, resources, templates, prompts, errors)."""
    return next(item for item in items if item.name == name)


class Mismatches:
    """Collects every place a string did not come back byte-identical."""

    def __init__(self, *, prose: bool = False) -> None:
        self.found: list[str] = []
        self.prose = prose

    def check(self, where: str, got: Any, want: Any) -> None:
        if self.prose and isinstance(got, str) and isinstance(want, str):
            got, want = " ".join(got.split()), " ".join(want.split())
        if got != want:
            self.found.append(f"{where}: got {_short(got)}, want {_short(want)}")

    def assert_none(self) -> None:
        assert not self.found, f"{len(self.found)} mismatches:\n" + "\n".join(self.found)


def _short(value: Any) -> str:
    text = ascii(value)
    return text if len(text) <= 300 else text[:150] + " ... " + text[-150:]


def assert_no_faults(key: str, forge: Forge, faults: Callable[[Tree], list[Fault]]) -> None:
    """The shared tree's faults that may be the key's, and all of its server tree's."""
    shared, server = forge.trees(key)
    found = [f.where for f in faults(shared) if f.blames(key)]
    found += [f"[server tree] {f.where}" for f in faults(server)]
    assert not found, "\n".join(found)


# -- compiles --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_every_generated_python_file_compiles(forge: Forge, key: str) -> None:
    for tree in forge.trees(key):
        files = tree.python_files()
        assert len(files) >= 15, [p.relative_to(tree.root).as_posix() for p in files]
    assert_no_faults(key, forge, lambda tree: tree.compile_faults)


def test_the_shared_spec_takes_the_chunked_path(forge: Forge) -> None:
    """Its models are made in runs, cut apart and put together (`model_chunks.chunked`)."""
    assert cut_into_runs(forge.shared().ir.models) is not None


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_text_round_trips_in_the_generated_python(forge: Forge, load: Imports, key: str) -> None:
    shared, server_tree = forge.trees(key)
    want = EXPECTED[key]
    s = want.text
    ir = shared.ir
    found = Mismatches()

    with within(server_tree):
        package = load(server_tree)
        generated = importlib.import_module(f"{server_tree.package}._generated")
        server = importlib.import_module(f"{server_tree.package}._generated.server")
        assert generated.__doc__ is not None
        found.check("package __version__", package.__version__, s)
        for field in ("version", "title", "description", "instructions"):
            found.check(f"INFO.{field}", getattr(server.INFO, field), s)
        found.check("INFO.website_url", server.INFO.website_url, website_url(s))

    with within(shared):
        load(shared)
        pkg = shared.package
        models = importlib.import_module(f"{pkg}._generated.models")
        errors = importlib.import_module(f"{pkg}._generated.errors")

        error_ir = by_name(ir.errors, want.names.error)
        error_class = getattr(errors, error_ir.class_name)
        found.check("error message_template", error_class.message_template, want.message)
        found.check("error error_type", error_class.error_type, want.names.error)
        data_class = getattr(models, str(error_ir.data_model))
        raised = error_class(data_class(detail=s))
        found.check("error message rendered", raised.message, want.rendered_message)
        found.check("error data description", data_class.model_fields["detail"].description, s)

        echo_model = str(by_name(ir.tools, want.echo).input_model)
        echo = getattr(models, echo_model).model_fields
        for field in ("text", "choice", "fixed", "nested"):
            found.check(f"{echo_model}.{field} description", echo[field].description, s)
        found.check(f"{echo_model}.text default", echo["text"].default, s)
        found.check(f"{echo_model}.text examples", echo["text"].examples, [s])
        found.check(f"{echo_model}.choice default", echo["choice"].default, s)
        found.check(
            f"{echo_model}.choice Literal",
            typing.get_args(echo["choice"].annotation),
            (s, "plain"),
        )
        fixed = [a for a in typing.get_args(echo["fixed"].annotation) if a is not type(None)]
        found.check(f"{echo_model}.fixed Literal", [typing.get_args(a) for a in fixed], [(s,)])
        inner = getattr(models, echo_model + "Nested").model_fields["inner"]
        found.check(f"{echo_model}Nested.inner description", inner.description, s)
        found.check(f"{echo_model}Nested.inner default", inner.default, s)
        hostile = getattr(models, want.hostile_type).model_fields["v"]
        found.check(f"{want.hostile_type}.v description", hostile.description, s)
        found.check(f"{want.hostile_type}.v default", hostile.default, s)
        prompt_ir = by_name(ir.prompts, want.names.prompt)
        arguments = getattr(models, prompt_ir.arguments_model).model_fields["topic"]
        found.check("prompt argument description", arguments.description, s)
    found.assert_none()


# Docstrings are prose: ruff's formatter re-indents them and trims edge whitespace, so they
# are compared with whitespace folded. The exact text lives in the data literals (above).
@pytest.mark.parametrize("key", KEYS)
def test_docstrings_carry_the_spec_text(forge: Forge, load: Imports, key: str) -> None:
    """Docstrings made by mcpgen's own templates (not the models') hold the spec text."""
    shared, server_tree = forge.trees(key)
    want = EXPECTED[key]
    s = want.text
    ir = shared.ir
    found = Mismatches(prose=True)
    with within(server_tree):
        found.check(
            "package docstring",
            load(server_tree).__doc__,
            f"{s}: an MCP server generated by mcpgen.",
        )
    with within(shared):
        load(shared)
        pkg = shared.package
        errors = importlib.import_module(f"{pkg}._generated.errors")
        protocols = importlib.import_module(f"{pkg}._generated.protocols")
        error_class = getattr(errors, by_name(ir.errors, want.names.error).class_name)
        found.check("error docstring", error_class.__doc__, s)
        prompt_ir = by_name(ir.prompts, want.names.prompt)
        # Handler stubs and protocols carry names and descriptions in docstrings.
        prompt_stub = importlib.import_module(f"{pkg}.handlers.prompts.{prompt_ir.ident}")
        found.check(
            "prompt stub docstring",
            prompt_stub.__doc__,
            f"Handler of the {want.names.prompt} prompt.\n\n{s}",
        )
        template_ir = by_name(ir.templates, want.names.template)
        template_stub = importlib.import_module(
            f"{pkg}.handlers.resource_templates.{template_ir.ident}"
        )
        found.check(
            "template stub docstring",
            template_stub.__doc__,
            f"Handler of the {want.names.template} resource template ({want.uri_template}).",
        )
        resource_ir = by_name(ir.resources, want.names.resource_handler)
        resource_stub = importlib.import_module(f"{pkg}.handlers.resources.{resource_ir.ident}")
        found.check(
            "resource stub docstring",
            resource_stub.__doc__,
            f"Handler of the {want.names.resource_handler} resource ({want.uri_strict}).",
        )
        found.check(
            "resource protocol docstring",
            getattr(protocols, to_class_name(resource_ir.ident) + "ResourceHandler").__doc__,
            f"Reads the {want.names.resource_handler} resource.",
        )
        found.check(
            "template protocol docstring",
            getattr(protocols, template_ir.class_name + "TemplateHandler").__doc__,
            f"Reads resources of the {want.names.template} template.",
        )
        found.check(
            "prompt protocol docstring",
            getattr(protocols, prompt_ir.class_name + "PromptHandler").__doc__,
            f"Renders the {want.names.prompt} prompt.",
        )
    found.assert_none()


@pytest.mark.anyio
@pytest.mark.parametrize("key", KEYS)
async def test_text_round_trips_through_the_sdk_client(
    forge: Forge, load: Imports, key: str
) -> None:
    shared, server_tree = forge.trees(key)
    want = EXPECTED[key]
    s = want.text
    ir = shared.ir
    found = Mismatches()
    for mode in ERAS:
        with within(server_tree):
            async with Client(load(server_tree).build_server(), mode=mode) as client:
                found.check(f"[{mode}] instructions", client.instructions, s)
                info = client.server_info
                assert info is not None
                for field in ("version", "title", "description"):
                    found.check(f"[{mode}] server_info.{field}", getattr(info, field), s)
                found.check(f"[{mode}] server_info.website_url", info.website_url, website_url(s))

        with within(shared):
            async with Client(load(shared).build_server(), mode=mode) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}
                found.check(f"[{mode}] tool count", len(tools), 2 * len(KEYS))
                echo = tools[want.echo]
                found.check(f"[{mode}] tool title", echo.title, s)
                found.check(f"[{mode}] tool description", echo.description, s)
                found.check(
                    f"[{mode}] tool annotations.title",
                    echo.annotations.title if echo.annotations else None,
                    s,
                )
                found.check(f"[{mode}] fail tool description", tools[want.fail].description, s)
                schema = echo.input_schema
                found.check(
                    f"[{mode}] input schema == IR",
                    schema,
                    by_name(ir.tools, want.echo).input_schema,
                )
                props = schema.get("properties", {})
                text_prop = props.get("text", {})
                found.check(f"[{mode}] text.description", text_prop.get("description"), s)
                found.check(f"[{mode}] text.default", text_prop.get("default"), s)
                found.check(f"[{mode}] text.examples", text_prop.get("examples"), [s])
                choice = props.get("choice", {})
                found.check(f"[{mode}] choice.enum", choice.get("enum"), [s, "plain"])
                found.check(f"[{mode}] choice.default", choice.get("default"), s)
                found.check(f"[{mode}] fixed.const", props.get("fixed", {}).get("const"), s)
                nested = props.get("nested", {})
                found.check(f"[{mode}] nested.description", nested.get("description"), s)
                inner = nested.get("properties", {}).get("inner", {})
                found.check(f"[{mode}] nested.inner.description", inner.get("description"), s)
                found.check(f"[{mode}] nested.inner.default", inner.get("default"), s)
                defs = schema.get("$defs", {})
                hostile_def = defs.get(want.hostile_type, {})
                found.check(
                    f"[{mode}] $defs.{want.hostile_type}.description",
                    hostile_def.get("description"),
                    s,
                )
                found.check(
                    f"[{mode}] $defs.{want.hostile_type}.v.default",
                    hostile_def.get("properties", {}).get("v", {}).get("default"),
                    s,
                )
                enum_def = defs.get(want.enum_type, {})
                found.check(
                    f"[{mode}] $defs.{want.enum_type}.enum", enum_def.get("enum"), [s, "plain"]
                )
                found.check(
                    f"[{mode}] $defs.{want.enum_type}.description", enum_def.get("description"), s
                )

                # Defaults reach the handler; given values pass validation (enum, const).
                result = await client.call_tool(want.echo, {})
                assert not result.is_error, result.content
                echoed = json.loads(result.content[0].text)  # type: ignore[union-attr]
                found.check(f"[{mode}] echo default text", echoed.get("text"), s)
                found.check(f"[{mode}] echo default choice", echoed.get("choice"), s)
                result = await client.call_tool(want.echo, {"text": s, "choice": s, "fixed": s})
                assert not result.is_error, result.content
                echoed = json.loads(result.content[0].text)  # type: ignore[union-attr]
                found.check(f"[{mode}] echo given fixed", echoed.get("fixed"), s)

                # The declared error: message template rendered, structured error intact.
                result = await client.call_tool(want.fail, {"detail": s})
                found.check(f"[{mode}] fail is_error", result.is_error, True)
                found.check(
                    f"[{mode}] fail message",
                    result.content[0].text if result.content else None,  # type: ignore[union-attr]
                    want.rendered_message,
                )
                found.check(
                    f"[{mode}] fail structured",
                    result.structured_content,
                    {
                        "error": {
                            "type": want.names.error,
                            "code": -32001,
                            "message": want.rendered_message,
                            "data": {"detail": s},
                        }
                    },
                )

                resources = {r.uri: r for r in (await client.list_resources()).resources}
                found.check(f"[{mode}] resource count", len(resources), 2 * len(KEYS))
                for uri, name in (
                    (want.uri_odd, want.names.resource),
                    (want.uri_strict, want.names.resource_handler),
                ):
                    listed = resources.get(uri)
                    if listed is None:
                        found.check(f"[{mode}] resource {name!a} listed", sorted(resources), uri)
                        continue
                    found.check(f"[{mode}] resource {name!a} name", listed.name, name)
                    found.check(f"[{mode}] resource {name!a} title", listed.title, s)
                    found.check(f"[{mode}] resource {name!a} description", listed.description, s)
                found.check(
                    f"[{mode}] inline resource mime_type",
                    getattr(resources.get(want.uri_odd), "mime_type", None),
                    s[:NAME_LIMIT],
                )
                read = await client.read_resource(want.uri_odd)
                contents = read.contents[0]
                found.check(f"[{mode}] resource text read back", getattr(contents, "text", None), s)
                found.check(f"[{mode}] resource uri read back", contents.uri, want.uri_odd)
                found.check(f"[{mode}] resource mime read back", contents.mime_type, s[:NAME_LIMIT])
                # The handler-backed resource is still the stub: its message names it exactly.
                resource_ir = by_name(ir.resources, want.names.resource_handler)
                stub_path = f"src/{shared.package}/handlers/resources/{resource_ir.ident}.py"
                with pytest.raises(MCPError) as raised:
                    await client.read_resource(want.uri_strict)
                found.check(
                    f"[{mode}] stub resource message tail",
                    raised.value.error.message.endswith(
                        f"write the {want.names.resource_handler} resource in {stub_path}"
                    ),
                    True,
                )

                templates = (await client.list_resource_templates()).resource_templates
                found.check(f"[{mode}] template count", len(templates), len(KEYS))
                mine = [t for t in templates if t.uri_template == want.uri_template]
                found.check(f"[{mode}] templates of the key", len(mine), 1)
                for template in mine:
                    found.check(f"[{mode}] template name", template.name, want.names.template)
                    found.check(f"[{mode}] template title", template.title, s)
                    found.check(f"[{mode}] template description", template.description, s)
                    found.check(f"[{mode}] template mime_type", template.mime_type, s[:NAME_LIMIT])

                prompts = {p.name: p for p in (await client.list_prompts()).prompts}
                found.check(f"[{mode}] prompt count", len(prompts), len(KEYS))
                prompt = prompts.get(want.names.prompt)
                if prompt is None:
                    found.check(f"[{mode}] prompt listed", sorted(prompts), want.names.prompt)
                else:
                    found.check(f"[{mode}] prompt title", prompt.title, s)
                    found.check(f"[{mode}] prompt description", prompt.description, s)
                    found.check(
                        f"[{mode}] prompt argument description",
                        [a.description for a in prompt.arguments or []],
                        [s],
                    )
    found.assert_none()


@pytest.mark.parametrize("key", KEYS)
def test_pyproject_parses_and_round_trips(forge: Forge, key: str) -> None:
    """Spec text reaches pyproject.toml as TOML strings: it parses, and says what the spec says."""
    version_module = pytest.importorskip("packaging.version")
    tree = forge.server(key)
    project = tomllib.loads((tree.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"] == CORPUS[key]
    # The server version is free-form (as in MCP); the package's must be PEP 440.
    version_module.Version(project["version"])


# -- no evidence of execution ----------------------------------------------------------------


def _blank_strings(tree: ast.AST) -> ast.AST:
    """Every string constant blanked: what the code does, not what it says."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = "S"
    return tree


Lines = tuple[int, int]  # a node's first and last line


def _divergences(
    mine: ast.AST, theirs: ast.AST, outer: tuple[Lines, ...] = ()
) -> list[tuple[Lines, ...]]:
    """Each place where `mine` differs from `theirs` (both with their strings blanked), as
    the lines of the nodes that enclose it, outermost first."""
    first = getattr(mine, "lineno", None)
    if first is not None:
        outer = (*outer, (first, getattr(mine, "end_lineno", None) or first))
    if type(mine) is not type(theirs):
        return [outer]
    found = []
    for field, value in ast.iter_fields(mine):
        other = getattr(theirs, field)
        if isinstance(value, list) != isinstance(other, list):
            return [outer]
        if isinstance(value, list) and len(value) != len(other):
            return [outer]
        pairs = zip(value, other, strict=True) if isinstance(value, list) else [(value, other)]
        for a, b in pairs:
            if isinstance(a, ast.AST) and isinstance(b, ast.AST):
                found += _divergences(a, b, outer)
            elif type(a) is not type(b) or a != b:
                return [outer]
    return found


def shape_faults(hostile: Tree, control: Tree) -> list[Fault]:
    """Where the hostile tree's code differs from the control's, string constants aside.

    Each place is shown in the innermost code around it that names a key (the entry of a
    resource, a prompt, a class), so that it blames that entry's key; in the innermost code
    around it when none does, and by its file name alone when nothing smaller than the file
    encloses it.
    """

    def relative(tree: Tree) -> dict[str, Path]:
        return {
            p.relative_to(tree.root).as_posix().replace(tree.package, "PKG"): p
            for p in tree.python_files()
        }

    files, control_files = relative(hostile), relative(control)
    faults = [Fault(f"{name}: only in one tree", name) for name in files.keys() ^ control_files]
    for name in sorted(files.keys() & control_files):
        source = files[name].read_text(encoding="utf-8").replace(hostile.package, "PKG")
        control_source = control_files[name].read_text(encoding="utf-8")
        control_source = control_source.replace(control.package, "PKG")
        if source == control_source:  # the vendored runtime, most handler packages
            continue
        mine, theirs = _blank_strings(ast.parse(source)), _blank_strings(ast.parse(control_source))
        if ast.dump(mine) == ast.dump(theirs):
            continue
        lines = source.split("\n")
        for enclosing in _divergences(mine, theirs) or [()]:
            shown = [
                (f"{name}:{first}-{last}", name + "\n" + "\n".join(lines[first - 1 : last]))
                for first, last in reversed(enclosing)
            ]
            keyed = [(where, text) for where, text in shown if _named(text)]
            faults.append(Fault(*(keyed or shown or [(name, name)])[0]))
    return faults


class Shapes:
    """The shape faults of the shared tree and of each server tree, found once."""

    def __init__(self, forge: Forge) -> None:
        self.forge = forge
        self._found: dict[str, list[Fault]] = {}

    def __call__(self, tree: Tree) -> list[Fault]:
        if tree.package not in self._found:
            control = (
                self.forge.shared_control()
                if tree is self.forge.shared()
                else self.forge.server_control()
            )
            self._found[tree.package] = shape_faults(tree, control)
        return self._found[tree.package]


@pytest.fixture(scope="module")
def shapes(forge: Forge) -> Shapes:
    return Shapes(forge)


@pytest.mark.parametrize("key", KEYS)
def test_hostile_text_changes_only_string_constants(forge: Forge, shapes: Shapes, key: str) -> None:
    """Same code as a benign spec's, constant for constant: nothing was injected."""
    hostile, control = forge.shared(), forge.shared_control()
    for kind in ("tools", "resources", "templates", "prompts", "errors"):
        idents = [getattr(x, "ident", None) or x.class_name for x in getattr(hostile.ir, kind)]
        control_idents = [
            getattr(x, "ident", None) or x.class_name for x in getattr(control.ir, kind)
        ]
        assert idents == control_idents, f"test setup: control {kind} names diverge"
    assert_no_faults(key, forge, shapes)


@pytest.mark.parametrize("key", KEYS)
def test_no_evidence_of_executed_injection(forge: Forge, load: Imports, key: str) -> None:
    for tree in forge.trees(key):
        with within(tree):
            assert load(tree).build_server() is not None
        sentinels = [p for p in tree.sandbox.rglob(SENTINEL_FILE)]
        assert not sentinels, f"an injected command ran: {sentinels}"
    assert not (Path.cwd() / SENTINEL_FILE).exists()
    assert_no_faults(key, forge, lambda tree: tree.evaluated_faults)


@pytest.mark.parametrize("key", KEYS)
def test_sources_hold_no_raw_control_or_bidi_characters(forge: Forge, key: str) -> None:
    """Spec text reaches source only escaped: no terminal escapes or Trojan-Source reordering."""
    assert_no_faults(key, forge, lambda tree: tree.raw_character_faults)


# -- static checks and the project's own tests (slow) ----------------------------------------

# The shared tree, and each key's server tree.
TREES = ["shared", *KEYS]


def _tree(forge: Forge, name: str) -> Tree:
    return forge.shared() if name == "shared" else forge.server(name)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**os.environ, **env},
        check=False,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", TREES)
def test_ruff_passes_with_the_projects_own_config(forge: Forge, name: str) -> None:
    tree = _tree(forge, name)
    ruff = _ruff()
    # RUF200 on pyproject.toml itself: see test_free_form_server_version_gives_a_valid_pyproject.
    lint = _run([ruff, "check", "--no-cache", "src", "tests"], tree.root)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = _run([ruff, "format", "--check", "--no-cache", "src", "tests"], tree.root)
    assert layout.returncode == 0, layout.stdout + layout.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", TREES)
def test_mypy_strict_passes(forge: Forge, name: str, mypy_cache: Path) -> None:
    tree = _tree(forge, name)
    done = _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(mypy_cache), "src", "tests"],
        tree.root,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", TREES)
def test_generated_projects_own_tests_pass(forge: Forge, name: str) -> None:
    tree = _tree(forge, name)
    done = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        tree.root,
        PYTHONPATH=str(tree.root / "src"),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert not list(tree.sandbox.rglob(SENTINEL_FILE))


# -- hostile inputs outside the text fields --------------------------------------------------


def _run_cli(args: list[str], cwd: Path) -> Any:
    with contextlib.chdir(cwd):
        return CliRunner().invoke(mcpgen_cli, args, catch_exceptions=True)


def _failed_cleanly(result: Any) -> bool:
    """Exit 1 with diagnostics, not an uncaught exception."""
    return result.exit_code == 1 and isinstance(result.exception, (SystemExit, type(None)))


def test_hostile_spec_file_name(tmp_path: Path) -> None:
    """The spec's file name reaches a `#` comment in every header; it must stay a comment."""
    name = "evil\"\"\"'''{{ 7*7 }}\\\n# \u202e{% if %}.json"
    spec = tmp_path / name
    spec.write_text(json.dumps({"server": {"name": "named", "package": "named_pkg"}}), "utf-8")
    root = tmp_path / "out"
    result = _run_cli(["generate", str(spec), "-o", str(root)], tmp_path)
    assert result.exit_code == 0, result.output
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        compile(text, str(path), "exec", dont_inherit=True)
        if text.startswith("# Generated by mcpgen"):
            first, second = text.splitlines()[:2]
            assert first.startswith("# Generated by mcpgen") and "{{" in first
            assert second.startswith("# DO NOT EDIT")
            assert "\u202e" not in first


def test_very_long_names_are_reported_or_work(tmp_path: Path) -> None:
    long_name = "very long prompt name " * 20  # 440 characters, ~350 in the identifier
    spec = {
        "server": {"name": "longnames", "package": "longnames_pkg"},
        "prompts": [{"name": long_name, "description": "d"}],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = _run_cli(["generate", str(path), "-o", str(tmp_path / "out")], tmp_path)
    if result.exit_code == 0:
        for file in (tmp_path / "out").rglob("*.py"):
            compile(file.read_bytes(), str(file), "exec", dont_inherit=True)
    else:
        assert _failed_cleanly(result), repr(result.exception)
        assert "Traceback" not in result.output


def test_lone_surrogate_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(
        '{"server": {"name": "sur", "package": "sur_pkg", "description": "x\\ud800y"}}',
        encoding="utf-8",
    )
    result = _run_cli(["generate", str(path), "-o", str(tmp_path / "out")], tmp_path)
    assert _failed_cleanly(result), repr(result.exception)
    assert "server" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2025-01-15", 'say """hi"""'])
def test_free_form_server_version_gives_a_valid_pyproject(tmp_path: Path, version: str) -> None:
    path = tmp_path / "spec.json"
    path.write_text(
        json.dumps({"server": {"name": "ver", "package": "ver_pkg", "version": version}}),
        encoding="utf-8",
    )
    root = tmp_path / "out"
    result = _run_cli(["generate", str(path), "-o", str(root)], tmp_path)
    if result.exit_code != 0:  # refusing the version with a diagnostic is fine too
        assert _failed_cleanly(result) and "version" in result.output
        return
    done = _run([_ruff(), "check", "--no-cache", "pyproject.toml"], root)
    assert done.returncode == 0, done.stdout + done.stderr
