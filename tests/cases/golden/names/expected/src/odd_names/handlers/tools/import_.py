"""Handler of the import tool.

A Python keyword as a tool name."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def import_(ctx: runtime.Context, args: models.ImportInput) -> runtime.ToolReturn:
    raise NotImplementedError("write the import tool in src/odd_names/handlers/tools/import_.py")
