"""A large spec's models are cut into definitions by the lines Python's parser counts.

`model_generator.split_definitions` takes each definition's text by the line numbers `ast` gives. The model
generator writes descriptions into docstrings raw (`_escape_invisibles` comes later), and
`str.splitlines` also ends a line at eight characters the parser reads as text: cut there, a
description holding one shifted every definition after it, and the classes of a chunked spec
(64 or more models) came out under other names or not at all.
"""

from __future__ import annotations

import pytest
from mcpgen.model_generator import split_definitions

# What str.splitlines() ends a line at besides \n and \r (which the generator's output has
# only as \n), from the table in the documentation of str.splitlines.
NOT_PYTHON_LINE_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_PYTHON_LINE_BREAKS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_docstring_with_a_line_break_python_does_not_count_stays_whole(char: str) -> None:
    first = f'class First(BaseModel):\n    """one{char}two{char}"""\n\n    x: int'
    second = "class Second(BaseModel):\n    y: First"
    alias = f'Third = TypeAliasType("Third", str)\n"""three{char}"""'
    source = "\n\n\n".join(["from __future__ import annotations", first, second, alias]) + "\n"
    split = split_definitions(source, {})
    assert split == {"First": (first, []), "Second": (second, ["First"]), "Third": (alias, [])}
