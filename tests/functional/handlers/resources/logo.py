"""Handler of the logo resource: bytes, which the runtime sends as a base64 blob."""

from __future__ import annotations

from behaviour._generated import runtime

# A PNG signature followed by every byte value: not valid UTF-8, so it must travel as a blob.
LOGO = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def logo(ctx: runtime.Context) -> runtime.ResourceReturn:
    return LOGO
