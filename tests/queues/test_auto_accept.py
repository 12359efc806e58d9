"""Auto-accepting agents: an offered call is connected at once, nothing rings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition
from civiccc.events import EventBus
from civiccc.queues import AgentStatus, AgentStatusChanged, QueueEngine, QueuesConfig

from .conftest import T0

HOTLINE = "+15550100"


def engine(
    queue: dict[str, Any] | None = None, auto: str = "A", agents: str = "AB", **kw: Any
) -> tuple[QueueEngine, VirtualClock]:
    q = {"number": HOTLINE, "members": list(agents), "ring_timeout": 20}
    q.update(queue or {})
    cfg = QueuesConfig.from_dict(
        {
            "agents": {
                a: {"contacts": {"softphone": f"+1555020{i}"}, "auto_accept": a in auto}
                for i, a in enumerate(agents)
            },
            "queues": {"q": q},
        }
    )
    clock = VirtualClock(T0)
    return QueueEngine(cfg, clock=clock, **kw), clock


def test_offer_connects_at_once_with_contacts_and_the_hotline_number() -> None:
    bus = EventBus()
    seen: list[tuple[str, str, str, float]] = []
    bus.subscribe(
        AgentStatusChanged, lambda e: seen.append((e.agent, e.old, e.new, e.at.timestamp()))
    )
    eng, clock = engine(auto="A", agents="A", bus=bus)
    eng.login("A")
    eng.drain()
    seen.clear()
    clock.advance(5)
    call = eng.arrive("q", caller="+16045551234")
    cmds = eng.drain()
    assert [(c.kind, c.call, c.agent) for c in cmds] == [("connect", call, "A")]
    (connect,) = cmds
    # the adapter learns where to bridge (no ringing leg exists); the caller sees the hotline
    assert connect.contacts == ("+15550200",)
    assert connect.present == HOTLINE and connect.data == "auto_accept"
    assert eng.status("A") is AgentStatus.ON_QUEUE_CALL
    assert eng.call_info(call)["state"] == "connected"
    # the state machine is walked, both steps at the same instant
    assert seen == [
        ("A", "ready", "offered", T0 + 5),
        ("A", "offered", "on_queue_call", T0 + 5),
    ]
    assert eng.next_timer() is None  # no ring timer for a call nobody rings
    with pytest.raises(InvalidTransition):
        eng.answer(call, "A")  # already connected
    clock.advance(60)
    eng.end(call)
    k = eng.kpis("q")
    assert (k.offered, k.answered, k.asa) == (1, 1, 0.0)


def test_waiting_call_is_connected_when_the_agent_is_free_again() -> None:
    eng, clock = engine({"wrap_up": 10}, auto="A", agents="A")
    eng.login("A")
    first = eng.arrive("q")
    second = eng.arrive("q")
    assert [c.kind for c in eng.drain()] == ["connect"]
    assert eng.call_info(second)["state"] == "waiting"
    clock.advance(30)
    eng.end(first)
    assert eng.drain() == []  # wrap-up first
    clock.advance(10)
    eng.advance()
    assert [(c.kind, c.call) for c in eng.drain()] == [("connect", second)]
    eng.end(second)
    assert eng.kpis("q").asa == pytest.approx(20.0)  # (0 s + 40 s) / 2


def test_manual_agents_still_ring() -> None:
    eng, _ = engine(auto="", agents="AB")
    eng.login("A")
    call = eng.arrive("q")
    cmds = eng.drain()
    assert [(c.kind, c.agent) for c in cmds] == [("ring", "A")]
    eng.answer(call, "A")
    (connect,) = eng.drain()
    assert connect.kind == "connect" and connect.contacts == () and connect.data is None


def test_ring_all_an_auto_accepting_member_takes_the_call_alone() -> None:
    eng, _ = engine({"strategy": "ring_all"}, auto="C", agents="ABC")
    for a in "ABC":
        eng.login(a)
    eng.drain()
    call = eng.arrive("q")
    assert [(c.kind, c.agent) for c in eng.drain()] == [("connect", "C")]
    assert eng.status("A") is eng.status("B") is AgentStatus.READY
    assert eng.call_info(call)["agent"] == "C"


def test_callback_is_dialled_as_soon_as_an_auto_agent_takes_it() -> None:
    eng, clock = engine({"callback": {"after_wait": 30}}, auto="A", agents="A")
    eng.login("A")
    busy = eng.arrive("q")
    waiting = eng.arrive("q")
    clock.advance(30)
    eng.advance()
    assert [c.kind for c in eng.drain()] == ["connect", "offer_callback"]
    eng.accept_callback(waiting, "+16045550199")
    eng.end(busy)
    cmds = eng.drain()
    assert [(c.kind, c.call) for c in cmds] == [("connect", waiting), ("dial_callback", waiting)]
    assert cmds[1].present == HOTLINE and cmds[1].data == "+16045550199"


def test_transfer_to_an_auto_accepting_agent_connects_at_once() -> None:
    eng, _ = engine(auto="B", agents="AB")
    eng.login("A")
    call = eng.arrive("q")
    eng.answer(call, "A")
    eng.login("B")
    eng.drain()
    eng.transfer(call, to="B", kind="agent")
    assert [(c.kind, c.agent) for c in eng.drain()] == [("connect", "B")]
    assert eng.call_info(call)["agent"] == "B"
    assert eng.status("B") is AgentStatus.ON_QUEUE_CALL


def test_snapshot_restore_keeps_auto_accept() -> None:
    eng, clock = engine(auto="A", agents="A")
    eng.login("A")
    eng.arrive("q")
    eng2 = QueueEngine.restore(eng.config, eng.snapshot(), clock=clock)
    nxt = eng2.arrive("q")
    eng2.drain()
    assert eng2.call_info(nxt)["state"] == "waiting"
    eng2.end(eng2.calls()[0])
    assert [(c.kind, c.call) for c in eng2.drain()] == [("connect", nxt)]


@pytest.mark.parametrize(
    ("agent", "path"),
    [
        ({"auto_accept": "yes"}, "agents.A.auto_accept"),
        ({"ring_timout": 10}, "agents.A.ring_timout"),  # a typo is named, not ignored
    ],
)
def test_bad_agent_fields_are_named(agent: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as err:
        QueuesConfig.from_dict({"agents": {"A": agent}, "queues": {"q": {"members": ["A"]}}})
    assert err.value.path == path


@given(
    auto=st.sets(st.sampled_from("ABC")),
    events=st.lists(st.sampled_from(["arrive", "end", "tick"]), max_size=40),
)
def test_auto_agents_are_never_left_ringing(auto: set[str], events: list[str]) -> None:
    eng, clock = engine({"wrap_up": 3}, auto="".join(auto), agents="ABC")
    for a in "ABC":
        eng.login(a)
    for ev in events:
        if ev == "arrive":
            eng.arrive("q")
        elif ev == "end":
            connected = [c for c in eng.calls() if eng.call_info(c)["state"] == "connected"]
            if connected:
                eng.end(connected[0])
        else:
            clock.advance(2)
            eng.advance()
        for c in eng.drain():
            if c.kind == "ring":
                assert c.agent not in auto
            if c.kind == "connect" and c.agent in auto:
                assert c.contacts and c.data == "auto_accept"
        for a in auto:
            assert eng.status(a) is not AgentStatus.OFFERED


@pytest.mark.parametrize("auto", ["A", ""])
def test_no_callback_offer_to_a_caller_an_agent_already_takes(auto: str) -> None:
    """A callback is offered only to a caller left waiting after the dispatch round: not to
    one ringing an agent, nor to one connected by an auto-accepting agent."""
    eng, _ = engine({"callback": {"calls_waiting": 0}}, auto=auto, agents="A")
    eng.login("A")
    eng.drain()
    first = eng.arrive("q")
    kinds = [c.kind for c in eng.drain()]
    assert kinds == (["connect"] if auto else ["ring"])
    second = eng.arrive("q")  # A is busy: this caller waits and is offered a callback
    assert [(c.kind, c.call) for c in eng.drain()] == [("offer_callback", second)]
    eng.accept_callback(second, "+16045550199")
    with pytest.raises(InvalidTransition):
        eng.accept_callback(first, "+16045550198")  # never offered
