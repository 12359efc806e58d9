"""Flat result rows, KPIs per queue and interval, and replication summaries."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from civiccc.sim._scenario import Scenario

__all__ = [
    "AgentRow",
    "CallRow",
    "CaseRow",
    "Estimate",
    "Results",
    "Summary",
    "agent_rows",
    "call_row",
    "kpis",
]

_BUSY = ("on_queue_call", "wrap_up")
_STAFFED = ("on_queue_call", "wrap_up", "ready", "offered")


@attrs.frozen(kw_only=True)
class CallRow:
    """One call (epoch seconds). ``outcome``: answered, abandoned, overflow, timeout, closed,
    no_agents, callback_failed, voicemail, disconnect, transfer, waiting/in_progress (at the
    horizon). ``queue`` holds the routing target."""

    call: int
    caller: str | None
    arrived: float
    queue: str
    kind: str
    outcome: str | None
    answered: float | None
    ended: float | None
    agent: str | None
    attempt: int
    callback: bool
    case: bool
    digits: str
    #: with ``Scenario.announce``: the queue engine's wait estimate when the caller started
    #: waiting (``QueueEngine.estimated_wait``); ``None`` for calls answered at once
    announced_wait: float | None = None

    @property
    def wait(self) -> float:
        """Seconds from arrival to answer (or to leaving the queue)."""
        end = self.answered if self.answered is not None else (self.ended or self.arrived)
        return end - self.arrived


@attrs.frozen(kw_only=True)
class AgentRow:
    """One interval an agent spent in one status."""

    agent: str
    status: str
    start: float
    end: float


@attrs.frozen(kw_only=True)
class CaseRow:
    """A case opened from an answered call; with a catalogue, ``reference`` is the
    :class:`civiccc.cases.CaseDesk` case id and the resolution SLA clock is read at the end of
    the run (``sla_due``, ``resolved``, ``breached``: still open past due counts too)."""

    case: int
    call: int
    service: str
    queue: str
    opened: float
    reference: str | None = None
    sla_due: float | None = None
    resolved: float | None = None
    breached: bool | None = None


_CALL_FIELDS = ("call", "caller", "arrived", "queue", "kind", "outcome", "answered", "ended",
                "agent", "attempt", "callback", "case", "digits", "announced_wait")  # fmt: skip
_AGENT_FIELDS = ("agent", "status", "start", "end")


def _slot_setters(cls: type, names: tuple[str, ...]) -> list[Any]:
    """The slot descriptors' setters of a frozen attrs class, in field order."""
    fields = attrs.fields(cls)
    if tuple(f.name for f in fields) != names or any(f.validator or f.converter for f in fields):
        raise TypeError(f"{cls.__name__} changed: update its fast row builder")  # pragma: no cover
    return [cls.__dict__[name].__set__ for name in names]


def _call_row_builder() -> Callable[[Sequence[Any]], CallRow]:
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13 = _slot_setters(
        CallRow, _CALL_FIELDS
    )
    new = object.__new__

    def call_row(r: Sequence[Any]) -> CallRow:
        """One :class:`CallRow` from a record in field order.

        The same object as ``CallRow(call=..., ...)`` (equal, same hash), set slot by slot: the
        keyword ``__init__`` of a frozen class costs more than the rest of a simulated call.

        >>> row = call_row([1, None, 0.0, "q", "queue", "answered", 5.0, 60.0, "a", 0, False,
        ...                 False, "", None])
        >>> row.wait, row == CallRow(call=1, caller=None, arrived=0.0, queue="q", kind="queue",
        ...     outcome="answered", answered=5.0, ended=60.0, agent="a", attempt=0, callback=False,
        ...     case=False, digits="")
        (5.0, True)
        """
        o: CallRow = new(CallRow)
        s0(o, r[0])
        s1(o, r[1])
        s2(o, r[2])
        s3(o, r[3])
        s4(o, r[4])
        s5(o, r[5])
        s6(o, r[6])
        s7(o, r[7])
        s8(o, r[8])
        s9(o, r[9])
        s10(o, r[10])
        s11(o, r[11])
        s12(o, r[12])
        s13(o, r[13])
        return o

    return call_row


call_row = _call_row_builder()


def agent_rows(recs: Iterable[Sequence[Any]]) -> tuple[AgentRow, ...]:
    """:class:`AgentRow` objects from ``(agent, status, start, end)`` records (as
    :func:`call_row`)."""
    new = object.__new__
    s0, s1, s2, s3 = _slot_setters(AgentRow, _AGENT_FIELDS)
    out: list[AgentRow] = []
    for r in recs:
        o = new(AgentRow)
        s0(o, r[0])
        s1(o, r[1])
        s2(o, r[2])
        s3(o, r[3])
        out.append(o)
    return tuple(out)


_KPI_FIELDS = (
    "offered", "answered", "abandoned", "service_level", "asa", "abandonment", "unanswered_rate",
    "occupancy", "callbacks", "overflow", "cases", "sla_breaches", "transfer_rate", "fcr",
)  # fmt: skip


def kpis(
    calls: Iterable[CallRow],
    agents: Iterable[AgentRow] = (),
    cases: Iterable[CaseRow] = (),
    *,
    target: float = 20.0,
    fcr_window: float = 3 * 86400.0,
) -> dict[str, float | None]:
    """KPIs of a set of calls (and the agent intervals / cases for occupancy and cases).

    ``service_level``: answered within ``target`` / answered (the civiccc.queues definition);
    ``asa``: mean wait of answered calls; ``abandonment``: abandoned / offered to a queue;
    ``unanswered_rate``: (offered - answered) / offered; ``fcr``: answered calls whose caller
    does not call again within ``fcr_window``; ``transfer_rate``: calls routed to a person or
    an external number by the flow / all calls.

    >>> row = CallRow(call=1, caller="+1", arrived=0.0, queue="q", kind="queue", outcome="answered",
    ...               answered=10.0, ended=100.0, agent="a", attempt=0, callback=False, case=False,
    ...               digits="")
    >>> k = kpis([row])
    >>> k["service_level"], k["asa"], k["fcr"]
    (1.0, 10.0, 1.0)
    """
    calls = list(calls)
    queued = [c for c in calls if c.kind == "queue"]
    ans = [c for c in queued if c.outcome == "answered"]
    ab = sum(1 for c in queued if c.outcome == "abandoned")
    n = len(queued)
    waits = [c.wait for c in ans]
    by_caller: dict[str, list[float]] = {}
    for c in calls:
        if c.caller is not None:
            by_caller.setdefault(c.caller, []).append(c.arrived)
    for v in by_caller.values():
        v.sort()
    resolved = 0
    for c in ans:
        if c.caller is None:
            resolved += 1
            continue
        times = by_caller[c.caller]
        import bisect

        i = bisect.bisect_right(times, c.arrived)
        if i >= len(times) or times[i] - c.arrived > fcr_window:
            resolved += 1
    busy = staffed = 0.0
    for r in agents:
        d = r.end - r.start
        if r.status in _BUSY:
            busy += d
        if r.status in _STAFFED:
            staffed += d
    case_list = list(cases)
    return {
        "offered": float(n),
        "answered": float(len(ans)),
        "abandoned": float(ab),
        "service_level": sum(1 for w in waits if w <= target) / len(ans) if ans else None,
        "asa": statistics.fmean(waits) if waits else None,
        "abandonment": ab / n if n else None,
        "unanswered_rate": (n - len(ans)) / n if n else None,
        "occupancy": busy / staffed if staffed else None,
        "callbacks": float(sum(1 for c in queued if c.callback)),
        "overflow": float(sum(1 for c in queued if c.outcome == "overflow")),
        "cases": float(len(case_list)),
        "sla_breaches": float(sum(1 for c in case_list if c.breached)),
        "transfer_rate": sum(1 for c in calls if c.kind == "transfer") / len(calls)
        if calls
        else None,
        "fcr": resolved / len(ans) if ans else None,
    }


@attrs.frozen(kw_only=True)
class Results:
    """One replication: flat rows of calls, agent status intervals and cases."""

    scenario: Scenario
    seed: int
    calls: tuple[CallRow, ...]
    agents: tuple[AgentRow, ...]
    cases: tuple[CaseRow, ...]
    trace: tuple[tuple[float, str, Any], ...] | None = None

    def with_seed(self, seed: int) -> Results:
        return attrs.evolve(self, seed=seed)

    def kpis(
        self, queue: str | None = None, *, target: float | None = None
    ) -> dict[str, float | None]:
        """KPIs over the whole run, of all queues or of one."""
        calls: Iterable[CallRow] = self.calls
        cases: Iterable[CaseRow] = self.cases
        agents: Iterable[AgentRow] = self.agents
        if queue is not None:
            calls = [c for c in self.calls if c.queue == queue]
            cases = [c for c in self.cases if c.queue == queue]
            agents = [a for a in self.agents if a.agent in self._members(queue)]
        return kpis(
            calls,
            agents,
            cases,
            target=self._target(queue, target),
            fcr_window=self.scenario.fcr_window,
        )

    def _members(self, queue: str) -> set[str]:
        q = self.scenario.queues["queues"].get(queue, {}) or {}
        out = set()
        for m in q.get("members", []) or []:
            out.add(m if isinstance(m, str) else m.get("agent"))
        return out

    def _target(self, queue: str | None, target: float | None) -> float:
        if target is not None:
            return target
        qs = self.scenario.queues["queues"]
        q = (
            qs.get(queue)
            if queue is not None
            else (next(iter(qs.values())) if len(qs) == 1 else None)
        )
        return float((q or {}).get("service_level", 20.0))

    def queues(self) -> list[str]:
        """Queues that received calls, sorted."""
        return sorted({c.queue for c in self.calls if c.kind == "queue"})

    def by_interval(
        self, queue: str | None = None, *, interval: float | None = None
    ) -> list[dict[str, Any]]:
        """KPIs per interval (default: the scenario's ``interval``), by arrival time."""
        step = interval or self.scenario.interval
        t0 = self.scenario.start.timestamp()
        buckets: dict[int, list[CallRow]] = {}
        for c in self.calls:
            if queue is None or c.queue == queue:
                buckets.setdefault(int((c.arrived - t0) // step), []).append(c)
        ag: dict[int, list[AgentRow]] = {}
        members = self._members(queue) if queue is not None else None
        for r in self.agents:
            if members is not None and r.agent not in members:
                continue
            k = int((r.start - t0) // step)
            while t0 + k * step < r.end:
                a, b = max(r.start, t0 + k * step), min(r.end, t0 + (k + 1) * step)
                if b > a:
                    ag.setdefault(k, []).append(
                        AgentRow(agent=r.agent, status=r.status, start=a, end=b)
                    )
                k += 1
        out = []
        n_int = math.ceil(self.scenario.days * 86400 / step)
        tgt = self._target(queue, None)
        for k in range(n_int):
            row: dict[str, Any] = {"interval": t0 + k * step}
            row.update(
                kpis(
                    buckets.get(k, []),
                    ag.get(k, []),
                    (),
                    target=tgt,
                    fcr_window=self.scenario.fcr_window,
                )
            )
            out.append(row)
        return out

    def to_frames(self) -> dict[str, Any]:
        """pandas DataFrames ``calls``, ``agents``, ``cases`` (needs the ``notebook`` extra)."""
        import pandas as pd

        frames = {}
        for name, rows, cls in (
            ("calls", self.calls, CallRow),
            ("agents", self.agents, AgentRow),
            ("cases", self.cases, CaseRow),
        ):
            cols = [f.name for f in attrs.fields(cls)]
            df = pd.DataFrame([attrs.astuple(r) for r in rows], columns=cols)
            for col in (
                "arrived",
                "answered",
                "ended",
                "start",
                "end",
                "opened",
                "sla_due",
                "resolved",
            ):
                if col in df:
                    df[col] = pd.to_datetime(df[col], unit="s", utc=True)
            frames[name] = df
        return frames


# Student t quantiles (two-sided 95 %) for small samples
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


@attrs.frozen(kw_only=True)
class Estimate:
    """Mean over replications with a 95 % confidence interval (Student t)."""

    mean: float
    low: float
    high: float
    n: int

    def __contains__(self, x: float) -> bool:
        return self.low <= x <= self.high

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        """Estimate from one value per replication.

        >>> e = Estimate.of([1.0, 2.0, 3.0])
        >>> e.mean, round(e.high - e.mean, 3)
        (2.0, 2.484)
        """
        n = len(values)
        m = statistics.fmean(values)
        if n < 2:
            return cls(mean=m, low=m, high=m, n=n)
        t = _T95[n - 2] if n - 2 < len(_T95) else 1.96
        h = t * statistics.stdev(values) / math.sqrt(n)
        return cls(mean=m, low=m - h, high=m + h, n=n)


@attrs.frozen(kw_only=True)
class Summary:
    """Replications of one scenario: each run's results and KPI estimates with 95 % CIs."""

    runs: tuple[Results, ...]

    def kpis(self, queue: str | None = None) -> dict[str, Estimate | None]:
        """KPI estimates (mean and 95 % CI over the runs), of all queues or of one."""
        per = [r.kpis(queue) for r in self.runs]
        out: dict[str, Estimate | None] = {}
        for f in _KPI_FIELDS:
            vals = [float(v) for p in per if (v := p[f]) is not None]
            out[f] = Estimate.of(vals) if vals else None
        return out
