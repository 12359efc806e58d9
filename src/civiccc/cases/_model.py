"""Case records: the case, its audit trail, links, location, reporter, clocks."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import attrs

from civiccc.cases._lifecycle import CLOSED_STATES, CaseState
from civiccc.errors import ConfigError

__all__ = [
    "Attachment",
    "AuditEntry",
    "Case",
    "ClockRecord",
    "Contact",
    "Link",
    "Location",
    "check_coordinates",
]

_UTC = dt.UTC


def _ts(t: dt.datetime | None) -> float | None:
    return None if t is None else t.timestamp()


def _dt(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, _UTC)


def check_coordinates(
    lat: Any, lon: Any, *, lat_path: str = "location.lat", lon_path: str = "location.lon"
) -> None:
    """The one rule for a latitude/longitude pair (WGS84): both or neither, finite numbers,
    latitude in [-90, 90], longitude in [-180, 180]; :class:`ConfigError` naming the field
    otherwise.

    >>> check_coordinates(49.28, -123.12)
    >>> check_coordinates(999, -123.12)
    Traceback (most recent call last):
    ...
    civiccc.errors.ConfigError: location.lat: latitude 999 out of range (-90 to 90, finite)
    """
    pairs = ((lat, lat_path, "latitude", 90), (lon, lon_path, "longitude", 180))
    for value, path, name, limit in pairs:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"{name} must be a number, got {value!r}"
            raise ConfigError(msg, path=path, value=value)
        if not math.isfinite(value) or not -limit <= value <= limit:
            msg = f"{name} {value!r} out of range (-{limit} to {limit}, finite)"
            raise ConfigError(msg, path=path, value=value)
    if (lat is None) != (lon is None):
        missing, path = ("longitude", lon_path) if lon is None else ("latitude", lat_path)
        msg = f"a location with coordinates needs both latitude and longitude ({missing} missing)"
        raise ConfigError(msg, path=path)


@attrs.frozen(kw_only=True)
class Location:
    """Where: an address and/or latitude/longitude (WGS84)."""

    address: str | None = None
    lat: float | None = None
    lon: float | None = None


@attrs.frozen(kw_only=True)
class Contact:
    """A reporter's contact; private (never in resident-facing views or Open311 output)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@attrs.frozen(kw_only=True)
class Link:
    """A link to something outside the case: ``kind`` in call, callback, voicemail, note, ..."""

    kind: str
    ref: str
    at: dt.datetime
    note: str = ""


@attrs.frozen(kw_only=True)
class Attachment:
    """A file kept elsewhere, by reference (URL or storage key)."""

    ref: str
    name: str = ""
    media_type: str = ""


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One change: who did what when, from which state to which, and why."""

    at: dt.datetime
    by: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "at": self.at.timestamp(),
            "by": self.by,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditEntry:
        """Inverse of :meth:`to_dict`."""
        return cls(
            at=dt.datetime.fromtimestamp(d["at"], _UTC),
            by=d["by"],
            action=d["action"],
            from_state=d.get("from"),
            to_state=d.get("to"),
            note=d.get("note", ""),
        )


@attrs.define(kw_only=True)
class ClockRecord:
    """The stored state of one SLA clock occurrence (epoch seconds)."""

    kind: str
    seconds: float
    business: bool = True
    start: float
    pauses: list[list[float | None]] = attrs.Factory(list)
    stop: float | None = None
    cancelled: bool = False
    breached_at: float | None = None
    fired: list[float] = attrs.Factory(list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        d: dict[str, Any] = {"kind": self.kind, "seconds": self.seconds, "start": self.start}
        if not self.business:
            d["business"] = False
        if self.pauses:
            d["pauses"] = self.pauses
        if self.stop is not None:
            d["stop"] = self.stop
        if self.cancelled:
            d["cancelled"] = True
        if self.breached_at is not None:
            d["breached_at"] = self.breached_at
        if self.fired:
            d["fired"] = self.fired
        if self.note:
            d["note"] = self.note
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClockRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


@attrs.define(kw_only=True, eq=False)
class Case:
    """A service request. Change it through :class:`CaseDesk`, which audits every change."""

    id: str
    service_code: str
    department: str
    priority: str
    state: CaseState
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str = ""
    channel: str = ""
    location: Location | None = None
    attributes: dict[str, Any] = attrs.Factory(dict)
    tags: list[str] = attrs.Factory(list)
    links: list[Link] = attrs.Factory(list)
    attachments: list[Attachment] = attrs.Factory(list)
    reporter: Contact | None = None
    followers: list[Contact] = attrs.Factory(list)
    assignee: str | None = None
    team: str | None = None
    master_id: str | None = None
    duplicate_ids: list[str] = attrs.Factory(list)
    status_notes: str = ""
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    clocks: dict[str, ClockRecord] = attrs.Factory(dict)
    clock_history: list[ClockRecord] = attrs.Factory(list)
    unanswered_since: float | None = None
    audit: list[AuditEntry] = attrs.Factory(list)
    version: int = 0
    saved_audit: int = 0

    @property
    def is_open(self) -> bool:
        """True while the case needs work (Open311 ``open``)."""
        return self.state not in CLOSED_STATES

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, without the audit trail (stored append-only apart)."""
        loc = self.location
        d = {
            "id": self.id,
            "service_code": self.service_code,
            "department": self.department,
            "priority": self.priority,
            "state": self.state.value,
            "created_at": self.created_at.timestamp(),
            "updated_at": self.updated_at.timestamp(),
            "description": self.description,
            "channel": self.channel,
            "location": None if loc is None else [loc.address, loc.lat, loc.lon],
            "attributes": self.attributes,
            "tags": self.tags,
            "links": [[k.kind, k.ref, k.at.timestamp(), k.note] for k in self.links],
            "attachments": [[a.ref, a.name, a.media_type] for a in self.attachments],
            "reporter": None if self.reporter is None else attrs.astuple(self.reporter),
            "followers": [attrs.astuple(f) for f in self.followers],
            "assignee": self.assignee,
            "team": self.team,
            "master_id": self.master_id,
            "duplicate_ids": self.duplicate_ids,
            "status_notes": self.status_notes,
            "resolved_at": _ts(self.resolved_at),
            "closed_at": _ts(self.closed_at),
            "clocks": {k: c.to_dict() for k, c in self.clocks.items()},
            "clock_history": [c.to_dict() for c in self.clock_history],
            "unanswered_since": self.unanswered_since,
        }
        return {k: v for k, v in d.items() if v is not None and v != "" and v != [] and v != {}}

    @classmethod
    def from_dict(cls, d: dict[str, Any], audit: list[AuditEntry], version: int) -> Case:
        """Inverse of :meth:`to_dict`."""
        loc = d.get("location")
        rep = d.get("reporter")
        return cls(
            id=d["id"],
            service_code=d["service_code"],
            department=d["department"],
            priority=d["priority"],
            state=CaseState(d["state"]),
            created_at=dt.datetime.fromtimestamp(d["created_at"], _UTC),
            updated_at=dt.datetime.fromtimestamp(d["updated_at"], _UTC),
            description=d.get("description", ""),
            channel=d.get("channel", ""),
            location=None if loc is None else Location(address=loc[0], lat=loc[1], lon=loc[2]),
            attributes=dict(d.get("attributes", {})),
            tags=list(d.get("tags", [])),
            links=[
                Link(kind=k, ref=r, at=dt.datetime.fromtimestamp(t, _UTC), note=n)
                for k, r, t, n in d.get("links", [])
            ],
            attachments=[
                Attachment(ref=r, name=n, media_type=m) for r, n, m in d.get("attachments", [])
            ],
            reporter=None if rep is None else Contact(name=rep[0], phone=rep[1], email=rep[2]),
            followers=[Contact(name=f[0], phone=f[1], email=f[2]) for f in d.get("followers", [])],
            assignee=d.get("assignee"),
            team=d.get("team"),
            master_id=d.get("master_id"),
            duplicate_ids=list(d.get("duplicate_ids", [])),
            status_notes=d.get("status_notes", ""),
            resolved_at=_dt(d.get("resolved_at")),
            closed_at=_dt(d.get("closed_at")),
            clocks={k: ClockRecord.from_dict(c) for k, c in d.get("clocks", {}).items()},
            clock_history=[ClockRecord.from_dict(c) for c in d.get("clock_history", [])],
            unanswered_since=d.get("unanswered_since"),
            audit=audit,
            version=version,
            saved_audit=len(audit),
        )
