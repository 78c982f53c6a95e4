"""The client that calls an API for a tool: credentials, redirects, retries, deadlines,
progress, and the answer mapped to a result or a declared error.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeAlias
from urllib.parse import urljoin

import anyio
import httpx2
from pydantic import BaseModel

from ..runtime._context import Context, forwarded_headers
from ..runtime._definitions import Tool
from ..runtime._types import Arguments, ModelT
from ._connections import connection_pool, tls_context
from ._encoding import Prepared, percent_encode, prepare
from ._errors import (
    HttpAuthFailed,
    HttpCredentialsMissing,
    HttpError,
    HttpErrorData,
    HttpRedirectRefused,
    HttpRequestFailed,
    HttpRequestInvalid,
    HttpResponseInvalid,
    HttpTimeout,
    RetryableHttpError,
    error_body,
    with_excerpt,
)
from ._long_running import settle
from ._operations import (
    Answer,
    Api,
    ApiKey,
    AwsSigV4,
    Basic,
    Bearer,
    OAuth2ClientCredentials,
    Operation,
)
from ._secrets import SECRETS
from ._sigv4 import SigningError, sign
from ._trimming import (
    budget,
    ceiling,
    held_result,
    read_bounded,
    structured_result,
    text_call,
)

# Methods a retry cannot do harm with, even if the first attempt reached the server.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = frozenset({429, 503})
# Backoff before retry n (from 0): BACKOFF_BASE * 2**n seconds, less up to half as jitter.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
# A `Retry-After` longer than this is not waited for: the call fails at once (retryable).
RETRY_AFTER_MAX = 30.0
# Redirects (within the API's origin) followed for one request, at most.
MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# An OAuth 2 token is renewed this many seconds before it expires.
TOKEN_MARGIN = 30.0


def _backoff(attempt: int) -> float:
    delay = min(BACKOFF_MAX, BACKOFF_BASE * 2.0**attempt)
    return delay * (0.5 + random.random() / 2)


Handler: TypeAlias = Callable[[Context[Any], BaseModel], Awaitable[Any]]


def _credential(variable: str, *, raw_in_header: bool = False) -> str:
    """The credential in `variable`, remembered as a secret; ValueError naming the variable,
    never the value, when it cannot be sent.

    A control character is always a mistake (a key file read with its newline, `KEY=$(cat
    key)`; RFC 7617 forbids them in Basic credentials too) and in a header a line break would
    start another header; a value that goes into a header as it is must be ASCII as well.
    """
    value = os.environ[variable]
    SECRETS.add(value)
    if not value.isprintable():
        raise ValueError(
            f"the credential in {variable} holds a line break or another control character "
            "(a trailing newline from the file it was read from?)"
        )
    if raw_in_header and not value.isascii():
        raise ValueError(f"the credential in {variable} goes in a header, which carries only ASCII")
    return value


class HttpClient:
    """The server's connection to its HTTP API: one per built server.

    `handler(operation)` is the generated handler of a tool; `custom(operation, handler)`
    gives a user-owned handler the operation's `Request`; `tools` are the server's tools,
    whose output schemas judge the API's answers; `aclose` closes the connections (the
    server does at shutdown).
    """

    def __init__(self, api: Api, tools: Mapping[str, Tool] | None = None) -> None:
        self.api = api
        self._client: httpx2.AsyncClient | None = None
        self._tools: Mapping[str, Tool] = tools if tools is not None else {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._token_lock: anyio.Lock | None = None
        # Made here, where a tool is bound (a worker thread), not on the event loop.
        self._tls = tls_context()

    # -- wiring ----------------------------------------------------------------------

    def handler(self, operation: Operation) -> Handler:
        """The generated handler of the tool that calls `operation`."""

        async def call(ctx: Context[Any], args: Arguments) -> Any:
            # The answer, held to the tool's budget (`_trimming`); a custom handler's is not.
            request, limit = Request(self, operation, ctx), budget(self.api, operation)
            tool = self._tools.get(operation.tool)
            if tool is not None and tool.output_schema is not None:
                value = await request.structured(args)
                return structured_result(value, tool, operation, dict(args), limit)
            answered = request.send(args)
            return await text_call(answered, request._succeeded, operation, dict(args), limit)

        return call

    def custom(
        self,
        operation: Operation,
        handler: Callable[[Context[Any], ModelT, Request], Awaitable[Any]],
    ) -> Callable[[Context[Any], ModelT], Awaitable[Any]]:
        """A user-owned handler, given the operation's generated request to call."""

        async def call(ctx: Context[Any], args: ModelT) -> Any:
            # Its result is held to the tool's budget as the generated handler's answer is.
            value = await handler(ctx, args, Request(self, operation, ctx))
            tool, limit = self._tools.get(operation.tool), budget(self.api, operation)
            return held_result(value, tool, operation, partial(_values, args), limit)

        return call

    async def aclose(self) -> None:
        """Close the connections; the next request opens new ones."""
        client, self._client = self._client, None
        self._token_lock = None
        if client is not None:
            with anyio.CancelScope(shield=True):
                await client.aclose()

    # -- sending ---------------------------------------------------------------------

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            SECRETS.install()
            self._client = connection_pool(self.api.timeout, self._tls)
        return self._client

    def base_url(self, operation: Operation | None = None) -> str:
        """The base URL: the environment's override, else the operation's, else the API's.

        The override sends every request to its address, operations with their own included:
        it points the whole API somewhere else (a test server, a proxy, an enterprise host),
        and credentials never go where the one who set it did not say.
        """
        configured = (operation.base_url if operation else None) or self.api.base_url
        return (os.environ.get(self.api.base_url_env) or configured).rstrip("/")

    def token_url(self, scheme: OAuth2ClientCredentials) -> str:
        """The token endpoint: a relative `tokenUrl` resolved (RFC 3986) against the API's
        base URL, as OpenAPI resolves a security scheme's URLs against the Server Object, and
        against the override when set: it moves the whole API, its token endpoint with it.
        An absolute `tokenUrl` names a service of its own and stays."""
        return urljoin(os.environ.get(self.api.base_url_env) or self.api.base_url, scheme.token_url)

    async def send(
        self, ctx: Context[Any], operation: Operation, values: Mapping[str, Any]
    ) -> Answer:
        """Send the operation's request made of `values`, retrying as the API allows."""
        method, path = operation.method, operation.path
        try:
            prepared = prepare(operation, values)
        except (ValueError, TypeError) as problem:
            raise HttpRequestInvalid(method, path, str(problem)) from None
        base = self.base_url(operation)
        if not re.match(r"^https?://", base, re.I):
            raise HttpRequestInvalid(
                method,
                path,
                f"the base URL {base!r} is not absolute: set {self.api.base_url_env}",
            )
        # One deadline for the call: the token request, every try and every wait between.
        with anyio.move_on_after(self.api.deadline) as deadline:
            return await self._tries(ctx, operation, prepared, base, deadline)
        raise HttpTimeout(method, path, self.api.deadline, "the call's deadline")

    async def fetch(self, ctx: Context[Any], operation: Operation, url: str) -> Answer:
        """GET `url`, which an answer gave (a status monitor, a result), as any request (retries,
        redirects within its origin, the deadline); the operation's credentials go with it
        only on the API's origin, where the description sends them: elsewhere, none."""
        target = httpx2.URL(url)
        fetched = replace(operation, method="GET", path=target.path, body=None, params=())
        if target.scheme not in ("http", "https") or target.userinfo:
            raise HttpRequestInvalid("GET", target.path, "the API pointed to a non-http(s) URL")
        own = _origin(target) == _origin(httpx2.URL(self.base_url(operation)))
        # A credential the URL carries (the request's own query key, echoed) goes nowhere
        # from here: on the API's origin the operation's credentials are added anew.
        query = [i for i in target.query.decode("ascii").split("&") if i and not SECRETS.carries(i)]
        path = target.raw_path.decode("ascii").split("?", 1)[0]
        prepared = Prepared(path=path, query=query, headers={}, cookies=[])
        base = f"{target.scheme}://{target.netloc.decode('ascii')}"
        with anyio.move_on_after(self.api.deadline) as deadline:
            return await self._tries(ctx, fetched, prepared, base, deadline, credentials=own)
        raise HttpTimeout("GET", target.path, self.api.deadline, "the call's deadline")

    async def _tries(
        self,
        ctx: Context[Any],
        operation: Operation,
        prepared: Prepared,
        base: str,
        deadline: anyio.CancelScope,
        *,
        credentials: bool = True,
    ) -> Answer:
        method, path = operation.method, operation.path
        try:
            signer = await self._authorize(operation, prepared) if credentials else None
        except ValueError as problem:
            raise HttpRequestInvalid(operation.method, operation.path, str(problem)) from None
        url = base + prepared.path
        if prepared.query:
            url += "?" + "&".join(prepared.query)
        headers = dict(prepared.headers)
        # A per-user credential the spec forwards; the operation's own headers come first.
        # Nothing else of the MCP request reaches the API (its bearer token never does).
        if credentials and self.api.forward_headers:
            forwarded = forwarded_headers(ctx, self.api.forward_headers)
            taken = {name.lower() for name in headers}
            headers.update({k: v for k, v in forwarded.items() if k not in taken})
        if prepared.cookies:
            headers["Cookie"] = "; ".join(prepared.cookies)
        if operation.response == "application/json":
            headers.setdefault("Accept", "application/json")
        client = self._http()
        retries = self.api.retries
        attempt = 0
        while True:
            request = client.build_request(
                method, url, headers=headers, content=prepared.content, files=prepared.files
            )
            try:
                answer = await self._exchange(ctx, client, request, operation, signer)
            except httpx2.TransportError as failure:
                # A connection never made carried nothing; anything later may have been
                # received, so only an idempotent request is sent again.
                unsent = isinstance(
                    failure, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
                )
                if attempt < retries and (unsent or method in IDEMPOTENT_METHODS):
                    await self._wait(ctx, attempt, _backoff(attempt), f"{type(failure).__name__}")
                    attempt += 1
                    continue
                if isinstance(failure, httpx2.TimeoutException):
                    raise HttpTimeout(method, path, self.api.timeout, "each try") from None
                raise HttpRequestFailed(method, path, _describe(failure)) from None
            if answer.status in RETRY_STATUSES and attempt < retries:
                asked = answer.retry_after()
                delay = asked if asked is not None else _backoff(attempt)
                # A wait the deadline cannot hold is not begun: the API's answer stands.
                left = deadline.deadline - anyio.current_time()
                if (asked is None or asked <= RETRY_AFTER_MAX) and delay < left:
                    await self._wait(ctx, attempt, delay, f"HTTP {answer.status}")
                    attempt += 1
                    continue
            if answer.status == 401:
                self._forget_tokens(operation)
            return answer

    async def _wait(self, ctx: Context[Any], attempt: int, delay: float, why: str) -> None:
        await ctx.progress(
            attempt + 1,
            None,
            f"{why}; retry {attempt + 1} of {self.api.retries} in {delay:.1f} s",
        )
        await anyio.sleep(delay)

    async def _exchange(
        self,
        ctx: Context[Any],
        client: httpx2.AsyncClient,
        request: httpx2.Request,
        operation: Operation,
        signer: tuple[str, AwsSigV4] | None = None,
    ) -> Answer:
        """The answer to `request`, redirects within its origin followed (credentials stay on
        them: they go where they went); a redirect to another origin is refused. With a
        `signer`, each request is signed last, as it is sent: a redirect's anew."""
        origin = _origin(request.url)
        for _ in range(MAX_REDIRECTS + 1):
            if signer is not None:
                try:
                    sign(request, signer[1])
                except SigningError as problem:
                    raise HttpAuthFailed(signer[0], str(problem)) from None
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or location is None:
                    return await self._read(ctx, response, operation)
            finally:
                # Shielded: a cancelled call must still close its connection (the server
                # then sees the client go), not leave it half-read in the pool.
                with anyio.CancelScope(shield=True):
                    await response.aclose()
            target = request.url.join(location)
            if _origin(target) != origin or target.userinfo:
                raise HttpRedirectRefused(
                    operation.method,
                    operation.path,
                    response.status_code,
                    _origin(target),
                    self.api.base_url_env,
                )
            request = _redirected(client, request, response.status_code, target)
        raise HttpRequestFailed(
            operation.method, operation.path, f"more than {MAX_REDIRECTS} redirects"
        )

    async def _read(
        self, ctx: Context[Any], response: httpx2.Response, operation: Operation
    ) -> Answer:
        return await read_bounded(ctx, response, operation, ceiling(budget(self.api, operation)))

    # -- credentials -----------------------------------------------------------------

    async def _authorize(
        self, operation: Operation, prepared: Prepared
    ) -> tuple[str, AwsSigV4] | None:
        """Put the credentials of the first alternative whose variables are set on `prepared`;
        the AWS scheme that signs the request once it is built, if one is among them."""
        alternatives = operation.security if operation.security is not None else self.api.security
        if not alternatives:
            return None
        for alternative in alternatives:
            schemes = [(name, self.api.auth[name]) for name in alternative]
            if all(os.environ.get(var) for _, scheme in schemes for var in scheme.env_vars()):
                signer: tuple[str, AwsSigV4] | None = None
                for name, scheme in schemes:
                    if isinstance(scheme, AwsSigV4):
                        signer = (name, scheme)
                    else:
                        await self._apply(name, scheme, prepared)
                return signer
        raise HttpCredentialsMissing(
            operation.method,
            operation.path,
            [
                [var for name in alternative for var in self.api.auth[name].env_vars()]
                for alternative in alternatives
            ],
        )

    async def _apply(
        self,
        name: str,
        scheme: Bearer | ApiKey | Basic | OAuth2ClientCredentials,
        prepared: Prepared,
    ) -> None:
        if isinstance(scheme, Bearer):
            token = _credential(scheme.env, raw_in_header=True)
            prepared.headers["Authorization"] = f"Bearer {token}"
        elif isinstance(scheme, ApiKey):
            key = _credential(scheme.env, raw_in_header=scheme.location == "header")
            if scheme.location == "header":
                prepared.headers[scheme.name] = key
            elif scheme.location == "query":
                prepared.query.append(f"{percent_encode(scheme.name)}={percent_encode(key)}")
            else:
                prepared.cookies.append(f"{scheme.name}={percent_encode(key)}")
        elif isinstance(scheme, Basic):
            pair = _basic(_credential(scheme.username_env), _credential(scheme.password_env))
            prepared.headers["Authorization"] = f"Basic {pair}"
        else:
            token = await self._token(name, scheme)
            prepared.headers["Authorization"] = f"Bearer {token}"

    async def _token(self, name: str, scheme: OAuth2ClientCredentials) -> str:
        client_id = _credential(scheme.client_id_env)
        key = (name, client_id)
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        if self._token_lock is None:
            self._token_lock = anyio.Lock()
        async with self._token_lock:
            cached = self._tokens.get(key)  # fetched while this call waited for the lock
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            form = {"grant_type": "client_credentials"}
            if scheme.scopes:
                form["scope"] = " ".join(scheme.scopes)
            secret = _credential(scheme.client_secret_env)
            url = self.token_url(scheme)
            if not re.match(r"^https?://", url, re.I):
                raise HttpAuthFailed(
                    name,
                    f"the token URL {scheme.token_url!r} is not absolute, nor is the base URL: "
                    f"set {self.api.base_url_env}",
                )
            try:
                response = await self._http().post(
                    url,
                    data=form,
                    headers={
                        "Accept": "application/json",
                        "Authorization": f"Basic {_basic(client_id, secret)}",
                    },
                )
            except httpx2.TransportError as failure:
                raise HttpAuthFailed(name, _describe(failure)) from None
            if response.status_code in REDIRECT_STATUSES:
                # The client secret goes to the token URL the description names, nowhere else.
                raise HttpAuthFailed(
                    name,
                    f"the token endpoint answered with a redirect (HTTP {response.status_code}),"
                    " which is not followed",
                )
            if response.status_code != 200:
                raise HttpAuthFailed(name, f"the token endpoint answered {response.status_code}")
            try:
                grant = response.json()
                token = str(grant["access_token"])
                lifetime = float(grant.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise HttpAuthFailed(name, "the token endpoint's answer has no token") from None
            if not (token.isascii() and token.isprintable()):
                # It goes into a header as it is (RFC 6750's b64token is ASCII).
                raise HttpAuthFailed(name, "the token endpoint's token is not a header's text")
            SECRETS.add(token)
            self._tokens[key] = (token, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN))
            return token

    def _forget_tokens(self, operation: Operation) -> None:
        # A 401 may mean the token was revoked early: the next call fetches a new one.
        alternatives = operation.security if operation.security is not None else self.api.security
        names = {name for alternative in alternatives for name in alternative}
        for key in [k for k in self._tokens if k[0] in names]:
            del self._tokens[key]

    def tool(self, name: str) -> Tool | None:
        return self._tools.get(name)


def _values(args: Arguments) -> dict[str, Any]:
    """The arguments as the request is made of them: as they came, or as a model says them."""
    if isinstance(args, BaseModel):
        return args.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dict(args)


def _basic(user: str, password: str) -> str:
    """The credentials of `Authorization: Basic` (RFC 7617), remembered as secrets, both."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    SECRETS.add(password, pair)
    return pair


def _origin(url: httpx2.URL) -> str:
    """A URL's origin (RFC 6454): scheme, host and port, the default port spelled out."""
    port = url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}"


def _redirected(
    client: httpx2.AsyncClient, request: httpx2.Request, status: int, target: httpx2.URL
) -> httpx2.Request:
    """The request a redirect asks for (RFC 9110 15.4): a 303, and a 301 or 302 answering a
    POST, become a GET without a body; a 307 or 308 repeats the request as it was."""
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    headers = httpx2.Headers(request.headers)
    del headers["host"]
    if method != request.method:
        for name in ("content-type", "content-length", "transfer-encoding"):
            headers.pop(name, None)
        return client.build_request(method, target, headers=headers)
    return client.build_request(method, target, headers=headers, content=request.read())


def _describe(failure: httpx2.TransportError) -> str:
    if isinstance(failure, httpx2.TimeoutException):
        return "no answer in time"
    if isinstance(failure, httpx2.ConnectError):
        return "could not connect"
    return type(failure).__name__


class Request:
    """One operation's generated HTTP request, bound to the server's client and a call.

    A user-owned handler gets one: `await request.structured(args)` (or `.text(args)`)
    does what the generated handler would; `await request.send(values)` gives the raw
    answer (after credentials, retries and polling) for handlers that read it themselves.
    """

    __slots__ = ("_client", "ctx", "operation")

    def __init__(self, client: HttpClient, operation: Operation, ctx: Context[Any]) -> None:
        self._client = client
        self.operation = operation
        self.ctx = ctx

    async def send(self, args: Arguments) -> Answer:
        """The API's answer to the request made of `args`, whatever its status; for a
        long-running operation, the answer it ends with (`_long_running`)."""
        answer = await self._client.send(self.ctx, self.operation, _values(args))
        fetch = partial(self._client.fetch, self.ctx, self.operation)
        return await settle(self.ctx, self.operation, answer, fetch)

    async def structured(self, args: Arguments) -> dict[str, Any]:
        """The answer as the tool's structured result; an error status raises its error."""
        operation = self.operation
        answer = self._succeeded(await self.send(args))
        try:
            # Credentials an API echoes (a request URL in a `self` link) are not passed on.
            value = SECRETS.redact_value(json.loads(answer.body)) if answer.body else None
        except ValueError:
            raise self._invalid(answer, ["the answer is not JSON"]) from None
        if operation.wrap is not None:
            value = {operation.wrap: value}
        elif not isinstance(value, dict):
            raise self._invalid(answer, ["the answer is not a JSON object"])
        tool = self._client.tool(operation.tool)
        if operation.strict and tool is not None and tool.output_schema is not None:
            problems = tool.output_errors(value)
            if problems:
                raise self._invalid(answer, problems)
        return value

    async def text(self, args: Arguments) -> str:
        """The answer as text; an error status raises its error."""
        answer = self._succeeded(await self.send(args))
        if self.operation.response == "none" or not answer.body:
            return f"{self.operation.method} {self.operation.path}: HTTP {answer.status}"
        return SECRETS.redact(answer.text())

    def _succeeded(self, answer: Answer) -> Answer:
        """The answer if its status is 2xx, else raise the error the spec maps it to."""
        if 200 <= answer.status < 300:
            return answer
        operation, status = self.operation, answer.status
        body = error_body(answer)
        errors = operation.errors
        declared = (
            errors.get(str(status)) or errors.get(f"{status // 100}XX") or errors.get("default")
        )
        # Checked by the error's data schema (None: not the declared body, or no data: say
        # what came, as an HttpError), its typed data built only if code reads it.
        error = declared.from_json({"status": status, "body": body}) if declared else None
        if error is not None:
            error.message = with_excerpt(error.message, body)
            error.args = (error.message,)
            raise error
        data_class = RetryableHttpError if status == 429 or status >= 500 else HttpError
        raise data_class(
            HttpErrorData(
                status=status,
                method=operation.method,
                path=operation.path,
                body=body,
                retry_after=answer.retry_after(),
            )
        )

    def _invalid(self, answer: Answer, problems: Sequence[str]) -> HttpResponseInvalid:
        return HttpResponseInvalid(
            answer.status, self.operation.method, self.operation.path, problems
        )
