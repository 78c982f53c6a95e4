"""Echoes the region that the Mcp-Param-Region header mirrors."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_x_mcp_header(
    ctx: runtime.Context, args: models.TestXMcpHeaderInput
) -> runtime.ToolReturn:
    return f"region={args.region}"
