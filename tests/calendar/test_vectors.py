"""Calendar-level SLA vectors of ../shared/research/cases-sla-peers.md §4 (T1-T13, T20-T23)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civiccc.calendar import Calendar

VAN = ZoneInfo("America/Vancouver")
H = 3600
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def L(*a: int) -> datetime:
    return datetime(*a, tzinfo=VAN)  # type: ignore[misc]


def van(**extra: object) -> Calendar:
    data = {
        "id": "van",
        "timezone": "America/Vancouver",
        "hours": {d: [["08:00", "16:30"]] for d in WEEKDAYS},
    }
    data.update(extra)
    return Calendar.from_dict(data)


@pytest.mark.parametrize(
    ("name", "start", "hours", "due"),
    [
        ("T1 spring DST weekend", L(2025, 3, 7, 15), 8, L(2025, 3, 10, 14, 30)),
        ("T2 fall DST weekend", L(2025, 10, 31, 15), 8, L(2025, 11, 3, 14, 30)),
        ("T3 starts at next opening", L(2025, 6, 14, 10), 4, L(2025, 6, 16, 12)),
        ("T4 before opening", L(2025, 6, 17, 6), 2, L(2025, 6, 17, 10)),
        ("T5 exactly at close", L(2025, 6, 20, 16, 30), 1, L(2025, 6, 23, 9)),
        ("T6 due at a close, not next opening", L(2025, 6, 18, 8), 8.5, L(2025, 6, 18, 16, 30)),
    ],
)
def test_weekday_vectors(name: str, start: datetime, hours: float, due: datetime) -> None:
    cal = van()
    got = cal.add_business_time(start, timedelta(hours=hours))
    assert got == due, name
    assert got.utcoffset() == due.utcoffset()  # returned in the caller's zone
    assert cal.business_time_between(start, got) == timedelta(hours=hours)


def test_t1_t2_calendar_gaps() -> None:
    cal = van()
    assert cal.add_business_time(L(2025, 3, 7, 15), 8 * H).astimezone(UTC) == datetime(
        2025, 3, 10, 21, 30, tzinfo=UTC
    )
    real = L(2025, 3, 10, 14, 30).astimezone(UTC) - L(2025, 3, 7, 15).astimezone(UTC)
    assert real == timedelta(hours=70.5)  # wall clock says 71.5 h
    assert cal.add_business_time(L(2025, 10, 31, 15), 8 * H).astimezone(UTC) == datetime(
        2025, 11, 3, 22, 30, tzinfo=UTC
    )


def test_t7_t8_holidays() -> None:
    cal = van(
        extra_holidays=[
            {"date": "2025-07-01", "name": "Canada Day"},
            {"date": "12-25", "name": "Christmas"},
            {"date": "12-26", "name": "Boxing Day"},
        ]
    )
    assert cal.add_business_time(L(2025, 6, 30, 15), 8 * H) == L(2025, 7, 2, 14, 30)
    assert cal.add_business_time(L(2025, 12, 24, 12), 8.5 * H) == L(2025, 12, 29, 12)


def test_t9_holidays_are_local_dates() -> None:
    cal = Calendar.from_dict(
        {
            "id": "cc",
            "timezone": "America/Vancouver",
            "hours": {d: [["07:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
            "extra_holidays": [{"date": "2025-07-01", "name": "Canada Day"}],
        }
    )
    due = cal.add_business_time(datetime(2025, 7, 2, 1, 0, tzinfo=UTC), H)
    assert due == L(2025, 7, 2, 8)
    assert due.astimezone(UTC) == datetime(2025, 7, 2, 15, tzinfo=UTC)


def test_t10_several_ranges_per_day() -> None:
    cal = Calendar.from_dict(
        {
            "id": "s",
            "timezone": "America/Vancouver",
            "hours": {d: [["08:00", "12:00"], ["13:00", "16:30"]] for d in WEEKDAYS},
        }
    )
    assert cal.add_business_time(L(2025, 6, 16, 10), 4 * H) == L(2025, 6, 16, 15)


def test_t11_t12_business_time_is_real_seconds() -> None:
    always = Calendar.from_dict({"id": "a", "timezone": "America/Vancouver", "hours": "24/7"})
    assert always.add_business_time(L(2025, 3, 8, 12), 24 * H) == L(2025, 3, 9, 13)
    assert always.add_business_time(L(2025, 11, 1, 12), 24 * H) == L(2025, 11, 2, 11)
    assert always.business_time_between(L(2025, 3, 9), L(2025, 3, 10)) == timedelta(hours=23)
    assert always.business_time_between(L(2025, 11, 2), L(2025, 11, 3)) == timedelta(hours=25)
    night = Calendar.from_dict(
        {"id": "n", "timezone": "America/Vancouver", "hours": {"sun": [["00:00", "06:00"]]}}
    )
    assert night.business_time_between(L(2025, 3, 9), L(2025, 3, 10)) == timedelta(hours=5)
    assert night.business_time_between(L(2025, 11, 2), L(2025, 11, 3)) == timedelta(hours=7)


def test_t13_boundaries_in_dst_gap_and_fold() -> None:
    spring = Calendar.from_dict(
        {"id": "g", "timezone": "America/Vancouver", "hours": {"sun": [["02:30", "06:00"]]}}
    )
    [(s, e)] = spring.open_intervals(L(2025, 3, 9), L(2025, 3, 10))
    assert s.astimezone(UTC) == datetime(2025, 3, 9, 10, 30, tzinfo=UTC)  # 03:30 PDT
    assert e - s == timedelta(hours=2.5)
    fall = Calendar.from_dict(
        {"id": "f", "timezone": "America/Vancouver", "hours": {"sun": [["01:30", "06:00"]]}}
    )
    [(s, e)] = fall.open_intervals(L(2025, 11, 2), L(2025, 11, 3))
    assert s.astimezone(UTC) == datetime(2025, 11, 2, 8, 30, tzinfo=UTC)  # 01:30 PDT, the first one
    assert e.astimezone(UTC) == datetime(2025, 11, 2, 14, 0, tzinfo=UTC)  # 06:00 PST
    assert fall.business_time_between(L(2025, 11, 2), L(2025, 11, 3)) == timedelta(hours=5.5)


def test_t20_t21_rt_vectors() -> None:
    sunday = Calendar.from_dict(
        {"id": "rt", "timezone": "UTC", "hours": {"sun": [["09:00", "17:00"]]}}
    )
    t = datetime(2007, 1, 1, tzinfo=UTC)
    assert sunday.next_open(t) == datetime(2007, 1, 7, 9, tzinfo=UTC)
    assert sunday.add_business_time(t, 0) == datetime(2007, 1, 7, 9, tzinfo=UTC)
    assert sunday.add_business_time(t, H) == datetime(2007, 1, 7, 10, tzinfo=UTC)
    for zone, starts, due in (
        (
            "America/New_York",
            datetime(2007, 1, 1, 22, tzinfo=UTC),
            datetime(2007, 1, 2, 15, tzinfo=UTC),
        ),
        ("Europe/Moscow", datetime(2007, 1, 2, 6, tzinfo=UTC), datetime(2007, 1, 2, 8, tzinfo=UTC)),
    ):
        cal = Calendar.from_dict(
            {"id": "q", "timezone": zone, "hours": {d: [["09:00", "18:00"]] for d in WEEKDAYS}}
        )
        created = datetime(2007, 1, 1, 22, tzinfo=UTC)
        assert cal.next_open(created) == starts, zone
        assert cal.add_business_time(created, 2 * H) == due, zone


def test_t23_business_elapsed_across_dst_weekend() -> None:
    assert van().business_time_between(L(2025, 3, 7, 15), L(2025, 3, 10, 9)) == timedelta(hours=2.5)
    assert van().business_time_between(L(2025, 3, 10, 9), L(2025, 3, 7, 15)) == -timedelta(
        hours=2.5
    )


def test_berlin_dst() -> None:
    ber = ZoneInfo("Europe/Berlin")
    cal = Calendar.from_dict({"id": "b", "timezone": "Europe/Berlin", "hours": "24/7"})
    assert cal.business_time_between(
        datetime(2025, 3, 30, tzinfo=ber), datetime(2025, 3, 31, tzinfo=ber)
    ) == timedelta(hours=23)
    assert cal.business_time_between(
        datetime(2025, 10, 26, tzinfo=ber), datetime(2025, 10, 27, tzinfo=ber)
    ) == timedelta(hours=25)
    desk = Calendar.from_dict(
        {
            "id": "d",
            "timezone": "Europe/Berlin",
            "hours": {"fri": [["08:00", "12:00"]], "mon": [["08:00", "12:00"]]},
        }
    )
    # Friday 28 March 11:00 CET + 2 h -> Monday 31 March 09:00 CEST, across the spring change
    assert desk.add_business_time(datetime(2025, 3, 28, 11, tzinfo=ber), 2 * H) == datetime(
        2025, 3, 31, 9, tzinfo=ber
    )


def test_naive_datetimes_are_rejected() -> None:
    from civiccc.errors import ConfigError

    with pytest.raises(ConfigError, match="t: naive datetime"):
        van().add_business_time(datetime(2025, 1, 1), H)
    with pytest.raises(ConfigError, match="duration must not be negative"):
        van().add_business_time(L(2025, 1, 1), -1)


def test_t22_breach_on_due_date_waits_for_the_next_opening() -> None:
    # ServiceNow "Breach on Due Date" with an 08:00-16:00 schedule: a due date after hours
    # breaches at the next opening (the calendar part of T22; "start + 1 s" is the cases engine's)
    cal = Calendar.from_dict(
        {"id": "sn", "timezone": "UTC", "hours": {d: [["08:00", "16:00"]] for d in WEEKDAYS}}
    )
    due = datetime(2017, 1, 11, 20, 30, tzinfo=UTC)  # Wed
    assert cal.next_open(due) == datetime(2017, 1, 12, 8, tzinfo=UTC)
    assert cal.add_business_time(due, 0) == datetime(2017, 1, 12, 8, tzinfo=UTC)
    assert cal.next_open(datetime(2017, 1, 12, 9, tzinfo=UTC)) == datetime(
        2017, 1, 12, 9, tzinfo=UTC
    )
