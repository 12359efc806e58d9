"""Reports: open by department, at-risk, cases by tag and period (CSV), percentiles."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from cases_helpers import CATALOGUE, van, van_calendar

from civiccc.cases import (
    CaseDesk,
    Catalogue,
    Contact,
    Location,
    at_risk,
    cases_by_tag,
    open_by_department,
    resolution_times,
    to_csv,
)
from civiccc.clock import VirtualClock


def _desk() -> CaseDesk:
    desk = CaseDesk(
        Catalogue.from_dict(CATALOGUE),
        clock=VirtualClock(van(2025, 6, 20, 9)),
        calendars={"van": van_calendar()},
    )
    for day, hours in ((16, 1), (16, 2), (17, 3), (18, 24)):
        c = desk.create(
            "pothole",
            by="c",
            tags=["hurricane"],
            at=van(2025, 6, day, 9),
            location=Location(address=f"{day} Main St"),
            reporter=Contact(name="Private Person"),
        )
        desk.fire(c.id, "triage", by="c", at=van(2025, 6, day, 9))
        desk.fire(c.id, "resolve", by="c", at=van(2025, 6, day, 9) + dt.timedelta(hours=hours))
    desk.create("pothole", by="c", at=van(2025, 6, 19, 9))
    desk.create("missed_pickup", by="c", tags=["hurricane"], at=van(2025, 6, 20, 8, 30))
    desk.create("info", by="c", at=van(2025, 6, 1, 9))
    return desk


def test_open_by_department() -> None:
    """Counts of open cases per department."""
    assert open_by_department(_desk()) == {"hotline": 1, "roads": 1, "waste": 1}


def test_at_risk() -> None:
    """Breached first, then those due within the window."""
    rows = at_risk(_desk(), dt.timedelta(hours=8), at=van(2025, 6, 20, 9))
    assert [(r["service_code"], r["state"]) for r in rows] == [
        ("info", "breached"),
        ("pothole", "breached"),
        ("missed_pickup", "running"),
    ]


def test_cases_by_tag_csv(tmp_path: Path) -> None:
    """The disaster report: tagged cases in a period, exported as CSV without personal data."""
    desk = _desk()
    rows = cases_by_tag(desk, "hurricane", since=van(2025, 6, 16), until=van(2025, 6, 19))
    assert [r["created"][:10] for r in rows] == [
        "2025-06-16",
        "2025-06-16",
        "2025-06-17",
        "2025-06-18",
    ]
    assert [r["sla_breached"] for r in rows] == ["false", "false", "false", "true"]
    text = to_csv(rows, tmp_path / "hurricane.csv")
    assert (tmp_path / "hurricane.csv").read_text() == text
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0]["address"] == "16 Main St" and "Private" not in text
    assert to_csv([]) == ""


def test_resolution_percentiles() -> None:
    """Median and 90th percentile of resolution times (calendar and business hours)."""
    out = resolution_times(_desk(), percentiles=(50, 90))
    assert out["count"] == 4
    assert out["p50_hours"] == 2.5
    assert out["p50_business_hours"] == 2.5
    assert out["p90_hours"] == 17.7  # 1, 2, 3, 24 h: 3 + 0.7 * 21 (inclusive method)
    assert out["p90_business_hours"] == 6.85  # the 24 h case is 8.5 business h: 3 + 0.7 * 5.5
