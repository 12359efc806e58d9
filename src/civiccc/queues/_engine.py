"""The one mutable queue engine: explicit events in, adapter commands and bus events out."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from civiccc.clock import Clock, ensure_aware
from civiccc.errors import (
    ConfigError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    PolicyViolation,
)
from civiccc.events import Event, EventBus
from civiccc.queues._messages import (
    AgentStatusChanged,
    AuditEntry,
    CallLeft,
    CallQueued,
    Command,
    CoverageChanged,
)
from civiccc.queues._spec import (
    Action,
    IdleBasis,
    QueuesConfig,
    QueueSpec,
    Role,
    Strategy,
    dial_key,
)
from civiccc.queues._status import TRANSITIONS, AgentStatus, Presence

__all__ = ["Kpis", "QueueEngine", "QueueStats"]

# module constants are Final: the compiled build keeps them in C statics instead of looking
# them up in the module's globals on every use (~9 % of the compiled engine's instructions)
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop

_S: Final = AgentStatus
_READY: Final = AgentStatus.READY
_PAUSED: Final = AgentStatus.PAUSED
_OFFERED: Final = AgentStatus.OFFERED
_ON_QUEUE_CALL: Final = AgentStatus.ON_QUEUE_CALL
_UNREACHABLE: Final = frozenset({AgentStatus.LOGGED_OFF, AgentStatus.PAUSED})

#: the shared empty mapping of a call's exclusions and required skills (never written)
_NOTHING: Final[Mapping[str, Any]] = MappingProxyType({})
#: a call that rings nobody shares this empty list; ringing one replaces it by a list of its own
#: (``_offer1`` appends only to a non-empty list; the stateful test checks it stays empty). A real
#: list, not a tuple cast to one: the compiled build checks the type.
_NO_OFFERS: Final[list[str]] = []

# call states
WAITING: Final = "waiting"
OFFERING: Final = "offering"
CONNECTED: Final = "connected"
_DONE: Final = "done"
# fields of one KPI record (_Queue.records)
_RECORD: Final = 7
# fields of one ring timer in a _Lane
_RING: Final = 5
# a lane's fired entries are cut off once there are this many (and they are most of it)
_LANE_CUT: Final = 4096 * _RING


class _Calendar(Protocol):
    def is_open_ts(self, ts: float, scope: str | None = None) -> bool: ...

    def next_open(self, t: datetime, scope: str | None = None) -> datetime | None: ...


class _Agent:
    __slots__ = (
        "answered",
        "auto",
        "blocked_until",
        "call",
        "contacts",
        "id",
        "idle_since",
        "misses",
        "mships",
        "presence",
        "ready_since",
        "reason",
        "ring_timeout",
        "seq",
        "since",
        "spec",
        "status",
        "talk",
        "time_in",
        "token",
    )

    def __init__(self, spec: Any, seq: int) -> None:
        self.id: str = spec.id
        self.spec = spec
        self.seq = seq
        self.status = _S.LOGGED_OFF
        self.reason: str | None = None
        self.presence = Presence.AVAILABLE
        self.idle_since = 0.0
        self.ready_since = 0.0
        self.since = 0.0
        self.blocked_until = 0.0
        self.misses = 0
        self.token = 0
        self.call: str | None = None
        self.answered: dict[str, int] = {}
        self.talk: dict[str, float] = {}
        self.time_in: dict[str, float] = {}
        by_kind = {c.kind: c.number for c in spec.contacts}
        self.contacts: tuple[str, ...] = tuple(by_kind[k] for k in spec.ring if k in by_kind)
        self.ring_timeout: float | None = spec.ring_timeout
        self.auto: bool = spec.auto_accept
        # (queue, membership) in the order of the engine's agent -> queues index
        self.mships: list[tuple[_Queue, _Membership]] = []


class _Membership:
    __slots__ = ("active", "level", "roles", "temporary")

    def __init__(self, level: int, roles: frozenset[Role], active: bool, temporary: bool) -> None:
        self.level = level
        self.roles = roles
        self.active = active
        self.temporary = temporary


class _Lane:
    """The ring timers of one ring timeout, flat in the order they were set (``_RING`` fields
    each: when, tseq, call, agent, gen). With one timeout, the order they were set in is the
    order they fall due, so a lane needs no heap; the entries are plain floats, ints and
    strings, which the garbage collector does not track (a timer tuple an offer was ~6 % of
    the dispatch benchmark's time, nearly all of it in collections)."""

    __slots__ = ("head", "items", "last")

    def __init__(self) -> None:
        self.head = 0  # index of the first entry not yet fired or discarded
        self.items: list[Any] = []
        self.last = -math.inf  # when of the latest entry appended


class _Call:
    __slots__ = (
        "agent",
        "answered_at",
        "arrived",
        "attempts",
        "callback",
        "caller",
        "cb_offer",
        "consult",
        "entered",
        "excluded",
        "gen",
        "history",
        "id",
        "last_pos",
        "offered",
        "priority",
        "queue",
        "seq",
        "skills",
        "state",
        "timeout_due",
        "transfers",
    )
    cb_offer: int  # set only once a callback is offered (see __init__)

    def __init__(
        self, cid: str, queue: str, priority: int, now: float, seq: int, caller: str | None
    ) -> None:
        self.id = cid
        self.queue = queue
        self.priority = priority
        self.arrived = now
        self.entered = now
        self.seq = seq
        self.state = WAITING
        self.offered: list[str] = _NO_OFFERS
        self.excluded: Mapping[str, float] = _NOTHING  # copied on write (_exclude)
        self.agent: str | None = None
        self.answered_at: float | None = None
        self.history: list[Any] = [("queued", now, queue)]
        self.callback: str | None = None
        self.attempts = 0
        self.last_pos = -1
        self.gen = 0
        self.timeout_due = False
        self.transfers = 0
        self.consult: str | None = None
        self.skills: Mapping[str, int] = _NOTHING
        self.caller = caller
        # cb_offer (the seq of the queue visit in which a callback was offered) is left unset
        # until an offer is made, so that a call costs nothing more to create; read it with
        # _callback_offered(c)


class _Queue:
    __slots__ = (
        "aht",
        "by_ready",
        "counters",
        "fast",
        "gap_start",
        "gaps",
        "idle_heap",
        "lane",
        "max_wait",
        "members",
        "n_reachable",
        "n_waiting",
        "number",
        "order",
        "plain",
        "qid",
        "records",
        "ring_timeout",
        "roster_pos",
        "rr_last",
        "simple",
        "spec",
        "waiting",
        "wrap_up",
    )

    def __init__(self, spec: QueueSpec, lane: _Lane) -> None:
        self.spec = spec
        # the spec's fields the hot paths read, as plain (in the compiled build: native) slots
        self.qid: str = spec.id
        self.number: str = spec.number
        self.wrap_up: float = spec.wrap_up
        self.max_wait: float | None = spec.max_wait
        self.ring_timeout: float = spec.ring_timeout
        self.lane = lane  # of its ring timeout, shared with the engine's (_lane_for)
        self.members: dict[str, _Membership] = {}
        self.order: list[str] = []
        self.rr_last = -1
        self.waiting: list[tuple[int, float, int, str]] = []
        self.idle_heap: list[tuple[int, float, int, int, str]] = []
        self.n_waiting = 0
        self.n_reachable = 0
        self.aht = spec.default_handle_time
        self.counters: dict[str, int] = {}
        # KPI records of the calls that left the queue, flat: _RECORD fields a call (entered,
        # outcome, wait, handle time, call id, transferred, callback) one after another, so
        # that a record adds no object the garbage collector tracks (a tuple a call did: ~8 %
        # of the dispatch benchmark, in collections); _rows() gives them back as tuples
        self.records: list[Any] = []
        self.gap_start: float | None = None
        self.gaps: list[list[float]] = []
        self.roster_pos = 0
        self.fast = spec.strategy is Strategy.LONGEST_IDLE
        self.by_ready = spec.idle_basis is IdleBasis.READY_SINCE
        # longest idle with no per-call gating: the agent-side fast path applies
        self.plain = self.fast and not spec.level_waits and not spec.presence_routing
        # plain, and a new call can only be refused or held back by the agent heap
        self.simple = (
            self.plain
            and spec.calendar is None
            and spec.max_waiting is None
            and spec.no_agents is None
            and spec.callback is None
        )


@attrs.frozen(kw_only=True)
class QueueStats:
    """Real-time figures of one queue."""

    queue: str
    waiting: int
    longest_wait: float
    agents: Mapping[str, int]
    reachable: int
    estimated_wait: float


@attrs.frozen(kw_only=True)
class Kpis:
    """Cumulative figures of one queue over a window (see docs/queues.md for definitions)."""

    queue: str
    offered: int
    answered: int
    abandoned: int
    abandoned_short: int
    service_level: float | None
    service_level_with_abandons: float | None
    asa: float | None
    handle_time: float | None
    occupancy: float | None
    callbacks: int
    overflow: int
    timeout: int
    no_agents: int
    closed: int
    transfers: int
    unanswered_rate: float | None
    callback_failed: int = 0


def _ts(t: object, what: str, *, finite: bool = True) -> float:
    """Epoch seconds of an aware datetime or a number; NaN (and, if ``finite``, ±inf) refused.

    ``t`` is typed ``object``: the compiled build trusts annotations, so a value checked here
    must not be declared as what it should be (it would be converted, or refused with a bare
    ``TypeError``, before the check)."""
    if isinstance(t, datetime):
        return ensure_aware(t, what).timestamp()
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        msg = f"{what} must be an aware datetime or epoch seconds (a number)"
        raise ConfigError(msg, path=what, value=t)
    ts = float(t)
    if ts != ts or (finite and not math.isfinite(ts)):
        raise ConfigError(f"{what} must be a finite time, not {ts!r}", path=what, value=t)
    return ts


def _check_priority(priority: Any, call_queue: str) -> None:
    """Refuse a priority that is not an integer 1 (very high) .. 5 (off the hot path)."""
    if isinstance(priority, bool) or not isinstance(priority, int):
        msg = "priority must be an integer 1 (very high) .. 5, 3 = normal"
        raise ConfigError(msg, path="priority", node=call_queue, value=priority)
    if not 1 <= priority <= 5:
        msg = f"priority {priority} is out of range: 1 (very high) .. 5, 3 = normal"
        raise ConfigError(msg, path="priority", node=call_queue, value=priority)


def _check_skills(skills: Any, call_queue: str) -> None:
    """Refuse required skills that are not ``{skill: level 1..3}``."""
    if not isinstance(skills, Mapping):
        raise ConfigError(
            "skills must map skill -> level", path="skills", node=call_queue, value=skills
        )
    for sk, lv in skills.items():
        if not isinstance(sk, str) or not sk:
            msg = "a skill is named by a non-empty string"
            raise ConfigError(msg, path="skills", node=call_queue, value=sk)
        if isinstance(lv, bool) or not isinstance(lv, int) or not 1 <= lv <= 3:
            msg = "a required skill level is an integer 1..3 (as agents' skills)"
            raise ConfigError(msg, path=f"skills.{sk}", node=call_queue, value=lv)


class QueueEngine:
    """Hotline queues and agent presence, driven by explicit events.

    Args:
        config: The frozen :class:`QueuesConfig`.
        clock: Where "now" comes from (``VirtualClock`` in tests and the simulator).
        bus: Optional :class:`~civiccc.events.EventBus` for :class:`CallQueued`, :class:`CallLeft`,
            :class:`AgentStatusChanged`, :class:`CoverageChanged` and :class:`AuditEntry`.
        calendars: Calendars by id for queue opening hours (``cal.is_open_ts``).
        rng: The ``random.Random`` used by the random strategy (never the global one).

    Every event method first fires the timers that are due, so callers that only push events
    see the same behaviour as callers that also call :meth:`advance`.
    """

    def __init__(
        self,
        config: QueuesConfig,
        *,
        clock: Clock,
        bus: EventBus | None = None,
        calendars: Mapping[str, _Calendar] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.bus = bus
        self.calendars = dict(calendars or {})
        self.rng = rng if rng is not None else random.Random(0)
        self._stamp = getattr(clock, "timestamp", None)
        # "now" as epoch seconds: the clock's own timestamp() when it has one (VirtualClock)
        self._clock_now: Callable[[], float] = (
            self._stamp if self._stamp is not None else self._clock_ts
        )
        self._seq = 0
        self._tseq = 0
        # offer generations, unique engine-wide: a stale ring timer of an ended call can never
        # match a later call that reuses its id
        self._gen = 0
        self._call_no = 0
        self._now = self._clock_ts()
        self._agents: dict[str, _Agent] = {}
        self._queues: dict[str, _Queue] = {}
        self._calls: dict[str, _Call] = {}
        # timers: a heap of (when, tseq, kind, a, b, token), and the ring timers in one lane
        # per ring timeout; _due is at most the earliest of them all (inf: none), so that
        # events check one float
        self._timers: list[tuple[float, int, str, str, str, int]] = []
        self._lanes: dict[float, _Lane] = {}
        self._due = math.inf
        self._out: list[Command] = []
        self._handovers: dict[str, dict[str, Any]] = {}
        self.audit: list[AuditEntry] = []
        for qid in config.queues:
            cal = config.queues[qid].calendar
            if cal is not None and cal not in self.calendars:
                msg = f"calendar {cal!r} not given to the engine"
                raise ConfigError(msg, path=f"queues.{qid}.calendar", node=qid)
        for i, spec in enumerate(config.agents.values()):
            self._agents[spec.id] = _Agent(spec, i)
        for qspec in config.queues.values():
            q = _Queue(qspec, self._lane_for(qspec.ring_timeout))
            for m in qspec.members:
                q.members[m.agent] = _Membership(m.level, m.roles, not m.paused, False)
                q.order.append(m.agent)
            self._queues[qspec.id] = q
        self._agent_queues: dict[str, list[str]] = {a: [] for a in self._agents}
        for qid, q in self._queues.items():
            for a in q.members:
                self._agent_queues[a].append(qid)
        self._any_coverage = any(q.spec.coverage is not None for q in self._queues.values())
        for ag in self._agents.values():
            self._link(ag)

    def _link(self, ag: _Agent) -> None:
        """Rebuild ``ag.mships`` from the agent -> queues index (after membership changes)."""
        queues = self._queues
        aid = ag.id
        ag.mships = [(queues[qid], queues[qid].members[aid]) for qid in self._agent_queues[aid]]

    # ------------------------------------------------------------------ time and timers
    def _clock_ts(self) -> float:
        if self._stamp is not None:
            return float(self._stamp())
        return self.clock.now().timestamp()

    def _sync(self) -> float:
        now: float = self._clock_now()  # the inlined copies in arrive/answer/end match this
        if now < self._now:  # advance(now) ran ahead of the clock: never go back
            now = self._now
        if self._due <= now:
            self._fire(now)
        self._now = now
        return now

    def next_timer(self) -> float | None:
        """Epoch seconds of the next pending timer (``None``: nothing scheduled).

        Stale timers (e.g. a ring timeout of a call already answered) are discarded first.
        """
        timers = self._timers
        while timers and not self._timer_live(timers[0]):
            _heappop(timers)
        due = float(timers[0][0]) if timers else math.inf  # restored: maybe an int
        for lane in self._lanes.values():
            items = lane.items
            while lane.head < len(items) and not self._timer_live(_lane_entry(items, lane.head)):
                lane.head += _RING
            _cut(lane)
            if lane.head < len(items) and items[lane.head] < due:
                due = float(items[lane.head])
        self._due = due
        return None if due == math.inf else due

    def advance(self, now: datetime | float | None = None) -> int:
        """Fire every timer due at or before ``now`` (default: the clock); return how many."""
        t = self._clock_ts() if now is None else _ts(now, "now")
        n = self._fire(t)
        self._now = max(self._now, t)
        return n

    def _timer(self, when: float, kind: str, a: str, b: str = "", token: int = 0) -> None:
        self._tseq += 1
        _heappush(self._timers, (when, self._tseq, kind, a, b, token))
        if when < self._due:
            self._due = when

    def _lane_for(self, timeout: float) -> _Lane:
        lane = self._lanes.get(timeout)
        if lane is None:
            lane = self._lanes[timeout] = _Lane()
        return lane

    def _earliest(self) -> float:
        """When the earliest pending timer (live or stale) is due; inf with none."""
        timers = self._timers
        due = timers[0][0] if timers else math.inf
        for lane in self._lanes.values():
            if lane.head < len(lane.items) and lane.items[lane.head] < due:
                due = lane.items[lane.head]
        return float(due)

    def _pop_due(self, now: float) -> tuple[float, int, str, str, str, int] | None:
        """Take the earliest timer due at or before ``now`` (by when, then tseq) or None."""
        timers = self._timers
        best: tuple[float, int] | None = None
        if timers and timers[0][0] <= now:
            best = (timers[0][0], timers[0][1])
        best_lane: _Lane | None = None
        for lane in self._lanes.values():
            items, h = lane.items, lane.head
            if h < len(items) and items[h] <= now:
                key = (items[h], items[h + 1])
                if best is None or key < best:
                    best, best_lane = key, lane
        if best_lane is None:
            return None if best is None else _heappop(timers)
        items, h = best_lane.items, best_lane.head
        entry = _lane_entry(items, h)
        best_lane.head = h + _RING
        _cut(best_lane)
        return entry

    def _pending_timers(self) -> list[tuple[float, int, str, str, str, int]]:
        """Every pending timer (heap and lanes), in firing order."""
        out = list(self._timers)
        for lane in self._lanes.values():
            items = lane.items
            out.extend(_lane_entry(items, h) for h in range(lane.head, len(items), _RING))
        out.sort()
        return out

    def _timer_live(self, t: tuple[float, int, str, str, str, int]) -> bool:
        _, _, kind, a, b, token = t
        if kind == "ring":
            c = self._calls.get(a)
            return c is not None and c.state == OFFERING and b in c.offered and c.gen == token
        if kind == "wrap":
            ag = self._agents[a]
            return ag.status == _S.WRAP_UP and ag.token == token
        if kind in ("max_wait", "recheck", "cb_offer"):
            c = self._calls.get(a)
            return c is not None and c.state in (WAITING, OFFERING) and c.queue == b
        if kind == "cb_retry":
            return a in self._calls
        if kind == "handover":
            return self._handovers.get(a, {}).get("state") == "accepted"
        return True  # unblock

    def _fire(self, now: float) -> int:
        n = 0
        while True:
            entry = self._pop_due(now)
            if entry is None:
                break
            if not self._timer_live(entry):
                continue
            when, _, kind, a, b, _token = entry
            self._now = when
            n += 1
            if kind == "ring":
                self._no_answer(self._calls[a], self._agents[b], counted=True)
            elif kind == "wrap":
                self._set(self._agents[a], "wrap_up_end")
                self._agent_freed(self._agents[a])
            elif kind == "max_wait":
                c = self._calls[a]
                if c.state == OFFERING:
                    c.timeout_due = True  # decided when the ringing ends (FreeSWITCH)
                else:
                    self._leave_by_action(c, "timeout", self._queues[b].spec.timeout)
            elif kind == "recheck" or kind == "unblock":
                self._dispatch(self._queues[b] if b else None, a if kind == "unblock" else None)
            elif kind == "cb_offer":
                c = self._calls[a]
                if c.callback is None:
                    self._offer_callback(c)
            elif kind == "cb_retry":
                self._callback_retry(self._calls[a])
            elif kind == "handover":
                self._revert_handover(a)
        self._due = self._earliest()
        return n

    # ------------------------------------------------------------------ outputs
    def _cmd(self, kind: str, **kw: Any) -> None:
        self._out.append(Command(kind, self._now, **kw))

    def drain(self) -> list[Command]:
        """Return and forget the commands emitted since the last call."""
        out, self._out = self._out, []
        return out

    def _publish(self, etype: type[Event], **kw: Any) -> None:
        bus = self.bus
        if bus is not None and bus.has_subscribers(etype):
            bus.publish(etype(at=_dt_of(self._now), **kw))

    def _audit(self, actor: str, action: str, target: str, detail: str = "") -> None:
        entry = AuditEntry(
            at=_dt_of(self._now), actor=actor, action=action, target=target, detail=detail
        )
        self.audit.append(entry)
        if self.bus is not None:
            self.bus.publish(entry)

    # ------------------------------------------------------------------ lookups
    def _agent(self, agent: str) -> _Agent:
        try:
            return self._agents[agent]
        except KeyError:
            raise NotFoundError(f"unknown agent {agent!r}") from None

    def _queue(self, queue: str) -> _Queue:
        try:
            return self._queues[queue]
        except KeyError:
            raise NotFoundError(f"unknown queue {queue!r}") from None

    def _call(self, call: str) -> _Call:
        try:
            return self._calls[call]
        except KeyError:
            raise NotFoundError(f"unknown or finished call {call!r}") from None

    # ------------------------------------------------------------------ agent status core
    def _set(
        self, ag: _Agent, event: str, reason: str | None = None, *, index: bool = True
    ) -> None:
        old = ag.status
        new = TRANSITIONS.get((old, event))
        if new is None:
            raise InvalidTransition("agent", str(old), event, ag.id)
        now = self._now
        time_in = ag.time_in
        time_in[old] = time_in.get(old, 0.0) + (now - ag.since)
        ag.since = now
        ag.status = new
        ag.reason = reason if new is _PAUSED else None
        if (old in _UNREACHABLE) is not (new in _UNREACHABLE):
            delta = -1 if new in _UNREACHABLE else 1
            for q, m in ag.mships:
                if m.active:
                    self._reach(q, delta)
        if new is _READY:
            ag.token += 1
            ag.ready_since = now
            if index:
                self._index_agent(ag)
        elif old is _READY:
            ag.token += 1
        if self.bus is not None:
            self._status_changed(ag, old, new, reason)

    def _status_changed(
        self, ag: _Agent, old: AgentStatus, new: AgentStatus, reason: str | None
    ) -> None:
        bus = self.bus
        if bus is not None and bus.has_subscribers(AgentStatusChanged):
            bus.publish(
                AgentStatusChanged(
                    at=_dt_of(self._now), agent=ag.id, old=str(old), new=str(new), reason=reason
                )
            )

    def _index_agent(self, ag: _Agent) -> None:
        key = ag.idle_since
        tok = ag.token
        aid = ag.id
        seq = ag.seq
        push = _heappush
        for q, m in ag.mships:
            if q.fast and m.active:
                push(q.idle_heap, (m.level, ag.ready_since if q.by_ready else key, seq, tok, aid))

    def _reach(self, q: _Queue, delta: int) -> None:
        before = q.n_reachable
        q.n_reachable = after = before + delta
        cov = q.spec.coverage
        if cov is not None:
            k = cov.min_reachable
            if before >= k > after:
                q.gap_start = self._now
                self._publish(
                    CoverageChanged, queue=q.spec.id, reachable=after, required=k, ok=False
                )
                self._escalate(q)
            elif before < k <= after and q.gap_start is not None:
                q.gaps.append([q.gap_start, self._now])
                q.gap_start = None
                self._publish(
                    CoverageChanged, queue=q.spec.id, reachable=after, required=k, ok=True
                )
        if (
            after == 0
            and delta < 0
            and q.spec.no_agents is not None
            and q.spec.no_agents_apply_to == "all"
        ):
            for c in self._waiting_calls(q):
                self._leave_by_action(c, "no_agents", q.spec.no_agents)

    def _escalate(self, q: _Queue) -> None:
        cov = q.spec.coverage
        assert cov is not None
        roster = cov.roster
        for i in range(len(roster)):
            aid = roster[(q.roster_pos + i) % len(roster)]
            if self._agents[aid].status == _S.LOGGED_OFF:
                q.roster_pos = (q.roster_pos + i + 1) % len(roster)
                self._cmd(
                    "escalate",
                    queue=q.spec.id,
                    agent=aid,
                    contacts=self._agents[aid].contacts,  # to the adapter only, as for ring
                    present=q.spec.number,
                )
                return
        if cov.fallback:
            self._cmd("escalate", queue=q.spec.id, data=cov.fallback, present=q.spec.number)

    def _check_coverage(self, ag: _Agent, queues: list[str], by: str | None, what: str) -> None:
        """Refuse (or warn about) a change that takes ``ag`` out of ``queues``."""
        for qid in queues:
            q = self._queues[qid]
            cov = q.spec.coverage
            m = q.members.get(ag.id)
            if cov is None or m is None or not m.active:
                continue
            if ag.status in (_S.LOGGED_OFF, _S.PAUSED):
                continue
            if q.n_reachable - 1 < cov.min_reachable:
                text = (
                    f"{what} of {ag.id!r} would leave queue {qid!r} with "
                    f"{q.n_reachable - 1} reachable member(s), fewer than {cov.min_reachable}"
                )
                if cov.mode == "refuse":
                    raise PolicyViolation(text)
                self._audit(by or ag.id, "coverage_warning", qid, text)

    # ------------------------------------------------------------------ agent API
    def login(
        self, agent: str, *, paused: bool = False, via: str = "app", by: str | None = None
    ) -> None:
        """Log ``agent`` in (ready, or paused when ``paused``). Fewest-calls/talk counters reset."""
        self._sync()
        ag = self._agent(agent)
        self._set(ag, "login_paused" if paused else "login", "login paused" if paused else None)
        ag.answered.clear()
        ag.talk.clear()
        ag.misses = 0
        if by is not None or via != "app":
            self._audit(by or agent, "login", agent, via)
        if not paused:
            self._agent_freed(ag)

    def logout(self, agent: str, *, via: str = "app", by: str | None = None) -> None:
        """Log ``agent`` out; refused (PolicyViolation) or warned when it breaks coverage."""
        self._sync()
        ag = self._agent(agent)
        if (ag.status, "logout") not in TRANSITIONS:
            raise InvalidTransition("agent", str(ag.status), "logout", agent)
        if self._any_coverage:
            self._check_coverage(ag, self._agent_queues[agent], by, "logout")
        self._set(ag, "logout")
        if by is not None or via != "app":
            self._audit(by or agent, "logout", agent, via)

    def pause(self, agent: str, reason: str = "break", *, by: str | None = None) -> None:
        """Put ``agent`` on break with a reason (from ready, wrap-up or an earlier pause)."""
        self._sync()
        ag = self._agent(agent)
        if (ag.status, "pause") not in TRANSITIONS:
            raise InvalidTransition("agent", str(ag.status), "pause", agent)
        if self._any_coverage:
            self._check_coverage(ag, self._agent_queues[agent], by, "pause")
        self._set(ag, "pause", reason)

    def resume(self, agent: str) -> None:
        """End a pause: the agent becomes ready."""
        self._sync()
        ag = self._agent(agent)
        self._set(ag, "resume")
        ag.misses = 0
        self._agent_freed(ag)

    def start_wrap_up(self, agent: str) -> None:
        """Start follow-up by hand (no timer: it lasts until :meth:`end_wrap_up`)."""
        self._sync()
        ag = self._agent(agent)
        self._set(ag, "wrap_up_start")

    def end_wrap_up(self, agent: str) -> None:
        """End follow-up (early, or a manual one)."""
        self._sync()
        ag = self._agent(agent)
        self._set(ag, "wrap_up_end")
        self._agent_freed(ag)

    def other_call(self, agent: str, *, active: bool) -> None:
        """The agent starts (``active=True``) or ends a non-queue call; busy agents are skipped."""
        self._sync()
        ag = self._agent(agent)
        self._set(ag, "other_call_start" if active else "other_call_end")
        if not active:
            self._agent_freed(ag)

    def set_presence(self, agent: str, presence: Presence | str) -> None:
        """Feed the external presence; coupled agents follow it (see docs)."""
        self._sync()
        ag = self._agent(agent)
        try:
            p = Presence(presence)
        except ValueError:
            raise ConfigError(
                f"unknown presence {presence!r}", path="presence", value=presence
            ) from None
        ag.presence = p
        if ag.spec.presence_coupled:
            st = ag.status
            if p is Presence.OFFLINE and (st, "logout") in TRANSITIONS:
                self._set(ag, "logout")
            elif p in (Presence.DND, Presence.AWAY, Presence.BUSY) and st in (_READY, _S.WRAP_UP):
                self._set(ag, "pause", f"presence:{p}")
            elif (
                p is Presence.AVAILABLE
                and st == _S.PAUSED
                and (ag.reason or "").startswith("presence:")
            ):
                self._set(ag, "resume")
            elif p is Presence.AVAILABLE and st == _S.LOGGED_OFF:
                self._set(ag, "login")
        if p is Presence.AVAILABLE and ag.status == _READY:
            self._agent_freed(ag)

    def feature_code(self, number: str, code: str) -> str:
        """Log in/out or pause by phone: ``code`` dialled from the agent's ``number``.

        Numbers match by their digits and a leading ``+`` (``+1 555 0200`` is ``+15550200``;
        a national form is not matched to an international one). Returns the agent id.
        Unknown numbers raise NotFoundError, unknown codes ConfigError
        (with ``feature_codes: {}`` every code is unknown). A number that several agents share
        (a team mobile) cannot tell who dialled: ConfigError naming the number and the agents,
        and nothing changes (they log in by app instead).
        """
        action = self.config.feature_codes.get(code)
        if action is None:
            raise ConfigError(f"unknown feature code {code!r}", path="feature_codes", value=code)
        key = dial_key(number)
        found = [
            ag
            for ag in self._agents.values()
            if any(dial_key(c.number) == key for c in ag.spec.contacts)
        ]
        if not found:
            raise NotFoundError("no agent has this number")
        if len(found) > 1:
            names = ", ".join(repr(a.id) for a in found)
            raise ConfigError(
                f"{number!r} is a contact number of several agents ({names}): a feature code "
                "dialled from it cannot tell who dialled; log in by app instead",
                path="number",
                value=number,
            )
        ag = found[0]
        if action == "login":
            self.login(ag.id, via="phone")
        elif action == "logout":
            self.logout(ag.id, via="phone")
        elif action == "pause":
            self.pause(ag.id, "phone")
        else:
            self.resume(ag.id)
        return ag.id

    def _agent_freed(self, ag: _Agent, *, indexed: bool = True) -> None:
        if ag.status is not _READY:
            return
        calls = self._calls
        best: tuple[int, float, int, str] | None = None
        best_q: _Queue | None = None
        best_c: _Call | None = None
        simple = ag.blocked_until <= self._now
        slow: list[tuple[tuple[int, float, int, str], _Queue]] | None = None
        for q, m in ag.mships:
            if not q.n_waiting or not m.active:
                continue
            # the head waiting call (lazy invalidation of finished/moved entries; a call's
            # seq changes whenever it enters a queue, so a matching seq means this queue)
            w = q.waiting
            h = None
            while w:
                h = w[0]
                c = calls.get(h[3])
                if c is not None and c.seq == h[2] and c.state == WAITING:
                    break
                _heappop(w)
                h = None
            if h is None:
                continue
            if simple and q.plain and not c.excluded and not c.skills:  # type: ignore[union-attr]
                if best is None or h < best:
                    best, best_q, best_c = h, q, c
            elif slow is None:
                slow = [(h, q)]
            else:
                slow.append((h, q))
        if (slow or best is None) and not indexed:
            self._index_agent(ag)
        if slow:
            if best is not None and best_q is not None:
                slow.append((best, best_q))
            slow.sort(key=lambda hq: hq[0])
            for _, q in slow:
                if ag.status is not _READY:
                    break
                self._dispatch(q, None)
            return
        if best_q is None or best_c is None:
            return
        # fast path: with no gating, a waiting call means no other eligible agent is ready in
        # that queue, so the freed agent takes the best head call of its queues
        _heappop(best_q.waiting)
        best_q.n_waiting -= 1
        best_c.state = OFFERING
        best_c.gen = self._gen = self._gen + 1
        self._offer1(best_q, best_c, ag)

    # ------------------------------------------------------------------ team rules
    def _require(self, actor: str, queue: str, roles: tuple[Role, ...], what: str) -> _Queue:
        q = self._queue(queue)
        m = q.members.get(actor)
        if m is None or not any(r in m.roles for r in roles):
            need = " or ".join(r.value for r in roles)
            raise PermissionDenied(f"{actor!r} may not {what} on queue {queue!r} (needs {need})")
        return q

    def set_availability(self, actor: str, agent: str, queue: str, *, active: bool) -> None:
        """Opt ``agent`` in/out of ``queue`` (by themself, or by a team leader of the queue)."""
        self._sync()
        q = self._queue(queue)
        if actor != agent:
            self._require(actor, queue, (Role.TEAM_LEADER,), "set availability")
        if agent not in q.members:
            raise NotFoundError(f"{agent!r} is not a member of queue {queue!r}")
        ag = self._agent(agent)
        if not active:
            self._check_coverage(ag, [queue], actor, "opt-out")
        self._set_active(q, ag, active)
        self._audit(actor, "set_availability", f"{queue}/{agent}", "in" if active else "out")

    def _set_active(self, q: _Queue, ag: _Agent, active: bool) -> None:
        m = q.members[ag.id]
        if m.active == active:
            return
        m.active = active
        if ag.status not in (_S.LOGGED_OFF, _S.PAUSED):
            self._reach(q, 1 if active else -1)
        if active and ag.status == _READY:
            ag.token += 1
            self._index_agent(ag)
            self._agent_freed(ag)

    def set_order(self, actor: str, queue: str, order: list[str]) -> None:
        """Set the linear / round-robin order (team leaders only).

        Round robin: the queue-wide pointer stays with the agent last offered a call, so the
        next call goes to the agent after them in the new order (see docs/queues.md).
        """
        self._sync()
        q = self._require(actor, queue, (Role.TEAM_LEADER,), "set the order")
        if sorted(order) != sorted(q.order):
            raise ConfigError(
                "order must list exactly the queue's members",
                path=f"queues.{queue}.order",
                value=order,
            )
        old = q.order
        q.order = list(order)
        self._repoint(q, old)
        self._audit(actor, "set_order", queue, ",".join(order))

    def add_member(
        self, actor: str, queue: str, agent: str, *, level: int = 1, paused: bool = True
    ) -> None:
        """Add ``agent`` to ``queue`` (paused by default, i.e. opted out); team leaders only."""
        self._sync()
        q = self._require(actor, queue, (Role.TEAM_LEADER,), "add members")
        ag = self._agent(agent)
        if agent in q.members:
            raise ConfigError(f"{agent!r} is already a member", path=f"queues.{queue}.members")
        self._add_membership(q, ag, level, frozenset({Role.MEMBER}), temporary=False)
        if not paused:
            self._set_active(q, ag, True)
        self._audit(actor, "add_member", f"{queue}/{agent}", "paused" if paused else "active")

    def _add_membership(
        self, q: _Queue, ag: _Agent, level: int, roles: frozenset[Role], temporary: bool
    ) -> None:
        q.members[ag.id] = _Membership(level, roles, False, temporary)
        q.order.append(ag.id)
        self._agent_queues[ag.id].append(q.spec.id)
        self._link(ag)

    def _remove_membership(self, q: _Queue, ag: _Agent) -> None:
        self._set_active(q, ag, False)
        del q.members[ag.id]
        old = list(q.order)
        q.order.remove(ag.id)
        self._repoint(q, old)
        self._agent_queues[ag.id].remove(q.spec.id)
        self._link(ag)

    def _repoint(self, q: _Queue, old: list[str]) -> None:
        """Keep ``q``'s order positions on their agents after its order changed from ``old``
        (``set_order``, a member removed): the round-robin pointer and each call's linear
        pointer (the agent last offered) stay with that agent at its new place, or, if it left
        the order, with the last agent kept before it, so the next offer goes to the agent
        that followed it; as :meth:`restore` remaps them (:func:`_remap`). A position past the
        end of ``old`` (an older snapshot's pointer left there by a removal) is kept."""
        remap = _remap(old, q.order)
        n = len(old)
        if q.rr_last < n:
            q.rr_last = _remapped(remap, q.rr_last)
        qid = q.spec.id
        for c in self._calls.values():
            if c.queue == qid and c.last_pos < n:
                c.last_pos = _remapped(remap, c.last_pos)

    def hand_over(self, agent: str, queue: str, to: str, until: datetime | float) -> str:
        """Offer ``agent``'s availability on ``queue`` to ``to`` until ``until``; returns its id."""
        self._sync()
        q = self._queue(queue)
        self._agent(to)
        if agent not in q.members:
            raise NotFoundError(f"{agent!r} is not a member of queue {queue!r}")
        if to == agent:
            raise ConfigError("a hand-over goes to a colleague, not oneself", path="to", value=to)
        end = _ts(until, "until")
        if end <= self._now:
            raise ConfigError("a hand-over must end in the future", path="until", value=until)
        hid = f"ho{len(self._handovers) + 1}"
        self._handovers[hid] = {
            "id": hid,
            "agent": agent,
            "queue": queue,
            "to": to,
            "until": end,
            "state": "pending",
            "added": False,
        }
        self._audit(agent, "hand_over", f"{queue}/{to}", hid)
        return hid

    def respond_hand_over(self, handover: str, by: str, *, accept: bool) -> None:
        """The colleague accepts or declines a pending hand-over."""
        self._sync()
        h = self._handovers.get(handover)
        if h is None:
            raise NotFoundError(f"unknown hand-over {handover!r}")
        if by != h["to"]:
            raise PermissionDenied(f"{by!r} may not answer a hand-over addressed to {h['to']!r}")
        if h["state"] != "pending":
            raise InvalidTransition(
                "handover", h["state"], "accept" if accept else "decline", handover
            )
        if accept and h["until"] <= self._now:
            # its time is over: nothing to cover (declining it still closes it)
            raise InvalidTransition("handover", "pending, ended", "accept", handover)
        q = self._queues[h["queue"]]
        if not accept:
            h["state"] = "declined"
            self._audit(by, "decline_hand_over", handover)
            return
        giver, taker = self._agents[h["agent"]], self._agents[h["to"]]
        if taker.id not in q.members:
            self._add_membership(
                q, taker, q.members[giver.id].level, frozenset({Role.MEMBER}), temporary=True
            )
            h["added"] = True
            h["taker_opted_in"] = False
        else:
            # the taker's opt-in from before it began covering, for its end (another accepted
            # hand-over of this queue to it may already cover: then from before that one; a
            # taker that lends its own spot out gets it back, so counts as opted in)
            accepted = self._accepted(h["queue"])
            covering = [o for o in accepted if o["to"] == taker.id]
            h["taker_opted_in"] = (
                bool(covering[0].get("taker_opted_in", False))
                if covering
                else q.members[taker.id].active or any(o["agent"] == taker.id for o in accepted)
            )
        self._set_active(q, taker, True)
        self._set_active(q, giver, False)
        h["state"] = "accepted"
        self._timer(h["until"], "handover", handover)
        self._audit(by, "accept_hand_over", handover)

    def _revert_handover(self, hid: str) -> None:
        h = self._handovers[hid]
        q = self._queues[h["queue"]]
        # after a restore under a changed configuration (see restore) the giver or the taker
        # may have left the queue or the configuration: only members are changed back
        giver, taker = self._agents.get(h["agent"]), self._agents.get(h["to"])
        # the giver may have handed this spot on again while this hand-over ran (A to C, then
        # A to D, or to C again for longer): A gets the spot back when the last of them ends
        if giver is not None and giver.id in q.members and not self._also_accepted(h, "agent"):
            self._set_active(q, giver, True)
        h["state"] = "reverted"
        # the taker may cover under another accepted hand-over of this queue (A and B both
        # handed their spot to C): then C stays, opted in, until the last of them ends, and
        # that one removes C's membership if it is a temporary one (_settle), whichever
        # hand-over added it; a member taker gets back the opt-in it had before it covered
        if (
            taker is not None
            and taker.id in q.members
            and not q.members[taker.id].temporary
            and not self._also_accepted(h, "to")
        ):
            self._set_active(q, taker, self._taker_back(q, h, taker.id))
        self._settle(q, h)
        self._audit("system", "revert_hand_over", hid)

    def _settle(self, q: _Queue, root: dict[str, Any], sourceless: tuple[str, ...] = ()) -> None:
        """End the stand-in spots of ``q`` that ``root``'s end left without a source.

        A stand-in (a temporary member) holds a spot while a chain of accepted hand-overs of
        ``q`` leads to it from a member's own spot (A to C, or A to C to D; A and B both to C:
        either one). A giver who left the queue with the configuration still counts as a
        source: its hand-over runs until its time (see restore), unless it is ``sourceless``
        (see :meth:`_cancel_orphans`). The memberships of stand-ins
        left without a source end; their accepted hand-overs of the spot (C handed it back to
        A, or on to D) and pending ones are ``cancelled`` (audited), and the takers of the
        accepted ones are changed back as at a hand-over's end, except ``root``'s giver, who
        keeps what ``root``'s end gave it (its spot, unless it still gives it away under
        another accepted hand-over)."""
        qid = q.spec.id
        members = q.members
        accepted = self._accepted(qid)
        held = {a for a, m in members.items() if not m.temporary}
        held.update(
            o["agent"]
            for o in accepted
            if o["agent"] not in members and o["agent"] not in sourceless
        )
        grown = True
        while grown:
            grown = False
            for o in accepted:
                if o["agent"] in held and o["to"] not in held:
                    held.add(o["to"])
                    grown = True
        gone = [a for a in q.order if a not in held]
        if not gone and not sourceless:
            return
        cancelled = []
        for o in self._handovers.values():
            if (
                o["queue"] == qid
                and o["state"] in ("pending", "accepted")
                and (o["agent"] in gone or o["agent"] in sourceless)
            ):
                if o["state"] == "accepted":
                    cancelled.append(o)
                o["state"] = "cancelled"
                self._audit("system", "cancel_hand_over", o["id"])
        for a in gone:
            self._remove_membership(q, self._agents[a])
        for o in cancelled:
            taker = self._agents.get(o["to"])
            if taker is None or taker.id not in members or self._also_accepted(o, "to"):
                continue
            if taker.id == root["agent"]:
                self._set_active(q, taker, not self._also_accepted(root, "agent"))
            else:
                self._set_active(q, taker, self._taker_back(q, o, taker.id))

    def _taker_back(self, q: _Queue, h: dict[str, Any], taker: str) -> bool:
        """The opt-in of ``h``'s member taker once the last hand-over it covers ends: the one
        it had before it began covering (``taker_opted_in``; hand-overs from snapshots written
        before it was recorded: opted out), but out while it gives its own spot away under an
        accepted hand-over of the queue (the end of that one gives the spot back)."""
        if q.members[taker].temporary or not h.get("taker_opted_in", False):
            return False
        return not any(o["agent"] == taker for o in self._accepted(q.qid))

    def _accepted(self, queue: str) -> list[dict[str, Any]]:
        """The accepted (running) hand-overs of ``queue``."""
        return [
            o for o in self._handovers.values() if o["state"] == "accepted" and o["queue"] == queue
        ]

    def _also_accepted(self, h: dict[str, Any], who: str) -> bool:
        """Whether another accepted hand-over of ``h``'s queue has the same giver (``who`` is
        ``"agent"``) or the same taker (``"to"``)."""
        return any(o is not h and o[who] == h[who] for o in self._accepted(h["queue"]))

    def handovers(self) -> list[dict[str, Any]]:
        """All hand-overs with their state (pending, accepted, declined, reverted, or cancelled:
        by a configuration change at :meth:`restore`, or a stand-in's pending hand-over of a
        spot that ended)."""
        return [dict(h) for h in self._handovers.values()]

    def coverage_gaps(
        self, queue: str, start: datetime | float, end: datetime | float
    ) -> list[tuple[float, float]]:
        """Intervals (epoch seconds) within ``[start, end)`` when the coverage rule was broken."""
        q = self._queue(queue)
        a, b = _ts(start, "start", finite=False), _ts(end, "end", finite=False)
        gaps = list(q.gaps)
        if q.gap_start is not None:
            gaps.append([q.gap_start, max(self._now, q.gap_start)])
        out = []
        for s, e in gaps:
            s2, e2 = max(s, a), min(e, b)
            if s2 < e2:
                out.append((s2, e2))
        return out

    # ------------------------------------------------------------------ calls API
    def arrive(
        self,
        queue: str,
        *,
        call: str | None = None,
        priority: Any = 3,
        caller: str | None = None,
        skills: Mapping[str, int] | None = None,
    ) -> str:
        """A call enters ``queue``; returns its id. Priority 1 (very high) .. 5, 3 = normal.

        ``priority`` is an ``int`` checked here (``Any`` in the signature so that the compiled
        build does not turn ``True`` into 1 or refuse ``3.0`` with a bare ``TypeError``)."""
        # self._sync() inlined (hot path)
        now: float = self._clock_now()
        if now < self._now:
            now = self._now
        if self._due <= now:
            self._fire(now)
        self._now = now
        try:
            q = self._queues[queue]
        except KeyError:
            raise NotFoundError(f"unknown queue {queue!r}") from None
        if priority.__class__ is not int or not 1 <= priority <= 5:  # one test when valid
            _check_priority(priority, queue)
        if skills is not None:
            _check_skills(skills, queue)
        calls = self._calls
        if call is None:
            self._call_no += 1
            call = f"c{self._call_no}"
        elif call in calls:
            raise ConfigError(f"call {call!r} is already in the engine", path="call", value=call)
        self._seq = seq = self._seq + 1
        c = _Call(call, queue, priority, now, seq, caller)
        calls[call] = c
        if skills:
            c.skills = dict(skills)
        elif q.simple and (self.bus is None or not self.bus.has_subscribers(CallQueued)):
            # _enter(q, c, new=True) for a queue with nothing to check on entry
            counters = q.counters
            counters["offered"] = counters.get("offered", 0) + 1
            max_wait = q.max_wait
            if not q.n_waiting and q.idle_heap:
                ag = self._pick_plain(q, now)
                if ag is not None:
                    if max_wait is not None:
                        self._timer(now + max_wait, "max_wait", call, q.qid)
                    c.state = OFFERING
                    c.gen = self._gen = self._gen + 1
                    self._offer1(q, c, ag)
                    return call
            # _wait(q, c, new=True): no tiers, skills, callback or subscribers here
            q.n_waiting += 1
            _heappush(q.waiting, (priority, now, seq, call))
            if max_wait is not None:
                self._timer(now + max_wait, "max_wait", call, q.qid)
            if q.idle_heap:
                self._dispatch(q, None)
            return call
        self._enter(q, c, new=True)
        return call

    def _enter(self, q: _Queue, c: _Call, *, new: bool) -> None:
        spec = q.spec
        now = self._now
        q.counters["offered"] = q.counters.get("offered", 0) + 1
        if spec.calendar is not None and not self.calendars[spec.calendar].is_open_ts(now):
            self._leave_by_action(c, "closed", spec.closed, waiting=False)
            return
        if spec.max_waiting is not None and q.n_waiting >= spec.max_waiting:
            self._leave_by_action(c, "overflow", spec.overflow, waiting=False)
            return
        if spec.no_agents is not None and q.n_reachable == 0:
            self._leave_by_action(c, "no_agents", spec.no_agents, waiting=False)
            return
        if (
            q.plain
            and not q.n_waiting
            and q.idle_heap
            and spec.callback is None
            and not c.skills
            and not c.excluded
            and (self.bus is None or not self.bus.has_subscribers(CallQueued))
        ):
            # nobody waits ahead: offer straight from the agent heap, skipping the call heap
            ag = self._pick_plain(q, now)
            if ag is not None:
                if spec.max_wait is not None:
                    self._timer(c.entered + spec.max_wait, "max_wait", c.id, spec.id)
                c.state = OFFERING
                c.gen = self._gen = self._gen + 1
                self._offer1(q, c, ag)
                return
        self._wait(q, c, new=new)

    def _wait(self, q: _Queue, c: _Call, *, new: bool) -> None:
        """The call waits in ``q`` (timers, callback offer, event), then a dispatch round."""
        spec = q.spec
        now = self._now
        c.state = WAITING
        q.n_waiting += 1
        _heappush(q.waiting, (c.priority, c.entered, c.seq, c.id))
        if spec.max_wait is not None:
            self._timer(c.entered + spec.max_wait, "max_wait", c.id, spec.id)
        for w in spec.level_waits:
            self._timer(c.entered + w, "recheck", c.id, spec.id)
        if c.skills:
            for w in spec.skill_relax:
                self._timer(c.entered + w, "recheck", c.id, spec.id)
        cb = spec.callback
        offer = False
        if cb is not None and c.callback is None and new:
            if cb.after_wait is not None:
                self._timer(c.entered + cb.after_wait, "cb_offer", c.id, spec.id)
            offer = (cb.calls_waiting is not None and q.n_waiting - 1 >= cb.calls_waiting) or (
                cb.calls_per_agent is not None
                and (q.n_waiting - 1) / max(1, self._ready_count(q)) >= cb.calls_per_agent
            )
        bus = self.bus
        if bus is not None and bus.has_subscribers(CallQueued):
            bus.publish(
                CallQueued(
                    at=_dt_of(now),
                    call=c.id,
                    queue=spec.id,
                    priority=c.priority,
                    position=self.position(c.id),
                )
            )
        if spec.strategy is not Strategy.LONGEST_IDLE or q.idle_heap:
            self._dispatch(q, None)
        # offered only to a caller still waiting after the dispatch round: not to one already
        # ringing an agent or connected (an auto-accepting agent took it)
        if offer and c.state == WAITING:
            self._offer_callback(c)

    def _offer_callback(self, c: _Call) -> None:
        """Offer the caller a callback (``accept_callback`` takes it in this queue visit)."""
        c.cb_offer = c.seq
        self._cmd("offer_callback", call=c.id, queue=c.queue)

    def _ready_count(self, q: _Queue) -> int:
        return sum(1 for a, m in q.members.items() if m.active and self._agents[a].status == _READY)

    def _head(self, q: _Queue) -> tuple[int, float, int, str] | None:
        w = q.waiting
        calls = self._calls
        while w:
            h = w[0]
            c = calls.get(h[3])
            if c is not None and c.state == WAITING and c.queue == q.qid and c.seq == h[2]:
                return h
            _heappop(w)
        return None

    def _waiting_calls(self, q: _Queue) -> list[_Call]:
        out = []
        for h in sorted(q.waiting):
            c = self._calls.get(h[3])
            if c is not None and c.state == WAITING and c.queue == q.spec.id and c.seq == h[2]:
                out.append(c)
        return out

    def answer(self, call: str, agent: str) -> None:
        """``agent`` accepts the offered ``call`` (first answer wins with ring all)."""
        # self._sync() inlined (hot path)
        now: float = self._clock_now()
        if now < self._now:
            now = self._now
        if self._due <= now:
            self._fire(now)
        self._now = now
        try:
            c = self._calls[call]
        except KeyError:
            c = self._call(call)  # raises NotFoundError
        try:
            ag = self._agents[agent]
        except KeyError:
            ag = self._agent(agent)  # raises NotFoundError
        offered = c.offered
        if c.state != OFFERING or agent not in offered:
            raise InvalidTransition("call", c.state, "answer", call)
        self._connect(c, ag, now, False)

    def _connect(self, c: _Call, ag: _Agent, now: float, auto: bool) -> None:
        """``ag`` takes the offered call ``c``: answered, or auto-accepted (``auto``: the
        ``connect`` command then names the agent's contacts, as no ringing leg exists)."""
        if ag.status is _OFFERED:
            # _set(ag, "answer") inlined: offered -> on queue call (reachable, not ready)
            time_in = ag.time_in
            time_in[_OFFERED] = time_in.get(_OFFERED, 0.0) + (now - ag.since)
            ag.since = now
            ag.status = _ON_QUEUE_CALL
            ag.reason = None
            if self.bus is not None:
                self._status_changed(ag, _OFFERED, _ON_QUEUE_CALL, None)
        else:
            self._set(ag, "answer")  # raises InvalidTransition
        agent = ag.id
        call = c.id
        ag.misses = 0
        ag.call = call
        qid = c.queue
        q = self._queues[qid]
        offered = c.offered
        c.offered = _NO_OFFERS
        if len(offered) > 1:
            for other in offered:
                if other != agent:
                    oa = self._agents[other]
                    self._set(oa, "cancel")
                    self._cmd("stop_ringing", call=call, agent=other, queue=qid)
                    self._agent_freed(oa)
        c.state = CONNECTED
        c.agent = agent
        c.answered_at = now
        c.timeout_due = False
        c.history.append(("answered", now, agent))
        answered = ag.answered
        answered[qid] = answered.get(qid, 0) + 1
        cmd: tuple[Any, ...] = (
            ("connect", now, call, agent, qid, ag.contacts, q.number, "auto_accept")
            if auto
            else ("connect", now, call, agent, qid, (), q.number, None)
        )
        self._out.append(_new_cmd(Command, cmd))
        if c.callback is not None:
            c.attempts += 1
            self._cmd(
                "dial_callback",
                call=call,
                agent=agent,
                queue=qid,
                present=q.number,
                data=c.callback,
            )
        if c.consult is not None:
            self._release_consult(c)

    def _release_consult(self, c: _Call) -> None:
        """A consulted transfer is complete (or failed): the consulting agent leaves the call."""
        if c.consult is None:
            return
        agent, _, queue = c.consult.partition("@")
        c.consult = None
        ag = self._agents[agent]
        if ag.status == _S.ON_QUEUE_CALL:
            self._agent_call_end(ag, self._queues.get(queue))

    def reject(self, call: str, agent: str) -> None:
        """``agent`` declines the offered ``call``: not re-offered to them for ``reject_delay``."""
        self._sync()
        c = self._call(call)
        ag = self._agent(agent)
        if c.state != OFFERING or agent not in c.offered:
            raise InvalidTransition("call", c.state, "reject", call)
        delay = self._queues[c.queue].spec.reject_delay
        _exclude(c, agent, self._now + delay)
        if delay > 0:
            self._timer(self._now + delay, "recheck", c.id, c.queue)
        self._release_offer(c, ag, "reject")

    def busy(self, call: str, agent: str) -> None:
        """The agent's device reported busy: skipped, not counted as a miss."""
        self._sync()
        c = self._call(call)
        ag = self._agent(agent)
        if c.state != OFFERING or agent not in c.offered:
            raise InvalidTransition("call", c.state, "busy", call)
        spec = self._queues[c.queue].spec
        if spec.no_answer_delay > 0:
            ag.blocked_until = self._now + spec.no_answer_delay
            self._timer(ag.blocked_until, "unblock", ag.id)
        if spec.strategy is not Strategy.RING_ALL and spec.reject_delay > 0:
            _exclude(c, agent, self._now + spec.reject_delay)
            self._timer(self._now + spec.reject_delay, "recheck", c.id, c.queue)
        self._release_offer(c, ag, "no_answer")

    def no_answer(self, call: str, agent: str) -> None:
        """The adapter reports that ``agent`` did not answer (the ring timer does the same)."""
        self._sync()
        c = self._call(call)
        ag = self._agent(agent)
        if c.state != OFFERING or agent not in c.offered:
            raise InvalidTransition("call", c.state, "no_answer", call)
        self._no_answer(c, ag, counted=True)

    def _no_answer(self, c: _Call, ag: _Agent, *, counted: bool) -> None:
        spec = self._queues[c.queue].spec
        ag.misses += 1
        self._cmd("stop_ringing", call=c.id, agent=ag.id, queue=c.queue)
        if spec.max_no_answer and ag.misses >= spec.max_no_answer:
            c.offered.remove(ag.id)
            self._set(ag, "auto_pause", "no answer")
            self._after_offer(c)
            return
        if spec.no_answer_delay > 0:
            ag.blocked_until = self._now + spec.no_answer_delay
            self._timer(ag.blocked_until, "unblock", ag.id)
        if spec.strategy is not Strategy.RING_ALL and spec.reject_delay > 0:
            # the same call is not offered to the same agent again at once
            _exclude(c, ag.id, self._now + spec.reject_delay)
            self._timer(self._now + spec.reject_delay, "recheck", c.id, c.queue)
        self._release_offer(c, ag, "no_answer", stop=False)

    def _release_offer(self, c: _Call, ag: _Agent, event: str, *, stop: bool = True) -> None:
        c.offered.remove(ag.id)
        if stop:
            self._cmd("stop_ringing", call=c.id, agent=ag.id, queue=c.queue)
        self._set(ag, event)
        self._after_offer(c)
        self._agent_freed(ag)

    def _after_offer(self, c: _Call) -> None:
        if c.offered or c.state != OFFERING:
            return
        q = self._queues[c.queue]
        if c.timeout_due:
            self._leave_by_action(c, "timeout", q.spec.timeout, waiting=False)
            return
        c.state = WAITING
        c.gen = self._gen = self._gen + 1
        q.n_waiting += 1
        _heappush(q.waiting, (c.priority, c.entered, c.seq, c.id))
        self._dispatch(q, None)

    def end(self, call: str) -> None:
        """The call ends: a connected call finishes (agent to wrap-up), a waiting one abandons."""
        # self._sync() inlined (hot path)
        now: float = self._clock_now()
        if now < self._now:
            now = self._now
        if self._due <= now:
            self._fire(now)
        self._now = now
        calls = self._calls
        try:
            c = calls[call]
        except KeyError:
            c = self._call(call)  # raises NotFoundError
        if c.state == CONNECTED:
            ag = self._agents[c.agent] if c.agent else None
            qid = c.queue
            q = self._queues[qid]
            answered_at = c.answered_at
            talk = now - (answered_at or now)
            # self._record(q, c, "answered", talk=talk) inlined
            handle = talk + q.wrap_up
            rec = q.records  # one record: _RECORD fields in a row (see _Queue.records)
            rec.append(c.entered)
            rec.append("answered")
            rec.append((answered_at if answered_at is not None else now) - c.entered)
            rec.append(handle)
            rec.append(call)
            rec.append(False)
            rec.append(c.callback is not None)
            q.aht = 0.9 * q.aht + 0.1 * handle
            del calls[call]
            c.state = _DONE
            if ag is not None and ag.status is _ON_QUEUE_CALL:
                talks = ag.talk
                talks[qid] = talks.get(qid, 0.0) + talk
                if q.wrap_up > 0:
                    self._agent_call_end(ag, q)
                    return
                # self._agent_call_end(ag, q) inlined: on queue call -> ready, no wrap-up
                ag.idle_since = now
                ag.call = None
                time_in = ag.time_in
                time_in[_ON_QUEUE_CALL] = time_in.get(_ON_QUEUE_CALL, 0.0) + (now - ag.since)
                ag.since = now
                ag.status = _READY
                ag.reason = None
                ag.token += 1
                ag.ready_since = now
                if self.bus is not None:
                    self._status_changed(ag, _ON_QUEUE_CALL, _READY, None)
                # indexed only if the agent does not take a waiting call at once
                self._agent_freed(ag, indexed=False)
            return
        if c.callback is not None:
            raise InvalidTransition("call", "callback", "abandon", call)
        self._abandon(c)

    def _agent_call_end(self, ag: _Agent, q: _Queue | None) -> None:
        now = self._now
        ag.idle_since = now
        ag.call = None
        wrap = q.wrap_up if q is not None else 0.0
        if wrap > 0:
            self._set(ag, "end_call")
            self._timer(now + wrap, "wrap", ag.id, "", ag.token)
            return
        if ag.status is _ON_QUEUE_CALL:
            # _set(ag, "end_call_no_wrap", index=False) inlined: on queue call -> ready
            time_in = ag.time_in
            time_in[_ON_QUEUE_CALL] = time_in.get(_ON_QUEUE_CALL, 0.0) + (now - ag.since)
            ag.since = now
            ag.status = _READY
            ag.reason = None
            ag.token += 1
            ag.ready_since = now
            if self.bus is not None:
                self._status_changed(ag, _ON_QUEUE_CALL, _READY, None)
        else:
            self._set(ag, "end_call_no_wrap", index=False)  # raises InvalidTransition
        # indexed only if the agent does not take a waiting call at once
        self._agent_freed(ag, indexed=False)

    def abandon(self, call: str) -> None:
        """The caller hangs up before being connected."""
        self._sync()
        c = self._call(call)
        if c.state == CONNECTED:
            raise InvalidTransition("call", c.state, "abandon", call)
        if c.callback is not None:
            raise InvalidTransition("call", "callback", "abandon", call)
        self._abandon(c)

    def _abandon(self, c: _Call) -> None:
        q = self._queues[c.queue]
        self._drop(c, q)
        self._record(q, c, "abandoned")
        if self.bus is not None:
            self._publish(
                CallLeft,
                call=c.id,
                queue=q.spec.id,
                outcome="abandoned",
                waited=self._now - c.entered,
            )

    def _drop(self, c: _Call, q: _Queue) -> None:
        """Take ``c`` out of the engine (waiting or ringing)."""
        if c.state == WAITING:
            q.n_waiting -= 1
        elif c.state == OFFERING:
            for a in c.offered:
                ag = self._agents[a]
                self._set(ag, "cancel")
                self._cmd("stop_ringing", call=c.id, agent=a, queue=q.spec.id)
            offered, c.offered = c.offered, _NO_OFFERS
            for a in offered:
                self._agent_freed(self._agents[a])
        c.state = _DONE
        self._calls.pop(c.id, None)
        if c.consult is not None:
            self._release_consult(c)

    def _leave_by_action(
        self, c: _Call, reason: str, action: Action, *, waiting: bool = True
    ) -> None:
        q = self._queues[c.queue]
        if waiting:
            self._drop(c, q)
        else:
            c.state = _DONE
            self._calls.pop(c.id, None)
        self._record(q, c, reason)
        self._publish(
            CallLeft, call=c.id, queue=q.spec.id, outcome=reason, waited=self._now - c.entered
        )
        if action.kind == "queue" and action.target is not None:
            self._move(c, action.target, reason)
            return
        self._cmd(
            "action",
            call=c.id,
            queue=q.spec.id,
            present=q.spec.number,
            data={
                "reason": reason,
                "kind": action.kind,
                "target": action.target,
                "message": action.message,
            },
        )

    def _move(self, c: _Call, target: str, why: str) -> None:
        q2 = self._queue(target)
        c.history.append((why, self._now, target))
        c.queue = target
        c.entered = self._now
        c.offered = _NO_OFFERS
        c.excluded = _NOTHING
        c.agent = None
        c.answered_at = None
        c.timeout_due = False
        # a linear call starts at the top of its new queue's order, also when it comes back to
        # a queue it was in before (its pointer was a position in the old queue's order)
        c.last_pos = -1
        self._seq += 1
        c.seq = self._seq
        self._calls[c.id] = c
        self._enter(q2, c, new=False)

    def transfer(self, call: str, *, to: str, kind: str = "queue", mode: str = "blind") -> None:
        """Transfer a connected call to a queue, a person (agent id), a flow or an external number.

        Blind: the agent is released at once. Consulted (queue/agent targets): the agent stays on
        the call until the target answers. The call keeps its history; transfers are counted.
        """
        self._sync()
        c = self._call(call)
        if c.state != CONNECTED:
            raise InvalidTransition("call", c.state, f"transfer_{mode}", call)
        if kind not in ("queue", "agent", "flow", "external") or mode not in ("blind", "consulted"):
            raise ConfigError(
                "kind must be queue/agent/flow/external, mode blind/consulted",
                path="transfer",
                value=(kind, mode),
            )
        # validate the target before anything changes (a refused transfer leaves the call as is)
        if kind == "queue":
            self._queue(to)
        elif kind == "agent":
            target = self._agent(to)
            if target.status != _READY:
                raise InvalidTransition("agent", str(target.status), "offer", to)
        elif not to:
            raise ConfigError(f"a {kind} transfer needs a target", path="transfer.to", value=to)
        q = self._queues[c.queue]
        ag = self._agents[c.agent] if c.agent else None
        talk = self._now - (c.answered_at or self._now)
        self._record(q, c, "answered", talk=talk, transferred=True)
        q.counters["transfers"] = q.counters.get("transfers", 0) + 1
        c.transfers += 1
        consult = mode == "consulted" and kind in ("queue", "agent")
        if ag is not None:
            ag.talk[q.spec.id] = ag.talk.get(q.spec.id, 0.0) + talk
            if not consult:
                self._agent_call_end(ag, q)
        if kind in ("flow", "external"):
            c.history.append(("transfer", self._now, f"{kind}:{to}"))
            self._calls.pop(call, None)
            c.state = _DONE
            self._cmd(
                "action",
                call=call,
                queue=q.spec.id,
                present=q.spec.number,
                data={"reason": "transfer", "kind": kind, "target": to, "message": None},
            )
            return
        if kind == "agent":
            target = self._agents[to]
            c.history.append(("transfer", self._now, f"agent:{to}"))
            c.consult = f"{ag.id}@{q.spec.id}" if (consult and ag) else None
            c.state = OFFERING
            c.agent = None
            c.answered_at = None
            c.gen = self._gen = self._gen + 1
            self._offer(q, c, [target])
            return
        c.consult = f"{ag.id}@{q.spec.id}" if (consult and ag) else None
        self._move(c, to, "transfer")

    def accept_callback(self, call: str, number: Any) -> None:
        """The caller takes the callback offer and hangs up; the call keeps its place.

        Only a call offered a callback (an ``offer_callback`` command) in the queue it waits in
        may accept it, once; anything else raises ``InvalidTransition``. ``number`` (where to
        call back) must be a non-empty string.
        """
        self._sync()
        c = self._call(call)
        if c.state not in (WAITING, OFFERING) or c.callback is not None:
            raise InvalidTransition("call", c.state, "accept_callback", call)
        # a policy removed at restore, or an offer that lapsed when the call moved
        if self._queues[c.queue].spec.callback is None:
            raise InvalidTransition(
                "call", f"{c.state} (no callback policy)", "accept_callback", call
            )
        if not _callback_offered(c):
            raise InvalidTransition(
                "call", f"{c.state} (no callback offered)", "accept_callback", call
            )
        if not isinstance(number, str) or not number.strip():
            msg = "the number to call back must be a non-empty string"
            raise ConfigError(msg, path="number", node=call, value=number)
        c.callback = number
        c.history.append(("callback", self._now, None))
        q = self._queues[c.queue]
        q.counters["callbacks"] = q.counters.get("callbacks", 0) + 1

    def callback_result(self, call: str, *, reached: bool) -> None:
        """Outcome of a dialled callback; unreached ones retry after a delay, in opening hours."""
        self._sync()
        c = self._call(call)
        if c.state != CONNECTED or c.callback is None:
            raise InvalidTransition("call", c.state, "callback_result", call)
        if reached:
            c.history.append(("callback_reached", self._now, c.agent))
            return
        q = self._queues[c.queue]
        ag = self._agents[c.agent] if c.agent else None
        if ag is not None:
            ag.answered[q.spec.id] -= 1
            self._agent_call_end(ag, None)
        cb = q.spec.callback
        max_attempts = cb.max_attempts if cb is not None else 1
        if c.attempts >= max_attempts:
            self._calls.pop(call, None)
            c.state = _DONE
            self._record(q, c, "callback_failed")
            self._publish(
                CallLeft,
                call=c.id,
                queue=q.spec.id,
                outcome="callback_failed",
                waited=self._now - c.entered,
            )
            self._cmd(
                "action",
                call=call,
                queue=q.spec.id,
                data={
                    "reason": "callback_failed",
                    "kind": "disconnect",
                    "target": None,
                    "message": None,
                },
            )
            return
        c.state = "callback_wait"
        c.agent = None
        c.answered_at = None
        self._timer(self._now + (cb.retry_delay if cb else 0.0), "cb_retry", call)

    def _callback_retry(self, c: _Call) -> None:
        q = self._queues[c.queue]
        cal = self.calendars.get(q.spec.calendar) if q.spec.calendar else None
        if cal is not None and not cal.is_open_ts(self._now):
            nxt = cal.next_open(_dt_of(self._now))
            if nxt is not None:
                self._timer(nxt.timestamp(), "cb_retry", c.id)
                return
        c.state = WAITING
        c.gen = self._gen = self._gen + 1
        # keeps its place among the callers; a linear call's next attempt starts at the top of
        # the order again (its pointer is the agent who dialled the unreached callback)
        c.last_pos = -1
        q.n_waiting += 1
        _heappush(q.waiting, (c.priority, c.entered, c.seq, c.id))  # keeps its place
        self._dispatch(q, None)

    # ------------------------------------------------------------------ dispatch
    def _eligible(self, q: _Queue, c: _Call, ag: _Agent, level_cap: int, now: float) -> bool:
        if ag.status != _READY:
            return False
        m = q.members[ag.id]
        if not m.active or m.level > level_cap or ag.blocked_until > now:
            return False
        if q.spec.presence_routing and ag.presence is not Presence.AVAILABLE:
            return False
        ex = c.excluded.get(ag.id)
        if ex is not None and ex > now:
            return False
        if c.skills:
            steps = sum(1 for w in q.spec.skill_relax if now - c.entered >= w)
            skills = ag.spec.skills
            for s, need in c.skills.items():
                if skills.get(s, 0) < need - steps:
                    return False
        return True

    def _level_cap(self, q: _Queue, c: _Call, now: float) -> int:
        waits = q.spec.level_waits
        if not waits:
            return 1 << 30
        cap = 1
        waited = now - c.entered
        for w in waits:
            if waited >= w:
                cap += 1
        return cap

    def _dispatch(self, q: _Queue | None, agent: str | None) -> None:
        if q is None:
            if agent is not None:
                self._agent_freed(self._agents[agent])
            return
        if not q.n_waiting:
            return
        now = self._now
        spec = q.spec
        fast = spec.strategy is Strategy.LONGEST_IDLE
        skipped: list[tuple[int, float, int, str]] = []
        w = q.waiting
        calls = self._calls
        while q.n_waiting:
            h = self._head(q)
            if h is None:
                break
            c = calls[h[3]]
            chosen = self._pick_fast(q, c, now) if fast else self._pick(q, c, now)
            if not chosen:
                if fast and not q.idle_heap:
                    break
                skipped.append(_heappop(w))
                continue
            _heappop(w)
            q.n_waiting -= 1
            c.state = OFFERING
            c.gen = self._gen = self._gen + 1
            self._offer(q, c, chosen)
        for h in skipped:
            _heappush(w, h)

    def _pick_plain(self, q: _Queue, now: float) -> _Agent | None:
        """``_pick_fast`` for a plain queue and a call with no exclusions or skills."""
        heap = q.idle_heap
        agents = self._agents
        members = q.members
        pop = _heappop
        put_back = None
        found = None
        while heap:
            e = heap[0]
            ag = agents[e[4]]
            if ag.token != e[3] or ag.status is not _READY:
                pop(heap)
                continue
            m = members.get(e[4])  # None: a temporary (hand-over) membership has ended
            if m is None or not m.active:
                pop(heap)
                continue
            if ag.blocked_until <= now:
                found = ag
                break
            if put_back is None:
                put_back = [pop(heap)]
            else:
                put_back.append(pop(heap))
        if put_back is not None:
            for e in put_back:
                _heappush(heap, e)
        return found

    def _pick_fast(self, q: _Queue, c: _Call, now: float) -> list[_Agent]:
        heap = q.idle_heap
        agents = self._agents
        put_back = []
        found: list[_Agent] = []
        cap = self._level_cap(q, c, now) if q.spec.level_waits else 1 << 30
        while heap:
            lvl, _k, _s, tok, aid = heap[0]
            ag = agents[aid]
            m = q.members.get(aid)  # None: a temporary (hand-over) membership has ended
            if ag.token != tok or ag.status != _READY or m is None or not m.active:
                _heappop(heap)
                continue
            if lvl <= cap and (
                (
                    ag.blocked_until <= now
                    and not c.excluded
                    and not c.skills
                    and not q.spec.presence_routing
                )
                or self._eligible(q, c, ag, cap, now)
            ):
                found.append(ag)
                break
            put_back.append(_heappop(heap))
        for e in put_back:
            _heappush(heap, e)
        return found

    def _pick(self, q: _Queue, c: _Call, now: float) -> list[_Agent]:
        cap = self._level_cap(q, c, now)
        agents = self._agents
        members = q.members
        cands = [
            (pos, agents[a])
            for pos, a in enumerate(q.order)
            if self._eligible(q, c, agents[a], cap, now)
        ]
        if not cands:
            return []
        best = min(members[a.id].level for _, a in cands)
        cands = [(p, a) for p, a in cands if members[a.id].level == best]
        st = q.spec.strategy
        qid = q.spec.id
        if st is Strategy.RING_ALL:
            return [a for _, a in cands]
        if st is Strategy.LINEAR:
            last = c.last_pos
            pick = min(cands, key=lambda pa: (pa[0] <= last, pa[0]))
        elif st is Strategy.ROUND_ROBIN:
            last = q.rr_last
            pick = min(cands, key=lambda pa: (pa[0] <= last, pa[0]))
            q.rr_last = pick[0]
        elif st is Strategy.FEWEST_CALLS:
            pick = min(cands, key=lambda pa: (pa[1].answered.get(qid, 0), pa[0]))
        elif st is Strategy.LEAST_TALK_TIME:
            pick = min(cands, key=lambda pa: (pa[1].talk.get(qid, 0.0), pa[0]))
        elif st is Strategy.RANDOM:
            pick = cands[self.rng.randrange(len(cands))]
        else:  # SKILLS and LONGEST_IDLE on the generic path
            ready = q.spec.idle_basis is IdleBasis.READY_SINCE
            pick = min(
                cands, key=lambda pa: (pa[1].ready_since if ready else pa[1].idle_since, pa[1].seq)
            )
        c.last_pos = pick[0]
        return [pick[1]]

    def _offer1(self, q: _Queue, c: _Call, ag: _Agent) -> None:
        """``_offer(q, c, [ag])``: ring one agent."""
        now = self._now
        if ag.status is _READY:
            # _set(ag, "offer") inlined: ready -> offered (reachable either way)
            time_in = ag.time_in
            time_in[_READY] = time_in.get(_READY, 0.0) + (now - ag.since)
            ag.since = now
            ag.status = _OFFERED
            ag.reason = None
            ag.token += 1
            if self.bus is not None:
                self._status_changed(ag, _READY, _OFFERED, None)
        else:
            self._set(ag, "offer")  # raises InvalidTransition
        aid = ag.id
        cid = c.id
        if c.offered:
            c.offered.append(aid)
        else:
            c.offered = [aid]
        if ag.auto:  # auto-accept: connected at once, nothing rings
            self._connect(c, ag, now, True)
            return
        timeout = ag.ring_timeout
        if timeout is None:
            timeout = q.ring_timeout
            lane = q.lane
        else:
            lane = self._lane_for(timeout)
        if timeout:  # 0: no ring timeout, it rings until answered, refused or abandoned
            self._tseq = tseq = self._tseq + 1
            when = now + timeout
            if when < lane.last:
                # due before the lane's latest entry (the engine's time went back to that of a
                # timer set in the past, which no public path does now): the heap keeps it in
                # order, as a lane must stay in due order
                _heappush(self._timers, (when, tseq, "ring", cid, aid, c.gen))
            else:
                lane.last = when
                items = lane.items  # _lane_entry reads them back
                items.append(when)
                items.append(tseq)
                items.append(cid)
                items.append(aid)
                items.append(c.gen)
            if when < self._due:
                self._due = when
        self._out.append(
            _new_cmd(Command, ("ring", now, cid, aid, q.qid, ag.contacts, q.number, None))
        )

    def _offer(self, q: _Queue, c: _Call, chosen: Sequence[_Agent]) -> None:
        """Ring each of ``chosen`` (several at once for ring-all); an auto-accepting agent
        among them takes the call alone, as it would answer before anyone else could."""
        if len(chosen) > 1:
            auto = [ag for ag in chosen if ag.auto]
            if auto:
                chosen = auto[:1]
        offer1 = self._offer1
        for ag in chosen:
            offer1(q, c, ag)

    # ------------------------------------------------------------------ figures
    def _record(
        self, q: _Queue, c: _Call, outcome: str, *, talk: float = 0.0, transferred: bool = False
    ) -> None:
        wait = (c.answered_at if c.answered_at is not None else self._now) - c.entered
        handle = talk + q.spec.wrap_up if outcome == "answered" else 0.0
        q.records.extend(
            (c.entered, outcome, wait, handle, c.id, transferred, c.callback is not None)
        )
        if outcome == "answered":
            q.aht = 0.9 * q.aht + 0.1 * handle
        else:
            q.counters[outcome] = q.counters.get(outcome, 0) + 1

    def position(self, call: str) -> int:
        """1-based position among the calls waiting in the call's queue (priority, then age)."""
        c = self._call(call)
        q = self._queues[c.queue]
        key = (c.priority, c.entered, c.seq)
        return 1 + sum(1 for o in self._waiting_calls(q) if (o.priority, o.entered, o.seq) < key)

    def estimated_wait(self, call: str) -> float:
        """Estimated seconds until answer: ``position × AHT / max(1, reachable agents)``.

        AHT is an exponentially weighted mean (weight 0.1) of handle times (talk + wrap-up),
        starting at the queue's ``default_handle_time``.
        """
        c = self._call(call)
        q = self._queues[c.queue]
        return self.position(call) * q.aht / max(1, q.n_reachable)

    def announce(self, call: str) -> None:
        """Emit an ``announce`` command with the call's position and wait estimate."""
        self._sync()
        c = self._call(call)
        self._cmd(
            "announce",
            call=call,
            queue=c.queue,
            data={
                "position": self.position(call),
                "estimated_wait": round(self.estimated_wait(call)),
            },
        )

    def status(self, agent: str) -> AgentStatus:
        """The agent's current status."""
        try:
            return self._agents[agent].status
        except KeyError:
            return self._agent(agent).status  # raises NotFoundError

    def agent_info(self, agent: str) -> dict[str, Any]:
        """Status, pause reason, presence, consecutive misses and queues (active or not)."""
        ag = self._agent(agent)
        return {
            "status": ag.status.value,
            "reason": ag.reason,
            "presence": ag.presence.value,
            "misses": ag.misses,
            "queues": {
                qid: self._queues[qid].members[agent].active for qid in self._agent_queues[agent]
            },
        }

    def call_info(self, call: str) -> dict[str, Any]:
        """State, queue, ringing agents, agent, history and transfer count of a live call."""
        c = self._call(call)
        return {
            "state": c.state,
            "queue": c.queue,
            "offered": list(c.offered),
            "agent": c.agent,
            "priority": c.priority,
            "history": [list(h) for h in c.history],
            "transfers": c.transfers,
            "callback": c.callback is not None,
            "callback_offered": _callback_offered(c) and c.callback is None,
        }

    def calls(self) -> list[str]:
        """Ids of the live calls (waiting, ringing, connected, waiting for a callback retry)."""
        return list(self._calls)

    def stats(self, queue: str) -> QueueStats:
        """Real-time figures of ``queue``."""
        self._sync()
        q = self._queue(queue)
        waiting = self._waiting_calls(q)
        by: dict[str, int] = {}
        for a in q.members:
            s = self._agents[a].status.value
            by[s] = by.get(s, 0) + 1
        longest = max((self._now - c.entered for c in waiting), default=0.0)
        ewt = (len(waiting) + 1) * q.aht / max(1, q.n_reachable)
        return QueueStats(
            queue=queue,
            waiting=len(waiting),
            longest_wait=longest,
            agents=by,
            reachable=q.n_reachable,
            estimated_wait=ewt,
        )

    def kpis(
        self,
        queue: str,
        *,
        start: datetime | float | None = None,
        end: datetime | float | None = None,
        abandon_within: float = 5.0,
        actor: str | None = None,
    ) -> Kpis:
        """Cumulative KPIs of calls that entered ``queue`` in ``[start, end)``.

        With ``actor``, only analysts and team leaders of the queue may read them.
        """
        q = self._queue(queue)
        if actor is not None:
            self._require(actor, queue, (Role.ANALYST, Role.TEAM_LEADER), "read KPIs")
        a = -math.inf if start is None else _ts(start, "start", finite=False)
        b = math.inf if end is None else _ts(end, "end", finite=False)
        recs = [r for r in _rows(q.records) if a <= r[0] < b]
        T = q.spec.service_level
        count: dict[str, int] = {}
        for r in recs:
            count[r[1]] = count.get(r[1], 0) + 1
        answered = [r for r in recs if r[1] == "answered"]
        abandoned = [r for r in recs if r[1] == "abandoned"]
        offered = len(recs)
        n_ans = len(answered)
        within = sum(1 for r in answered if r[2] <= T)
        ab_short = sum(1 for r in abandoned if r[2] <= abandon_within)
        busy = total = 0.0
        for aid in q.members:
            ag = self._agents[aid]
            t = dict(ag.time_in)
            t[ag.status] = t.get(ag.status, 0.0) + (self._now - ag.since)
            work = t.get(_S.ON_QUEUE_CALL, 0.0) + t.get(_S.WRAP_UP, 0.0)
            busy += work
            total += work + t.get(_S.READY, 0.0) + t.get(_S.OFFERED, 0.0)
        return Kpis(
            queue=queue,
            offered=offered,
            answered=n_ans,
            abandoned=len(abandoned),
            abandoned_short=ab_short,
            service_level=within / n_ans if n_ans else None,
            service_level_with_abandons=within / (n_ans + len(abandoned) - ab_short)
            if (n_ans + len(abandoned) - ab_short)
            else None,
            asa=sum(r[2] for r in answered) / n_ans if n_ans else None,
            handle_time=sum(r[3] for r in answered) / n_ans if n_ans else None,
            occupancy=busy / total if total else None,
            callbacks=sum(1 for r in recs if r[6]),
            overflow=count.get("overflow", 0),
            timeout=count.get("timeout", 0),
            no_agents=count.get("no_agents", 0),
            closed=count.get("closed", 0),
            transfers=sum(1 for r in recs if r[5]),
            unanswered_rate=(offered - n_ans) / offered if offered else None,
            callback_failed=count.get("callback_failed", 0),
        )

    # ------------------------------------------------------------------ snapshot
    def snapshot(self) -> dict[str, Any]:
        """All mutable state as JSON-able plain data (see :meth:`restore`).

        Version 2: ``base`` holds the membership that the engine's configuration gives each
        queue (agent -> level, roles, paused), so that :meth:`restore` can tell the changes of
        a new configuration from changes made at run time.
        """
        return {
            "version": 2,
            "base": _config_base(self.config),
            "now": self._now,
            "seq": self._seq,
            "tseq": self._tseq,
            "call_no": self._call_no,
            "rng": _rng_state(self.rng),
            "agents": {
                a.id: {
                    "status": a.status.value,
                    "reason": a.reason,
                    "presence": a.presence.value,
                    "idle_since": a.idle_since,
                    "ready_since": a.ready_since,
                    "since": a.since,
                    "blocked_until": a.blocked_until,
                    "misses": a.misses,
                    "token": a.token,
                    "call": a.call,
                    "answered": dict(a.answered),
                    "talk": dict(a.talk),
                    "time_in": {str(k): v for k, v in a.time_in.items()},
                }
                for a in self._agents.values()
            },
            "queues": {
                qid: {
                    "members": {
                        a: {
                            "level": m.level,
                            "roles": sorted(r.value for r in m.roles),
                            "active": m.active,
                            "temporary": m.temporary,
                        }
                        for a, m in q.members.items()
                    },
                    "order": list(q.order),
                    "rr_last": q.rr_last,
                    "aht": q.aht,
                    "counters": dict(q.counters),
                    "records": [list(r) for r in _rows(q.records)],
                    "gap_start": q.gap_start,
                    "gaps": [list(g) for g in q.gaps],
                    "roster_pos": q.roster_pos,
                }
                for qid, q in self._queues.items()
            },
            "calls": {
                c.id: {
                    "queue": c.queue,
                    "priority": c.priority,
                    "arrived": c.arrived,
                    "entered": c.entered,
                    "seq": c.seq,
                    "state": c.state,
                    "offered": list(c.offered),
                    "excluded": dict(c.excluded),
                    "agent": c.agent,
                    "answered_at": c.answered_at,
                    "history": [list(h) for h in c.history],
                    "callback": c.callback,
                    "callback_offered": _callback_offered(c),
                    "attempts": c.attempts,
                    "last_pos": c.last_pos,
                    "gen": c.gen,
                    "timeout_due": c.timeout_due,
                    "transfers": c.transfers,
                    "consult": c.consult,
                    "skills": dict(c.skills),
                    "caller": c.caller,
                }
                for c in self._calls.values()
            },
            "timers": [list(t) for t in self._pending_timers() if self._timer_live(t)],
            "handovers": {k: dict(v) for k, v in self._handovers.items()},
        }

    @classmethod
    def restore(
        cls,
        config: QueuesConfig,
        data: Mapping[str, Any],
        *,
        clock: Clock,
        bus: EventBus | None = None,
        calendars: Mapping[str, _Calendar] | None = None,
        rng: random.Random | None = None,
    ) -> QueueEngine:
        """Rebuild an engine from :meth:`snapshot` output under ``config``, which may have changed.

        Calls, timers, hand-overs, agents' states, KPI records and the rng state come from the
        snapshot. Queue memberships are merged three ways, per queue of ``config``: the
        snapshot's memberships (with their run-time changes: ``add_member``, opt in/out,
        hand-overs, ``set_order``) are the start, and what ``config`` changed against the
        snapshot's ``base`` (the membership of the configuration the snapshotting engine was
        built with) is applied to them:

        * a member new in the configuration is added as it says (level, roles, opted in
          unless ``paused``) at the end of the order; an agent that already was a member at run
          time keeps its opt-in flag and place and takes level and roles from the configuration;
        * a member the configuration removed is removed, except memberships a hand-over added
          (they end with it); a member covering for a colleague under an accepted hand-over
          keeps a temporary membership (role member) that ends with the hand-over;
        * a member whose level or roles the configuration changed takes the new ones and keeps
          its opt-in flag (``paused`` only gives the start of a new membership);
        * a queue new in the configuration gets its configured members; a queue it removed is
          dropped (with its KPI records) unless calls are in it: ``ConfigError`` naming the
          queue and its calls (restore once it is empty);
        * an agent the configuration removed is dropped with its memberships if it is logged
          off with no call, otherwise ``ConfigError`` naming it and its status.

        Hand-overs: pending ones whose giver left the queue, whose giver or taker left the
        configuration, or whose queue was removed, and accepted ones on a removed queue, become
        ``cancelled``; an accepted one whose giver or taker left still ends at its time, and
        then changes back only who is still a member.

        The changes take effect at the snapshot's instant as they would at run time: coverage
        gaps open or close (``escalate`` command, ``CoverageChanged``), calls waiting in a queue
        left with nobody reachable take its ``no_agents`` action when it applies to all, and a
        ready agent the change makes eligible is offered a waiting call at once (the commands
        are in :meth:`drain`). Under the unchanged configuration nothing changes: the restored
        engine's snapshot equals the one it was restored from.

        A version-1 snapshot (no ``base``) keeps its memberships (the configuration's changes
        of existing queues are not applied); removed queues and agents are handled as above.

        A snapshot that is not one (missing or mistyped fields) raises ``ConfigError``.
        """
        if not isinstance(data, Mapping):
            raise ConfigError("a snapshot is a mapping", path="snapshot", value=type(data))
        try:
            return cls._restore(config, data, clock=clock, bus=bus, calendars=calendars, rng=rng)
        except (ConfigError, NotFoundError):
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            msg = f"malformed snapshot ({type(exc).__name__}: {exc})"
            raise ConfigError(msg, path="snapshot") from exc

    @classmethod
    def _restore(
        cls,
        config: QueuesConfig,
        data: Mapping[str, Any],
        *,
        clock: Clock,
        bus: EventBus | None = None,
        calendars: Mapping[str, _Calendar] | None = None,
        rng: random.Random | None = None,
    ) -> QueueEngine:
        version = data.get("version")
        if version not in (1, 2):
            raise ConfigError("unsupported snapshot version", path="version", value=version)
        configured = _config_base(config)
        # version 1 has no base: taking the new configuration as the base keeps the snapshot's
        # memberships (the configuration changed nothing the merge could see)
        base: Mapping[str, Mapping[str, Any]] = data["base"] if version == 2 else configured
        snap_queues: Mapping[str, Any] = data["queues"]
        snap_agents: Mapping[str, Any] = data["agents"]
        _refuse_removals(config, snap_queues, snap_agents, data["calls"])
        eng = cls(config, clock=clock, bus=bus, calendars=calendars, rng=rng)
        if rng is None and data.get("rng") is not None:
            eng.rng.setstate(_rng_from(data["rng"]))
        eng._now = float(data["now"])
        eng._seq, eng._tseq, eng._call_no = data["seq"], data["tseq"], data["call_no"]
        for aid, d in snap_agents.items():
            ag = eng._agents.get(aid)
            if ag is None:
                continue  # removed from the configuration (logged off, no call: checked above)
            ag.status = AgentStatus(d["status"])
            ag.reason, ag.presence = d["reason"], Presence(d["presence"])
            ag.idle_since, ag.ready_since, ag.since = d["idle_since"], d["ready_since"], d["since"]
            ag.blocked_until, ag.misses, ag.token, ag.call = (
                d["blocked_until"],
                d["misses"],
                d["token"],
                d["call"],
            )
            ag.answered, ag.talk = dict(d["answered"]), dict(d["talk"])
            ag.time_in = {AgentStatus(k): v for k, v in d["time_in"].items()}
        handovers = {k: dict(v) for k, v in data["handovers"].items()}
        open_states = ("pending", "accepted")
        for h in handovers.values():
            if h["state"] in open_states and h["queue"] not in eng._queues:
                h["state"] = "cancelled"
        eng._agent_queues = {a: [] for a in eng._agents}
        # reachable members per queue under the snapshot's memberships, agents merged by the
        # configuration, and old -> new order positions of queues that lost members
        reach_before: dict[str, int] = {}
        changed: set[str] = set()
        remaps: dict[str, list[int]] = {}
        for qid, q in eng._queues.items():
            d = snap_queues.get(qid)
            if d is None:  # new in the configuration: its configured members (constructor)
                reach_before[qid] = 0
                changed.update(q.members)
            else:
                runtime = {
                    a: _Membership(
                        m["level"],
                        frozenset(Role(r) for r in m["roles"]),
                        m["active"],
                        m["temporary"],
                    )
                    for a, m in d["members"].items()
                    if a in eng._agents
                }
                reach_before[qid] = eng._reachable(runtime)
                covering = {
                    h["to"]
                    for h in handovers.values()
                    if h["queue"] == qid and h["state"] == "accepted"
                }
                old_order = list(d["order"])
                q.members, q.order, moved = _merge_members(
                    runtime, old_order, base.get(qid, {}), configured[qid], covering
                )
                changed |= moved
                for h in handovers.values():
                    if h["queue"] != qid or h["state"] not in open_states:
                        continue
                    giver, taker = h["agent"], h["to"]
                    if h["state"] == "pending":
                        if (giver in runtime and giver not in q.members) or (
                            giver not in eng._agents or taker not in eng._agents
                        ):
                            h["state"] = "cancelled"  # the giver's membership is gone
                    elif taker in q.members and taker in runtime:
                        was, now = runtime[taker].temporary, q.members[taker].temporary
                        if was != now:  # the hand-over's end removes only a temporary one
                            h["added"] = now
                if len(old_order) != sum(1 for a in old_order if a in q.members):
                    remaps[qid] = _remap(old_order, q.order)
                    q.rr_last = _remapped(remaps[qid], d["rr_last"])
                else:
                    q.rr_last = d["rr_last"]
                q.aht = d["aht"]
                q.counters, q.records = dict(d["counters"]), _flat_records(qid, d["records"])
                q.gap_start, q.gaps, q.roster_pos = (
                    d["gap_start"],
                    [list(g) for g in d["gaps"]],
                    d["roster_pos"],
                )
            for a in q.members:
                eng._agent_queues[a].append(qid)
        for ag in eng._agents.values():
            eng._link(ag)
        for cid, d in data["calls"].items():
            c = _Call(cid, d["queue"], d["priority"], d["arrived"], d["seq"], d["caller"])
            c.entered, c.state, c.offered, c.excluded = (
                d["entered"],
                d["state"],
                list(d["offered"]),
                {a: t for a, t in d["excluded"].items() if a in eng._agents},
            )
            c.agent, c.answered_at, c.history = (
                d["agent"],
                d["answered_at"],
                [list(h) for h in d["history"]],
            )
            c.callback, c.attempts, c.last_pos, c.gen = (
                d["callback"],
                d["attempts"],
                d["last_pos"],
                d["gen"],
            )
            if d.get("callback_offered", True):  # snapshots before it was recorded: offered
                c.cb_offer = c.seq
            if c.queue in remaps:
                c.last_pos = _remapped(remaps[c.queue], c.last_pos)
            c.timeout_due, c.transfers, c.consult, c.skills = (
                d["timeout_due"],
                d["transfers"],
                d["consult"],
                dict(d["skills"]),
            )
            eng._calls[cid] = c
            if c.state == WAITING:
                q = eng._queues[c.queue]
                q.n_waiting += 1
                _heappush(q.waiting, (c.priority, c.entered, c.seq, cid))
        for ag in eng._agents.values():
            if ag.status == _READY:
                eng._index_agent(ag)
        eng._timers = [
            (t[0], t[1], t[2], t[3], t[4], t[5])
            for t in data["timers"]
            # timers of removed agents (wrap-up, unblock) or of calls in removed queues
            if not (t[2] in ("wrap", "unblock") and t[3] not in eng._agents)
            and not (t[2] in ("max_wait", "recheck", "cb_offer") and t[4] not in eng._queues)
        ]
        heapq.heapify(eng._timers)  # restored ring timers too: the lanes start empty
        eng._due = eng._earliest()
        eng._gen = max(
            [c.gen for c in eng._calls.values()] + [t[5] for t in eng._timers if t[2] == "ring"],
            default=0,
        )
        eng._handovers = handovers
        eng._apply_merge(reach_before, changed)
        eng._cancel_orphans()
        return eng

    def _cancel_orphans(self) -> None:
        """Cancel what a snapshot written before stand-ins' hand-overs ended with their spot
        may hold: an accepted hand-over whose giver, a stand-in, lost its temporary membership
        when the hand-over that gave it the spot (``root``) ended, A to C, then C back to A (A
        would have been opted out when it ended). Changed back as that end does now (see
        :meth:`_settle`). A giver who left the queue with the configuration (never a
        stand-in whose spot ended) keeps its hand-over running, as before."""
        for h in list(self._handovers.values()):
            q = self._queues.get(h["queue"])
            if h["state"] != "accepted" or q is None or h["agent"] in q.members:
                continue
            roots = [
                u
                for u in self._handovers.values()
                if u["state"] == "reverted"
                and u["added"]
                and u["to"] == h["agent"]
                and u["queue"] == h["queue"]
            ]
            if roots:
                self._settle(q, roots[-1], (h["agent"],))

    def _reachable(self, members: Mapping[str, _Membership]) -> int:
        """How many of ``members`` are opted in and reachable (logged in, not paused)."""
        agents = self._agents
        return sum(
            1 for a, m in members.items() if m.active and agents[a].status not in _UNREACHABLE
        )

    def _apply_merge(self, reach_before: Mapping[str, int], changed: set[str]) -> None:
        """Let the merged memberships take effect as run-time changes would (see restore)."""
        for q in self._queues.values():
            if q.spec.coverage is None and q.gap_start is not None:  # the rule was removed
                q.gaps.append([q.gap_start, self._now])
                q.gap_start = None
            q.n_reachable = self._reachable(q.members)
        for qid, q in self._queues.items():
            diff = q.n_reachable - reach_before[qid]
            if diff:
                # from the count before the merge to the merged one, through _reach (coverage,
                # no_agents); relative to the current count, which earlier queues may have moved
                q.n_reachable -= diff
                self._reach(q, diff)
        for ag in self._agents.values():
            if ag.id in changed:
                self._agent_freed(ag)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


# builds a Command from all eight fields without NamedTuple's Python-level __new__
_new_cmd: Final[Any] = tuple.__new__


def _config_base(config: QueuesConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """The membership a configuration gives each queue, as snapshot data (its ``base``)."""
    return {
        qid: {
            m.agent: {
                "level": m.level,
                "roles": sorted(r.value for r in m.roles),
                "paused": m.paused,
            }
            for m in spec.members
        }
        for qid, spec in config.queues.items()
    }


def _refuse_removals(
    config: QueuesConfig,
    queues: Mapping[str, Any],
    agents: Mapping[str, Any],
    calls: Mapping[str, Any],
) -> None:
    """ConfigError if the configuration removed a queue that holds calls or a busy agent."""
    for qid in queues:
        if qid in config.queues:
            continue
        states: dict[str, int] = {}
        for d in calls.values():
            if d["queue"] == qid:
                states[d["state"]] = states.get(d["state"], 0) + 1
        if states:
            n = sum(states.values())
            detail = ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
            raise ConfigError(
                f"queue {qid!r} is not in the configuration but holds {n} call(s) ({detail}); "
                "restore once it is empty",
                path=f"queues.{qid}",
                value=n,
            )
    for aid, d in agents.items():
        if aid in config.agents:
            continue
        if d["status"] != AgentStatus.LOGGED_OFF.value or d["call"] is not None:
            on_call = f" on call {d['call']!r}" if d["call"] is not None else ""
            raise ConfigError(
                f"agent {aid!r} is not in the configuration but is {d['status']}{on_call}; "
                "restore once it is logged off",
                path=f"agents.{aid}",
                value=d["status"],
            )


def _merge_members(
    runtime: dict[str, _Membership],
    order: list[str],
    base: Mapping[str, Any],
    configured: Mapping[str, Any],
    covering: set[str],
) -> tuple[dict[str, _Membership], list[str], set[str]]:
    """Three-way merge of one queue's memberships (see :meth:`QueueEngine.restore`).

    ``runtime``: the snapshot's members (of agents still configured), ``order`` their order;
    ``base`` and ``configured``: the old and the new configuration's members (snapshot data);
    ``covering``: takers of accepted hand-overs on the queue. Returns the members (in the
    snapshot's order, new ones last), the order, and the agents whose membership changed.
    """
    members = dict(runtime)
    changed: set[str] = set()
    for a, m in runtime.items():
        c, b = configured.get(a), base.get(a)
        if c is None:
            if b is None or m.temporary:
                continue  # added at run time (add_member, hand-over): not the configuration's
            changed.add(a)
            if a in covering:  # covering for a colleague: until the hand-over ends
                members[a] = _Membership(m.level, frozenset({Role.MEMBER}), m.active, True)
            else:
                del members[a]
            continue
        level, roles = c["level"], frozenset(Role(r) for r in c["roles"])
        if b is not None:  # configured before and now: only what the configuration changed
            if level == b["level"]:
                level = m.level
            if roles == frozenset(Role(r) for r in b["roles"]):
                roles = m.roles
        if level != m.level or roles != m.roles or m.temporary:
            changed.add(a)
            members[a] = _Membership(level, roles, m.active, False)
    added = [a for a in configured if a not in runtime and a not in base]
    for a in added:
        c = configured[a]
        members[a] = _Membership(
            c["level"], frozenset(Role(r) for r in c["roles"]), not c["paused"], False
        )
    changed.update(added)
    return members, [a for a in order if a in members] + added, changed


def _remap(old: list[str], new: list[str]) -> list[int]:
    """Old order position -> new position of the last member kept at or before it (or -1)."""
    pos = {a: i for i, a in enumerate(new)}
    out = []
    last = -1
    for a in old:
        last = pos.get(a, last)
        out.append(last)
    return out


def _remapped(remap: list[int], i: int) -> int:
    """A round-robin or linear position (``rr_last``, ``last_pos``) after :func:`_remap`."""
    if i < 0 or not remap:
        return -1
    return remap[min(i, len(remap) - 1)]


def _cut(lane: _Lane) -> None:
    """Drop a lane's fired or discarded entries: all of them once none is left, else once
    there are many and they are most of the list."""
    h = lane.head
    if h == len(lane.items):
        if h:
            lane.items.clear()
            lane.head = 0
    elif h >= _LANE_CUT and 2 * h >= len(lane.items):
        del lane.items[:h]
        lane.head = 0


def _lane_entry(items: list[Any], h: int) -> tuple[float, int, str, str, str, int]:
    """The ring timer at index ``h`` of a lane as a timer tuple."""
    return (items[h], items[h + 1], "ring", items[h + 2], items[h + 3], items[h + 4])


def _rows(records: list[Any]) -> list[tuple[Any, ...]]:
    """A queue's flat KPI records as one tuple per call."""
    n = _RECORD
    return [tuple(records[i : i + n]) for i in range(0, len(records), n)]


def _flat_records(qid: str, rows: list[Any]) -> list[Any]:
    """A snapshot's KPI records (one list per call) in the flat layout; a row that does not
    have the _RECORD fields is refused, as it would shift every record after it."""
    flat: list[Any] = []
    for i, r in enumerate(rows):
        if not isinstance(r, (list, tuple)) or len(r) != _RECORD:
            raise ConfigError(
                f"a KPI record has {_RECORD} fields (entered, outcome, wait, handle, call, "
                "transferred, callback)",
                path=f"queues.{qid}.records[{i}]",
                value=r,
            )
        flat.extend(r)
    return flat


def _callback_offered(c: _Call) -> bool:
    """Whether ``c`` was offered a callback in its current queue visit (``_move`` renews seq)."""
    return getattr(c, "cb_offer", -1) == c.seq


def _exclude(c: _Call, agent: str, until: float) -> None:
    """Do not offer ``c`` to ``agent`` before ``until`` (copy on write: see ``_NOTHING``)."""
    excluded = dict(c.excluded)
    excluded[agent] = until
    c.excluded = excluded


def _dt_of(ts: float) -> datetime:
    return _EPOCH + timedelta(seconds=ts)


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_from(data: list[Any]) -> tuple[Any, ...]:
    return (data[0], tuple(data[1]), data[2])
