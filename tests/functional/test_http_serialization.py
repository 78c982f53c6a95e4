"""Form bodies and query values, serialised as OpenAPI 3.1.1 (and 3.0.4) define them.

The HTTP client shim on its own (tests/http_support/shim.py): `prepare` turns an operation
and its arguments into what goes on the wire; httpx2 writes a multipart body from the parts.
"""

from __future__ import annotations

import email
from types import ModuleType
from urllib.parse import parse_qsl

import httpx2
import pytest


def _form(http: ModuleType, values: dict[str, object], **encoding: object) -> bytes:
    body = http.Body("application/x-www-form-urlencoded", encoding=encoding)
    operation = http.Operation(tool="t", method="POST", path="/f", body=body)
    content: bytes = http._encoding.prepare(operation, values).content
    return content


def _multipart(
    http: ModuleType, values: dict[str, object], **encoding: object
) -> list[tuple[str, str | None, bytes, str | None]]:
    """(name, filename, content, Content-Type) of each part, read back from the wire bytes."""
    body = http.Body("multipart/form-data", encoding=encoding)
    operation = http.Operation(tool="t", method="POST", path="/m", body=body)
    request = httpx2.Request(
        "POST", "http://x/m", files=http._encoding.prepare(operation, values).files
    )
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.read())
    return [
        (
            str(part.get_param("name", header="content-disposition")),
            part.get_filename(),
            part.get_payload(decode=True),
            part.get("content-type"),
        )
        for part in message.get_payload()
    ]


def test_deep_objects_nest_and_arrays_are_indexed(http: ModuleType) -> None:
    deep = http.Encoding(style="deepObject")
    body = _form(
        http,
        {"metadata": {"order": "42", "note": None}, "items": [{"price": "p1", "qty": 2}]},
        metadata=deep,
        items=deep,
    )
    assert body == b"metadata%5Border%5D=42&items%5B0%5D%5Bprice%5D=p1&items%5B0%5D%5Bqty%5D=2"
    assert parse_qsl(body.decode()) == [
        ("metadata[order]", "42"),
        ("items[0][price]", "p1"),
        ("items[0][qty]", "2"),
    ]
    # A scalar where an object may be (Stripe's `""` that unsets): one field.
    assert _form(http, {"metadata": ""}, metadata=deep) == b"metadata="


def test_without_an_encoding_values_go_by_content(http: ModuleType) -> None:
    # OpenAPI 3.1.1, "Example: URL Encoded Form with JSON Values": an object is JSON text.
    address = {"streetAddress": "123 Example Dr.", "zip": "99999+1234"}
    assert _form(http, {"id": "f81d", "address": address, "tags": ["a b", "c"]}) == (
        b"id=f81d&address=%7B%22streetAddress%22%3A%22123+Example+Dr.%22%2C%22zip%22%3A"
        b"%2299999%2B1234%22%7D&tags=a+b&tags=c"
    )
    # A JSON content type makes even a string JSON (the specification's `%22...%22`).
    as_json = http.Encoding(content_type="application/json")
    assert _form(http, {"id": "f81d"}, id=as_json) == b"id=%22f81d%22"


def test_form_style_explode_and_delimiters(http: ModuleType) -> None:
    form = http.Encoding(style="form")
    packed = http.Encoding(style="form", explode=False)
    piped = http.Encoding(style="pipeDelimited", explode=False)
    body = _form(
        http,
        {"rgb": {"R": 100, "G": 200}, "color": ["blue", "black"], "pipe": ["a|b", "c"]},
        rgb=form,
        color=packed,
        pipe=piped,
    )
    # Exploded form spreads an object's keys; unexploded joins with a literal `,`; a
    # delimiter inside a value stays distinct from the style's (`%7C` both, per 3.1.1).
    assert body == b"R=100&G=200&color=blue,black&pipe=a%7Cb%7Cc"


def test_allow_reserved_keeps_reserved_characters(http: ModuleType) -> None:
    reserved = http.Encoding(style="form", allow_reserved=True)
    body = _form(http, {"path": "a/b:c?d&e=f+g [x]%41%zz"}, path=reserved)
    assert body == b"path=a/b:c?d%26e%3Df%2Bg%20%5Bx%5D%41%25zz"
    param = http.Param("q", "query", allow_reserved=True)
    operation = http.Operation(tool="t", method="GET", path="/q", params=(param,))
    assert http._encoding.prepare(operation, {"q": "a/b c"}).query == ["q=a/b%20c"]


def test_multipart_parts_have_their_content_types(http: ModuleType) -> None:
    parts = _multipart(
        http,
        {
            "name": "Rex",
            "meta": {"a": 1},
            "photo": "iVBORw0K",
            "scans": ["AAE=", "AgM="],
            "tags": ["x", "y"],
            "deep": {"k": "v w"},
        },
        photo=http.Encoding(content_type="image/png, image/jpeg", binary=True),
        scans=http.Encoding(binary=True),
        deep=http.Encoding(style="deepObject"),
    )
    assert parts == [
        ("name", None, b"Rex", None),
        ("meta", None, b'{"a":1}', "application/json"),
        ("photo", "photo", b"\x89PNG\r\n", "image/png"),
        ("scans", "scans", b"\x00\x01", "application/octet-stream"),
        ("scans", "scans", b"\x02\x03", "application/octet-stream"),
        ("tags", None, b"x", None),
        ("tags", None, b"y", None),
        # A styled property's pairs are parts of plain text, nothing percent-encoded.
        ("deep[k]", None, b"v w", None),
    ]


def test_a_form_body_is_an_object(http: ModuleType) -> None:
    body = http.Body("application/x-www-form-urlencoded", property="form")
    operation = http.Operation(tool="t", method="POST", path="/f", body=body)
    with pytest.raises(TypeError, match="a form body is an object"):
        http._encoding.prepare(operation, {"form": ["not", "an", "object"]})


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("fr-FR é", "only ASCII"),  # httpx2 raised UnicodeEncodeError: an internal error
        ("a\r\nX-Injected: 1", "line break"),
        ("a\0b", "NUL"),
    ],
)
def test_a_header_value_http_cannot_carry_is_refused_by_name(
    http: ModuleType, value: str, why: str
) -> None:
    """A string the input schema accepts but a header cannot carry is the caller's problem
    to fix, said as such (HttpRequestInvalid), never an internal error of the server."""
    param = http.Param(property="lang", name="Accept-Language", location="header")
    operation = http.Operation(tool="t", method="GET", path="/h", params=(param,))
    with pytest.raises(ValueError, match=why) as refused:
        http._encoding.prepare(operation, {"lang": value})
    assert "'Accept-Language'" in str(refused.value)


def test_a_json_header_value_is_ascii_json(http: ModuleType) -> None:
    param = http.Param(property="who", name="X-Who", location="header", json=True)
    operation = http.Operation(tool="t", method="GET", path="/h", params=(param,))
    prepared = http._encoding.prepare(operation, {"who": {"name": "Zoë"}})
    assert prepared.headers["X-Who"] == '{"name":"Zo\\u00eb"}'
