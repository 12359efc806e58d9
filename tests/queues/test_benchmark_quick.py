"""The benchmark's --quick mode: engine, scan-and-sort and heap matcher agree on every offer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "queues.py"


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("civiccc_bench_queues", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_mode_identical_matches(capsys) -> None:  # type: ignore[no-untyped-def]
    """--quick runs all three implementations and asserts identical (call, agent) offers."""
    bench = _load()
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "identical in all three" in out


def test_identity_check_catches_a_wrong_matcher(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A heap matcher that prefers the most recently idle agent is caught by run()."""
    import heapq

    import pytest

    bench = _load()

    def wrong_push(self, a):  # type: ignore[no-untyped-def]
        for q in self.agent_queues[a]:
            heapq.heappush(
                self.aheap[q], (self.queues[q][a], -self.idle[a], self.order[a], self.token[a], a)
            )

    monkeypatch.setattr(bench.HeapMatcher, "_push_agent", wrong_push)
    with pytest.raises(AssertionError, match="heap differs"):
        bench.run(40, 3000, repeat=1)
