"""Shared helpers for the cases tests (the VAN calendar, instants, a catalogue, a desk)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from civiccc.calendar import Calendar
from civiccc.cases import CaseDesk, Catalogue, MemoryStore, Store
from civiccc.clock import VirtualClock

VAN = ZoneInfo("America/Vancouver")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def van(*args: int) -> dt.datetime:
    """A Vancouver wall-clock instant."""
    return dt.datetime(*args, tzinfo=VAN)  # type: ignore[misc]


def replaced(data: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the item at ``path`` (keys and list indexes) set to
    ``value``."""
    data = copy.deepcopy(data)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def van_calendar(**extra: Any) -> Calendar:
    """Mon-Fri 08:00-16:30 America/Vancouver, no holidays (research calendar VAN)."""
    return Calendar.from_dict(
        {
            "id": "van",
            "timezone": "America/Vancouver",
            "hours": {d: [["08:00", "16:30"]] for d in WEEKDAYS},
            **extra,
        }
    )


CATALOGUE: dict[str, Any] = {
    "jurisdiction": {"id": "city.example", "timezone": "America/Vancouver"},
    "departments": {
        "roads": {"name": "Roads and Streets", "calendar": "van"},
        "waste": {"name": "Solid Waste", "calendar": "van"},
        "hotline": {"name": "Service Centre"},
    },
    "services": [
        {
            "code": "pothole",
            "name": "Pothole",
            "department": "roads",
            "warn_at": [0.5, 0.75],
            "sla": {
                "normal": {"first_response": "2h", "resolution": "8h", "next_reply": "2h"},
                "urgent": {"resolution": "4h"},
                "low": {"resolution": "1h"},
                "high": {"resolution": {"after": "24h", "business": False}},
            },
            "attributes": [
                {"code": "size", "datatype": "singlevaluelist", "values": ["small", "large"]}
            ],
        },
        {
            "code": "missed_pickup",
            "name": "Missed pick-up",
            "department": "waste",
            "reopen": "restart",
            "priority_change": "restart",
            "sla": {"normal": {"resolution": "8h"}, "urgent": {"resolution": "4h"}},
        },
        {
            "code": "info",
            "name": "Information",
            "department": "hotline",
            "sla": {"normal": {"resolution": "24h"}},
        },
    ],
}


#: The instant a :func:`desk`'s clock shows (a Monday, 09:00 in Vancouver).
T0 = van(2025, 6, 16, 9)
_CAT = Catalogue.from_dict(CATALOGUE)


def desk(store: Store | None = None, **kw: Any) -> CaseDesk:
    """A desk on :data:`CATALOGUE` with the VAN calendar and its clock at :data:`T0`, on
    ``store`` (a new :class:`MemoryStore` when ``None``); ``kw`` go to :class:`CaseDesk`."""
    return CaseDesk(
        _CAT,
        clock=VirtualClock(T0),
        calendars={"van": van_calendar()},
        store=store if store is not None else MemoryStore(),
        **kw,
    )
