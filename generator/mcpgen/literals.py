"""Spec text enters Python only through these functions, as computed literals.

A description holding `\"\"\"`, `{{`, a backslash, a newline or a NUL must round-trip
exactly and never change the meaning of the code around it, so templates never quote
spec text by hand.
"""

from __future__ import annotations

import math
from typing import Any


def py_literal(value: Any) -> str:
    """Python source for a JSON value (dicts keep their order; ruff lays it out)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return repr(value)
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def docstring(text: str) -> str:
    """A docstring literal that cannot end early or escape: triple-quoted, else a repr.

    Docstrings are prose for readers: ruff's formatter re-indents them and trims edge
    whitespace, so they are not byte-exact. Exact spec text lives in the data literals
    (descriptions, schemas) that reach clients.
    """
    safe = (
        '"""' not in text
        and "\\" not in text
        and not text.endswith('"')
        and all(c.isprintable() or c == "\n" for c in text)
    )
    return f'"""{text}"""' if safe else repr(text)
