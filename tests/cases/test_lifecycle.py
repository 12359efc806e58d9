"""Every transition of the case state machine, legal and illegal, through the public API."""

from __future__ import annotations

import itertools

import pytest
from cases_helpers import van, van_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cases import (
    TRANSITIONS,
    CaseDesk,
    CaseState,
    Catalogue,
    MemoryStore,
    next_state,
)
from civiccc.clock import VirtualClock
from civiccc.errors import InvalidTransition

S = CaseState
#: a way to reach each state from NEW
PATHS: dict[CaseState, list[str]] = {
    S.NEW: [],
    S.TRIAGED: ["triage"],
    S.ASSIGNED: ["assign"],
    S.IN_PROGRESS: ["assign", "start"],
    S.WAITING_ON_CITIZEN: ["assign", "start", "wait_citizen"],
    S.WAITING_ON_THIRD_PARTY: ["assign", "start", "wait_third_party"],
    S.RESOLVED: ["triage", "resolve"],
    S.CLOSED: ["triage", "resolve", "close"],
    S.REOPENED: ["triage", "resolve", "reopen"],
    S.CANCELLED: ["cancel"],
    S.DUPLICATE: ["merge"],
}
EVENTS = sorted({e for _, e in TRANSITIONS})


def _desk(catalogue: Catalogue) -> CaseDesk:
    return CaseDesk(
        catalogue,
        clock=VirtualClock(van(2025, 6, 16, 9)),
        calendars={"van": van_calendar()},
        store=MemoryStore(),
    )


def _reach(desk: CaseDesk, state: CaseState) -> str:
    case = desk.create("pothole", by="clerk")
    master = desk.create("pothole", by="clerk")
    for event in PATHS[state]:
        if event == "merge":
            desk.merge(case.id, master.id, by="clerk")
        else:
            desk.fire(case.id, event, by="clerk")
    assert desk.get(case.id).state is state
    return case.id


def test_every_state_reachable() -> None:
    """The table reaches every state, and the paths above follow the table."""
    for state, path in PATHS.items():
        s = S.NEW
        for e in path:
            s = next_state(s, e)
        assert s is state
    assert set(TRANSITIONS.values()) | {S.NEW} == set(CaseState)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(CaseState, EVENTS)))
def test_transition(catalogue: Catalogue, state: CaseState, event: str) -> None:
    """Each (state, event): legal ones move and audit; illegal ones raise and change nothing."""
    desk = _desk(catalogue)
    cid = _reach(desk, state)
    before = desk.get(cid)
    n_audit, version = len(before.audit), before.version
    target = TRANSITIONS.get((state, event))
    if event == "merge":
        other = desk.create("pothole", by="clerk")
        call = lambda: desk.merge(cid, other.id, by="ann", note="same hole")  # noqa: E731
    else:
        call = lambda: desk.fire(cid, event, by="ann", note="n")  # noqa: E731
    if target is None:
        with pytest.raises(InvalidTransition) as err:
            call()
        assert (err.value.machine, err.value.state, err.value.event, err.value.entity) == (
            "case",
            state.value,
            event,
            cid,
        )
        after = desk.get(cid)
        assert after.state is state and len(after.audit) == n_audit and after.version == version
        assert desk.store.get(cid).state is state
    else:
        call()
        after = desk.get(cid)
        assert after.state is target
        entry = after.audit[-1]
        assert (entry.by, entry.action, entry.from_state, entry.to_state) == (
            "ann",
            event,
            state.value,
            target.value,
        )
        assert after.audit[:n_audit] == before.audit[:n_audit]  # append-only


def test_merge_into_self_or_closed_master(catalogue: Catalogue) -> None:
    """A case cannot be merged into itself or into a closed case."""
    desk = _desk(catalogue)
    a = _reach(desk, S.NEW)
    closed = _reach(desk, S.CLOSED)
    with pytest.raises(InvalidTransition):
        desk.merge(a, a, by="x")
    with pytest.raises(InvalidTransition):
        desk.merge(a, closed, by="x")
    with pytest.raises(InvalidTransition):
        desk.fire(a, "merge", by="x")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(EVENTS), max_size=12))
def test_random_event_sequences(events: list[str]) -> None:
    """Random events: the desk follows the table exactly; the audit only grows."""
    from cases_helpers import CATALOGUE

    desk = _desk(Catalogue.from_dict(CATALOGUE))
    cid = desk.create("pothole", by="c").id
    model = S.NEW
    for e in events:
        if e == "merge":
            continue
        n = len(desk.get(cid).audit)
        expected = TRANSITIONS.get((model, e))
        if expected is None:
            with pytest.raises(InvalidTransition):
                desk.fire(cid, e, by="c")
            assert len(desk.get(cid).audit) == n
        else:
            desk.fire(cid, e, by="c")
            model = expected
            assert len(desk.get(cid).audit) == n + 1
        assert desk.get(cid).state is model
