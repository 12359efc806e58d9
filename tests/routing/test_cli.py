"""The `civiccc flow` command group (click)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from civiccc.cli.flow import flow

SMALL = {
    "id": "small",
    "nodes": {
        "entry": {"kind": "entry", "edges": {"next": "menu"}},
        "menu": {"kind": "menu", "edges": {"1": "desk", "invalid": "desk"}},
        "desk": {"kind": "queue", "target": "citizen_desk"},
        "lost": {"kind": "queue"},
    },
}


def write(tmp_path: Path, doc: dict) -> str:
    """Write a flow file."""
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def test_check(tmp_path: Path) -> None:
    """Warnings print and exit 0; --strict and errors exit 1; --json is machine-readable."""
    path = write(tmp_path, SMALL)
    result = CliRunner().invoke(flow, ["check", path])
    assert result.exit_code == 0, result.output
    assert "warning unreachable lost" in result.output
    assert CliRunner().invoke(flow, ["check", path, "--strict"]).exit_code == 1
    data = json.loads(CliRunner().invoke(flow, ["check", path, "--json"]).output)
    assert data == [
        {
            "code": "unreachable",
            "node": "lost",
            "severity": "warning",
            "message": "no path from the entry leads here",
        }
    ]
    broken = {
        **SMALL,
        "nodes": {**SMALL["nodes"], "menu": {"kind": "menu", "edges": {"1": "desk"}}},
    }
    result = CliRunner().invoke(flow, ["check", write(tmp_path, broken)])
    assert result.exit_code == 1 and "menu-missing-invalid" in result.output


def test_route(tmp_path: Path) -> None:
    """Route prints the decision and the trace, or JSON."""
    path = write(tmp_path, SMALL)
    args = ["route", path, "--caller", "+16045550101", "--at", "2025-06-02T10:00-07:00"]
    result = CliRunner().invoke(flow, [*args, "--inputs", "1"])
    assert result.exit_code == 0, result.output
    assert "queue -> citizen_desk (priority 3)" in result.output
    assert "path: entry > menu > desk" in result.output
    assert "menu: key '1' -> 1" in result.output
    data = json.loads(CliRunner().invoke(flow, [*args, "--inputs", "1", "--json"]).output)
    assert data["target"] == "citizen_desk" and data["path"] == ["entry", "menu", "desk"]


def test_route_errors(tmp_path: Path) -> None:
    """Naive times and broken files are reported without a traceback."""
    path = write(tmp_path, SMALL)
    result = CliRunner().invoke(flow, ["route", path, "--at", "2025-06-02T10:00"])
    assert result.exit_code == 1 and "naive" in result.output
    result = CliRunner().invoke(flow, ["route", path, "--at", "yesterday"])
    assert result.exit_code == 2 and "--at" in result.output
    bad = write(tmp_path, {"id": "x", "nodes": {"entry": {"kind": "nope"}}})
    result = CliRunner().invoke(flow, ["check", bad])
    assert result.exit_code == 1 and "nodes.entry.kind" in result.output


def test_draw(tmp_path: Path) -> None:
    """Draw prints Mermaid by default, DOT on request, or writes a file."""
    path = write(tmp_path, SMALL)
    assert CliRunner().invoke(flow, ["draw", path]).output.startswith("flowchart LR")
    dot = CliRunner().invoke(flow, ["draw", path, "--format", "dot"]).output
    assert dot.startswith('digraph "small"') and '"menu" -> "desk" [label="1"];' in dot
    out = tmp_path / "f.mmd"
    assert CliRunner().invoke(flow, ["draw", path, "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("flowchart LR")
