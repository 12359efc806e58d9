"""Properties of the SLA clock through the public API, with random pauses (hypothesis)."""

from __future__ import annotations

import datetime as dt

from cases_helpers import CATALOGUE, van, van_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cases import CaseDesk, Catalogue
from civiccc.clock import VirtualClock

MIN = dt.timedelta(minutes=1)


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 60 * 24 * 14),
    gaps=st.lists(st.integers(1, 60 * 30), min_size=0, max_size=6),
    urgent=st.booleans(),
)
def test_due_is_where_elapsed_reaches_target(start: int, gaps: list[int], urgent: bool) -> None:
    """At the due instant the unpaused business time equals the target, a minute earlier it
    is short of it; breach starts strictly after due and never clears."""
    desk = CaseDesk(
        Catalogue.from_dict(CATALOGUE),
        clock=VirtualClock(van(2025, 3, 1)),
        calendars={"van": van_calendar()},
    )
    t = van(2025, 3, 1) + start * MIN  # spans the spring DST change
    cid = desk.create("pothole", by="c", at=t).id
    t += MIN
    desk.fire(cid, "triage", by="c", at=t)
    events = ["wait_citizen", "resume"]
    for i, gap in enumerate(gaps):
        t += gap * MIN
        desk.fire(cid, events[i % 2], by="c", at=t)
    if len(gaps) % 2:  # end unpaused
        t += MIN
        desk.fire(cid, "resume", by="c", at=t)
    if urgent:
        t += MIN
        desk.set_priority(cid, "urgent", by="c", at=t)
    due = desk.due(cid)
    assert due is not None
    target = desk.get(cid).clocks["resolution"].seconds
    at_due = desk.sla(cid, at=max(due, t))["resolution"]
    if due >= t:
        assert abs(at_due.elapsed.total_seconds() - target) < 1e-3
        assert not at_due.breached
        before = desk.sla(cid, at=due - MIN)["resolution"]
        assert before.elapsed.total_seconds() < target
    later = desk.sla(cid, at=due + MIN)["resolution"]
    assert later.breached
    desk.fire(cid, "resolve", by="c", at=max(t, due) + 2 * MIN)
    assert desk.sla(cid, at=due + dt.timedelta(days=30))["resolution"].breached
