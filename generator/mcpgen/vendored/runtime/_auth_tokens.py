"""Checking bearer tokens for `_auth`: JWTs against the issuer's keys (JWKS), or opaque
tokens by asking the issuer (RFC 7662 introspection).

The JOSE work is PyJWT's (`mcp` itself depends on it; its `crypto` extra brings the RSA,
EC and EdDSA keys): this module picks the key and the algorithm and says which claims must
hold, and writes no cryptography.
"""

# ruff: noqa: TID251 (the runtime is where the SDK is imported)
from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
import jwt
from mcp.server.auth.provider import AccessToken

from ._host_guard import is_loopback
from ._types import logger

# Asymmetric algorithms only, by the key type that signs with them: a public key is never
# taken for an HMAC secret (HS*), and `none` is not an algorithm.
KEY_ALGORITHMS: Mapping[str, frozenset[str]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "EC": frozenset({"ES256", "ES384", "ES512"}),
    "OKP": frozenset({"EdDSA"}),
}
JWT_ALGORITHMS: tuple[str, ...] = tuple(sorted(set().union(*KEY_ALGORITHMS.values())))
# An unknown `kid` refetches the JWKS (the issuer rotated its keys) at most once in this
# many seconds, so a flood of made-up kids costs the issuer one request each 10 s.
JWKS_REFETCH_INTERVAL = 10.0
# Keys are fetched again after an hour even when every kid is known: a key the issuer
# withdrew stops being accepted within that time.
JWKS_MAX_AGE = 3600.0
# Seconds a fetch from the issuer (metadata, keys, introspection) may take.
FETCH_TIMEOUT = 5.0
# Largest document taken from the issuer: a JWKS is a few KB; 1 MB bounds a hostile one.
FETCH_MAX_BYTES = 1_000_000
# An introspection answer is reused this long (never past the token's `exp`), so a client
# making many calls costs the issuer one round trip each 30 s; a revoked token is refused
# at most 30 s late. At most this many answers are kept (least recently used go first).
INTROSPECTION_TTL = 30.0
INTROSPECTION_CACHE = 10_000


class TokenRefused(Exception):
    """Why a token is not accepted (logged at DEBUG; the client only learns it is invalid)."""


def secure(url: str) -> bool:
    """Whether what goes to `url` stays private: https, or http to this machine's loopback."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))


def checked_url(url: str, what: str) -> str:
    """`url` if it is `secure` (a test issuer may be on loopback): tokens and keys are never
    fetched in the clear across a network."""
    if secure(url):
        return url
    raise ValueError(f"{what} must be an https URL (http only on loopback): {url!r}")


async def fetch_json(client: httpx2.AsyncClient, url: str) -> dict[str, Any]:
    """The JSON object at `url` (GET), or `TokenRefused` saying why not."""
    try:
        answer = await client.get(url, headers={"accept": "application/json"})
    except httpx2.HTTPError as error:
        raise TokenRefused(f"{url}: {error!r}") from None
    if answer.status_code != 200:
        raise TokenRefused(f"{url}: HTTP {answer.status_code}")
    return _json_object(answer, url)


def _json_object(answer: httpx2.Response, url: str) -> dict[str, Any]:
    if len(answer.content) > FETCH_MAX_BYTES:
        raise TokenRefused(f"{url}: answer larger than {FETCH_MAX_BYTES} bytes")
    try:
        document = json.loads(answer.content)
    except ValueError:
        raise TokenRefused(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise TokenRefused(f"{url}: not a JSON object")
    return document


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer publishes its metadata: RFC 8414 (`/.well-known/...` before the
    issuer's path), then OpenID Connect Discovery (after it)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}{path}/.well-known/openid-configuration",
    ]


async def discover(client: httpx2.AsyncClient, issuer: str) -> dict[str, Any]:
    """The issuer's metadata: the first document found whose `issuer` is `issuer`
    (RFC 8414 section 3.3: another issuer's document is not this one's)."""
    reasons: list[str] = []
    for url in metadata_urls(issuer):
        try:
            metadata = await fetch_json(client, url)
        except TokenRefused as error:
            reasons.append(str(error))
            continue
        if metadata.get("issuer") != issuer:
            reasons.append(f"{url}: issuer {metadata.get('issuer')!r}, not {issuer!r}")
            continue
        return metadata
    raise TokenRefused("no metadata for the issuer: " + "; ".join(reasons))


class Jwks:
    """The issuer's signing keys, by `kid`, fetched when first needed and again when a
    token names a kid not among them (at most each `refetch_interval` seconds) or when
    they are older than `JWKS_MAX_AGE`."""

    def __init__(
        self,
        client: httpx2.AsyncClient,
        url: str | None,
        issuer: str,
        refetch_interval: float = JWKS_REFETCH_INTERVAL,
    ) -> None:
        self._client = client
        self._url = url
        self._issuer = issuer
        self._refetch_interval = refetch_interval
        self._keys: list[dict[str, Any]] = []
        # The keys of `_keys` parsed, by (kid, algorithm); emptied when they are fetched.
        self._built: dict[tuple[str | None, str], jwt.PyJWK] = {}
        self._fetched = -math.inf
        self._lock = anyio.Lock()
        self.fetches = 0
        """How many times the keys were fetched (the tests count the refetches)."""

    async def key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        """The key that signed a token with this header, or `TokenRefused`."""
        now = time.monotonic()
        stale = now - self._fetched > JWKS_MAX_AGE
        # Parsed once per fetch: a key's parse is 8-15 us of a 130-165 us check (measured).
        built = None if stale else self._built.get((kid, algorithm))
        if built is not None:
            return built
        if stale or self._find(kid, algorithm) is None:
            async with self._lock:
                # One fetch for all the requests that waited on it.
                if self._fetched <= now and (
                    stale or time.monotonic() - self._fetched >= self._refetch_interval
                ):
                    try:
                        await self._fetch()
                    except TokenRefused as error:
                        # The keys already known go on serving while the issuer is away.
                        logger.warning("cannot fetch the issuer's keys: %s", error)
        found = self._find(kid, algorithm)
        if found is None:
            raise TokenRefused(f"no key {kid!r} for {algorithm} in the issuer's JWKS")
        try:
            built = self._built[kid, algorithm] = jwt.PyJWK(found, algorithm)
        except jwt.PyJWTError as error:
            raise TokenRefused(f"key {kid!r}: {error}") from None
        return built

    def _find(self, kid: str | None, algorithm: str) -> dict[str, Any] | None:
        usable = [
            key
            for key in self._keys
            if algorithm in KEY_ALGORITHMS.get(str(key.get("kty")), ())
            and key.get("use", "sig") == "sig"
            and key.get("alg", algorithm) == algorithm
        ]
        if kid is None:
            # A token without a kid names no key: only an issuer with one key is unambiguous.
            return usable[0] if len(usable) == 1 else None
        return next((key for key in usable if key.get("kid") == kid), None)

    async def _fetch(self) -> None:
        self._fetched = time.monotonic()
        self.fetches += 1
        url = self._url
        if url is None:
            jwks_uri = (await discover(self._client, self._issuer)).get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise TokenRefused("the issuer's metadata names no jwks_uri")
            url = self._url = checked_url(jwks_uri, "jwks_uri")
        keys = (await fetch_json(self._client, url)).get("keys")
        if not isinstance(keys, list):
            raise TokenRefused(f"{url}: no `keys` list")
        self._keys = [key for key in keys if isinstance(key, dict)]
        self._built = {}


def _scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token grants: `scope` (RFC 9068, RFC 7662: space-separated) or `scp`
    (a list, as Azure AD and Okta write it)."""
    granted = claims.get("scope", claims.get("scp", ""))
    if isinstance(granted, str):
        return granted.split()
    if isinstance(granted, list):
        return [str(scope) for scope in granted]
    return []


def access_token(token: str, claims: dict[str, Any], audience: str) -> AccessToken:
    """What the SDK keeps of a verified token: the principal (client, `iss`, `sub`) that
    sealed input-required state and tasks are bound to, its scopes and its expiry."""
    client = claims.get("client_id", claims.get("azp", ""))
    expires = claims.get("exp")
    subject = claims.get("sub")
    return AccessToken(
        token=token,
        client_id=str(client),
        scopes=_scopes(claims),
        expires_at=int(expires) if isinstance(expires, int | float) else None,
        resource=audience,
        subject=str(subject) if subject is not None else None,
        claims=claims,
    )


def _audiences(audience: str) -> list[str]:
    # An issuer may write the resource URL with or without its trailing slash.
    bare = audience.rstrip("/")
    return [bare, bare + "/"]


class JwtVerifier:
    """The SDK's `TokenVerifier` for JWT access tokens (RFC 9068) signed by the issuer."""

    def __init__(
        self,
        jwks: Jwks,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = JWT_ALGORITHMS,
        leeway: float = 30.0,
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.algorithms = frozenset(algorithms) & frozenset(JWT_ALGORITHMS)
        self.leeway = leeway

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            return await self.verified(token)
        except TokenRefused as error:
            logger.debug("bearer token refused: %s", error)
            return None

    async def verified(self, token: str) -> AccessToken:
        """The token's access, or `TokenRefused` saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRefused(f"not a JWT: {error}") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise TokenRefused(f"algorithm {algorithm!r} is not allowed")
        kid = header.get("kid")
        key = await self.jwks.key(kid if isinstance(kid, str) else None, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=_audiences(self.audience),
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRefused(str(error)) from None
        return access_token(token, claims, self.audience)


class IntrospectionVerifier:
    """The SDK's `TokenVerifier` for opaque tokens: asks the issuer (RFC 7662) whether a
    token is active, and takes only one issued by `issuer` for `audience`."""

    def __init__(
        self,
        client: httpx2.AsyncClient,
        url: str,
        issuer: str,
        audience: str,
        credentials: tuple[str, str] | None,
        leeway: float = 30.0,
    ) -> None:
        self.client = client
        self.url = url
        self.issuer = issuer
        self.audience = audience
        self.credentials = credentials
        self.leeway = leeway
        # sha256(token) -> (until, access): the tokens themselves are not kept.
        self._cache: OrderedDict[bytes, tuple[float, AccessToken]] = OrderedDict()

    async def verify_token(self, token: str) -> AccessToken | None:
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(digest)
        now = time.time()
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(digest)
            return cached[1].model_copy(update={"token": token})
        try:
            access = await self.introspected(token)
        except TokenRefused as error:
            logger.debug("bearer token refused: %s", error)
            return None
        until = min(now + INTROSPECTION_TTL, access.expires_at or math.inf)
        self._cache[digest] = (until, access.model_copy(update={"token": ""}))
        if len(self._cache) > INTROSPECTION_CACHE:
            self._cache.popitem(last=False)
        return access

    async def introspected(self, token: str) -> AccessToken:
        try:
            answer = await self.client.post(
                self.url,
                data={"token": token, "token_type_hint": "access_token"},
                auth=(
                    httpx2.BasicAuth(*self.credentials)
                    if self.credentials
                    else httpx2.USE_CLIENT_DEFAULT
                ),
                headers={"accept": "application/json"},
            )
        except httpx2.HTTPError as error:
            raise TokenRefused(f"introspection: {error!r}") from None
        if answer.status_code != 200:
            raise TokenRefused(f"introspection: HTTP {answer.status_code}")
        claims = _json_object(answer, self.url)
        if claims.get("active") is not True:
            raise TokenRefused("introspection: the token is not active")
        now = time.time()
        expires = claims.get("exp")
        if isinstance(expires, int | float) and expires < now - self.leeway:
            raise TokenRefused("introspection: the token expired")
        begins = claims.get("nbf")
        if isinstance(begins, int | float) and begins > now + self.leeway:
            raise TokenRefused("introspection: the token is not valid yet")
        if claims.get("iss", self.issuer) != self.issuer:
            raise TokenRefused(f"introspection: issuer {claims.get('iss')!r}")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or not set(_audiences(self.audience)) & set(
            map(str, audiences)
        ):
            raise TokenRefused(f"introspection: audience {audience!r}")
        claims.setdefault("iss", self.issuer)
        return access_token(token, claims, self.audience)
