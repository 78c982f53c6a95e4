"""Its input schema is the point; the call only echoes the name."""

from __future__ import annotations

from conformance._generated import models, runtime


async def json_schema_2020_12_tool(
    ctx: runtime.Context, args: models.JsonSchema202012ToolInput
) -> runtime.ToolReturn:
    return "json_schema_2020_12_tool"
