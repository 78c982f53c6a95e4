"""Real descriptions, imported and generated, send exactly the request they describe.

Each document here is a real one from the APIs.guru directory, cut down to a few operations
(tests/fixtures/openapi/SOURCES.md). It is imported and generated with the real CLI, the server
is called through the SDK client, and a loopback recorder keeps what arrived: the raw method,
path, query, headers and body. Each assertion is the request as the description means it,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mcp_types as types
import pytest
from http_support.imported import Imported, imported_server
from http_support.recorder import Reply, Running, recorder
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
        assert result.is_error != succeed, result.content
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
        S3_HMAC="sig",
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
        RDS_HMAC="sig",
    )
    await _call(
        iotevents,
        api,
        monkeypatch,
        [("untag_resource", {"resourceArn": "arn:1", "tagKeys": ["a", "b"]})],
        IOTEVENTS_HMAC="sig",
    )
    await _call(
        cloudsearch, api, monkeypatch, [("search", {"q": "star wars"})], CLOUDSEARCH_HMAC="sig"
    )
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
