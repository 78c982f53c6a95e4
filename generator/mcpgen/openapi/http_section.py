"""The spec's `[http]` section from the document: where the API is (its servers, and an
operation's own) and how it authenticates (security schemes and requirements)."""

from __future__ import annotations

import itertools
import re
from functools import cached_property
from typing import Any

from mcpgen.diagnostics import counted
from mcpgen.openapi.document import Pointer, RefError, Target
from mcpgen.openapi.naming import snake
from mcpgen.openapi.operations import Context, Operation
from mcpgen.spec import (
    SIGV4_HEADERS,
    compared_place,
    credential_place,
    credential_places_clash,
    filled_places,
)

_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)
# API Gateway's extension naming how an `Authorization` apiKey is computed: AWS's signatures.
_AWS_AUTHTYPE = "x-amazon-apigateway-authtype"
_AWS_SIGNATURES = {
    "awssigv4": None,  # supported
    "awssigv2": "AWS Signature Version 2",
    "awss3": "AWS S3 signature",
}
# What the signer sends on every request: aws2openapi declares them as each operation's header
# parameters (all 350 SigV4 descriptions of the directory do), so a tool would ask for them.
# An AWS endpoint's host: its first label is the service's endpoint prefix, which is its
# signing name when the description names none (`events`, `es`, `tagging`).
_AWS_HOST = re.compile(r"^([^.]+)\.(?:[^.]+\.)*(?:amazonaws\.com(?:\.cn)?|api\.aws)$")


class HttpSection:
    """Reads the API's servers and security; `auth` holds the schemes it can use."""

    def __init__(self, context: Context, env_prefix: str) -> None:
        self.context = context
        self.env_prefix = env_prefix
        self.auth: dict[str, dict[str, Any]] = {}
        # "name (what it is)" of each scheme the import cannot use, for the summary.
        self.unsupported: list[str] = []
        # Schemes of one requirement that share a credential's place, warned about once.
        self._clashes: set[tuple[str, str]] = set()
        # Declared parameters a credential fills ("header x-api-key") -> operations.
        self._filled: dict[str, int] = {}

    def read_schemes(self) -> None:
        components = self.context.root.data.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        if not isinstance(schemes, dict):
            return
        for name, raw in schemes.items():
            at: Pointer = ("components", "securitySchemes", name)
            try:
                scheme, target = self.context.documents.follow(raw, self.context.root, at)
            except RefError as error:
                self.context.problems.append(error.diagnostic)
                continue
            if not isinstance(scheme, dict):
                continue
            env = f"{self.env_prefix}_{snake(name, 'auth').upper()}"
            kind = scheme.get("type")
            http_scheme = str(scheme.get("scheme", "")).lower()
            aws = str(scheme.get(_AWS_AUTHTYPE, "")).lower()
            if aws in _AWS_SIGNATURES:
                unsupported = _AWS_SIGNATURES[aws]
                if unsupported is not None:
                    self._unsupported(name, unsupported, target)
                else:
                    self.auth[name] = {"type": "aws_sigv4", "service": self._signing_name()}
            elif kind == "http" and http_scheme == "bearer":
                self.auth[name] = {"type": "bearer", "env": env}
            elif kind == "http" and http_scheme == "basic":
                self.auth[name] = {
                    "type": "basic",
                    "username_env": f"{env}_USERNAME",
                    "password_env": f"{env}_PASSWORD",
                }
            elif (
                kind == "apiKey"
                and scheme.get("in") in ("header", "query", "cookie")
                and isinstance(scheme.get("name"), str)
                and scheme["name"]
            ):
                self.auth[name] = {
                    "type": "api_key",
                    "in": scheme["in"],
                    "name": scheme["name"],
                    "env": env,
                }
            elif kind == "oauth2" and isinstance(
                (scheme.get("flows") or {}).get("clientCredentials"), dict
            ):
                flow = scheme["flows"]["clientCredentials"]
                token_url = flow.get("tokenUrl")
                if not isinstance(token_url, str) or not token_url:
                    self._unsupported(name, "oauth2 client credentials without tokenUrl", target)
                    continue
                entry: dict[str, Any] = {
                    "type": "oauth2_client_credentials",
                    "token_url": token_url,
                }
                scopes = flow.get("scopes")
                if isinstance(scopes, dict) and scopes:
                    entry["scopes"] = sorted(scopes)
                entry["client_id_env"] = f"{env}_CLIENT_ID"
                entry["client_secret_env"] = f"{env}_CLIENT_SECRET"
                self.auth[name] = entry
            else:
                described = f"{kind} {http_scheme}".strip() if kind == "http" else str(kind)
                if kind == "oauth2":
                    flows = scheme.get("flows")
                    described = "oauth2 " + (
                        "/".join(sorted(flows)) if isinstance(flows, dict) else "without flows"
                    )
                self._unsupported(name, described, target)

    def _signing_name(self) -> str:
        """The service a SigV4 signature is for: the description's `x-aws-signingName`, else
        its AWS host's endpoint prefix, else `execute-api` (an API Gateway API of its own)."""
        info = self.context.root.data.get("info")
        named = info.get("x-aws-signingName") if isinstance(info, dict) else None
        if isinstance(named, str) and named:
            return named
        host = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", self.base_url).split("/")[0]
        prefix = _AWS_HOST.match(host.split(":")[0].lower())
        return prefix[1] if prefix is not None else "execute-api"

    def filled_parameters(self, op: Operation) -> frozenset[str]:
        """The parameters ("header x-api-key", "query api_key"; header names in lower case)
        the operation's credentials fill, which are no inputs: each scheme's own place (an
        API key's header, query parameter or cookie) and SigV4's signing headers. A model
        is never asked for a credential, and a request never carries one twice."""
        raw = op.value.get("security", self.context.root.data.get("security"))
        names = {name for alternative in self.requirements(raw) or [] for name in alternative}
        filled: set[str] = set()
        for name in names:
            scheme = self.auth[name]
            filled |= filled_places(scheme["type"], scheme.get("in"), scheme.get("name"))
        return frozenset(filled)

    def filled_by_credentials(self, parameters: list[str]) -> None:
        """Count an operation's declared `parameters` ("header x-api-key") that its
        credentials fill, for the summary's note."""
        for parameter in parameters:
            self._filled[parameter] = self._filled.get(parameter, 0) + 1

    def notes(self) -> list[str]:
        """The summary's word on schemes it could not use, by name, and on the parameters
        the credentials fill."""
        unsupported = [
            f"security scheme {described} is not supported: operations that need only it are "
            "called without credentials"
            for described in self.unsupported
        ]
        filled = [
            f"{where} parameter {name!r} of {counted(count, 'operation')} is filled by "
            "its credential, never asked of the caller"
            for parameter, count in sorted(self._filled.items())
            for where, name in [parameter.split(" ", 1)]
            # AWS descriptions declare a signature's headers on every operation: no news.
            if not (where == "header" and name in SIGV4_HEADERS)
        ]
        return unsupported + filled

    def requirements(self, raw: Any) -> list[list[str]] | None:
        """OpenAPI security requirements -> alternatives of supported scheme names."""
        if not isinstance(raw, list):
            return None
        alternatives: list[list[str]] = []
        for requirement in raw:
            if not isinstance(requirement, dict):
                continue
            names = sorted(requirement)
            if any(n not in self.auth for n in names):
                continue
            # Two schemes sending the same header (Azure's registry: basic auth and an API
            # key, both `Authorization`) cannot both be sent: the later would overwrite the
            # earlier without a word. Such a requirement becomes one alternative per scheme
            # of that place, the requirement's other schemes in each (`_apart`).
            for split in self._apart(names):
                if split not in alternatives:
                    alternatives.append(split)
        if raw and not alternatives:
            return [[]]
        return alternatives if raw else [[]]

    def _apart(self, names: list[str]) -> list[list[str]]:
        """`names` as one requirement, or, where some share a credential's place, as many
        requirements as there are ways to choose one scheme of each shared place (the
        others kept in each)."""
        places = [
            (
                n,
                credential_place(
                    self.auth[n]["type"], self.auth[n].get("in"), self.auth[n].get("name")
                ),
            )
            for n in names
        ]
        clash = credential_places_clash(places)
        if clash is None:
            return [names]
        first, second, place = clash
        if (first, second) not in self._clashes:
            self._clashes.add((first, second))
            self.context.warnings.append(
                self.context.root.warning(
                    ("components", "securitySchemes", second),
                    f"the security requirement {names} can never be met: {first!r} and "
                    f"{second!r} both send the {place}, which a request carries once; "
                    "imported as alternatives, one of them in each",
                )
            )
        by_place: dict[str, list[str]] = {}
        for name, place in places:
            by_place.setdefault(compared_place(place), []).append(name)
        return [sorted(chosen) for chosen in itertools.product(*by_place.values())]

    def operation_security(self, op: Operation) -> list[list[str]] | None:
        if "security" not in op.value:
            return None
        own = self.requirements(op.value["security"])
        top = self.requirements(self.context.root.data.get("security"))
        return None if own == top else own

    @cached_property
    def base_url(self) -> str:
        """The API's base URL: its first server's (once: it warns)."""
        url = self._server_url(self.context.root.data.get("servers"), Target(self.context.root, ()))
        if url is None:
            self.context.warnings.append(
                self.context.root.warning(
                    ("servers",), "no servers: base_url is '/' (set it in [http])"
                )
            )
            return "/"
        if not _ABSOLUTE.match(url):
            self.context.warnings.append(
                self.context.root.warning(
                    ("servers", 0, "url"),
                    f"the server URL {url!r} is relative: set the API's address in "
                    f"[http].base_url or in ${self.env_prefix}_BASE_URL",
                )
            )
        return url

    def operation_base_url(self, op: Operation) -> str | None:
        """Where an operation with `servers` of its own (or of its path) is served, when that
        is not the API's base URL: GitHub uploads release assets to another host, say."""
        for owner, at in (
            (op.value, Target(op.document, op.parts)),
            (op.path_item, op.path_item_at),
        ):
            if "servers" in owner:
                url = self._server_url(owner["servers"], at)
                break
        else:
            return None
        if url is None or url.rstrip("/") == self.base_url.rstrip("/"):
            return None
        if not _HTTP_URL.match(url):
            self.context.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", 0, "url"),
                    f"the server URL {url!r} is not an absolute http(s) URL: the tool calls "
                    "[http].base_url",
                )
            )
            return None
        return url

    def _server_url(self, servers: Any, at: Target) -> str | None:
        """The first of `servers`' URL, its variables at their defaults; None: no server.
        An http URL that the list also gives as https is taken as https: credentials and
        answers do not cross the network in clear text when the API offers TLS (413 of the
        directory's descriptions list http first, all AWS's among them)."""
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            return None
        index, server = 0, servers[0]
        first = str(server.get("url") or "")
        if first.lower().startswith("http://"):
            secure = "https://" + first[len("http://") :]
            index, server = next(
                (
                    (i, other)
                    for i, other in enumerate(servers)
                    if isinstance(other, dict) and other.get("url") == secure
                ),
                (index, server),
            )
        url = str(server.get("url") or "/")
        variables = server.get("variables") if isinstance(server.get("variables"), dict) else {}

        def substitute(match: re.Match[str]) -> str:
            variable = variables.get(match[1]) if variables else None
            if isinstance(variable, dict) and variable.get("default") is not None:
                return str(variable["default"])
            return match[0]

        url = re.sub(r"\{([^{}]+)\}", substitute, url)
        if url.startswith("//"):
            # Protocol-relative: the scheme is the document's, which a file does not have.
            # https, as the Swagger 2.0 upgrade takes it when `schemes` is missing.
            self.context.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", index, "url"),
                    f"the server URL {url!r} has no scheme: the API is taken to be https",
                )
            )
            url = "https:" + url
        if "{" in url:
            self.context.warnings.append(
                at.document.warning(
                    (*at.parts, "servers", index, "url"),
                    f"server variable without default in {url!r}",
                )
            )
        return url

    def _unsupported(self, name: str, described: str, target: Target) -> None:
        self.unsupported.append(f"{name!r} ({described})")
        self.context.warnings.append(
            target.document.warning(
                target.parts,
                f"security scheme {name!r} ({described}) is not supported: operations "
                "that need only it are called without credentials",
            )
        )
