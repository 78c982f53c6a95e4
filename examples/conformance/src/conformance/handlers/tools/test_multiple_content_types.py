"""Answers with text, an image and an embedded resource."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import PNG_BASE64


async def test_multiple_content_types(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    return [
        runtime.TextContent(text="Multiple content types test:"),
        runtime.ImageContent(data=PNG_BASE64, mime_type="image/png"),
        runtime.EmbeddedResource(
            type="resource",
            resource=runtime.TextResourceContents(
                uri="test://mixed-content-resource",
                mime_type="application/json",
                text='{"test": "data", "value": 123}',
            ),
        ),
    ]
