"""Precedence, holidays, deviations, closures, emergency switches, change notification."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civiccc.calendar import Calendar, StateKind, load_calendars
from civiccc.errors import InvalidTransition, NoOpenTimeError

VAN = ZoneInfo("America/Vancouver")
BER = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def L(*a: int) -> datetime:
    return datetime(*a, tzinfo=VAN)  # type: ignore[misc]


def city(**extra: object) -> Calendar:
    data: dict[str, object] = {
        "id": "city_hall",
        "timezone": "America/Vancouver",
        "hours": {d: [["08:00", "16:30"]] for d in WEEKDAYS},
        "holidays": {"country": "CA", "subdiv": "BC"},
    }
    data.update(extra)
    return Calendar.from_dict(data)


def test_state_names_the_deciding_rule() -> None:
    cal = city()
    s = cal.state_at(L(2025, 6, 16, 9))
    assert (s.kind, s.rule, s.is_open, s.holiday) == (StateKind.OPEN, "hours:mon[0]", True, None)
    assert cal.state_at(L(2025, 6, 16, 16, 30)).rule == "closed:weekly"  # half-open close
    assert cal.state_at(L(2025, 6, 16, 8)).is_open  # start is inside
    h = cal.state_at(L(2025, 7, 1, 11))
    assert (h.kind, h.rule, h.reason, h.holiday) == (
        StateKind.HOLIDAY,
        "holiday:Canada Day",
        "Canada Day",
        "Canada Day",
    )
    assert not cal.is_open(L(2025, 7, 1, 11))
    assert h.local.utcoffset() == timedelta(hours=-7)
    assert "holiday" in str(h)


def test_statutory_holidays_by_subdivision_and_category() -> None:
    base = {
        "id": "by",
        "timezone": "Europe/Berlin",
        "hours": {d: [["08:00", "12:00"]] for d in WEEKDAYS},
    }
    public = Calendar.from_dict({**base, "holidays": {"country": "DE", "subdiv": "BY"}})
    catholic = Calendar.from_dict(
        {
            **base,
            "holidays": {"country": "DE", "subdiv": "BY", "categories": ["public", "catholic"]},
        }
    )
    assumption = datetime(2025, 8, 15, 9, tzinfo=BER)  # a Friday
    assert public.is_open(assumption)
    assert catholic.state_at(assumption).rule == "holiday:Assumption Day"
    assert public.state_at(datetime(2025, 1, 6, 9, tzinfo=BER)).rule == "holiday:Epiphany"
    gb = Calendar.from_dict(
        {
            **base,
            "id": "gb",
            "timezone": "Europe/London",
            "holidays": {"country": "GB", "subdiv": "ENG"},
        }
    )
    assert gb.holiday_on(date(2025, 8, 25)) == "Late Summer Bank Holiday"
    fl = Calendar.from_dict(
        {
            **base,
            "id": "fl",
            "timezone": "America/New_York",
            "holidays": {"country": "US", "subdiv": "FL"},
        }
    )
    assert fl.holiday_on(date(2025, 7, 4)) == "Independence Day"


def test_precedence_emergency_over_deviation_over_holiday_over_weekly() -> None:
    cal = city(
        deviations=[
            {"date": "2025-07-01", "hours": [["10:00", "14:00"]], "reason": "Canada Day info desk"},
            {"date": "2025-07-01", "closed": [["12:00", "13:00"]], "reason": "flag ceremony"},
        ],
    )
    assert (
        cal.state_at(L(2025, 7, 1, 9)).rule == "closed:deviation 2025-07-01"
    )  # deviation > holiday
    assert cal.state_at(L(2025, 7, 1, 9)).holiday == "Canada Day"
    assert cal.state_at(L(2025, 7, 1, 11)).rule == "deviation:2025-07-01[0]"
    assert cal.state_at(L(2025, 7, 1, 12, 30)).rule == "closure:flag ceremony"
    cal.schedule_emergency(L(2025, 7, 1, 10, 30), L(2025, 7, 1, 11), reason="fire alarm")
    assert cal.state_at(L(2025, 7, 1, 10, 45)).kind is StateKind.EMERGENCY
    assert cal.state_at(L(2025, 7, 1, 11)).is_open  # reverted automatically
    assert cal.business_time_between(L(2025, 7, 1), L(2025, 7, 2)) == timedelta(hours=2.5)


def test_closure_inside_business_hours() -> None:
    cal = city(
        deviations=[
            {"date": "2025-06-18", "closed": [["10:00", "12:00"]], "reason": "staff meeting"}
        ]
    )
    assert cal.state_at(L(2025, 6, 18, 11)).rule == "closure:staff meeting"
    assert cal.state_at(L(2025, 6, 18, 11)).kind is StateKind.CLOSED
    assert cal.next_change(L(2025, 6, 18, 11)) == L(2025, 6, 18, 12)
    assert cal.add_business_time(L(2025, 6, 18, 9), timedelta(hours=2)) == L(2025, 6, 18, 13)
    assert [(a.hour, b.hour) for a, b in cal.open_intervals(L(2025, 6, 18), L(2025, 6, 19))] == [
        (8, 10),
        (12, 16),
    ]


def test_emergency_switch_on_and_off_with_scope_and_audit() -> None:
    cal = city()
    on = L(2025, 6, 16, 9)
    cal.switch_emergency(True, on, reason="water main break", by="supervisor-7")
    assert cal.state_at(L(2025, 6, 16, 10)).rule == "emergency:water main break"
    assert not cal.is_open(L(2025, 6, 20, 10))  # stays on until switched off
    with pytest.raises(InvalidTransition, match="'switch_on' is not allowed in state 'on'"):
        cal.switch_emergency(True, L(2025, 6, 16, 9, 30))
    cal.switch_emergency(False, L(2025, 6, 16, 11), by="supervisor-7")
    assert cal.is_open(L(2025, 6, 16, 11))
    with pytest.raises(InvalidTransition, match="'switch_off' is not allowed in state 'off'"):
        cal.switch_emergency(False, L(2025, 6, 16, 12))
    assert [e["on"] for e in cal.switch_log] == [True, False]
    assert cal.switch_log[0]["by"] == "supervisor-7"
    # a scoped switch closes the waste line only
    cal.switch_emergency(True, L(2025, 6, 17, 9), scope="service:waste", reason="trucks down")
    assert cal.is_open(L(2025, 6, 17, 10))
    assert not cal.is_open(L(2025, 6, 17, 10), scope="service:waste")
    assert cal.state_at(L(2025, 6, 17, 10), scope="service:waste").reason == "trucks down"
    assert cal.next_open(L(2025, 6, 17, 10), scope="service:waste") is None
    with pytest.raises(NoOpenTimeError, match="no open time"):
        cal.add_business_time(L(2025, 6, 17, 10), 60, scope="service:waste")


def test_ranges_past_midnight_belong_to_their_start_day() -> None:
    cal = Calendar.from_dict(
        {
            "id": "night",
            "timezone": "Europe/Berlin",
            "hours": {"fri": [["22:00", "06:00+1"]], "sat": [["22:00", "24:00"]]},
            "extra_holidays": [{"date": "2025-12-26", "name": "St Stephen"}],
        }
    )
    assert cal.is_open(datetime(2025, 6, 14, 5, 59, tzinfo=BER))  # Saturday morning, Friday's range
    assert not cal.is_open(datetime(2025, 6, 14, 6, 0, tzinfo=BER))
    assert cal.business_time_between(
        datetime(2025, 6, 13, tzinfo=BER), datetime(2025, 6, 16, tzinfo=BER)
    ) == timedelta(hours=10)
    assert cal.state_at(datetime(2025, 6, 14, 23, tzinfo=BER)).rule == "hours:sat[0]"
    # 26 Dec 2025 is a Friday and a holiday: its overnight range is dropped entirely
    assert not cal.is_open(datetime(2025, 12, 27, 2, tzinfo=BER))
    assert cal.to_dict()["hours"] == {"fri": [["22:00", "06:00+1"]], "sat": [["22:00", "24:00"]]}


def test_next_change_and_changes_over_a_week() -> None:
    cal = city()
    assert cal.next_change(L(2025, 6, 13, 12)) == L(2025, 6, 13, 16, 30)
    assert cal.next_change(L(2025, 6, 13, 17)) == L(2025, 6, 16, 8)
    assert cal.next_change(L(2025, 6, 30, 17)) == L(2025, 7, 1)  # closed -> holiday at midnight
    kinds = [s.kind.value for _, s in cal.changes(L(2025, 6, 30), L(2025, 7, 3))]
    assert kinds == ["closed", "open", "closed", "holiday", "closed", "open", "closed"]
    assert cal.next_open(L(2025, 6, 16, 9)) == L(2025, 6, 16, 9)
    assert cal.next_open(L(2025, 6, 30, 17)) == L(2025, 7, 2, 8)


def test_a_change_notifies_listeners_and_recomputes() -> None:
    cal = city()
    seen: list[int] = []
    cal.on_change(lambda c: seen.append(c.revision))
    before = cal.add_business_time(L(2025, 1, 14, 15), timedelta(hours=8))
    assert before == L(2025, 1, 15, 14, 30)
    cal.add_closure(date(2025, 1, 15), reason="snow day")
    assert seen == [1]
    assert cal.state_at(L(2025, 1, 15, 10)).rule == "closure:snow day"
    assert cal.add_business_time(L(2025, 1, 14, 15), timedelta(hours=8)) == L(2025, 1, 16, 14, 30)


def test_shared_day_rules_reach_every_calendar() -> None:
    cals = load_calendars(
        {
            "day_rules": {
                "city_days": {
                    "extra_holidays": [{"date": "2025-12-24", "name": "Christmas Eve"}],
                    "deviations": [
                        {
                            "date": "2025-06-18",
                            "closed": [["10:00", "12:00"]],
                            "reason": "staff meeting",
                        }
                    ],
                }
            },
            "calendars": {
                "desk": {
                    "timezone": "Europe/Berlin",
                    "hours": {d: [["08:00", "16:00"]] for d in WEEKDAYS},
                    "day_rules": ["city_days"],
                },
                "caretakers": {
                    "timezone": "Europe/Berlin",
                    "hours": "24/7",
                    "day_rules": ["city_days"],
                },
            },
        }
    )
    desk, care = cals["desk"], cals["caretakers"]
    meeting = datetime(2025, 6, 18, 11, tzinfo=BER)
    assert desk.state_at(meeting).rule == care.state_at(meeting).rule == "closure:staff meeting"
    assert desk.state_at(datetime(2025, 12, 24, 9, tzinfo=BER)).rule == "holiday:Christmas Eve"
    notified: list[str] = []
    care.on_change(lambda c: notified.append(c.id))
    desk.add_closure(
        date(2025, 6, 19), [("13:00", "14:00")], reason="fire drill", rules=desk.shared[0]
    )
    assert care.state_at(datetime(2025, 6, 19, 13, 30, tzinfo=BER)).rule == "closure:fire drill"
    assert notified == ["caretakers"]


def test_queries_far_from_the_compiled_span() -> None:
    cal = city()
    assert cal.is_open(L(2025, 6, 16, 9))
    assert cal.is_open(L(2040, 6, 18, 9))  # extends forward
    assert not cal.is_open(L(1999, 12, 25, 9))  # and backward (Christmas Day)
    assert cal.add_business_time(L(2025, 12, 31, 16), timedelta(hours=8.5 * 300)) > L(2027, 1, 1)
    assert cal.business_time_between(L(2024, 1, 1), L(2026, 1, 1)) > timedelta(hours=3900)
    assert cal.business_seconds_between(L(2025, 1, 1).timestamp(), L(2025, 1, 2).timestamp()) == 0
    assert (
        cal.business_seconds_before(L(2025, 1, 3, 9).timestamp())
        - cal.business_seconds_before(L(2025, 1, 3, 8).timestamp())
        == 3600
    )
    assert cal.add_business_time(datetime(2025, 6, 16, 16, tzinfo=UTC), 0) == datetime(
        2025, 6, 16, 16, tzinfo=UTC
    )


def test_a_query_far_away_starts_a_new_span_instead_of_compiling_the_years_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One query in 2925 on a calendar used for 2025 (a typo) compiles a couple of years, not
    nine centuries; the answers on both sides stay those of the day-stepping oracle."""
    from civiccc.calendar._reference import ReferenceCalendar

    cal = city()
    ref = ReferenceCalendar(cal)
    built: list[tuple[int, int]] = []
    build = cal._build  # counted, not timed: the work a query causes

    def counting(scope: str | None, first: int, last: int) -> object:
        built.append((first, last))
        return build(scope, first, last)

    monkeypatch.setattr(cal, "_build", counting)
    near, far = L(2025, 6, 16, 9), L(2925, 6, 16, 9)
    for t in (near, far, near, L(2031, 3, 3, 12), far + timedelta(days=40)):
        ts = t.timestamp()
        assert cal.is_open_ts(ts) == ref.is_open(ts), t
        assert cal.add_business_seconds(ts, 72_000) == ref.add_business_seconds(ts, 72_000), t
    assert max(last - first for first, last in built) <= 8, built
    # a span asked for between two instants is still compiled whole, and exact
    a, b = near.timestamp(), L(2027, 1, 1).timestamp()
    assert cal.business_seconds_between(a, b) == ref.business_seconds_between(a, b)
