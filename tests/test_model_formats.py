"""Formats: whatever the advertised schema accepts reaches the handler as sent, and whatever
the handler returns leaves the server as it was returned.

A `format` is an annotation (JSON Schema 2020-12 asserts none by default, and neither does
the generated server's argument check), so a schema with `format = "uri"` accepts every
string. The model generator's default types for formats accept far fewer and change what
they accept: `AnyUrl` adds a trailing slash, `UUID` lower-cases, datetimes re-spell their
offsets, a `date` accepts a date-time and drops its time, `EmailStr` needs email-validator
(which a generated server does not depend on), `ULID` needs python-ulid, and
`{type = "integer", format = "date-time"}` became a datetime that no integer fits. So a
model's type follows the JSON type alone (`str`, `int`, `float`), and so does every other
keyword the model would judge otherwise than the schema's own judge: `pattern` (JSON Schema's
is ECMA-262's, which pydantic's Rust regex is not: it refuses a lookahead such as
`^(?!-)\\d+$` when the class is built) and `patternProperties` (typed keys that refuse every
other key).

Each value below goes through a real generated server and the SDK client, both ways: as
arguments to `echo`, whose handler returns what it received and says which Python types it
got; and as a JSON payload that `produce`'s handler turns into its result model. Hypothesis
draws well-formed values in every spelling the format's standard allows, and arbitrary
text, which the schema accepts just as well.
"""

from __future__ import annotations

import base64
import importlib
import json
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains, urls
from mcpgen.cli import main

# Every format the model generator knows (its own table, and OpenAPI's), by JSON type.
STRING_FORMATS = (
    "date-time",
    "date",
    "time",
    "duration",
    "date-time-local",
    "time-local",
    "timestamp with time zone",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "ipv4-network",
    "ipv6-network",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "uuid",
    "uuid4",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "byte",
    "binary",
    "password",
    "path",
    "ulid",
    "decimal",
    "integer",
    "unixtime",
)
INTEGER_FORMATS = ("int32", "int64", "date-time", "unix-time", "unixtime")
NUMBER_FORMATS = ("float", "double", "decimal", "date-time", "time", "time-delta", "unixtime")


def _name(kind: str, fmt: str) -> str:
    return f"{kind}_{''.join(c if c.isalnum() else '_' for c in fmt)}"


PROPERTIES = {
    **{_name("s", f): {"type": "string", "format": f} for f in STRING_FORMATS},
    **{_name("i", f): {"type": "integer", "format": f} for f in INTEGER_FORMATS},
    **{_name("n", f): {"type": "number", "format": f} for f in NUMBER_FORMATS},
    # The other keywords a model would judge otherwise than the schema's judge.
    "s_pattern": {"type": "string", "pattern": "^(?!-)\\d+$"},
    # ECMA-262's, which Python's `re` cannot read: a client that checks results with
    # jsonschema (the SDK's) refused every result of a tool whose output schema has one.
    "s_letters": {"type": "string", "pattern": "^\\p{L}+$"},
    "o_pattern_properties": {"type": "object", "patternProperties": {"^x-": {"type": "integer"}}},
}

SPEC = {
    "server": {"name": "formats"},
    "types": {"Values": {"type": "object", "properties": PROPERTIES}},
    "tools": [
        {
            "name": "echo",
            "input": {
                "type": "object",
                "required": ["values"],
                "properties": {"values": {"$ref": "#/types/Values"}},
            },
            "output": {
                "type": "object",
                "required": ["values", "types"],
                "properties": {
                    "values": {"$ref": "#/types/Values"},
                    "types": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
        {
            "name": "produce",
            "input": {
                "type": "object",
                "required": ["payload"],
                "properties": {"payload": {"type": "string"}},
            },
            "output": {"$ref": "#/types/Values"},
        },
    ],
    # A template's parameters have no advertised schema: their model parses the URI's text.
    "resource_templates": [
        {
            "uri_template": "formats://day/{day}/{code}/{ulid}",
            "name": "day",
            "params": {
                "day": {"type": "string", "format": "date"},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "ulid": {"type": "string", "format": "ulid"},
            },
        }
    ],
}

DAY = """\
from __future__ import annotations

from formats._generated import models, runtime


async def day(ctx: runtime.Context, params: models.DayParams) -> runtime.ResourceReturn:
    return f"{type(params.day).__name__} {params.day.isoformat()} {params.code} {params.ulid}"
"""

ECHO = """\
from __future__ import annotations

from formats._generated import models, runtime


async def echo(ctx: runtime.Context, args: models.EchoInput) -> models.EchoOutput:
    given = args.values
    types = {name: type(getattr(given, name)).__name__ for name in given.model_fields_set}
    return models.EchoOutput(values=given, types=types)
"""

PRODUCE = """\
from __future__ import annotations

import json

from formats._generated import models, runtime


async def produce(ctx: runtime.Context, args: models.ProduceInput) -> models.Values:
    return models.Values.model_validate(json.loads(args.payload))
"""


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, with the two handlers, imported in this process."""
    folder = tmp_path_factory.mktemp("formats")
    spec = folder / "formats.json"
    spec.write_text(json.dumps(SPEC, indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(spec), "-o", str(folder / "out")])
    assert result.exit_code == 0, result.output
    src = folder / "out" / "src"
    tools = src / "formats" / "handlers" / "tools"
    (tools / "echo.py").write_text(ECHO, encoding="utf-8")
    (tools / "produce.py").write_text(PRODUCE, encoding="utf-8")
    templates = src / "formats" / "handlers" / "resource_templates"
    (templates / "day.py").write_text(DAY, encoding="utf-8")
    sys.path.insert(0, str(src))
    # As a server installed with mcp and pydantic only: no email-validator, no python-ulid.
    hidden = {name: sys.modules.get(name) for name in ("email_validator", "ulid")}
    sys.modules.update(dict.fromkeys(hidden))
    try:
        yield importlib.import_module("formats")
    finally:
        sys.path.remove(str(src))
        for name, module in hidden.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module
        for name in [m for m in sys.modules if m.split(".")[0] == "formats"]:
            del sys.modules[name]


# -- values --------------------------------------------------------------------------------

_OFFSETS = st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:30", "-12:00", "+14:00"])
_FRACTIONS = st.one_of(st.just(""), st.from_regex(r"\A\.[0-9]{1,9}\Z"))
_TIMES = st.builds(
    lambda t, fraction, offset: f"{t:%H:%M:%S}{fraction}{offset}",
    st.times(),
    _FRACTIONS,
    _OFFSETS,
)
_DATE_TIMES = st.builds(
    lambda d, separator, time: f"{d:%Y-%m-%d}{separator}{time}",
    st.dates(),
    st.sampled_from(["T", "t", " "]),
    _TIMES,
)
_DURATIONS = st.from_regex(
    r"\AP(?:[0-9]+W|(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?)\Z"
).filter(lambda text: text not in ("P", "PT") and not text.endswith("T"))
_IPV6 = st.ip_addresses(v=6).flatmap(
    lambda address: st.sampled_from(
        [str(address), address.exploded, address.exploded.upper(), str(address).upper()]
    )
)
_UUIDS = st.uuids().flatmap(
    lambda value: st.sampled_from([str(value), str(value).upper(), f"{value}".replace("a", "A")])
)
_URLS = st.one_of(
    urls(),
    urls().map(lambda url: url.rstrip("/")),
    st.sampled_from(["urn:isbn:0451450523", "mailto:ada@example.com", "HTTPS://EXAMPLE.COM"]),
)
_RELATIVE = st.sampled_from(["../a/b?c=d#e", "a", "/a b", "?q", "#frag", "//host/path", ""])
_POINTERS = st.lists(
    st.text(alphabet=string.ascii_letters + "~/", max_size=6).map(
        lambda part: part.replace("~", "~0").replace("/", "~1")
    ),
    max_size=4,
).map(lambda parts: "".join("/" + part for part in parts))
_WELL_FORMED: dict[str, st.SearchStrategy[str]] = {
    "date-time": _DATE_TIMES,
    "timestamp with time zone": _DATE_TIMES,
    "date-time-local": _DATE_TIMES.map(lambda text: text[:19]),
    "date": st.dates().map(lambda d: d.isoformat()),
    "time": _TIMES,
    "time-local": _TIMES.map(lambda text: text[:8]),
    "duration": _DURATIONS,
    "email": st.emails(),
    "idn-email": st.emails().map(lambda email: "ü" + email),
    "hostname": domains(),
    "idn-hostname": domains().map(lambda domain: "bücher." + domain),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": _IPV6,
    "ipv4-network": st.sampled_from(["192.0.2.0/24", "10.0.0.0/8", "192.0.2.1/32"]),
    "ipv6-network": st.sampled_from(["2001:DB8::/32", "::/0"]),
    "uri": _URLS,
    "iri": _URLS.map(lambda url: url + "ünï"),
    "uri-reference": st.one_of(_URLS, _RELATIVE),
    "iri-reference": st.one_of(_URLS, _RELATIVE),
    "uri-template": st.sampled_from(["https://example.com/{id}", "/items{?page,size}"]),
    "uuid": _UUIDS,
    "uuid4": _UUIDS,
    "json-pointer": _POINTERS,
    "relative-json-pointer": st.sampled_from(["0", "1/a", "2#"]),
    "regex": st.sampled_from(["^a+$", "\\p{L}", "(?<year>\\d{4})", "[", ""]),
    "byte": st.binary().map(lambda data: base64.b64encode(data).decode()),
    "path": st.sampled_from(["a/b/", "./x", "/abs//path", "C:\\dir"]),
    "ulid": st.sampled_from(["01ARZ3NDEKTSV4RRFFQ69G5FAV", "01arz3ndektsv4rrffq69g5fav"]),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False).map(str),
    "integer": st.integers().map(str),
    "unixtime": st.integers(0, 2**40).map(str),
}
_I_JSON = st.one_of(st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False))
_INTEGER_RANGE = {"int32": st.integers(-(2**31), 2**31 - 1)}


def _value(kind: str, fmt: str) -> st.SearchStrategy[Any]:
    if kind == "s":
        return st.one_of(_WELL_FORMED.get(fmt, st.nothing()), st.text())
    if kind == "i":
        return _INTEGER_RANGE.get(fmt, st.integers(-(2**63), 2**63 - 1))
    return _I_JSON  # a JSON number, within what any JSON parser reads exactly (RFC 7493)


VALUES = st.fixed_dictionaries(
    {},
    optional={
        **{_name("s", f): _value("s", f) for f in STRING_FORMATS},
        **{_name("i", f): _value("i", f) for f in INTEGER_FORMATS},
        **{_name("n", f): _value("n", f) for f in NUMBER_FORMATS},
        "s_pattern": st.sampled_from(["12", "007"]),
        "s_letters": st.sampled_from(["école", "Ωmega"]),
        "o_pattern_properties": st.dictionaries(
            st.sampled_from(["x-a", "x-b", "other"]),
            st.integers(),
            max_size=3,
        ).filter(lambda d: all(isinstance(v, int) for k, v in d.items() if k.startswith("x-"))),
    },
)

_PYTHON_TYPES = {"s": {"str"}, "i": {"int"}, "n": {"float"}, "o": {"dict"}}


# Each example a fresh connection to the in-process server: a few hundredths of a second.
MANY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _call(package: ModuleType, tool: str, arguments: dict[str, Any]) -> Any:
    from mcp.client import Client

    async def call() -> Any:
        async with Client(package.build_server()) as client:
            return await client.call_tool(tool, arguments)

    return anyio.run(call)


@pytest.mark.slow
@MANY
@given(values=VALUES)
def test_arguments_reach_the_handler_as_sent(formats: ModuleType, values: dict[str, Any]) -> None:
    result = _call(formats, "echo", {"values": values})
    assert not result.is_error, result.content
    structured = result.structured_content
    # Strings compare byte for byte; numbers as JSON numbers (a float field gives 3 as 3.0).
    assert structured["values"] == values
    for name in values:
        assert structured["types"][name] in _PYTHON_TYPES[name[0]], (name, structured["types"])


@pytest.mark.slow
@MANY
@given(values=VALUES)
def test_results_leave_the_server_as_returned(formats: ModuleType, values: dict[str, Any]) -> None:
    result = _call(formats, "produce", {"payload": json.dumps(values)})
    assert not result.is_error, result.content
    assert result.structured_content == values


@pytest.mark.slow
def test_an_ecma_pattern_is_kept_for_python_clients_and_still_enforced(
    formats: ModuleType,
) -> None:
    """A client that checks results with Python's `re` reads the output schema (its `\\p{L}`
    under the `x-` keyword it ignores); the server still refuses a result that breaks it."""
    from mcp.client import Client

    async def listed() -> Any:
        async with Client(formats.build_server()) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    tools = anyio.run(listed)
    letters = tools["produce"].output_schema["properties"]["s_letters"]
    assert letters == {"type": "string", "x-ecma262-pattern": "^\\p{L}+$"}
    # Arguments are the server's to judge: their schema keeps the keyword as written.
    echoed = tools["echo"].input_schema["$defs"]["Values"]["properties"]["s_letters"]
    assert echoed == {"type": "string", "pattern": "^\\p{L}+$"}
    broken = _call(formats, "produce", {"payload": json.dumps({"s_letters": "école!"})})
    assert broken.is_error and "invalid result" in broken.content[0].text


@pytest.mark.slow
def test_the_examples_from_the_issue(formats: ModuleType) -> None:
    """The two reported: a URL given back with a slash it never had, and a string the
    schema accepts that the model refused; and their kin, spelled as a client may."""
    values = {
        "s_uri": "https://example.com",
        "s_date_time": "2026-11-21T15:40:51+00:00",
        "s_date": "2026-11-21T00:00:00Z",
        "s_uuid": "5F0C6C1E-9A43-4B3C-8F0A-2D0C3F1B7E11",
        "s_ipv6": "2001:DB8::1",
        "s_email": "not an email",
        "s_ulid": "not a ulid",
        "i_date_time": 1700000000,
        "n_float": 3,
        "s_pattern": "007",
        "s_letters": "école",
        "o_pattern_properties": {"x-a": 1, "other": "text"},
    }
    result = _call(formats, "echo", {"values": values})
    assert not result.is_error, result.content
    assert result.structured_content["values"] == values
    assert _call(formats, "produce", {"payload": json.dumps(values)}).structured_content == values


@pytest.mark.slow
def test_template_parameters_are_parsed_and_judged_by_their_model(formats: ModuleType) -> None:
    """There the model is the only judge: a `date` parameter is a `datetime.date`, a
    pattern holds, and a format whose type needs a package the server lacks (ulid) is text."""
    from mcp.client import Client
    from mcp.shared.exceptions import MCPError

    async def read() -> None:
        async with Client(formats.build_server()) as client:
            read_back = await client.read_resource(
                "formats://day/2026-11-21/ABC/01ARZ3NDEKTSV4RRFFQ69G5FAV"
            )
            assert read_back.contents[0].text == "date 2026-11-21 ABC 01ARZ3NDEKTSV4RRFFQ69G5FAV"
            for refused in ("formats://day/2026-11-21/abc/x", "formats://day/tomorrow/ABC/x"):
                with pytest.raises(MCPError, match="Invalid resource URI"):
                    await client.read_resource(refused)

    anyio.run(read)


@pytest.mark.slow
def test_the_model_generators_warnings_stay_out_of_the_terminal(tmp_path: Path) -> None:
    """A format it does not know, a constraint a pydantic type cannot carry: the model
    generator warns, naming its own source lines. The advertised schema keeps both (and the
    runtime checks against it), so `mcpgen generate` prints nothing about them."""
    spec = tmp_path / "quiet.toml"
    spec.write_text(
        '[server]\nname = "quiet"\n\n[[tools]]\nname = "t"\ninput.type = "object"\n'
        'input.properties.small = { type = "integer", format = "int16" }\n'
        'input.properties.site = { type = "string", format = "uri", maxLength = 99 }\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
