"""Needs the client's sampling capability, and says so as a JSON-RPC error."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance._generated.errors import MissingCapability


async def test_missing_capability(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.sampling is None:
        raise MissingCapability(
            models.MissingCapabilityData(
                requiredCapabilities={"sampling": {}}, capability="sampling"
            )
        )
    return "Client declared sampling capability; proceeding."
