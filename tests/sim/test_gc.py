"""simulate() freezes the heap for the cyclic GC during a run and leaves the GC as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from civiccc.sim import Scenario, _model, simulate


@pytest.fixture(autouse=True)
def _gc_state() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.unfreeze()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def _scenario(hours: float = 300) -> Scenario:
    # ~30,000 calls: more than one _FREEZE_EVERY batch of rows
    return Scenario.mmc(agents=12, calls_per_hour=100, handle=300, patience=180, hours=hours)


def test_the_gc_is_as_before_after_a_run_and_the_results_do_not_depend_on_it() -> None:
    sc = _scenario()
    frozen = simulate(sc, seed=3)
    assert len(frozen.calls) > _model._FREEZE_EVERY
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    gc.disable()  # a disabled collector: nothing is frozen, the run is the same
    plain = simulate(sc, seed=3)
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert plain.calls == frozen.calls
    assert plain.kpis() == frozen.kpis()


def test_objects_the_application_froze_stay_frozen() -> None:
    keep = [[i] for i in range(1000)]
    gc.freeze()
    before = gc.get_freeze_count()
    assert before >= len(keep)
    simulate(_scenario(hours=20), seed=1)
    assert gc.get_freeze_count() == before  # neither added to nor unfrozen


def test_a_failing_run_unfreezes() -> None:
    def progress(seconds: float) -> None:
        assert gc.get_freeze_count() > 0  # frozen while running
        raise RuntimeError("progress bar failed")

    with pytest.raises(RuntimeError, match="progress bar failed"):
        simulate(_scenario(hours=3), seed=1, progress=progress)
    assert gc.get_freeze_count() == 0
