"""A local OAuth authorization server for the authorization tests: keys made here, served
over a real loopback socket (metadata, JWKS, introspection), and tokens signed with them.

`issuer()` runs it in a thread (`http.server`), so it answers servers in-process and in
subprocesses alike. What it serves can change mid-test (`rotate`), and it counts the
requests it gets by path (a test bounds the JWKS refetches with it).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


@dataclass
class SigningKey:
    """A private key, its `kid`, and the algorithm it signs with."""

    kid: str
    algorithm: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        """The public half, as a JWKS lists it."""
        maker = RSAAlgorithm if self.algorithm.startswith("RS") else ECAlgorithm
        public: dict[str, Any] = maker.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.algorithm}


@dataclass
class Issuer:
    """The authorization server: its URL once it listens, its keys, what it was asked."""

    url: str = ""
    keys: list[SigningKey] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    active: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Opaque tokens introspection calls active, with their claims."""
    introspection_auth: list[str | None] = field(default_factory=list)

    @property
    def jwks_url(self) -> str:
        return self.url + "/jwks"

    @property
    def introspection_url(self) -> str:
        return self.url + "/introspect"

    def token(self, audience: str, *, key: SigningKey | None = None, **claims: Any) -> str:
        """A JWT access token signed by `key` (the first key by default): for `audience`,
        issued now, valid 5 minutes, subject `alice`, unless `claims` says otherwise."""
        key = key or self.keys[0]
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": audience,
            "sub": "alice",
            "client_id": "test-client",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "scope": "",
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid})

    def opaque(self, audience: str, **claims: Any) -> str:
        """An opaque token that introspection answers as active, with these claims."""
        token = uuid.uuid4().hex
        now = int(time.time())
        self.active[token] = {
            "active": True,
            "iss": self.url,
            "aud": audience,
            "sub": "alice",
            "client_id": "test-client",
            "exp": now + 300,
            "scope": "",
            **claims,
        }
        return token

    def _answer(self, path: str, form: dict[str, list[str]]) -> tuple[int, Any]:
        if path in (
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ):
            return 200, {
                "issuer": self.url,
                "jwks_uri": self.jwks_url,
                "introspection_endpoint": self.introspection_url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "response_types_supported": ["code"],
            }
        if path == "/jwks":
            return 200, {"keys": [key.jwk() for key in self.keys]}
        if path == "/introspect":
            token = form.get("token", [""])[0]
            return 200, self.active.get(token, {"active": False})
        return 404, {"error": "not found"}


@contextlib.contextmanager
def issuer(*keys: SigningKey) -> Iterator[Issuer]:
    """An `Issuer` with these keys (one RSA key by default) listening on loopback."""
    state = Issuer(keys=list(keys) or [SigningKey.rsa("rsa-1")])

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, form: dict[str, list[str]]) -> None:
            path = self.path.split("?")[0]
            state.hits[path] += 1
            status, body = state._answer(path, form)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve({})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            state.introspection_auth.append(self.headers.get("authorization"))
            self._serve(parse_qs(self.rfile.read(length).decode()))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the tests read `hits`, not a log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # Polled this often for `shutdown`: the default 0.5 s would end each test that late.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
