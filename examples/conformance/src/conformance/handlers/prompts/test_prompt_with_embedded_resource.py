"""A prompt carrying the resource it is about."""

from __future__ import annotations

from conformance._generated import models, runtime


async def test_prompt_with_embedded_resource(
    ctx: runtime.Context, args: models.TestPromptWithEmbeddedResourceArguments
) -> runtime.PromptReturn:
    return [
        runtime.PromptMessage(
            role="user",
            content=runtime.EmbeddedResource(
                type="resource",
                resource=runtime.TextResourceContents(
                    uri=args.resourceUri,
                    mime_type="text/plain",
                    text="Embedded resource content for testing.",
                ),
            ),
        ),
        runtime.PromptMessage(
            role="user",
            content=runtime.TextContent(text="Please process the embedded resource above."),
        ),
    ]
