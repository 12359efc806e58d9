"""Two defects reported after the 2026-11-29 follow-ups, each through the public API.

1. A call entering a ``linear`` queue (a transfer, blind or consulted; an overflow, timeout,
   no_agents or closed action; a callback re-queued after an unreached attempt) starts at the
   top of that queue's order: its pointer used to keep the old queue's position number.
2. A stand-in handing its spot back to the giver (A to C, then C back to A) or on (C to D):
   when A's hand-over ends, C's hand-overs of that spot are ``cancelled`` (audited) with C's
   temporary membership, their takers changed back, A keeping its spot (A used to be opted
   out for good when the C-to-A hand-over ended).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.queues import AgentStatus, QueueEngine

from .conftest import T0, make, rings
from .conftest import at as _at
from .conftest import queues_of as _queues
from .conftest import restart as _restart

# ------------------------------------------------------------------ 1. entering a linear queue


def _two_linear(
    y: dict[str, Any] | None = None, q: dict[str, Any] | None = None
) -> tuple[QueueEngine, VirtualClock]:
    """Linear q (order A, B) and linear y (order A, D, C); A opted out of q, all logged in."""
    eng, clock = make(
        {"strategy": "linear", "members": ["A", "B"], "ring_timeout": 0, **(q or {})},
        agents="ABCD",
        more_queues={
            "y": {"strategy": "linear", "members": ["A", "D", "C"], "ring_timeout": 0, **(y or {})}
        },
    )
    for a in "ABCD":
        eng.login(a)
    eng.set_availability("A", "A", "q", active=False)
    eng.drain()
    return eng, clock


def _answered_by_b(eng: QueueEngine) -> str:
    call = eng.arrive("q")
    assert rings(eng) == ["B"]  # position 1 of q's order
    eng.answer(call, "B")
    eng.drain()
    return call


@pytest.mark.parametrize("mode", ["blind", "consulted"])
def test_a_call_transferred_into_a_linear_queue_starts_at_the_top(mode: str) -> None:
    """Answered by B (q's second) and transferred to y: y's first, A, rings (not C, the agent
    after y's position 1)."""
    eng, _ = _two_linear()
    call = _answered_by_b(eng)
    eng.transfer(call, to="y", mode=mode)
    assert rings(eng) == ["A"]
    eng.no_answer(call, "A")
    assert rings(eng) == ["D"]  # then down y's order


def test_a_call_coming_back_to_a_linear_queue_starts_at_its_top_again() -> None:
    """q -> y -> q: back in q the call rings q's first ready agent again, after having rung
    further down y's order."""
    eng, _ = _two_linear()
    call = _answered_by_b(eng)
    eng.set_availability("A", "A", "y", active=False)
    eng.set_availability("A", "A", "q", active=True)
    eng.transfer(call, to="y")
    assert rings(eng) == ["D"]
    eng.no_answer(call, "D")
    assert rings(eng) == ["C"]  # position 2 of y
    eng.answer(call, "C")
    eng.transfer(call, to="q")
    assert rings(eng) == ["A"]  # the old pointer, 2, would have wrapped to A too: see below
    eng.no_answer(call, "A")
    assert rings(eng) == ["B"]


def test_a_call_coming_back_does_not_continue_from_its_old_visit() -> None:
    """A call in q last rang B (position 1); it moves to y and straight back to q: it starts at
    q's top (A), not after B."""
    eng, _ = _two_linear(q={"members": ["A", "B", "C"]})
    eng.set_availability("A", "A", "q", active=True)
    call = eng.arrive("q")
    assert rings(eng) == ["A"]
    eng.no_answer(call, "A")
    assert rings(eng) == ["B"]
    eng.answer(call, "B")
    eng.transfer(call, to="y")
    assert rings(eng) == ["A"]
    eng.answer(call, "A")
    eng.transfer(call, to="q")
    assert rings(eng) == ["A"]  # was C, the agent after B's position


def test_a_timeout_into_a_linear_queue_starts_at_the_top() -> None:
    """The call waits in q (B rang, missed; nobody else), times out into y: y's first rings."""
    eng, clock = _two_linear(q={"max_wait": 30, "timeout": {"kind": "queue", "target": "y"}})
    call = eng.arrive("q")
    assert rings(eng) == ["B"]
    eng.no_answer(call, "B")
    assert rings(eng) == []  # B is excluded for a while, A opted out
    _at(eng, clock, 30)
    assert eng.call_info(call)["queue"] == "y"
    assert rings(eng) == ["A"]  # the old pointer (1) would ring C


@pytest.mark.parametrize("action", ["overflow", "no_agents", "closed"])
def test_an_entry_action_into_a_linear_queue_starts_at_the_top(action: str) -> None:
    """Transferred from q into z, which sends it on to y at once (z full, nobody reachable,
    closed): y's first rings."""
    z: dict[str, Any] = {"members": ["B"], "strategy": "linear"}
    target = {"kind": "queue", "target": "y"}
    if action == "overflow":
        z |= {"max_waiting": 0, "overflow": target}
    elif action == "no_agents":
        z |= {"members": [], "no_agents": target}
    else:
        z |= {"calendar": "shut", "closed": target}

    class _Shut:
        def is_open_ts(self, ts: float, scope: str | None = None) -> bool:
            return False

        def next_open(self, t: Any, scope: str | None = None) -> Any:
            return None

    eng, _ = make(
        {"strategy": "linear", "members": ["A", "B"], "ring_timeout": 0},
        agents="ABCD",
        more_queues={
            "y": {"strategy": "linear", "members": ["A", "D", "C"], "ring_timeout": 0},
            "z": z,
        },
        calendars={"shut": _Shut()},
    )
    for a in "ABCD":
        eng.login(a)
    eng.set_availability("A", "A", "q", active=False)
    eng.drain()
    call = _answered_by_b(eng)
    eng.transfer(call, to="z")
    assert eng.call_info(call)["queue"] == "y"
    assert rings(eng) == ["A"]


def test_a_callback_retry_starts_at_the_top_again() -> None:
    """An unreached callback dialled by B (q's second) waits again in q: when it is offered
    next, q's first (A, logged in meanwhile) rings, not C, the agent after B."""
    eng, clock = make(
        {
            "strategy": "linear",
            "members": ["A", "B", "C"],
            "ring_timeout": 0,
            "callback": {"calls_waiting": 0, "retry_delay": 60, "max_attempts": 3},
        },
        agents="ABC",
    )
    eng.login("B")
    first = eng.arrive("q")  # B busy with a first caller
    eng.answer(first, "B")
    call = eng.arrive("q")
    assert [c.kind for c in eng.drain()] == ["ring", "connect", "offer_callback"]
    eng.accept_callback(call, "+15559999")
    eng.end(first)
    assert rings(eng) == ["B"]
    eng.answer(call, "B")
    eng.callback_result(call, reached=False)
    eng.login("A")
    eng.login("C")
    eng.drain()
    _at(eng, clock, 60)
    assert rings(eng) == ["A"]  # the old pointer (1, B) would ring C


@given(
    hops=st.lists(st.tuples(st.sampled_from("qyz"), st.booleans()), min_size=1, max_size=8),
    orders=st.tuples(*[st.permutations("ABCD")] * 3),
    out=st.sets(st.tuples(st.sampled_from("ABCD"), st.sampled_from("qyz")), max_size=4),
    restart=st.integers(0, 8),
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_entry_into_a_linear_queue_rings_the_first_ready_agent_fuzzed(
    hops: list[tuple[str, bool]],
    orders: tuple[list[str], list[str], list[str]],
    out: set[tuple[str, str]],
    restart: int,
) -> None:
    """Three linear queues with random orders and random opt-outs; a call is transferred from
    queue to queue (possibly the same one, blind or consulted), after random misses on the
    way. Model: on every entry the call rings the first opted-in agent of the new queue's
    order. Restored once on the way."""
    queues = {
        qid: {
            "strategy": "linear",
            "members": list(order),
            "ring_timeout": 0,
            "reject_delay": 0,
            "no_answer_delay": 0,
        }
        for qid, order in zip("qyz", orders, strict=True)
    }
    eng, clock = make(queues.pop("q"), agents="ABCD", more_queues=queues)
    for a in "ABCD":
        eng.login(a)
    for a, qid in sorted(out):
        eng.set_availability(a, a, qid, active=False)
    eng.drain()
    ready = {
        qid: [a for a in order if (a, qid) not in out]
        for qid, order in zip("qyz", orders, strict=True)
    }
    if not ready["q"]:
        return

    def first(qid: str, after: str | None = None, also: str | None = None) -> list[str]:
        """The first opted-in agent of ``qid``'s order (after ``after``, wrapping) that is
        ready (or is ``also``, released by a blind transfer)."""
        order = list(orders["qyz".index(qid)])
        if after is not None:
            i = order.index(after) + 1
            order = [a for a in order[i:] + order[:i] if a != after]
        return [
            a
            for a in order
            if a in ready[qid] and (a == also or eng.status(a) is AgentStatus.READY)
        ][:1]

    expected = first("q")
    call = eng.arrive("q")
    assert rings(eng) == expected
    current = "q"
    for i, (target, miss) in enumerate(hops):
        if i == restart:
            eng = _restart(eng, clock)
        (agent,) = eng.call_info(call)["offered"]
        if miss and first(current, agent):  # one miss: the call goes down the order
            expected = first(current, agent)
            eng.no_answer(call, agent)
            (agent,) = rings(eng)
            assert [agent] == expected
        eng.answer(call, agent)
        eng.drain()
        expected = first(target, also=None if miss else agent)
        if not expected:
            eng.end(call)
            return
        eng.transfer(call, to=target, mode="consulted" if miss else "blind")
        assert rings(eng) == expected
        current = target


# ------------------------------------------------------------------ 2. handing a spot back


def _handed_back(to: str, c_until: float, back_until: float) -> tuple[QueueEngine, VirtualClock]:
    """A (member of q with B) hands its spot to C; C hands it to ``to`` (A back, or D); both
    accept."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    h1 = eng.hand_over("A", "q", "C", until=T0 + c_until)
    eng.respond_hand_over(h1, "C", accept=True)
    h2 = eng.hand_over("C", "q", to, until=T0 + back_until)
    eng.respond_hand_over(h2, to, accept=True)
    eng.drain()
    return eng, clock


@pytest.mark.parametrize("restore_at", [None, 30, 90])
def test_a_spot_handed_back_to_the_giver_ends_with_the_first_hand_over(
    restore_at: float | None,
) -> None:
    """A to C until 60, C back to A until 120: A is back from the hand-back, and keeps its spot
    when the first ends at 60 (C leaves, the hand-back is cancelled); nothing changes at 120
    (A used to be opted out then, for good)."""
    eng, clock = _handed_back("A", 60, 120)
    log: list[Any] = []
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {"q": False}, "D": {}}
    if restore_at == 30:
        _at(eng, clock, 30)
        eng = _restart(eng, clock, log)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert [h["state"] for h in eng.handovers()] == ["reverted", "cancelled"]
    if restore_at == 90:
        _at(eng, clock, 90)
        eng = _restart(eng, clock, log)
    assert eng.next_timer() is None
    _at(eng, clock, 120)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    audit = [(e.actor, e.action, e.target) for e in log + eng.audit]
    assert audit == [
        ("A", "hand_over", "q/C"),
        ("C", "accept_hand_over", "ho1"),
        ("C", "hand_over", "q/A"),
        ("A", "accept_hand_over", "ho2"),
        ("system", "cancel_hand_over", "ho2"),
        ("system", "revert_hand_over", "ho1"),
    ]
    with pytest.raises(Exception, match="cancelled"):
        eng.respond_hand_over("ho2", "A", accept=False)


def test_a_hand_back_that_ends_first_gives_the_spot_to_the_stand_in_again() -> None:
    """C back to A until 60, A to C until 120: at 60 C covers again, at 120 A is back."""
    eng, clock = _handed_back("A", 120, 60)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": False}, "B": {"q": True}, "C": {"q": True}, "D": {}}
    _at(eng, clock, 120)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert [h["state"] for h in eng.handovers()] == ["reverted", "reverted"]


@pytest.mark.parametrize("restore_at", [None, 30])
def test_a_spot_passed_on_ends_for_its_taker_with_the_first_hand_over(
    restore_at: float | None,
) -> None:
    """A to C until 60, C on to D until 120: at 60 A is back, C and D (stand-ins) leave."""
    eng, clock = _handed_back("D", 60, 120)
    assert _queues(eng) == {
        "A": {"q": False},
        "B": {"q": True},
        "C": {"q": False},
        "D": {"q": True},
    }
    if restore_at == 30:
        _at(eng, clock, 30)
        eng = _restart(eng, clock)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert eng.snapshot()["queues"]["q"]["order"] == ["A", "B"]
    assert [h["state"] for h in eng.handovers()] == ["reverted", "cancelled"]
    assert eng.next_timer() is None


def test_a_member_taker_of_a_passed_on_spot_is_opted_out_again() -> None:
    """D, a paused member, takes the spot from C: at the end of A's hand-over D is opted out
    again, as at the end of a hand-over to a member."""
    eng, clock = make({"members": ["A", "B", {"agent": "D", "paused": True}]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    h1 = eng.hand_over("A", "q", "C", until=T0 + 60)
    eng.respond_hand_over(h1, "C", accept=True)
    h2 = eng.hand_over("C", "q", "D", until=T0 + 120)
    eng.respond_hand_over(h2, "D", accept=True)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {"q": False}}


def test_a_stand_in_still_covering_for_another_giver_keeps_passing_the_spot() -> None:
    """A and B both hand their spot to C; C passes one on to D. A's end leaves C (B's still
    runs) and so D covering; B's end ends both."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    for giver, until in (("A", 60), ("B", 120)):
        eng.respond_hand_over(eng.hand_over(giver, "q", "C", until=T0 + until), "C", accept=True)
    eng.respond_hand_over(eng.hand_over("C", "q", "D", until=T0 + 180), "D", accept=True)
    _at(eng, clock, 60)
    assert _queues(eng) == {
        "A": {"q": True},
        "B": {"q": False},
        "C": {"q": False},
        "D": {"q": True},
    }
    _at(eng, clock, 120)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert [h["state"] for h in eng.handovers()] == ["reverted", "reverted", "cancelled"]


def test_stand_ins_handing_a_spot_to_each_other_leave_with_its_source() -> None:
    """A to C until 60; C to D and D back to C until later: at 60 both stand-ins leave (they
    only held the spot through each other)."""
    eng, clock = _handed_back("D", 60, 120)
    eng.respond_hand_over(eng.hand_over("D", "q", "C", until=T0 + 90), "C", accept=True)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert [h["state"] for h in eng.handovers()] == ["reverted", "cancelled", "cancelled"]
    assert eng.next_timer() is None


def _old_snapshot(eng: QueueEngine, to: str, *, version: int) -> dict[str, Any]:
    """The snapshot the code before this fix wrote at 90 for A to C until 60, C to ``to``
    until 120 (checked against that code): C's hand-over still accepted with its timer, a
    stand-in taker still a member."""
    data = json.loads(json.dumps(eng.snapshot()))
    h2 = data["handovers"]["ho2"]
    assert h2["state"] == "cancelled"
    h2["state"] = "accepted"
    data["timers"] = [[T0 + 120, 2, "handover", "ho2", "", 0]]
    if to == "D":
        q = data["queues"]["q"]
        q["members"]["D"] = {"level": 1, "roles": ["member"], "active": True, "temporary": True}
        q["order"].append("D")
    if version == 1:
        data = {k: v for k, v in data.items() if k != "base"} | {"version": 1}
    return data


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("to", ["A", "D"])
def test_an_older_snapshot_with_a_stand_in_s_hand_over_left_running_restores(
    to: str, version: int
) -> None:
    """Restored, the hand-over left running is cancelled (audited) and its taker changed back
    at once: A keeps its spot, D leaves; nothing happens at 120."""
    eng, clock = _handed_back(to, 60, 120)
    _at(eng, clock, 90)
    old = _old_snapshot(eng, to, version=version)
    again = QueueEngine.restore(eng.config, old, clock=clock)
    assert _queues(again) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert [h["state"] for h in again.handovers()] == ["reverted", "cancelled"]
    assert [(e.actor, e.action, e.target) for e in again.audit] == [
        ("system", "cancel_hand_over", "ho2")
    ]
    assert again.next_timer() is None
    _at(again, clock, 120)
    assert _queues(again) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    data = json.loads(json.dumps(again.snapshot()))
    assert QueueEngine.restore(eng.config, data, clock=clock).snapshot() == data


@given(
    steps=st.lists(
        st.one_of(
            st.tuples(
                st.just("hand"),
                st.sampled_from("ACDE"),
                st.sampled_from("ACDE"),
                st.integers(1, 6).map(lambda k: k * 10),
                st.booleans(),
            ),
            st.tuples(st.just("wait"), st.integers(1, 30)),
            st.just(("restart",)),
        ),
        min_size=1,
        max_size=14,
    )
)
@example(steps=[("hand", "A", "C", 10, True), ("hand", "C", "A", 60, True), ("wait", 20)])
@example(steps=[("hand", "A", "C", 10, True), ("hand", "C", "D", 60, True), ("wait", 20)])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_spots_passed_around_and_back_fuzzed(steps: list[tuple[Any, ...]]) -> None:
    """A (a member, with B) hands its spot on; whoever holds a spot (A, or a stand-in C, D, E)
    hands it on to anyone else, back to A included, accepted or declined, for random spans.
    At every step: each accepted hand-over's giver and taker are members of q; each stand-in
    is a member only while an accepted hand-over to it runs; B stays opted in; A is opted in
    whenever it neither gives nor takes a spot. When all have ended, q is as configured."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCDE")
    for a in "ABCDE":
        eng.login(a)
    for step in steps:
        if step[0] == "hand":
            _, giver, taker, span, accept = step
            if giver == taker or giver not in eng.snapshot()["queues"]["q"]["members"]:
                continue
            hid = eng.hand_over(giver, "q", taker, until=clock.timestamp() + span)
            eng.respond_hand_over(hid, taker, accept=accept)
        elif step[0] == "wait":
            clock.advance(step[1])
            eng.advance()
        else:
            eng = _restart(eng, clock)
        members = eng.snapshot()["queues"]["q"]["members"]
        running = [h for h in eng.handovers() if h["state"] == "accepted"]
        for h in running:
            assert h["agent"] in members and h["to"] in members
        for s in "CDE":
            assert (s in members) == any(h["to"] == s for h in running)
        assert members["B"]["active"]
        if not any(h["agent"] == "A" or h["to"] == "A" for h in running):
            assert members["A"]["active"]
    clock.advance(600)
    eng.advance()
    assert _queues(eng, "ABCDE") == {
        "A": {"q": True},
        "B": {"q": True},
        "C": {},
        "D": {},
        "E": {},
    }
    assert {h["state"] for h in eng.handovers()} <= {"reverted", "declined", "cancelled"}
    assert eng.next_timer() is None
