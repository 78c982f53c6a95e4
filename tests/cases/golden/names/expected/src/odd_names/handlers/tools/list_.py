"""Handler of the list tool.

A builtin as a tool name."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def list_(ctx: runtime.Context, args: models.ListInput) -> runtime.ToolReturn:
    raise NotImplementedError("write the list tool in src/odd_names/handlers/tools/list_.py")
