"""Answers with one image block."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import PNG_BASE64


async def test_image_content(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    return runtime.ImageContent(data=PNG_BASE64, mime_type="image/png")
