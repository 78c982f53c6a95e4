"""A small, real Petstore HTTP API for the tests of generated HTTP tools.

It serves the operations of specs/petstore.toml under `/api/v3` with in-memory state,
checks credentials, and records every request it saw (method, raw path, raw query,
headers, body), so a test can assert what actually went over the wire. Switches make it
misbehave on purpose: answer with queued failures first (429 or 503, with or without
`Retry-After`), answer slowly (and note when the client goes away), or answer outside the
schema.

Routing works on the raw (still percent-encoded) path, split into segments before any
decoding, as a careful server does: an encoded `/` inside a value stays inside its segment.

`serve_petstore()` runs it on a loopback port (`recorder.serve`) and stops it afterwards.
"""

from __future__ import annotations

import base64
import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote

import anyio
from http_support.recorder import Reply, Seen, read_request, send_reply, serve
from starlette.types import Receive, Scope, Send

PREFIX = "/api/v3"
API_KEY = "key-8f2a"
TOKEN = "token-51c3"


@dataclass
class PetstoreApp:
    """The ASGI app and its state; the test drives its switches and reads `seen`."""

    pets: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    # Answered before anything else, one per request: (status, headers).
    failures: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    # Seconds to wait before answering; a client that goes away meanwhile is noted.
    delay: float = 0.0
    disconnected: list[str] = field(default_factory=list)
    # Pets come out breaking the schema (no name, a number for a status).
    off_schema: bool = False
    # Text padding for the logout answer (a body long enough to report download progress).
    padding: int = 0
    next_id: int = 100
    # OAuth 2 client credentials: the client allowed, the tokens issued, their lifetime.
    client_id: str = "client-1"
    client_secret: str = "secret-1"
    issued: list[str] = field(default_factory=list)
    token_lifetime: int = 3600

    def __post_init__(self) -> None:
        self.pets.update(
            {
                1: _pet(1, "Rex", "available", ["dog", "good"]),
                2: _pet(2, "Tom", "pending", ["cat"]),
                3: _pet(3, "Kitty", "sold", ["cat", "good"]),
            }
        )
        self.pets[1]["category"] = {"id": 1, "name": "Dogs", "parent": {"id": 9, "name": "Pets"}}
        self.pets[1]["owner"] = {"name": "Ann", "pets": [{"name": "Tom", "photoUrls": []}]}
        self.users["ann"] = {"id": 1, "username": "ann", "firstName": "Ann", "userStatus": 1}

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        for _ in range(times):
            self.failures.append((status, headers))

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == PREFIX + path]

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        seen = await read_request(scope, receive)
        self.seen.append(seen)
        if self.delay:
            with anyio.move_on_after(self.delay):
                # The body is read: the next message is the client going away, if it does.
                if (await receive())["type"] == "http.disconnect":
                    self.disconnected.append(seen.path)
                    return
        if self.failures:
            status, headers = self.failures.popleft()
            await send_reply(send, Reply(status, {"code": status, "message": "try later"}, headers))
            return
        status, payload, headers = self.route(seen)
        await send_reply(send, Reply(status, payload, headers))

    # -- the API ------------------------------------------------------------------------

    def route(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        if not seen.path.startswith(PREFIX + "/"):
            return _error(404, "no such path")
        # Split first, decode each segment after: `%2F` stays inside its segment.
        segments = [unquote(s) for s in seen.path[len(PREFIX) + 1 :].split("/")]
        method = seen.method
        query = parse_qs(seen.query, keep_blank_values=True)
        if segments == ["oauth", "token"] and method == "POST":
            return self.token(seen)
        if segments[0] == "user":
            return self.user(seen, segments[1:], query)
        if segments == ["store", "inventory"] and method == "GET":
            if seen.headers.get("api_key") != API_KEY:
                return _error(401, "the store needs an API key")
            counts: dict[str, int] = {}
            for pet in self.pets.values():
                counts[pet["status"]] = counts.get(pet["status"], 0) + 1
            return 200, counts, {}
        if segments[0] != "pet":
            return _error(404, "no such path")
        if not self.authorized(seen):
            return _error(401, "credentials missing or wrong")
        return self.pet(seen, segments[1:], query)

    def authorized(self, seen: Seen) -> bool:
        bearer = seen.headers.get("authorization", "").removeprefix("Bearer ")
        return bearer == TOKEN or bearer in self.issued or seen.headers.get("api_key") == API_KEY

    def token(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        credentials = f"{self.client_id}:{self.client_secret}".encode()
        expected = "Basic " + base64.b64encode(credentials).decode()
        form = dict(parse_qsl(seen.body.decode()))
        if seen.headers.get("authorization") != expected:
            return 401, {"error": "invalid_client"}, {}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, {}
        self.issued.append(f"issued-{len(self.issued) + 1}")
        grant = {"access_token": self.issued[-1], "token_type": "Bearer"}
        return 200, {**grant, "expires_in": self.token_lifetime}, {}

    def pet(
        self, seen: Seen, rest: list[str], query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        method = seen.method
        if rest == ["findByStatus"] and method == "GET":
            wanted = [s for value in query.get("status", ["available"]) for s in value.split(",")]
            return 200, [self.show(p) for p in self.pets.values() if p["status"] in wanted], {}
        if rest == ["findByTags"] and method == "GET":
            tags = query.get("tags", [])
            found = [
                self.show(p)
                for p in self.pets.values()
                if any(t["name"] in tags for t in p.get("tags", []))
            ]
            limit = int(query["limit"][0]) if "limit" in query else len(found)
            return 200, found[:limit], {}
        if rest == [] and method in ("POST", "PUT"):
            try:
                pet = seen.json()
            except ValueError:
                return _error(400, "the body is not JSON")
            if not isinstance(pet, dict) or not pet.get("name") or "photoUrls" not in pet:
                return _error(400, "a pet needs a name and photoUrls")
            if method == "PUT":
                if pet.get("id") not in self.pets:
                    return _error(404, "Pet not found")
                self.pets[pet["id"]].update(pet)
                return 200, self.show(self.pets[pet["id"]]), {}
            pet.setdefault("id", self.next_id)
            pet.setdefault("status", "available")
            self.next_id += 1
            self.pets[pet["id"]] = pet
            return 200, self.show(pet), {}
        if len(rest) in (1, 2):
            try:
                pet_id = int(rest[0])
            except ValueError:
                return _error(400, "Invalid ID supplied")
            pet = self.pets.get(pet_id)
            if pet is None:
                return _error(404, "Pet not found")
            if len(rest) == 2 and rest[1] == "uploadImage" and method == "POST":
                meta = query.get("additionalMetadata", [""])[0]
                message = f"additionalMetadata: {meta}\nFile uploaded, {len(seen.body)} bytes"
                return 200, {"code": 200, "type": "unknown", "message": message}, {}
            if len(rest) == 2:
                return _error(404, "no such path")
            if method == "GET":
                return 200, self.show(pet), {}
            if method == "POST":
                if "form-urlencoded" not in seen.headers.get("content-type", ""):
                    return _error(415, "send a form")
                pet.update(dict(parse_qsl(seen.body.decode())))
                return 200, self.show(pet), {}
            if method == "DELETE":
                del self.pets[pet_id]
                return 204, None, {}
        return _error(405, "method not allowed")

    def user(
        self, seen: Seen, rest: list[str], query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        if rest == ["logout"] and seen.method == "GET":
            cookies = dict(
                part.strip().split("=", 1)
                for part in seen.headers.get("cookie", "").split(";")
                if "=" in part
            )
            session = unquote(cookies.get("session_id", "none"))
            text = f"logged out {session}" + "." * self.padding
            return 200, text, {"content-type": "text/plain; charset=utf-8"}
        if len(rest) == 1 and seen.method == "GET":
            key = seen.headers.get("api_key")
            if key is not None and key != API_KEY:
                return _error(401, "wrong API key")
            user = self.users.get(rest[0])
            if user is None:
                return _error(404, "User not found")
            return 200, user, {}
        return _error(404, "no such path")

    def show(self, pet: dict[str, Any]) -> dict[str, Any]:
        if self.off_schema:
            return {"id": pet["id"], "status": 42}
        return pet


def _pet(pet_id: int, name: str, status: str, tags: list[str]) -> dict[str, Any]:
    return {
        "id": pet_id,
        "name": name,
        "photoUrls": [f"https://example.com/{name.lower()}.jpg"],
        "tags": [{"id": i, "name": t} for i, t in enumerate(tags)],
        "status": status,
    }


def _error(status: int, message: str) -> tuple[int, Any, dict[str, str]]:
    return status, {"code": status, "type": "error", "message": message}, {}


@dataclass
class RunningPetstore:
    """The app served on a loopback port."""

    app: PetstoreApp
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"


@contextlib.contextmanager
def serve_petstore(app: PetstoreApp | None = None) -> Iterator[RunningPetstore]:
    """Serve a Petstore on 127.0.0.1 (a free port) in a thread; stopped on exit."""
    app = app if app is not None else PetstoreApp()
    with serve(app) as port:
        yield RunningPetstore(app, port)
