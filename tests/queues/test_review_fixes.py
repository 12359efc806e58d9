"""Defects found in review (2026-11-29), each checked through the public API.

1. ``feature_codes: {}`` means no feature codes (it used to fall back to the defaults).
2. A feature code from a number several agents share is refused, naming them (it used to act
   on the first agent with that number).
3. ``level_waits`` must be strictly increasing; ``coverage.min_reachable`` may not exceed the
   queue's members.
4. Two accepted hand-overs to the same taker on the same queue: the first to end no longer
   ends the taker's cover while the second still runs.
5. ``set_order`` keeps the round-robin pointer on the agent last offered a call.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition, NotFoundError
from civiccc.queues import AgentStatus, QueueEngine, QueuesConfig

from .conftest import LEADER, T0, hand_overs_to, make, queues_of, rings
from .conftest import at as _at
from .conftest import config_error as _error
from .conftest import restart as _restart

DEFAULTS = {"*61": "login", "*62": "logout", "*63": "pause", "*64": "resume"}


def _doc(**top: Any) -> dict[str, Any]:
    return {
        "agents": {"A": {"contacts": {"desk": "+15550200"}}},
        "queues": {"q": {"number": "+15550100", "members": ["A"]}},
        **top,
    }


# ------------------------------------------------------------------ 1. feature_codes: {}


def test_an_empty_feature_code_table_switches_phone_codes_off() -> None:
    cfg = QueuesConfig.from_dict(_doc(feature_codes={}))
    assert cfg.feature_codes == {}
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    for code in DEFAULTS:
        with pytest.raises(ConfigError, match="unknown feature code") as info:
            eng.feature_code("+15550200", code)
        assert info.value.path == "feature_codes"
    assert eng.status("A") is AgentStatus.LOGGED_OFF
    assert eng.audit == [] and eng.drain() == []
    eng.login("A")  # by app, as before
    assert eng.status("A") is AgentStatus.READY


@pytest.mark.parametrize("top", [{}, {"feature_codes": None}])
def test_omitted_feature_codes_keep_the_defaults(top: dict[str, Any]) -> None:
    cfg = QueuesConfig.from_dict(_doc(**top))
    assert cfg.feature_codes == DEFAULTS
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    assert eng.feature_code("+15550200", "*61") == "A"
    assert eng.status("A") is AgentStatus.READY


def test_an_empty_feature_code_table_in_a_hotlines_file() -> None:
    text = """
calendar_files: []
queues_config:
  feature_codes: {}
  agents: {A: {contacts: {desk: "+15550200"}}}
  queues: {q: {members: [A]}}
"""
    assert QueuesConfig.from_dict(yaml.safe_load(text)).feature_codes == {}


@given(
    st.dictionaries(
        st.sampled_from(sorted(DEFAULTS)), st.sampled_from(sorted(set(DEFAULTS.values())))
    )
)
@settings(max_examples=60, deadline=None)
def test_exactly_the_configured_feature_codes_work(codes: dict[str, str]) -> None:
    """Whatever table is given (empty included), only its codes act; the others are refused."""
    eng = QueueEngine(QueuesConfig.from_dict(_doc(feature_codes=codes)), clock=VirtualClock(T0))
    for code in sorted(DEFAULTS):
        if code in codes:
            with contextlib.suppress(InvalidTransition):  # e.g. pause while logged off
                assert eng.feature_code("+15550200", code) == "A"
        else:
            before = eng.snapshot()
            with pytest.raises(ConfigError, match="unknown feature code"):
                eng.feature_code("+15550200", code)
            assert eng.snapshot() == before


# ------------------------------------------------------------------ 2. a shared number

_SHARED = {
    "agents": {
        "ann": {"contacts": {"desk": "+15550201", "mobile": "+15550999"}},
        "bob": {"contacts": {"desk": "+15550202", "mobile": "+15550999"}},
        "cem": {"contacts": {"desk": "+15550203", "mobile": "+15550203"}},
    },
    "queues": {"q": {"number": "+15550100", "members": ["ann", "bob", "cem"]}},
}


def test_a_shared_number_is_allowed_in_the_configuration() -> None:
    cfg = QueuesConfig.from_dict(_SHARED)
    assert {c.number for c in cfg.agents["ann"].contacts} & {
        c.number for c in cfg.agents["bob"].contacts
    } == {"+15550999"}


@pytest.mark.parametrize("code", sorted(DEFAULTS))
def test_a_feature_code_from_a_shared_number_is_refused_and_changes_nothing(code: str) -> None:
    eng = QueueEngine(QueuesConfig.from_dict(_SHARED), clock=VirtualClock(T0))
    eng.login("ann")
    eng.drain()
    before = eng.snapshot()
    with pytest.raises(ConfigError) as info:
        eng.feature_code("+15550999", code)
    err = info.value
    assert err.path == "number" and err.value == "+15550999"
    assert "'+15550999'" in str(err) and "'ann'" in str(err) and "'bob'" in str(err)
    assert "'cem'" not in str(err)
    assert "log in by app" in str(err)
    assert eng.snapshot() == before
    assert eng.audit == [] and eng.drain() == []


def test_own_numbers_still_work_beside_a_shared_one() -> None:
    eng = QueueEngine(QueuesConfig.from_dict(_SHARED), clock=VirtualClock(T0))
    assert eng.feature_code("+15550202", "*61") == "bob"
    # one agent with the same number on two contacts is one agent, not a shared number
    assert eng.feature_code("+15550203", "*61") == "cem"
    assert eng.status("bob") is eng.status("cem") is AgentStatus.READY
    assert eng.status("ann") is AgentStatus.LOGGED_OFF
    with pytest.raises(NotFoundError):
        eng.feature_code("+15550000", "*61")
    with pytest.raises(ConfigError, match="unknown feature code"):  # the code is checked first
        eng.feature_code("+15550999", "*99")


# ------------------------------------------------------------------ 3. level_waits, coverage


def _queue_doc(**queue: Any) -> dict[str, Any]:
    return {
        "agents": {a: {} for a in "ABC"},
        "queues": {
            "q": {"members": [{"agent": a, "level": i + 1} for i, a in enumerate("ABC")], **queue}
        },
    }


@pytest.mark.parametrize(
    ("waits", "index"), [([30, 30], 1), ([30, 20], 1), ([10, 40, 40], 2), ([0, 0], 1)]
)
def test_level_waits_that_do_not_increase_are_refused(waits: list[float], index: int) -> None:
    err = _error(_queue_doc(level_waits=waits))
    assert err.path == f"queues.q.level_waits[{index}]"
    assert err.node == "q" and err.value == waits[index]
    assert "strictly increasing" in str(err)
    assert f"level {index + 2}" in str(err) and f"level {index + 1}" in str(err)


@pytest.mark.parametrize("waits", [[], [0], [0, 0.5], [30, 60, 90.5]])
def test_increasing_level_waits_pass(waits: list[float]) -> None:
    spec = QueuesConfig.from_dict(_queue_doc(level_waits=waits)).queues["q"]
    assert spec.level_waits == tuple(float(w) for w in waits)


def test_level_waits_element_errors_are_unchanged() -> None:
    err = _error(_queue_doc(level_waits=[30, -1]))
    assert err.path == "queues.q.level_waits[1]"
    assert "level_waits must be a non-negative number" in str(err)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=5))
@settings(max_examples=200, deadline=None)
def test_level_waits_pass_exactly_when_strictly_increasing(waits: list[float]) -> None:
    bad = [i for i in range(1, len(waits)) if waits[i] <= waits[i - 1]]
    if not bad:
        spec = QueuesConfig.from_dict(_queue_doc(level_waits=waits)).queues["q"]
        assert spec.level_waits == tuple(waits)
    else:
        err = _error(_queue_doc(level_waits=waits))
        assert err.path == f"queues.q.level_waits[{bad[0]}]" and err.node == "q"


def test_coverage_that_the_members_can_never_meet_is_refused() -> None:
    err = _error(_queue_doc(coverage={"min_reachable": 4, "mode": "warn"}))
    assert err.path == "queues.q.coverage.min_reachable"
    assert err.node == "q" and err.value == 4
    assert "min_reachable is 4" in str(err) and "only 3 member(s)" in str(err)
    nobody = {"agents": {}, "queues": {"q": {"coverage": {}}}}  # default min_reachable 1
    assert _error(nobody).path == "queues.q.coverage.min_reachable"


def test_coverage_errors_in_a_hotlines_file_are_located_under_queues_config() -> None:
    err = _error({"queues_config": _queue_doc(coverage={"min_reachable": 9})})
    assert err.path == "queues_config.queues.q.coverage.min_reachable"


@given(st.integers(0, 6), st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_min_reachable_up_to_the_number_of_members_passes(need: int, n: int) -> None:
    doc = {
        "agents": {f"a{i}": {} for i in range(n)},
        "queues": {
            "q": {"members": [f"a{i}" for i in range(n)], "coverage": {"min_reachable": need}}
        },
    }
    if need <= n:
        assert QueuesConfig.from_dict(doc).queues["q"].coverage.min_reachable == need  # type: ignore[union-attr]
    else:
        err = _error(doc)
        assert f"min_reachable is {need}" in str(err) and f"only {n} member(s)" in str(err)


# ------------------------------------------------------------------ 4. two hand-overs, one taker


def _two_hand_overs(
    a_until: float, b_until: float, **queue: Any
) -> tuple[QueueEngine, VirtualClock, str, str]:
    """A and B (members of q) both hand their spot to C; C accepts both."""
    eng, clock = make({"members": ["A", "B"], **queue}, agents="ABC")
    for a in "ABC":
        eng.login(a)
    ha = eng.hand_over("A", "q", "C", until=T0 + a_until)
    hb = eng.hand_over("B", "q", "C", until=T0 + b_until)
    eng.respond_hand_over(ha, "C", accept=True)
    eng.respond_hand_over(hb, "C", accept=True)
    eng.drain()
    return eng, clock, ha, hb


@pytest.mark.parametrize("restore_at", [None, 30, 90])
@pytest.mark.parametrize("first", ["A", "B"])
def test_the_taker_covers_until_the_last_of_two_hand_overs_ends(
    first: str, restore_at: float | None
) -> None:
    """Either hand-over may end first; C keeps its temporary membership until both have."""
    eng, clock, ha, hb = _two_hand_overs(60 if first == "A" else 120, 120 if first == "A" else 60)
    second = "B" if first == "A" else "A"
    log: list[Any] = []
    assert queues_of(eng, "ABC") == {"A": {"q": False}, "B": {"q": False}, "C": {"q": True}}
    if restore_at == 30:
        _at(eng, clock, 30)
        eng = _restart(eng, clock, log)
    _at(eng, clock, 60)
    assert queues_of(eng, "ABC") == {first: {"q": True}, second: {"q": False}, "C": {"q": True}}
    if restore_at == 90:
        _at(eng, clock, 90)
        eng = _restart(eng, clock, log)
    # C still takes calls of the queue while the second hand-over runs
    eng.pause(first)
    eng.drain()
    c = eng.arrive("q")
    assert rings(eng) == ["C"]
    eng.abandon(c)
    eng.resume(first)
    eng.drain()
    _at(eng, clock, 120)
    assert queues_of(eng, "ABC") == {"A": {"q": True}, "B": {"q": True}, "C": {}}
    assert {h["id"]: h["state"] for h in eng.handovers()} == {ha: "reverted", hb: "reverted"}
    assert [e.action for e in log + eng.audit if e.action != "pause"] == [
        "hand_over",
        "hand_over",
        "accept_hand_over",
        "accept_hand_over",
        "revert_hand_over",
        "revert_hand_over",
    ]
    assert eng.next_timer() is None


def test_two_hand_overs_ending_at_the_same_instant() -> None:
    eng, clock, _, _ = _two_hand_overs(60, 60)
    _at(eng, clock, 60)
    assert queues_of(eng, "ABC") == {"A": {"q": True}, "B": {"q": True}, "C": {}}


def test_a_member_taker_is_opted_out_only_when_the_last_hand_over_ends() -> None:
    """C is a (paused) member: opted in by the hand-overs, opted out again after the last."""
    members = ["A", "B", {"agent": "C", "paused": True}]
    eng, clock, _, _ = _two_hand_overs(120, 60, members=members)
    _at(eng, clock, 60)
    assert queues_of(eng, "ABC") == {"A": {"q": False}, "B": {"q": True}, "C": {"q": True}}
    _at(eng, clock, 120)
    assert queues_of(eng, "ABC") == {"A": {"q": True}, "B": {"q": True}, "C": {"q": False}}


@given(
    spans=st.lists(
        st.one_of(st.none(), st.integers(1, 5).map(lambda k: k * 20)), min_size=3, max_size=3
    ),
    restore_at=st.one_of(st.none(), st.integers(0, 110)),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hand_overs_to_one_taker_fuzzed(spans: list[int | None], restore_at: int | None) -> None:
    """Givers A, B, D hand their spot to C (a non-member) for random spans (None: declined);
    at every step C is a member exactly while an accepted hand-over runs, opted in, and each
    giver is opted out exactly while its own hand-over runs. Restored once on the way."""
    eng, clock = make({"members": ["A", "B", "D"]}, agents="ABCD")
    for a in "ABCD":
        eng.login(a)
    log: list[Any] = []
    running = hand_overs_to(eng, "C", spans)
    for t in range(0, 121, 5):
        _at(eng, clock, t)
        if restore_at is not None and restore_at <= t < restore_at + 5:
            eng = _restart(eng, clock, log)
        live = {g for g, end in running.items() if t < end}
        assert eng.agent_info("C")["queues"] == ({"q": True} if live else {})
        for g in "ABD":
            assert eng.agent_info(g)["queues"] == {"q": g not in live}
    reverts = [e for e in log + eng.audit if e.action == "revert_hand_over"]
    assert len(reverts) == len(running)


# ------------------------------------------------------------------ 5. set_order and round robin


def _rr(**queue: Any) -> tuple[QueueEngine, VirtualClock]:
    eng, clock = make(
        {"strategy": "round_robin", "members": [LEADER, *"ABCD"], **queue}, agents="LABCD"
    )
    for a in "ABCD":  # L leads, logged off
        eng.login(a)
    return eng, clock


def _next(eng: QueueEngine, clock: VirtualClock) -> str:
    """Who is offered a new call; it is answered and ended at once."""
    c = eng.arrive("q")
    (agent,) = rings(eng)
    eng.answer(c, agent)
    clock.advance(10)
    eng.end(c)
    eng.drain()
    return agent


def test_set_order_keeps_the_round_robin_pointer_on_the_last_agent_offered() -> None:
    eng, clock = _rr()
    assert [_next(eng, clock) for _ in range(2)] == ["A", "B"]
    eng.set_order("L", "q", ["B", "D", "L", "C", "A"])
    # after B in the new order: D, then C (L is logged off), then A, then B again
    assert [_next(eng, clock) for _ in range(4)] == ["D", "C", "A", "B"]


def test_set_order_before_any_call_starts_at_the_top_of_the_new_order() -> None:
    eng, clock = _rr()
    eng.set_order("L", "q", ["C", "L", "A", "D", "B"])
    assert [_next(eng, clock) for _ in range(5)] == ["C", "A", "D", "B", "C"]


def test_the_pointer_survives_set_order_and_a_restore() -> None:
    eng, clock = _rr()
    assert _next(eng, clock) == "A"
    eng.set_order("L", "q", ["D", "C", "B", "A", "L"])
    eng = _restart(eng, clock)
    assert [_next(eng, clock) for _ in range(3)] == ["D", "C", "B"]


def test_a_pointer_whose_agent_left_the_order_moves_to_the_agent_before_it() -> None:
    """C stood in for A (last in the order) and got the last call; when the hand-over ends C
    leaves the order and the pointer moves to B, the last agent kept before C (as restore
    does; it used to stay past the end, see test_review_followups), so after a ``set_order``
    the next call goes to whoever follows B in the new order."""
    eng, clock = make({"strategy": "round_robin", "members": [LEADER, "A", "B"]}, agents="LABC")
    for a in "ABC":
        eng.login(a)
    h = eng.hand_over("A", "q", "C", until=T0 + 100)
    eng.respond_hand_over(h, "C", accept=True)
    eng.drain()
    assert [_next(eng, clock) for _ in range(2)] == ["B", "C"]  # order L, A, B, C
    _at(eng, clock, 100)
    assert eng.snapshot()["queues"]["q"]["order"] == ["L", "A", "B"]
    eng.set_order("L", "q", ["B", "A", "L"])
    assert [_next(eng, clock) for _ in range(3)] == ["A", "B", "A"]


@given(
    steps=st.lists(
        st.one_of(st.just("call"), st.permutations(list("LABCD"))), min_size=1, max_size=12
    )
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_robin_after_reorders_follows_the_last_agent_offered(steps: list[Any]) -> None:
    """Model: the next call goes to the first logged-in agent after the last one offered, in
    the order current at that moment (from the top before any call)."""
    eng, clock = _rr()
    order, last = list("LABCD"), None
    for step in steps:
        if step == "call":
            start = order.index(last) + 1 if last is not None else 0
            ring = order[start:] + order[:start]
            expected = next(a for a in ring if a != "L")
            last = _next(eng, clock)
            assert last == expected
        else:
            eng.set_order("L", "q", list(step))
            order = list(step)
