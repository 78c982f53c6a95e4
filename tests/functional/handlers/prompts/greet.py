"""Handler of the greet prompt, and the completion of its `style` argument."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from behaviour._generated import models, runtime

STYLES = ("formal", "casual", "pirate")


async def greet(ctx: runtime.Context, args: models.GreetArguments) -> runtime.PromptReturn:
    if args.style == "pirate":
        return [
            runtime.PromptMessage(
                role="user", content=runtime.TextContent(text=f"Greet {args.name} like a pirate.")
            ),
            runtime.PromptMessage(
                role="assistant", content=runtime.TextContent(text=f"Ahoy, {args.name}!")
            ),
        ]
    if args.style == "formal":
        return f"Good day, {args.name}."
    return f"Hello, {args.name}!"


async def complete_style(
    ctx: runtime.Context, value: str, context: Mapping[str, str]
) -> Sequence[str]:
    """Styles that start with what the user typed; a captain only ever gets `pirate`."""
    styles = ("pirate",) if context.get("name") == "Captain" else STYLES
    return [style for style in styles if style.startswith(value)]
