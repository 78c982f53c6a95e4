"""Running a tool's handler: plainly, or under its timeout, or relaying what it streams."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import anyio

from ._context import Context
from ._definitions import Binding
from ._errors import ToolTimeout
from ._streaming import StreamRelay
from ._types import Arguments


def invoke(
    name: str, binding: Binding[Any], context: Context[Any], args: Arguments
) -> Awaitable[Any]:
    """The handler's call; the plain case is the handler's own coroutine, with no wrapper."""
    if binding.timeout is None and not binding.stream:
        return binding.handler(context, args)  # type: ignore[no-any-return]
    return _invoke_with_care(name, binding, context, args)


async def _invoke_with_care(
    name: str, binding: Binding[Any], context: Context[Any], args: Arguments
) -> Any:
    if binding.timeout is None:
        return await _produce(binding, context, args)
    with anyio.move_on_after(binding.timeout) as scope:
        value = await _produce(binding, context, args)
    # A handler that stopped because `ctx.cancelled` said the deadline passed returns
    # before its scope is cancelled: it timed out all the same.
    if scope.cancelled_caught or anyio.current_time() >= scope.deadline:
        raise ToolTimeout(name, binding.timeout)
    return value


async def _produce(binding: Binding[Any], context: Context[Any], args: Arguments) -> Any:
    if not binding.stream:
        return await binding.handler(context, args)
    return await StreamRelay(context).drain(binding.handler(context, args))
