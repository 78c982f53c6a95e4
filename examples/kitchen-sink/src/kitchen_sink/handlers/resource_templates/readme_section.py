"""files://readme/{section}: a README section (this template outranks files://{+path})."""

from __future__ import annotations

from kitchen_sink._generated import models, runtime
from kitchen_sink._generated.errors import NoSuchFile
from kitchen_sink.handlers.lifespan import State


async def readme_section(
    ctx: runtime.Context[State], params: models.ReadmeSectionParams
) -> runtime.ResourceReturn:
    text = ctx.state.readme.get(params.section)
    if text is None:
        raise NoSuchFile(models.NoSuchFileData(path=f"readme/{params.section}"))
    return text
