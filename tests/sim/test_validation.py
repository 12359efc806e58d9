"""The simulator (driving the real queue engine) against Erlang C and Erlang A.

Each check runs replications (fixed seeds, so the test is deterministic) and requires the
analytic value inside the 95 % confidence interval widened by half its width (a 99.9 %-ish
band), ASA being noisy at high occupancy.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from civiccc.sim import Estimate, Scenario, erlang_a, erlang_c, run_replications

pytestmark = pytest.mark.slow


def _close(est: Estimate | None, value: float, slack: float = 0.0) -> None:
    assert est is not None
    half = (est.high - est.low) / 2
    assert abs(est.mean - value) <= 1.5 * half + slack, (est, value)


@pytest.fixture(scope="module")
def pool() -> ProcessPoolExecutor:
    with ProcessPoolExecutor(max_workers=2) as p:
        yield p  # type: ignore[misc]


def test_mmc_erlang_c(pool: ProcessPoolExecutor) -> None:
    sc = Scenario.mmc(agents=5, calls_per_hour=120, handle=120, hours=150)
    s = run_replications(sc, 8, seed=100, executor=pool, record_agents=False)
    theory = erlang_c(5, rate=120 / 3600, handle=120, target=20)
    k = s.kpis()
    _close(k["asa"], theory.asa)
    _close(k["service_level"], theory.service_level)
    waited = [
        sum(1 for c in r.calls if c.answered is not None and c.wait > 0) / len(r.calls)
        for r in s.runs
    ]
    _close(Estimate.of(waited), theory.p_wait)
    assert k["abandonment"] is not None and k["abandonment"].mean == 0


def test_mmcm_erlang_a(pool: ProcessPoolExecutor) -> None:
    sc = Scenario.mmc(agents=10, calls_per_hour=100, handle=300, patience=180, hours=300)
    s = run_replications(sc, 8, seed=200, executor=pool, record_agents=True)
    theory = erlang_a(10, rate=100 / 3600, handle=300, patience=180, target=20)
    k = s.kpis()
    _close(k["abandonment"], theory.abandonment)
    _close(k["asa"], theory.asa)
    _close(k["service_level"], theory.service_level)
    _close(k["occupancy"], theory.occupancy, slack=0.005)
    waited = [sum(1 for c in r.calls if c.wait > 0) / len(r.calls) for r in s.runs]
    _close(Estimate.of(waited), theory.p_wait)
