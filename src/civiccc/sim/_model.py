"""The simulated contact centre: callers, agents and the production engines on one event loop.

Hot-path notes (the engines do the deciding; this module only has to stay out of the way):

* events are plain tuples ``(time, priority, seq, kind, data)`` on one heap, dispatched by an
  inlined loop (the engine's timers are merged in through ``QueueEngine.next_timer``);
* time is float epoch seconds on a light clock; datetimes are made only for the routing API;
* random streams that only one sampler reads are drawn in batches (the same values in the same
  order as one draw at a time, so a seed gives the same run);
* a call is a mutable list while it runs and becomes its frozen row when it ends (built slot
  by slot: the keyword ``__init__`` of a frozen class costs more than the rest of the call).
"""

from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from civiccc.sim._core import streams
from civiccc.sim._records import CallRow, CaseRow, Results, agent_rows, call_row
from civiccc.sim._scenario import DTMF_KEYS, Dist, Scenario, is_input_kind, resolve_seed

__all__ = ["simulate"]

_STREAMS: Final = ("arrivals", "callers", "dtmf", "patience", "handle", "retrial", "callbacks",
                   "cases", "repeat", "engine")  # fmt: skip

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK: Final = 256  # draws per batch
_INF: Final = math.inf
#: rows between two ``gc.freeze()`` calls while the heap is frozen (see ``_frozen_heap``)
_FREEZE_EVERY: Final = 16384

# call record (a list, mutated while the call runs; see _records.call_rows)
_ID, _CALLER, _ARRIVED, _QUEUE, _KIND, _OUTCOME, _ANSWERED, _ENDED, _AGENT, _ATTEMPT = range(10)
_CALLBACK, _CASE, _DIGITS, _ANNOUNCED = 10, 11, 12, 13


def _sampler(dist: Dist, rng: random.Random) -> Callable[[], float]:
    """One draw at a time from ``rng`` (for streams that several samplers share)."""
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


def _chunked(make: Callable[[], list[float]]) -> Callable[[], float]:
    """A draw function serving values made ``_CHUNK`` at a time by ``make``."""
    return itertools.chain.from_iterable(iter(make, None)).__next__


def _batched(dist: Dist, rng: random.Random) -> Callable[[], float]:
    """Draws from a stream that this sampler alone reads, made in batches.

    The values and their order are exactly those of :func:`_sampler` (``expovariate`` is
    ``-log(1 - random()) / rate``); draws made ahead and never used change nothing else.
    """
    n = range(_CHUNK)
    if dist.kind == "exponential":
        if math.isinf(dist.mean):  # no limit (patience): no draws
            return itertools.repeat(math.inf).__next__
        rate = 1.0 / dist.mean
        rnd = rng.random
        log = math.log
        return _chunked(lambda: [-log(1.0 - rnd()) / rate for _ in n])
    if dist.kind == "fixed":  # no draws
        return itertools.repeat(dist.mean).__next__
    one = _sampler(dist, rng)
    return _chunked(lambda: [one() for _ in n])


class _SimClock:
    """The simulation's clock: epoch seconds in a plain slot (the ``Clock`` protocol)."""

    __slots__ = ("t",)

    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> datetime:
        return _EPOCH + timedelta(seconds=self.t)

    def timestamp(self) -> float:
        return self.t


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
        from civiccc.queues import AgentStatus, QueueEngine, QueuesConfig

        self.sc = sc
        self.rng = streams(seed, *_STREAMS)
        self.t0 = sc.start.timestamp()
        self.t_end = sc.end
        self.now = self.t0
        self.clock = _SimClock(self.t0)
        self.heap: list[tuple[float, int, int, str, Any]] = []
        self.seq = itertools.count()
        self.trace: list[tuple[float, str, Any]] | None = [] if trace else None
        self.cfg = QueuesConfig.from_dict(sc.queues)
        self.queue_ids = frozenset(self.cfg.queues)
        self._status = AgentStatus
        self._idle_statuses = (AgentStatus.READY, AgentStatus.PAUSED, AgentStatus.LOGGED_OFF)
        self.agent_log: list[tuple[str, str, float, float]] = []
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
        if self.flow is None:
            assert sc.default_queue is not None
        self._default = (sc.default_queue or "", "queue", "", 3)
        # nodes that wait for caller input -> the keys that lead somewhere from there
        self._inputs: dict[str, tuple[str, ...]] = {}
        if self.flow is not None:
            for nid, node in self.flow.spec.nodes.items():
                if is_input_kind(node.kind):
                    keys = tuple(k for k in getattr(node, "edges", {}) if k in DTMF_KEYS)
                    self._inputs[nid] = keys
        # the callers' key choices per input node: (keys, cumulative weights, total), exactly
        # what random.choices(keys, weights) computes on each call
        self._choices: dict[str, tuple[list[str], list[float], float]] = {}
        for node, weights in sc.dtmf.items():
            ks = list(weights)
            cum = list(itertools.accumulate(weights[k] for k in ks))
            total = cum[-1] + 0.0 if cum else 0.0
            if 0.0 < total < math.inf:
                self._choices[node] = (ks, cum, total)
        self._asked: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.rows: list[CallRow | None] = []  # every call's row, in id order (None: running)
        self.freezing = False  # set by simulate() when it froze the heap (_frozen_heap)
        self.n_closed = 0
        self.live: dict[str, list[Any]] = {}  # engine call id -> its record
        self.cases: list[CaseRow] = []
        self.n = 0
        self.handlers: dict[str, Callable[[Any], None]] = {
            "arrive": self._on_arrive,
            "abandon": self._on_abandon,
            "answer": self._on_answer,
            "end": self._on_end,
            "shift": self._on_shift,
        }
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
            self.handlers["case_response"] = self._on_case_response
            self.handlers["case_resolve"] = self._on_case_resolve
        rng = self.rng
        self.case_response = _sampler(sc.case_first_response, rng["cases"])
        self.case_resolution = _sampler(sc.case_resolution, rng["cases"])
        # a stream read by one sampler only is drawn in batches
        if sc.patience_by_queue:
            self.patience = _sampler(sc.patience, rng["patience"])
        else:
            self.patience = _batched(sc.patience, rng["patience"])
        self.patience_q = {q: _sampler(d, rng["patience"]) for q, d in sc.patience_by_queue.items()}
        if sc.handle_by_queue:
            self.handle = _sampler(sc.handle, rng["handle"])
        else:
            self.handle = _batched(sc.handle, rng["handle"])
        self.handle_q = {q: _sampler(d, rng["handle"]) for q, d in sc.handle_by_queue.items()}
        self.retrial_delay = _sampler(sc.retrial_delay, rng["retrial"])
        self.repeat_delay = _sampler(sc.repeat_delay, rng["repeat"])
        # arrivals: uniforms in batches (the exponential gaps and the thinning tests both take
        # one each, in order)
        arnd = rng["arrivals"].random
        n = range(_CHUNK)
        self._u = _chunked(lambda: [arnd() for _ in n])
        self._edges, self._rates, self._peak = self._rate_table()
        self._ai = -1  # index of the rate segment of the last arrival time looked at
        self._arrivals = (self._peak, self._u, self._edges, self._rates, len(self._edges) - 1,
                          self.t_end)  # fmt: skip
        self._callers: dict[int, str] = {}
        crng = rng["callers"]
        pool = sc.caller_pool
        self._caller_draw = (crng.random, crng.getrandbits, sc.anonymous_share, pool,
                             pool.bit_length())  # fmt: skip
        # an answered call can have consequences (a case, a repeat call)
        self._follow_up = bool(sc.case_share) or sc.repeat > 0

    # ------------------------------------------------------------------ events
    def _at(self, at: float, kind: str, data: Any, priority: int = 0) -> None:
        """Schedule an event at epoch seconds ``at`` (never in the past)."""
        heapq.heappush(
            self.heap, (at if at > self.now else self.now, priority, next(self.seq), kind, data)
        )

    def _loop(self, until: float) -> None:
        """Run every event (own and the engine's timers) up to and including ``until``."""
        heap = self.heap
        pop = heapq.heappop
        clock = self.clock
        trace = self.trace
        next_timer = self.engine.next_timer
        h = self.handlers
        on_arrive, on_end, on_abandon = h["arrive"], h["end"], h["abandon"]
        on_timer = self._on_engine_timer
        while True:
            ext = next_timer()
            if ext is not None and (not heap or ext < heap[0][0]):
                if ext > until:
                    break
                self.now = clock.t = ext
                on_timer(ext)
                continue
            if not heap or heap[0][0] > until:
                break
            t, _, _, kind, data = pop(heap)
            self.now = clock.t = t
            if trace is not None:
                trace.append((t, kind, data))
            if kind == "end":
                on_end(data)
            elif kind == "arrive":
                on_arrive(data)
            elif kind == "abandon":
                on_abandon(data)
            else:
                h[kind](data)
        if until > self.now:
            self.now = clock.t = until

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

    def _next_arrival(self, after: float) -> float:
        """Non-homogeneous Poisson arrivals by thinning (Lewis-Shedler) against the peak rate.

        The times asked about only grow, so the rate segment is found by walking a cursor
        forward (the same segment as a bisection)."""
        peak, u, edges, rates, last, end = self._arrivals
        if peak <= 0:
            return _INF
        log = math.log
        i = self._ai
        t = after
        while True:
            t += -log(1.0 - u()) / peak  # rng.expovariate(peak)
            if t >= end:
                self._ai = i
                return _INF
            while i < last and edges[i + 1] <= t:
                i += 1
            r = rates[i] if i >= 0 else 0.0
            if r >= peak or u() * peak < r:
                self._ai = i
                return t

    # ------------------------------------------------------------------ engine glue
    def _caller(self) -> str | None:
        rnd, bits, anonymous, pool, k = self._caller_draw
        if rnd() < anonymous:
            return None
        # rng.randrange(pool), spelled out (the same draws: getrandbits until below pool)
        i = bits(k)
        while i >= pool:
            i = bits(k)
        s = self._callers.get(i)
        if s is None:
            s = self._callers[i] = f"+1604{5000000 + i:07d}"
        return s

    def _route(self, caller: str | None, t: float, dtmf: str | None) -> tuple[str, str, str, int]:
        """Route through the production flow; returns (target, kind, digits pressed, priority)."""
        flow = self.flow
        if flow is None:
            return self._default
        at = datetime.fromtimestamp(t, UTC)
        if dtmf is not None:
            d = flow.route(caller, at, dtmf)
            return d.target, d.kind, dtmf, d.priority or 3
        # The caller answers prompt after prompt: route with the keys pressed so far; the first
        # input node on the path beyond them is where the caller decides next. Same decision as
        # an interactive Flow.start() session, but on the compiled, memoised hot path: the keys
        # go as a string (memoised by the flow) while they are single keys; a "" (no input) at
        # the end is the same as running out of input, one inside needs the sequence form.
        rng = self.rng["dtmf"]
        rnd = rng.random
        choices = self._choices
        behaviour = self.sc.dtmf
        inputs = self._inputs
        asked_of = self._asked
        keys: list[str] = []
        pressed = ""  # the keys as a string, while every key is a single one
        plain = True
        route = flow.route
        while True:
            d = route(caller, at, pressed if plain else keys)
            path = d.path
            asked = asked_of.get(path)
            if asked is None:
                asked = asked_of[path] = tuple(n for n in path if n in inputs)
            if len(asked) <= len(keys):
                break
            node = asked[len(keys)]
            ch = choices.get(node)
            if ch is not None:
                ks, cum, total = ch  # rng.choices(ks, weights)[0], spelled out
                key = ks[bisect.bisect(cum, rnd() * total, 0, len(ks) - 1)]
            elif node in behaviour:  # weights that random.choices refuses: let it say so
                weights = behaviour[node]
                ks = list(weights)
                key = rng.choices(ks, [weights[k] for k in ks])[0]
            else:
                opts = inputs[node] or ("",)
                key = opts[rng.randrange(len(opts))]
            if plain and len(keys) > len(pressed):  # a "" before this key
                plain = False
            keys.append(key)
            if plain and len(key) == 1:
                pressed += key
            elif key:
                plain = False
        return d.target, d.kind, "".join(k or "-" for k in keys), d.priority or 3

    def _on_arrive(self, data: tuple[str | None, str | None, int, bool]) -> None:
        caller, dtmf, attempt, scheduled = data
        now = self.now
        if scheduled:
            nxt = self._next_arrival(now)
            if nxt < _INF:
                heapq.heappush(
                    self.heap,
                    (nxt if nxt > now else now, 0, next(self.seq), "arrive",
                     (self._caller(), None, 0, True)),
                )  # fmt: skip
        if self.flow is None:
            target, kind, digits, priority = self._default
        else:
            target, kind, digits, priority = self._route(caller, now, dtmf)
        self.n += 1
        rec: list[Any] = [self.n, caller, now, target, kind, None, None, None, None, attempt,
                          False, False, digits, None]  # fmt: skip
        self.rows.append(None)
        if target in self.queue_ids:
            rec[_KIND] = "queue"  # e.g. an on-call transfer modelled as a hotline
        else:
            rec[_OUTCOME] = kind if kind != "queue" else "unknown_queue"
            rec[_ENDED] = now
            self._close(rec)
            return
        call = self.engine.arrive(target, caller=caller, priority=priority)
        live = self.live
        live[call] = rec
        patience_q = self.patience_q
        # drawn for every call (stable streams)
        pq = patience_q[target]() if patience_q and target in patience_q else self.patience()
        self._commands()
        if rec[_ANSWERED] is None and call in live:  # still waiting
            # a caller left waiting (no agent rung yet) hears the hotline's estimate
            if self.sc.announce and self.engine.call_info(call)["state"] == "waiting":
                rec[_ANNOUNCED] = self.engine.estimated_wait(call)
            if pq >= _INF:
                return
            t = now + pq
            heapq.heappush(self.heap, (t if t > now else now, 0, next(self.seq), "abandon", call))

    def _on_abandon(self, call: str) -> None:
        rec = self.live.get(call)
        if rec is None or rec[_ANSWERED] is not None or rec[_CALLBACK]:
            return
        self.engine.abandon(call)
        self._left(call, "abandoned")
        self._commands()

    def _on_answer(self, data: tuple[str, str]) -> None:
        call, agent = data
        rec = self.live.get(call)
        if rec is None or rec[_ANSWERED] is not None:
            return
        try:
            self.engine.answer(call, agent)
        except Exception:  # the offer was withdrawn meanwhile (ring all, timeout)
            return
        self._commands()

    def _on_end(self, call: str) -> None:
        self.engine.end(call)
        rec = self.live.pop(call)
        rec[_ENDED] = self.now
        rec[_OUTCOME] = "answered"
        if self._follow_up:
            self._answered(rec)
        self.rows[rec[_ID] - 1] = call_row(rec)
        if self.freezing:
            self._count_row()
        self._commands()

    def _on_engine_timer(self, t: float) -> None:
        self.engine.advance(t)
        self._commands()

    def _left(self, call: str, outcome: str) -> None:
        rec = self.live.pop(call, None)
        if rec is None:
            return
        rec[_OUTCOME] = outcome
        rec[_ENDED] = self.now
        self._close(rec)
        retry = outcome == "abandoned" and self.sc.retrial > 0
        if retry and self.rng["retrial"].random() < self.sc.retrial:
            t = self.now + self.retrial_delay()
            if t < self.t_end:
                self._at(t, "arrive", (rec[_CALLER], None, rec[_ATTEMPT] + 1, False))

    def _commands(self) -> None:
        eng = self.engine
        drain = eng.drain
        out = drain()
        if not out:
            return
        live = self.live
        taken: set[str] | None = None
        delay = self.sc.answer_delay
        while True:
            called = False  # only calls into the engine make new commands
            for c in out:  # Command tuples: kind, at, call, agent, queue, contacts, present, data
                kind = c[0]
                if kind == "ring":
                    call = c[2]
                    if delay > 0:
                        self._at(self.now + delay, "answer", (call, c[3]))
                    elif taken is None or call not in taken:  # ring all: the first one answers
                        if taken is None:
                            taken = set()
                        taken.add(call)  # type: ignore[arg-type]
                        eng.answer(call, c[3])  # type: ignore[arg-type]
                        called = True
                elif kind == "connect":
                    call = c[2]
                    rec = live.get(call)  # type: ignore[arg-type]
                    if rec is not None:
                        if rec[_ANSWERED] is None:
                            rec[_ANSWERED] = c[1]
                            rec[_AGENT] = c[3]
                        if not rec[_CALLBACK]:
                            h = self.handle_q.get(rec[_QUEUE], self.handle)()
                            now = self.now
                            t = now + h
                            heapq.heappush(
                                self.heap, (t if t > now else now, 0, next(self.seq), "end", call)
                            )
                elif kind == "dial_callback":
                    reached = self.rng["callbacks"].random() < self.sc.callback_reached
                    eng.callback_result(c[2], reached=reached)  # type: ignore[arg-type]
                    called = True
                    if reached:
                        rec = live[c[2]]  # type: ignore[index]
                        h = self.handle_q.get(rec[_QUEUE], self.handle)()
                        self._at(self.now + h, "end", c[2])
                    else:
                        live[c[2]][_ANSWERED] = None  # type: ignore[index]
                elif kind == "action":
                    data = c[7] or {}
                    self._left(c[2], str(data.get("reason", "action")))  # type: ignore[arg-type]
                elif kind == "offer_callback":
                    rec = live.get(c[2])  # type: ignore[arg-type]
                    # still open to the caller: not answered, not already a callback, and not
                    # lapsed (the same batch may have moved the call to another queue)
                    waiting = (
                        rec is not None
                        and rec[_ANSWERED] is None
                        and not rec[_CALLBACK]
                        and eng.call_info(c[2])["callback_offered"]  # type: ignore[arg-type]
                    )
                    if waiting and self.rng["callbacks"].random() < self.sc.callback_acceptance:
                        assert rec is not None
                        eng.accept_callback(c[2], rec[_CALLER] or "anonymous")  # type: ignore[arg-type]
                        rec[_CALLBACK] = True
                        called = True
            if not called:
                return
            out = drain()
            if not out:
                return

    def _close(self, rec: list[Any]) -> None:
        """The call has ended: cases, repeat calls, and its row."""
        if rec[_OUTCOME] == "answered" and self._follow_up:
            self._answered(rec)
        self.rows[rec[_ID] - 1] = call_row(rec)
        if self.freezing:
            self._count_row()

    def _count_row(self) -> None:
        self.n_closed = n = self.n_closed + 1
        if n % _FREEZE_EVERY == 0:
            gc.freeze()  # the rows so far join the frozen objects: full passes skip them

    def _answered(self, rec: list[Any]) -> None:
        """An answered call may open a case and make the caller call again."""
        sc = self.sc
        share = sc.case_share.get(rec[_QUEUE], 0.0) if sc.case_share else 0.0
        if share > 0 and self.rng["cases"].random() < share:
            rec[_CASE] = True
            service = sc.services.get(rec[_QUEUE], rec[_QUEUE])
            ref = None
            if self.desk is not None:
                c = self.desk.create(
                    service, by="sim-agent", channel="phone", links=[("call", f"call-{rec[_ID]}")]
                )
                ref = c.id
                self._at(rec[_ENDED] + self.case_response(), "case_response", ref)
                self._at(rec[_ENDED] + self.case_resolution(), "case_resolve", ref)
            self.cases.append(
                CaseRow(
                    case=len(self.cases) + 1,
                    call=rec[_ID],
                    service=service,
                    queue=rec[_QUEUE],
                    opened=rec[_ENDED],
                    reference=ref,
                )
            )
        if sc.repeat > 0 and rec[_CALLER] is not None and self.rng["repeat"].random() < sc.repeat:
            t = rec[_ENDED] + self.repeat_delay()
            if t < self.t_end:
                self._at(t, "arrive", (rec[_CALLER], None, 0, False))

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
                self._sla[ref] = (due, self.now, bool(st.breached))

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
                    self._at(_local_ts(day, sh.start, self.zone), "shift", (agent, "in"), -1)
                    for b0, b1 in sh.breaks:
                        self._at(_local_ts(day, b0, self.zone), "shift", (agent, "pause"), -1)
                        self._at(_local_ts(day, b1, self.zone), "shift", (agent, "resume"), -1)
                    self._at(_local_ts(day, sh.end, self.zone), "shift", (agent, "out"), -1)
            day = _next(day)

    def _on_shift(self, data: tuple[str, str]) -> None:
        status = self._status
        agent, what = data
        eng = self.engine
        st = eng.status(agent)
        busy = st not in self._idle_statuses
        if busy and what in ("out", "pause"):
            # finish the call first; try again shortly
            self._at(self.now + 15.0, "shift", data, -1)
            return
        if what == "in" and st is status.LOGGED_OFF:
            eng.login(agent)
        elif what == "out" and st is not status.LOGGED_OFF:
            eng.logout(agent)
        elif what == "pause" and st is status.READY:
            eng.pause(agent, "break")
        elif what == "resume" and st is status.PAUSED:
            eng.resume(agent)
        self._commands()

    def run(self, progress: Any = None) -> Results:
        if self.sc.replay is not None:
            for t, caller, dtmf in self.sc.replay:
                if self.t0 <= t < self.t_end:
                    self._at(t, "arrive", (caller, dtmf, 0, False))
        else:
            first = self._next_arrival(self.t0)
            if first < _INF:
                self._at(first, "arrive", (self._caller(), None, 0, True))
        self._schedule_shifts()
        if self.desk is not None:
            with self.desk.batch():
                self._run(progress)
        else:
            self._run(progress)
        # calls still in the system at the end of the horizon
        for rec in self.live.values():
            rec[_OUTCOME] = "in_progress" if rec[_ANSWERED] is not None else "waiting"
            rec[_ENDED] = self.t_end
            self._close(rec)
        self.live.clear()
        return Results(
            scenario=self.sc,
            seed=0,
            calls=tuple(self.rows),  # type: ignore[arg-type]  # every call has ended by now
            cases=self._case_rows(),
            agents=self._agent_rows(),
            trace=tuple(self.trace) if self.trace is not None else None,
        )

    def _run(self, progress: Any) -> None:
        if progress is None:
            self._loop(self.t_end)
        else:
            step = 3600.0
            t = self.t0
            while t < self.t_end:
                nt = min(t + step, self.t_end)
                self._loop(nt)
                progress(nt - t)
                t = nt

    def _on_status(self, ev: Any) -> None:
        now = self.now
        agent = ev.agent
        start, status = self._since.get(agent, (self.t0, ev.old))
        if now > start:
            self.agent_log.append((agent, status, start, now))
        self._since[agent] = (now, ev.new)

    def _agent_rows(self) -> tuple[Any, ...]:
        log = self.agent_log
        for agent, (start, status) in self._since.items():
            if self.t_end > start:
                log.append((agent, status, start, self.t_end))
        self._since.clear()
        log.sort(key=lambda r: (r[0], r[2]))
        return agent_rows(log)


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
    seed: int | None = None,
    trace: bool = False,
    progress: Any = None,
    record_agents: bool = True,
    store: Any = None,
) -> Results:
    """Run one replication of ``scenario`` with ``seed``; the same seed gives the same run.

    Without ``seed``, the scenario's ``seed`` (``seed:`` in its file), else 0.

    ``trace=True`` keeps the event trace ``(time, kind, data)``; ``progress`` is called with
    simulated seconds done (e.g. a tqdm ``update``); ``record_agents=False`` skips the per-agent
    status intervals (and occupancy) for speed. With a service catalogue in the scenario, cases
    open in a :class:`civiccc.cases.CaseDesk` on the simulation clock, kept in ``store`` (a
    ``civiccc.cases`` store, e.g. ``SqliteStore(path)``; default: in memory).
    """
    seed = resolve_seed(scenario, seed)
    sim = _Sim(scenario, seed, trace=trace, record_agents=record_agents, store=store)
    with _frozen_heap() as sim.freezing:
        res = sim.run(progress)
    return res.with_seed(seed)


@contextmanager
def _frozen_heap() -> Iterator[bool]:
    """Keep the cyclic garbage collector's full passes off the objects a run keeps.

    A run creates a row per call that lives as long as its results; CPython's full collections
    traverse every live object again and again (about a fifth of a compiled run's time). So the
    run freezes the heap (``gc.freeze()``: objects that exist are ignored by the collector) at
    its start and after every ``_FREEZE_EVERY`` rows, and unfreezes everything when it ends or
    fails; cyclic garbage of that time is collected afterwards. Nothing is done (yields
    ``False``) when the collector is disabled or the application has frozen objects itself
    (e.g. a pre-fork server): its frozen set is never touched.
    """
    own = gc.isenabled() and gc.get_freeze_count() == 0
    if own:
        gc.freeze()
    try:
        yield own
    finally:
        if own:
            gc.unfreeze()
