"""The static binary resource: a 1x1 PNG."""

from __future__ import annotations

from conformance._generated import runtime
from conformance.fixtures import PNG_BYTES


async def static_binary(ctx: runtime.Context) -> runtime.ResourceReturn:
    return PNG_BYTES
