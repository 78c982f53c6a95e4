"""The runtime of an mcpgen server: everything between the MCP SDK and its handlers.

mcpgen vendors this package verbatim into each generated server as `_generated/runtime/`
(the way pip vendors its dependencies), so a generated server never depends on mcpgen.
Generated code reaches the SDK only through it; handlers get a `Context` and typed models
and never see the SDK's request plumbing. Both protocol eras are served from one code
path: where 2026-07-28 replaces a server-to-client request with an `InputRequiredResult`
and a retry, the runtime does the round trip, so a handler reads the same on either.

What handlers may use is named here, in `__all__`. The modules behind it are private (a
leading underscore), one concern each; the generated modules of the package (`server.py`,
`errors.py`, ...) import the wiring they need from them directly:

- `_errors`: the declared-error base, `InputRequired`, the input request builders
- `_context`: the handler's `Context` (progress, cancellation, logs, elicit, sample, ...)
- `_schema`, `_patterns`: checking values against JSON Schemas (ECMA-262 patterns)
- `_definitions`: tools, resources, templates and prompts as a server declares them
- `_dispatch`, `_streaming`, `_limits`, `_boundary`, `_sieve`: serving a request
- `_handle`: the running server, for notifications outside a request
- `_tasking`, `_tasks`, `_tasks_listen`: calls that run as tasks (`_tasks*` only in servers
  that use them)
- `_state`, `_state_redis`: cross-request state, in memory or shared by replicas in Redis
- `_event_store`, `_http_calls`, `_host_guard`, `_http`: serving streamable HTTP
- `_auth`, `_auth_tokens`: bearer tokens over HTTP (only in servers that declare `[server.auth]`)
- `_server`, `_serving`, `_toolsets`, `_search`: the SDK server a spec describes, what the
  command line chose for it, the toolsets it serves and its search surface
- `_cli`: `python -m <package>`
- `_sdk_internals`: the only place that touches what the SDK does not make public

Its sibling `http_client` (vendored only into servers whose tools call HTTP APIs) builds
on it.
"""

from ._context import Context, Elicitation, Principal
from ._errors import (
    ERROR_META,
    NOT_IMPLEMENTED_META,
    DeclaredError,
    InputRequired,
    ToolBusy,
    ToolTimeout,
    elicitation_request,
    roots_request,
    sampling_request,
)
from ._handle import ServerHandle, ServerInfo
from ._types import (
    AudioContent,
    BlobResourceContents,
    ContentBlock,
    CreateMessageResult,
    EmbeddedResource,
    ImageContent,
    InputRequest,
    LogLevel,
    PromptMessage,
    PromptReturn,
    ResourceLink,
    ResourceReturn,
    Root,
    SamplingMessage,
    SdkServer,
    TextContent,
    TextResourceContents,
    ToolChunk,
    ToolReturn,
)

__all__ = [
    "ERROR_META",
    "NOT_IMPLEMENTED_META",
    "AudioContent",
    "BlobResourceContents",
    "ContentBlock",
    "Context",
    "CreateMessageResult",
    "DeclaredError",
    "Elicitation",
    "EmbeddedResource",
    "ImageContent",
    "InputRequest",
    "InputRequired",
    "LogLevel",
    "Principal",
    "PromptMessage",
    "PromptReturn",
    "ResourceLink",
    "ResourceReturn",
    "Root",
    "SamplingMessage",
    "SdkServer",
    "ServerHandle",
    "ServerInfo",
    "TextContent",
    "TextResourceContents",
    "ToolBusy",
    "ToolChunk",
    "ToolReturn",
    "ToolTimeout",
    "elicitation_request",
    "roots_request",
    "sampling_request",
]
