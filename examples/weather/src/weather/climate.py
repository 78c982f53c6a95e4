"""The weather data this server ships with, and the model that turns it into forecasts.

Every city carries approximate long-term monthly climate normals: the mean daily high and
low, and how many days of the month see at least 1 mm of precipitation. A day's weather is
that seasonal normal plus a daily variation drawn from a SHA-256 of the city and the date,
so the same question always gets the same answer, in every process and on every machine,
without any network access.
"""

from __future__ import annotations

import calendar
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from weather._generated import errors, models


@dataclass(frozen=True, slots=True)
class MonthNormal:
    """One month of a city's climate."""

    high_c: float
    low_c: float
    wet_days: float
    """Days in the month with at least 1 mm of precipitation."""


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    latitude: float
    longitude: float
    humidity: int
    """Mean relative humidity over the year, in percent."""
    wind_kph: float
    """Mean wind speed over the year."""
    normals: tuple[MonthNormal, ...]
    """January to December."""


def _months(
    highs: tuple[float, ...], lows: tuple[float, ...], wet_days: tuple[float, ...]
) -> tuple[MonthNormal, ...]:
    # Tables read better as three rows of twelve than as twelve triples.
    if len(highs) != 12:
        raise ValueError(f"need 12 months of normals, got {len(highs)}")
    return tuple(MonthNormal(*month) for month in zip(highs, lows, wet_days, strict=True))


# Sorted by name: listings and completions show them in this order.
# fmt: off
CITIES: tuple[City, ...] = (
    City(
        "Buenos Aires", "Argentina", -34.6037, -58.3816, humidity=72, wind_kph=13.0,
        normals=_months(
            (30.1, 28.7, 26.8, 22.9, 19.3, 16.0, 15.3, 17.6, 19.3, 22.6, 25.6, 28.5),
            (20.1, 19.4, 17.9, 13.9, 10.8, 8.2, 7.4, 8.6, 10.4, 13.5, 16.3, 18.8),
            (9, 8, 9, 9, 7, 7, 7, 6, 7, 10, 10, 9),
        ),
    ),
    City(
        "Cairo", "Egypt", 30.0444, 31.2357, humidity=55, wind_kph=12.0,
        normals=_months(
            (18.9, 20.4, 23.5, 28.3, 32.0, 33.9, 34.7, 34.2, 32.6, 29.2, 24.8, 20.3),
            (9.0, 9.7, 11.6, 14.6, 17.7, 20.1, 21.5, 21.6, 19.9, 17.8, 13.9, 10.4),
            (0.9, 0.8, 0.5, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 0.8),
        ),
    ),
    City(
        "Lisbon", "Portugal", 38.7223, -9.1393, humidity=72, wind_kph=15.0,
        normals=_months(
            (14.8, 16.2, 18.6, 19.8, 22.2, 25.8, 28.0, 28.5, 26.4, 22.6, 18.2, 15.4),
            (8.3, 9.2, 10.8, 11.9, 13.9, 16.8, 18.2, 18.7, 17.6, 15.1, 11.6, 9.6),
            (10, 9, 7, 8, 6, 2, 1, 1, 4, 9, 10, 10),
        ),
    ),
    City(
        "Nairobi", "Kenya", -1.2921, 36.8219, humidity=68, wind_kph=13.0,
        normals=_months(
            (25.6, 26.6, 26.2, 24.7, 23.1, 22.0, 21.1, 21.6, 23.8, 25.0, 23.4, 23.9),
            (12.1, 12.6, 13.8, 14.8, 13.6, 11.9, 11.0, 11.2, 11.5, 13.2, 13.9, 13.3),
            (5, 4, 9, 16, 12, 4, 3, 4, 3, 7, 15, 9),
        ),
    ),
    City(
        "New York", "United States", 40.7128, -74.0060, humidity=63, wind_kph=15.0,
        normals=_months(
            (3.9, 5.3, 9.8, 16.2, 21.6, 26.7, 29.5, 28.7, 24.9, 18.6, 12.6, 6.6),
            (-2.8, -1.7, 1.9, 7.1, 12.4, 17.7, 20.9, 20.4, 16.6, 10.4, 5.2, 0.3),
            (10.8, 10.0, 11.1, 11.4, 11.5, 10.8, 10.4, 9.5, 8.7, 9.9, 9.1, 11.0),
        ),
    ),
    City(
        "Oslo", "Norway", 59.9139, 10.7522, humidity=70, wind_kph=9.0,
        normals=_months(
            (-0.3, 0.6, 4.7, 10.6, 16.3, 20.3, 22.7, 21.3, 16.1, 9.5, 4.1, 0.5),
            (-6.4, -6.6, -3.6, 1.0, 6.0, 10.1, 13.1, 12.3, 8.2, 3.5, -0.9, -5.3),
            (10, 7, 8, 7, 8, 10, 10, 11, 9, 10, 11, 9),
        ),
    ),
    City(
        "Reykjavik", "Iceland", 64.1466, -21.9426, humidity=78, wind_kph=20.0,
        normals=_months(
            (2.1, 2.4, 3.0, 5.7, 9.2, 11.8, 13.8, 13.3, 10.6, 6.9, 3.6, 2.3),
            (-2.7, -2.6, -2.0, 0.4, 3.8, 6.8, 8.7, 8.3, 5.6, 2.4, -1.0, -2.5),
            (15, 13, 15, 13, 11, 11, 12, 13, 15, 15, 14, 15),
        ),
    ),
    City(
        "Singapore", "Singapore", 1.3521, 103.8198, humidity=83, wind_kph=8.0,
        normals=_months(
            (30.1, 31.2, 31.6, 32.0, 31.7, 31.3, 30.9, 30.9, 31.0, 31.3, 30.6, 29.9),
            (23.3, 23.6, 24.0, 24.5, 25.0, 25.0, 24.7, 24.6, 24.4, 24.3, 23.9, 23.5),
            (15, 11, 14, 15, 14, 13, 13, 14, 14, 16, 19, 19),
        ),
    ),
    City(
        "Sydney", "Australia", -33.8688, 151.2093, humidity=65, wind_kph=13.0,
        normals=_months(
            (26.0, 25.8, 24.8, 22.6, 19.9, 17.6, 17.0, 18.3, 20.6, 22.4, 23.6, 25.3),
            (19.0, 19.2, 17.9, 15.0, 11.9, 9.6, 8.3, 9.0, 11.1, 13.6, 15.7, 17.6),
            (12, 13, 13, 11, 11, 12, 10, 8, 9, 10, 11, 11),
        ),
    ),
    City(
        "Tokyo", "Japan", 35.6762, 139.6503, humidity=65, wind_kph=11.0,
        normals=_months(
            (9.8, 10.9, 14.2, 19.4, 23.6, 26.1, 29.9, 31.3, 27.5, 22.0, 16.7, 12.0),
            (1.2, 2.1, 5.0, 9.8, 14.6, 18.5, 22.4, 23.5, 20.3, 14.8, 8.8, 3.8),
            (5, 6, 10, 10, 11, 12, 11, 8, 11, 10, 8, 5),
        ),
    ),
)
# fmt: on

_BY_KEY = {city.name.casefold(): city for city in CITIES}


# -- looking cities up -------------------------------------------------------------------


def city_names() -> list[str]:
    return [city.name for city in CITIES]


def find_city(name: str) -> City | None:
    """The city called `name`, ignoring case and surrounding blanks."""
    return _BY_KEY.get(name.strip().casefold())


def require_city(name: str) -> City:
    """The city called `name`; the spec's CityNotFound (with the known names) otherwise."""
    city = find_city(name)
    if city is None:
        raise errors.CityNotFound(models.CityNotFoundData(city=name, known_cities=city_names()))
    return city


def complete_city(prefix: str) -> list[str]:
    """Known city names starting with `prefix`, ignoring case, sorted."""
    wanted = prefix.strip().casefold()
    return sorted(name for name in city_names() if name.casefold().startswith(wanted))


def today() -> date:
    """The date forecasts count from.

    UTC rather than the host's local date, so the answer does not depend on where the
    server happens to run. Tests replace this function to pin the calendar.
    """
    return datetime.now(UTC).date()


# -- the model ---------------------------------------------------------------------------

_MEAN_MONTH_DAYS = 365.25 / 12
# How many earlier days a day's temperature anomaly borrows from, and how much: weather
# comes in spells, and independent daily draws would make every day a surprise.
_PERSISTENCE = (0.6, 0.3, 0.1)


@dataclass(frozen=True, slots=True)
class DayWeather:
    """The model's weather for one city on one day, in Celsius."""

    day: date
    high_c: float
    low_c: float
    precipitation_chance: int
    summary: str


@dataclass(frozen=True, slots=True)
class Conditions:
    temperature_c: float
    humidity: int
    wind_kph: float
    summary: str


class _Draws(NamedTuple):
    """Numbers in [0, 1) fixed for one city and date: all the chance in a day's weather."""

    warmth: tuple[float, float, float]
    rain: float
    cloud: float
    humidity: float
    wind: float


def _draws(city: City, day: date) -> _Draws:
    # hashlib rather than hash() or an unseeded random: str hashes change with every
    # process (PYTHONHASHSEED), and a forecast must not.
    digest = hashlib.sha256(f"{city.name}|{day.isoformat()}".encode()).digest()
    u = [int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in range(0, 28, 4)]
    return _Draws(warmth=(u[0], u[1], u[2]), rain=u[3], cloud=u[4], humidity=u[5], wind=u[6])


def _standard_normal(uniforms: tuple[float, float, float]) -> float:
    """Roughly N(0, 1) from three uniform draws, and bounded to ±3: no freak heat waves."""
    return (sum(uniforms) - 1.5) * 2


def _seasonal_normal(city: City, day: date) -> tuple[float, float, float]:
    """(high, low, probability of a wet day) for `day`.

    A monthly normal describes the whole month, so it is taken as the value at mid-month
    and neighbouring months are blended linearly; otherwise the forecast would jump on
    every 1st of the month.
    """
    month_days = calendar.monthrange(day.year, day.month)[1]
    position = day.month - 1 + (day.day - 0.5) / month_days - 0.5  # months since mid-January
    index = math.floor(position)
    weight = position - index
    before, after = city.normals[index % 12], city.normals[(index + 1) % 12]

    def blend(a: float, b: float) -> float:
        return a + (b - a) * weight

    return (
        blend(before.high_c, after.high_c),
        blend(before.low_c, after.low_c),
        blend(before.wet_days, after.wet_days) / _MEAN_MONTH_DAYS,
    )


def _temperature_anomaly(city: City, day: date) -> float:
    """How much warmer (or colder) than normal `day` is, in °C."""
    # Day-to-day swings grow with latitude: the tropics barely change, while mid and high
    # latitudes see fronts come and go.
    spread = 1.0 + 0.05 * abs(city.latitude)
    norm = math.sqrt(sum(w * w for w in _PERSISTENCE))
    total = 0.0
    for back, weight in enumerate(_PERSISTENCE):
        # max(): the first days of the calendar have no earlier days to borrow from.
        earlier = date.fromordinal(max(day.toordinal() - back, 1))
        total += weight * _standard_normal(_draws(city, earlier).warmth)
    return spread * total / norm


def _summary(high_c: float, precipitation_chance: int, cloud_draw: float) -> str:
    if precipitation_chance >= 60:
        if high_c <= 1:
            return "Snow"
        return "Thunderstorms" if high_c >= 27 else "Rain"
    if precipitation_chance >= 35:
        return "Snow showers" if high_c <= 1 else "Showers"
    # A dry day: the chance of rain hints at how much cloud is around.
    cloudiness = 0.6 * cloud_draw + 0.4 * precipitation_chance / 35
    if cloudiness < 0.35:
        return "Sunny"
    return "Partly cloudy" if cloudiness < 0.7 else "Cloudy"


def forecast_day(city: City, day: date) -> DayWeather:
    """The modelled weather in `city` on `day`; the same inputs always give the same day."""
    normal_high, normal_low, wet_probability = _seasonal_normal(city, day)
    draws = _draws(city, day)
    # Spread each day's chance evenly between none and twice the climate's wet-day
    # frequency, so over a month it averages out to the normal.
    chance = min(100, round(100 * wet_probability * 2 * draws.rain))
    anomaly = _temperature_anomaly(city, day)
    # Cloud and rain hold the day's heat down and the night's heat in.
    half_range = (normal_high - normal_low) / 2 * (1 - 0.3 * chance / 100)
    middle = (normal_high + normal_low) / 2 + anomaly
    high_c = middle + half_range
    return DayWeather(
        day=day,
        high_c=high_c,
        low_c=middle - half_range,
        precipitation_chance=chance,
        summary=_summary(high_c, chance, draws.cloud),
    )


def current_conditions(city: City, day: date) -> Conditions:
    """Conditions in `city` on `day`.

    The model has a resolution of one day, so "now" is the day's early-afternoon reading;
    that keeps it reproducible for the whole date.
    """
    weather = forecast_day(city, day)
    draws = _draws(city, day)
    humidity = city.humidity + 25 * (weather.precipitation_chance / 100 - 0.3)
    humidity += (draws.humidity - 0.5) * 10
    return Conditions(
        temperature_c=round(weather.low_c + 0.65 * (weather.high_c - weather.low_c), 1),
        humidity=max(10, min(100, round(humidity))),
        # Between 0.4 and 1.6 times the mean, so the city's mean wind is the average.
        wind_kph=round(city.wind_kph * (0.4 + 1.2 * draws.wind), 1),
        summary=weather.summary,
    )


# -- in the spec's terms -----------------------------------------------------------------


def to_unit(celsius: float, unit: models.Unit) -> float:
    """A temperature in `unit`, to one decimal."""
    value = celsius * 9 / 5 + 32 if unit == "fahrenheit" else celsius
    return round(value, 1)


def daily_forecast(city: City, day: date, unit: models.Unit) -> models.DailyForecast:
    weather = forecast_day(city, day)
    return models.DailyForecast(
        date=day.isoformat(),  # a `date` format is text in the model, sent as written
        summary=weather.summary,
        high=to_unit(weather.high_c, unit),
        low=to_unit(weather.low_c, unit),
        precipitation_chance=weather.precipitation_chance,
    )
