"""JSON Pointers (RFC 6901) as a `$ref` writes them: the one place for their escapes and walk.

A `$ref` is a URI reference, so the pointer in its fragment is percent-encoded text: a key is
read by percent-decoding first, then `~1` -> `/` and `~0` -> `~` (RFC 6901 section 6), as
jsonschema reads it when it checks a call against the advertised schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

# What a fragment holds as it is (RFC 3986: pchar and "/", "?"); `/` separates the keys.
_FRAGMENT_SAFE = "!$&'()*+,;=:@?~"


def escape(key: str | int) -> str:
    """A key as one part of a pointer: `~` -> `~0`, `/` -> `~1`."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unescape(part: str) -> str:
    """One part of a `$ref`'s pointer as the key it names (percent, then RFC 6901 escapes)."""
    return _key(unquote(part))


def _key(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def pointer(path: Iterable[str | int]) -> str:
    """`("paths", "/pets")` -> `/paths/~1pets`: the pointer as people read it (not a URI)."""
    return "".join("/" + escape(key) for key in path)


def fragment(path: Iterable[str | int]) -> str:
    """The pointer as a `$ref`'s fragment writes it (percent-encoded where a URI must be)."""
    return "".join("/" + quote(escape(key), safe=_FRAGMENT_SAFE) for key in path)


def keys(text: str) -> list[str]:
    """The keys a `$ref`'s fragment (`/a/b~1c`, the part after `#`) names; `""` is the root.

    Decoded whole before it is split (RFC 6901 section 6; jsonschema too): `%2F` separates.
    """
    return [_key(part) for part in unquote(text).split("/")[1:]] if text else []


def walk(value: Any, path: Iterable[str]) -> tuple[Any, list[str | int], str | None]:
    """Follow `path` into a JSON value: (what it reaches, the keys walked, None), or, at the
    first key that is not there, (the value it stopped in, the keys walked, that key)."""
    walked: list[str | int] = []
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
            walked.append(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
            walked.append(int(key))
        else:
            return value, walked, key
    return value, walked, None
