"""SLA clocks against the research vectors (T1-T24) and the SLA features of issue 6."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cases_helpers import CATALOGUE, VAN, WEEKDAYS, van, van_calendar

from civiccc.calendar import Calendar
from civiccc.cases import (
    AssignmentRule,
    CaseDesk,
    Catalogue,
    ClockState,
    Escalated,
    EscalationRule,
    Location,
    SlaAlert,
)
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, NotFoundError

H = dt.timedelta(hours=1)


def desk_for(
    cal: Calendar | None = None, services: list[dict[str, Any]] | None = None, **kw: Any
) -> CaseDesk:
    data = dict(CATALOGUE)
    if services is not None:
        data["services"] = services
    return CaseDesk(
        Catalogue.from_dict(data),
        clock=VirtualClock(van(2025, 1, 1)),
        calendars={"van": cal or van_calendar()},
        **kw,
    )


def svc(resolution: Any, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "code": "s",
            "name": "S",
            "department": "roads",
            "sla": {"normal": {"resolution": resolution}},
            **extra,
        }
    ]


@pytest.mark.parametrize(
    ("opened", "hours", "due"),
    [
        (van(2025, 3, 7, 15), 8, van(2025, 3, 10, 14, 30)),  # T1 spring DST weekend
        (van(2025, 10, 31, 15), 8, van(2025, 11, 3, 14, 30)),  # T2 fall DST weekend
        (van(2025, 6, 14, 10), 4, van(2025, 6, 16, 12)),  # T3 opened on Saturday
        (van(2025, 6, 17, 6), 2, van(2025, 6, 17, 10)),  # T4 before opening
        (van(2025, 6, 20, 16, 30), 1, van(2025, 6, 23, 9)),  # T5 exactly at close
        (van(2025, 6, 18, 8), 8.5, van(2025, 6, 18, 16, 30)),  # T6 due at the close
    ],
)
def test_business_due(opened: dt.datetime, hours: float, due: dt.datetime) -> None:
    """T1-T6: due instants in business time across weekends and DST."""
    desk = desk_for(services=svc(f"{hours}h"))
    c = desk.create("s", by="c", at=opened)
    assert desk.due(c.id) == due
    if hours == 8 and opened.month == 3:
        assert desk.due(c.id) - opened == dt.timedelta(hours=70.5)  # T1 real gap


def test_holidays_t7_t8() -> None:
    """T7/T8: holidays (local dates) are skipped whole."""
    cal = van_calendar(
        extra_holidays=[
            {"date": "2025-07-01", "name": "Canada Day"},
            {"date": "2025-12-25", "name": "Christmas"},
            {"date": "2025-12-26", "name": "Boxing Day"},
        ]
    )
    desk = desk_for(
        cal,
        services=[
            *svc("8h"),
            {
                "code": "t",
                "name": "T",
                "department": "roads",
                "sla": {"normal": {"resolution": "8.5h"}},
            },
        ],
    )
    c = desk.create("s", by="c", at=van(2025, 6, 30, 15))
    assert desk.due(c.id) == van(2025, 7, 2, 14, 30)
    assert "holiday" in desk.explain(c.id) and "Canada Day" in desk.explain(c.id)
    d = desk.create("t", by="c", at=van(2025, 12, 24, 12))
    assert desk.due(d.id) == van(2025, 12, 29, 12)


def test_t9_holiday_on_local_date() -> None:
    """T9: a 07:00-22:00 daily call centre; the holiday is the local date Jul 1."""
    cal = Calendar.from_dict(
        {
            "id": "van",
            "timezone": "America/Vancouver",
            "hours": {d: [["07:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
            "extra_holidays": [{"date": "2025-07-01", "name": "Canada Day"}],
        }
    )
    desk = desk_for(cal, services=svc("1h"))
    c = desk.create("s", by="c", at=dt.datetime(2025, 7, 2, 1, tzinfo=dt.UTC))
    assert desk.due(c.id) == dt.datetime(2025, 7, 2, 15, tzinfo=dt.UTC)


def test_t10_split_hours() -> None:
    """T10: several intervals per day."""
    cal = Calendar.from_dict(
        {
            "id": "van",
            "timezone": "America/Vancouver",
            "hours": {d: [["08:00", "12:00"], ["13:00", "16:30"]] for d in WEEKDAYS},
        }
    )
    desk = desk_for(cal, services=svc("4h"))
    assert desk.due(desk.create("s", by="c", at=van(2025, 6, 16, 10)).id) == van(2025, 6, 16, 15)


@pytest.mark.parametrize(
    ("opened", "due"),
    [(van(2025, 3, 8, 12), van(2025, 3, 9, 13)), (van(2025, 11, 1, 12), van(2025, 11, 2, 11))],
)
def test_t11_calendar_time(opened: dt.datetime, due: dt.datetime) -> None:
    """T11: a calendar-time target counts real seconds across DST (86,400 s)."""
    desk = desk_for(services=svc({"after": "24h", "business": False}))
    c = desk.create("s", by="c", at=opened)
    assert desk.due(c.id) == due
    assert (desk.due(c.id) - opened).total_seconds() == 86400
    assert "calendar time" in desk.explain(c.id)


def test_t14_t15_pause() -> None:
    """T14: a pause inside hours moves the due time; T15: a pause outside hours does not."""
    desk = desk_for(services=svc("8h"))
    a = desk.create("s", by="c", at=van(2025, 6, 16, 9)).id
    b = desk.create("s", by="c", at=van(2025, 6, 16, 9)).id
    for cid, (p, r) in (
        (a, (van(2025, 6, 16, 11), van(2025, 6, 17, 10))),
        (b, (van(2025, 6, 16, 17), van(2025, 6, 17, 7))),
    ):
        desk.fire(cid, "triage", by="c", at=van(2025, 6, 16, 9, 30))
        desk.fire(cid, "wait_citizen", by="c", at=p)
        assert desk.sla(cid, at=p + H)["resolution"].state is ClockState.PAUSED
        assert desk.due(cid) is None  # paused before the due point
        desk.fire(cid, "resume", by="c", at=r)
    assert desk.due(a) == van(2025, 6, 17, 16)
    assert desk.due(b) == van(2025, 6, 17, 8, 30)


def test_t16_calendar_time_pause() -> None:
    """T16: 24x7, 2 h; suspended 09:00 -> 10:05 after creation at 08:00: due 11:05."""
    desk = desk_for(services=svc({"after": "2h", "business": False}))
    c = desk.create("s", by="c", at=van(2025, 6, 16, 8)).id
    desk.fire(c, "triage", by="c", at=van(2025, 6, 16, 8, 30))
    desk.fire(c, "wait_citizen", by="c", at=van(2025, 6, 16, 9))
    desk.fire(c, "resume", by="c", at=van(2025, 6, 16, 10, 5))
    assert desk.due(c) == van(2025, 6, 16, 11, 5)


def test_t17_thresholds_fire_once() -> None:
    """T17: 50 % / 75 % / 100 % of business time; each alert fires once."""
    desk = desk_for(services=svc("8h", warn_at=[0.5, 0.75]))
    seen: list[SlaAlert] = []
    desk.bus.subscribe(SlaAlert, seen.append)
    c = desk.create("s", by="c", at=van(2025, 6, 16, 15)).id
    assert desk.tick(van(2025, 6, 17, 10, 29)) == []
    assert desk.sla(c, van(2025, 6, 17, 10, 29))["resolution"].state is ClockState.RUNNING
    first = desk.tick(van(2025, 6, 17, 12, 45))
    assert [(a.fraction, a.at) for a in first] == [
        (0.5, van(2025, 6, 17, 10, 30)),
        (0.75, van(2025, 6, 17, 12, 30)),
    ]
    assert desk.sla(c, van(2025, 6, 17, 12, 45))["resolution"].state is ClockState.WARNING
    assert desk.tick(van(2025, 6, 17, 13)) == []
    last = desk.tick(van(2025, 6, 18, 9))
    assert [(a.fraction, a.at) for a in last] == [(1.0, van(2025, 6, 17, 14, 30))]
    assert desk.tick(van(2025, 6, 19, 9)) == []
    assert len(seen) == 3
    assert [a.action for a in desk.get(c).audit].count("warning") == 2


def test_t18_priority_change() -> None:
    """T18: P3 (8 h) raised to P1 (4 h) at 12:00: retroactive start -> 13:00; restart -> 16:00;
    retroactive with a carried pause 10:00-11:00 -> 14:00."""
    services = [
        {
            "code": "retro",
            "name": "R",
            "department": "roads",
            "sla": {"normal": {"resolution": "8h"}, "urgent": {"resolution": "4h"}},
        },
        {
            "code": "restart",
            "name": "R",
            "department": "roads",
            "priority_change": "restart",
            "sla": {"normal": {"resolution": "8h"}, "urgent": {"resolution": "4h"}},
        },
    ]
    desk = desk_for(services=services)
    a = desk.create("retro", by="c", at=van(2025, 6, 16, 9)).id
    b = desk.create("restart", by="c", at=van(2025, 6, 16, 9)).id
    p = desk.create("retro", by="c", at=van(2025, 6, 16, 9)).id
    desk.fire(p, "triage", by="c", at=van(2025, 6, 16, 9, 30))
    desk.fire(p, "wait_citizen", by="c", at=van(2025, 6, 16, 10))
    desk.fire(p, "resume", by="c", at=van(2025, 6, 16, 11))
    for cid in (a, b, p):
        desk.set_priority(cid, "urgent", by="sup", at=van(2025, 6, 16, 12))
    assert (desk.due(a), desk.due(b), desk.due(p)) == (
        van(2025, 6, 16, 13),
        van(2025, 6, 16, 16),
        van(2025, 6, 16, 14),
    )
    assert "retroactive" in desk.explain(a)
    with pytest.raises(ConfigError, match="unknown priority"):
        desk.set_priority(a, "asap", by="x")


def test_priority_change_breach_on_attach_without_fanout() -> None:
    """Raising priority on a case already past the new target breaches at once, no alerts."""
    desk = desk_for(
        services=[
            {
                "code": "s",
                "name": "S",
                "department": "roads",
                "sla": {"normal": {"resolution": "8h"}, "urgent": {"resolution": "1h"}},
            }
        ]
    )
    c = desk.create("s", by="c", at=van(2025, 6, 16, 9)).id
    desk.set_priority(c, "urgent", by="sup", at=van(2025, 6, 16, 12))
    st = desk.sla(c, van(2025, 6, 16, 12))["resolution"]
    assert st.breached and st.state is ClockState.BREACHED
    assert desk.tick(van(2025, 6, 16, 12)) == []


def test_t19_next_reply_from_oldest_unanswered() -> None:
    """T19: next reply runs from the oldest unanswered citizen message; a staff reply meets it."""
    desk = desk_for()
    c = desk.create("pothole", by="c", at=van(2025, 6, 16, 9)).id
    desk.message(c, from_citizen=False, by="agent", text="on it", at=van(2025, 6, 16, 10))
    assert desk.sla(c, van(2025, 6, 16, 10))["first_response"].state is ClockState.MET
    desk.message(c, from_citizen=True, by="resident", at=van(2025, 6, 16, 15, 30))
    desk.message(c, from_citizen=True, by="resident", at=van(2025, 6, 16, 16))
    assert desk.due(c, "next_reply") == van(2025, 6, 17, 9)
    desk.message(c, from_citizen=False, by="agent", at=van(2025, 6, 17, 8, 30))
    st = desk.sla(c, van(2025, 6, 17, 12))["next_reply"]
    assert st.state is ClockState.MET and st.elapsed == 1.5 * H
    with pytest.raises(NotFoundError):
        desk.clock_status(desk.get(c), "nonsense")


def test_t23_t24_elapsed_and_sticky_breach() -> None:
    """T23: business elapsed across a DST weekend; T24: breach stays after pause and resolve."""
    desk = desk_for(
        services=[
            *svc("1h"),
            {
                "code": "t",
                "name": "T",
                "department": "roads",
                "sla": {"normal": {"resolution": "8h"}},
            },
        ]
    )
    t = desk.create("t", by="c", at=van(2025, 3, 7, 15)).id
    desk.fire(t, "triage", by="c", at=van(2025, 3, 7, 15, 30))
    desk.fire(t, "resolve", by="c", at=van(2025, 3, 10, 9))
    assert desk.sla(t, van(2025, 3, 12))["resolution"].elapsed == 2.5 * H
    c = desk.create("s", by="c", at=van(2025, 6, 16, 9)).id
    desk.fire(c, "triage", by="c", at=van(2025, 6, 16, 9, 5))
    desk.fire(c, "wait_citizen", by="c", at=van(2025, 6, 16, 10, 30))
    assert desk.sla(c, van(2025, 6, 16, 10, 45))["resolution"].state is ClockState.BREACHED
    desk.fire(c, "resume", by="c", at=van(2025, 6, 16, 11))
    desk.fire(c, "resolve", by="c", at=van(2025, 6, 16, 11, 30))
    st = desk.sla(c, van(2025, 6, 17))["resolution"]
    assert st.state is ClockState.BREACHED and st.breached
    assert st.due == van(2025, 6, 16, 10)
    assert (st.elapsed, st.stopped, -st.remaining) == (2 * H, 0.5 * H, 1 * H)
    assert st.completed == van(2025, 6, 16, 11, 30)
    desk.fire(c, "close", by="c", at=van(2025, 6, 17))
    assert desk.sla(c, van(2025, 6, 18))["resolution"].breached


def test_met_state_and_percentage() -> None:
    """A clock completed in time is met; percentage is of the business target."""
    desk = desk_for(services=svc("8h"))
    c = desk.create("s", by="c", at=van(2025, 6, 16, 8)).id
    desk.fire(c, "triage", by="c", at=van(2025, 6, 16, 9))
    assert desk.sla(c, van(2025, 6, 16, 10))["resolution"].percentage == 25.0
    desk.fire(c, "resolve", by="c", at=van(2025, 6, 16, 12))
    st = desk.sla(c, van(2025, 6, 20))["resolution"]
    assert (st.state, st.percentage, st.remaining) == (ClockState.MET, 50.0, 4 * H)


@pytest.mark.parametrize(
    ("mode", "due"), [("resume", van(2025, 6, 17, 14, 30)), ("restart", van(2025, 6, 17, 16, 30))]
)
def test_reopen(mode: str, due: dt.datetime) -> None:
    """Reopening resumes the resolution clock (time resolved is not counted) or restarts it."""
    desk = desk_for(services=svc("8h", reopen=mode))
    c = desk.create("s", by="c", at=van(2025, 6, 16, 9)).id
    desk.fire(c, "triage", by="c", at=van(2025, 6, 16, 9))
    desk.fire(c, "resolve", by="c", at=van(2025, 6, 16, 11))
    desk.fire(c, "reopen", by="resident", at=van(2025, 6, 17, 8, 30))
    assert desk.due(c) == due
    if mode == "restart":
        assert desk.get(c).clock_history[0].stop == van(2025, 6, 16, 11).timestamp()


def test_due_before_index() -> None:
    """'Which cases breach in the next hour' from the due index; resolved cases leave it."""
    desk = desk_for(services=svc("1h"))
    ids = [desk.create("s", by="c", at=van(2025, 6, 16, 8, m)).id for m in (0, 10, 20, 30)]
    soon = desk.due_before(van(2025, 6, 16, 9, 15))
    assert [cid for _, cid, _ in soon] == ids[:2]
    desk.fire(ids[0], "cancel", by="c", at=van(2025, 6, 16, 8, 40))
    assert [cid for _, cid, _ in desk.due_before(van(2025, 6, 16, 9, 15))] == ids[1:2]
    assert desk.recompute() == 3
    assert [cid for _, cid, _ in desk.due_before(van(2025, 6, 16, 9, 15))] == ids[1:2]


def test_emergency_suspension() -> None:
    """A declared emergency suspends clocks of matching cases only, audited and explained."""
    desk = desk_for()
    hit = desk.create("pothole", by="c", tags=["hurricane"], at=van(2025, 6, 16, 9)).id
    tagged_later = desk.create("pothole", by="c", at=van(2025, 6, 16, 9)).id
    other = desk.create("missed_pickup", by="c", at=van(2025, 6, 16, 9)).id
    susp = desk.declare_emergency(
        van(2025, 6, 16, 10),
        van(2025, 6, 17, 10),
        reason="hurricane",
        by="mayor",
        services=["pothole"],
    )
    assert desk.due(hit) == desk.due(tagged_later) == van(2025, 6, 18, 8, 30)
    assert desk.due(other) == van(2025, 6, 17, 8, 30)
    assert desk.get(hit).audit[-1].action == "sla_suspended"
    assert "hurricane" in desk.explain(hit) and susp.id in desk.explain(hit)
    assert desk.sla(hit, van(2025, 6, 16, 12))["resolution"].state is ClockState.PAUSED
    by_tag = desk_for()
    a = by_tag.create("pothole", by="c", at=van(2025, 6, 16, 9)).id
    by_tag.declare_emergency(
        van(2025, 6, 16, 10), van(2025, 6, 17, 10), reason="storm", by="mayor", tags=["storm"]
    )
    assert by_tag.due(a) == van(2025, 6, 17, 8, 30)
    by_tag.tag(a, "storm", by="c", at=van(2025, 6, 16, 9))  # events are dated after creation
    assert by_tag.due(a) == van(2025, 6, 18, 8, 30)
    with pytest.raises(ConfigError, match="needs services"):
        desk.declare_emergency(van(2025, 6, 16), van(2025, 6, 17), reason="x", by="y")
    with pytest.raises(ConfigError, match="unknown service"):
        desk.declare_emergency(
            van(2025, 6, 16), van(2025, 6, 17), reason="x", by="y", services=["nope"]
        )


def test_snow_day_closure_recomputes() -> None:
    """A closure added afterwards moves every affected due time, audited with the reason."""
    cal = van_calendar()
    desk = desk_for(cal)
    cases = [desk.create("pothole", by="c", at=van(2025, 6, 16, 9 + i)).id for i in range(3)]
    info = desk.create("info", by="c", at=van(2025, 6, 16, 9)).id  # hotline: calendar time
    before = [desk.due(c) for c in cases]
    info_due = desk.due(info)
    cal.add_closure(dt.date(2025, 6, 17), reason="snow day")
    after = [desk.due(c) for c in cases]
    assert after == [b + dt.timedelta(days=1) for b in before]
    assert desk.due(info) == info_due
    for c in cases:
        assert desk.get(c).audit[-1].action == "sla_recomputed"
        assert "snow day" in desk.explain(c)
    assert [cid for _, cid, _ in desk.due_before(van(2025, 6, 18, 16), "resolution")] == [
        info,
        *cases,
    ]
    # deterministic: a fresh desk on the same store computes the same due times
    again = CaseDesk(desk.catalogue, clock=desk.clock, calendars={"van": cal}, store=desk.store)
    assert [again.due(c) for c in cases] == after


def test_escalation_rules() -> None:
    """On breach: raise priority, reassign and notify; on warning: notify."""
    rules = [
        EscalationRule(
            name="late",
            on="breach",
            raise_priority=True,
            reassign_team="roads-supervisors",
            notify=("roads-manager",),
        ),
        EscalationRule(name="heads-up", on="warning", notify=("dispatcher",)),
    ]
    desk = desk_for(services=svc("8h", warn_at=[0.5]), escalation_rules=rules)
    got: list[Escalated] = []
    desk.bus.subscribe(Escalated, got.append)
    c = desk.create("s", by="c", at=van(2025, 6, 16, 8)).id
    desk.tick(van(2025, 6, 16, 13))
    assert [(e.rule, e.notify) for e in got] == [("heads-up", ("dispatcher",))]
    desk.tick(van(2025, 6, 17, 9))
    assert got[-1].rule == "late" and got[-1].actions == (
        "priority high",
        "reassigned roads-supervisors",
        "notify roads-manager",
    )
    case = desk.get(c)
    assert case.priority == "high" and case.team == "roads-supervisors"
    with pytest.raises(ConfigError, match="warning or breach"):
        EscalationRule(name="x", on="never")


def test_assignment_rules_first_match() -> None:
    """Assignment rules: ordered, first match wins (service, area, tags)."""
    rules = [
        AssignmentRule(
            name="downtown",
            team="roads-north",
            services=frozenset({"pothole"}),
            area=(48.42, -123.38, 48.44, -123.35),
        ),
        AssignmentRule(name="storm", team="storm-desk", tags=frozenset({"storm"})),
        AssignmentRule(name="roads", team="roads", departments=frozenset({"roads"})),
    ]
    desk = desk_for(assignment_rules=rules)
    a = desk.create("pothole", by="c", location=Location(lat=48.43, lon=-123.36))
    b = desk.create("pothole", by="c", tags=["storm"], location=Location(lat=48.0, lon=-123.0))
    c = desk.create("pothole", by="c")
    d = desk.create("missed_pickup", by="c")
    assert [x.team for x in (a, b, c, d)] == ["roads-north", "storm-desk", "roads", None]
    assert a.audit[-1].note == "rule downtown: roads-north"


def test_duplicates_and_merge() -> None:
    """Nearby same-service cases within the window are duplicates; merged ones follow the master."""
    from civiccc.cases import Contact, status_view

    desk = desk_for()
    t0 = van(2025, 6, 16, 9)
    master = desk.create(
        "pothole",
        by="c",
        location=Location(lat=48.4284, lon=-123.3656),
        at=t0,
        reporter=Contact(name="Ann", phone="+12505550100"),
    )
    desk.create("pothole", by="c", location=Location(lat=48.44, lon=-123.3656), at=t0)  # 1.3 km
    desk.create("missed_pickup", by="c", location=Location(lat=48.4284, lon=-123.3656), at=t0)
    spot = Location(lat=48.42845, lon=-123.36565)
    assert [c.id for c in desk.find_duplicates("pothole", spot, at=t0 + H)] == [master.id]
    assert desk.find_duplicates("pothole", spot, at=t0 + dt.timedelta(days=30)) == []
    addr = desk.create("pothole", by="c", location=Location(address="12  Main St"), at=t0)
    assert [
        c.id for c in desk.find_duplicates("pothole", Location(address="12 main st"), at=t0)
    ] == [addr.id]
    dup = desk.create(
        "pothole",
        by="c",
        location=spot,
        at=t0 + H,
        reporter=Contact(name="Bob", email="bob@example.org"),
    )
    due = desk.due(master.id)
    desk.merge(dup.id, master.id, by="clerk", at=t0 + 2 * H)
    assert desk.due(master.id) == due
    assert desk.get(dup.id).clocks["resolution"].cancelled
    assert [f.name for f in desk.followers(dup.id)] == ["Ann", "Bob"]
    view = status_view(desk, dup.id)
    assert view["merged_into"] == master.id and view["status_notes"] == "Duplicate request."
    assert view["expected"] == due.astimezone(VAN).isoformat()
