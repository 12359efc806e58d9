"""The example script runs and shows the storm, the snow day and the merged duplicate."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "cases" / "city_cases.py"


def test_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example completes on a SQLite file and prints what it promises."""
    spec = importlib.util.spec_from_file_location("civiccc_example_cases", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--db", str(tmp_path / "c.db")]) == 0
    out = capsys.readouterr().out
    assert "2025-11-13: closed (snow day)" in out
    assert "wind storm [EM-1, by eoc-director]" in out
    assert '"status_notes": "Duplicate request."' in out
    assert "A. Resident" not in out and "+1250" not in out
    assert (tmp_path / "c.db").exists()
