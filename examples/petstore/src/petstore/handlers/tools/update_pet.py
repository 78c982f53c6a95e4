"""Handler of the updatePet tool.

Update an existing pet by Id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from petstore._generated import http_client, models, runtime


async def update_pet(
    ctx: runtime.Context, args: models.UpdatePetInput, request: http_client.Request
) -> models.Pet | Mapping[str, Any]:
    # PUT /pet
    # `request` is the call mcpgen generates: it sends the arguments, maps error statuses
    # to the tool's errors and returns the answer as the result. Change the arguments or
    # the answer, or replace the call; `await request.send(args)` gives the raw answer.
    return await request.structured(args)
