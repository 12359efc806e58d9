"""Discrete-event simulation of a city's contact centre, driving the production engines.

Calls arrive (Poisson by a weekly profile, or replayed), route through the real
:mod:`civiccc.routing` flow, wait in the real :mod:`civiccc.queues` engine and may become cases;
everything runs on one :class:`~civiccc.clock.VirtualClock` and seeded random streams.

>>> sc = Scenario.mmc(agents=3, calls_per_hour=60, handle=120, patience=90, hours=8)
>>> a, b = simulate(sc, seed=1), simulate(sc, seed=1)
>>> a.calls == b.calls and len(a.calls) > 300
True
>>> k = a.kpis()
>>> 0 <= k["abandonment"] < 0.2
True
"""

from __future__ import annotations

from civiccc.sim import erlang as erlang
from civiccc.sim._core import EventLoop, streams
from civiccc.sim._model import simulate
from civiccc.sim._records import AgentRow, CallRow, CaseRow, Estimate, Results, Summary, kpis
from civiccc.sim._replicate import run_replications
from civiccc.sim._report import figures, report_html, write_report
from civiccc.sim._scenario import Dist, Scenario, Shift, load_scenario
from civiccc.sim._store import simulate_to_sqlite
from civiccc.sim.erlang import (
    ErlangResult,
    agents_for_abandonment,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
)

__all__ = [
    "AgentRow",
    "CallRow",
    "CaseRow",
    "Dist",
    "ErlangResult",
    "Estimate",
    "EventLoop",
    "Results",
    "Scenario",
    "Shift",
    "Summary",
    "agents_for_abandonment",
    "agents_for_service_level",
    "erlang",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "figures",
    "kpis",
    "load_scenario",
    "report_html",
    "run_replications",
    "simulate",
    "simulate_to_sqlite",
    "streams",
    "write_report",
]
