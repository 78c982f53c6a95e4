"""The names the whole runtime shares: the SDK's wire types that handlers build and
return (re-exported, so handlers import the SDK through the runtime only), what handlers
return, the runtime's logger, and its type variables.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import mcp_types as types
from mcp.server.lowlevel import Server
from pydantic import BaseModel
from typing_extensions import TypeVar as DefaultTypeVar

# Wire types handlers may build and return; re-exported so handlers import the SDK
# through this module only.
TextContent = types.TextContent
ImageContent = types.ImageContent
AudioContent = types.AudioContent
ResourceLink = types.ResourceLink
EmbeddedResource = types.EmbeddedResource
TextResourceContents = types.TextResourceContents
BlobResourceContents = types.BlobResourceContents
PromptMessage = types.PromptMessage
SamplingMessage = types.SamplingMessage
CreateMessageResult = types.CreateMessageResult
Root = types.Root
CallToolResult = types.CallToolResult  # a whole result, returned as it is (`http_client`)
ContentBlock: TypeAlias = types.ContentBlock
LogLevel: TypeAlias = types.LoggingLevel
InputRequest: TypeAlias = types.InputRequest
SdkServer: TypeAlias = Server[Any]

ToolReturn: TypeAlias = str | ContentBlock | Sequence[ContentBlock]
"""What a tool without an output schema returns: text, one content block, or several."""

ToolChunk: TypeAlias = str | ContentBlock
"""What a streaming tool yields: text, or a content block."""

ResourceReturn: TypeAlias = str | bytes
"""What a resource handler returns: text, or bytes sent base64-encoded as a blob."""

PromptReturn: TypeAlias = str | Sequence[PromptMessage]
"""What a prompt handler returns: text becomes one user message."""

Arguments: TypeAlias = BaseModel | Mapping[str, Any]
"""A tool's arguments as its handler gets them: its input model, or as they came."""

INVALID_PARAMS = types.INVALID_PARAMS
INTERNAL_ERROR = types.INTERNAL_ERROR

logger = logging.getLogger("mcpgen.runtime")

ModelT = TypeVar("ModelT", bound=BaseModel)
OutputT = TypeVar("OutputT")
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
NumberT = TypeVar("NumberT", int, float)
StateT = DefaultTypeVar("StateT", covariant=True, default=None)
