"""Handler of the type prompt.

A builtin as a prompt name, with a keyword argument."""

from __future__ import annotations

from odd_names._generated import models, runtime


async def type_(ctx: runtime.Context, args: models.TypeArguments) -> runtime.PromptReturn:
    raise NotImplementedError("write the type prompt in src/odd_names/handlers/prompts/type_.py")
