"""Tools that yield their result in chunks: relayed as they come, gathered at the end."""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Any

import mcp_types as types

from ._context import Context
from ._sdk_internals import wants_progress
from ._types import ContentBlock, ToolChunk


class StreamRelay:
    """Relays what a streaming handler yields, and gathers it into the final result.

    Chunks go out as progress messages when the client asked for progress, else as log
    messages. Text that arrives faster than `Context.PROGRESS_INTERVAL` is sent together
    with the next, so nothing is lost and a fast generator cannot flood the client.
    """

    def __init__(self, context: Context[Any]) -> None:
        self.context = context
        self.as_progress = wants_progress(context._request)
        self.count = 0
        self.unsent: list[str] = []
        self.sent_at = -math.inf

    async def drain(self, chunks: AsyncIterator[ToolChunk]) -> types.CallToolResult:
        content: list[ContentBlock] = []
        async for chunk in chunks:
            block = types.TextContent(text=chunk) if isinstance(chunk, str) else chunk
            last = content[-1] if content else None
            if isinstance(block, types.TextContent) and isinstance(last, types.TextContent):
                content[-1] = types.TextContent(text=last.text + block.text)
            else:
                content.append(block)
            self.count += 1
            self.unsent.append(block.text if isinstance(block, types.TextContent) else "")
            if time.monotonic() - self.sent_at >= Context.PROGRESS_INTERVAL:
                await self.flush()
        await self.flush()
        return types.CallToolResult(content=content)

    async def flush(self) -> None:
        if not self.unsent:
            return
        text = "".join(self.unsent)
        self.unsent.clear()
        self.sent_at = time.monotonic()
        task = self.context._task
        if task is not None:  # no request to stream on: the task's status tells how far
            await task.set_status(f"{self.count} chunk{'s' * (self.count != 1)}")
            return
        if self.as_progress:
            await self.context._request.session.report_progress(self.count, None, text)
        elif text:
            await self.context.log("info", text)
