"""Handler of the files.read-v2 tool.

Dots and dashes."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def files_read_v2(ctx: runtime.Context, args: models.FilesReadV2Input) -> runtime.ToolReturn:
    raise NotImplementedError(
        "write the files.read-v2 tool in src/odd_names/handlers/tools/files_read_v2.py"
    )
