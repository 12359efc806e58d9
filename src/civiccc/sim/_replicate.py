"""Replications on any concurrent.futures.Executor."""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from civiccc.sim._model import simulate
from civiccc.sim._records import Results, Summary
from civiccc.sim._scenario import Scenario, resolve_seed

__all__ = ["run_replications"]


def _one(args: tuple[Scenario, int, bool]) -> tuple[Any, ...]:
    # plain rows travel back (a used flow holds compiled closures that do not pickle)
    scenario, seed, record_agents = args
    r = simulate(scenario, seed=seed, record_agents=record_agents)
    return (r.seed, r.calls, r.agents, r.cases)


def _results(scenario: Scenario, out: tuple[Any, ...]) -> Results:
    seed, calls, agents, cases = out
    return Results(scenario=scenario, seed=seed, calls=calls, agents=agents, cases=cases)


def run_replications(
    scenario: Scenario,
    n: int,
    *,
    seed: int | None = None,
    executor: Executor | None = None,
    record_agents: bool = True,
) -> Summary:
    """Run ``n`` replications (seeds ``seed .. seed + n - 1``) and summarise them.

    Without ``seed``, the runs start at the scenario's ``seed`` (else 0).

    ``executor`` may be any :class:`concurrent.futures.Executor`: a thread or process pool, or a
    Dask ``distributed.Client(...).get_executor()``; the default is a process pool with at most
    ``n`` workers. Results are identical whatever the executor (each run depends only on its
    seed) and come back in seed order.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    seed = resolve_seed(scenario, seed)
    jobs = [(scenario, seed + i, record_agents) for i in range(n)]
    if executor is None:
        if n == 1:
            return Summary(runs=(_results(scenario, _one(jobs[0])),))
        with ProcessPoolExecutor(max_workers=min(n, _cpus())) as pool:
            runs: list[Any] = list(pool.map(_one, jobs))
    else:
        futures = [executor.submit(_one, j) for j in jobs]
        runs = [f.result() for f in futures]
    return Summary(runs=tuple(_results(scenario, r) for r in runs))


def _cpus() -> int:
    import os

    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
