"""Answers with an embedded resource."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_embedded_resource(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    return runtime.EmbeddedResource(
        type="resource",
        resource=runtime.TextResourceContents(
            uri="test://embedded-resource",
            mime_type="text/plain",
            text="This is an embedded resource content.",
        ),
    )
