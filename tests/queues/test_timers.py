"""Timers: ring timeouts of several lengths, ties with other timers, stale timers, restarts,
and long runs (the ring timers of one timeout are kept in set order; see _engine._Lane)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition
from civiccc.queues import QueueEngine

from .conftest import T0, at, make, queues_of, restart, rings


def _engine(
    queue: dict[str, Any], agents: dict[str, dict[str, Any]]
) -> tuple[QueueEngine, VirtualClock]:
    """``make`` with each agent's own fields (``{"B": {"ring_timeout": 5}}``)."""
    return make(queue, "".join(agents), agent_fields=agents)


def _stops(eng: QueueEngine) -> list[tuple[float, str | None, str | None]]:
    """(at, call, agent) of the stop_ringing commands since the last drain."""
    return [(c.at - T0, c.call, c.agent) for c in eng.drain() if c.kind == "stop_ringing"]


def test_ring_timeouts_of_different_lengths_fire_in_time_order() -> None:
    """An agent's own short ring timeout set later fires before the queue's longer one."""
    eng, clock = _engine({"ring_timeout": 20}, {"A": {}, "B": {"ring_timeout": 5}, "C": {}})
    eng.login("A")
    c1 = eng.arrive("q")  # rings A until +20
    clock.advance(1)
    eng.login("B")
    c2 = eng.arrive("q")  # rings B until +6
    eng.drain()
    assert eng.next_timer() == T0 + 6
    at(eng, clock, 20)
    assert _stops(eng) == [(6.0, c2, "B"), (20.0, c1, "A")]


def test_a_ring_timeout_and_a_max_wait_due_together_fire_in_the_order_they_were_set() -> None:
    """max_wait (set on arrival) fires before the ring timeout set by the offer that follows:
    the call is ringing, so the timeout is decided when the ringing ends and nobody else is
    rung (with the other order, B would ring first)."""
    eng, clock = make({"ring_timeout": 20, "max_wait": 20, "reject_delay": 0}, agents="AB")
    eng.login("A")
    c1 = eng.arrive("q")
    eng.login("B")
    assert rings(eng) == ["A"]
    at(eng, clock, 20)
    out = eng.drain()
    assert [c.kind for c in out] == ["stop_ringing", "action"]
    assert out[1].call == c1 and out[1].data["reason"] == "timeout"


def test_an_answered_call_leaves_no_pending_ring_timer() -> None:
    """A ring timer whose offer was answered is stale: next_timer skips it."""
    eng, _clock = make({"ring_timeout": 20, "max_wait": 600})
    eng.login("A")
    c1 = eng.arrive("q")
    assert eng.next_timer() == T0 + 20
    eng.answer(c1, "A")
    assert eng.next_timer() is None  # max_wait ends with the waiting, too


def test_ring_timers_survive_a_restart() -> None:
    """Pending ring timers of several lengths are in the snapshot and fire after a restore."""
    eng, clock = _engine({"ring_timeout": 20}, {"A": {}, "B": {"ring_timeout": 5}})
    eng.login("A")
    c1 = eng.arrive("q")
    clock.advance(1)
    eng.login("B")
    c2 = eng.arrive("q")
    eng.drain()
    timers = eng.snapshot()["timers"]
    assert [(t[0] - T0, t[2], t[3], t[4]) for t in timers] == [
        (6.0, "ring", c2, "B"),
        (20.0, "ring", c1, "A"),
    ]
    again = restart(eng, clock)
    at(again, clock, 20)
    assert _stops(again) == [(6.0, c2, "B"), (20.0, c1, "A")]


def test_a_long_run_keeps_every_pending_ring_timer() -> None:
    """Thousands of answered offers, whose ring timers come due stale and are discarded (the
    discarded ones are cut off every few thousand), while a few calls are left ringing around
    such a cut: each left call still times out at its time."""
    eng, clock = make({"ring_timeout": 30, "reject_delay": 0}, agents="ABCDEFGH")
    for a in "ABCDEFGH":
        eng.login(a)
    left: dict[str, tuple[float, str | None]] = {}
    log = []
    for i in range(6_000):
        c = eng.arrive("q")
        out = eng.drain()
        log += out
        (agent,) = [cmd.agent for cmd in out if cmd.kind == "ring" and cmd.call == c]
        if i in (4_150, 4_200, 4_250, 5_990):
            left[c] = (clock.timestamp() - T0, agent)
        else:
            eng.answer(c, agent)
            eng.end(c)
        log += eng.drain()
        clock.advance(0.25)
    last = list(left)[-1]
    pending = [(t[0] - T0, t[2], t[4]) for t in eng.snapshot()["timers"] if t[3] == last]
    assert pending == [(left[last][0] + 30, "ring", left[last][1])]
    at(eng, clock, left[last][0] + 30)
    log += eng.drain()
    stops = {(cmd.at - T0, cmd.call, cmd.agent) for cmd in log if cmd.kind == "stop_ringing"}
    for c, (t, agent) in left.items():
        assert (t + 30, c, agent) in stops


def test_kpis_survive_a_restart_and_a_bad_record_is_refused() -> None:
    """KPI records round-trip through a snapshot; a record with a field missing is refused
    with the place named, not read shifted."""
    eng, clock = make({"max_wait": 600})
    eng.login("A")
    c1 = eng.arrive("q")
    eng.answer(c1, "A")
    clock.advance(40)
    eng.end(c1)
    c2 = eng.arrive("q")
    eng.end(c2)  # abandoned at once
    again = restart(eng, clock)
    assert again.kpis("q") == eng.kpis("q")
    assert (again.kpis("q").answered, again.kpis("q").abandoned) == (1, 1)
    data = json.loads(json.dumps(eng.snapshot()))
    data["queues"]["q"]["records"][1] = data["queues"]["q"]["records"][1][:6]
    with pytest.raises(ConfigError) as info:
        QueueEngine.restore(eng.config, data, clock=clock)
    assert info.value.path == "queues.q.records[1]"


def test_a_hand_over_cannot_be_accepted_after_its_end() -> None:
    """Accepting once ``until`` has passed is refused (the engine used to accept it and set a
    revert timer in the past, whose firing took the engine's time back); declining works."""
    eng, clock = make({"ring_timeout": 10, "members": [{"agent": "A", "paused": True}, "B"]})
    eng.login("A")
    eng.login("B")
    ho = eng.hand_over("A", "q", "C", T0 + 5)
    clock.advance(6)
    with pytest.raises(InvalidTransition, match="'accept' is not allowed"):
        eng.respond_hand_over(ho, "C", accept=True)
    assert [h["state"] for h in eng.handovers()] == ["pending"]
    assert queues_of(eng, "ABC") == {"A": {"q": False}, "B": {"q": True}, "C": {}}
    eng.respond_hand_over(ho, "C", accept=False)
    assert [h["state"] for h in eng.handovers()] == ["declined"]
    assert eng.next_timer() is None


def test_next_timer_discards_answered_rings_for_good() -> None:
    """A driver that asks next_timer() between events (as the simulator does) never lets a
    ring timer fall due; the answered ones it skips are dropped, not kept (internal check:
    the ring lanes stay short over 20,000 answered offers)."""
    eng, clock = make({"ring_timeout": 20}, agents="A")
    eng.login("A")
    for _ in range(20_000):
        c = eng.arrive("q")
        eng.answer(c, "A")
        clock.advance(1)
        eng.end(c)
        assert eng.next_timer() is None
        clock.advance(1)
    assert sum(len(lane.items) for lane in eng._lanes.values()) == 0


def test_an_event_fires_the_ring_timers_that_fell_due_without_advance() -> None:
    """No advance() between events: the next event first fires what fell due meanwhile, from
    every lane (the agent's own 5 s, the queue's 20 s) and the heap (max_wait), in time
    order, before it is handled."""
    eng, clock = _engine(
        {"ring_timeout": 20, "max_wait": 25},
        {"A": {}, "B": {"ring_timeout": 5}, "C": {}},
    )
    eng.login("A")
    eng.login("B")
    c1 = eng.arrive("q")  # A until +20; max_wait +25
    c2 = eng.arrive("q")  # B until +5; max_wait +25
    eng.drain()
    clock.advance(30)
    c3 = eng.arrive("q")  # fires everything due by +30 first
    assert [(c.at - T0, c.kind, c.call, c.agent) for c in eng.drain()] == [
        (5.0, "stop_ringing", c2, "B"),  # B's own 5 s: c2 waits again (not back to B at once)
        (20.0, "stop_ringing", c1, "A"),  # the queue's 20 s
        (20.0, "ring", c1, "B"),
        (20.0, "ring", c2, "A"),
        # max_wait of both at +25 while they ring: decided when the ringing ends; B's ring of
        # c1 (set at +20, 5 s) ends at +25 too, after them (set later)
        (25.0, "stop_ringing", c1, "B"),
        (25.0, "action", c1, None),
        (30.0, "ring", c3, "B"),  # then the event itself (c2 rings A until +40)
    ]


def test_a_ring_timer_due_before_every_other_timer_fires_at_the_next_event() -> None:
    """The ring (5 s) is the earliest timer, set after a later one (max_wait, 25 s): an event
    at +10 fires it, though no advance() ran and the later timer is not due."""
    eng, clock = _engine({"ring_timeout": 20, "max_wait": 25}, {"B": {"ring_timeout": 5}})
    eng.login("B")
    c1 = eng.arrive("q")
    eng.drain()
    clock.advance(10)
    assert eng.stats("q").waiting == 1  # stats() is an event: c1 rang out at +5, waits again
    assert [(c.at - T0, c.kind, c.call) for c in eng.drain()] == [(5.0, "stop_ringing", c1)]
