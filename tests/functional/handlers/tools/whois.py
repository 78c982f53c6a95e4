"""Handler of the whois tool: a required property that may be null."""

from __future__ import annotations

from behaviour._generated import models, runtime

DIRECTORY: dict[str, str | None] = {"ada": "ada@example.org", "anon": None}


async def whois(ctx: runtime.Context, args: models.WhoisInput) -> models.Person:
    return models.Person(name=args.name, email=DIRECTORY.get(args.name))
