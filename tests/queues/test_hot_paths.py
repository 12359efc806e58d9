"""The inlined hot paths behave like the generic ones (shared empty defaults, events, timers)."""

from __future__ import annotations

from civiccc.events import EventBus
from civiccc.queues import AgentStatus, AgentStatusChanged

from .conftest import T0, make, rings


def test_an_exclusion_belongs_to_one_call() -> None:
    """Rejecting one call keeps the agent away from that call only (exclusions are per call)."""
    eng, _clock = make({"reject_delay": 60}, agents="AB")
    eng.login("A")
    c1 = eng.arrive("q")
    assert rings(eng) == ["A"]
    eng.reject(c1, "A")
    eng.drain()
    c2 = eng.arrive("q", priority=1)  # ahead of c1: A may take it
    assert rings(eng) == ["A"]
    assert eng.call_info(c2)["offered"] == ["A"]
    assert eng.call_info(c1)["offered"] == []
    assert eng.snapshot()["calls"][c2]["excluded"] == {}
    assert eng.snapshot()["calls"][c1]["excluded"] == {"A": T0 + 60}


def test_ring_lists_are_per_call() -> None:
    """Two calls ringing two agents: answering one leaves the other's ring list alone."""
    eng, clock = make(agents="AB")
    eng.login("A")
    eng.login("B")
    c1 = eng.arrive("q")
    c2 = eng.arrive("q")
    assert rings(eng) == ["A", "B"]
    eng.answer(c1, "A")
    assert eng.call_info(c1)["offered"] == []
    assert eng.call_info(c2)["offered"] == ["B"]
    clock.advance(5)
    eng.end(c1)
    c3 = eng.arrive("q")
    assert rings(eng) == ["A"]
    assert eng.call_info(c3)["offered"] == ["A"]
    assert eng.call_info(c2)["offered"] == ["B"]


def test_status_events_on_the_fast_path() -> None:
    """Offer, answer and the end of a call publish the same transitions as the generic path."""
    bus = EventBus()
    seen: list[tuple[str, str, str]] = []
    bus.subscribe(AgentStatusChanged, lambda e: seen.append((e.agent, e.old, e.new)))
    eng, clock = make(agents="AB", bus=bus)
    eng.login("A")
    c1 = eng.arrive("q")
    c2 = eng.arrive("q")  # waits: nobody else is ready
    eng.answer(c1, "A")
    clock.advance(30)
    eng.end(c1)  # A is freed and takes the waiting call at once
    assert seen == [
        ("A", "logged_off", "ready"),
        ("A", "ready", "offered"),
        ("A", "offered", "on_queue_call"),
        ("A", "on_queue_call", "ready"),
        ("A", "ready", "offered"),
    ]
    assert eng.call_info(c2)["offered"] == ["A"]
    info = eng.snapshot()["agents"]["A"]["time_in"]
    assert info["on_queue_call"] == 30.0
    assert eng.status("A") is AgentStatus.OFFERED
