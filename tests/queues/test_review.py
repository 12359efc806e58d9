"""Second-reviewer tests: fuzzed configs, behavioural restore, DST and holidays, determinism.

Written by a second helper on issue 5 against the public API only; they probe what the first
suite checks structurally (e.g. snapshot equality) for behaviour (the restored engine does the
same thing as the original from then on).
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.calendar import Calendar
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition, NotFoundError, PolicyViolation
from civiccc.events import EventBus
from civiccc.queues import AgentStatus, CallLeft, QueueEngine, QueuesConfig

from .conftest import T0, make, rings

VAN = ZoneInfo("America/Vancouver")

# --------------------------------------------------------------------------- config fuzzing

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)
_value = st.recursive(
    _scalar,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=8,
)
_QUEUE_FIELDS = [
    "number",
    "members",
    "strategy",
    "ring_timeout",
    "wrap_up",
    "max_waiting",
    "max_wait",
    "overflow",
    "timeout",
    "no_agents",
    "no_agents_apply_to",
    "level_waits",
    "callback",
    "coverage",
    "calendar",
    "closed",
    "idle_basis",
    "max_no_answer",
    "no_answer_delay",
    "reject_delay",
    "skill_relax",
    "presence_routing",
]


def _located(doc: Any, prefix: str) -> bool:
    """True if ``doc`` loads, or fails with a ConfigError whose path starts with ``prefix``."""
    try:
        QueuesConfig.from_dict(doc)
    except ConfigError as e:
        return e.path is not None and e.path.startswith(prefix)
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_QUEUE_FIELDS), value=_value)
def test_any_bad_queue_field_is_a_located_config_error(field: str, value: Any) -> None:
    """Garbage in a queue field is accepted or a ConfigError naming the queue; never a crash."""
    doc = {
        "agents": {"A": {}, "B": {}},
        "queues": {"q": {"members": ["A", "B"], field: value}},
    }
    assert _located(doc, "queues.q")  # TypeError, KeyError, ... escape and fail the test


_AGENT_FIELDS = ["name", "contacts", "skills", "ring", "ring_timeout", "presence_coupled"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_AGENT_FIELDS), value=_value)
def test_any_bad_agent_field_is_a_located_config_error(field: str, value: Any) -> None:
    doc = {"agents": {"A": {field: value}}, "queues": {"q": {"members": ["A"]}}}
    assert _located(doc, "agents.A")


@settings(max_examples=60, deadline=None)
@given(doc=_value)
def test_any_top_level_document_is_accepted_or_a_config_error(doc: Any) -> None:
    _located(doc, "")


# ------------------------------------------------------------ behavioural snapshot / restore

_CFG = {
    "agents": {
        a: {"contacts": {"desk": f"+1555030{i}"}, "presence_coupled": a == "E"}
        for i, a in enumerate("ABCDE")
    },
    "queues": {
        "q": {
            "number": "+15550100",
            "strategy": "round_robin",
            "members": [{"agent": a, "level": 1 + (a in "DE")} for a in "ABCDE"],
            "ring_timeout": 8,
            "wrap_up": 6,
            "max_no_answer": 2,
            "no_answer_delay": 5,
            "level_waits": [12],
            "max_wait": 50,
            "timeout": {"kind": "voicemail"},
            "callback": {"after_wait": 20, "retry_delay": 30, "max_attempts": 2},
            "coverage": {"min_reachable": 2, "mode": "warn", "roster": ["D", "E"]},
        },
        "r": {
            "number": "+15550200",
            "strategy": "random",
            "members": ["A", "C", "E"],
            "ring_timeout": 10,
            "wrap_up": 3,
            "presence_routing": True,
            "no_agents": {"kind": "voicemail"},
            "no_agents_apply_to": "all",
        },
        "all": {"strategy": "ring_all", "members": ["B", "D"], "ring_timeout": 9},
    },
}


def _step(eng: QueueEngine, clock: VirtualClock, op: tuple[Any, ...]) -> Any:
    """Apply one abstract event; returns what happened (for comparison between engines)."""
    kind = op[0]
    try:
        if kind == "tick":
            clock.advance(op[1])
            return eng.advance()
        if kind == "arrive":
            return eng.arrive(op[1], priority=op[2])
        if kind == "agent":
            getattr(eng, op[2])(op[1])
            return None
        calls = sorted(eng.calls())
        if not calls:
            return None
        call = calls[op[1] % len(calls)]
        info = eng.call_info(call)
        if kind in ("answer", "reject", "no_answer"):
            if not info["offered"]:
                return None
            getattr(eng, kind)(call, info["offered"][op[2] % len(info["offered"])])
        elif kind == "end":
            eng.end(call)
        elif kind == "callback" and info["state"] == "waiting":
            eng.accept_callback(call, "+15559990000")
        elif kind == "cbresult" and info["state"] == "connected" and info["callback"]:
            eng.callback_result(call, reached=bool(op[2] % 2))
        elif kind == "transfer" and info["state"] == "connected":
            targets = [("q", "queue"), ("r", "queue"), ("all", "queue"), ("A", "agent")]
            targets += [("C", "agent"), ("main", "flow"), ("+15551234", "external")]
            to, tkind = targets[op[2] % len(targets)]
            eng.transfer(call, to=to, kind=tkind, mode="consulted" if op[1] % 2 else "blind")
        return None
    except (InvalidTransition, PolicyViolation, NotFoundError) as e:
        return type(e).__name__


def _team_step(eng: QueueEngine, clock: VirtualClock, op: tuple[Any, ...]) -> Any:
    """Hand-overs, presence and opt in/out on top of :func:`_step`."""
    kind = op[0]
    try:
        if kind == "handover":
            return eng.hand_over(op[1], "q", op[2], clock.timestamp() + op[3])
        if kind == "respond":
            pending = [h for h in eng.handovers() if h["state"] == "pending"]
            if pending:
                h = pending[op[1] % len(pending)]
                eng.respond_hand_over(h["id"], h["to"], accept=bool(op[2] % 3))
            return None
        if kind == "presence":
            eng.set_presence(op[1], op[2])
            return None
        if kind == "optout":
            eng.set_availability(op[1], op[1], "q", active=bool(op[2] % 2))
            return None
    except (InvalidTransition, PolicyViolation) as e:
        return type(e).__name__
    except (NotFoundError, ConfigError) as e:  # non-members, hand-over to oneself
        return type(e).__name__
    return _step(eng, clock, op)


_ops = st.one_of(
    st.tuples(st.just("tick"), st.integers(0, 25)),
    st.tuples(st.just("arrive"), st.sampled_from(["q", "r", "all"]), st.integers(1, 5)),
    st.tuples(
        st.just("agent"),
        st.sampled_from("ABCDE"),
        st.sampled_from(["login", "logout", "pause", "resume", "end_wrap_up"]),
    ),
    st.tuples(
        st.sampled_from(
            ["answer", "reject", "no_answer", "end", "callback", "cbresult", "transfer"]
        ),
        st.integers(0, 9),
        st.integers(0, 9),
    ),
)
_team_ops = st.one_of(
    _ops,
    st.tuples(
        st.just("handover"), st.sampled_from("ABCDE"), st.sampled_from("ABCDE"), st.integers(1, 60)
    ),
    st.tuples(st.just("respond"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(
        st.just("presence"),
        st.sampled_from("ABCDE"),
        st.sampled_from(["available", "busy", "dnd", "away", "offline"]),
    ),
    st.tuples(st.just("optout"), st.sampled_from("ABCDE"), st.integers(0, 1)),
)


def _check(eng: QueueEngine) -> None:
    """The issue's invariants, through the public API."""
    ringing: dict[str, int] = {}
    for call in eng.calls():
        info = eng.call_info(call)
        if info["queue"] != "all":
            assert len(info["offered"]) <= 1, info
        for a in info["offered"]:
            assert eng.status(a) is AgentStatus.OFFERED, (a, info)
            ringing[a] = ringing.get(a, 0) + 1
        if info["state"] == "connected":
            assert eng.status(info["agent"]) is AgentStatus.ON_QUEUE_CALL, info
    for a in "ABCDE":
        assert (eng.status(a) is AgentStatus.OFFERED) == (ringing.get(a, 0) == 1), a
    for q in ("q", "r", "all"):
        k = eng.kpis(q)
        outcomes = k.answered + k.abandoned + k.overflow + k.timeout + k.no_agents + k.closed
        assert outcomes + k.callback_failed == k.offered, k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(_team_ops, max_size=30), after=st.lists(_team_ops, max_size=30))
def test_restored_engine_behaves_like_the_original(
    before: list[tuple[Any, ...]], after: list[tuple[Any, ...]]
) -> None:
    """Snapshot (through JSON) at any point; both engines then emit the same commands."""
    cfg = QueuesConfig.from_dict(_CFG)
    clock = VirtualClock(T0)
    eng = QueueEngine(cfg, clock=clock, rng=random.Random(7))
    for a in "ABCDE":
        eng.login(a)
    for op in before:
        _team_step(eng, clock, op)
        _check(eng)
    eng.drain()
    data = json.loads(json.dumps(eng.snapshot()))
    clock2 = VirtualClock(clock.timestamp())
    twin = QueueEngine.restore(cfg, data, clock=clock2)
    for op in after:
        r1 = _team_step(eng, clock, op)
        r2 = _team_step(twin, clock2, op)
        _check(eng)
        assert r1 == r2, op
        assert eng.drain() == twin.drain(), op
        assert eng.next_timer() == twin.next_timer()
    assert sorted(eng.calls()) == sorted(twin.calls())
    for a in "ABCDE":
        assert eng.status(a) is twin.status(a)
    for q in ("q", "r", "all"):
        assert eng.kpis(q) == twin.kpis(q)
        assert eng.stats(q) == twin.stats(q)
    assert eng.handovers() == twin.handovers()


def test_same_seed_same_commands_and_other_seed_may_differ() -> None:
    def run(seed: int) -> list[Any]:
        cfg = QueuesConfig.from_dict(_CFG)
        clock = VirtualClock(T0)
        eng = QueueEngine(cfg, clock=clock, rng=random.Random(seed))
        for a in "ACE":
            eng.login(a)
        out = []
        for _ in range(30):
            call = eng.arrive("r")
            cmds = eng.drain()
            out.extend(cmds)
            for c in cmds:
                if c.kind == "ring":
                    eng.answer(call, c.agent)
                    clock.advance(1)
                    eng.end(call)
                    clock.advance(3)
                    eng.advance()
            out.extend(eng.drain())
        return out

    assert run(3) == run(3)
    picks = {tuple(c.agent for c in run(s) if c.kind == "ring") for s in range(5)}
    assert len(picks) > 1  # the injected rng is really used


# ------------------------------------------------------------------- ring all, vector e.3.1


def test_ring_all_losers_get_no_miss_and_stay_ready() -> None:
    eng, clock = make({"strategy": "ring_all", "max_no_answer": 1})
    for a in "ABCD":
        eng.login(a)
    call = eng.arrive("q")
    assert sorted(rings(eng)) == ["A", "B", "C", "D"]
    clock.advance(3)
    eng.answer(call, "A")
    stops = sorted(c.agent for c in eng.drain() if c.kind == "stop_ringing")
    assert stops == ["B", "C", "D"]
    for a in "BCD":
        assert eng.status(a) is AgentStatus.READY
        assert eng.agent_info(a)["misses"] == 0


def test_one_advance_fires_a_chain_of_ring_timeouts_at_their_own_instants() -> None:
    """Jumping 100 s ahead walks A -> B -> C -> D in ring-timeout steps, then max wait."""
    eng, clock = make(
        {"strategy": "linear", "ring_timeout": 10, "max_wait": 35, "timeout": {"kind": "voicemail"}}
    )
    for a in "ABCD":
        eng.login(a)
    call = eng.arrive("q")
    assert rings(eng) == ["A"]
    clock.advance(100)
    eng.advance()
    cmds = eng.drain()
    assert [c.agent for c in cmds if c.kind == "ring"] == ["B", "C", "D"]
    actions = [c for c in cmds if c.kind == "action"]
    assert len(actions) == 1 and actions[0].call == call
    assert call not in eng.calls()
    assert eng.kpis("q").timeout == 1
    assert eng.next_timer() is None or eng.next_timer() > clock.timestamp()  # type: ignore[operator]


# ------------------------------------------------------------- opening hours: DST, holidays


def _city_calendar() -> Calendar:
    return Calendar.from_dict(
        {
            "id": "city_hall",
            "timezone": "America/Vancouver",
            "hours": {d: [["08:00", "16:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": [], "sun": []},
            "holidays": {"country": "CA", "subdiv": "BC", "categories": ["public"]},
        }
    )


def _hall_engine(at: datetime) -> tuple[QueueEngine, VirtualClock]:
    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {}},
            "queues": {
                "q": {
                    "members": ["A"],
                    "calendar": "city_hall",
                    "closed": {"kind": "voicemail", "message": "closed"},
                }
            },
        }
    )
    clock = VirtualClock(at)
    eng = QueueEngine(cfg, clock=clock, calendars={"city_hall": _city_calendar()})
    eng.login("A")
    return eng, clock


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        # Monday after spring-forward (2026-03-08): 08:30 PDT open, 07:30 closed
        (datetime(2026, 3, 9, 8, 30), True),
        (datetime(2026, 3, 9, 7, 30), False),
        # Monday after fall-back (2026-11-01): 08:05 PST open, 16:45 closed
        (datetime(2026, 11, 2, 8, 5), True),
        (datetime(2026, 11, 2, 16, 45), False),
        # BC holidays on weekdays: Canada Day 2026 (Wed), Christmas 2026 (Fri)
        (datetime(2026, 7, 1, 10, 0), False),
        (datetime(2026, 12, 25, 10, 0), False),
        (datetime(2026, 7, 2, 10, 0), True),
    ],
)
def test_opening_hours_follow_local_time_across_dst_and_holidays(
    local: datetime, is_open: bool
) -> None:
    eng, _ = _hall_engine(local.replace(tzinfo=VAN))
    call = eng.arrive("q")
    cmds = eng.drain()
    if is_open:
        assert [c.kind for c in cmds] == ["ring"]
        assert call in eng.calls()
    else:
        assert [c.kind for c in cmds] == ["action"]
        assert call not in eng.calls()
        assert eng.kpis("q").closed == 1


# ------------------------------------------------------------------ regressions found here


def test_hand_over_reverting_while_the_colleague_rings() -> None:
    """A temporary member whose hand-over ends while ringing: no crash, the call goes on."""
    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {}, "B": {}},
            "queues": {"q": {"members": ["A"], "ring_timeout": 10}, "p": {"members": ["B"]}},
        }
    )
    clock = VirtualClock(T0)
    eng = QueueEngine(cfg, clock=clock)
    eng.login("A")
    eng.login("B")
    h = eng.hand_over("A", "q", "B", T0 + 5)
    eng.respond_hand_over(h, "B", accept=True)
    call = eng.arrive("q")
    assert rings(eng) == ["B"]
    clock.advance(15)
    eng.advance()
    assert [(c.kind, c.agent, c.at - T0) for c in eng.drain()] == [
        ("stop_ringing", "B", 10.0),
        ("ring", "A", 10.0),
    ]
    assert [x["state"] for x in eng.handovers()] == ["reverted"]
    assert eng.agent_info("B")["queues"] == {"p": True}
    eng.answer(call, "A")
    assert eng.call_info(call)["state"] == "connected"


@pytest.mark.parametrize(
    ("to", "kind", "error"),
    [("nowhere", "queue", "NotFoundError"), ("B", "agent", "InvalidTransition")],
)
def test_refused_transfer_leaves_the_call_and_counters_alone(
    to: str, kind: str, error: str
) -> None:
    eng, clock = make({"wrap_up": 5}, agents="AB")
    eng.login("A")
    call = eng.arrive("q")
    eng.drain()
    eng.answer(call, "A")
    clock.advance(30)
    with pytest.raises(Exception) as info:
        eng.transfer(call, to=to, kind=kind)
    assert type(info.value).__name__ == error
    assert eng.call_info(call)["state"] == "connected"
    assert eng.status("A") is AgentStatus.ON_QUEUE_CALL
    k = eng.kpis("q")
    assert (k.transfers, k.offered, k.answered) == (0, 0, 0)
    eng.end(call)
    k = eng.kpis("q")
    assert (k.offered, k.answered, k.handle_time) == (1, 1, 35.0)


def test_escalation_to_the_roster_carries_the_contacts_for_the_adapter() -> None:
    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {}, "R": {"contacts": {"mobile": "+491701110009"}}},
            "queues": {
                "q": {
                    "number": "+4985419699",
                    "members": ["A"],
                    "coverage": {"min_reachable": 1, "mode": "warn", "roster": ["R"]},
                }
            },
        }
    )
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    eng.login("A")
    eng.logout("A")
    (cmd,) = eng.drain()
    assert (cmd.kind, cmd.agent, cmd.contacts, cmd.present) == (
        "escalate",
        "R",
        ("+491701110009",),
        "+4985419699",
    )


def test_failed_callbacks_are_counted_so_outcomes_add_up() -> None:
    eng, clock = make(
        {"ring_timeout": 10, "callback": {"after_wait": 5, "retry_delay": 30, "max_attempts": 2}},
        agents="A",
    )
    bus = EventBus()
    left: list[CallLeft] = []
    bus.subscribe(CallLeft, left.append)
    eng.bus = bus
    eng.login("A")
    first = eng.arrive("q")
    eng.answer(first, "A")
    call = eng.arrive("q")
    clock.advance(6)
    eng.advance()
    eng.accept_callback(call, "+15550000")
    eng.end(first)
    for _ in range(2):
        eng.answer(call, "A")
        assert [c.kind for c in eng.drain()][-1] == "dial_callback"
        eng.callback_result(call, reached=False)
        clock.advance(31)
        eng.advance()
    assert call not in eng.calls()
    k = eng.kpis("q")
    assert (k.offered, k.answered, k.callbacks, k.callback_failed) == (2, 1, 1, 1)
    outcomes = k.answered + k.abandoned + k.overflow + k.timeout + k.no_agents + k.closed
    assert outcomes + k.callback_failed == k.offered
    assert k.unanswered_rate == 0.5
    assert [(e.call, e.outcome) for e in left] == [(call, "callback_failed")]


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"priority": None}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"priority": True}, "priority"),
        ({"priority": 2.5}, "priority"),
        ({"skills": {"fr": "x"}}, "skills.fr"),
        ({"skills": ["fr"]}, "skills"),
    ],
)
def test_bad_arrival_data_is_refused_before_the_call_enters(
    kwargs: dict[str, Any], path: str
) -> None:
    eng, _ = make()
    eng.login("A")
    with pytest.raises(ConfigError) as info:
        eng.arrive("q", **kwargs)
    assert info.value.path == path
    assert eng.calls() == []
    ok = eng.arrive("q", priority=2)  # the engine is unharmed
    assert eng.call_info(ok)["offered"] == ["A"]


def test_hand_over_to_oneself_is_refused() -> None:
    eng, _ = make()
    with pytest.raises(ConfigError):
        eng.hand_over("A", "q", "A", T0 + 60)
    assert eng.handovers() == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("now"),
        lambda d: d.update(agents=3),
        lambda d: d["agents"]["A"].update(status="asleep"),
        lambda d: (
            d["calls"].append({"id": "x"}) if isinstance(d["calls"], list) else d.update(calls=[1])
        ),
    ],
)
def test_a_damaged_snapshot_is_a_config_error(damage: Any) -> None:
    eng, clock = make()
    eng.login("A")
    eng.arrive("q")
    data = json.loads(json.dumps(eng.snapshot()))
    damage(data)
    with pytest.raises(ConfigError) as info:
        QueueEngine.restore(eng.config, data, clock=clock)
    assert info.value.path is not None
    with pytest.raises(ConfigError):
        QueueEngine.restore(eng.config, [], clock=clock)  # type: ignore[arg-type]
