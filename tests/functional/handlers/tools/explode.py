"""Handler of the explode tool: fails with an exception that must stay on the server."""

from __future__ import annotations

from behaviour._generated import models, runtime

SECRET = "hunter2-7f3a9c"


async def explode(ctx: runtime.Context, args: models.ExplodeInput) -> runtime.ToolReturn:
    raise RuntimeError(f"database password is {SECRET} (from /srv/secrets.env)")
