"""Open311 GeoReport v2 exchange (JSON): service list, service requests, import."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from civiccc.cases._catalogue import Catalogue
from civiccc.cases._desk import CaseDesk, _actor
from civiccc.cases._model import Case, Contact, Location, check_coordinates
from civiccc.errors import ConfigError

__all__ = [
    "Open311Error",
    "import_requests",
    "request_json",
    "requests_json",
    "service_definition_json",
    "services_json",
]

_MAX_SPAN = dt.timedelta(days=90)
_MAX_ROWS = 1000


class Open311Error(ConfigError):
    """A bad Open311 query or document: ``status`` is the HTTP status, ``errors`` the
    GeoReport ``[{"code", "description"}]`` body."""

    def __init__(self, message: str, *, status: int = 400, path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.status = status
        self.errors = [{"code": status, "description": message}]


def _iso(t: dt.datetime, tz: str) -> str:
    return t.astimezone(zoneinfo.ZoneInfo(tz)).isoformat(timespec="seconds")


def services_json(catalogue: Catalogue) -> list[dict[str, Any]]:
    """``GET services.json``: the service list."""
    return [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description,
            "metadata": bool(s.attributes),
            "type": "realtime",
            "keywords": ",".join(s.keywords),
            "group": s.group or catalogue.departments[s.department].name,
        }
        for s in sorted(catalogue.services.values(), key=lambda s: s.code)
    ]


def service_definition_json(catalogue: Catalogue, code: str) -> dict[str, Any]:
    """``GET services/{code}.json``: the attributes of a service."""
    svc = catalogue.service(code)
    return {
        "service_code": svc.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": "",
                "order": i,
                "description": a.description,
                "values": [{"key": k, "name": n} for k, n in a.values],
            }
            for i, a in enumerate(svc.attributes, 1)
        ],
    }


def request_json(desk: CaseDesk, case: Case) -> dict[str, Any]:
    """One case as an Open311 service request (no reporter or staff data)."""
    cat = desk.catalogue
    tz = cat.timezone
    svc = cat.services.get(case.service_code)
    dept = cat.departments.get(case.department)
    out: dict[str, Any] = {
        "service_request_id": case.id,
        "status": "open" if case.is_open else "closed",
        "status_notes": case.status_notes or None,
        "service_name": svc.name if svc else case.service_code,
        "service_code": case.service_code,
        "description": case.description,
        "agency_responsible": dept.name if dept else case.department,
        "service_notice": None,
        "requested_datetime": _iso(case.created_at, tz),
        "updated_datetime": _iso(case.updated_at, tz),
    }
    if not case.is_open:
        closed = case.closed_at or case.resolved_at or _last_change(case)
        out["updated_datetime"] = _iso(closed, tz)
    elif "resolution" in case.clocks:
        due = desk.due(case.id, "resolution")
        if due is not None:
            out["expected_datetime"] = _iso(due, tz)
    loc = case.location
    out["address"] = loc.address if loc else None
    out["lat"] = loc.lat if loc else None
    out["long"] = loc.lon if loc else None
    out["media_url"] = case.attachments[0].ref if case.attachments else None
    return out


def _last_change(case: Case) -> dt.datetime:
    for a in reversed(case.audit):
        if a.to_state is not None:
            return a.at
    return case.updated_at


def _parse_time(value: str, field: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise Open311Error(f"{field}: {value!r} is not a W3C date/time", path=field) from None
    if t.tzinfo is None:
        raise Open311Error(f"{field}: {value!r} has no time zone (Z or +hh:mm)", path=field)
    return t


def requests_json(
    desk: CaseDesk,
    *,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """``GET requests.json`` with the GeoReport v2 filters and limits: ids override every
    other filter; dates filter ``requested_datetime``, default the last 90 days, span at most
    90 days; at most 1000 requests. Raises :class:`Open311Error` (400) otherwise."""
    if service_request_id:
        out = []
        for cid in service_request_id.split(","):
            try:
                out.append(request_json(desk, desk.get(cid.strip())))
            except KeyError:
                continue
        return out
    if status not in (None, "open", "closed"):
        raise Open311Error(f"status must be open or closed, got {status!r}", path="status")
    now = desk.clock.now()
    end = _parse_time(end_date, "end_date") if end_date else now
    start = _parse_time(start_date, "start_date") if start_date else end - _MAX_SPAN
    if end - start > _MAX_SPAN:
        raise Open311Error("start_date and end_date may be at most 90 days apart", path="end_date")
    if end < start:
        raise Open311Error("end_date is before start_date", path="end_date")
    codes = set(service_code.split(",")) if service_code else None
    rows = []
    for case in desk.store.query(since=start, until=end + dt.timedelta(microseconds=1)):
        if codes is not None and case.service_code not in codes:
            continue
        if status is not None and ("open" if case.is_open else "closed") != status:
            continue
        rows.append(request_json(desk, case))
        if len(rows) >= _MAX_ROWS:
            break
    return rows


def import_requests(
    desk: CaseDesk, requests: Iterable[Mapping[str, Any]], *, by: str, channel: str = "open311"
) -> list[Case]:
    """Create cases from Open311 service requests (e.g. another system's export); ids,
    times, location and open/closed status are kept, SLA clocks are computed here.
    A request updated before it was requested is refused (``updated_datetime``); all
    requests are imported or none."""
    _actor(by)
    created = []
    with desk.batch():
        for i, r in enumerate(requests):
            path = f"requests[{i}]"
            try:
                created.append(_import_one(desk, r, by, channel))
            except ConfigError as e:
                raise e.at(prefix=path) from None
    return created


def _import_one(desk: CaseDesk, r: Mapping[str, Any], by: str, channel: str) -> Case:
    if not isinstance(r, Mapping):
        raise ConfigError("a request must be an object")
    code = r.get("service_code")
    if not isinstance(code, str):
        raise ConfigError("service_code is required", path="service_code")
    desk.catalogue.service(code)
    lat, lon = r.get("lat"), r.get("long")
    try:
        latf = None if lat in (None, "") else float(lat)
        lonf = None if lon in (None, "") else float(lon)
    except (TypeError, ValueError):
        raise ConfigError(f"lat/long must be numbers, got {lat!r}, {lon!r}", path="lat") from None
    check_coordinates(latf, lonf, lat_path="lat", lon_path="long")
    address = r.get("address") or r.get("address_string")
    if latf is None and not address:
        raise ConfigError("a request needs lat/long or an address", path="address")
    status = r.get("status", "open")
    if status not in ("open", "closed"):
        raise ConfigError(f"status must be open or closed, got {status!r}", path="status")
    requested = _parse_time(str(r.get("requested_datetime", "")), "requested_datetime")
    reporter = None
    if any(r.get(k) for k in ("email", "phone", "first_name", "last_name")):
        name = " ".join(str(r[k]) for k in ("first_name", "last_name") if r.get(k)) or None
        reporter = Contact(name=name, phone=r.get("phone"), email=r.get("email"))
    updated = r.get("updated_datetime")
    t = _parse_time(str(updated), "updated_datetime") if updated else requested
    rid = r.get("service_request_id")
    if t < requested:
        msg = (
            f"request {rid!r}: updated_datetime {t.isoformat()} is before requested_datetime"
            f" {requested.isoformat()}"
        )
        raise ConfigError(msg, path="updated_datetime", value=updated)
    case = desk.create(
        code,
        by=by,
        description=str(r.get("description") or ""),
        channel=channel,
        location=Location(address=address, lat=latf, lon=lonf),
        reporter=reporter,
        at=requested,
        case_id=None if rid is None else str(rid),
    )
    if status == "closed":
        desk.fire(case.id, "triage", by=by, at=t)
        desk.fire(case.id, "resolve", by=by, note=str(r.get("status_notes") or ""), at=t)
    return desk.get(case.id)
