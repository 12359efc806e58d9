"""The routing benchmark's quick mode: identical answers from all three routers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("civiccc.calendar")


def load_benchmark() -> ModuleType:
    """Import benchmarks/routing.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "bench_routing", ROOT / "benchmarks" / "routing.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_routing"] = module
    spec.loader.exec_module(module)
    return module


def test_quick_mode_gives_identical_decisions(capsys: pytest.CaptureFixture[str]) -> None:
    """civiccc, the hand-written function and the networkx walk agree on every call."""
    bench = load_benchmark()
    assert bench.main(["--calls", "1500"]) == 0
    out = capsys.readouterr().out
    assert "identical decisions: yes" in out
    assert "civiccc / handwritten" in out


def test_call_mix_is_seeded_and_varied() -> None:
    """The call mix is reproducible and covers the flow's branches."""
    bench = load_benchmark()
    a, b = bench.call_mix(3000), bench.call_mix(3000)
    assert a == b
    flow = bench.load_flow(bench.FLOW_FILE)
    targets = {flow.route(c, at, d).target for c, at, d in a}
    assert {"hangup", "voicemail", "oncall_hotline", "operator", "bylaw"} <= targets
    assert len(targets) >= 12
    callers = [c for c, _, _ in a]
    assert len(set(callers)) < len(callers)  # repeat callers
