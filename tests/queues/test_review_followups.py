"""Follow-ups of the 2026-11-29 review fixes (test_review_fixes.py), each through the public API.

1. One giver, several hand-overs of the same spot (A to C, then A to D, or to C again): the
   giver gets the spot back when the **last** of its accepted hand-overs ends.
2. A temporary member leaving a round-robin queue's order (its hand-over ended) no longer
   makes the next call skip the agent after it: the pointer stays with the agent last offered,
   or, if that agent left, with the last one kept before it (as restore does).
3. ``linear``: a call's own pointer follows ``set_order`` and removals the same way, so after
   a miss the call goes to the agent after the one it last rang.
4. ``skill_relax`` must be strictly increasing, as ``level_waits``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.queues import QueueEngine, QueuesConfig

from .conftest import LEADER, T0, make, rings
from .conftest import at as _at
from .conftest import config_error as _error
from .conftest import queues_of as _queues
from .conftest import restart as _restart

# ------------------------------------------------------------------ 1. one giver, two takers


def _one_giver(c_until: float, d_until: float) -> tuple[QueueEngine, VirtualClock, str, str]:
    """A (member of q with B) hands its spot to C, then, while C covers, to D; both accept."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    hc = eng.hand_over("A", "q", "C", until=T0 + c_until)
    eng.respond_hand_over(hc, "C", accept=True)
    hd = eng.hand_over("A", "q", "D", until=T0 + d_until)
    eng.respond_hand_over(hd, "D", accept=True)
    eng.drain()
    return eng, clock, hc, hd


@pytest.mark.parametrize(("restore_at", "version"), [(None, 2), (30, 2), (90, 2), (90, 1)])
@pytest.mark.parametrize("first", ["C", "D"])
def test_the_giver_is_back_only_when_the_last_of_its_hand_overs_ends(
    first: str, restore_at: float | None, version: int
) -> None:
    """Either hand-over may end first; A stays opted out until both have, each taker covers
    until its own ends. A snapshot in between (also one without ``base``) changes nothing."""
    eng, clock, hc, hd = _one_giver(60 if first == "C" else 120, 120 if first == "C" else 60)
    second = "D" if first == "C" else "C"
    log: list[Any] = []
    assert _queues(eng) == {"A": {"q": False}, "B": {"q": True}, "C": {"q": True}, "D": {"q": True}}
    if restore_at == 30:
        _at(eng, clock, 30)
        eng = _restart(eng, clock, log, version=version)
    _at(eng, clock, 60)
    # the first hand-over's end takes its taker out and leaves A out: the second still runs
    assert _queues(eng) == {"A": {"q": False}, "B": {"q": True}, first: {}, second: {"q": True}}
    if restore_at == 90:
        _at(eng, clock, 90)
        eng = _restart(eng, clock, log, version=version)
    eng.pause("B")
    eng.drain()
    call = eng.arrive("q")
    assert rings(eng) == [second]  # not A
    eng.abandon(call)
    eng.resume("B")
    eng.drain()
    _at(eng, clock, 120)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    assert {h["id"]: h["state"] for h in eng.handovers()} == {hc: "reverted", hd: "reverted"}
    assert [e.action for e in log + eng.audit if e.action not in ("pause", "resume")] == [
        "hand_over",
        "accept_hand_over",
        "hand_over",
        "accept_hand_over",
        "revert_hand_over",
        "revert_hand_over",
    ]
    assert eng.next_timer() is None


def test_handing_the_same_spot_to_the_same_colleague_again_extends_the_cover() -> None:
    eng, clock = make({"members": ["A", "B"]}, agents="ABC")
    for a in "ABC":
        eng.login(a)
    for until in (60, 120):
        h = eng.hand_over("A", "q", "C", until=T0 + until)
        eng.respond_hand_over(h, "C", accept=True)
    _at(eng, clock, 60)
    assert _queues(eng, "ABC") == {"A": {"q": False}, "B": {"q": True}, "C": {"q": True}}
    _at(eng, clock, 120)
    assert _queues(eng, "ABC") == {"A": {"q": True}, "B": {"q": True}, "C": {}}


def test_only_accepted_hand_overs_keep_the_giver_out() -> None:
    """A second hand-over still pending when the first ends does not keep A out; accepted
    later, it opts A out again until it ends."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    hc = eng.hand_over("A", "q", "C", until=T0 + 60)
    eng.respond_hand_over(hc, "C", accept=True)
    hd = eng.hand_over("A", "q", "D", until=T0 + 120)
    _at(eng, clock, 60)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}
    _at(eng, clock, 70)
    eng.respond_hand_over(hd, "D", accept=True)
    assert _queues(eng) == {"A": {"q": False}, "B": {"q": True}, "C": {}, "D": {"q": True}}
    _at(eng, clock, 120)
    assert _queues(eng) == {"A": {"q": True}, "B": {"q": True}, "C": {}, "D": {}}


@given(
    spans=st.lists(
        st.tuples(
            st.sampled_from("AB"),
            st.sampled_from("CD"),
            st.one_of(st.none(), st.integers(1, 5).map(lambda k: k * 20)),
        ),
        min_size=1,
        max_size=4,
    ),
    restore_at=st.one_of(st.none(), st.integers(0, 110)),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_givers_and_takers_fuzzed(
    spans: list[tuple[str, str, int | None]], restore_at: int | None
) -> None:
    """Givers A and B (members) hand their spot to C or D (not members) for random spans
    (None: declined), the same giver or taker possibly several times. At every step a giver
    is opted out exactly while one of its accepted hand-overs runs, and a taker is a member,
    opted in, exactly while one addressed to it runs. Restored once on the way."""
    eng, clock = make({"members": ["A", "B"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    running: list[tuple[str, str, int]] = []
    log: list[Any] = []
    for giver, taker, span in spans:
        hid = eng.hand_over(giver, "q", taker, until=T0 + (span or 1))
        eng.respond_hand_over(hid, taker, accept=span is not None)
        if span is not None:
            running.append((giver, taker, span))
    for t in range(0, 121, 5):
        _at(eng, clock, t)
        if restore_at is not None and restore_at <= t < restore_at + 5:
            eng = _restart(eng, clock, log)
        live = [(g, k) for g, k, end in running if t < end]
        for g in "AB":
            assert eng.agent_info(g)["queues"] == {"q": all(g != x for x, _ in live)}
        for k in "CD":
            assert eng.agent_info(k)["queues"] == (
                {"q": True} if any(k == y for _, y in live) else {}
            )
    reverts = [e for e in log + eng.audit if e.action == "revert_hand_over"]
    assert len(reverts) == len(running)


# ------------------------------------------------------------------ 2. round robin, a member leaves


def _answered(eng: QueueEngine) -> str:
    """Who is offered a new call; it is answered and ended at once (no time passes)."""
    c = eng.arrive("q")
    (agent,) = rings(eng)
    eng.answer(c, agent)
    eng.end(c)
    eng.drain()
    return agent


def _c_covers_a(queue: dict[str, Any], agents: str, added: str) -> tuple[QueueEngine, VirtualClock]:
    """Everyone but the leader L logged in; A hands its spot to C until +100 (accepted); L
    adds the agents ``added``, opted in, at the end of the order."""
    eng, clock = make(queue, agents=agents)
    for a in agents.replace("L", ""):
        eng.login(a)
    h = eng.hand_over("A", "q", "C", until=T0 + 100)
    eng.respond_hand_over(h, "C", accept=True)
    for a in added:
        eng.add_member("L", "q", a, paused=False)
    eng.drain()
    return eng, clock


def test_round_robin_does_not_skip_the_agent_after_a_leaving_stand_in() -> None:
    """Order L, A, B, C (C covers for A), D; C is offered the last call, then its hand-over
    ends and D moves up into C's place: the next call goes to D, who followed C."""
    eng, clock = _c_covers_a(
        {"strategy": "round_robin", "members": [LEADER, "A", "B"]}, "LABCD", "D"
    )
    assert [_answered(eng) for _ in range(2)] == ["B", "C"]
    _at(eng, clock, 100)
    assert eng.snapshot()["queues"]["q"]["order"] == ["L", "A", "B", "D"]
    assert [_answered(eng) for _ in range(4)] == ["D", "A", "B", "D"]


def test_round_robin_pointer_after_an_earlier_member_leaves() -> None:
    """The stand-in leaving sits before the agent last offered: the pointer moves up with that
    agent (B), so the next call goes to the one after B, not the one after that."""
    eng, clock = _c_covers_a({"strategy": "round_robin", "members": [LEADER, "A"]}, "LABCD", "BD")
    # order L, A, C, B, D; A opted out
    assert [_answered(eng) for _ in range(2)] == ["C", "B"]
    _at(eng, clock, 100)
    assert eng.snapshot()["queues"]["q"]["order"] == ["L", "A", "B", "D"]
    assert [_answered(eng) for _ in range(3)] == ["D", "A", "B"]


def test_an_older_snapshot_with_the_pointer_past_the_end_still_restores() -> None:
    """Written before this fix, a snapshot could hold a pointer past the end of the order (the
    agent last offered had left it): it restores as it is, the next call starts at the top,
    and ``set_order`` keeps such a position (of the new order's top too)."""
    eng, clock = make({"strategy": "round_robin", "members": [LEADER, "A", "B"]}, agents="LAB")
    for a in "AB":
        eng.login(a)
    eng.drain()
    data = json.loads(json.dumps(eng.snapshot()))
    data["queues"]["q"]["rr_last"] = 3  # order L, A, B
    for version in (1, 2):
        old = data if version == 2 else {k: v for k, v in data.items() if k != "base"}
        again = QueueEngine.restore(eng.config, old | {"version": version}, clock=clock)
        assert again.snapshot()["queues"]["q"]["rr_last"] == 3
        assert [_answered(again) for _ in range(3)] == ["A", "B", "A"]
    again = QueueEngine.restore(eng.config, data, clock=clock)
    again.set_order("L", "q", ["B", "L", "A"])
    assert [_answered(again) for _ in range(3)] == ["B", "A", "B"]


def _kept_before(old: list[str], new: list[str], agent: str | None) -> str | None:
    """The model's pointer after the order went from ``old`` to ``new`` (members left): the
    same agent, or, if it left, the last one kept before it in ``old`` (None: the top)."""
    if agent is None:
        return None
    for a in reversed(old[: old.index(agent) + 1]):
        if a in new:
            return a
    return None


def _next_in(order: list[str], last: str | None, ready: set[str]) -> str:
    start = order.index(last) + 1 if last is not None else 0
    return next(a for a in order[start:] + order[:start] if a in ready)


#: steps of the pointer fuzzers: a call offered (``next``) weighs twice, so that the pointer
#: moves between the hand-overs that add stand-ins at the end of the order and their ends
_STEP = st.one_of(
    st.just(("next",)),
    st.just(("next",)),
    st.just(("order",)),
    st.just(("restart",)),
    st.tuples(st.just("wait"), st.integers(5, 30)),
    st.tuples(st.just("hand"), st.sampled_from("ABD"), st.sampled_from("CE"), st.integers(5, 40)),
)


def _world(strategy: str, data: st.DataObject) -> tuple[QueueEngine, VirtualClock]:
    """L (leader, logged off), A, B, D members of q; C and E stand in for A and D from the
    start, for random spans (order L, A, B, D, C, E); no ring timeout and no exclusion after
    a miss, so a linear call's next offer is decided by its pointer alone."""
    queue = {
        "strategy": strategy,
        "members": [LEADER, "A", "B", "D"],
        "ring_timeout": 0,
        "reject_delay": 0,
    }
    eng, clock = make(queue, agents="LABCDE")
    for a in "ABCDE":
        eng.login(a)
    for giver, taker in ("AC", "DE"):
        h = eng.hand_over(giver, "q", taker, until=T0 + data.draw(st.integers(5, 60)))
        eng.respond_hand_over(h, taker, accept=True)
    eng.drain()
    return eng, clock


def _step(
    eng: QueueEngine, clock: VirtualClock, step: tuple[Any, ...], data: st.DataObject
) -> tuple[QueueEngine, list[str], list[str]]:
    """Apply a step other than ``next``; returns the engine and the order before and after."""
    before = eng.snapshot()["queues"]["q"]["order"]
    if step[0] == "order":
        eng.set_order("L", "q", data.draw(st.permutations(before)))
    elif step[0] == "restart":
        eng = _restart(eng, clock)
    elif step[0] == "wait":
        clock.advance(step[1])
        eng.advance()
    else:
        _, giver, taker, span = step
        h = eng.hand_over(giver, "q", taker, until=clock.timestamp() + span)
        eng.respond_hand_over(h, taker, accept=True)
    eng.drain()
    return eng, before, eng.snapshot()["queues"]["q"]["order"]


def _ready(eng: QueueEngine) -> set[str]:
    return {a for a in "ABCDE" if eng.agent_info(a)["queues"].get("q")}


@given(steps=st.lists(_STEP, min_size=1, max_size=20), data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_robin_with_reorders_and_leaving_stand_ins_fuzzed(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """Model: the next call goes to the first opted-in agent after the last one offered in
    the current order; when that agent leaves the order, after the last one kept before it."""
    eng, clock = _world("round_robin", data)
    last: str | None = None
    for step in steps:
        if step[0] == "next":
            expected = _next_in(eng.snapshot()["queues"]["q"]["order"], last, _ready(eng))
            last = _answered(eng)
            assert last == expected
        else:
            eng, before, after = _step(eng, clock, step, data)
            last = _kept_before(before, after, last)


# ------------------------------------------------------------------ 3. linear, the call's pointer


def test_linear_after_set_order_the_call_continues_after_the_agent_it_last_rang() -> None:
    eng, _ = make(
        {"strategy": "linear", "members": [LEADER, *"ABCD"], "ring_timeout": 0}, agents="LABCD"
    )
    for a in "ABCD":
        eng.login(a)
    c = eng.arrive("q")
    assert rings(eng) == ["A"]
    eng.no_answer(c, "A")
    assert rings(eng) == ["B"]
    eng.set_order("L", "q", ["B", "D", "L", "C", "A"])
    eng.no_answer(c, "B")
    # after B in the new order: D (the old position, 1, would have gone on from D to C)
    assert rings(eng) == ["D"]
    eng.no_answer(c, "D")
    assert rings(eng) == ["C"]  # L is logged off, A excluded after its miss
    # a new caller starts at the top of the new order
    c2 = eng.arrive("q")
    assert rings(eng) == ["B"]
    assert eng.call_info(c2)["offered"] == ["B"]


def test_linear_after_the_agent_it_rang_leaves_the_call_goes_to_the_one_that_followed() -> None:
    """The call rings C (standing in for A) when C's hand-over ends; C misses: the call goes
    to D, who followed C, not to the agent after D."""
    eng, clock = _c_covers_a(
        {"strategy": "linear", "members": [LEADER, "A", "B"], "ring_timeout": 0}, "LABCDE", "DE"
    )
    # order L, A, B, C, D, E; A opted out
    c = eng.arrive("q")
    assert rings(eng) == ["B"]
    eng.no_answer(c, "B")
    assert rings(eng) == ["C"]
    _at(eng, clock, 100)  # C leaves the order, its offer goes on
    assert eng.snapshot()["queues"]["q"]["order"] == ["L", "A", "B", "D", "E"]
    assert rings(eng) == []
    eng.no_answer(c, "C")
    assert rings(eng) == ["D"]


@given(steps=st.lists(_STEP, min_size=1, max_size=20), data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_linear_with_reorders_and_leaving_stand_ins_fuzzed(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """One call rings one agent at a time; ``next`` is a miss. Model: after a miss the call
    goes to the first opted-in agent after the one it rang in the current order; when that
    agent left the order, after the last one kept before it."""
    eng, clock = _world("linear", data)
    call = eng.arrive("q")
    (last,) = rings(eng)
    assert last == "B"
    for step in steps:
        if step[0] == "next":
            expected = _next_in(eng.snapshot()["queues"]["q"]["order"], last, _ready(eng))
            eng.no_answer(call, eng.call_info(call)["offered"][0])
            (rung,) = rings(eng)
            assert rung == expected
            last = rung
        else:
            eng, before, after = _step(eng, clock, step, data)
            last = _kept_before(before, after, last)


# ------------------------------------------------------------------ 4. skill_relax


def _skills_doc(**queue: Any) -> dict[str, Any]:
    return {
        "agents": {a: {"skills": {"tax": 3}} for a in "AB"},
        "queues": {"q": {"strategy": "skills", "members": ["A", "B"], **queue}},
    }


@pytest.mark.parametrize(
    ("waits", "index"), [([60, 60], 1), ([60, 30], 1), ([10, 40, 40], 2), ([0, 0], 1)]
)
def test_skill_relax_that_does_not_increase_is_refused(waits: list[float], index: int) -> None:
    err = _error(_skills_doc(skill_relax=waits))
    assert err.path == f"queues.q.skill_relax[{index}]"
    assert err.node == "q" and err.value == waits[index]
    assert str(err).startswith(
        f"hotlines.yaml: queues.q.skill_relax[{index}]: skill_relax must be strictly "
        f"increasing: relaxation step {index + 1} would come after {waits[index]:g} s, not "
        f"after relaxation step {index} ({waits[index - 1]:g} s)"
    )


def test_skill_relax_in_a_hotlines_file_is_located_under_queues_config() -> None:
    err = _error({"queues_config": _skills_doc(skill_relax=[60, 60])})
    assert err.path == "queues_config.queues.q.skill_relax[1]"


@pytest.mark.parametrize("waits", [[], [0], [0, 0.5], [60, 180], [30, 60, 90.5]])
def test_increasing_skill_relax_passes(waits: list[float]) -> None:
    spec = QueuesConfig.from_dict(_skills_doc(skill_relax=waits)).queues["q"]
    assert spec.skill_relax == tuple(float(w) for w in waits)


def test_skill_relax_element_errors_are_unchanged() -> None:
    err = _error(_skills_doc(skill_relax=[30, -1]))
    assert err.path == "queues.q.skill_relax[1]"
    assert "skill_relax must be a non-negative number" in str(err)
    assert _error(_skills_doc(skill_relax=[30, None])).path == "queues.q.skill_relax[1]"


def test_level_waits_message_is_unchanged() -> None:
    err = _error(_skills_doc(level_waits=[30, 30]))
    assert str(err) == (
        "hotlines.yaml: queues.q.level_waits[1]: level_waits must be strictly increasing: "
        "level 3 would open after 30 s, not after level 2 (30 s)"
    )


@given(
    relax=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=5),
    levels=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=3),
)
@settings(max_examples=200, deadline=None)
def test_skill_relax_passes_exactly_when_strictly_increasing(
    relax: list[float], levels: list[float]
) -> None:
    """With ``level_waits`` beside it: the first offending entry, level_waits first (the
    order the fields are read)."""
    bad_levels = [i for i in range(1, len(levels)) if levels[i] <= levels[i - 1]]
    bad_relax = [i for i in range(1, len(relax)) if relax[i] <= relax[i - 1]]
    doc = _skills_doc(skill_relax=relax, level_waits=levels)
    if bad_levels:
        assert _error(doc).path == f"queues.q.level_waits[{bad_levels[0]}]"
    elif bad_relax:
        err = _error(doc)
        assert err.path == f"queues.q.skill_relax[{bad_relax[0]}]" and err.node == "q"
    else:
        spec = QueuesConfig.from_dict(doc).queues["q"]
        assert spec.skill_relax == tuple(relax) and spec.level_waits == tuple(levels)
