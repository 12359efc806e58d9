"""The cases benchmark's --quick mode: API due times equal the pendulum-stepping baseline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "cases.py"


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("civiccc_bench_cases", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_mode_identical_due_times(capsys) -> None:  # type: ignore[no-untyped-def]
    """--quick runs every store and the SLA comparison; due times are identical."""
    assert _load().main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "due times identical on all 25 sampled cases" in out
    assert "sqlite" in out


def test_baseline_catches_a_wrong_due() -> None:
    """The stepping baseline disagrees with a due time one minute off (the check can fail)."""
    import datetime as dt

    bench = _load()
    start = dt.datetime(2025, 6, 16, 15, tzinfo=dt.UTC)  # Mon 08:00 Vancouver
    due = bench.PendulumStepper().due(start, 60, [])
    assert due == dt.datetime(2025, 6, 16, 16, tzinfo=dt.UTC)
    assert bench.PendulumStepper().due(start, 61, []) != due
