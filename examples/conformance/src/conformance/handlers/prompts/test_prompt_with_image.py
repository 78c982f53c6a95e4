"""A prompt carrying an image."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import PNG_BASE64


async def test_prompt_with_image(
    ctx: runtime.Context, args: models.TestPromptWithImageArguments
) -> runtime.PromptReturn:
    return [
        runtime.PromptMessage(
            role="user", content=runtime.ImageContent(data=PNG_BASE64, mime_type="image/png")
        ),
        runtime.PromptMessage(
            role="user", content=runtime.TextContent(text="Please analyze the image above.")
        ),
    ]
