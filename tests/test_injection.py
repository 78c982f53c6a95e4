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
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import subprocess
import sys
import tomllib
import types
import typing
import unicodedata
import urllib.parse
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.cli import main as mcpgen_cli
from mcpgen.ir import SpecIR
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


# -- the spec --------------------------------------------------------------------------------


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
    def hostile(cls, text: str) -> Names:
        name = text[:NAME_LIMIT]
        return cls(name, name + " 2", name, name, "Boom " + name)

    def control(self) -> Names:
        """Benign names that make the same Python identifiers and class names.

        A name's words (letters and digits only) convert exactly as the name does, even
        where a long name is shortened with a hash.
        """
        return Names(
            " ".join(words(self.resource)) or "resource",
            " ".join(words(self.resource_handler)) or "resource",
            " ".join(words(self.template)) or "template",
            " ".join(words(self.prompt)) or "prompt",
            " ".join(words(self.error)) or "item",
        )


@dataclass(frozen=True)
class Expected:
    text: str
    names: Names
    uri_odd: str
    uri_strict: str
    website_url: str
    message: str
    rendered_message: str


def build_spec(text: str, names: Names, package: str) -> tuple[dict[str, Any], Expected]:
    short = text[:300]
    uri_odd = "hostile+odd.v1://host:1/raw/" + _odd_uri_part(short) + "?q='x'#frag"
    uri_strict = "hostile://r/" + urllib.parse.quote(short, safe="!$&'()*+,;=:@") + "/strict"
    website_url = "https://example.test/" + _odd_uri_part(short)
    escaped = text.replace("{", "{{").replace("}", "}}")
    message = escaped + " :: {detail}"
    spec: dict[str, Any] = {
        "server": {
            "name": "hostile",
            "package": package,
            "version": text,
            "title": text,
            "description": text,
            "instructions": text,
            "website_url": website_url,
        },
        "types": {
            "Hostile": {
                "type": "object",
                "description": text,
                "properties": {"v": {"type": "string", "description": text, "default": text}},
            },
            "HostileEnum": {"type": "string", "enum": [text, "plain"], "description": text},
        },
        "errors": {
            names.error: {
                "code": -32001,
                "message": message,
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
                "name": "echo",
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
                        "ref": {"$ref": "#/types/Hostile"},
                        "unit": {"$ref": "#/types/HostileEnum"},
                    },
                },
                "examples": [{"text": text, "choice": text, "fixed": text}],
            },
            {
                "name": "fail",
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
                "uri_template": "hostile://t/{id}",
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
    expected = Expected(
        text=text,
        names=names,
        uri_odd=uri_odd,
        uri_strict=uri_strict,
        website_url=website_url,
        message=message,
        rendered_message=text + " :: " + text,
    )
    return spec, expected


# -- generating ------------------------------------------------------------------------------

ECHO_HANDLER = '''\
"""Test handler: echoes the validated arguments as JSON."""

from __future__ import annotations

import json

from {pkg}._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> runtime.ToolReturn:
    return json.dumps(args.model_dump(mode="json", by_alias=True), ensure_ascii=False)
'''

FAIL_HANDLER = '''\
"""Test handler: raises the declared error with the given detail."""

from __future__ import annotations

from {pkg}._generated import models, runtime
from {pkg}._generated.errors import {error}


async def fail(ctx: runtime.Context, args: models.FailInput) -> runtime.ToolReturn:
    raise {error}(models.{data}(detail=args.detail))
'''


@dataclass(frozen=True)
class Tree:
    key: str
    sandbox: Path  # the working directory of generation and import
    root: Path
    package: str
    ir: SpecIR
    expected: Expected

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def python_files(self) -> list[Path]:
        return [p for p in self.files() if p.suffix == ".py"]


def generate(sandbox: Path, text: str, names: Names, package: str, key: str) -> Tree:
    sandbox.mkdir(parents=True)
    spec, expected = build_spec(text, names, package)
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
    error = ir.errors[0]
    handlers = root / "src" / package / "handlers" / "tools"
    (handlers / "echo.py").write_text(ECHO_HANDLER.format(pkg=package), encoding="utf-8")
    (handlers / "fail.py").write_text(
        FAIL_HANDLER.format(pkg=package, error=error.class_name, data=error.data_model),
        encoding="utf-8",
    )
    _tidy([handlers / "echo.py", handlers / "fail.py"])
    return Tree(key, sandbox, root, package, ir, expected)


def _tidy(files: list[Path]) -> None:
    """Lay out our handlers as the project's ruff would (long generated names wrap)."""
    ruff = _ruff()
    names = [str(f) for f in files]
    options = ["--isolated", "--no-cache", "--line-length", "100", "--target-version", "py311"]
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([ruff, *command, *options, *names], check=True, capture_output=True)


class Forge:
    """Generates each corpus entry's tree (and its benign control) once, on first use."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._trees: dict[tuple[str, bool], Tree | Exception] = {}

    def _get(self, key: str, control: bool) -> Tree:
        if (key, control) not in self._trees:
            text = CORPUS[key]
            names = Names.hostile(text)
            if control:
                text, names = CONTROL_TEXT, names.control()
            package = f"inj_{key}_{'c' if control else 'h'}_{uuid.uuid4().hex[:8]}"
            sandbox = self.base / f"{key}-{'control' if control else 'hostile'}"
            try:
                self._trees[key, control] = generate(sandbox, text, names, package, key)
            except Exception as error:  # remember it: every test of the key reports it
                self._trees[key, control] = error
        found = self._trees[key, control]
        if isinstance(found, Exception):
            raise found
        return found

    def hostile(self, key: str) -> Tree:
        return self._get(key, control=False)

    def control(self, key: str) -> Tree:
        return self._get(key, control=True)


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Forge:
    return Forge(tmp_path_factory.mktemp("injection"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.contextmanager
def imported(tree: Tree) -> Iterator[types.ModuleType]:
    """Import the generated package from its src folder, and forget it afterwards."""
    src = str(tree.root / "src")
    sys.path.insert(0, src)
    previous = Path.cwd()
    os.chdir(tree.sandbox)
    try:
        yield importlib.import_module(tree.package)
    finally:
        os.chdir(previous)
        sys.path.remove(src)
        for name in [
            m for m in sys.modules if m == tree.package or m.startswith(tree.package + ".")
        ]:
            del sys.modules[name]
        importlib.invalidate_caches()


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


# -- compiles --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_every_generated_python_file_compiles(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
    files = tree.python_files()
    assert len(files) >= 15, [p.relative_to(tree.root).as_posix() for p in files]
    for path in files:
        source = path.read_bytes()
        with warnings.catch_warnings():
            # An invalid escape sequence (`\N`, `\d`) is a SyntaxWarning/DeprecationWarning.
            warnings.simplefilter("error")
            compile(source, str(path), "exec", dont_inherit=True)


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_text_round_trips_in_the_generated_python(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
    want = tree.expected
    s = want.text
    ir = tree.ir
    found = Mismatches()
    with imported(tree) as package:
        pkg = tree.package
        generated = importlib.import_module(f"{pkg}._generated")
        server = importlib.import_module(f"{pkg}._generated.server")
        models = importlib.import_module(f"{pkg}._generated.models")
        errors = importlib.import_module(f"{pkg}._generated.errors")
        assert generated.__doc__ is not None

        found.check("package __version__", package.__version__, s)
        for field in ("version", "title", "description", "instructions"):
            found.check(f"INFO.{field}", getattr(server.INFO, field), s)
        found.check("INFO.website_url", server.INFO.website_url, want.website_url)

        error_ir = ir.errors[0]
        error_class = getattr(errors, error_ir.class_name)
        found.check("error message_template", error_class.message_template, want.message)
        found.check("error error_type", error_class.error_type, want.names.error)
        data_class = getattr(models, str(error_ir.data_model))
        raised = error_class(data_class(detail=s))
        found.check("error message rendered", raised.message, want.rendered_message)
        found.check("error data description", data_class.model_fields["detail"].description, s)

        echo = models.EchoInput.model_fields
        for field in ("text", "choice", "fixed", "nested"):
            found.check(f"EchoInput.{field} description", echo[field].description, s)
        found.check("EchoInput.text default", echo["text"].default, s)
        found.check("EchoInput.text examples", echo["text"].examples, [s])
        found.check("EchoInput.choice default", echo["choice"].default, s)
        found.check(
            "EchoInput.choice Literal", typing.get_args(echo["choice"].annotation), (s, "plain")
        )
        fixed = [a for a in typing.get_args(echo["fixed"].annotation) if a is not type(None)]
        found.check("EchoInput.fixed Literal", [typing.get_args(a) for a in fixed], [(s,)])
        inner = models.EchoInputNested.model_fields["inner"]
        found.check("EchoInputNested.inner description", inner.description, s)
        found.check("EchoInputNested.inner default", inner.default, s)
        hostile = models.Hostile.model_fields["v"]
        found.check("Hostile.v description", hostile.description, s)
        found.check("Hostile.v default", hostile.default, s)
        prompt_ir = ir.prompts[0]
        arguments = getattr(models, prompt_ir.arguments_model).model_fields["topic"]
        found.check("prompt argument description", arguments.description, s)
    found.assert_none()


# Docstrings are prose: ruff's formatter re-indents them and trims edge whitespace, so they
# are compared with whitespace folded. The exact text lives in the data literals (above).
@pytest.mark.parametrize("key", KEYS)
def test_docstrings_carry_the_spec_text(forge: Forge, key: str) -> None:
    """Docstrings made by mcpgen's own templates (not the models') hold the spec text."""
    tree = forge.hostile(key)
    want = tree.expected
    s = want.text
    ir = tree.ir
    found = Mismatches(prose=True)
    with imported(tree) as package:
        pkg = tree.package
        errors = importlib.import_module(f"{pkg}._generated.errors")
        protocols = importlib.import_module(f"{pkg}._generated.protocols")
        found.check(
            "package docstring", package.__doc__, f"{s}: an MCP server generated by mcpgen."
        )
        found.check("error docstring", getattr(errors, ir.errors[0].class_name).__doc__, s)
        prompt_ir = ir.prompts[0]
        # Handler stubs and protocols carry names and descriptions in docstrings.
        prompt_stub = importlib.import_module(f"{pkg}.handlers.prompts.{prompt_ir.ident}")
        found.check(
            "prompt stub docstring",
            prompt_stub.__doc__,
            f"Handler of the {want.names.prompt} prompt.\n\n{s}",
        )
        template_ir = ir.templates[0]
        template_stub = importlib.import_module(
            f"{pkg}.handlers.resource_templates.{template_ir.ident}"
        )
        found.check(
            "template stub docstring",
            template_stub.__doc__,
            f"Handler of the {want.names.template} resource template (hostile://t/{{id}}).",
        )
        resource_ir = next(r for r in ir.resources if r.text is None)
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
async def test_text_round_trips_through_the_sdk_client(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
    want = tree.expected
    s = want.text
    ir = tree.ir
    found = Mismatches()
    with imported(tree) as package:
        for mode in ERAS:
            async with Client(package.build_server(), mode=mode) as client:
                found.check(f"[{mode}] instructions", client.instructions, s)
                info = client.server_info
                assert info is not None
                for field in ("version", "title", "description"):
                    found.check(f"[{mode}] server_info.{field}", getattr(info, field), s)
                found.check(f"[{mode}] server_info.website_url", info.website_url, want.website_url)

                tools = {t.name: t for t in (await client.list_tools()).tools}
                echo = tools["echo"]
                found.check(f"[{mode}] tool title", echo.title, s)
                found.check(f"[{mode}] tool description", echo.description, s)
                found.check(
                    f"[{mode}] tool annotations.title",
                    echo.annotations.title if echo.annotations else None,
                    s,
                )
                found.check(f"[{mode}] fail tool description", tools["fail"].description, s)
                schema = echo.input_schema
                found.check(f"[{mode}] input schema == IR", schema, ir.tools[0].input_schema)
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
                found.check(
                    f"[{mode}] $defs.Hostile.description",
                    defs.get("Hostile", {}).get("description"),
                    s,
                )
                found.check(
                    f"[{mode}] $defs.Hostile.v.default",
                    defs.get("Hostile", {}).get("properties", {}).get("v", {}).get("default"),
                    s,
                )
                enum_def = defs.get("HostileEnum", {})
                found.check(f"[{mode}] $defs.HostileEnum.enum", enum_def.get("enum"), [s, "plain"])
                found.check(
                    f"[{mode}] $defs.HostileEnum.description", enum_def.get("description"), s
                )

                # Defaults reach the handler; given values pass validation (enum, const).
                result = await client.call_tool("echo", {})
                assert not result.is_error, result.content
                echoed = json.loads(result.content[0].text)  # type: ignore[union-attr]
                found.check(f"[{mode}] echo default text", echoed.get("text"), s)
                found.check(f"[{mode}] echo default choice", echoed.get("choice"), s)
                result = await client.call_tool("echo", {"text": s, "choice": s, "fixed": s})
                assert not result.is_error, result.content
                echoed = json.loads(result.content[0].text)  # type: ignore[union-attr]
                found.check(f"[{mode}] echo given fixed", echoed.get("fixed"), s)

                # The declared error: message template rendered, structured error intact.
                result = await client.call_tool("fail", {"detail": s})
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
                found.check(
                    f"[{mode}] resource URIs",
                    sorted(resources),
                    sorted([want.uri_odd, want.uri_strict]),
                )
                for uri, name in (
                    (want.uri_odd, want.names.resource),
                    (want.uri_strict, want.names.resource_handler),
                ):
                    listed = resources.get(uri)
                    if listed is None:
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
                resource_ir = next(r for r in ir.resources if r.text is None)
                stub_path = f"src/{tree.package}/handlers/resources/{resource_ir.ident}.py"
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
                found.check(f"[{mode}] template count", len(templates), 1)
                for template in templates:
                    found.check(f"[{mode}] template name", template.name, want.names.template)
                    found.check(f"[{mode}] template title", template.title, s)
                    found.check(f"[{mode}] template description", template.description, s)
                    found.check(f"[{mode}] template mime_type", template.mime_type, s[:NAME_LIMIT])

                prompts = (await client.list_prompts()).prompts
                found.check(f"[{mode}] prompt count", len(prompts), 1)
                for prompt in prompts:
                    found.check(f"[{mode}] prompt name", prompt.name, want.names.prompt)
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
    tree = forge.hostile(key)
    project = tomllib.loads((tree.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"] == tree.expected.text
    # The server version is free-form (as in MCP); the package's must be PEP 440.
    version_module.Version(project["version"])


# -- no evidence of execution ----------------------------------------------------------------


def _shape(source: str) -> str:
    """The AST with every string constant blanked: what the code does, not what it says."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = "S"
    return ast.dump(tree, include_attributes=False)


@pytest.mark.parametrize("key", KEYS)
def test_hostile_text_changes_only_string_constants(forge: Forge, key: str) -> None:
    """Same code as a benign spec's, constant for constant: nothing was injected."""
    hostile, control = forge.hostile(key), forge.control(key)
    for kind in ("resources", "templates", "prompts", "errors"):
        idents = [getattr(x, "ident", None) or x.class_name for x in getattr(hostile.ir, kind)]
        control_idents = [
            getattr(x, "ident", None) or x.class_name for x in getattr(control.ir, kind)
        ]
        assert idents == control_idents, f"test setup: control {kind} names diverge"

    def relative(tree: Tree) -> dict[str, Path]:
        return {
            p.relative_to(tree.root).as_posix().replace(tree.package, "PKG"): p
            for p in tree.python_files()
        }

    files, control_files = relative(hostile), relative(control)
    assert sorted(files) == sorted(control_files)
    differ = []
    for name, path in files.items():
        mine = _shape(path.read_text(encoding="utf-8").replace(hostile.package, "PKG"))
        theirs = _shape(
            control_files[name].read_text(encoding="utf-8").replace(control.package, "PKG")
        )
        if mine != theirs:
            differ.append(name)
    assert not differ, f"generated code differs in shape from the control's: {differ}"


@pytest.mark.parametrize("key", KEYS)
def test_no_evidence_of_executed_injection(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
    with imported(tree) as package:
        server = package.build_server()
        assert server is not None
    sentinels = [p for p in tree.sandbox.rglob(SENTINEL_FILE)]
    assert not sentinels, f"an injected command ran: {sentinels}"
    assert not (Path.cwd() / SENTINEL_FILE).exists()
    evaluated = [
        p.relative_to(tree.root).as_posix()
        for p in tree.files()
        if SENTINEL_TEXT in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not evaluated, f"a Jinja expression from the spec was evaluated into {evaluated}"


_BIDI_AND_LINE_BREAKS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff\x85"
)


@pytest.mark.parametrize("key", KEYS)
def test_sources_hold_no_raw_control_or_bidi_characters(forge: Forge, key: str) -> None:
    """Spec text reaches source only escaped: no terminal escapes or Trojan-Source reordering."""
    tree = forge.hostile(key)
    bad: dict[str, list[str]] = {}
    for path in tree.python_files():
        chars = {
            c
            for c in path.read_text(encoding="utf-8")
            if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _BIDI_AND_LINE_BREAKS
        }
        if chars:
            bad[path.relative_to(tree.root).as_posix()] = sorted(f"U+{ord(c):04X}" for c in chars)
    assert not bad, bad


# -- static checks and the project's own tests (slow) ----------------------------------------


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
@pytest.mark.parametrize("key", KEYS)
def test_ruff_passes_with_the_projects_own_config(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
    ruff = _ruff()
    # RUF200 on pyproject.toml itself: see test_free_form_server_version_gives_a_valid_pyproject.
    lint = _run([ruff, "check", "--no-cache", "src", "tests"], tree.root)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = _run([ruff, "format", "--check", "--no-cache", "src", "tests"], tree.root)
    assert layout.returncode == 0, layout.stdout + layout.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_mypy_strict_passes(forge: Forge, key: str, mypy_cache: Path) -> None:
    tree = forge.hostile(key)
    done = _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(mypy_cache), "src", "tests"],
        tree.root,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_generated_projects_own_tests_pass(forge: Forge, key: str) -> None:
    tree = forge.hostile(key)
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
