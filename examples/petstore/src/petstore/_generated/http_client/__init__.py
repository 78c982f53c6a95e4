"""The HTTP side of an mcpgen server: tools whose handlers call an HTTP API.

Part of the runtime, vendored only into a server whose spec binds tools to HTTP operations.
The spec's operations become a table of small descriptors (`Operation`, in the generated
`operations.py`); this package holds everything that happens when one of them is called,
one concern a module (`_operations`, `_encoding`, `_secrets`, `_sigv4`, `_errors`,
`_trimming`, `_long_running`, `_client`):

- one shared `httpx2.AsyncClient` per server, made on first use and closed at shutdown;
- the base URL from the spec, overridable by an environment variable;
- credentials from the environment, by the first security alternative whose variables
  are all set (bearer, API key in a header, query parameter or cookie, basic, OAuth 2
  client credentials with the token cached until it expires, AWS Signature Version 4 over
  the request as sent, `_sigv4`), sent only to the API's
  origin: a redirect elsewhere is refused, and no credential reaches a log or, echoed by
  the API, a result;
- parameters placed and serialised per OpenAPI 3.1.1 (styles simple, label, matrix, form,
  spaceDelimited, pipeDelimited, deepObject; allowReserved; JSON `content`; path values
  percent-encoded so that a `/` or a `..` in a value cannot leave its segment), after the
  operation's fixed query;
- bodies as JSON, form fields (by each property's `encoding`), multipart parts, text or
  bytes;
- retries of 429 and 503 answers with exponential backoff and jitter, honouring
  `Retry-After`; transport failures retried only when the request cannot have reached
  the server, or when the method is idempotent; one deadline for the whole call;
- the answer checked against the tool's output schema (per `output_validation`), error
  statuses mapped to the spec's declared error types, anything else to `HttpError`, the
  message ending with what the API answered;
- progress while waiting to retry and while downloading a body of known length, and
  cancellation: a cancelled tool call closes the connection of its request;
- each answer held to its tool's byte budget, cut where it stays valid with a note of what
  was cut and the paging arguments that read on, and never read past 25 times the budget
  (`_trimming`);
- long-running operations (`202 Accepted` and a status monitor): the call detaches into a
  task where the client speaks tasks, and polls the monitor, bounded, to the result.
"""

from ._client import HttpClient, Request
from ._errors import (
    HttpAuthFailed,
    HttpCredentialsMissing,
    HttpError,
    HttpRedirectRefused,
    HttpRequestFailed,
    HttpRequestInvalid,
    HttpResponseInvalid,
    HttpResponseTooLarge,
    HttpTimeout,
)
from ._long_running import HttpOperationFailed, HttpOperationUnfinished
from ._operations import (
    Answer,
    Api,
    ApiKey,
    AwsSigV4,
    Basic,
    Bearer,
    Body,
    Encoding,
    LongRunning,
    OAuth2ClientCredentials,
    Operation,
    Pagination,
    Param,
)

__all__ = [
    "Answer",
    "Api",
    "ApiKey",
    "AwsSigV4",
    "Basic",
    "Bearer",
    "Body",
    "Encoding",
    "HttpAuthFailed",
    "HttpClient",
    "HttpCredentialsMissing",
    "HttpError",
    "HttpOperationFailed",
    "HttpOperationUnfinished",
    "HttpRedirectRefused",
    "HttpRequestFailed",
    "HttpRequestInvalid",
    "HttpResponseInvalid",
    "HttpResponseTooLarge",
    "HttpTimeout",
    "LongRunning",
    "OAuth2ClientCredentials",
    "Operation",
    "Pagination",
    "Param",
    "Request",
]
