"""Errors a handler raises: the spec's declared errors (`DeclaredError`), the runtime's own
(`ToolBusy`, `ToolTimeout`), and `InputRequired` with the requests it carries.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import mcp_types as types
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from ._json import to_json
from ._schema import SchemaCheck
from ._types import InputRequest, SamplingMessage, logger

# `_meta` flag on the result of a tool whose handler is still the scaffolded stub, so tests
# (and curious clients) can tell "not written yet" from "failed".
NOT_IMPLEMENTED_META = "dev.mcpgen/not-implemented"
# `_meta` key of a tool's failure as data: {"type", "code", "message", "data"?, "retryable"?}.
ERROR_META = "dev.mcpgen/error"


class DeclaredError(Exception):
    """Base of the error types a spec declares; raised in a handler, reaches the client.

    A tool that raises one answers with an `isError` result carrying the message as text and
    the error as structured content (`{"error": {...}}`), unless the type is declared
    `jsonrpc`, when (like an error anywhere outside a tool) it becomes a JSON-RPC error with
    its code.
    """

    error_type: ClassVar[str] = "DeclaredError"
    code: ClassVar[int] = -32000
    message_template: ClassVar[str] = ""
    jsonrpc: ClassVar[bool] = False
    retryable: ClassVar[bool] = False

    def __init__(self, data: BaseModel | None = None, *, message: str | None = None) -> None:
        self._start(data, None, message)

    def _start(
        self, data: BaseModel | None, wire: Mapping[str, Any] | None, message: str | None
    ) -> None:
        self._data = data
        self._wire = wire  # the data as JSON, when it came so (`from_json`)
        fields = (
            _Fields(wire)
            if wire is not None
            else data.model_dump(mode="json", by_alias=True)
            if data is not None
            else {}
        )
        self.message = message if message is not None else self.message_template.format_map(fields)
        Exception.__init__(self, self.message)

    @property
    def data(self) -> BaseModel | None:
        """The error's typed data: for an error made `from_json`, built on first read."""
        if self._data is None and self._wire is not None:
            model = self.data_model()
            if model is not None:
                self._data = model.model_validate(self._wire)
        return self._data

    @classmethod
    def data_model(cls) -> type[BaseModel] | None:
        """The model of the error's data; None when it carries none. A generated error
        imports its model when first asked, so that a server's models (two seconds of
        Stripe's) are imported by the first answer that needs one, not by every call."""
        return None

    @classmethod
    def data_schema(cls) -> Mapping[str, Any] | None:
        """The JSON Schema of the error's data (a generated error reads it from
        `errors.json`); None when it carries none."""
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self | None:
        """The error carrying `data` as it came (JSON: an API's error answer), if `data`
        meets the error's data schema; None if it does not, or there is none.

        Checked by the schema, not by building the typed model: the model of Stripe's error
        data reaches 741 definitions (1.2-1.5 s to import, on the first call that met an
        error). The client gets the data as it came; `.data` is typed when first read.
        """
        check = _DATA_CHECKS.get(cls)
        if check is None:
            schema = cls.data_schema()
            if schema is None:
                return None
            check = _DATA_CHECKS[cls] = SchemaCheck(schema, "data")
        if check.errors(data):
            return None
        error = cls.__new__(cls)
        DeclaredError._start(error, None, data, None)
        return error

    def _data_json(self) -> Any:
        if self._wire is not None:
            return dict(self._wire)
        return to_json(self._data) if self._data is not None else None

    def to_mcp_error(self) -> MCPError:
        """The JSON-RPC error form: the code, the message, and the typed data as `data`."""
        return MCPError(self.code, self.message, self._data_json())

    def to_json(self) -> dict[str, Any]:
        """The structured form sent in a tool's `isError` result."""
        body: dict[str, Any] = {"type": self.error_type, "code": self.code, "message": self.message}
        if self.retryable:
            body["retryable"] = True
        data = self._data_json()
        if data is not None:
            body["data"] = data
        return body


class _Fields(dict[str, Any]):
    """An error's JSON data as its message template reads it: an optional property the
    data leaves out reads as None, as the typed model's dump has it."""

    def __missing__(self, key: str) -> None:
        return None


# Each error class's data schema, compiled on its first `from_json`.
_DATA_CHECKS: dict[type[DeclaredError], SchemaCheck] = {}


class _RetryAfter(BaseModel):
    retry_after: float


class ToolBusy(DeclaredError):
    """A call went over a concurrency or rate limit and was refused; it may be retried."""

    error_type = "ToolBusy"
    code = -32050
    retryable = True

    def __init__(self, limit: str, retry_after: float) -> None:
        super().__init__(
            _RetryAfter(retry_after=round(retry_after, 3)),
            message=f"{limit} is busy; retry in {retry_after:.2f} s",
        )


class ToolTimeout(DeclaredError):
    """A call ran longer than its tool's timeout and was stopped."""

    error_type = "ToolTimeout"
    code = -32051
    retryable = True

    def __init__(self, tool: str, seconds: float) -> None:
        super().__init__(None, message=f"Tool {tool!r} timed out after {seconds:g} s")


class InputRequired(Exception):
    """Raised by a handler that needs the client's input before it can answer.

    The multi-round style of the 2026-07-28 protocol: the handler names each request with a
    key, may carry opaque `state`, and reads the answers from `ctx.input_responses` and
    `ctx.request_state` when it runs again. On 2026-07-28 connections the shim sends an
    `InputRequiredResult` and the client retries; on older ones the shim sends the requests
    to the client itself and runs the handler again. `ctx.elicit`, `ctx.sample` and
    `ctx.list_roots` do all of this for a handler written straight through.
    """

    def __init__(self, requests: Mapping[str, InputRequest], state: str | None = None) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests = dict(requests)
        self.state = state


def elicitation_request(message: str, schema: Mapping[str, Any]) -> InputRequest:
    """A request for the user to fill in a form of `schema`'s fields (for `InputRequired`)."""
    return types.ElicitRequest(
        params=types.ElicitRequestFormParams(message=message, requested_schema=dict(schema))
    )


def sampling_request(
    prompt: str | Sequence[SamplingMessage],
    *,
    max_tokens: int,
    system_prompt: str | None = None,
    temperature: float | None = None,
) -> InputRequest:
    """A request for a completion by the client's model (for `InputRequired`)."""
    messages = (
        [types.SamplingMessage(role="user", content=types.TextContent(text=prompt))]
        if isinstance(prompt, str)
        else list(prompt)
    )
    return types.CreateMessageRequest(
        params=types.CreateMessageRequestParams(
            messages=messages,
            max_tokens=max_tokens,
            system_prompt=system_prompt,
            temperature=temperature,
        )
    )


def roots_request() -> InputRequest:
    """A request for the client's roots (for `InputRequired`)."""
    return types.ListRootsRequest()


def log_incident(what: str) -> str:
    """Log the exception being handled under a fresh reference the client may quote."""
    reference = uuid.uuid4().hex[:12]
    logger.exception("%s failed (reference %s)", what, reference)
    return reference
