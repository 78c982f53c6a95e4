"""Asks for a form whose fields all have defaults (SEP-1034)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from conformance._generated import models, runtime


async def test_elicitation_sep1034_defaults(
    ctx: runtime.Context, args: models.Empty
) -> runtime.ToolReturn:
    answer = await ctx.elicit("Please provide user information", UserInformation)
    content = answer.data.model_dump_json() if answer.data is not None else "{}"
    return f"Elicitation result: action={answer.action}, content={content}"


class UserInformation(BaseModel):
    """A form with a default for every primitive type."""

    name: str = Field(default="John Doe", description="User name")
    age: int = Field(default=30, description="User age")
    score: float = Field(default=95.5, description="User score")
    status: Literal["active", "inactive", "pending"] = Field(
        default="active", description="User status"
    )
    verified: bool = Field(default=True, description="Verification status")
