"""The errors of a tool that calls an HTTP API, each with typed data for the client."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ..runtime._errors import DeclaredError, ToolTimeout
from ._operations import Answer
from ._secrets import SECRETS

# Error bodies that are not JSON are cut to this many characters in the error's data,
ERROR_TEXT_MAX = 2000
# and every error body to this many in the error's message (what a model reads).
ERROR_EXCERPT_MAX = 500

# Problems listed when an answer breaks the output schema.
PROBLEMS_MAX = 10


class HttpErrorData(BaseModel):
    status: int
    method: str
    path: str
    body: Any = None
    retry_after: float | None = None


def error_body(answer: Answer) -> Any:
    """An error answer's body: JSON, else text cut short; credentials an API echoes blanked."""
    if not answer.body:
        return None
    try:
        return SECRETS.redact_value(json.loads(answer.body))
    except ValueError:
        text = SECRETS.redact(answer.text())
        return text if len(text) <= ERROR_TEXT_MAX else text[:ERROR_TEXT_MAX] + "..."


def with_excerpt(message: str, body: Any) -> str:
    """An error's message with what the API said, cut short: a model reads the message (the
    body whole is in the error's data, which a client may not show it)."""
    if body is None or body == "":
        return message
    text = (
        body
        if isinstance(body, str)
        else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    )
    text = " ".join(text.split())
    if len(text) > ERROR_EXCERPT_MAX:
        text = f"{text[:ERROR_EXCERPT_MAX]}... ({len(text) - ERROR_EXCERPT_MAX} more characters)"
    return f"{message}\nThe API answered: {text}"


class HttpError(DeclaredError):
    """The API answered with an error status for which the spec declares no error type."""

    error_type = "HttpError"
    code = -32060

    def __init__(self, data: HttpErrorData) -> None:
        message = f"HTTP {data.status} from {data.method} {data.path}"
        super().__init__(data, message=with_excerpt(message, data.body))


class RetryableHttpError(HttpError):
    """An `HttpError` worth retrying later: 429 Too Many Requests, or a 5xx."""

    retryable = True


class _FailureData(BaseModel):
    method: str
    path: str
    reason: str


class HttpRequestFailed(DeclaredError):
    """The API could not be reached, or did not answer in time."""

    error_type = "HttpRequestFailed"
    code = -32061
    retryable = True

    def __init__(self, method: str, path: str, reason: str) -> None:
        super().__init__(
            _FailureData(method=method, path=path, reason=reason),
            message=f"{method} {path} failed: {reason}",
        )


class _TimeoutData(BaseModel):
    method: str
    path: str
    seconds: float


class HttpTimeout(ToolTimeout):
    """The API did not answer in time: within a try, or within the call's deadline.

    A `ToolTimeout` (type, code, retryable), with the request it was waiting for as data.
    """

    def __init__(self, method: str, path: str, seconds: float, limit: str) -> None:
        DeclaredError.__init__(
            self,
            _TimeoutData(method=method, path=path, seconds=seconds),
            message=f"{method} {path} timed out: no answer within {seconds:g} s ({limit})",
        )


class _InvalidAnswerData(BaseModel):
    status: int
    method: str
    path: str
    problems: list[str]


class HttpResponseInvalid(DeclaredError):
    """The API answered outside the schema the spec declares for the answer."""

    error_type = "HttpResponseInvalid"
    code = -32062

    def __init__(self, status: int, method: str, path: str, problems: Sequence[str]) -> None:
        shown = list(problems[:PROBLEMS_MAX])
        if len(problems) > PROBLEMS_MAX:
            shown.append(f"... and {len(problems) - PROBLEMS_MAX} more")
        super().__init__(
            _InvalidAnswerData(status=status, method=method, path=path, problems=shown),
            message=f"{method} {path} answered outside its schema:\n- " + "\n- ".join(shown),
        )


class _CredentialsData(BaseModel):
    alternatives: list[list[str]]


class HttpCredentialsMissing(DeclaredError):
    """No security alternative of the operation has all its environment variables set."""

    error_type = "HttpCredentialsMissing"
    code = -32063

    def __init__(self, method: str, path: str, alternatives: list[list[str]]) -> None:
        wanted = " or ".join(" and ".join(names) for names in alternatives)
        super().__init__(
            _CredentialsData(alternatives=alternatives),
            message=f"{method} {path} needs credentials: set {wanted}",
        )


class _RequestInvalidData(BaseModel):
    method: str
    path: str
    reason: str


class HttpRequestInvalid(DeclaredError):
    """The arguments (or the configuration) cannot make a valid HTTP request."""

    error_type = "HttpRequestInvalid"
    code = -32064

    def __init__(self, method: str, path: str, reason: str) -> None:
        super().__init__(
            _RequestInvalidData(method=method, path=path, reason=reason),
            message=f"Cannot send {method} {path}: {reason}",
        )


class _RedirectData(BaseModel):
    method: str
    path: str
    status: int
    origin: str  # where the redirect pointed: scheme, host and port only


class HttpRedirectRefused(DeclaredError):
    """The API redirected a request to another origin, which the client does not follow."""

    error_type = "HttpRedirectRefused"
    code = -32066

    def __init__(self, method: str, path: str, status: int, origin: str, base_url_env: str) -> None:
        super().__init__(
            _RedirectData(method=method, path=path, status=status, origin=origin),
            message=f"{method} {path} was redirected (HTTP {status}) to another origin, {origin}: "
            "not followed, so that the API's credentials and data go nowhere else. If that is "
            f"where the API now is, set {base_url_env} to it.",
        )


class _AuthFailedData(BaseModel):
    scheme: str
    reason: str


class HttpAuthFailed(DeclaredError):
    """Credentials were set but could not be turned into a token (OAuth 2)."""

    error_type = "HttpAuthFailed"
    code = -32065

    def __init__(self, scheme: str, reason: str) -> None:
        super().__init__(
            _AuthFailedData(scheme=scheme, reason=reason),
            message=f"Authentication with {scheme!r} failed: {reason}",
        )


class _TooLargeData(BaseModel):
    status: int
    method: str
    path: str
    ceiling: int  # bytes read before reading stopped


class HttpResponseTooLarge(DeclaredError):
    """The API's answer went past the most bytes read for the tool (`_trimming.ceiling`):
    reading stopped there and the connection was closed. `answer` holds what was read, which
    a text answer's cut still shows; a JSON answer cannot be cut at its structure unread."""

    error_type = "HttpResponseTooLarge"
    code = -32069  # -32067 and -32068 are the long-running operations' (branch lro)

    def __init__(self, answer: Answer, method: str, path: str, ceiling: int, advice: str) -> None:
        super().__init__(
            _TooLargeData(status=answer.status, method=method, path=path, ceiling=ceiling),
            message=f"{method} {path} answered more than {ceiling:,} bytes, the most this tool "
            f"reads: reading stopped there and nothing of it is passed on. {advice}",
        )
        self.answer = answer
