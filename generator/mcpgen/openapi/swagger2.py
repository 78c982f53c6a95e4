"""Import stage 1a: a Swagger 2.0 document, upgraded to OpenAPI 3.0 in memory.

The converter reads one dialect: 2.0's places are moved where 3.0 has them (`definitions` ->
`components.schemas`, body and form parameters -> `requestBody`, a response's `schema` ->
`content`, parameter types -> `schema`...), and every local `$ref` follows its target. Every
move is recorded, new pointer -> original one, so that a problem the converter finds is named
and located in the text the user wrote (`OpenApiDocument.original`).

Files other documents `$ref` are read as they are: a schema there is JSON Schema, which the
converter reads; a parameter, response or path item there would need an upgrade of its own, and
is refused with a located error rather than misread.

Rules chosen where 2.0 leaves room:
- the server is `scheme://host/basePath` with https when `schemes` lists it (or lists
  nothing: a warning says so), else the first scheme; no `host` leaves the URL relative;
- a form body is multipart/form-data when a parameter is a file or `consumes` names only
  multipart, else application/x-www-form-urlencoded;
- `collectionFormat` becomes the 3.0 style that sends the same text; what 3.0 cannot say
  (tsv, or ssv/pipes/multi outside the query) is sent comma-separated, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from mcpgen import pointers
from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.openapi.document import OpenApiDocument, Pointer, rebuilt

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
# The fields of a 2.0 parameter or header that describe its value: 3.0 puts them in `schema`.
_SCHEMA_FIELDS = frozenset(
    {"type", "format", "items", "default", "maximum", "exclusiveMaximum", "minimum"}
    | {"exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems"}
    | {"uniqueItems", "enum", "multipleOf", "x-nullable"}
)
# The top-level fields the upgrade replaces; the rest (info, tags, security...) is kept.
_REPLACED = frozenset(
    {"swagger", "host", "basePath", "schemes", "consumes", "produces", "paths"}
    | {"definitions", "parameters", "responses", "securityDefinitions"}
)
_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}
# collectionFormat -> (style, explode) for a query parameter; csv is 2.0's default.
_QUERY_STYLES = {
    "csv": ("form", False),
    "multi": ("form", True),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
}

Key = tuple[str, ...]  # a pointer as text, so that `0` and "0" (from a `$ref`) are one key


@dataclass
class Upgrade:
    """The upgraded document (read at new pointers, located at the original ones)."""

    document: OpenApiDocument
    warnings: list[Diagnostic]
    note: str = "Swagger 2.0: upgraded to OpenAPI 3.0 in memory (messages name its own places)"


def upgrade_swagger2(original: OpenApiDocument) -> Upgrade:
    """The document as OpenAPI 3.0; raises SpecError if it cannot be upgraded soundly."""
    data = original.data
    if str(data.get("swagger")) != "2.0":
        raise SpecError(
            [
                original.diagnostic(
                    ("swagger",),
                    f"Swagger {data.get('swagger')!r} is not supported; mcpgen imports Swagger "
                    "2.0 and OpenAPI 3.0 and 3.1",
                )
            ]
        )
    upgrader = _Upgrader(original)
    upgraded = upgrader.document()
    if upgrader.problems:
        raise SpecError(upgrader.problems)
    rewritten, refs_as_written = upgrader.with_new_refs(upgraded)
    document = replace(
        original, data=rewritten, moved=upgrader.moved, refs_as_written=refs_as_written
    )
    return Upgrade(document, upgrader.warnings)


@dataclass
class _Parameter:
    """A parameter as listed (`raw`, maybe a `$ref`), what it is, and where each was written."""

    raw: Any
    value: Any
    listed_at: Pointer
    at: Pointer  # where `value` is (its component when `raw` is a `$ref`)

    @property
    def place(self) -> Any:
        return self.value.get("in") if isinstance(self.value, dict) else None


@dataclass
class _Upgrader:
    original: OpenApiDocument
    moved: dict[Key, Pointer] = field(default_factory=dict)  # new pointer -> original
    origin_of: dict[Key, Pointer] = field(default_factory=dict)  # original -> new, for $refs
    warnings: list[Diagnostic] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)

    def move(self, new: Pointer, old: Pointer) -> None:
        self.moved[_key(new)] = old
        # A value written once may land in several places (a schema under each media type):
        # a `$ref` to it follows the first.
        self.origin_of.setdefault(_key(old), new)

    def document(self) -> dict[str, Any]:
        data = self.original.data
        result: dict[str, Any] = {"openapi": "3.0.3"}
        self.move(("openapi",), ("swagger",))
        result.update((k, v) for k, v in data.items() if k not in _REPLACED)
        servers = self._servers()
        if servers:
            result["servers"] = servers
        # Even empty: a `$ref` to nothing is then said to miss `#/definitions`, as written.
        result["components"] = self._components()
        paths = data.get("paths")
        result["paths"] = self._paths(paths) if isinstance(paths, dict) else paths
        return result

    def _servers(self) -> list[dict[str, str]]:
        data = self.original.data
        host, base_path = data.get("host"), data.get("basePath")
        base_path = base_path if isinstance(base_path, str) else ""
        self.move(("servers",), ("host",) if host or not base_path else ("basePath",))
        if not isinstance(host, str) or not host:
            return [{"url": base_path}] if base_path else []
        schemes = data.get("schemes")
        schemes = [s for s in schemes if isinstance(s, str)] if isinstance(schemes, list) else []
        if not schemes:
            self.warnings.append(
                self.original.warning(("host",), "no `schemes`: the API is taken to be https")
            )
        scheme = "https" if "https" in schemes or not schemes else schemes[0]
        return [{"url": f"{scheme}://{host}{base_path}"}]

    def _components(self) -> dict[str, Any]:
        data = self.original.data
        components: dict[str, Any] = {}
        if isinstance(data.get("definitions"), dict):
            components["schemas"] = data["definitions"]
        self.move(("components", "schemas"), ("definitions",))
        self.move(("components", "parameters"), ("parameters",))
        self.move(("components", "responses"), ("responses",))
        self.move(("components", "securitySchemes"), ("securityDefinitions",))
        parameters: dict[str, Any] = {}
        for name, value in _entries(data.get("parameters")):
            # Body and form parameters become part of each request body that lists them.
            if not isinstance(value, dict) or value.get("in") not in ("body", "formData"):
                at = ("components", "parameters", name)
                parameters[name] = self._parameter(value, at, ("parameters", name))
        responses = {
            name: self._response(
                value,
                _media(data, "produces"),
                ("components", "responses", name),
                ("responses", name),
            )
            for name, value in _entries(data.get("responses"))
        }
        schemes = {
            name: _security_scheme(value)
            for name, value in _entries(data.get("securityDefinitions"))
        }
        for key, found in (
            ("parameters", parameters),
            ("responses", responses),
            ("securitySchemes", schemes),
        ):
            if found:
                components[key] = found
        return components

    # -- paths and operations -----------------------------------------------------------

    def _paths(self, paths: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for path, item in paths.items():
            at: Pointer = ("paths", path)
            if isinstance(item, dict) and isinstance(item.get("$ref"), str):
                self._refuse_elsewhere("a path item", item["$ref"], at)
            result[path] = self._path_item(item, at) if isinstance(item, dict) else item
        return result

    def _path_item(self, item: dict[str, Any], at: Pointer) -> dict[str, Any]:
        result = {k: v for k, v in item.items() if k not in (*_METHODS, "parameters")}
        listed = self._listed_parameters(item, at, result)
        inherited = [p for p in listed if p.place in ("body", "formData")]
        for method in _METHODS:
            if method in item:
                operation = item[method]
                result[method] = (
                    self._operation(operation, (*at, method), inherited)
                    if isinstance(operation, dict)
                    else operation
                )
        return result

    def _operation(
        self, operation: dict[str, Any], at: Pointer, inherited: list[_Parameter]
    ) -> dict[str, Any]:
        dropped = ("parameters", "responses", "consumes", "produces", "schemes")
        result = {k: v for k, v in operation.items() if k not in dropped}
        listed = self._listed_parameters(operation, at, result)
        # The operation's own body or form field replaces the path's of the same name.
        own = {_body_key(p) for p in listed}
        bodies = [p for p in inherited if _body_key(p) not in own] + listed
        body = self._request_body(bodies, _media(operation, "consumes", self.original.data), at)
        if body is not None:
            result["requestBody"] = body
        if "responses" in operation:
            produces = _media(operation, "produces", self.original.data)
            result["responses"] = self._responses(operation["responses"], produces, at)
        return result

    def _listed_parameters(
        self, owner: dict[str, Any], at: Pointer, result: dict[str, Any]
    ) -> list[_Parameter]:
        """The parameters of a path item or operation, local `$ref`s followed; the path,
        query and header ones are written into `result` in 3.0 form (references kept)."""
        raw = owner.get("parameters")
        if not isinstance(raw, list):
            if raw is not None:
                result["parameters"] = raw  # for the converter to report
            return []
        listed: list[_Parameter] = []
        for index, entry in enumerate(raw):
            listed_at = (*at, "parameters", index)
            value, value_at = entry, listed_at
            if isinstance(entry, dict) and isinstance(entry.get("$ref"), str):
                target = self._local(entry["$ref"])
                if target is None:
                    self._refuse_elsewhere("a parameter", entry["$ref"], listed_at)
                else:
                    value, value_at = target
            listed.append(_Parameter(entry, value, listed_at, value_at))
        plain: list[Any] = []
        for parameter in listed:
            if parameter.place in ("body", "formData"):
                continue
            new_at = (*at, "parameters", len(plain))
            self.move(new_at, parameter.listed_at)
            if parameter.raw is parameter.value:
                plain.append(self._parameter(parameter.value, new_at, parameter.at))
            else:
                plain.append(parameter.raw)
        if plain:
            result["parameters"] = plain
        return listed

    def _request_body(
        self, parameters: list[_Parameter], consumes: list[str], owner: Pointer
    ) -> dict[str, Any] | None:
        bodies = [p for p in parameters if p.place == "body"]
        forms = [p for p in parameters if p.place == "formData"]
        for extra in bodies[1:]:
            self._warn(extra.listed_at, "a second body parameter: only the first is sent")
        if bodies and forms:
            self._warn(
                forms[0].listed_at,
                "body and formData parameters in one operation (2.0 allows one or the other): "
                "the formData parameters are left out",
            )
        at = (*owner, "requestBody")
        if bodies:
            return self._body(bodies[0], consumes, at)
        return self._form(forms, consumes, at) if forms else None

    def _body(self, body: _Parameter, consumes: list[str], at: Pointer) -> dict[str, Any]:
        parameter = body.value
        self.move(at, body.at)
        schema = parameter.get("schema", {})
        result: dict[str, Any] = {"content": {media: {"schema": schema} for media in consumes}}
        for media in consumes:
            self.move((*at, "content", media, "schema"), (*body.at, "schema"))
        result.update((k, parameter[k]) for k in ("description", "required") if k in parameter)
        return result

    def _form(self, forms: list[_Parameter], consumes: list[str], at: Pointer) -> dict[str, Any]:
        has_file = any(p.value.get("type") == "file" for p in forms)
        # A file needs multipart; otherwise what the operation accepts, urlencoded if unsaid.
        media = [m for m in consumes if m == _MULTIPART or (m == _URLENCODED and not has_file)]
        media = media or [_MULTIPART if has_file else _URLENCODED]
        properties: dict[str, Any] = {}
        required: list[str] = []
        for form in forms:
            name = str(form.value.get("name"))
            described = {k: v for k, v in form.value.items() if k == "description"}
            properties[name] = {**described, **_schema(form.value)}
            if form.value.get("required") is True:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        self.move(at, forms[0].listed_at)
        for each in media:
            for form in forms:
                new = (*at, "content", each, "schema", "properties", str(form.value.get("name")))
                self.move(new, form.at)
        result: dict[str, Any] = {"content": {each: {"schema": schema} for each in media}}
        if required:
            result["required"] = True
        return result

    def _parameter(self, parameter: Any, new_at: Pointer, old_at: Pointer) -> Any:
        if not isinstance(parameter, dict) or "$ref" in parameter:
            return parameter
        result = self._with_schema(parameter, new_at, old_at)
        if parameter.get("type") == "array":
            result.update(self._style(parameter, old_at))
        return result

    def _with_schema(self, value: dict[str, Any], new_at: Pointer, old_at: Pointer) -> Any:
        """A parameter or header with its value's fields moved into `schema`."""
        self.move(new_at, old_at)
        self.move((*new_at, "schema"), old_at)
        result = {
            k: v for k, v in value.items() if k not in _SCHEMA_FIELDS and k != "collectionFormat"
        }
        result["schema"] = _schema(value)
        return result

    def _style(self, parameter: dict[str, Any], at: Pointer) -> dict[str, Any]:
        """An array parameter's `collectionFormat` as the 3.0 style that sends the same text."""
        place = parameter.get("in")
        given = str(parameter.get("collectionFormat", "csv"))
        if place == "query" and given in _QUERY_STYLES:
            style, explode = _QUERY_STYLES[given]
            return {"style": style, "explode": explode}
        if given != "csv":
            self._warn(
                (*at, "collectionFormat"),
                f"collectionFormat {given!r} has no OpenAPI 3 form for a {place} parameter: "
                "the values are sent comma-separated",
            )
        return {"style": "form", "explode": False} if place == "query" else {}

    def _responses(self, responses: Any, produces: list[str], owner: Pointer) -> Any:
        if not isinstance(responses, dict):
            return responses
        result: dict[str, Any] = {}
        for status, value in responses.items():
            at = (*owner, "responses", status)
            result[status] = self._response(value, produces, at, at)
        return result

    def _response(self, response: Any, produces: list[str], at: Pointer, old_at: Pointer) -> Any:
        if not isinstance(response, dict):
            return response
        self.move(at, old_at)
        if isinstance(response.get("$ref"), str):
            if self._local(response["$ref"]) is None:
                self._refuse_elsewhere("a response", response["$ref"], old_at)
            return response
        result = {k: v for k, v in response.items() if k not in ("schema", "headers", "examples")}
        if "schema" in response:
            result["content"] = {media: {"schema": response["schema"]} for media in produces}
            for media in produces:
                self.move((*at, "content", media, "schema"), (*old_at, "schema"))
        headers = response.get("headers")
        if isinstance(headers, dict):
            result["headers"] = {
                name: self._with_schema(value, (*at, "headers", name), (*old_at, "headers", name))
                if isinstance(value, dict)
                else value
                for name, value in headers.items()
            }
        return result

    # -- references -----------------------------------------------------------------------

    def _local(self, ref: str) -> tuple[Any, Pointer] | None:
        """What a local `$ref` points at in the original document, and where; None for a
        reference to another file, or to nothing (which the converter reports)."""
        if not ref.startswith("#"):
            return None
        value, parts, missing = pointers.walk(self.original.data, _parts(ref))
        return (value, tuple(parts)) if missing is None else None

    def _refuse_elsewhere(self, what: str, ref: str, at: Pointer) -> None:
        if not ref.startswith("#"):
            self.problems.append(
                self.original.diagnostic(
                    (*at, "$ref"),
                    f"{what} in another file ({ref!r}) would need its own upgrade from Swagger 2.0",
                    hint="move it into this document, or upgrade both files to OpenAPI 3",
                )
            )

    def with_new_refs(self, data: Any) -> tuple[Any, dict[str, str]]:
        """A copy of `data` whose local `$ref`s name the upgraded places, with `x-nullable`
        said the 3.0 way (`nullable`); and how each rewritten `$ref` was written."""
        as_written: dict[str, str] = {}

        def leaf(key: Any, item: Any) -> Any:
            if key == "$ref" and isinstance(item, str) and item.startswith("#/"):
                new = self._new_ref(item)
                as_written[new] = item
                return new
            return item

        def nullable(source: dict[Any, Any], copy: dict[Any, Any]) -> None:
            if source.get("x-nullable") is True:
                copy.setdefault("nullable", True)

        return rebuilt(data, leaf, finish=nullable), as_written

    def _new_ref(self, ref: str) -> str:
        parts = tuple(_parts(ref))
        for end in range(len(parts), 0, -1):
            found = self.origin_of.get(parts[:end])
            if found is not None:
                return "#" + pointers.fragment((*found, *parts[end:]))
        return ref

    def _warn(self, at: Pointer, message: str) -> None:
        self.warnings.append(self.original.warning(at, message))


def _schema(value: dict[str, Any]) -> dict[str, Any]:
    """The schema of a 2.0 parameter, header or items object (a file is binary text)."""
    if value.get("type") == "file":
        return {"type": "string", "format": "binary"}
    return {
        k: _schema(v) if k == "items" and isinstance(v, dict) else v
        for k, v in value.items()
        if k in _SCHEMA_FIELDS or k == "$ref"
    }


def _security_scheme(scheme: Any) -> Any:
    if not isinstance(scheme, dict):
        return scheme
    kept = {k: v for k, v in scheme.items() if k == "description" or k.startswith("x-")}
    kind = scheme.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **kept}
    flow = _FLOWS.get(str(scheme.get("flow")))
    if kind == "oauth2" and flow is not None:
        urls = {k: scheme[k] for k in ("authorizationUrl", "tokenUrl") if k in scheme}
        scopes = scheme.get("scopes") if isinstance(scheme.get("scopes"), dict) else {}
        return {"type": "oauth2", "flows": {flow: {**urls, "scopes": scopes}}, **kept}
    return scheme  # apiKey is the same in 3.0; anything else is reported by the converter


def _media(owner: dict[str, Any], key: str, document: dict[str, Any] | None = None) -> list[str]:
    """An operation's `consumes` or `produces`, else the document's, else JSON."""
    for where in (owner, document or {}):
        given = where.get(key)
        if isinstance(given, list) and given and all(isinstance(m, str) for m in given):
            return list(dict.fromkeys(given))
    return ["application/json"]


def _body_key(parameter: _Parameter) -> tuple[str, ...]:
    """Which inherited body part an operation's own parameter replaces (one body at most)."""
    if parameter.place == "body":
        return ("body",)
    if parameter.place == "formData" and isinstance(parameter.value, dict):
        return ("formData", str(parameter.value.get("name")))
    return ()


def _entries(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _parts(ref: str) -> list[str]:
    return pointers.keys(ref.partition("#")[2])


def _key(parts: Pointer) -> Key:
    return tuple(str(p) for p in parts)
