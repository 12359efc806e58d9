"""Core flow: arrive, offer, answer, end, abandon, wrap-up and timers on a virtual clock."""

from __future__ import annotations

import json

import pytest

from civiccc.errors import InvalidTransition, NotFoundError
from civiccc.events import EventBus
from civiccc.queues import AgentStatus, AgentStatusChanged, CallLeft, CallQueued

from .conftest import T0, make, rings


def test_longest_idle_offers_one_agent_and_answer_connects() -> None:
    """A call rings the longest-idle ready agent only; answering connects it."""
    eng, clock = make()
    for a in "ABCD":
        eng.login(a)
    c = eng.arrive("q")
    cmds = eng.drain()
    assert [(x.kind, x.agent, x.present) for x in cmds] == [("ring", "A", "+15550100")]
    assert eng.status("A") is AgentStatus.OFFERED
    eng.answer(c, "A")
    assert [x.kind for x in eng.drain()] == ["connect"]
    assert eng.status("A") is AgentStatus.ON_QUEUE_CALL
    clock.advance(100)
    eng.end(c)
    assert eng.status("A") is AgentStatus.READY
    assert eng.calls() == []


def test_idle_order_follows_last_call_end() -> None:
    """After A's call ends, A is the most recently idle: the next call goes to B."""
    eng, clock = make()
    for a in "AB":
        eng.login(a)
    c = eng.arrive("q")
    eng.answer(c, "A")
    clock.advance(10)
    eng.end(c)
    eng.drain()
    eng.arrive("q")
    assert rings(eng) == ["B"]


def test_ring_timeout_moves_on_and_counts_miss() -> None:
    """After ring_timeout the next agent is rung; the first one records a miss."""
    eng, clock = make({"ring_timeout": 20})
    for a in "AB":
        eng.login(a)
    c = eng.arrive("q")
    assert rings(eng) == ["A"]
    assert eng.next_timer() == T0 + 20
    clock.advance(19.9)
    assert eng.advance() == 0
    clock.advance(0.1)
    assert eng.advance() == 1
    cmds = eng.drain()
    assert [(x.kind, x.agent) for x in cmds] == [("stop_ringing", "A"), ("ring", "B")]
    assert eng.agent_info("A")["misses"] == 1
    assert eng.call_info(c)["offered"] == ["B"]


def test_wrap_up_timer_ends_exactly_at_duration() -> None:
    """Wrap-up of 15 s starting at t0 ends at t0+15 (inclusive: eligible at exactly 15 s)."""
    eng, clock = make({"wrap_up": 15}, agents="A")
    eng.login("A")
    c = eng.arrive("q")
    eng.answer(c, "A")
    eng.end(c)
    assert eng.status("A") is AgentStatus.WRAP_UP
    eng.drain()
    c2 = eng.arrive("q")
    assert rings(eng) == []  # nothing rings during wrap-up
    clock.advance(14.999)
    eng.advance()
    assert eng.status("A") is AgentStatus.WRAP_UP
    clock.advance(0.001)
    eng.advance()
    assert eng.call_info(c2)["offered"] == ["A"]


def test_wrap_up_can_end_early_and_be_started_by_hand() -> None:
    """end_wrap_up ends it early; start_wrap_up from ready has no timer."""
    eng, _ = make({"wrap_up": 600}, agents="A")
    eng.login("A")
    c = eng.arrive("q")
    eng.answer(c, "A")
    eng.end(c)
    eng.end_wrap_up("A")
    assert eng.status("A") is AgentStatus.READY
    eng.start_wrap_up("A")
    assert eng.next_timer() is None
    eng.end_wrap_up("A")
    assert eng.status("A") is AgentStatus.READY


def test_abandon_while_ringing_stops_ringing_and_frees_agent() -> None:
    """A caller hanging up during the offer stops the ring without penalising the agent."""
    eng, _ = make()
    eng.login("A")
    c = eng.arrive("q")
    eng.drain()
    eng.end(c)
    assert [(x.kind, x.agent) for x in eng.drain()] == [("stop_ringing", "A")]
    assert eng.status("A") is AgentStatus.READY
    assert eng.agent_info("A")["misses"] == 0
    assert eng.kpis("q").abandoned == 1


def test_ring_all_first_answer_wins() -> None:
    """Research e.3 #1: all idle ring; A answers; B, C, D stop and stay ready, no penalty."""
    eng, _ = make({"strategy": "ring_all"})
    for a in "ABCD":
        eng.login(a)
    c = eng.arrive("q")
    assert rings(eng) == list("ABCD")
    eng.answer(c, "A")
    stops = [x.agent for x in eng.drain() if x.kind == "stop_ringing"]
    assert stops == list("BCD")
    for a in "BCD":
        assert eng.status(a) is AgentStatus.READY
        assert eng.agent_info(a)["misses"] == 0


def test_unknown_ids_and_wrong_state_raise() -> None:
    """Unknown calls/agents raise NotFoundError; answering a call not offered raises."""
    eng, _ = make()
    with pytest.raises(NotFoundError):
        eng.arrive("nope")
    with pytest.raises(NotFoundError):
        eng.answer("c99", "A")
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q")
    with pytest.raises(InvalidTransition):
        eng.answer(c, "B")


def test_events_published() -> None:
    """Status changes, queue entries and abandons reach bus subscribers."""
    bus = EventBus()
    seen: list[object] = []
    for t in (AgentStatusChanged, CallQueued, CallLeft):
        bus.subscribe(t, seen.append)
    eng, _ = make(bus=bus, agents="A")
    eng.login("A")
    eng.pause("A", "lunch")
    c = eng.arrive("q")
    eng.abandon(c)
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["AgentStatusChanged", "AgentStatusChanged", "CallQueued", "CallLeft"]
    assert seen[1].reason == "lunch"  # type: ignore[attr-defined]
    assert seen[2].position == 1  # type: ignore[attr-defined]


def test_commands_are_json_able() -> None:
    """Commands are plain tuples of JSON types."""
    eng, _ = make()
    eng.login("A")
    eng.arrive("q")
    json.dumps([c._asdict() for c in eng.drain()])
