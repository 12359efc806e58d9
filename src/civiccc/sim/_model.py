"""The simulated contact centre: callers, agents and the production engines on one event loop."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from civiccc.clock import VirtualClock
from civiccc.sim._core import EventLoop, streams
from civiccc.sim._records import AgentRow, CallRow, CaseRow, Results
from civiccc.sim._scenario import Dist, Scenario

__all__ = ["simulate"]

_STREAMS = ("arrivals", "callers", "dtmf", "patience", "handle", "retrial", "callbacks", "cases",
            "repeat", "engine")  # fmt: skip


def _sampler(dist: Dist, rng: random.Random) -> Any:
    kind = dist.kind
    if kind == "exponential":
        if math.isinf(dist.mean):
            return lambda: math.inf
        rate = 1.0 / dist.mean
        ex = rng.expovariate
        return lambda: ex(rate)
    if kind == "fixed":
        m = dist.mean
        return lambda: m
    if kind == "uniform":
        lo, hi = dist.low, dist.high
        return lambda: rng.uniform(lo, hi)
    # lognormal with the given mean and sd
    s2 = math.log(1 + (dist.sd / dist.mean) ** 2)
    mu, sg = math.log(dist.mean) - s2 / 2, math.sqrt(s2)
    return lambda: rng.lognormvariate(mu, sg)


class _Sim:
    def __init__(
        self,
        sc: Scenario,
        seed: int,
        *,
        trace: bool = False,
        record_agents: bool = True,
        store: Any = None,
    ) -> None:
        from civiccc.queues import QueueEngine, QueuesConfig

        self.sc = sc
        self.rng = streams(seed, *_STREAMS)
        self.t0 = sc.start.timestamp()
        self.t_end = sc.end
        self.clock = VirtualClock(self.t0)
        self.loop = EventLoop(self.clock)
        if trace:
            self.loop.trace = []
        self.cfg = QueuesConfig.from_dict(sc.queues)
        self.agent_rows: list[AgentRow] = []
        self._since: dict[str, tuple[float, str]] = {}
        bus = None
        if record_agents:
            from civiccc.events import EventBus
            from civiccc.queues import AgentStatusChanged

            bus = EventBus()
            bus.subscribe(AgentStatusChanged, self._on_status)
        self.engine = QueueEngine(
            self.cfg, clock=self.clock, calendars=sc.calendars, rng=self.rng["engine"], bus=bus
        )
        self.zone = ZoneInfo(sc.timezone)
        self.flow: Any = sc.flow
        if isinstance(sc.flow, (str, Mapping)):
            from civiccc.routing import load_flow

            self.flow = load_flow(sc.flow)
        # nodes that wait for caller input -> the keys that lead somewhere from there
        self._inputs: dict[str, tuple[str, ...]] = {}
        if self.flow is not None:
            for nid, node in self.flow.spec.nodes.items():
                if node.kind in ("menu", "language") or "dial" in node.kind:
                    keys = tuple(
                        k for k in getattr(node, "edges", {}) if len(k) == 1 and k in "0123456789*#"
                    )
                    self._inputs[nid] = keys
        self.calls: list[CallRow] = []
        self.live: dict[str, list[Any]] = {}  # engine call id -> mutable record
        self.cases: list[CaseRow] = []
        self.n = 0
        h = self.loop.handlers
        h["arrive"] = self._on_arrive
        h["abandon"] = self._on_abandon
        h["answer"] = self._on_answer
        h["end"] = self._on_end
        h["shift"] = self._on_shift
        self.loop.external = self.engine.next_timer
        self.loop.fire_external = self._on_engine_timer
        self.desk: Any = None
        self._stage: dict[str, int] = {}
        self._sla: dict[str, tuple[float | None, float, bool]] = {}
        if sc.catalogue is not None:
            from civiccc.cases import CaseDesk, MemoryStore

            self.desk = CaseDesk(
                sc.catalogue,
                clock=self.clock,
                calendars=sc.calendars,
                store=store if store is not None else MemoryStore(),
            )
            h["case_response"] = self._on_case_response
            h["case_resolve"] = self._on_case_resolve
        self.case_response = _sampler(sc.case_first_response, self.rng["cases"])
        self.case_resolution = _sampler(sc.case_resolution, self.rng["cases"])
        self.patience = _sampler(sc.patience, self.rng["patience"])
        self.patience_q = {
            q: _sampler(d, self.rng["patience"]) for q, d in sc.patience_by_queue.items()
        }
        self.handle = _sampler(sc.handle, self.rng["handle"])
        self.handle_q = {q: _sampler(d, self.rng["handle"]) for q, d in sc.handle_by_queue.items()}
        self.retrial_delay = _sampler(sc.retrial_delay, self.rng["retrial"])
        self.repeat_delay = _sampler(sc.repeat_delay, self.rng["repeat"])
        self._rates = self._rate_table()

    # ------------------------------------------------------------------ arrivals
    def _rate_table(self) -> tuple[list[float], list[float], float]:
        """Piecewise-constant arrival rate (calls/s) over the horizon: breakpoints and rates."""
        sc = self.sc
        t, end = self.t0, self.t_end
        day = datetime.fromtimestamp(t, self.zone).date() - timedelta(days=1)
        edges: list[float] = []
        rates: list[float] = []
        while True:
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            if midnight.timestamp() > end:
                break
            factor = sc.surges.get(day, 1.0) * (sc.holiday_factor if day in sc.holidays else 1.0)
            for lo, hi, rate in sc.arrivals_weekly[day.weekday()]:
                a = _local_ts(day, lo, self.zone)
                b = _local_ts(day, hi, self.zone)
                edges.append(a)
                rates.append(rate * factor / 3600.0)
                edges.append(b)
                rates.append(0.0)
            day = _next(day)
        order = sorted(range(len(edges)), key=lambda i: (edges[i], rates[i] > 0))
        e2 = [edges[i] for i in order]
        r2 = [rates[i] for i in order]
        return e2, r2, max(r2, default=0.0)

    def _rate_at(self, t: float) -> float:
        edges, rates, _ = self._rates
        i = bisect.bisect_right(edges, t) - 1
        return rates[i] if i >= 0 else 0.0

    def _next_arrival(self, after: float) -> float:
        """Non-homogeneous Poisson arrivals by thinning (Lewis-Shedler) against the peak rate."""
        _, _, peak = self._rates
        if peak <= 0:
            return math.inf
        rng = self.rng["arrivals"]
        t = after
        while True:
            t += rng.expovariate(peak)
            if t >= self.t_end:
                return math.inf
            r = self._rate_at(t)
            if r >= peak or rng.random() * peak < r:
                return t

    # ------------------------------------------------------------------ engine glue
    def _caller(self) -> str | None:
        rng = self.rng["callers"]
        if rng.random() < self.sc.anonymous_share:
            return None
        return f"+1604{5000000 + rng.randrange(self.sc.caller_pool):07d}"

    def _route(self, caller: str | None, t: float, dtmf: str | None) -> tuple[str, str, str, int]:
        """Route through the production flow; returns (target, kind, digits pressed, priority)."""
        flow = self.flow
        if flow is None:
            assert self.sc.default_queue is not None
            return self.sc.default_queue, "queue", "", 3
        at = datetime.fromtimestamp(t, UTC)
        if dtmf is not None:
            d = flow.route(caller, at, dtmf)
            return d.target, d.kind, dtmf, d.priority or 3
        # The caller answers prompt after prompt: route with the keys pressed so far; the first
        # input node on the path beyond them is where the caller decides next. Same decision as
        # an interactive Flow.start() session, but on the compiled, memoised hot path.
        rng = self.rng["dtmf"]
        behaviour = self.sc.dtmf
        inputs = self._inputs
        keys: list[str] = []
        route = flow.route
        while True:
            d = route(caller, at, keys)
            asked = [n for n in d.path if n in inputs]
            if len(asked) <= len(keys):
                break
            node = asked[len(keys)]
            weights = behaviour.get(node)
            if weights is None:
                opts = inputs[node] or ("",)
                key = opts[rng.randrange(len(opts))]
            else:
                ks = list(weights)
                key = rng.choices(ks, [weights[k] for k in ks])[0]
            keys.append(key)
        return d.target, d.kind, "".join(k or "-" for k in keys), d.priority or 3

    def _on_arrive(self, data: tuple[str | None, str | None, int, bool]) -> None:
        caller, dtmf, attempt, scheduled = data
        now = self.loop.now
        if scheduled:
            nxt = self._next_arrival(now)
            if nxt < math.inf:
                self.loop.schedule(nxt, "arrive", (self._caller(), None, 0, True))
        target, kind, digits, priority = self._route(caller, now, dtmf)
        self.n += 1
        # row: [id, caller, arrived, queue/target, kind, outcome, answered_at, ended, agent,
        #       attempt, callback, case, digits]
        rec: list[Any] = [self.n, caller, now, target, kind, None, None, None, None, attempt,
                          False, False, digits]  # fmt: skip
        if target in self.cfg.queues:
            kind = rec[4] = "queue"  # e.g. an on-call transfer modelled as a hotline
        else:
            rec[5] = kind if kind != "queue" else "unknown_queue"
            rec[7] = now
            self._close(rec)
            return
        call = self.engine.arrive(target, caller=caller, priority=priority)
        self.live[call] = rec
        pq = self.patience_q.get(target, self.patience)()  # drawn for every call (stable streams)
        self._commands()
        if pq < math.inf and rec[6] is None and call in self.live:  # still waiting
            self.loop.schedule(now + pq, "abandon", call)

    def _on_abandon(self, call: str) -> None:
        rec = self.live.get(call)
        if rec is None or rec[6] is not None or rec[10]:
            return
        self.engine.abandon(call)
        self._left(call, "abandoned")
        self._commands()

    def _on_answer(self, data: tuple[str, str]) -> None:
        call, agent = data
        rec = self.live.get(call)
        if rec is None or rec[6] is not None:
            return
        try:
            self.engine.answer(call, agent)
        except Exception:  # the offer was withdrawn meanwhile (ring all, timeout)
            return
        self._commands()

    def _on_end(self, call: str) -> None:
        self.engine.end(call)
        rec = self.live.pop(call)
        rec[7] = self.loop.now
        rec[5] = "answered"
        self._close(rec)
        self._commands()

    def _on_engine_timer(self, t: float) -> None:
        self.engine.advance(t)
        self._commands()

    def _left(self, call: str, outcome: str) -> None:
        rec = self.live.pop(call, None)
        if rec is None:
            return
        rec[5] = outcome
        rec[7] = self.loop.now
        self._close(rec)
        retry = outcome == "abandoned" and self.sc.retrial > 0
        if retry and self.rng["retrial"].random() < self.sc.retrial:
            t = self.loop.now + self.retrial_delay()
            if t < self.t_end:
                self.loop.schedule(t, "arrive", (rec[1], None, rec[9] + 1, False))

    def _commands(self) -> None:
        eng = self.engine
        out = eng.drain()
        taken: set[str] = set()
        while out:
            for c in out:
                kind = c.kind
                if kind == "ring":
                    if self.sc.answer_delay > 0:
                        self.loop.schedule(
                            self.loop.now + self.sc.answer_delay, "answer", (c.call, c.agent)
                        )
                    elif c.call not in taken:  # ring all: the first ringing agent answers
                        taken.add(c.call)  # type: ignore[arg-type]
                        eng.answer(c.call, c.agent)  # type: ignore[arg-type]
                elif kind == "connect":
                    rec = self.live.get(c.call)  # type: ignore[arg-type]
                    if rec is not None and rec[6] is None:
                        rec[6] = c.at
                        rec[8] = c.agent
                    if rec is not None and not rec[10]:
                        q = rec[3]
                        h = self.handle_q.get(q, self.handle)()
                        self.loop.schedule(self.loop.now + h, "end", c.call)
                elif kind == "dial_callback":
                    reached = self.rng["callbacks"].random() < self.sc.callback_reached
                    eng.callback_result(c.call, reached=reached)  # type: ignore[arg-type]
                    if reached:
                        rec = self.live[c.call]  # type: ignore[index]
                        h = self.handle_q.get(rec[3], self.handle)()
                        self.loop.schedule(self.loop.now + h, "end", c.call)
                    else:
                        self.live[c.call][6] = None  # type: ignore[index]
                elif kind == "action":
                    data = c.data or {}
                    self._left(c.call, str(data.get("reason", "action")))  # type: ignore[arg-type]
                elif kind == "offer_callback":
                    rec = self.live.get(c.call)  # type: ignore[arg-type]
                    waiting = rec is not None and rec[6] is None and not rec[10]
                    if waiting and self.rng["callbacks"].random() < self.sc.callback_acceptance:
                        assert rec is not None
                        eng.accept_callback(c.call, rec[1] or "anonymous")  # type: ignore[arg-type]
                        rec[10] = True
            out = eng.drain()

    def _close(self, rec: list[Any]) -> None:
        sc = self.sc
        case = False
        if rec[5] == "answered":
            share = sc.case_share.get(rec[3], 0.0)
            if share > 0 and self.rng["cases"].random() < share:
                case = True
                service = sc.services.get(rec[3], rec[3])
                ref = None
                if self.desk is not None:
                    c = self.desk.create(
                        service, by="sim-agent", channel="phone", links=[("call", f"call-{rec[0]}")]
                    )
                    ref = c.id
                    self.loop.schedule(rec[7] + self.case_response(), "case_response", ref)
                    self.loop.schedule(rec[7] + self.case_resolution(), "case_resolve", ref)
                self.cases.append(
                    CaseRow(
                        case=len(self.cases) + 1,
                        call=rec[0],
                        service=service,
                        queue=rec[3],
                        opened=rec[7],
                        reference=ref,
                    )
                )
            if sc.repeat > 0 and rec[1] is not None and self.rng["repeat"].random() < sc.repeat:
                t = rec[7] + self.repeat_delay()
                if t < self.t_end:
                    self.loop.schedule(t, "arrive", (rec[1], None, 0, False))
        self.calls.append(
            CallRow(
                call=rec[0],
                caller=rec[1],
                arrived=rec[2],
                queue=rec[3],
                kind=rec[4],
                outcome=rec[5],
                answered=rec[6],
                ended=rec[7],
                agent=rec[8],
                attempt=rec[9],
                callback=rec[10],
                case=case,
                digits=rec[12],
            )
        )

    # ------------------------------------------------------------------ cases (civiccc.cases)
    def _on_case_response(self, ref: str) -> None:
        # stage per case: 0 new, 1 triaged and assigned, 2 resolved (tracked here so the
        # desk is only asked to change cases, never to look them up)
        if self._stage.get(ref, 0) == 0:
            self.desk.fire(ref, "triage", by="sim-clerk")
            self.desk.assign(ref, by="sim-clerk", assignee="team")
            self._stage[ref] = 1

    def _on_case_resolve(self, ref: str) -> None:
        self._on_case_response(ref)
        if self._stage[ref] == 1:
            self.desk.fire(ref, "start", by="sim-clerk")
            # read the resolution clock while the case is open (breach is sticky, so a
            # resolution now is late exactly when the clock is breached now)
            st = self.desk.sla(ref).get("resolution")
            self.desk.fire(ref, "resolve", by="sim-clerk")
            self._stage[ref] = 2
            if st is not None:
                due = st.due.timestamp() if st.due is not None else None
                self._sla[ref] = (due, self.loop.now, bool(st.breached))

    def _case_rows(self) -> tuple[CaseRow, ...]:
        if self.desk is None:
            return tuple(self.cases)
        end = datetime.fromtimestamp(self.t_end, UTC)
        out = []
        for row in self.cases:
            done = self._sla.get(row.reference or "")
            if done is not None:
                out.append(attrs.evolve(row, sla_due=done[0], resolved=done[1], breached=done[2]))
                continue
            st = self.desk.sla(row.reference, at=end).get("resolution")  # still open
            if st is None:
                out.append(row)
                continue
            due = st.due.timestamp() if st.due is not None else None
            out.append(attrs.evolve(row, sla_due=due, breached=bool(st.breached)))
        return tuple(out)

    # ------------------------------------------------------------------ agents
    def _schedule_shifts(self) -> None:
        sc = self.sc
        if not sc.shifts:
            for a in self.cfg.agents:
                self.engine.login(a)
            return
        day = datetime.fromtimestamp(self.t0, self.zone).date() - timedelta(days=1)
        while _local_ts(day, 0, self.zone) < self.t_end:
            wd = day.weekday()
            for agent, shifts in sc.shifts.items():
                for sh in shifts:
                    if wd not in sh.days:
                        continue
                    self.loop.schedule(
                        _local_ts(day, sh.start, self.zone), "shift", (agent, "in"), priority=-1
                    )
                    for b0, b1 in sh.breaks:
                        self.loop.schedule(
                            _local_ts(day, b0, self.zone), "shift", (agent, "pause"), priority=-1
                        )
                        self.loop.schedule(
                            _local_ts(day, b1, self.zone), "shift", (agent, "resume"), priority=-1
                        )
                    self.loop.schedule(
                        _local_ts(day, sh.end, self.zone), "shift", (agent, "out"), priority=-1
                    )
            day = _next(day)

    def _on_shift(self, data: tuple[str, str]) -> None:
        from civiccc.queues import AgentStatus

        agent, what = data
        eng = self.engine
        st = eng.status(agent)
        busy = st not in (AgentStatus.READY, AgentStatus.PAUSED, AgentStatus.LOGGED_OFF)
        if busy and what in ("out", "pause"):
            # finish the call first; try again shortly
            self.loop.schedule(self.loop.now + 15.0, "shift", data, priority=-1)
            return
        if what == "in" and st is AgentStatus.LOGGED_OFF:
            eng.login(agent)
        elif what == "out" and st is not AgentStatus.LOGGED_OFF:
            eng.logout(agent)
        elif what == "pause" and st is AgentStatus.READY:
            eng.pause(agent, "break")
        elif what == "resume" and st is AgentStatus.PAUSED:
            eng.resume(agent)
        self._commands()

    def run(self, progress: Any = None) -> Results:
        if self.sc.replay is not None:
            for t, caller, dtmf in self.sc.replay:
                if self.t0 <= t < self.t_end:
                    self.loop.schedule(t, "arrive", (caller, dtmf, 0, False))
        else:
            first = self._next_arrival(self.t0)
            if first < math.inf:
                self.loop.schedule(first, "arrive", (self._caller(), None, 0, True))
        self._schedule_shifts()
        if self.desk is not None:
            with self.desk.batch():
                self._run(progress)
        else:
            self._run(progress)
        # calls still in the system at the end of the horizon
        for call, rec in list(self.live.items()):
            rec[5] = "in_progress" if rec[6] is not None else "waiting"
            rec[7] = self.t_end
            self._close(rec)
            del self.live[call]
        return Results(
            scenario=self.sc,
            seed=0,
            calls=tuple(sorted(self.calls, key=lambda r: r.call)),
            cases=self._case_rows(),
            agents=self._agent_rows(),
            trace=tuple(self.loop.trace) if self.loop.trace is not None else None,
        )

    def _run(self, progress: Any) -> None:
        if progress is None:
            self.loop.run(until=self.t_end)
        else:
            step = 3600.0
            t = self.t0
            while t < self.t_end:
                nt = min(t + step, self.t_end)
                self.loop.run(until=nt)
                progress(nt - t)
                t = nt

    def _on_status(self, ev: Any) -> None:
        now = self.loop.now
        start, status = self._since.get(ev.agent, (self.t0, ev.old))
        if now > start:
            self.agent_rows.append(AgentRow(agent=ev.agent, status=status, start=start, end=now))
        self._since[ev.agent] = (now, ev.new)

    def _agent_rows(self) -> tuple[AgentRow, ...]:
        for agent, (start, status) in self._since.items():
            if self.t_end > start:
                self.agent_rows.append(
                    AgentRow(agent=agent, status=status, start=start, end=self.t_end)
                )
        self._since.clear()
        return tuple(sorted(self.agent_rows, key=lambda r: (r.agent, r.start)))


def _local_ts(day: date, seconds: float, zone: ZoneInfo) -> float:
    base = datetime(day.year, day.month, day.day, tzinfo=zone)
    if seconds >= 86400:
        nd = _next(day)
        return datetime(nd.year, nd.month, nd.day, tzinfo=zone).timestamp()
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return base.replace(hour=h, minute=m, second=s).timestamp()


def _next(day: date) -> date:
    return day + timedelta(days=1)


def simulate(
    scenario: Scenario,
    *,
    seed: int = 0,
    trace: bool = False,
    progress: Any = None,
    record_agents: bool = True,
    store: Any = None,
) -> Results:
    """Run one replication of ``scenario`` with ``seed``; the same seed gives the same run.

    ``trace=True`` keeps the event trace ``(time, kind, data)``; ``progress`` is called with
    simulated seconds done (e.g. a tqdm ``update``); ``record_agents=False`` skips the per-agent
    status intervals (and occupancy) for speed. With a service catalogue in the scenario, cases
    open in a :class:`civiccc.cases.CaseDesk` on the simulation clock, kept in ``store`` (a
    ``civiccc.cases`` store, e.g. ``SqliteStore(path)``; default: in memory).
    """
    sim = _Sim(scenario, seed, trace=trace, record_agents=record_agents, store=store)
    res = sim.run(progress)
    return res.with_seed(seed)
