"""Restore under a changed configuration: a three-way merge of queue memberships.

The snapshot (version 2) carries ``base``, the membership of the configuration the engine was
built with; :meth:`QueueEngine.restore` applies what the new configuration changed against it
to the snapshot's run-time memberships. Everything goes through the public API.
"""

from __future__ import annotations

import json
import random
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.errors import (
    ConfigError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    PolicyViolation,
)
from civiccc.events import EventBus
from civiccc.queues import AgentStatus, CoverageChanged, QueueEngine, QueuesConfig

from .conftest import LEADER, T0, rings


def config(
    members: list[Any],
    agents: str = "LABCDE",
    more: dict[str, Any] | None = None,
    **queue: Any,
) -> QueuesConfig:
    """Agents (each with a desk phone) and queue ``q`` with ``members`` (plus ``more`` queues)."""
    q = {"number": "+15550100", "members": members, **queue}
    return QueuesConfig.from_dict(
        {
            "agents": {a: {"contacts": {"desk": f"+1555020{i}"}} for i, a in enumerate(agents)},
            "queues": {"q": q, **(more or {})},
        }
    )


def engine(cfg: QueuesConfig, **kw: Any) -> tuple[QueueEngine, VirtualClock]:
    clock = VirtualClock(T0)
    return QueueEngine(cfg, clock=clock, **kw), clock


def restart(eng: QueueEngine, clock: VirtualClock, cfg: QueuesConfig, **kw: Any) -> QueueEngine:
    """Snapshot through JSON and restore under ``cfg`` (the restarted app server)."""
    data = json.loads(json.dumps(eng.snapshot()))
    return QueueEngine.restore(cfg, data, clock=VirtualClock(clock.timestamp()), **kw)


def members(eng: QueueEngine, queue: str = "q") -> dict[str, dict[str, Any]]:
    return eng.snapshot()["queues"][queue]["members"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ snapshot format


def test_snapshot_carries_the_configured_membership_as_base() -> None:
    cfg = config([LEADER, {"agent": "A", "level": 2, "paused": True}, "B"])
    eng, clock = engine(cfg)
    eng.add_member("L", "q", "C")  # run time only: not in the base
    data = eng.snapshot()
    assert data["version"] == 2
    assert data["base"] == {
        "q": {
            "L": {"level": 1, "roles": ["member", "team_leader"], "paused": False},
            "A": {"level": 2, "roles": ["member"], "paused": True},
            "B": {"level": 1, "roles": ["member"], "paused": False},
        }
    }
    # a restored engine's base is the new configuration's membership
    cfg2 = config([LEADER, "B", "D"])
    again = restart(eng, clock, cfg2)
    assert set(again.snapshot()["base"]["q"]) == {"L", "B", "D"}


def test_unchanged_configuration_restores_the_same_snapshot() -> None:
    """Run-time changes (add_member, opt-out, order) survive; the snapshot is unchanged."""
    cfg = config([LEADER, "A", "B"], strategy="linear")
    eng, clock = engine(cfg)
    for a in "LABC":
        eng.login(a)
    eng.add_member("L", "q", "C", level=2, paused=False)
    eng.set_availability("L", "B", "q", active=False)
    eng.set_order("L", "q", ["C", "B", "A", "L"])
    c1 = eng.arrive("q")
    eng.drain()
    data = json.loads(json.dumps(eng.snapshot()))
    again = QueueEngine.restore(cfg, data, clock=VirtualClock(clock.timestamp()))
    assert again.snapshot() == data
    assert again.drain() == []
    assert again.agent_info("C")["queues"] == {"q": True}
    assert again.agent_info("B")["queues"] == {"q": False}
    assert again.call_info(c1)["offered"] == eng.call_info(c1)["offered"]


def test_version_1_snapshot_still_restores_and_keeps_its_memberships() -> None:
    cfg = config([LEADER, "A", "B"])
    eng, clock = engine(cfg)
    eng.login("A")
    eng.add_member("L", "q", "C")
    c1 = eng.arrive("q")
    data = json.loads(json.dumps(eng.snapshot()))
    v1 = {k: v for k, v in data.items() if k != "base"} | {"version": 1}
    again = QueueEngine.restore(cfg, v1, clock=VirtualClock(clock.timestamp()))
    assert again.snapshot() == data  # and it writes version 2 from now on
    assert again.call_info(c1)["agent"] == "A" or again.call_info(c1)["offered"] == ["A"]
    # version 1 has no base: the snapshot's memberships win (as before version 2) ...
    cfg2 = config([LEADER, {"agent": "A", "level": 3}, "D"])
    again = QueueEngine.restore(cfg2, v1, clock=VirtualClock(clock.timestamp()))
    assert members(again) == data["queues"]["q"]["members"]
    # ... but removed agents and queues are dropped (a bare NotFoundError before)
    cfg3 = config([LEADER, "A"], agents="LACD")
    again = QueueEngine.restore(cfg3, v1, clock=VirtualClock(clock.timestamp()))
    assert set(members(again)) == {"L", "A", "C"}
    with pytest.raises(NotFoundError):
        again.status("B")


# ------------------------------------------------------------------ members added, removed, changed


def test_added_member_gets_the_next_call() -> None:
    cfg = config(["A", "B"])
    eng, clock = engine(cfg)
    for a in "ABC":
        eng.login(a)
    for a in "AB":
        eng.answer(eng.arrive("q"), a)  # A and B busy; C is ready but in no queue
    eng.drain()
    again = restart(eng, clock, config(["A", "B", {"agent": "C", "level": 2}]))
    assert members(again)["C"] == {
        "level": 2,
        "roles": ["member"],
        "active": True,
        "temporary": False,
    }
    assert again.snapshot()["queues"]["q"]["order"] == ["A", "B", "C"]
    c = again.arrive("q")
    assert rings(again) == ["C"]
    assert again.call_info(c)["offered"] == ["C"]


def test_added_member_paused_in_the_configuration_starts_opted_out() -> None:
    eng, clock = engine(config(["A"]))
    eng.login("C")
    again = restart(eng, clock, config(["A", {"agent": "C", "paused": True}]))
    assert again.agent_info("C")["queues"] == {"q": False}
    again.arrive("q")
    assert rings(again) == []


def test_added_member_takes_a_waiting_call_at_once() -> None:
    """A ready agent the new configuration adds is offered the call waiting at the restart."""
    eng, clock = engine(config(["A"]))
    eng.login("A")
    eng.login("C")
    eng.answer(eng.arrive("q"), "A")
    waiting = eng.arrive("q")
    assert eng.call_info(waiting)["state"] == "waiting"
    eng.drain()
    again = restart(eng, clock, config(["A", "C"]))
    assert again.call_info(waiting)["offered"] == ["C"]
    assert [(c.kind, c.call, c.agent) for c in again.drain()] == [("ring", waiting, "C")]


def test_removed_member_is_never_offered_a_call() -> None:
    eng, clock = engine(config(["A", "B"]))
    for a in "AB":
        eng.login(a)
    again = restart(eng, clock, config(["A"]))
    assert set(members(again)) == {"A"}
    assert again.agent_info("B")["queues"] == {}
    assert again.stats("q").reachable == 1
    for _ in range(4):
        c = again.arrive("q")
        assert rings(again) == ["A"]
        again.answer(c, "A")
        again.end(c)
    busy = again.arrive("q")
    again.answer(busy, "A")
    assert rings(again) == ["A"]
    assert again.call_info(again.arrive("q"))["state"] == "waiting"  # not B
    assert rings(again) == []


def test_removed_member_still_ringing_finishes_the_offer() -> None:
    """An offer in progress is not withdrawn; the member just gets no new one."""
    eng, clock = engine(config(["A", "B"]))
    eng.login("B")
    c = eng.arrive("q")
    assert eng.call_info(c)["offered"] == ["B"]
    again = restart(eng, clock, config(["A"]))
    assert again.call_info(c)["offered"] == ["B"]
    again.answer(c, "B")
    again.end(c)
    assert again.status("B") is AgentStatus.READY
    again.arrive("q")
    assert rings(again) == []


def test_level_change_is_respected_by_tiers() -> None:
    tiers = {"level_waits": [60]}
    cfg = config([{"agent": "A", "level": 1}, {"agent": "B", "level": 2}], **tiers)
    eng, clock = engine(cfg)
    for a in "AB":
        eng.login(a)
    c = eng.arrive("q")
    assert rings(eng) == ["A"]
    eng.reject(c, "A")
    eng.drain()
    cfg2 = config([{"agent": "A", "level": 2}, {"agent": "B", "level": 1}], **tiers)
    again = restart(eng, clock, cfg2)
    assert members(again)["A"]["level"] == 2 and members(again)["B"]["level"] == 1
    # B is tier 1 now: the call waiting at the restart goes to B at once
    assert again.call_info(c)["offered"] == ["B"]
    again.answer(c, "B")
    c2 = again.arrive("q")
    assert again.call_info(c2)["state"] == "waiting"  # A is tier 2: not before 60 s
    clock2 = again.clock
    assert isinstance(clock2, VirtualClock)
    clock2.advance(60)
    again.advance()
    assert again.call_info(c2)["offered"] == ["A"]


def test_role_change_takes_effect_and_opt_out_survives() -> None:
    eng, clock = engine(config([LEADER, "A", "B"]))
    eng.set_availability("A", "A", "q", active=False)
    cfg2 = config(
        [{"agent": "L", "roles": ["member"]}, {"agent": "A", "level": 2}, LEADER | {"agent": "B"}]
    )
    again = restart(eng, clock, cfg2)
    assert members(again)["A"] == {
        "level": 2,
        "roles": ["member"],
        "active": False,  # the run-time opt-out stays; level from the configuration
        "temporary": False,
    }
    with pytest.raises(PermissionDenied):
        again.set_availability("L", "A", "q", active=True)
    again.set_availability("B", "A", "q", active=True)  # B leads now


def test_runtime_changes_survive_an_unrelated_configuration_change() -> None:
    """add_member, opt-out and set_order outlive a change to other members and queues."""
    cfg = config([LEADER, "A", "B"], strategy="linear")
    eng, clock = engine(cfg)
    for a in "LABD":
        eng.login(a)
    eng.add_member("L", "q", "D", paused=False)
    eng.set_availability("L", "A", "q", active=False)
    eng.set_order("L", "q", ["D", "B", "A", "L"])
    more = {"r": {"members": ["E"]}}
    cfg2 = config([LEADER, "A", {"agent": "B", "level": 2}, "E"], more=more, strategy="linear")
    again = restart(eng, clock, cfg2)
    assert again.agent_info("D")["queues"] == {"q": True}
    assert again.agent_info("A")["queues"] == {"q": False}
    assert again.agent_info("E")["queues"] == {"q": True, "r": True}
    assert again.snapshot()["queues"]["q"]["order"] == ["D", "B", "A", "L", "E"]
    assert members(again)["B"]["level"] == 2
    c = again.arrive("q")
    assert again.call_info(c)["offered"] == ["D"]  # D is first in the leader's order


def test_removing_a_member_keeps_the_round_robin_pointer_on_the_same_agent() -> None:
    cfg = config(["A", "B", "C", "D"], strategy="round_robin")
    eng, clock = engine(cfg)
    for a in "ABCD":
        eng.login(a)
    for _ in range(2):  # A, then B
        c = eng.arrive("q")
        eng.answer(c, eng.call_info(c)["offered"][0])
        eng.end(c)
    again = restart(eng, clock, config(["B", "C", "D"], strategy="round_robin"))
    c = again.arrive("q")
    assert again.call_info(c)["offered"] == ["C"]  # after B, as without the change


# ------------------------------------------------------------------ queues and agents removed


def test_queue_removed_without_calls_is_dropped() -> None:
    more = {"r": {"members": ["A"]}}
    eng, clock = engine(config(["A", "B"], more=more))
    eng.login("A")
    c = eng.arrive("r")
    eng.answer(c, "A")
    eng.end(c)
    again = restart(eng, clock, config(["A", "B"]))
    with pytest.raises(NotFoundError):
        again.stats("r")
    assert again.agent_info("A")["queues"] == {"q": True}
    assert "r" not in again.snapshot()["queues"]


def test_queue_removed_with_calls_is_refused() -> None:
    more = {"r": {"members": ["A"]}}
    eng, clock = engine(config(["A", "B"], more=more))
    eng.login("A")
    eng.answer(eng.arrive("r"), "A")
    eng.arrive("r")
    data = json.loads(json.dumps(eng.snapshot()))
    before = json.loads(json.dumps(data))
    with pytest.raises(ConfigError, match=r"'r'.* 2 call\(s\)") as info:
        QueueEngine.restore(config(["A", "B"]), data, clock=VirtualClock(clock.timestamp()))
    assert info.value.path == "queues.r"
    assert "connected 1" in str(info.value) and "waiting 1" in str(info.value)
    assert data == before  # the snapshot is untouched; restore under the old config works
    assert QueueEngine.restore(eng.config, data, clock=clock).snapshot() == data


def test_queue_new_in_the_configuration_gets_its_members() -> None:
    eng, clock = engine(config(["A"]))
    eng.login("B")
    again = restart(eng, clock, config(["A"], more={"r": {"members": ["B"]}}))
    assert again.stats("r").reachable == 1
    c = again.arrive("r")
    assert again.call_info(c)["offered"] == ["B"]


def test_agent_removed_while_logged_off_is_dropped() -> None:
    eng, clock = engine(config([LEADER, "A", "B"]))
    eng.add_member("L", "q", "C")
    eng.login("A")
    eng.login("C")
    eng.logout("C")
    again = restart(eng, clock, config([LEADER, "A", "B"], agents="LAB"))
    with pytest.raises(NotFoundError):
        again.status("C")
    assert set(members(again)) == {"L", "A", "B"}
    assert set(again.snapshot()["agents"]) == {"L", "A", "B"}


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (lambda e: e.login("C"), "ready"),
        (lambda e: e.answer(e.arrive("q"), "C"), "on_queue_call"),
        (lambda e: e.arrive("q"), "offered"),
    ],
)
def test_agent_removed_while_busy_is_refused(setup: Any, status: str) -> None:
    eng, clock = engine(config(["C", "A"]))
    eng.login("C")
    if status != "ready":
        setup(eng)
    data = json.loads(json.dumps(eng.snapshot()))
    with pytest.raises(ConfigError, match=f"agent 'C' .* {status}") as info:
        QueueEngine.restore(config(["A"], agents="LA"), data, clock=clock)
    assert info.value.path == "agents.C"


# ------------------------------------------------------------------ hand-overs


def _handed_over(taker_member: bool) -> tuple[QueueEngine, VirtualClock, str]:
    """A hands queue q over to B (a member or not) for 60 s, accepted."""
    eng, clock = engine(config(["A", "B"] if taker_member else ["A"]))
    for a in "AB":
        eng.login(a)
    hid = eng.hand_over("A", "q", "B", T0 + 60)
    eng.respond_hand_over(hid, "B", accept=True)
    return eng, clock, hid


def _revert(eng: QueueEngine) -> None:
    clock = eng.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(61)
    eng.advance()


def test_hand_over_whose_giver_is_removed_keeps_the_taker_until_its_end() -> None:
    eng, clock, _ = _handed_over(taker_member=False)
    again = restart(eng, clock, config(["C"]))  # A removed; B was never configured
    assert set(members(again)) == {"B", "C"}
    assert members(again)["B"]["temporary"] is True
    assert again.call_info(again.arrive("q"))["offered"] == ["B"]
    _revert(again)
    assert again.handovers()[0]["state"] == "reverted"
    assert set(members(again)) == {"C"}  # B's temporary membership ended, A not re-added
    assert again.agent_info("A")["queues"] == {}


def test_hand_over_whose_taker_is_removed_keeps_covering_until_its_end() -> None:
    eng, clock, _ = _handed_over(taker_member=True)
    assert eng.agent_info("B")["queues"] == {"q": True}
    again = restart(eng, clock, config(["A"]))
    assert members(again)["B"] == {
        "level": 1,
        "roles": ["member"],
        "active": True,
        "temporary": True,
    }
    assert again.handovers()[0]["added"] is True
    _revert(again)
    assert set(members(again)) == {"A"}
    assert again.agent_info("A")["queues"] == {"q": True}


def test_temporary_taker_added_by_the_configuration_stays_a_member() -> None:
    eng, clock, _ = _handed_over(taker_member=False)
    again = restart(eng, clock, config(["A", {"agent": "B", "level": 2}]))
    assert members(again)["B"] == {
        "level": 2,
        "roles": ["member"],
        "active": True,
        "temporary": False,
    }
    assert again.handovers()[0]["added"] is False
    _revert(again)
    # the hand-over's end opts B out as for a taker who was a member already
    assert again.agent_info("B")["queues"] == {"q": False}
    assert again.agent_info("A")["queues"] == {"q": True}


def test_pending_hand_over_whose_giver_is_removed_is_cancelled() -> None:
    eng, clock = engine(config(["A", "B"]))
    hid = eng.hand_over("A", "q", "B", T0 + 60)
    again = restart(eng, clock, config(["B"]))
    assert again.handovers()[0]["state"] == "cancelled"
    with pytest.raises(InvalidTransition):
        again.respond_hand_over(hid, "B", accept=True)
    # a pending hand-over whose giver stays is kept
    eng2, clock2 = engine(config(["A", "B"]))
    eng2.hand_over("A", "q", "B", T0 + 60)
    again2 = restart(eng2, clock2, config(["A", "B", "C"]))
    assert again2.handovers()[0]["state"] == "pending"
    # one whose taker (logged off) left the configuration is cancelled too
    again3 = restart(eng2, clock2, config(["A"], agents="LA"))
    assert again3.handovers()[0]["state"] == "cancelled"
    assert again3.agent_info("A")["queues"] == {"q": True}


def test_hand_over_on_a_removed_queue_is_cancelled() -> None:
    eng, clock = engine(config(["A"], more={"r": {"members": ["C", "D"]}}))
    hid = eng.hand_over("C", "r", "D", T0 + 60)
    eng.respond_hand_over(hid, "D", accept=True)
    again = restart(eng, clock, config(["A"]))
    assert again.handovers()[0]["state"] == "cancelled"
    _revert(again)  # its timer no longer fires
    assert again.handovers()[0]["state"] == "cancelled"


def test_hand_over_whose_agents_leave_the_configuration() -> None:
    """Logged-off giver and taker removed: the accepted hand-over ends without them."""
    eng, clock, _ = _handed_over(taker_member=False)
    for a in "AB":
        eng.logout(a)
    again = restart(eng, clock, config(["C"], agents="C"))
    assert set(members(again)) == {"C"}
    assert again.handovers()[0]["state"] == "accepted"
    _revert(again)
    assert again.handovers()[0]["state"] == "reverted"


# ------------------------------------------------------------------ reachability and coverage


def test_coverage_gap_opens_when_the_configuration_removes_reachable_members() -> None:
    cov = {"coverage": {"min_reachable": 2, "mode": "warn", "roster": ["C"]}}
    eng, clock = engine(config(["A", "B"], **cov))
    for a in "AB":
        eng.login(a)
    eng.drain()
    bus = EventBus()
    seen: list[Any] = []
    bus.subscribe(CoverageChanged, seen.append)
    # B leaves; D (logged off) comes in, as min_reachable 2 needs two members to be valid
    again = restart(eng, clock, config(["A", "D"], **cov), bus=bus)
    assert again.stats("q").reachable == 1
    assert [(e.reachable, e.ok) for e in seen] == [(1, False)]
    assert [(c.kind, c.agent) for c in again.drain()] == [("escalate", "C")]
    clock2 = again.clock
    assert isinstance(clock2, VirtualClock)
    clock2.advance(30)
    again.advance()
    assert again.coverage_gaps("q", T0, T0 + 100) == [(T0, T0 + 30)]
    # and it closes when the configuration brings B back
    back = restart(again, clock2, config(["A", "B"], **cov))
    assert back.stats("q").reachable == 2
    assert back.coverage_gaps("q", T0, T0 + 100) == [(T0, T0 + 30)]
    assert back.snapshot()["queues"]["q"]["gap_start"] is None


def test_no_reachable_member_left_sends_waiting_calls_to_the_no_agents_action() -> None:
    rule = {"no_agents": {"kind": "voicemail"}, "no_agents_apply_to": "all"}
    eng, clock = engine(config(["A"], more={"r": {"members": ["A", "B"], **rule}}))
    eng.login("A")
    eng.answer(eng.arrive("q"), "A")
    waiting = eng.arrive("r")
    assert eng.call_info(waiting)["state"] == "waiting"
    eng.drain()
    again = restart(eng, clock, config(["A"], more={"r": {"members": ["B"], **rule}}))
    assert waiting not in again.calls()
    (cmd,) = again.drain()
    assert cmd.kind == "action" and cmd.data["reason"] == "no_agents"
    assert again.kpis("r").no_agents == 1


# ------------------------------------------------------------------ the merge rule, fuzzed

AGENTS = "LABCDE"
_BASE_Q = [LEADER, "A", {"agent": "B", "level": 2}, "C"]
_BASE_R = ["D", "E", "A"]


def _cfg(q: list[Any], r: list[Any]) -> QueuesConfig:
    return config(q, more={"r": {"members": r, "ring_timeout": 10}}, ring_timeout=10)


def _event(eng: QueueEngine, clock: VirtualClock, op: tuple[Any, ...]) -> None:
    kind = op[0]
    try:
        if kind == "tick":
            clock.advance(op[1])
            eng.advance()
        elif kind == "agent":
            getattr(eng, op[2])(op[1])
        elif kind == "arrive":
            eng.arrive(op[1])
        elif kind == "add":
            eng.add_member("L", op[1], op[2], level=op[3], paused=op[3] == 2)
        elif kind == "avail":
            eng.set_availability(op[1], op[1], op[2], active=op[3] == 1)
        elif kind == "handover":
            hid = eng.hand_over(op[1], op[2], op[3], clock.timestamp() + 30)
            if op[1] < op[3]:
                eng.respond_hand_over(hid, op[3], accept=True)
        elif eng.calls():
            call = sorted(eng.calls())[op[1] % len(eng.calls())]
            info = eng.call_info(call)
            if kind == "answer" and info["offered"]:
                eng.answer(call, info["offered"][0])
            elif kind == "end":
                eng.end(call)
    except (InvalidTransition, PolicyViolation, NotFoundError, ConfigError, PermissionDenied):
        pass


_agent = st.sampled_from(AGENTS)
_queue = st.sampled_from("qr")
_events = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(0, 20)),
        st.tuples(
            st.just("agent"), _agent, st.sampled_from(["login", "logout", "pause", "resume"])
        ),
        st.tuples(st.just("arrive"), _queue),
        st.tuples(st.sampled_from(["answer", "end"]), st.integers(0, 9)),
        st.tuples(st.just("add"), _queue, _agent, st.integers(1, 2)),
        st.tuples(st.just("avail"), _agent, _queue, st.integers(0, 1)),
        st.tuples(st.just("handover"), _agent, _queue, _agent),
    ),
    max_size=40,
)
_edits = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "level"]), _queue, _agent, st.integers(1, 3)),
    max_size=5,
)


def _edit(members: list[Any], op: str, agent: str, level: int) -> list[Any]:
    as_dicts = [m if isinstance(m, dict) else {"agent": m} for m in members]
    names = [m["agent"] for m in as_dicts]
    if op == "add" and agent not in names:
        return [*as_dicts, {"agent": agent, "level": level, "paused": level == 3}]
    if op == "remove":
        return [m for m in as_dicts if m["agent"] != agent]
    if op == "level":
        return [m | {"level": level} if m["agent"] == agent else m for m in as_dicts]
    return as_dicts


def _expected(
    runtime: dict[str, Any], base: dict[str, Any], new: dict[str, Any], covering: set[str]
) -> dict[str, Any]:
    """The merge rule of QueueEngine.restore, written out independently."""
    out: dict[str, Any] = {}
    for a, m in runtime.items():
        if a in new:
            c = new[a]
            b = base.get(a)
            level = c["level"] if b is None or c["level"] != b["level"] else m["level"]
            roles = c["roles"] if b is None or c["roles"] != b["roles"] else m["roles"]
            out[a] = {"level": level, "roles": roles, "active": m["active"], "temporary": False}
        elif a in base and not m["temporary"]:
            if a in covering:
                out[a] = m | {"roles": ["member"], "temporary": True}
        else:
            out[a] = m
    for a, c in new.items():
        if a not in runtime and a not in base:
            out[a] = {
                "level": c["level"],
                "roles": c["roles"],
                "active": not c["paused"],
                "temporary": False,
            }
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=_events, edits=_edits)
def test_restore_applies_the_merge_rule_and_loses_no_call(
    events: list[tuple[Any, ...]], edits: list[tuple[str, str, str, int]]
) -> None:
    cfg = _cfg(_BASE_Q, _BASE_R)
    clock = VirtualClock(T0)
    eng = QueueEngine(cfg, clock=clock, rng=random.Random(3))
    for a in "LA":
        eng.login(a)
    for op in events:
        _event(eng, clock, op)
    eng.drain()
    new = {"q": list(_BASE_Q), "r": list(_BASE_R)}
    for op, queue, agent, level in edits:
        new[queue] = _edit(new[queue], op, agent, level)
    cfg2 = _cfg(new["q"], new["r"])
    data = json.loads(json.dumps(eng.snapshot()))
    again = QueueEngine.restore(cfg2, data, clock=VirtualClock(clock.timestamp()))
    after = again.snapshot()
    for qid in "qr":
        covering = {
            h["to"] for h in eng.handovers() if h["queue"] == qid and h["state"] == "accepted"
        }
        want = _expected(
            data["queues"][qid]["members"], data["base"][qid], after["base"][qid], covering
        )
        assert after["queues"][qid]["members"] == want, qid
        order = after["queues"][qid]["order"]
        assert sorted(order) == sorted(want)
        kept = [a for a in data["queues"][qid]["order"] if a in want]
        assert order[: len(kept)] == kept  # the run-time order stays; new members last
        members_ = set(want)
        reachable = sum(
            1
            for a in members_
            if want[a]["active"]
            and again.status(a) not in (AgentStatus.LOGGED_OFF, AgentStatus.PAUSED)
        )
        assert again.stats(qid).reachable == reachable
    # no call is lost: the same calls, the same KPIs (no queue or agent was removed)
    assert sorted(again.calls()) == sorted(eng.calls())
    for call in eng.calls():
        before, now = eng.call_info(call), again.call_info(call)
        assert now["queue"] == before["queue"]
        if before["state"] != "waiting":
            assert now == before
    for qid in "qr":  # occupancy is over the members: it may change with them
        assert attrs.evolve(again.kpis(qid), occupancy=None) == attrs.evolve(
            eng.kpis(qid), occupancy=None
        )
    # new offers go only to opted-in members, and every call can still finish
    for _ in range(3):
        again.arrive("q")
    for cmd in again.drain():
        if cmd.kind == "ring":
            assert again.agent_info(cmd.agent)["queues"].get(cmd.queue) is True  # type: ignore[arg-type]
    for call in sorted(again.calls()):
        again.end(call)
    assert again.calls() == []
