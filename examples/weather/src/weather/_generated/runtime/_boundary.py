"""The server's one middleware: what crosses the wire, in both directions."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.shared.exceptions import MCPError
from mcp_types.methods import INPUT_REQUIRED_METHODS, is_input_required
from pydantic import ValidationError

from ._errors import log_incident
from ._types import INTERNAL_ERROR


class Boundary:
    """The server's one middleware: what crosses the wire, in both directions.

    Out: no exception text and no non-standard code reach the client. Without this the SDK
    answers an unexpected exception on 2025-era connections with code 0 and `str(exc)`;
    MCPError and the SDK's own params ValidationError already map correctly.
    Both ways, on the methods that can ask for input: `requestState` goes to the client and
    comes back, so the SDK's boundary seals it (AES-GCM) and verifies
    it: a client can neither read nor forge what the shim carries between rounds. The key
    is the state's (`_state`): one per process, or the ring every replica shares. Out, on
    `tools/list`: the tools go into the envelope the SDK made (see `sieve_tools`). One
    middleware rather than two, as each layer costs every request a call.
    """

    def __init__(
        self,
        server_name: str,
        wire_tools: Callable[[ServerRequestContext[Any, Any]], list[dict[str, Any]]] | None,
        security: RequestStateSecurity,
    ) -> None:
        self._state = RequestStateBoundary(security, default_audience=server_name)
        self._wire_tools = wire_tools

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        try:
            if ctx.method not in _INPUT_METHODS:
                result = await call_next(ctx)
                if ctx.method == "tools/list" and self._wire_tools is not None:
                    # The SDK made the envelope from an empty list (its checks, hints and
                    # stamps); the tools go in as it would have sent them (`sieve_tools`).
                    return {**result, "tools": self._wire_tools(ctx)}
                return result
            if ctx.params is not None and ctx.params.get("requestState") is not None:
                return await self._state(ctx, call_next)
            # Most calls carry no state and need none: only a result asking for input goes
            # through the sealing boundary (which costs a plain call ~5 µs otherwise).
            result = await call_next(ctx)
            if not is_input_required(result):
                return result

            async def answered(_: ServerRequestContext[Any, Any]) -> Any:
                return result

            return await self._state(ctx, answered)
        except (MCPError, ValidationError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            raise MCPError(
                INTERNAL_ERROR, f"Internal error (reference {log_incident(ctx.method)})"
            ) from None


# The requests whose answer may be an InputRequiredResult, and so carry requestState.
_INPUT_METHODS = INPUT_REQUIRED_METHODS
