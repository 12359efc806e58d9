"""Wrong argument types and values for the Calendar API and `civiccc calendar show`.

Each is a ConfigError naming the argument (or the option, from the command line); none is a raw
AttributeError/TypeError/ValueError/OverflowError.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.calendar import Calendar, load_calendars
from civiccc.cli import main
from civiccc.errors import ConfigError, NoOpenTimeError

CITY = str(Path(__file__).parents[2] / "examples" / "calendars" / "city_hall.yaml")
T = dt.datetime(2025, 6, 17, 17, tzinfo=dt.UTC)


def city() -> Calendar:
    return load_calendars(CITY)["city_hall"]


@pytest.mark.parametrize("day", ["2025-06-19", 20250619, None, dt.datetime(2025, 6, 19)], ids=repr)
def test_date_methods_refuse_what_is_not_a_date(day: Any) -> None:
    cal = city()
    for call in (
        lambda: cal.add_closure(day),
        lambda: cal.holiday_on(day),
        lambda: cal.rules.add_holiday(day, "civic day"),
        lambda: cal.rules.holiday(day),
        lambda: cal.rules.deviations(day),
    ):
        with pytest.raises(ConfigError, match=r"expected a local date \(datetime.date\)") as info:
            call()
        assert info.value.path == "day"
    assert cal.revision == city().revision  # nothing was changed


def test_date_methods_still_take_dates() -> None:
    cal = city()
    assert cal.holiday_on(dt.date(2025, 7, 1)) == "Canada Day"
    cal.add_closure(dt.date(2025, 6, 19), reason="staff day")
    assert not cal.is_open(dt.datetime(2025, 6, 19, 17, tzinfo=dt.UTC))
    cal.rules.add_holiday(dt.date(2025, 6, 20), "civic day")
    assert cal.holiday_on(dt.date(2025, 6, 20)) == "civic day"
    with pytest.raises(ConfigError, match="holiday name") as info:
        cal.rules.add_holiday(dt.date(2025, 6, 23), None)  # type: ignore[arg-type]
    assert info.value.path == "name"


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (math.nan, "finite"),
        (math.inf, "finite"),
        (-1.0, "negative"),
        (dt.timedelta(seconds=-1), "negative"),
        ("1h", "timedelta or seconds"),
        (None, "timedelta or seconds"),
    ],
    ids=repr,
)
def test_add_business_time_durations(duration: Any, message: str) -> None:
    cal = city()
    for t in (T, T.astimezone(dt.timezone(dt.timedelta(hours=-7)))):  # UTC and other paths
        cal.add_business_time(T, 60.0)  # the table exists: the fast paths are taken
        with pytest.raises(ConfigError, match=message) as info:
            cal.add_business_time(t, duration)
        assert info.value.path == "duration"
    with pytest.raises(ConfigError, match="duration"):
        city().add_business_time(T, duration)  # no table yet


@pytest.mark.parametrize("duration", [[60], {"seconds": 60}], ids=repr)
def test_add_business_time_unhashable_durations(duration: Any) -> None:
    """Refused as on every path, also on the UTC path (which looks durations up in a dict)."""
    cal = city()
    cal.add_business_time(T, 60.0)  # the table exists: the fast paths are taken
    for t in (T, T.astimezone(dt.timezone(dt.timedelta(hours=-7)))):
        with pytest.raises(ConfigError, match="timedelta or seconds") as info:
            cal.add_business_time(t, duration)
        assert info.value.path == "duration"


@settings(max_examples=30, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not 0 <= x < math.inf))
def test_add_business_seconds_refuses_negative_and_non_finite(seconds: float) -> None:
    with pytest.raises(ConfigError) as info:
        _CAL.add_business_seconds(T.timestamp(), seconds)
    assert info.value.path == "duration"


_CAL = city()


@pytest.mark.parametrize("bad", ["2025-06-17T17:00Z", dt.date(2025, 6, 17), 1750179600], ids=repr)
def test_instants_that_are_not_datetimes(bad: Any) -> None:
    cal = city()
    with pytest.raises(ConfigError, match="expected an aware datetime") as info:
        cal.add_business_time(bad, 60.0)
    assert info.value.path == "t"
    with pytest.raises(ConfigError, match="expected an aware datetime") as info:
        cal.business_time_between(bad, T)
    assert info.value.path == "a"
    with pytest.raises(ConfigError, match="expected an aware datetime") as info:
        cal.business_time_between(T, bad)
    assert info.value.path == "b"


@pytest.mark.parametrize("scope", [5, "", "  ", ["waste"]], ids=repr)
def test_emergency_scope_is_checked_as_in_files(scope: Any) -> None:
    cal = city()
    with pytest.raises(ConfigError, match="scope label") as info:
        cal.switch_emergency(True, T, scope=scope)
    assert info.value.path == "scope"
    with pytest.raises(ConfigError, match="scope label"):
        cal.schedule_emergency(T, T + dt.timedelta(hours=1), scope=scope)
    assert cal.emergencies == city().emergencies and cal.switch_log == []
    with pytest.raises(ConfigError, match="scope label"):
        Calendar.from_dict(
            {
                "id": "x",
                "timezone": "UTC",
                "hours": "24/7",
                "emergencies": [{"start": "2025-06-17T17:00:00Z", "scope": scope}],
            }
        )


def test_scoped_switches_still_work() -> None:
    cal = city()
    cal.switch_emergency(True, T, scope="service:waste")
    assert cal.state_at(T + dt.timedelta(minutes=1), "service:waste").kind.value == "emergency"
    assert cal.is_open(T + dt.timedelta(minutes=1))


# ----------------------------------------------------------------- the supported range


@pytest.mark.parametrize(
    "t",
    [
        dt.datetime(9999, 12, 28, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),
        dt.datetime(1, 12, 31, 12, tzinfo=dt.UTC),
    ],
    ids=str,
)
def test_instants_outside_the_supported_dates(t: dt.datetime) -> None:
    cal = city()
    for call in (
        lambda: cal.state_at(t),
        lambda: cal.is_open(t),
        lambda: cal.next_open(t),
        lambda: cal.next_change(t),
        lambda: cal.add_business_time(t, 60.0),
        lambda: cal.business_time_between(T, t),
    ):
        with pytest.raises(ConfigError, match="outside the dates a calendar supports") as info:
            call()
        assert "0002-01-01 to 9998-12-31" in str(info.value)


def test_the_last_supported_year() -> None:
    cal = city()
    t = dt.datetime(9998, 12, 28, tzinfo=dt.UTC)
    assert cal.state_at(t).kind.value == "closed"
    assert cal.next_open(t) is not None
    assert cal.next_change(dt.datetime(9998, 12, 31, 12, tzinfo=dt.UTC)) is not None
    with pytest.raises(NoOpenTimeError, match="before 9998-12-31"):
        cal.add_business_time(t, dt.timedelta(days=30))
    always_closed = Calendar.from_dict({"id": "x", "timezone": "UTC", "hours": {}})
    assert always_closed.next_open(t) is None  # no opening before the end: not an error
    assert always_closed.next_change(t) is None


# ----------------------------------------------------------------- the command line


@pytest.mark.parametrize("first", ["0001-01-01", "9999-12-28", "9998-12-28"])
def test_show_outside_the_supported_dates(first: str) -> None:
    result = CliRunner().invoke(main, ["calendar", "show", CITY, "--from", first])
    assert result.exit_code == 2, result.output
    assert "--from" in result.output and "0002-01-01 to 9998-12-31" in result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "city_hall (" not in result.output  # refused before printing anything


def test_show_near_the_edges() -> None:
    result = CliRunner().invoke(
        main, ["calendar", "show", CITY, "--id", "city_hall", "--from", "9998-12-20", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "Mon 9998-12-21 08:00 PST  open" in result.output
