from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from civiccc.cli import main

CITY = str(Path(__file__).parents[2] / "examples" / "calendars" / "city_hall.yaml")


def test_show_prints_states_rules_and_totals() -> None:
    result = CliRunner().invoke(
        main, ["calendar", "show", CITY, "--id", "city_hall", "--from", "2025-06-30", "--days", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "Tue 2025-07-01 00:00 PDT  holiday   holiday:Canada Day" in result.output
    assert "open time in the period: 17:00:00" in result.output


def test_show_applies_emergencies_and_scopes() -> None:
    result = CliRunner().invoke(
        main, ["calendar", "show", CITY, "--id", "city_hall", "--from", "2025-11-14", "--days", "1"]
    )
    assert "emergency emergency:storm" in result.output


def test_check_reports_errors_with_location(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["calendar", "check", CITY])
    assert ok.exit_code == 0
    assert "ok  city_hall: America/Vancouver, holidays CA/BC, shares city_days" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "calendars:\n  desk: {timezone: Europe/Berlin, hours: {mon: [['09:00', '08:00']]}}\n"
    )
    result = CliRunner().invoke(main, ["calendar", "check", str(bad)])
    assert result.exit_code == 1
    assert "calendars.desk.hours.mon[0]: end 08:00 is before start 09:00" in result.output
    unknown = CliRunner().invoke(main, ["calendar", "show", CITY, "--id", "nope"])
    assert "no calendar 'nope'" in unknown.output
