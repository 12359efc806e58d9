"""The calendar benchmark's quick mode: compiled answers equal the pendulum baseline's."""

from __future__ import annotations

import runpy
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "calendar.py"


def test_quick_benchmark_gives_identical_answers() -> None:
    bench = runpy.run_path(str(BENCH), run_name="calendar_benchmark")
    result = bench["run"](300, 7)  # raises SystemExit on the first differing answer
    assert result["queries"] == 300
    assert result["civiccc_us"] > 0
    assert result["baseline_us"] > 0
