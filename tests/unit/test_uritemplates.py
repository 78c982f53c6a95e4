"""mcpgen.uritemplates: the generator's copy of the SDK's matcher, and the overlap search.

The generated runtime routes resource URIs with `mcp.shared.uri_template.UriTemplate.match`;
the generator decides overlaps with its own `UriPattern.match` (it does not depend on
`mcp`). These tests hold the two to the same answers on a corpus of templates and URIs, and
hold every witness the overlap search reports to be matched by both templates in the SDK.
"""

from __future__ import annotations

import itertools
import random

import pytest
from mcp.shared.uri_template import InvalidUriTemplate, UriTemplate
from mcpgen.uritemplates import (
    UriPattern,
    ambiguous,
    find_overlaps,
    template_specificity,
    template_variables,
    witness,
)

TEMPLATES = [
    "a://{x}",
    "a://{x}/b",
    "a://b/{y}",
    "a://{x}/{y}",
    "a://{x},{y}",
    "a://{x,y}",
    "a://{+path}",
    "a://{+path}/x",
    "a://docs/{+path}",
    "a://{+path}.md",
    "a://{x}/{+rest}",
    "a://{#frag}",
    "a://p{#frag}",
    "a://{x}{#frag}",
    "a://p{.ext}",
    "a://{x}{.ext}",
    "a://{x}{.a,b}",
    "a://p{.ext*}",
    "a://p{/seg}",
    "a://p{/a,b}",
    "a://p{/seg*}",
    "a://p{/seg*}/end",
    "a://{x}{/seg*}",
    "a://p{;id}",
    "a://p{;a,b}",
    "a://p{;keys*}",
    "a://{x}{;id}",
    "a://p{?q}",
    "a://p{?q,r}",
    "a://{x}{?q,r}",
    "a://{x}/s{?q}{&r}",
    "a://p?fixed=1{&r}",
    "a://p{&r}",
    "a://{+path}{?q}",
    "prefix-{id}",
    "{x}-{y}",
    "p{a}q{b}",
    "a://{x}-{y}/z",
    "a://{x}/b{c}",
    "files://readme/{section}",
    "files://{+path}",
    "search://notes{?q,tag,limit}",
    "notes://{id}",
    "items://{kind}/search{?q,page}",
    "items://{kind}/{+path}",
    # The SDK refuses these; so must the generator's copy.
    "a://{x:3}",
    "a://{x*}",
    "a://{+x*}",
    "a://{?x*}",
    "a://{x}{y}",
    "a://{+x}{y}",
    "a://{+x}/{+y}",
    "a://{x}/{x}",
    "a://{?a}{?b}",
    "a://{}",
    "a://{x",
    "a://{x-y}",
    "a://{x..y}",
]

URIS = [
    "",
    "a://",
    "a://b",
    "a://b/b",
    "a://x/b",
    "a://b/y",
    "a://x/y/z",
    "a://x,y",
    "a://x%2Fy",
    "a://x%20y",
    "a://docs/a/b.md",
    "a://a/b/x",
    "a://x.md",
    "a://#f",
    "a://p#f/g",
    "a://x#f",
    "a://p.json",
    "a://p.tar.gz",
    "a://x.json",
    "a://x.a.b",
    "a://p/s",
    "a://p/a/b",
    "a://p/a/b/end",
    "a://p",
    "a://p;id",
    "a://p;id=7",
    "a://p;ids=7",
    "a://p;a=1;b=2",
    "a://p;keys=1;keys=2",
    "a://p;keys",
    "a://x;id=1",
    "a://p?q=1",
    "a://p?r=2&q=1",
    "a://p?q=1&q=2",
    "a://p?q",
    "a://p?q=a%20b&utm=x",
    "a://p?q=1#frag",
    "a://x?q=1&r=2",
    "a://x/s?q=1&r=2",
    "a://x/s&r=2",
    "a://p?fixed=1&r=2",
    "a://p&r=2",
    "a://a/b?q=1",
    "prefix-prefix-123",
    "prefix-",
    "1-2-3",
    "pqqq",
    "pq",
    "a://1-2-3/z",
    "a://x/by/bz",
    "a://x/b",
    "files://readme/intro",
    "files://readme/a/b",
    "files://docs/x.md",
    "search://notes",
    "search://notes?tag=a&q=b",
    "notes://42",
    "items://k/search?q=1",
    "items://k/search",
    "items://k/a/b",
]


def _sdk(template: str) -> UriTemplate | None:
    try:
        return UriTemplate.parse(template)
    except InvalidUriTemplate:
        return None


@pytest.mark.parametrize("template", TEMPLATES)
def test_parse_accepts_what_the_sdk_accepts(template: str) -> None:
    assert (UriPattern.parse(template) is None) == (_sdk(template) is None)


def _parsed_pairs() -> list[tuple[str, UriPattern, UriTemplate]]:
    pairs = []
    for template in TEMPLATES:
        ours, theirs = UriPattern.parse(template), _sdk(template)
        if ours is not None and theirs is not None:
            pairs.append((template, ours, theirs))
    return pairs


@pytest.mark.parametrize(("template", "ours", "theirs"), _parsed_pairs(), ids=lambda v: str(v))
def test_match_agrees_with_the_sdk(template: str, ours: UriPattern, theirs: UriTemplate) -> None:
    uris = [*URIS, *_random_uris(template, random.Random(template), 300)]
    for uri in uris:
        assert ours.match(uri) == theirs.match(uri), (template, uri)


def _random_uris(template: str, rng: random.Random, count: int) -> list[str]:
    """URIs built from the template's own literal pieces and structural characters, which is
    where a scan without backtracking is most likely to part ways with another."""
    pieces = [p for p in template.replace("{", "}").split("}")[::2] if p]
    alphabet = [*pieces, "/", ".", ";", "?", "&", "=", "#", ",", "-", "x", "1", "%2F", "id="]
    uris = []
    for _ in range(count):
        uri = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        if pieces and rng.random() < 0.7:
            uri = pieces[0] + uri
        uris.append(uri)
    return uris


VALUES: list[dict[str, str | list[str]]] = [
    {},
    {"x": "b", "y": "c"},
    {"x": "a b/c", "path": "a/b c?d", "frag": "f/g"},
    {"ext": "json", "seg": "s", "id": "", "q": "", "r": "2"},
    {"ext": ["a", "b"], "seg": ["a", "", "c"], "keys": ["1", ""], "a": "1", "b": ["2", "3"]},
    {"x": "%41%zz", "path": "%41/%zz", "frag": "%2F"},
    {"ext": [], "seg": [], "keys": [], "q": ["a", "b"]},
]


@pytest.mark.parametrize(("template", "ours", "theirs"), _parsed_pairs(), ids=lambda v: str(v))
def test_expand_agrees_with_the_sdk(template: str, ours: UriPattern, theirs: UriTemplate) -> None:
    for values in VALUES:
        assert ours.expand(values) == theirs.expand(values), (template, values)


# -- the moved helpers keep their behaviour ---------------------------------------------------


def test_template_variables() -> None:
    assert template_variables("a://{x}/{+path}{?q,r*}") == (
        [("x", "", False), ("path", "+", False), ("q", "?", False), ("r", "?", True)],
        None,
    )
    assert template_variables("a://{x:3}") == ([("x", "", False)], None)
    assert template_variables("a://{x") == ([], "unbalanced '{' or '}'")
    assert template_variables("a://{}") == ([], "empty expression '{}'")
    assert template_variables("a://{x}/{x}") == ([], "variable 'x' appears twice")
    assert template_variables("a://{x-y}") == ([], "invalid variable name 'x-y'")


def test_template_specificity_orders_most_specific_first() -> None:
    templates = ["files://{+path}", "notes://{id}", "files://readme/{section}", "a://{x}{?q}"]
    assert sorted(templates, key=template_specificity) == [
        "files://readme/{section}",
        "files://{+path}",  # ties with notes://{id}: the text decides
        "notes://{id}",
        "a://{x}{?q}",
    ]
    assert ambiguous("a://{x}/b", "a://b/{y}")
    assert not ambiguous("files://readme/{section}", "files://{+path}")
    assert not ambiguous("a://{x}", "a://{x}{?q}")


# -- the witness search -----------------------------------------------------------------------

OVERLAPPING = [
    ("a://{x}/b", "a://b/{y}"),
    ("demo://{kind}/orders", "demo://orders/{id}"),
    ("search://notes{?q,tag}", "search://notes{?tag,limit}"),
    ("a://{x}{?q}", "a://{y}{?r}"),
    ("f://{+p}/a.md", "f://docs/{+q}"),
    ("f://{a}/{b}/z", "f://y/{c}/{d}"),
    ("a://{x}{.e}", "a://{y}{.f}"),
    ("a://{x}.json", "a://{y}.{z}n"),
    ("a://p{/seg*}", "a://p{/all*}"),
    ("a://p{/seg*}/z", "a://p/y{/all*}"),
    ("a://p{;id}", "a://{x};id"),
    ("x://{a}-{b}", "x://{c}-{d}"),
    ("x://{+a}", "x://{+b}"),
    # Ordered by specificity, so allowed, but they do overlap:
    ("files://readme/{section}", "files://{+path}"),
    ("items://{kind}/search{?q,page}", "items://{kind}/{+path}"),
]

DISJOINT = [
    ("a://{x}.json", "a://{y}.yaml"),
    ("a://x/{y}", "a://y/{x}"),
    ("a://x{.e}", "a://y{.f}"),
    ("a://{x}{;p}", "a://{y}{;q}"),
    ("a://{x}#{y}", "a://{p}?{q}"),
    ("notes://{id}", "files://{+path}"),
    ("a://{x}/one", "a://{x}/two"),
    ("a://{x}/{y}", "a://{x}"),
    ("a://p{/a,b}", "a://p{/c}"),
    ("search://notes{?q}", "search://tasks{?q}"),
    ("x://{+a}", "x://{#b}"),  # {#b} always expands with its '#', which {+a} stops at
]


def _sdk_matches(template: str, uri: str) -> bool:
    parsed = _sdk(template)
    return parsed is not None and parsed.match(uri) is not None


@pytest.mark.parametrize(("first", "second"), OVERLAPPING)
def test_overlaps_are_found_with_a_witness_both_match(first: str, second: str) -> None:
    for a, b in ((first, second), (second, first)):
        uri = witness(a, b)
        assert uri is not None, (a, b)
        assert _sdk_matches(a, uri), (a, uri)
        assert _sdk_matches(b, uri), (b, uri)


@pytest.mark.parametrize(("first", "second"), DISJOINT)
def test_disjoint_templates_have_no_witness(first: str, second: str) -> None:
    assert witness(first, second) is None
    assert witness(second, first) is None


def test_every_witness_is_real() -> None:
    """No false overlaps: across every pair of the corpus, whatever is reported is matched
    by both templates in the SDK."""
    usable = [t for t in TEMPLATES if _sdk(t) is not None]
    found = 0
    for a, b in itertools.combinations(usable, 2):
        uri = witness(a, b)
        if uri is not None:
            found += 1
            assert _sdk_matches(a, uri) and _sdk_matches(b, uri), (a, b, uri)
    assert found > 20


def _random_templates(rng: random.Random, count: int) -> list[str]:
    """Templates of random literal and expression pieces, those the SDK accepts."""
    literals = ["x", "b", "/", ".", "-", "/b/", "x."]
    expressions = ["{v}", "{+v}", "{/v*}", "{/v}", "{.v}", "{;v}", "{#v}", "{v,w}", "{?v,w}"]
    templates: list[str] = []
    while len(templates) < count:
        pieces = [rng.choice(literals if rng.random() < 0.5 else expressions) for _ in range(3)]
        text = "a://" + "".join(
            piece.replace("v", f"v{i}").replace("w", f"w{i}") for i, piece in enumerate(pieces)
        )
        if "{" in text and _sdk(text) is not None and text not in templates:
            templates.append(text)
    return templates


def test_random_templates_match_as_in_the_sdk_and_witnesses_are_real() -> None:
    rng = random.Random(6570)
    templates = _random_templates(rng, 40)
    for template in templates:
        ours, theirs = UriPattern.parse(template), _sdk(template)
        assert ours is not None and theirs is not None
        for uri in _random_uris(template, rng, 100):
            assert ours.match(uri) == theirs.match(uri), (template, uri)
    found = 0
    for a, b in itertools.combinations(templates, 2):
        uri = witness(a, b)
        if uri is not None:
            found += 1
            assert _sdk_matches(a, uri) and _sdk_matches(b, uri), (a, b, uri)
    assert found > 20


def test_a_witness_the_runtime_would_accept_is_preferred() -> None:
    # `x://{+a}` vs `x://{+b}` overlap on everything; the witness is a plain one, not one
    # whose value climbs out with `..` or is an absolute path.
    uri = witness("x://{+a}", "x://{+b}")
    assert uri is not None
    assert ".." not in uri
    assert not uri.removeprefix("x://").startswith("/")


def test_find_overlaps_reports_only_ties_in_specificity() -> None:
    templates = [
        "files://readme/{section}",
        "files://{+path}",
        "a://{x}/b",
        "a://b/{y}",
        "a://{x}/b",  # the same text twice is a duplicate, reported elsewhere
        "a://{x",  # malformed, reported elsewhere
        "a://fixed",  # no variables, reported elsewhere
        "a://c/{z}",
    ]
    assert list(find_overlaps(templates)) == [
        (2, 3, "a://b/b"),
        (2, 7, "a://c/b"),
    ]


def test_find_overlaps_accepts_the_kitchen_sink_templates() -> None:
    templates = [
        "notes://{id}",
        "files://readme/{section}",
        "files://{+path}",
        "search://notes{?q,tag,limit}",
    ]
    assert list(find_overlaps(templates)) == []
