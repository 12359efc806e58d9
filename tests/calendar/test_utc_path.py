"""UTC datetimes take their own path (a datetime view of the compiled table): same answers.

Every answer is checked against the pendulum day-stepping reference and against the same query
made in another time zone (which goes through epoch seconds).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.calendar import Calendar, load_calendars
from civiccc.calendar._reference import ReferenceCalendar
from civiccc.errors import ConfigError

VAN = ZoneInfo("America/Vancouver")
EXAMPLES = Path(__file__).parents[2] / "examples" / "calendars"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _calendars() -> dict[str, Calendar]:
    cals = load_calendars(EXAMPLES / "city_hall.yaml")
    cals["night"] = Calendar.from_dict(
        {
            "id": "night",
            "timezone": "America/Vancouver",
            "hours": {d: [["22:00", "06:00+1"]] for d in ("fri", "sat", "sun")},
            "emergencies": [
                # boundaries off the second, and one wholly inside a closed stretch
                {"start": "2025-03-08T07:12:33.250001Z", "end": "2025-03-09T10:00:00.5Z"},
                {"start": "2025-06-18T12:00:00Z", "end": "2025-06-18T13:00:00Z"},
            ],
        }
    )
    # one interval from before the compiled span to after it, cut by an emergency
    cals["always"] = Calendar.from_dict(
        {
            "id": "always",
            "timezone": "America/Vancouver",
            "hours": "24/7",
            "emergencies": [{"start": "2025-02-03T04:05:06.000007Z", "end": "2025-02-04T00:00Z"}],
        }
    )
    return cals


CALS = _calendars()
REFS = {k: ReferenceCalendar(c) for k, c in CALS.items()}
SPAN = (datetime(2024, 12, 20, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC))

instants = st.datetimes(
    min_value=SPAN[0].replace(tzinfo=None), max_value=SPAN[1].replace(tzinfo=None)
).map(lambda t: t.replace(tzinfo=UTC))
durations = st.one_of(
    st.just(timedelta(0)),
    st.sampled_from([0, 0.0, 3600, 8 * 3600.0, 8.5 * 3600, 40 * 3600.0]),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    st.integers(min_value=0, max_value=600).map(lambda m: timedelta(minutes=m)),
)
names = st.sampled_from(sorted(CALS))
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _seconds(d: timedelta | float) -> float:
    return d.total_seconds() if isinstance(d, timedelta) else float(d)


@SLOW
@given(name=names, t=instants, d=durations)
def test_add_business_time_in_utc_matches_reference_and_zoned(
    name: str, t: datetime, d: timedelta | float
) -> None:
    cal = CALS[name]
    got = cal.add_business_time(t, d)
    again = cal.add_business_time(t, d)  # a float duration is fast only from its second use
    assert got == again
    assert got.tzinfo is UTC
    zoned = cal.add_business_time(t.astimezone(VAN), d)
    assert zoned == got
    assert zoned.tzinfo is VAN
    expected = REFS[name].add_business_seconds(t.timestamp(), _seconds(d))
    assert got == datetime.fromtimestamp(expected, UTC)


@SLOW
@given(name=names, a=instants, b=instants)
def test_business_time_between_in_utc_matches_reference_and_zoned(
    name: str, a: datetime, b: datetime
) -> None:
    cal = CALS[name]
    got = cal.business_time_between(a, b)
    assert got == cal.business_time_between(a.astimezone(VAN), b.astimezone(VAN))
    assert got == -cal.business_time_between(b, a)
    lo, hi = sorted((a, b))
    expected = REFS[name].business_seconds_between(lo.timestamp(), hi.timestamp())
    assert abs(got) == timedelta(seconds=expected)


def test_utc_answers_follow_changes_and_span_growth() -> None:
    cal = load_calendars(EXAMPLES / "city_hall.yaml")["city_hall"]
    t = datetime(2025, 1, 14, 23, tzinfo=UTC)  # Tue 15:00 in Vancouver
    due = cal.add_business_time(t, timedelta(hours=8))
    assert due == datetime(2025, 1, 15, 22, 30, tzinfo=UTC)
    cal.add_closure(date(2025, 1, 15), reason="snow day")
    assert cal.add_business_time(t, timedelta(hours=8)) == datetime(2025, 1, 16, 22, 30, tzinfo=UTC)
    assert cal.business_time_between(t, due) == timedelta(hours=1.5)
    far = datetime(2031, 6, 18, 16, tzinfo=UTC)  # outside the compiled span: it grows
    assert cal.add_business_time(far, 0) == far
    assert cal.add_business_time(far, 3600) == datetime(2031, 6, 18, 17, tzinfo=UTC)
    assert cal.business_time_between(t, far) > timedelta(hours=6 * 240 * 8)
    long = cal.add_business_time(t, timedelta(days=200))  # 4,800 h: past several spans
    assert long.year == 2027
    assert long == cal.add_business_time(t.astimezone(VAN), timedelta(days=200))


def test_utc_path_keeps_errors_and_other_zones() -> None:
    cal = CALS["city_hall"]
    t = datetime(2025, 6, 16, 16, tzinfo=UTC)
    with pytest.raises(ConfigError, match="duration must not be negative"):
        cal.add_business_time(t, -1)
    with pytest.raises(ConfigError, match="duration must not be negative"):
        cal.add_business_time(t, timedelta(seconds=-1))
    fixed = timezone(timedelta(hours=-7))
    assert cal.add_business_time(t.astimezone(fixed), 3600) == t + timedelta(hours=1)
    assert cal.add_business_time(t.astimezone(fixed), 3600).tzinfo is fixed
    assert cal.add_business_time(t, 0.0000001) == cal.add_business_time(t.astimezone(VAN), 1e-7)
