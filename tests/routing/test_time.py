"""Time checks through civiccc.calendar: emergencies, holidays on local dates, hours, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.routing import load_flow, reference_walk

pytest.importorskip("civiccc.calendar")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"

VAN = ZoneInfo("America/Vancouver")
BER = ZoneInfo("Europe/Berlin")
CITY = load_flow(EXAMPLES / "city_hall.yaml")
TOWN = load_flow(EXAMPLES / "town_hall_de.yaml")
CALLER = "+1 604 555 0101"


def z(text: str) -> datetime:
    """An aware UTC datetime from ISO text."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def route(flow: Any, at: datetime, inputs: str = "", caller: str = CALLER) -> Any:
    """Route and check against the reference walk."""
    d = flow.route(caller, at, inputs)
    assert d == reference_walk(flow, caller, at, inputs)
    return d


def after_time_checks(flow: Any, at: datetime) -> str:
    """The first node after the time checks of the city hall flow."""
    path = route(flow, at).path
    return next(n for n in path if not n.endswith("_check") and n != "entry")


@pytest.mark.parametrize(
    ("at", "first"),
    [
        ("2025-01-27T18:07:12Z", "classify"),  # a Monday, 10:07 local: open
        ("2025-01-27T18:07:13Z", "emergency_announce"),  # the water main break starts
        ("2025-01-28T02:41:54Z", "emergency_announce"),
        ("2025-01-28T02:41:55Z", "closed_announce"),  # half-open: over; 18:41 local
        ("2025-11-14T16:00:00Z", "emergency_announce"),  # the storm
        ("2025-11-15T05:29:59Z", "emergency_announce"),
        ("2025-11-15T05:30:00Z", "closed_announce"),
    ],
)
def test_emergency_windows(at: str, first: str) -> None:
    """Emergency windows are half-open UTC intervals and win over everything else."""
    assert after_time_checks(CITY, z(at)) == first


def test_emergency_hangs_up_without_variables() -> None:
    """The emergency branch ends with the language-independent target 'hangup'."""
    d = route(CITY, z("2025-11-14T20:00:00Z"), "12")
    assert (d.target, d.kind, dict(d.variables)) == ("hangup", "disconnect", {})
    assert d.path == ("entry", "emergency_check", "emergency_announce", "hangup")
    assert "storm" in d.trace[1]


@pytest.mark.parametrize(
    ("at", "holiday"),
    [
        ("2025-07-01T06:59:59Z", False),  # June 30, 23:59:59 PDT
        ("2025-07-01T07:00:00Z", True),  # Canada Day 00:00 PDT
        ("2025-07-02T06:59:59Z", True),  # Canada Day 23:59:59 PDT (already July 2 in UTC)
        ("2025-07-02T07:00:00Z", False),
        ("2025-08-04T17:00:00Z", True),  # British Columbia Day
        ("2025-09-30T17:00:00Z", True),  # National Day for Truth and Reconciliation
        ("2025-12-26T17:00:00Z", False),  # Boxing Day is not a BC statutory holiday
    ],
)
def test_holidays_on_local_dates(at: str, holiday: bool) -> None:
    """Holidays are judged on the local (Vancouver) date."""
    path = route(CITY, z(at)).path
    assert ("holiday_announce" in path) is holiday


@pytest.mark.parametrize(
    ("local", "open_"),
    [
        ((2025, 6, 2, 7, 59, 59), False),
        ((2025, 6, 2, 8, 0, 0), True),
        ((2025, 6, 2, 16, 29, 59), True),
        ((2025, 6, 2, 16, 30, 0), False),  # half-open
        ((2025, 6, 7, 10, 0, 0), False),  # Saturday
    ],
)
def test_business_hours(local: tuple[int, ...], open_: bool) -> None:
    """Mon–Fri 08:00–16:30 local, half-open."""
    at = datetime(*local, tzinfo=VAN)
    assert (after_time_checks(CITY, at) == "classify") is open_


@pytest.mark.parametrize(
    ("at", "target"),
    [
        # spring forward (Sunday 2025-03-09): on-call opens at 07:00 local = 14:00Z (PDT)
        ("2025-03-09T13:59:59Z", "voicemail"),
        ("2025-03-09T14:00:00Z", "oncall_hotline"),
        # the day before, 07:00 local was 15:00Z (PST)
        ("2025-03-08T14:30:00Z", "voicemail"),
        ("2025-03-08T15:00:00Z", "oncall_hotline"),
        # fall back (Sunday 2025-11-02): 22:00 PST = 06:00Z on Nov 3
        ("2025-11-03T05:59:59Z", "oncall_hotline"),
        ("2025-11-03T06:00:00Z", "voicemail"),
        ("2025-11-02T04:59:59Z", "oncall_hotline"),  # Nov 1, 21:59:59 PDT
        ("2025-11-02T05:00:00Z", "voicemail"),  # Nov 1, 22:00 PDT
    ],
)
def test_oncall_hours_across_dst(at: str, target: str) -> None:
    """On-call hours 07:00–22:00 local move in UTC with daylight saving time."""
    assert route(CITY, z(at), "1").target == target


def test_monday_after_spring_forward() -> None:
    """08:00 local on the Monday after the change is 15:00Z, not 16:00Z."""
    assert after_time_checks(CITY, z("2025-03-10T15:00:00Z")) == "classify"
    assert after_time_checks(CITY, z("2025-03-10T14:59:59Z")) == "closed_announce"


def test_any_time_zone_same_instant() -> None:
    """The same instant in different zones routes the same way."""
    base = datetime(2025, 6, 2, 10, 0, tzinfo=VAN)
    for at in (base, base.astimezone(UTC), base.astimezone(BER)):
        assert route(CITY, at, "211").target == "waste_collection"


def test_queue_targets_carry_lang() -> None:
    """Queues under main_menu carry lang (default en); voicemail and the hotline do not."""
    at = datetime(2025, 6, 2, 10, 0, tzinfo=VAN)
    assert dict(route(CITY, at, "14").variables) == {"lang": "en"}
    assert dict(route(CITY, at, "24").variables) == {"lang": "fr"}
    assert dict(route(CITY, at, "99").variables) == {"lang": "en"}  # operator
    night = datetime(2025, 6, 2, 20, 0, tzinfo=VAN)
    assert route(CITY, night, "1").target == "oncall_hotline"
    assert dict(route(CITY, night, "1").variables) == {}


def test_emergency_switch_reaches_every_flow_sharing_the_calendar() -> None:
    """A calendar shared by two flows: switching an emergency on changes both at once."""
    from civiccc.calendar import load_calendars

    cals = load_calendars(_city_calendars())
    doc = CITY.to_dict()
    doc.pop("calendars")
    main = load_flow(doc, calendars=cals)
    other = load_flow(
        {
            "id": "permits_line",
            "nodes": {
                "entry": {"kind": "entry", "edges": {"next": "e"}},
                "e": {
                    "kind": "emergency_check",
                    "calendar": "city_hall",
                    "edges": {"on": "bye", "off": "desk"},
                },
                "bye": {"kind": "disconnect"},
                "desk": {"kind": "queue"},
            },
        },
        calendars=cals,
    )
    at = datetime(2025, 6, 3, 10, 0, tzinfo=VAN)
    assert route(main, at, "111").target == "waste_collection"  # warms the memos
    assert route(other, at).target == "desk"
    cal = cals["city_hall"]
    cal.switch_emergency(True, at - timedelta(minutes=5), reason="gas leak")
    assert route(main, at, "111").target == "hangup"
    assert route(other, at).target == "bye"
    assert "gas leak" in main.route(CALLER, at, "111").trace[1]
    cal.switch_emergency(False, at + timedelta(minutes=5))
    assert route(main, at + timedelta(minutes=10), "111").target == "waste_collection"


def _city_calendars() -> dict[str, Any]:
    """The calendars embedded in the city hall example, as data."""
    data: dict[str, Any] = CITY.to_dict()["calendars"]
    return data


def test_german_town_hall() -> None:
    """Bavarian holidays, split hours, the 24/7 caretakers' line, the directory."""
    tue = datetime(2025, 6, 3, 15, 0, tzinfo=BER)  # Tuesday afternoon: open
    assert route(TOWN, tue, "21", caller="+49 89 1234567").target == "meldewesen"
    wed = datetime(2025, 6, 4, 15, 0, tzinfo=BER)  # Wednesday afternoon: closed
    assert route(TOWN, wed, "2", caller="+49 89 1234567").target == "mailbox"
    corpus_christi = datetime(2025, 6, 19, 9, 0, tzinfo=BER)  # a holiday in Bavaria only
    d = route(TOWN, corpus_christi, "2", caller="+49 89 1234567")
    assert "feiertag_ansage" in d.path
    christmas_eve = datetime(2025, 12, 24, 9, 0, tzinfo=BER)  # an extra holiday
    assert "feiertag_ansage" in route(TOWN, christmas_eve, "2").path
    night = datetime(2025, 6, 19, 3, 0, tzinfo=BER)
    d = route(TOWN, night, "1")
    assert (d.target, d.priority) == ("hausmeister_notruf", 1)
    assert route(TOWN, tue, "35662#", caller="+43 1 5123456").target == "schmidt"
    assert route(TOWN, tue, "322837#").target == "buergerbuero"  # B-A-U-E-R: not listed
    assert route(TOWN, tue, "", caller="+49 151 99999999").target == "auflegen"


# ----------------------------------------------------------------- generated flows and times

from routing_strategies import calls, flows, outcome  # noqa: E402

YEAR = z("2025-01-01T00:00:00Z").timestamp()
instants = st.one_of(
    st.floats(YEAR, YEAR + 366 * 86400).map(lambda t: datetime.fromtimestamp(round(t), UTC)),
    st.sampled_from(
        [
            z("2025-01-27T18:07:13Z"),
            z("2025-01-28T02:41:55Z"),
            z("2025-07-01T07:00:00Z"),
            z("2025-03-09T14:00:00Z"),
            z("2025-11-03T06:00:00Z"),
            z("2025-06-02T15:00:00Z"),
            z("2025-06-02T23:30:00Z"),
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flows(
        time_kinds=("emergency_check", "holiday_check", "hours_check", "schedule"),
        calendars=("city_hall", "oncall"),
    ),
    st.lists(st.tuples(calls, instants), min_size=1, max_size=4),
)
def test_compiled_equals_reference_with_calendars(doc: dict, batch: list) -> None:
    """With time checks too, the compiled engine and the networkx walk agree."""
    flow = load_flow(doc, calendars=CITY.calendars)
    for (caller, inputs), at in batch:
        ref = outcome(lambda c=caller, i=inputs, a=at: reference_walk(flow, c, a, i))
        assert outcome(lambda c=caller, i=inputs, a=at: flow.route(c, a, i)) == ref


@settings(max_examples=60, deadline=None)
@given(instants, st.sampled_from(["", "1", "21", "2131", "404", "99"]))
def test_city_hall_compiled_equals_reference(at: datetime, inputs: str) -> None:
    """The reference flow itself, at random instants of 2025."""
    assert CITY.route(CALLER, at, inputs) == reference_walk(CITY, CALLER, at, inputs)


ZONES = ["UTC", "America/Vancouver", "Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns"]
SPECIAL = [
    datetime(2025, 1, 27, 18, 7, 13, tzinfo=UTC),  # the water main break starts
    datetime(2025, 1, 27, 18, 7, 12, 999_999, tzinfo=UTC),
    datetime(2025, 3, 9, 10, 0, tzinfo=UTC),  # Vancouver's spring-forward night
    datetime(2025, 11, 2, 9, 30, tzinfo=UTC),  # Vancouver's fall-back night
    datetime(2025, 11, 15, 5, 29, 59, 999_999, tzinfo=UTC),  # the storm's last microsecond
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.datetimes(
            min_value=datetime(2024, 12, 25),
            max_value=datetime(2026, 1, 5),
            allow_imaginary=True,
            timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
        ),
        st.sampled_from(SPECIAL).map(lambda t: t.astimezone(VAN)),
        st.sampled_from(SPECIAL),
    ),
    st.sampled_from([0, 1]),
    st.sampled_from(["", "1", "211", "2131", "99"]),
)
def test_any_zone_any_instant_like_reference(at: datetime, fold: int, inputs: str) -> None:
    """Local-date lookups give the reference's decision in any zone, across DST and folds."""
    at = at.replace(fold=fold)
    for _ in range(2):  # cold, then from the memos
        assert CITY.route(CALLER, at, inputs) == reference_walk(CITY, CALLER, at, inputs)
