"""The resource clients subscribe to."""

from __future__ import annotations

from conformance._generated import runtime


async def watched_resource(ctx: runtime.Context) -> runtime.ResourceReturn:
    return "Watched resource content"
