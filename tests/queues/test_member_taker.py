"""A hand-over to a colleague who is already a member of the queue: when the last hand-over it
covers ends, the taker gets back the opt-in it had before it began covering (it used to be
opted out, even if it had been serving the queue all along)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.queues import QueueEngine

from .conftest import T0, at, hand_overs_to, make, queues_of, restart


def _engine(c_paused: bool) -> tuple[QueueEngine, Any]:
    members: list[Any] = ["A", "B", {"agent": "C", "paused": c_paused}, "D"]
    eng, clock = make({"members": members})
    for a in "ABCD":
        eng.login(a)
    return eng, clock


def _accepted(eng: QueueEngine, giver: str, taker: str, until: float) -> str:
    hid = eng.hand_over(giver, "q", taker, until=T0 + until)
    eng.respond_hand_over(hid, taker, accept=True)
    return hid


@pytest.mark.parametrize("restore_at", [None, 30])
@pytest.mark.parametrize("c_paused", [False, True])
def test_a_member_taker_gets_its_own_opt_in_back(c_paused: bool, restore_at: int | None) -> None:
    """C opted in before: still in after A's hand-over to C ends; opted out before: out."""
    eng, clock = _engine(c_paused)
    hid = _accepted(eng, "A", "C", 60)
    assert queues_of(eng, "AC") == {"A": {"q": False}, "C": {"q": True}}
    assert eng.handovers()[0]["taker_opted_in"] is (not c_paused)
    if restore_at is not None:
        at(eng, clock, restore_at)
        eng = restart(eng, clock)
    at(eng, clock, 60)
    assert queues_of(eng, "AC") == {"A": {"q": True}, "C": {"q": not c_paused}}
    assert [h["state"] for h in eng.handovers() if h["id"] == hid] == ["reverted"]


@pytest.mark.parametrize("c_paused", [False, True])
def test_overlapping_hand_overs_to_a_member_restore_its_first_opt_in(c_paused: bool) -> None:
    """A and B hand their spots to C; B's is accepted while A's already opted C in: after both
    end, C has the opt-in from before A's (not the 'in' that A's gave it)."""
    eng, clock = _engine(c_paused)
    _accepted(eng, "A", "C", 60)
    _accepted(eng, "B", "C", 120)
    assert [h["taker_opted_in"] for h in eng.handovers()] == [not c_paused] * 2
    at(eng, clock, 60)
    assert queues_of(eng, "ABC") == {"A": {"q": True}, "B": {"q": False}, "C": {"q": True}}
    at(eng, clock, 120)
    assert queues_of(eng, "ABC") == {"A": {"q": True}, "B": {"q": True}, "C": {"q": not c_paused}}


@pytest.mark.parametrize("c_first", [True, False])
def test_a_member_taker_lending_its_own_spot_stays_out_until_that_ends(c_first: bool) -> None:
    """C (opted in) covers A's spot and meanwhile lends its own to D (or lent it before it
    took A's). Whichever ends first, C is out while it lends its spot and in once both
    have ended."""
    eng, clock = _engine(False)
    if c_first:
        _accepted(eng, "C", "D", 90)
        _accepted(eng, "A", "C", 60)
    else:
        _accepted(eng, "A", "C", 60)
        _accepted(eng, "C", "D", 90)
    assert queues_of(eng, "ACD")["A"] == {"q": False}
    at(eng, clock, 60)  # A's hand-over ends; C still lends its spot to D
    assert queues_of(eng, "ACD") == {"A": {"q": True}, "C": {"q": False}, "D": {"q": True}}
    at(eng, clock, 90)  # D, a member opted in all along, stays in too
    assert queues_of(eng, "ACD") == {"A": {"q": True}, "C": {"q": True}, "D": {"q": True}}


def test_the_lent_spot_returning_first_keeps_the_taker_in() -> None:
    """C lends its spot to D until 30 and covers A's until 60: back in at 30, still in at 60."""
    eng, clock = _engine(False)
    _accepted(eng, "C", "D", 30)
    _accepted(eng, "A", "C", 60)
    at(eng, clock, 30)
    assert queues_of(eng, "ACD") == {"A": {"q": False}, "C": {"q": True}, "D": {"q": True}}
    at(eng, clock, 60)
    assert queues_of(eng, "ACD") == {"A": {"q": True}, "C": {"q": True}, "D": {"q": True}}


def test_a_snapshot_from_before_the_field_opts_the_member_taker_out_as_it_did() -> None:
    """A hand-over restored from a snapshot written without ``taker_opted_in``: its member
    taker is opted out at the end, as the engine that wrote it would have done."""
    eng, clock = _engine(False)
    _accepted(eng, "A", "C", 60)
    data = json.loads(json.dumps(eng.snapshot()))
    for h in data["handovers"].values():
        del h["taker_opted_in"]
    eng = QueueEngine.restore(eng.config, data, clock=clock)
    at(eng, clock, 60)
    assert queues_of(eng, "AC") == {"A": {"q": True}, "C": {"q": False}}


@given(
    c_paused=st.booleans(),
    spans=st.lists(st.sampled_from([None, 20, 40, 60, 80]), min_size=3, max_size=3),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_member_taker_fuzzed(c_paused: bool, spans: list[int | None]) -> None:
    """A, B and D hand their spots to member C for random spans (None: declined), accepted in
    that order: C is opted in while any runs and has its own opt-in back after the last;
    each giver is out exactly while its own hand-over runs."""
    eng, clock = _engine(c_paused)
    running = hand_overs_to(eng, "C", spans)
    for t in range(0, 101, 10):
        at(eng, clock, t)
        live = {g for g, end in running.items() if t < end}
        assert eng.agent_info("C")["queues"] == {"q": bool(live) or not c_paused}
        for g in "ABD":
            assert eng.agent_info(g)["queues"] == {"q": g not in live}
