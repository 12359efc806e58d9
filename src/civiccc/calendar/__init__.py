"""Business calendars: one model for opening hours, hotline hours and SLA clocks.

A :class:`Calendar` holds weekly opening hours in an IANA time zone, statutory holidays from
the ``holidays`` package, a city's own holidays and deviating hours (possibly shared between
calendars through :class:`DayRules`), and emergency/closure switches. Queries are answered from
a compiled table of UTC open intervals with prefix sums.

>>> from datetime import datetime, timezone
>>> hall = Calendar.from_dict({
...     "id": "city_hall", "timezone": "America/Vancouver",
...     "hours": {d: [["08:00", "16:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
...     "holidays": {"country": "CA", "subdiv": "BC"},
... })
>>> hall.state_at(datetime(2025, 7, 1, 18, 0, tzinfo=timezone.utc)).rule
'holiday:Canada Day'
>>> hall.add_business_time(datetime(2025, 3, 7, 23, 0, tzinfo=timezone.utc), 8 * 3600)
datetime.datetime(2025, 3, 10, 21, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from civiccc.calendar._calendar import (
    Calendar,
    CalendarState,
    DayRules,
    StateKind,
    load_calendars,
)
from civiccc.calendar._spec import Deviation, Emergency, HolidaySource, TimeRange, WeeklyHours

__all__ = [
    "Calendar",
    "CalendarState",
    "DayRules",
    "Deviation",
    "Emergency",
    "HolidaySource",
    "StateKind",
    "TimeRange",
    "WeeklyHours",
    "load_calendars",
]
