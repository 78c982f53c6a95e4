"""Real descriptions, imported and generated, send exactly the request they describe.

Each document here is a real one from the APIs.guru directory, cut down to a few operations
(tests/fixtures/openapi/SOURCES.md). It is imported and generated with the real CLI, the server
is called through the SDK client, and a loopback recorder keeps what arrived: the raw method,
path, query, headers and body. Each assertion is the request as the description means it,
byte for byte.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import mcp_types as types
import pytest
from http_support.aws import ENVIRONMENT, assert_signed
from http_support.imported import Imported, imported_server
from http_support.project import ERROR_META
from http_support.recorder import Reply, Running, Seen, recorder
from mcp.client import Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _server(fixture: str, name: str, *options: str) -> Any:
    @pytest.fixture(scope="module")
    def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
        root = tmp_path_factory.mktemp(name)
        with imported_server(fixture, root, name, *options) as server:
            yield server

    return generated


s3 = _server("aws-s3-reduced.json", "s3")
rds = _server("aws-rds-reduced.json", "rds")
iotevents = _server("aws-iotevents-reduced.json", "iotevents")
cloudsearch = _server("aws-cloudsearchdomain-reduced.json", "cloudsearch")
weatherbit = _server("weatherbit-reduced.json", "weatherbit")
flickr = _server("flickr-reduced.json", "flickr")
box = _server("box-reduced.json", "box")
# SigV4 credentials, and the region (a loopback host names none).
AWS = {**ENVIRONMENT, "AWS_REGION": "eu-west-1"}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    with recorder() as running:
        yield running


async def _call(
    server: Imported,
    api: Running,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[tuple[str, dict[str, Any]]],
    base_path: str = "",
    succeed: bool = True,
    **env: str,
) -> list[types.CallToolResult]:
    monkeypatch.setenv(f"{server.env_prefix}_BASE_URL", api.origin + base_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    async with Client(server.build()) as client:
        results = [await client.call_tool(tool, args) for tool, args in calls]
    for result in results:
        if succeed:
            assert not result.is_error, result.content
        else:  # the API's error answer, not a call refused before any request
            assert result.is_error and result.meta is not None, result.content
            assert ERROR_META in result.meta, result.content
            assert result.meta[ERROR_META]["data"]["status"] >= 400, result.content
    return results


def _targets(api: Running) -> list[tuple[str, str]]:
    return [(seen.method, seen.target) for seen in api.app.seen]


async def test_s3_fragment_is_the_query_it_stands_for(
    s3: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _call(
        s3,
        api,
        monkeypatch,
        [
            ("delete_bucket_cors", {"Bucket": "b1"}),
            ("delete_bucket", {"Bucket": "b1"}),
            ("get_bucket_cors", {"Bucket": "b1"}),
            ("list_objects_v2", {"Bucket": "b1", "prefix": "a b/c"}),
            ("get_bucket_lifecycle", {"Bucket": "b1"}),
            ("get_bucket_lifecycle_configuration", {"Bucket": "b1"}),
        ],
    )
    assert _targets(api) == [
        ("DELETE", "/b1?cors"),  # not DELETE /b1: that deletes the bucket
        ("DELETE", "/b1"),
        ("GET", "/b1?cors"),
        ("GET", "/b1?list-type=2&prefix=a%20b%2Fc"),
        # `deprecated!` only told two operations apart in the document; it is not sent.
        ("GET", "/b1?lifecycle"),
        ("GET", "/b1?lifecycle"),
    ]


async def test_aws_query_protocol_action_and_placeholders(
    rds: Imported,
    iotevents: Imported,
    cloudsearch: Imported,
    api: Running,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _call(
        rds,
        api,
        monkeypatch,
        [
            (
                "get_add_role_to_db_cluster",
                {
                    "DBClusterIdentifier": "c1",
                    "RoleArn": "arn:aws:iam::1:role/r",
                    "Version": "2014-10-31",
                },
            )
        ],
        **AWS,
    )
    await _call(
        iotevents,
        api,
        monkeypatch,
        [("untag_resource", {"resourceArn": "arn:1", "tagKeys": ["a", "b"]})],
        **AWS,
    )
    await _call(cloudsearch, api, monkeypatch, [("search", {"q": "star wars"})], **AWS)
    assert _targets(api) == [
        (
            "GET",
            "/?Action=AddRoleToDBCluster&DBClusterIdentifier=c1"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&Version=2014-10-31",
        ),
        # `#resourceArn&tagKeys` names required parameters: they are sent as parameters.
        ("DELETE", "/tags?resourceArn=arn%3A1&tagKeys=a&tagKeys=b"),
        ("GET", "/2013-01-01/search?format=sdk&pretty=true&q=star%20wars"),
    ]
    # Each signed for its service (`x-aws-signingName`, else the host's endpoint prefix).
    for seen, service in zip(api.app.seen, ("rds", "iotevents", "cloudsearch"), strict=True):
        assert_signed(seen, service, AWS["AWS_REGION"])


async def test_a_query_in_the_path_is_parsed_into_parameters(
    weatherbit: Imported, flickr: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _call(
        weatherbit,
        api,
        monkeypatch,
        [
            ("get_alerts_lat_lat_lon_lon", {"lat": 38.5, "lon": -78.25, "key": "K 1"}),
            ("get_current_airquality_city_id_city_id", {"city_id": 7, "key": "K"}),
            (
                "get_current_airquality_city_city_country_country",
                {"city": "São Paulo", "country": "BR", "key": "K"},
            ),
        ],
        base_path="/v2.0",
    )
    await _call(
        flickr,
        api,
        monkeypatch,
        [("get_favorites_context_by_id", {"api_key": "K", "photo_id": "1"})],
        base_path="/services",
    )
    assert _targets(api) == [
        ("GET", "/v2.0/alerts?lat=38.5&lon=-78.25&key=K%201"),
        ("GET", "/v2.0/current/airquality?city_id=7&key=K"),
        ("GET", "/v2.0/current/airquality?city=S%C3%A3o%20Paulo&country=BR&key=K"),
        ("GET", "/services/rest?method=flickr.favorites.getContext&api_key=K&photo_id=1"),
    ]


async def test_a_fragment_elsewhere_is_never_sent(
    box: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An error answer: the client checks a result against Box's File schema, a request is
    # what this test is about.
    api.app.respond = lambda _: Reply(404, {"type": "error", "status": 404})
    await _call(
        box,
        api,
        monkeypatch,
        [
            (
                "put_files_id_add_shared_link",
                {"file_id": "12", "fields": "shared_link", "shared_link": {"access": "open"}},
            ),
            ("put_files_id", {"file_id": "12", "name": "x.txt"}),
        ],
        succeed=False,
    )
    assert _targets(api) == [
        ("PUT", "/files/12?fields=shared_link"),
        ("PUT", "/files/12"),
    ]
    assert api.app.seen[0].json() == {"shared_link": {"access": "open"}}


stripe = _server("stripe-reduced.json", "stripe")


def _parts(seen: Seen) -> list[tuple[str, str, str | None]]:
    """A multipart body's parts: (name, text, Content-Type header or None)."""
    head = f"Content-Type: {seen.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + seen.body)
    return [
        (
            str(part.get_param("name", header="content-disposition")),
            part.get_payload(decode=True).decode(),
            part.get("content-type"),
        )
        for part in message.get_payload()
    ]


async def test_stripe_form_bodies_follow_their_encoding(
    stripe: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An error answer: what matters is the request (the client checks a result against
    # Stripe's schemas).
    api.app.respond = lambda _: Reply(400, {"error": {"type": "invalid_request_error"}})
    await _call(
        stripe,
        api,
        monkeypatch,
        [
            (
                "post_coupons",
                {
                    "metadata": {"order": "42"},
                    "applies_to": {"products": ["p1", "p2"]},
                    "currency_options": {"eur": {"amount_off": 5}},
                    "expand": ["applies_to"],
                    "duration": "once",
                    "amount_off": 10,
                    "name": "A & B",
                },
            ),
            ("get_coupons", {"created": {"gte": 1, "lt": 5}, "expand": ["data.x"], "limit": 3}),
            (
                "post_products",
                {
                    "name": "T",
                    "default_price_data": {
                        "currency": "usd",
                        "unit_amount": 100,
                        "recurring": {"interval": "month"},
                    },
                    "images": ["a.png", "b.png"],
                    "metadata": {},  # nothing to send: no field at all (RFC 6570's undefined)
                },
            ),
            (
                "post_files",
                {
                    "purpose": "dispute_evidence",
                    "file": "hello",
                    "file_link_data": {"create": True, "metadata": {"k": "v w"}},
                    "expand": ["links"],
                },
            ),
        ],
        succeed=False,
        STRIPE_BEARER_AUTH="sk_test_1",
    )
    coupons, listed, products, files = api.app.seen
    # deepObject (OpenAPI 3.1.1 percent-encodes its brackets), nested as Stripe reads it.
    assert coupons.body == (
        b"metadata%5Border%5D=42"
        b"&applies_to%5Bproducts%5D%5B0%5D=p1&applies_to%5Bproducts%5D%5B1%5D=p2"
        b"&currency_options%5Beur%5D%5Bamount_off%5D=5"
        b"&expand%5B0%5D=applies_to&duration=once&amount_off=10&name=A+%26+B"
    )
    assert parse_qsl(coupons.body.decode())[:2] == [
        ("metadata[order]", "42"),
        ("applies_to[products][0]", "p1"),
    ]
    assert coupons.headers["content-type"] == "application/x-www-form-urlencoded"
    assert coupons.headers["authorization"] == "Bearer sk_test_1"
    assert (listed.method, listed.body) == ("GET", b"")
    assert listed.query == "created%5Bgte%5D=1&created%5Blt%5D=5&expand%5B0%5D=data.x&limit=3"
    assert products.body == (
        b"name=T&default_price_data%5Bcurrency%5D=usd&default_price_data%5Bunit_amount%5D=100"
        b"&default_price_data%5Brecurring%5D%5Binterval%5D=month"
        b"&images%5B0%5D=a.png&images%5B1%5D=b.png"
    )
    # multipart: the same pairs, each a part of plain text, nothing percent-encoded.
    assert _parts(files) == [
        ("purpose", "dispute_evidence", None),
        ("file", "hello", None),
        ("file_link_data[create]", "true", None),
        ("file_link_data[metadata][k]", "v w", None),
        ("expand[0]", "links", None),
    ]


stream = _server("stream-reduced.json", "stream")


async def test_a_parameter_with_json_content_is_json_text(
    stream: Imported, api: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.app.respond = lambda _: Reply(400, {"code": 4, "message": "no"})
    payload = {"filter_conditions": {"name": {"$eq": "x y"}}, "limit": 2}
    await _call(
        stream,
        api,
        monkeypatch,
        [("query_campaigns", {"payload": payload}), ("get_block_list", {"name": "bad words"})],
        succeed=False,
        STREAM_JWT="jwt-1",
        STREAM_API_KEY="key-1",
        STREAM_STREAM_AUTH_TYPE="jwt",
    )
    campaigns, blocklist = api.app.seen
    # `content: application/json`: the object as JSON text, not spread by form's explode.
    assert campaigns.target == (
        "/campaigns?payload=%7B%22filter_conditions%22%3A%7B%22name%22%3A%7B%22%24eq%22%3A"
        "%22x%20y%22%7D%7D%2C%22limit%22%3A2%7D&api_key=key-1"
    )
    # A string stays itself (Stream means its block list's name, not `"bad words"`).
    assert blocklist.target == "/blocklists/bad%20words?api_key=key-1"
