"""files://{+path}: an attachment. The runtime refuses paths that try to leave (.., /, NUL)."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink._generated.errors import NoSuchFile
from kitchen_sink.handlers.lifespan import State


async def file(ctx: runtime.Context[State], params: models.FileParams) -> runtime.ResourceReturn:
    text = ctx.state.attachments.get(params.path)
    if text is None:
        raise NoSuchFile(models.NoSuchFileData(path=params.path))
    return text
