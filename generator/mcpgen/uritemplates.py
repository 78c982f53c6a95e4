"""RFC 6570 URI templates as the generated server routes them, and their overlaps.

A generated server tries its resource templates in order, most specific first (see
`template_specificity`), and the first that matches a URI serves it. That order decides
between two templates only when they differ in specificity: two equally specific templates
are ordered by their text, so which one serves a URI both match would be an accident of
spelling. `find_overlaps` finds such pairs, each with a witness: a concrete URI that both
templates match. An overlap is never reported without one, so the search may miss an
overlap (a witness it did not think of) but never invents one.

Whether a template matches a URI is decided here by `UriPattern.match`, which follows
`mcp.shared.uri_template.UriTemplate.match` of the MCP Python SDK (the matcher the generated
runtime uses) step by step: RFC 6570 levels 1-3 plus the explode modifier on `/`, `.` and
`;`, a linear two-ended scan without backtracking, and a trailing `{?...}` run matched
leniently (any subset of the parameters, in any order, extras ignored). The generator does
not depend on `mcp`, so it carries this small copy; tests/unit/test_uritemplates.py keeps
it in step with the SDK's.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, unquote

__all__ = [
    "QUERY_OPERATORS",
    "UriPattern",
    "Values",
    "ambiguous",
    "find_overlaps",
    "template_specificity",
    "template_variables",
    "witness",
]

# Template variable syntax (RFC 6570): `{op var[:N|*], ...}`.
_EXPRESSION = re.compile(r"\{([^{}]*)\}")
_VARIABLE = re.compile(r"^([A-Za-z0-9_]|%[0-9A-Fa-f]{2})([A-Za-z0-9_.]|%[0-9A-Fa-f]{2})*$")
_OPERATORS = ("+", "#", ".", "/", ";", "?", "&")
QUERY_OPERATORS = ("?", "&")

Values: TypeAlias = Mapping[str, str | Sequence[str]]
"""Variable values for an expansion; a name that is absent is undefined (RFC 6570 §2.3)."""

Captures: TypeAlias = dict[str, str | list[str]]
"""What a match binds: a string per variable, a list for an exploded one."""


def template_variables(template: str) -> tuple[list[tuple[str, str, bool]], str | None]:
    """The variables of an RFC 6570 template as (name, operator, explode), or a problem."""
    variables: list[tuple[str, str, bool]] = []
    rest = _EXPRESSION.sub("", template)
    if "{" in rest or "}" in rest:
        return [], "unbalanced '{' or '}'"
    for expression in _EXPRESSION.findall(template):
        operator = expression[:1] if expression[:1] in _OPERATORS else ""
        body = expression[len(operator) :]
        if not body:
            return [], "empty expression '{}'"
        for spec in body.split(","):
            explode = spec.endswith("*")
            name = spec.rstrip("*").split(":", 1)[0]
            if not _VARIABLE.fullmatch(name):
                return [], f"invalid variable name {name!r}"
            if any(name == v[0] for v in variables):
                return [], f"variable {name!r} appears twice"
            variables.append((name, operator, explode))
    return variables, None


def template_specificity(template: str) -> tuple[int, int, str]:
    """Sort key: more literal text first, then fewer variables, then the text itself."""
    literal = len(_EXPRESSION.sub("", template))
    return (-literal, len(_EXPRESSION.findall(template)), template)


def ambiguous(first: str, second: str) -> bool:
    """Whether the serving order of two templates falls to their text alone.

    `template_specificity` orders templates by literal length, then variable count; when
    both tie, only the text breaks the tie, which says nothing about which should win.
    """
    return template_specificity(first)[:2] == template_specificity(second)[:2]


# -- the matcher ------------------------------------------------------------------------------
#
# The SDK's parse rejects what its scan cannot match unambiguously; `UriPattern.parse` returns
# None for the same templates, and no overlap is looked for in them.

# RFC 6570 §2.3 variable names, as the SDK accepts them (no percent-encoded characters).
_SDK_VARNAME = re.compile(r"^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$")
_MAX_TEMPLATE_LENGTH = 8_192
_MAX_VARIABLES = 256
# RFC 3986 reserved characters, kept unencoded by {+var} and {#var}.
_RESERVED = ":/?#[]@!$&'()*+,;="
_PCT_TRIPLET = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass(frozen=True, slots=True)
class _Operator:
    """How one operator expands (RFC 6570 appendix A) and where its values stop."""

    prefix: str
    separator: str
    named: bool
    allow_reserved: bool
    ifemp: str
    # A bounded value ends at the first of these characters: the scan's stand-in for the
    # character classes a regular expression would use.
    stops: str


_SPECS: dict[str, _Operator] = {
    "": _Operator("", ",", False, False, "", "/?#&,"),
    "+": _Operator("", ",", False, True, "", "?#"),
    "#": _Operator("#", ",", False, True, "", ""),
    ".": _Operator(".", ".", False, False, "", "./?#"),
    "/": _Operator("/", "/", False, False, "", "/?#"),
    ";": _Operator(";", ";", True, False, "", ";/?#"),
    "?": _Operator("?", "&", True, False, "=", "&#"),
    "&": _Operator("&", "&", True, False, "=", "&#"),
}


@dataclass(frozen=True, slots=True)
class _Var:
    name: str
    operator: str
    explode: bool

    @property
    def greedy(self) -> bool:
        """Whether the value may span segments; a template may hold one such variable."""
        return self.explode or self.operator in ("+", "#")


@dataclass(frozen=True, slots=True)
class _Expr:
    operator: str
    variables: tuple[_Var, ...]


@dataclass(frozen=True, slots=True)
class _Lit:
    """A literal run of the flattened template (operator prefixes and separators included)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Cap:
    """One variable's capture; `ifemp` marks `{;x}`, which is `;x=value` or a bare `;x`."""

    var: _Var
    ifemp: bool = False


_Atom: TypeAlias = _Lit | _Cap


@dataclass(frozen=True, slots=True)
class UriPattern:
    """A template parsed for expansion and for matching as the MCP SDK matches it."""

    template: str
    parts: tuple[str | _Expr, ...]
    # Matching: the atoms before the one multi-segment variable, that variable, the atoms
    # after it (all atoms when there is none), and the leniently matched query variables.
    prefix: tuple[_Atom, ...]
    greedy: _Var | None
    suffix: tuple[_Atom, ...]
    query: tuple[_Var, ...]

    @classmethod
    def parse(cls, template: str) -> UriPattern | None:
        """The parsed template, or None where the SDK's `UriTemplate.parse` raises."""
        if len(template) > _MAX_TEMPLATE_LENGTH:
            return None
        parts = _parse(template)
        if parts is None:
            return None
        variables = [v for p in parts if isinstance(p, _Expr) for v in p.variables]
        names = [v.name for v in variables]
        if len(names) > _MAX_VARIABLES or len(set(names)) != len(names):
            return None
        if sum(isinstance(p, _Expr) and p.operator == "?" for p in parts) > 1:
            return None
        path, query = _split_query_tail(parts)
        split = _partition_greedy(_flatten(path))
        if split is None:
            return None
        prefix, greedy, suffix = split
        return cls(template, parts, prefix, greedy, suffix, query)

    @property
    def variables(self) -> tuple[_Var, ...]:
        return tuple(v for p in self.parts if isinstance(p, _Expr) for v in p.variables)

    @property
    def literals(self) -> tuple[str, ...]:
        """The literal text between the expressions."""
        return tuple(p for p in self.parts if isinstance(p, str))

    def expand(self, values: Values) -> str:
        """The URI the template makes of `values` (RFC 6570 §3)."""
        return "".join(
            part if isinstance(part, str) else _expand(part, values) for part in self.parts
        )

    def match(self, uri: str) -> Captures | None:
        """The variables `uri` binds, or None when the template does not match it."""
        if not self.query:
            return self._scan(uri)
        # The trailing query run is matched apart from the path, leniently; the fragment
        # is dropped first, since that run never describes one.
        before_fragment = uri.partition("#")[0]
        path, _, query = before_fragment.partition("?")
        result = self._scan(path)
        if result is None:
            return None
        if query:
            parsed = _parse_query(query)
            for var in self.query:
                if var.name in parsed:
                    result[var.name] = parsed[var.name]
        return result

    def _scan(self, uri: str) -> Captures | None:
        if self.greedy is None:
            scanned = _scan_suffix(self.suffix, uri, len(uri), anchored=True)
            if scanned is None or scanned[1] != 0:
                return None
            return scanned[0]
        # The suffix starts with a literal (no capture is adjacent to the greedy variable),
        # so its anchor is independent of the prefix: scan it first and bound the prefix.
        suffix = _scan_suffix(self.suffix, uri, len(uri), anchored=False)
        if suffix is None:
            return None
        suffix_result, suffix_start = suffix
        prefix = _scan_prefix(self.prefix, uri, suffix_start)
        if prefix is None:
            return None
        prefix_result, prefix_end = prefix
        if suffix_start < prefix_end:
            return None
        value = _extract_greedy(self.greedy, uri[prefix_end:suffix_start])
        if value is None:
            return None
        return {**prefix_result, self.greedy.name: value, **suffix_result}


def _parse(template: str) -> tuple[str | _Expr, ...] | None:
    parts: list[str | _Expr] = []
    i = 0
    while i < len(template):
        brace = template.find("{", i)
        if brace == -1:
            parts.append(template[i:])
            break
        if brace > i:
            parts.append(template[i:brace])
        end = template.find("}", brace)
        if end == -1:
            return None
        expression = _parse_expression(template[brace + 1 : end])
        if expression is None:
            return None
        parts.append(expression)
        i = end + 1
    return tuple(parts)


def _parse_expression(body: str) -> _Expr | None:
    operator = body[:1] if body[:1] in _OPERATORS else ""
    body = body[len(operator) :]
    if not body:
        return None
    variables: list[_Var] = []
    for spec in body.split(","):
        explode = spec.endswith("*")
        name = spec[:-1] if explode else spec
        # The SDK supports neither the prefix modifier ({x:3}) nor explode where there is
        # no per-item separator to split on ({x*}, {+x*}, {#x*}) or a query to key it.
        if ":" in spec or not _SDK_VARNAME.fullmatch(name):
            return None
        if explode and operator in ("", "+", "#", "?", "&"):
            return None
        variables.append(_Var(name, operator, explode))
    return _Expr(operator, tuple(variables))


def _split_query_tail(
    parts: Sequence[str | _Expr],
) -> tuple[Sequence[str | _Expr], tuple[_Var, ...]]:
    """Split off a trailing `{?...}{&...}` run when it can be matched leniently.

    Only a run that starts with `{?` expands with the `?` a URI is split on, and only when
    the path before it holds no `?` or `#` of its own to confuse that split.
    """
    split = len(parts)
    while split > 0:
        part = parts[split - 1]
        if not (isinstance(part, _Expr) and part.operator in QUERY_OPERATORS):
            break
        split -= 1
    if split == len(parts):
        return parts, ()
    first = parts[split]
    assert isinstance(first, _Expr)
    if first.operator != "?":
        return parts, ()
    for part in parts[:split]:
        if isinstance(part, str) and ("?" in part or "#" in part):
            return parts, ()
        if isinstance(part, _Expr) and part.operator in ("?", "#"):
            return parts, ()
    query = tuple(v for p in parts[split:] if isinstance(p, _Expr) for v in p.variables)
    return parts[:split], query


def _flatten(parts: Sequence[str | _Expr]) -> list[_Atom]:
    """Literals and one capture per variable, operator prefixes and separators as literals.

    An exploded variable's capture takes its own separators (`{/a*}` is `/x/y`), and
    adjacent literals are joined so that anchors are as long as they can be.
    """
    atoms: list[_Atom] = []

    def literal(text: str) -> None:
        if not text:
            return
        if atoms and isinstance(atoms[-1], _Lit):
            atoms[-1] = _Lit(atoms[-1].text + text)
        else:
            atoms.append(_Lit(text))

    for part in parts:
        if isinstance(part, str):
            literal(part)
            continue
        spec = _SPECS[part.operator]
        for i, var in enumerate(part.variables):
            lead = spec.prefix if i == 0 else spec.separator
            if var.explode:
                atoms.append(_Cap(var))
            elif part.operator == ";":
                literal(f"{lead}{var.name}")
                atoms.append(_Cap(var, ifemp=True))
            elif spec.named:
                literal(f"{lead}{var.name}=")
                atoms.append(_Cap(var))
            else:
                literal(lead)
                atoms.append(_Cap(var))
    return atoms


def _partition_greedy(
    atoms: list[_Atom],
) -> tuple[tuple[_Atom, ...], _Var | None, tuple[_Atom, ...]] | None:
    """Split at the multi-segment variable; None for two of them or two adjacent captures."""
    index: int | None = None
    previous: _Atom | None = None
    for i, atom in enumerate(atoms):
        if isinstance(atom, _Cap):
            if isinstance(previous, _Cap):
                return None
            if atom.var.greedy:
                if index is not None:
                    return None
                index = i
        previous = atom
    if index is None:
        return (), None, tuple(atoms)
    greedy = atoms[index]
    assert isinstance(greedy, _Cap)
    return tuple(atoms[:index]), greedy.var, tuple(atoms[index + 1 :])


def _scan_suffix(
    atoms: Sequence[_Atom], uri: str, end: int, *, anchored: bool
) -> tuple[Captures, int] | None:
    """Right to left from `end`: each capture starts after the last occurrence of the
    literal before it (greedy, like a regular expression); `anchored` pins atom 0 at 0."""
    result: Captures = {}
    pos = end
    i = len(atoms) - 1
    while i >= 0:
        atom = atoms[i]
        if isinstance(atom, _Lit):
            n = len(atom.text)
            if pos < n or uri[pos - n : pos] != atom.text:
                return None
            pos -= n
            i -= 1
            continue
        stops = _SPECS[atom.var.operator].stops
        previous = atoms[i - 1] if i > 0 else None
        earliest = pos
        while earliest > 0 and uri[earliest - 1] not in stops:
            earliest -= 1
        if atom.ifemp:
            assert isinstance(previous, _Lit)
            if uri.endswith(previous.text, 0, pos):
                result[atom.var.name] = ""
                i -= 1
                continue
            equals = uri.find("=", earliest, pos)
            if equals == -1:
                return None
            result[atom.var.name] = unquote(uri[equals + 1 : pos])
            pos = equals
            i -= 1
            continue
        if previous is None:
            start = earliest
        else:
            assert isinstance(previous, _Lit)
            if anchored and i == 1:
                # The template's first literal sits at 0, wherever else it recurs.
                start = len(previous.text)
                if start < earliest or start > pos:
                    return None
            else:
                found = uri.rfind(previous.text, 0, pos)
                if found == -1 or found + len(previous.text) < earliest:
                    return None
                start = found + len(previous.text)
        result[atom.var.name] = unquote(uri[start:pos])
        pos = start
        i -= 1
    return result, pos


def _scan_prefix(atoms: Sequence[_Atom], uri: str, limit: int) -> tuple[Captures, int] | None:
    """Left to right up to `limit`: each capture ends at the first occurrence of the literal
    after it (lazy), leaving the multi-segment variable all it can take."""
    result: Captures = {}
    pos = 0
    for i, atom in enumerate(atoms):
        if isinstance(atom, _Lit):
            end = pos + len(atom.text)
            if end > limit or uri[pos:end] != atom.text:
                return None
            pos = end
            continue
        following = atoms[i + 1]
        assert isinstance(following, _Lit)
        if atom.ifemp:
            if uri.startswith(following.text, pos):
                result[atom.var.name] = ""
                continue
            if pos < limit and uri[pos] == "=":
                pos += 1
            else:
                return None
        stops = _SPECS[atom.var.operator].stops
        latest = pos
        while latest < limit and uri[latest] not in stops:
            latest += 1
        end = uri.find(following.text, pos, latest + len(following.text))
        if end == -1:
            return None
        result[atom.var.name] = unquote(uri[pos:end])
        pos = end
    return result, pos


def _extract_greedy(var: _Var, raw: str) -> str | list[str] | None:
    """The multi-segment variable's value from the span the scans left it."""
    spec = _SPECS[var.operator]
    if not var.explode:
        if any(c in spec.stops for c in raw):
            return None
        return unquote(raw)
    if not raw:
        return []
    if raw[0] != spec.separator:
        return None
    if any(c in spec.stops and c != spec.separator for c in raw):
        return None
    segments: list[str] = []
    named = f"{var.name}="
    for segment in raw.split(spec.separator)[1:]:
        if spec.named:
            if segment.startswith(named):
                segment = segment[len(named) :]
            elif segment == var.name:
                segment = ""
            else:
                return None
        segments.append(unquote(segment))
    return segments


def _parse_query(query: str) -> dict[str, str]:
    """Name -> value, RFC 3986 style (`+` is not a space), names not decoded, first wins."""
    result: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name and name not in result:
            result[name] = unquote(value)
    return result


def _encode(value: str, allow_reserved: bool) -> str:
    """Percent-encode (RFC 6570 §3.2.1); reserved expansion keeps `%XX` triplets as they are."""
    if not allow_reserved:
        return quote(value, safe="")
    out: list[str] = []
    last = 0
    for triplet in _PCT_TRIPLET.finditer(value):
        out.append(quote(value[last : triplet.start()], safe=_RESERVED))
        out.append(triplet.group())
        last = triplet.end()
    out.append(quote(value[last:], safe=_RESERVED))
    return "".join(out)


def _expand(expression: _Expr, values: Values) -> str:
    spec = _SPECS[expression.operator]
    rendered: list[str] = []

    def named(name: str, text: str) -> str:
        return f"{name}{spec.ifemp}" if text == "" else f"{name}={text}"

    for var in expression.variables:
        if var.name not in values:
            continue
        value = values[var.name]
        if isinstance(value, str):
            encoded = _encode(value, spec.allow_reserved)
            rendered.append(named(var.name, encoded) if spec.named else encoded)
            continue
        items = [_encode(item, spec.allow_reserved) for item in value]
        if not items:
            continue
        if var.explode:
            if spec.named:
                items = [named(var.name, item) for item in items]
            rendered.append(spec.separator.join(items))
        else:
            joined = ",".join(items)
            rendered.append(named(var.name, joined) if spec.named else joined)
    if not rendered:
        return ""
    return spec.prefix + spec.separator.join(rendered)


# -- overlaps ---------------------------------------------------------------------------------

# Bounds on the witness search, so that a template with many variables costs milliseconds.
_MAX_CANDIDATE_VALUES = 16
_MAX_EXPANSIONS = 4_000
# Characters at which literal text is cut into candidate values.
_DELIMITERS = re.compile(r"[/?#&,.;=:]+")


def witness(first: str, second: str) -> str | None:
    """A URI that both templates match, or None when the search finds none.

    Candidate URIs are expansions of each template with values that might reproduce the
    other's literal text: the other's literals whole and cut at delimiters, simple values
    (`x`, `1`, empty), values with `/` for variables that may span segments, lists for
    exploded ones, and no value at all for query parameters. Each candidate is kept only if
    both matchers accept it, so whatever is returned is a real witness. One whose values the
    generated runtime would accept (no `..` climbing out, no absolute path, no NUL) is
    preferred; the runtime refuses the others with an error, which still comes from
    whichever template it tried first.
    """
    a, b = UriPattern.parse(first), UriPattern.parse(second)
    if a is None or b is None or not (a.parts and b.parts) or not _compatible(a, b):
        return None
    fallback: str | None = None
    for uri in _candidates(a, b):
        match_a, match_b = a.match(uri), b.match(uri)
        if match_a is None or match_b is None:
            continue
        if _tame(a, match_a) and _tame(b, match_b):
            return uri
        if fallback is None:
            fallback = uri
    return fallback


def find_overlaps(templates: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """(earlier index, later index, witness) for each equally specific overlapping pair.

    Templates the generator rejects for other reasons (malformed, without variables, the
    same text twice) are left to those diagnostics.
    """
    first: dict[str, int] = {}
    for i, text in enumerate(templates):
        variables, problem = template_variables(text)
        if problem is None and variables:
            first.setdefault(text, i)
    for i, j in itertools.combinations(sorted(first.values()), 2):
        if not ambiguous(templates[i], templates[j]):
            continue
        found = witness(templates[i], templates[j])
        if found is not None:
            yield i, j, found


def _compatible(a: UriPattern, b: UriPattern) -> bool:
    """False when the fixed ends of the templates already rule out a common URI.

    A match starts with the template's leading literal; without a lenient query it also
    ends with the trailing one. Two leading literals neither of which starts the other (two
    schemes, say) cannot both start one URI: the search would only spend its budget.
    """
    head_a, head_b = a.parts[0], b.parts[0]
    if isinstance(head_a, str) and isinstance(head_b, str):
        heads_agree = head_a.startswith(head_b) or head_b.startswith(head_a)
        if not heads_agree:
            return False
    tail_a, tail_b = a.parts[-1], b.parts[-1]
    if isinstance(tail_a, str) and isinstance(tail_b, str) and not (a.query or b.query):
        return tail_a.endswith(tail_b) or tail_b.endswith(tail_a)
    return True


def _candidates(a: UriPattern, b: UriPattern) -> Iterator[str]:
    seen: set[str] = set()
    for pattern, other in ((a, b), (b, a)):
        variables = pattern.variables
        choices = [_values_for(var, other) for var in variables]
        for combination in itertools.islice(itertools.product(*choices), _MAX_EXPANSIONS):
            values = {
                var.name: value
                for var, value in zip(variables, combination, strict=True)
                if value is not None
            }
            uri = pattern.expand(values)
            if uri not in seen:
                seen.add(uri)
                yield uri


def _values_for(var: _Var, other: UriPattern) -> list[str | list[str] | None]:
    """Candidate values of `var`, the likeliest first; None leaves it undefined.

    The other template's literal text, whole and cut at delimiters, and the characters its
    operators emit (`.` for `{.ext}`) are what a value must reproduce for the expansion to
    fall into the other template too.
    """
    fragments: list[str] = []
    for literal in other.literals:
        fragments += [p for p in _DELIMITERS.split(literal) if p]
        fragments.append(literal.strip("/?#&,.;=:"))
        if var.greedy:
            # Multi-segment values: a literal's path from each of its `/`s on.
            fragments += [literal[i + 1 :] for i, c in enumerate(literal) if c == "/"]
            fragments.append(literal)
    for part in other.parts:
        if isinstance(part, _Expr) and _SPECS[part.operator].prefix:
            fragments.append(_SPECS[part.operator].prefix)
    strings = ["x", "1", *fragments]
    if var.greedy:
        strings += ["x/y", *(f"{f}/x" for f in fragments if f), *(f"x/{f}" for f in fragments)]
    # The empty value last but never cut: some overlaps exist only at an empty value.
    unique = [*list(dict.fromkeys(s for s in strings if s))[: _MAX_CANDIDATE_VALUES - 1], ""]
    values: list[str | list[str] | None] = []
    if var.explode:
        separator = _SPECS[var.operator].separator
        lists = [[s] for s in unique]
        lists += [[p for p in f.split(separator) if p] for f in fragments if separator in f]
        lists += [["x", "y"], []]
        values += [list(t) for t in dict.fromkeys(tuple(v) for v in lists)]
    else:
        values += unique
    if var.operator in QUERY_OPERATORS:
        values.append(None)
    return values


def _tame(pattern: UriPattern, captures: Captures) -> bool:
    """Whether the generated runtime accepts these values (it refuses a NUL anywhere, and a
    `..` that climbs out or an absolute path outside the query)."""
    query = {v.name for v in pattern.query}
    for name, value in captures.items():
        for part in [value] if isinstance(value, str) else value:
            if "\x00" in part:
                return False
            if name not in query and (_climbs_out(part) or _absolute(part)):
                return False
    return True


def _climbs_out(value: str) -> bool:
    depth = 0
    for part in value.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part and part != ".":
            depth += 1
    return False


def _absolute(value: str) -> bool:
    if value[:1] in ("/", "\\"):
        return True
    return len(value) >= 2 and value[1] == ":" and value[0] in string.ascii_letters
