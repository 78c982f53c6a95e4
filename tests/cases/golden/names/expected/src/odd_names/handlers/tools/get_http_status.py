"""Handler of the getHTTPStatus tool.

camelCase with an acronym."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def get_http_status(
    ctx: runtime.Context, args: models.GetHttpStatusInput
) -> models.GetHttpStatusOutput:
    raise NotImplementedError(
        "write the getHTTPStatus tool in src/odd_names/handlers/tools/get_http_status.py"
    )
