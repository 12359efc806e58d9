"""Reports: open cases by department, breaches and at-risk cases, cases by tag and period
(CSV), resolution-time percentiles, and the resident-facing status view."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from civiccc.cases._desk import CaseDesk
from civiccc.cases._sla import ClockState

__all__ = [
    "at_risk",
    "cases_by_tag",
    "open_by_department",
    "resolution_times",
    "status_view",
    "to_csv",
]


def open_by_department(desk: CaseDesk) -> dict[str, int]:
    """Number of open cases per department, by department id."""
    counts = Counter(c.department for c in desk.open_cases())
    return dict(sorted(counts.items()))


def at_risk(
    desk: CaseDesk, within: dt.timedelta, *, at: dt.datetime | None = None, kind: str = "resolution"
) -> list[dict[str, Any]]:
    """Open cases whose ``kind`` clock has breached, or is due within ``within``: rows with
    ``case_id``, ``department``, ``service_code``, ``due``, ``state`` (breached first)."""
    now = at or desk.clock.now()
    rows = []
    soon = {cid for _, cid, _ in desk.due_before(now + within, kind)}
    for case in desk.open_cases():
        clock = case.clocks.get(kind)
        if clock is None:
            continue
        st = desk.clock_status(case, kind, now)
        if st.breached or case.id in soon:
            rows.append(
                {
                    "case_id": case.id,
                    "department": case.department,
                    "service_code": case.service_code,
                    "priority": case.priority,
                    "due": st.due,
                    "state": st.state.value,
                }
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(
        key=lambda r: (r["state"] != ClockState.BREACHED.value, r["due"] or far, r["case_id"])
    )
    return rows


def cases_by_tag(
    desk: CaseDesk, tag: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Cases carrying ``tag`` created in ``[since, until)`` (the disaster-report use case):
    one row per case with times in the jurisdiction's zone and SLA outcome."""
    tz = zoneinfo.ZoneInfo(desk.catalogue.timezone)
    rows = []
    for case in desk.store.query(tag=tag, since=since, until=until):
        res = case.clocks.get("resolution")
        breached = None
        if res is not None:
            breached = desk.clock_status(
                case, "resolution", case.resolved_at or desk.clock.now()
            ).breached
        rows.append(
            {
                "case_id": case.id,
                "service_code": case.service_code,
                "department": case.department,
                "state": case.state.value,
                "priority": case.priority,
                "tags": " ".join(case.tags),
                "created": case.created_at.astimezone(tz).isoformat(),
                "resolved": case.resolved_at.astimezone(tz).isoformat() if case.resolved_at else "",
                "address": case.location.address if case.location and case.location.address else "",
                "sla_breached": "" if breached is None else str(breached).lower(),
            }
        )
    return rows


def to_csv(rows: Sequence[Mapping[str, Any]], target: str | Path | TextIO | None = None) -> str:
    """Write rows as CSV (header from the first row); returns the text."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    text = buf.getvalue()
    if isinstance(target, str | Path):
        Path(target).write_text(text, encoding="utf-8", newline="")
    elif target is not None:
        target.write(text)
    return text


def resolution_times(
    desk: CaseDesk,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    department: str | None = None,
    percentiles: Iterable[int] = (50, 90),
) -> dict[str, Any]:
    """Resolution times of resolved cases created in ``[since, until)``: ``count``, and per
    percentile (``p50`` is the median) calendar hours and business hours (resolution clock)."""
    cal_h, bus_h = [], []
    for case in desk.store.query(department=department, since=since, until=until):
        if case.resolved_at is None:
            continue
        cal_h.append((case.resolved_at - case.created_at).total_seconds() / 3600)
        if "resolution" in case.clocks:
            st = desk.clock_status(case, "resolution", case.resolved_at)
            bus_h.append(st.elapsed.total_seconds() / 3600)
    out: dict[str, Any] = {"count": len(cal_h)}
    for p in percentiles:
        out[f"p{p}_hours"] = _pct(cal_h, p)
        out[f"p{p}_business_hours"] = _pct(bus_h, p)
    return out


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 4)
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 4)


def status_view(desk: CaseDesk, case_id: str) -> dict[str, Any]:
    """What a resident may see of a case: no reporter contact, staff names, notes or
    internal links. A merged duplicate shows its master's progress."""
    case = desk.get(case_id)
    shown = desk.get(case.master_id) if case.master_id else case
    tz = zoneinfo.ZoneInfo(desk.catalogue.timezone)
    svc = desk.catalogue.services.get(shown.service_code)
    dept = desk.catalogue.departments.get(shown.department)
    expected = None
    if shown.is_open and "resolution" in shown.clocks:
        due = desk.due(shown.id, "resolution")
        expected = None if due is None else due.astimezone(tz).isoformat()
    history = [
        {"at": a.at.astimezone(tz).isoformat(), "status": a.to_state}
        for a in shown.audit
        if a.to_state is not None
    ]
    return {
        "id": case.id,
        "merged_into": case.master_id,
        "service": svc.name if svc else shown.service_code,
        "department": dept.name if dept else shown.department,
        "status": shown.state.value,
        "open": shown.is_open,
        "status_notes": case.status_notes or shown.status_notes or None,
        "requested": case.created_at.astimezone(tz).isoformat(),
        "expected": expected,
        "address": shown.location.address if shown.location else None,
        "history": history,
    }
