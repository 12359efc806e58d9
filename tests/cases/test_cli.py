"""The ``civiccc cases`` command (click CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from civiccc.cli.cases import cases

ROOT = Path(__file__).resolve().parents[2]
SERVICES = str(ROOT / "examples" / "cases" / "services.yaml")
CALENDARS = str(ROOT / "examples" / "calendars" / "city_hall.yaml")


def test_check_lists_services() -> None:
    """check lists every service with its targets."""
    result = CliRunner().invoke(cases, ["check", SERVICES])
    assert result.exit_code == 0, result.output
    assert "pothole  [public_works]  Pothole" in result.output and ": ok" in result.output


def test_check_reports_error_location(tmp_path: Path) -> None:
    """A broken catalogue names file and field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("departments: {}\nservices:\n  - {code: x, department: parks}\n")
    result = CliRunner().invoke(cases, ["check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml: services[0].department" in result.output


def test_services_json() -> None:
    """services prints the Open311 service list."""
    result = CliRunner().invoke(cases, ["services", SERVICES])
    assert result.exit_code == 0
    assert {s["service_code"] for s in json.loads(result.output)} >= {"pothole", "water_leak"}


def test_due_explains() -> None:
    """due explains each clock; bad instants are refused."""
    args = ["due", SERVICES, "--calendars", CALENDARS, "--service", "pothole"]
    result = CliRunner().invoke(
        cases, [*args, "--attr", "size=large", "--at", "2025-06-30T15:00-07:00"]
    )
    assert result.exit_code == 0, result.output
    assert "holiday (Canada Day)" in result.output
    assert (
        "due 2025-07-08T12:30:00-07:00" in result.output
    )  # resolution: 40 business h, Canada Day skipped
    naive = CliRunner().invoke(cases, [*args, "--at", "2025-06-30T15:00"])
    assert naive.exit_code == 2 and "offset" in naive.output
    unknown = CliRunner().invoke(cases, [*args[:-1], "nope", "--at", "2025-06-30T15:00-07:00"])
    assert unknown.exit_code == 1 and "unknown service 'nope'" in unknown.output
