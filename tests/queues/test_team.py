"""Team rules: roles and permissions, audit trail, hand-over, coverage rules and gaps."""

from __future__ import annotations

import pytest

from civiccc.errors import InvalidTransition, NotFoundError, PermissionDenied, PolicyViolation
from civiccc.events import EventBus
from civiccc.queues import AgentStatus, CoverageChanged

from .conftest import T0, make, rings

LEADER = [
    {"agent": "L", "roles": ["member", "team_leader"]},
    {"agent": "N", "roles": ["analyst"]},
    "A",
    "B",
]


def test_team_leader_sets_availability_others_denied() -> None:
    """A leader may opt members in/out; a member may only do it for themself; all audited."""
    eng, _ = make({"members": LEADER}, agents="LNAB")
    eng.login("A")
    eng.set_availability("L", "A", "q", active=False)
    assert eng.agent_info("A")["queues"] == {"q": False}
    with pytest.raises(PermissionDenied, match="team_leader"):
        eng.set_availability("B", "A", "q", active=True)
    eng.set_availability("A", "A", "q", active=True)
    assert [(e.actor, e.action, e.target, e.detail) for e in eng.audit] == [
        ("L", "set_availability", "q/A", "out"),
        ("A", "set_availability", "q/A", "in"),
    ]
    assert eng.audit[0].at.timestamp() == T0


def test_order_and_membership_need_a_leader() -> None:
    """Only leaders set the linear order or add members (added paused by default)."""
    eng, _ = make({"members": LEADER, "strategy": "linear"}, agents="LNABC")
    with pytest.raises(PermissionDenied):
        eng.set_order("A", "q", ["B", "A", "L", "N"])
    with pytest.raises(PermissionDenied):
        eng.add_member("N", "q", "C")
    eng.add_member("L", "q", "C")
    eng.login("C")
    c = eng.arrive("q")
    assert eng.call_info(c)["offered"] == []  # C was added paused (opted out)
    eng.set_availability("C", "C", "q", active=True)
    assert eng.call_info(c)["offered"] == ["C"]


def test_kpis_readable_by_analyst_and_leader_only() -> None:
    """KPIs with an actor: analyst and team leader may, a plain member may not."""
    eng, _ = make({"members": LEADER}, agents="LNAB")
    assert eng.kpis("q", actor="N").offered == 0
    assert eng.kpis("q", actor="L").offered == 0
    with pytest.raises(PermissionDenied):
        eng.kpis("q", actor="A")


def test_hand_over_accept_and_automatic_revert() -> None:
    """A hands the hotline to C (not a member) until T0+3600; C accepts; it reverts by itself."""
    eng, clock = make(agents="ABC")
    for a in "ABC":
        eng.login(a)
    hid = eng.hand_over("A", "q", "C", until=T0 + 3600)
    with pytest.raises(PermissionDenied):
        eng.respond_hand_over(hid, "B", accept=True)
    eng.respond_hand_over(hid, "C", accept=True)
    assert eng.agent_info("A")["queues"] == {"q": False}
    assert eng.agent_info("C")["queues"]["q"] is True
    with pytest.raises(InvalidTransition):
        eng.respond_hand_over(hid, "C", accept=False)
    assert eng.next_timer() == T0 + 3600
    clock.advance(3600)
    eng.advance()
    assert eng.agent_info("A")["queues"] == {"q": True}
    assert eng.handovers()[0]["state"] == "reverted"
    actions = [e.action for e in eng.audit]
    assert actions == ["hand_over", "accept_hand_over", "revert_hand_over"]


def test_hand_over_to_non_member_adds_and_removes_membership() -> None:
    """A colleague from outside the queue gets a temporary membership for the hand-over."""
    eng2, clock2 = make({"members": ["A"]}, agents="AB")
    eng2.login("A")
    eng2.login("B")
    hid = eng2.hand_over("A", "q", "B", until=T0 + 60)
    eng2.respond_hand_over(hid, "B", accept=True)
    assert eng2.agent_info("B")["queues"] == {"q": True}
    c = eng2.arrive("q")
    assert rings(eng2) == ["B"]
    eng2.abandon(c)
    clock2.advance(60)
    eng2.advance()
    assert eng2.agent_info("B")["queues"] == {}
    assert eng2.agent_info("A")["queues"] == {"q": True}


def test_a_stand_in_s_own_pending_hand_over_ends_with_their_stand_in_spot() -> None:
    """B stands in for A (temporary member) and passes the spot on to C; when A's hand-over
    ends before C answers, B's pending hand-over is cancelled (was a KeyError on accept)."""
    eng, clock = make({"members": ["A"]}, agents="ABC")
    for a in "ABC":
        eng.login(a)
    first = eng.hand_over("A", "q", "B", until=T0 + 60)
    eng.respond_hand_over(first, "B", accept=True)
    second = eng.hand_over("B", "q", "C", until=T0 + 120)
    clock.advance(60)
    eng.advance()
    states = {h["id"]: h["state"] for h in eng.handovers()}
    assert states == {first: "reverted", second: "cancelled"}
    with pytest.raises(InvalidTransition):
        eng.respond_hand_over(second, "C", accept=True)
    assert ("system", "cancel_hand_over", second) in [
        (e.actor, e.action, e.target) for e in eng.audit
    ]
    assert eng.agent_info("C")["queues"] == {} and eng.agent_info("A")["queues"] == {"q": True}


def test_hand_over_decline_and_errors() -> None:
    """Declining leaves availability as it was; past end times and unknown ids raise."""
    eng, _ = make(agents="AB")
    hid = eng.hand_over("A", "q", "B", until=T0 + 60)
    eng.respond_hand_over(hid, "B", accept=False)
    assert eng.handovers()[0]["state"] == "declined"
    from civiccc.errors import ConfigError

    with pytest.raises(ConfigError):
        eng.hand_over("A", "q", "B", until=T0 - 1)
    with pytest.raises(NotFoundError):
        eng.respond_hand_over("ho99", "B", accept=True)


COVER = {
    "coverage": {"min_reachable": 2, "mode": "refuse", "roster": ["C", "D"], "fallback": "+4930999"}
}


def test_coverage_refuses_breaking_logout() -> None:
    """With at least 2 reachable required, the logout that would leave 1 is refused."""
    eng, _ = make(COVER)
    eng.login("A")
    eng.login("B")
    with pytest.raises(PolicyViolation, match="fewer than 2"):
        eng.logout("A")
    with pytest.raises(PolicyViolation):
        eng.pause("A")
    eng.login("C")
    eng.logout("A")  # 2 remain
    assert eng.status("A") is AgentStatus.LOGGED_OFF


def test_coverage_warn_mode_escalates_and_reports_gaps() -> None:
    """warn: the logout goes through, is audited, the roster is paged, and the gap is reported."""
    bus = EventBus()
    seen: list[CoverageChanged] = []
    bus.subscribe(CoverageChanged, seen.append)
    cover = {"coverage": {**COVER["coverage"], "mode": "warn"}}
    eng, clock = make(cover, bus=bus)
    eng.login("A")
    eng.login("B")
    clock.advance(100)
    eng.logout("A")
    assert eng.audit[-1].action == "coverage_warning"
    esc = [x for x in eng.drain() if x.kind == "escalate"]
    assert [(x.agent, x.present) for x in esc] == [("C", "+15550100")]
    clock.advance(50)
    eng.logout("B")  # coverage was already broken: no new page
    clock.advance(250)
    eng.login("C")
    eng.login("D")
    assert [e.ok for e in seen] == [False, True]
    gaps = eng.coverage_gaps("q", T0, T0 + 1000)
    assert gaps == [(T0 + 100, T0 + 400)]
    assert eng.coverage_gaps("q", T0 + 200, T0 + 300) == [(T0 + 200, T0 + 300)]


def test_coverage_fallback_number_when_roster_exhausted() -> None:
    """When nobody on the roster is logged off (all already on), the fallback number is paged."""
    cover = {
        "coverage": {"min_reachable": 1, "mode": "warn", "roster": ["B"], "fallback": "+4930999"}
    }
    eng, _ = make(cover, agents="AB")
    eng.login("A")
    eng.login("B")
    eng.set_availability("B", "B", "q", active=False)
    eng.drain()
    eng.pause("A")  # coverage lost; B is logged in (not pageable) -> fallback
    esc = [x for x in eng.drain() if x.kind == "escalate"]
    assert [(x.agent, x.data) for x in esc] == [(None, "+4930999")]
