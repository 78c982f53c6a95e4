"""Handler of the hold tool: waits, then names the caller its token names."""

from __future__ import annotations

import anyio
from vault._generated import models, runtime


async def hold(ctx: runtime.Context, args: models.HoldInput) -> runtime.ToolReturn:
    await anyio.sleep(args.seconds)
    principal = ctx.principal
    return f"held for {principal.subject if principal else 'nobody'}"
