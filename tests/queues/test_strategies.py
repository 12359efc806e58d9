"""Distribution strategies against the research test vectors (routing-and-queue-peers.md §e.3)."""

from __future__ import annotations

import random

import pytest

from civiccc.queues import AgentStatus

from .conftest import T0, make, rings


def _serve(eng, clock, call, agent, talk=10.0):  # type: ignore[no-untyped-def]
    eng.answer(call, agent)
    clock.advance(talk)
    eng.end(call)
    eng.drain()


def test_ring_all_lowest_level_only_then_next_tier() -> None:
    """e.3 #2 (Asterisk ringall): A,B level 1 and C,D level 2 -> only A,B ring; A,B paused -> C,D."""
    members = [{"agent": a, "level": 1 if a in "AB" else 2} for a in "ABCD"]
    eng, _ = make({"strategy": "ring_all", "members": members})
    for a in "ABCD":
        eng.login(a)
    c = eng.arrive("q")
    assert rings(eng) == ["A", "B"]
    eng.abandon(c)
    eng.pause("A")
    eng.pause("B")
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["C", "D"]


def test_longest_idle_orders_by_last_call_end() -> None:
    """e.3 #3: last call ended A=t10, B=t5, C=t20, D never -> order D, B, A, C."""
    eng, clock = make({"ring_timeout": 1000})
    for a in "ABC":
        eng.login(a)
    calls = {a: eng.arrive("q") for a in "ABC"}  # rings A, B, C in that order
    eng.drain()
    for a, t in (("B", 5), ("A", 10), ("C", 20)):
        clock.set(T0 + t)
        eng.answer(calls[a], a)
        eng.end(calls[a])
    eng.login("D")
    eng.drain()
    order = []
    for _ in "ABCD":
        c = eng.arrive("q")
        order += rings(eng)
        eng.answer(c, order[-1])
    assert order == ["D", "B", "A", "C"]


def test_longest_idle_ignores_time_in_ready_by_default() -> None:
    """e.3 #4: B ready again at t100 but last call ended t5 -> still before A (ended t10)."""
    eng, clock = make(agents="AB")
    eng.login("A")
    eng.login("B")
    ca, cb = eng.arrive("q"), eng.arrive("q")
    eng.answer(cb, "B")
    eng.answer(ca, "A")
    clock.set(T0 + 5)
    eng.end(cb)
    clock.set(T0 + 10)
    eng.end(ca)
    eng.pause("B")
    clock.set(T0 + 100)
    eng.resume("B")
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["B"]


def test_longest_idle_ready_since_basis() -> None:
    """With idle_basis=ready_since (Connect/Teams) the same history puts A first."""
    eng, clock = make({"idle_basis": "ready_since"}, agents="AB")
    eng.login("A")
    eng.login("B")
    ca, cb = eng.arrive("q"), eng.arrive("q")
    eng.answer(cb, "B")
    eng.answer(ca, "A")
    clock.set(T0 + 5)
    eng.end(cb)
    clock.set(T0 + 10)
    eng.end(ca)
    eng.pause("B")
    clock.set(T0 + 100)
    eng.resume("B")
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["A"]


def test_round_robin_queue_wide_pointer() -> None:
    """e.3 #6 (rrmemory): caller 1 -> A (no answer) -> B answers; caller 2 starts at C."""
    eng, clock = make({"strategy": "round_robin", "ring_timeout": 15})
    for a in "ABCD":
        eng.login(a)
    c1 = eng.arrive("q")
    assert rings(eng) == ["A"]
    clock.advance(15)
    eng.advance()
    assert rings(eng) == ["B"]
    eng.answer(c1, "B")
    eng.arrive("q")
    assert rings(eng) == ["C"]


def test_round_robin_wraps_and_skips_unavailable() -> None:
    """e.3 #5: after D comes A; an unavailable agent is skipped."""
    eng, clock = make({"strategy": "round_robin"})
    for a in "ABCD":
        eng.login(a)
    got = []
    for _ in range(4):
        c = eng.arrive("q")
        got += rings(eng)
        _serve(eng, clock, c, got[-1])
    assert got == list("ABCD")
    eng.pause("B")
    got = []
    for _ in range(3):
        c = eng.arrive("q")
        got += rings(eng)
        _serve(eng, clock, c, got[-1])
    assert got == ["A", "C", "D"]


def test_linear_per_caller_pointer_and_leader_order() -> None:
    """e.3 #6/#7 linear: each new caller starts at the top; the leader's order is used."""
    members = [{"agent": "A", "roles": ["member", "team_leader"]}, "B", "C", "D"]
    eng, clock = make({"strategy": "linear", "members": members, "ring_timeout": 15})
    for a in "ABCD":
        eng.login(a)
    c1 = eng.arrive("q")
    assert rings(eng) == ["A"]
    clock.advance(15)
    eng.advance()
    assert rings(eng) == ["B"]
    eng.answer(c1, "B")
    c2 = eng.arrive("q")
    assert rings(eng) == ["A"]  # a new caller starts at the top (per-caller pointer)
    eng.abandon(c2)
    eng.set_order("A", "q", ["D", "C", "B", "A"])
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["D"]


def test_fewest_calls_and_reset_on_login() -> None:
    """e.3 #8: A answered 3, B 1 -> B next; A logs out and in -> A's count is 0 -> A next."""
    eng, clock = make({"strategy": "fewest_calls"}, agents="AB")
    eng.login("A")
    for _ in range(3):
        c = eng.arrive("q")
        _serve(eng, clock, c, "A")
    eng.login("B")
    c = eng.arrive("q")
    assert rings(eng) == ["B"]
    _serve(eng, clock, c, "B")
    c = eng.arrive("q")
    assert rings(eng) == ["B"]  # B 1 < A 3
    eng.abandon(c)
    eng.logout("A")
    eng.login("A")  # counters reset when the agent logs in (FreeSWITCH: on Available)
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["A"]


def test_least_talk_time() -> None:
    """The agent with the least talk time on this queue is rung first (ties: list order)."""
    eng, clock = make({"strategy": "least_talk_time"}, agents="AB")
    eng.login("A")
    eng.login("B")
    c1 = eng.arrive("q")
    assert rings(eng) == ["A"]
    c2 = eng.arrive("q")
    assert rings(eng) == ["B"]
    _serve(eng, clock, c1, "A", talk=100)
    _serve(eng, clock, c2, "B", talk=20)
    eng.arrive("q")
    assert rings(eng) == ["B"]


def test_random_uses_injected_rng_and_respects_levels() -> None:
    """Random picks with the injected Random (reproducible) and only from the best level."""
    members = [{"agent": a, "level": 2 if a == "D" else 1} for a in "ABCD"]
    picks = []
    for _ in range(2):
        eng, _clock = make({"strategy": "random", "members": members}, rng=random.Random(42))
        for a in "ABCD":
            eng.login(a)
        seq = []
        for _ in range(30):
            c = eng.arrive("q")
            seq += rings(eng)
            eng.abandon(c)
            eng.drain()
        picks.append(seq)
    assert picks[0] == picks[1]
    assert set(picks[0]) == {"A", "B", "C"}


def test_tier_levels_open_after_configured_waits() -> None:
    """e.3 #9 (level_waits): level 2 becomes eligible once the caller has waited 30 s."""
    members = [{"agent": "A", "level": 1}, {"agent": "B", "level": 2}]
    eng, clock = make({"level_waits": [30], "members": members}, agents="AB")
    eng.login("A")
    eng.login("B")
    eng.other_call("A", active=True)  # level-1 agent logged in but busy
    c = eng.arrive("q")
    assert rings(eng) == []
    clock.advance(29)
    eng.advance()
    assert rings(eng) == []
    clock.advance(1)
    eng.advance()
    assert rings(eng) == ["B"]
    assert eng.call_info(c)["offered"] == ["B"]


def test_skills_relax_after_waits() -> None:
    """A call needing 'de' at proficiency 3 waits for a level-3 speaker, then relaxes by one step."""
    from civiccc.clock import VirtualClock
    from civiccc.queues import QueueEngine, QueuesConfig

    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {"skills": {"de": 2}}, "B": {"skills": {"en": 3}}},
            "queues": {"q": {"strategy": "skills", "skill_relax": [60], "members": ["A", "B"]}},
        }
    )
    clock = VirtualClock(T0)
    eng = QueueEngine(cfg, clock=clock)
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q", skills={"de": 3})
    assert rings(eng) == []
    clock.advance(60)
    eng.advance()
    assert rings(eng) == ["A"]
    eng.answer(c, "A")
    eng.arrive("q", skills={"en": 1})
    assert rings(eng) == ["B"]


@pytest.mark.parametrize(
    "strategy", ["longest_idle", "linear", "round_robin", "fewest_calls", "random"]
)
def test_priority_then_wait_order(strategy: str) -> None:
    """e.3 #18: priority first (1 = very high .. 5), then arrival; FIFO within a priority."""
    eng, clock = make({"strategy": strategy}, agents="A")
    eng.login("A")
    c0 = eng.arrive("q", priority=3)
    eng.answer(c0, "A")
    late_normal = eng.arrive("q", priority=3)
    clock.advance(5)
    urgent = eng.arrive("q", priority=1)
    clock.advance(5)
    low = eng.arrive("q", priority=5)
    newer_normal = eng.arrive("q", priority=3)
    assert [eng.position(c) for c in (urgent, late_normal, newer_normal, low)] == [1, 2, 3, 4]
    order = []
    current = c0
    for _ in range(4):
        eng.end(current)
        offered = [c for c in eng.calls() if eng.call_info(c)["offered"] == ["A"]]
        current = offered[0]
        order.append(current)
        eng.answer(current, "A")
    assert order == [urgent, late_normal, newer_normal, low]


def test_busy_agents_are_skipped() -> None:
    """An agent on another call is not offered queue calls."""
    eng, _ = make(agents="AB")
    eng.login("A")
    eng.login("B")
    eng.other_call("A", active=True)
    eng.arrive("q")
    assert rings(eng) == ["B"]
    assert eng.status("A") is AgentStatus.ON_OTHER_CALL
