"""The weather server's behaviour, checked through the SDK client on both protocol eras.

The calendar is pinned (see `pinned_today`), so every forecast here is fixed: the model
depends only on the city and the date.
"""

from __future__ import annotations

import calendar
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    ContentBlock,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
    TextResourceContents,
)

from weather import build_server, climate
from weather._generated import models

ERAS = ["legacy", "2026-07-28"]
# A forecast from here runs over the end of a non-leap February into March.
TODAY = date(2025, 2, 26)
TEMPLATE = "weather://forecast/{city}/{date}"
CITY_NOT_FOUND = -32004


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    # Handlers call climate.today() through the module, so this pins the server's date too
    # (the client runs the server in this process).
    monkeypatch.setattr(climate, "today", lambda: TODAY)


def text_of(blocks: Sequence[ContentBlock]) -> str:
    assert len(blocks) == 1
    block = blocks[0]
    assert isinstance(block, TextContent)
    return block.text


async def call_forecast(mode: str, **arguments: Any) -> models.Forecast:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_forecast", arguments)
    assert not result.is_error, result.content
    return models.Forecast.model_validate(result.structured_content)


async def read_text(mode: str, uri: str) -> TextResourceContents:
    async with Client(build_server(), mode=mode) as client:
        result = await client.read_resource(uri)
    assert len(result.contents) == 1
    contents = result.contents[0]
    assert isinstance(contents, TextResourceContents)
    return contents


# -- get_forecast ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_runs_day_by_day_from_tomorrow(mode: str) -> None:
    forecast = await call_forecast(mode, city="LISBON", days=7)

    assert forecast.city == "Lisbon"
    assert forecast.unit == "celsius"
    assert [day.date for day in forecast.days] == [
        "2025-02-27",
        "2025-02-28",
        "2025-03-01",
        "2025-03-02",
        "2025-03-03",
        "2025-03-04",
        "2025-03-05",
    ]
    for day in forecast.days:
        assert day.low <= day.high
        assert day.summary


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_defaults_to_three_days_in_celsius(mode: str) -> None:
    forecast = await call_forecast(mode, city="Tokyo")

    assert forecast.unit == "celsius"
    assert [day.date for day in forecast.days] == [
        (TODAY + timedelta(days=n)).isoformat() for n in (1, 2, 3)
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_fahrenheit_is_the_same_weather_converted(mode: str) -> None:
    celsius = await call_forecast(mode, city="Oslo", days=7, unit="celsius")
    fahrenheit = await call_forecast(mode, city="Oslo", days=7, unit="fahrenheit")

    assert fahrenheit.unit == "fahrenheit"
    assert len(fahrenheit.days) == len(celsius.days) == 7
    for c, f in zip(celsius.days, fahrenheit.days, strict=True):
        assert (f.date, f.summary, f.precipitation_chance) == (
            c.date,
            c.summary,
            c.precipitation_chance,
        )
        # Both sides are rounded to a tenth, so allow for that twice.
        assert f.high == pytest.approx(c.high * 9 / 5 + 32, abs=0.15)
        assert f.low == pytest.approx(c.low * 9 / 5 + 32, abs=0.15)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_reports_progress_by_day(mode: str) -> None:
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(
            "get_forecast", {"city": "Sydney", "days": 4}, progress_callback=on_progress
        )

    assert not result.is_error, result.content
    # The days come faster than the runtime's progress interval: the first and the last
    # always reach the client, the ones in between as time allows, in order.
    steps = [(progress, total) for progress, total, _ in reports]
    assert steps[0] == (1, 4)
    assert steps[-1] == (4, 4)
    assert steps == sorted(set(steps))
    assert reports[0][2] == "Sydney: forecast for Thu 27 Feb ready"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("days", [0, 8])
async def test_forecast_refuses_days_outside_one_to_seven(mode: str, days: int) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_forecast", {"city": "Lisbon", "days": days})

    assert result.is_error
    assert "days" in text_of(result.content)


# -- unknown cities ----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("tool", ["get_forecast", "get_conditions"])
async def test_unknown_city_is_a_declared_error(mode: str, tool: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(tool, {"city": "Atlantis"})

    assert result.is_error
    assert text_of(result.content) == "No weather data for Atlantis"
    # Both tools declare an output schema, so the error rides in _meta, not in
    # structuredContent (which clients check against the output schema).
    assert result.structured_content is None
    assert result.meta is not None
    assert result.meta["dev.mcpgen/error"] == {
        "type": "CityNotFound",
        "code": CITY_NOT_FOUND,
        "message": "No weather data for Atlantis",
        "data": {"city": "Atlantis", "known_cities": climate.city_names()},
    }


# -- get_conditions ----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_conditions_are_todays_weather(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("get_conditions", {"city": " nairobi "})

    assert not result.is_error, result.content
    now = models.GetConditionsOutput.model_validate(result.structured_content)
    nairobi = climate.find_city("Nairobi")
    assert nairobi is not None
    today = climate.forecast_day(nairobi, TODAY)
    assert now.city == "Nairobi"
    assert now.summary == today.summary
    assert today.low_c <= now.temperature_c <= today.high_c
    assert 0 <= now.humidity <= 100
    assert now.wind_kph >= 0


# -- list_cities and the cities resource -------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_list_cities_names_each_city_and_its_country(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool("list_cities", {})

    assert not result.is_error, result.content
    lines = text_of(result.content).splitlines()
    assert len(lines) == len(climate.CITIES)
    assert lines == sorted(lines)
    assert "Lisbon, Portugal" in lines
    assert "New York, United States" in lines


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_cities_resource_is_json_with_coordinates(mode: str) -> None:
    contents = await read_text(mode, "weather://cities")

    assert contents.mime_type == "application/json"
    cities = json.loads(contents.text)
    assert contents.text == json.dumps(cities, sort_keys=True, indent=2)
    assert [city["name"] for city in cities] == sorted(climate.city_names())
    lisbon = next(city for city in cities if city["name"] == "Lisbon")
    assert lisbon == {
        "name": "Lisbon",
        "country": "Portugal",
        "latitude": 38.7223,
        "longitude": -9.1393,
    }


# -- the forecast_by_day template --------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_by_day_agrees_with_the_tool(mode: str) -> None:
    forecast = await call_forecast(mode, city="Lisbon", days=3)
    third_day = forecast.days[2]

    contents = await read_text(mode, f"weather://forecast/lisbon/{third_day.date}")

    assert contents.mime_type == "application/json"
    assert json.loads(contents.text) == {
        "city": "Lisbon",
        "unit": "celsius",
        **third_day.model_dump(mode="json"),
    }


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_by_day_decodes_the_city(mode: str) -> None:
    contents = await read_text(mode, "weather://forecast/New%20York/2024-07-04")

    body = json.loads(contents.text)
    assert (body["city"], body["date"]) == ("New York", "2024-07-04")


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_by_day_of_an_unknown_city_is_city_not_found(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("weather://forecast/Atlantis/2025-03-01")

    # As a JSON-RPC error, the code names the error and `data` is its typed data.
    assert caught.value.code == CITY_NOT_FOUND
    assert caught.value.data == {"city": "Atlantis", "known_cities": climate.city_names()}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_forecast_by_day_refuses_an_impossible_date(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("weather://forecast/Lisbon/2025-02-30")

    assert caught.value.code == INVALID_PARAMS


# -- completions -------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(
    "ref",
    [ResourceTemplateReference(uri=TEMPLATE), PromptReference(name="plan_trip")],
    ids=["template", "prompt"],
)
async def test_city_completes_from_known_names(
    mode: str, ref: ResourceTemplateReference | PromptReference
) -> None:
    expected = {
        "s": ["Singapore", "Sydney"],
        "LI": ["Lisbon"],
        "new y": ["New York"],
        "": sorted(climate.city_names()),
        "x": [],
    }
    async with Client(build_server(), mode=mode) as client:
        for typed, names in expected.items():
            result = await client.complete(ref, {"name": "city", "value": typed})
            assert result.completion.values == names, typed


# -- the plan_trip prompt ----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_plan_trip_carries_city_interests_and_forecast(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.get_prompt(
            "plan_trip", {"city": "oslo", "interests": "cross-country skiing"}
        )

    assert len(result.messages) == 1
    message = result.messages[0]
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    text = message.content.text
    assert "Oslo, Norway" in text
    assert "I enjoy cross-country skiing." in text
    oslo = climate.find_city("Oslo")
    assert oslo is not None
    for offset in (1, 2, 3):
        day = climate.forecast_day(oslo, TODAY + timedelta(days=offset))
        assert f"{day.day:%A %d %B}: {day.summary}," in text


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_plan_trip_without_interests_still_asks_for_a_plan(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        result = await client.get_prompt("plan_trip", {"city": "Cairo"})

    content = result.messages[0].content
    assert isinstance(content, TextContent)
    assert "Cairo, Egypt" in content.text
    assert "I enjoy" not in content.text


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_plan_trip_for_an_unknown_city_is_city_not_found(mode: str) -> None:
    async with Client(build_server(), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("plan_trip", {"city": "Atlantis"})

    assert caught.value.code == CITY_NOT_FOUND
    assert caught.value.data["city"] == "Atlantis"


# -- the model itself --------------------------------------------------------------------


def test_months_average_out_to_the_climate_normals() -> None:
    for city in climate.CITIES:
        for month, normal in enumerate(city.normals, start=1):
            length = calendar.monthrange(2025, month)[1]
            days = [climate.forecast_day(city, date(2025, month, d)) for d in range(1, length + 1)]
            mean = sum((day.high_c + day.low_c) / 2 for day in days) / length
            expected = (normal.high_c + normal.low_c) / 2
            assert mean == pytest.approx(expected, abs=3), (city.name, month)


def test_seasons_follow_the_hemisphere() -> None:
    def mean_high(name: str, month: int) -> float:
        city = climate.find_city(name)
        assert city is not None
        highs = [climate.forecast_day(city, date(2025, month, d)).high_c for d in range(1, 29)]
        return sum(highs) / len(highs)

    assert mean_high("Oslo", 7) > mean_high("Oslo", 1) + 15
    assert mean_high("Sydney", 1) > mean_high("Sydney", 7) + 5


def test_model_is_the_same_in_every_process() -> None:
    # The daily variation must come from the date, not from str hashing, which changes
    # with PYTHONHASHSEED from one process to the next.
    script = (
        "from datetime import date\n"
        "from weather import climate\n"
        "print(climate.forecast_day(climate.CITIES[0], date(2025, 5, 17)))\n"
        "print(climate.current_conditions(climate.CITIES[0], date(2025, 5, 17)))\n"
    )
    source_root = str(Path(climate.__file__).resolve().parents[1])
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": source_root}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(run.stdout)
    here = climate.CITIES[0]
    expected = (
        f"{climate.forecast_day(here, date(2025, 5, 17))}\n"
        f"{climate.current_conditions(here, date(2025, 5, 17))}\n"
    )
    assert outputs == {expected}
