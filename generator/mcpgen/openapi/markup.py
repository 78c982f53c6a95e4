"""Descriptions written in HTML, turned into the Markdown that OpenAPI descriptions mean.

OpenAPI says descriptions are CommonMark; many documents write HTML instead (every AWS
document: `<p>Adds a permission to a queue ... <code>AddPermission</code> ...</p>`; 10,182
operation descriptions of the APIs.guru directory hold tags). A model reads the tags as
noise, and tokens. A description that is HTML is converted by markdownify (chosen over
html2text, GPL-3.0, and html-to-markdown, ten times faster but newer, its API changed with
each major version and its lists come out loose: see the report in issue 13); one that is
Markdown is kept as written, inline HTML included, which CommonMark allows (zoom.us's
`**Scopes:** ... <br>`): converting it would escape its own markup and join its lines.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# An HTML element that Markdown text does not write by accident: a closing tag, or a
# paragraph or line break. A generic type (`Map<String, Object>`) or a comparison is none.
_HTML = re.compile(r"</[A-Za-z][A-Za-z0-9-]*\s*>|<(?:p|br|hr|li)\b[^<>]*>", re.IGNORECASE)
# Markdown's own structure: emphasis, links, code, headings, lists, fences.
_MARKDOWN = re.compile(
    r"\*\*|__|\]\(|`|^ {0,3}(?:#{1,6} |[-*+] |\d+[.)] |```|~~~|> )", re.MULTILINE
)
_BLANK_LINES = re.compile(r"\n{3,}")


def is_html(text: str) -> bool:
    """Whether `text` is HTML rather than Markdown (which may hold inline HTML)."""
    return _HTML.search(text) is not None and _MARKDOWN.search(text) is None


@lru_cache(maxsize=8192)
def as_markdown(text: str) -> str:
    """`text` as Markdown: converted when it is HTML, else unchanged.

    Cached: large documents repeat descriptions (AWS writes each action's twice, for GET and
    POST), and conversion costs about 0.8 ms each.
    """
    if not is_html(text):
        return text
    from markdownify import markdownify

    converted = markdownify(
        text,
        heading_style="ATX",
        bullets="-",
        # Identifiers keep their underscores and asterisks (`MAX_ITEMS`, `5 * 3`): a
        # model reads them as written, and CommonMark makes no emphasis inside a word.
        escape_underscores=False,
        escape_asterisks=False,
    )
    lines = [line.rstrip() for line in converted.strip().split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines))


def description_text(value: Any) -> str:
    """A description as Markdown text (`markup`); its lone surrogates were replaced when the
    document was read (`document`)."""
    if not isinstance(value, str):
        return ""
    return as_markdown(value.strip())
