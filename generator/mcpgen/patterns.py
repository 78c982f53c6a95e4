"""JSON Schema's regular expressions: ECMA-262 with the `u` flag, wherever mcpgen reads one.

JSON Schema 2020-12 (core, "Regular Expressions") reads `pattern`, `patternProperties` and
`format: regex` as ECMA-262 built with the `u` flag, and the official test suite holds
validators to it: `\\p{Letter}` matches "é", `\\d` is ASCII only, `$` does not match before a
trailing newline. Python's `re` differs on all three and refuses `\\p{..}` outright (87
documents of the APIs.guru directory, 3.3%, use one), so patterns are compiled by regress,
the Python binding of the Rust regress crate, an ECMA-262 engine (jsonschema 4.26's own
`regex` format check and `pattern` keyword use `re`). The generated server's runtime does
the same (`_ecma_search` in the vendored runtime's `_patterns.py`), so a value is judged alike at
generation (examples) and at run time.

`to_unicode_mode` rewrites a pattern that is not valid with the `u` flag into one that is and
means what its author meant, where that is certain: what OpenAPI documents write in the
web-legacy dialect browsers accept without the flag (ECMA-262 Annex B), or in another
engine's unambiguous spelling. The importer uses it; `generate` offers it as a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

import regress
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

# Built with the `u` flag, as JSON Schema asks; no other flag (no `i`, `m`, `s`, `g`).
FLAGS = "u"


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` is not an ECMA-262 regular expression with the `u` flag, or None."""
    try:
        _compiled(pattern)
    except regress.RegressError as error:
        return str(error) or "not a regular expression"
    return None


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> regress.Regex:
    return regress.Regex(pattern, FLAGS)


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches anywhere in `text` (JSON Schema patterns are not anchored)."""
    return _compiled(pattern).find(text) is not None


def _is_regex(instance: object) -> bool:
    if isinstance(instance, str):
        _compiled(instance)
    return True


@cache
def format_checker() -> FormatChecker:
    """jsonschema's 2020-12 format checker with `regex` judged as ECMA-262 (`u` flag)."""
    checker = FormatChecker()
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("regex", raises=regress.RegressError)(_is_regex)
    return checker


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            if search(pattern, name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional_properties(
    validator: Any, extra: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    # jsonschema's own version finds the "additional" names with `re`: the same rule here.
    if not validator.is_type(instance, "object"):
        return
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    others = [n for n in instance if n not in known and not any(search(p, n) for p in patterns)]
    if validator.is_type(extra, "object"):
        for name in others:
            yield from validator.descend(instance[name], extra, path=name)
    elif not extra and others:
        # jsonschema's own messages, word for word.
        listed = ", ".join(repr(name) for name in sorted(others))
        if patterns:
            verb = "does" if len(others) == 1 else "do"
            shown = ", ".join(repr(p) for p in sorted(patterns))
            yield ValidationError(f"{listed} {verb} not match any of the regexes: {shown}")
        else:
            were = "was" if len(others) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {were} unexpected)"
            )


# Draft 2020-12 with every keyword that runs a regular expression running it as ECMA-262.
EcmaValidator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


# -- rewriting into the `u` dialect ------------------------------------------------------

# What a backslash may escape with the `u` flag: the syntax characters and `/`.
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
# Escapes with the same meaning with the flag and without it.
_KEPT_ESCAPES = frozenset("dDsSwWbBfnrtv")
# The POSIX classes, which Java writes \p{Alpha} and POSIX brackets [:alpha:]: ASCII only in
# both (Java without UNICODE_CHARACTER_CLASS, the default), as the members of a class.
_POSIX = {
    "lower": "a-z",
    "upper": "A-Z",
    "ascii": "\\x00-\\x7F",
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "A-Za-z0-9",
    "punct": "!-\\/:-@\\[-`{-~",
    "graph": "!-~",
    "print": " -~",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1F\\x7F",
    "xdigit": "0-9A-Fa-f",
    "space": " \\t\\n\\x0B\\f\\r",
    "word": "A-Za-z0-9_",
}
# Java's other names a `\p{..}` of the directory uses: `all` (any character), `L1` (Latin-1)
# and `LD` (letter or digit, Java's Pattern's own category).
_JAVA_CLASSES = {"all": "\\s\\S", "l1": "\\x00-\\xFF", "ld": "\\p{L}\\p{Nd}"}
_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")
# A brace that would be a quantifier in another dialect (`{,2}`, `{1-70}`): its meaning there
# and the literal text it is in ECMA-262 differ, and neither is certain.
_BROKEN_QUANTIFIER = re.compile(r"\{[\d,][^}]*\}")
_NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z_$][\w$]*)>")


class _Unsure(Exception):
    """The pattern cannot be rewritten with certainty."""


def to_unicode_mode(pattern: str) -> str | None:
    """`pattern` as a regular expression valid with the `u` flag, meaning what it meant.

    Kept as it is when already valid. Otherwise rewritten where the meaning is certain:
    - ECMA-262 without the flag (Annex B, what browsers accept): a needlessly escaped
      character (`\\-`, `\\_`, `\\:`, `\\'`), a `-` beside a class escape in a class
      (`[\\w-.]`), a lone `{`, `}` or `]`, all literal characters there;
    - another engine's spelling with no other reading: `\\A`, `\\z`, `\\Z` (anchors),
      Java's `\\p{Alnum}` and POSIX `[:alnum:]` (ASCII classes), `\\p{IsLetter}`, PCRE's
      `\\x{41}`, Python's `(?P<name>...)` and `(?P=name)`.
    None when no such rewrite exists (an inline flag `(?i)`, `{1-70}`, `\\e`...).
    """
    if pattern_error(pattern) is None:
        return pattern
    try:
        rewritten = _Rewriter(pattern).run()
    except _Unsure:
        return None
    return rewritten if pattern_error(rewritten) is None else None


class _Rewriter:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0
        self.out: list[str] = []
        self.groups = _count_groups(pattern)
        self.names = set(_NAMED_GROUP.findall(pattern))

    def run(self) -> str:
        quantifiable = False
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\":
                self._escape(in_class=False)
                quantifiable = True
            elif char == "[":
                self._class()
                quantifiable = True
            elif char == "(":
                self._group()
                quantifiable = False
            elif char == "{":
                found = _QUANTIFIER.match(self.text, self.at)
                if found and quantifiable:
                    self.out.append(found.group())
                    self.at = found.end()
                    quantifiable = False
                    continue
                if _BROKEN_QUANTIFIER.match(self.text, self.at):
                    raise _Unsure
                self.out.append("\\{")
                self.at += 1
                quantifiable = True
            elif char in "}]":
                self.out.append("\\" + char)
                self.at += 1
                quantifiable = True
            else:
                self.out.append(char)
                self.at += 1
                quantifiable = char not in "|^$*+?"
        return "".join(self.out)

    def _group(self) -> None:
        rest = self.text[self.at :]
        named = re.match(r"\(\?P<([A-Za-z_$][\w$]*)>", rest)
        back = re.match(r"\(\?P=([A-Za-z_$][\w$]*)\)", rest)
        if named:
            self.out.append(f"(?<{named.group(1)}>")
            self.at += named.end()
        elif back:
            self.out.append(f"\\k<{back.group(1)}>")
            self.at += back.end()
        elif rest.startswith(("(?:", "(?=", "(?!", "(?<=", "(?<!")) or not rest.startswith("(?"):
            opener = re.match(r"\(\?(?::|=|!|<=|<!)|\(", rest)
            assert opener is not None
            self.out.append(opener.group())
            self.at += opener.end()
        elif re.match(r"\(\?<[A-Za-z_$]", rest):
            self.out.append("(?<")
            self.at += 3
        else:
            raise _Unsure  # inline flags, comments, atomic groups: no ECMA-262 form

    def _class(self) -> None:
        """From `[` to its `]`, each member made valid; `-` is literal beside a class escape."""
        self.at += 1
        self.out.append("[")
        if self.text.startswith("^", self.at):
            self.out.append("^")
            self.at += 1
        # Members so far: (text, is a class escape such as \d or a POSIX class).
        members: list[tuple[str, bool]] = []
        first = True
        while True:
            if self.at >= len(self.text):
                raise _Unsure  # an unterminated class
            char = self.text[self.at]
            if char == "]" and not first:
                self.at += 1
                break
            if char == "]":
                # `[]` matches nothing and `[^]` anything, in ECMA-262 as with the flag.
                self.at += 1
                self.out.append("]")
                return
            first = False
            posix = re.match(r"\[:(\^?)([a-z]+):\]", self.text[self.at :])
            if posix:
                members.append(_posix_member(posix.group(2), negated=bool(posix.group(1))))
                self.at += posix.end()
            elif char == "\\":
                members.append(self._class_escape())
            elif char == "-":
                members.append(("-", False))
                self.at += 1
            elif char == "[":
                raise _Unsure  # Java's nested class or intersection (`[a-z&&[^e]]`)
            else:
                self.at += 1
                members.append((char, False))
        self.out.append(_class_body(members))
        self.out.append("]")

    def _class_escape(self) -> tuple[str, bool]:
        start = len(self.out)
        is_class = self._escape(in_class=True)
        text = "".join(self.out[start:])
        del self.out[start:]
        return text, bool(is_class)

    def _escape(self, *, in_class: bool) -> bool | None:
        """Rewrite one `\\x` escape into `out`; True if it is a class escape (\\d, \\p{..})."""
        text, at = self.text, self.at
        if at + 1 >= len(text):
            raise _Unsure  # a trailing backslash
        char = text[at + 1]
        self.at = at + 2
        if char in _SYNTAX or (in_class and char == "-"):
            self.out.append("\\" + char)
            return False
        if char in _KEPT_ESCAPES:
            self.out.append("\\" + char)
            return char in "dDsSwW"
        if char == "0" and not text[at + 2 : at + 3].isdigit():
            self.out.append("\\0")
            return False
        if char.isdigit():
            digits = re.match(r"\d+", text[at + 1 :])
            assert digits is not None
            if not in_class and char != "0" and int(digits.group()) <= self.groups:
                self.out.append("\\" + digits.group())
                self.at = at + 1 + digits.end()
                return False
            # Not a back-reference: Annex B's octal escape (`\037`), as in every engine.
            octal = re.match(r"[0-3][0-7]{0,2}|[4-7][0-7]?", text[at + 1 :])
            if octal is None:
                raise _Unsure  # \8, \9: a literal digit in Annex B, unlikely meant
            self.out.append(f"\\x{int(octal.group(), 8):02X}")
            self.at = at + 1 + octal.end()
            return False
        if char == "c" and re.match(r"[A-Za-z]", text[at + 2 : at + 3]):
            self.out.append(text[at : at + 3])
            self.at = at + 3
            return False
        if char == "x":
            return self._hex(r"\\x([0-9A-Fa-f]{2})|\\x\{([0-9A-Fa-f]{1,6})\}")
        if char == "u":
            return self._hex(r"\\u([0-9A-Fa-f]{4})|\\u\{([0-9A-Fa-f]{1,6})\}")
        if char in "pP":
            return self._property(char, in_class)
        if char == "k":
            named = re.match(r"\\k<([A-Za-z_$][\w$]*)>", text[at:])
            if not named or named.group(1) not in self.names:
                raise _Unsure
            self.out.append(named.group())
            self.at = at + named.end()
            return False
        if not in_class and char in "AzZ":
            self.out.append({"A": "^", "z": "$", "Z": "(?=\\n?$)"}[char])
            return False
        if char.isalnum():
            raise _Unsure  # \e, \a, \h...: a letter means something else in every engine
        # Any other character escaped needlessly: itself (Annex B's identity escape).
        self.out.append(_literal(char, in_class))
        return False

    def _hex(self, spelling: str) -> bool:
        found = re.match(spelling, self.text[self.at - 2 :])
        if not found:
            raise _Unsure  # \x or \u not followed by hex digits
        short, braced = found.groups()
        self.out.append(found.group() if short else f"\\u{{{braced}}}")
        self.at += found.end() - 2
        return False

    def _property(self, char: str, in_class: bool) -> bool:
        named = re.match(r"\{(\^?)([A-Za-z0-9_=]+)\}", self.text[self.at :])
        if not named:
            raise _Unsure  # \p without a name: a literal `p` in Annex B, never meant
        self.at += named.end()
        negated = (char == "P") != bool(named.group(1))
        name = named.group(2)
        escape = f"\\{'P' if negated else 'p'}{{{name}}}"
        if pattern_error(escape) is None:
            self.out.append(escape)
            return True
        # Java's `IsLetter`, `IsLatin`; a script by its bare name (`Han`), as Java and PCRE
        # accept it and ECMA-262 spells `Script=Han`.
        bare = name[2:] if name.startswith("Is") and len(name) > 2 else name
        for spelled in dict.fromkeys((bare, f"Script={bare}")):
            if spelled != name and pattern_error(f"\\p{{{spelled}}}") is None:
                self.out.append(f"\\{'P' if negated else 'p'}{{{spelled}}}")
                return True
        members = _POSIX.get(bare.lower()) or _JAVA_CLASSES.get(bare.lower())
        if members is None:
            raise _Unsure
        if in_class and negated:
            raise _Unsure  # a negated set inside a class needs the `v` flag
        if in_class:
            self.out.append(members)
        else:
            self.out.append(f"[{'^' if negated else ''}{members}]")
        return True


def _count_groups(pattern: str) -> int:
    """The capturing groups of `pattern` (for telling a back-reference from an octal)."""
    count, at, in_class = 0, 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "(" and not in_class:
            rest = pattern[at + 1 : at + 4]
            if not rest.startswith("?") or (
                rest.startswith(("?<", "?P<")) and not rest.startswith(("?<=", "?<!"))
            ):
                count += 1
        at += 1
    return count


def _posix_member(name: str, *, negated: bool) -> tuple[str, bool]:
    members = _POSIX.get(name)
    if members is None or negated:
        raise _Unsure
    return members, True


def _class_body(members: list[tuple[str, bool]]) -> str:
    """The members of a class joined; a `-` between them stays a range unless a side is a
    class escape (`[\\w-.]`: Annex B reads that `-` as itself, the `u` flag refuses it)."""
    out: list[str] = []
    for index, (text, _) in enumerate(members):
        if text == "-" and 0 < index < len(members) - 1:
            before, after = members[index - 1], members[index + 1]
            out.append("\\-" if before[1] or after[1] else "-")
        else:
            out.append(text)
    return "".join(out)


def _literal(char: str, in_class: bool) -> str:
    if char in _SYNTAX or (in_class and char == "-"):
        return "\\" + char
    return char
