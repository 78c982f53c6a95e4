"""Handler of the latest resource (notes://latest)."""

from __future__ import annotations

from fanout._generated import runtime


async def latest(ctx: runtime.Context) -> runtime.ResourceReturn:
    return "the latest note"
