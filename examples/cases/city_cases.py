"""A day at the reference city's 311 desk: cases from calls, SLA clocks, a storm, a snow day.

Run: python examples/cases/city_cases.py [--db cases.db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from civiccc.calendar import load_calendars
from civiccc.cases import (
    AssignmentRule,
    CaseDesk,
    Catalogue,
    Contact,
    EscalationRule,
    Location,
    SqliteStore,
    at_risk,
    cases_by_tag,
    open_by_department,
    request_json,
    status_view,
    to_csv,
)
from civiccc.clock import VirtualClock

HERE = Path(__file__).resolve().parent
TZ = ZoneInfo("America/Vancouver")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--db", help="SQLite file (default: a temporary one)")
    args = ap.parse_args(argv)
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "cases.db"

    calendars = load_calendars(HERE.parent / "calendars" / "city_hall.yaml")
    catalogue = Catalogue.load(HERE / "services.yaml")
    clock = VirtualClock(local(2025, 11, 12, 8, 15))
    desk = CaseDesk(
        catalogue,
        clock=clock,
        calendars=calendars,
        store=SqliteStore(db),
        assignment_rules=[
            AssignmentRule(
                name="downtown roads",
                team="roads-downtown",
                services=frozenset({"pothole"}),
                area=(48.41, -123.39, 48.44, -123.35),
            ),
            AssignmentRule(
                name="waste", team="waste-crews", departments=frozenset({"solid_waste"})
            ),
        ],
        escalation_rules=[
            EscalationRule(
                name="late pothole",
                on="breach",
                services=frozenset({"pothole"}),
                raise_priority=True,
                notify=("roads-supervisor",),
            ),
        ],
    )

    # Residents call in; the agent links the call to the case.
    hole = desk.create(
        "pothole",
        by="agent-17",
        channel="phone",
        attributes={"size": "large"},
        location=Location(address="1200 Douglas St", lat=48.4262, lon=-123.3650),
        reporter=Contact(name="A. Resident", phone="+12505550147"),
        links=[("call", "CALL-20251112-0042")],
    )
    clock.advance(dt.timedelta(minutes=40))
    spot = Location(lat=48.42625, lon=-123.36505)
    dups = desk.find_duplicates("pothole", spot)
    second = desk.create(
        "pothole",
        by="agent-03",
        channel="web",
        location=spot,
        attributes={"size": "large"},
        reporter=Contact(email="b@example.org"),
    )
    if dups:
        desk.merge(second.id, dups[0].id, by="agent-03")
    bin_case = desk.create(
        "missed_pickup",
        by="agent-17",
        attributes={"stream": "organics"},
        location=Location(address="45 Cook St"),
    )
    desk.fire(hole.id, "triage", by="dispatcher")
    desk.assign(hole.id, by="dispatcher", assignee="crew-4")
    desk.fire(hole.id, "start", by="crew-4")
    print("pothole", hole.id, "team", desk.get(hole.id).team)
    print(desk.explain(hole.id))

    # A storm: the city suspends pothole SLAs for the evening and night, and tags cases.
    desk.declare_emergency(
        local(2025, 11, 14, 8),
        local(2025, 11, 15, 8),
        reason="wind storm",
        by="eoc-director",
        services=["pothole"],
    )
    desk.tag(hole.id, "storm-2025-11", by="eoc")
    # A snow day added afterwards: every clock on city_hall moves, with the reason.
    calendars["city_hall"].add_closure(dt.date(2025, 11, 13), reason="snow day")
    print(desk.explain(hole.id))

    clock.set(local(2025, 11, 18, 9))
    for alert in desk.tick():
        print("alert", alert.case_id, alert.clock, f"{alert.fraction:.0%}", alert.at.astimezone(TZ))
    print("open by department", open_by_department(desk))
    print("at risk", [(r["case_id"], r["state"]) for r in at_risk(desk, dt.timedelta(hours=8))])
    desk.fire(bin_case.id, "triage", by="dispatcher")
    desk.fire(bin_case.id, "resolve", by="waste-crews", note="collected")
    print(to_csv(cases_by_tag(desk, "storm-2025-11")), end="")
    print(json.dumps(request_json(desk, desk.get(second.id)), indent=1))
    print(json.dumps(status_view(desk, second.id), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
