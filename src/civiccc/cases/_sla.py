"""SLA clock math: pure functions of (calendar, start, target, pauses) on epoch seconds."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Protocol

import attrs

__all__ = ["ClockState", "ClockStatus", "business_elapsed", "due_ts", "merge_intervals"]

_UTC = dt.UTC


class _BusinessCalendar(Protocol):
    id: str

    def add_business_seconds(
        self, ts: float, seconds: float, scope: str | None = None
    ) -> float: ...

    def business_seconds_between(self, a: float, b: float, scope: str | None = None) -> float: ...


class ClockState(enum.StrEnum):
    """What an SLA clock is doing at an instant."""

    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True)
class ClockStatus:
    """An SLA clock seen at an instant.

    ``elapsed``/``remaining`` are business time (or calendar time for a calendar-time
    target) with pauses excluded; ``stopped`` is the business time spent paused.
    """

    kind: str
    state: ClockState
    at: dt.datetime
    start: dt.datetime
    target: dt.timedelta
    due: dt.datetime | None
    elapsed: dt.timedelta
    remaining: dt.timedelta
    stopped: dt.timedelta
    percentage: float
    breached: bool
    completed: dt.datetime | None
    calendar: str | None


def merge_intervals(
    intervals: Sequence[tuple[float, float | None]],
) -> list[tuple[float, float | None]]:
    """Sort and merge overlapping ``[a, b)`` intervals (``b`` ``None``: still open).

    >>> merge_intervals([(5, 8), (1, 3), (2, 4), (7, None)])
    [(1, 4), (5, None)]
    """
    out: list[tuple[float, float | None]] = []
    for a, b in sorted(intervals, key=lambda x: x[0]):
        if out and (out[-1][1] is None or a <= out[-1][1]):
            pa, pb = out[-1]
            out[-1] = (pa, None if b is None or pb is None else max(pb, b))
        else:
            out.append((a, b))
    return out


def _add(cal: _BusinessCalendar | None, ts: float, s: float) -> float:
    return ts + s if cal is None else cal.add_business_seconds(ts, s)


def _between(cal: _BusinessCalendar | None, a: float, b: float) -> float:
    if b <= a:
        return 0.0
    return b - a if cal is None else cal.business_seconds_between(a, b)


def due_ts(
    cal: _BusinessCalendar | None,
    start: float,
    seconds: float,
    pauses: Sequence[tuple[float, float | None]],
) -> float | None:
    """The instant at which ``seconds`` of unpaused business time after ``start`` accrue.

    ``pauses`` must be merged (:func:`merge_intervals`). ``None`` while a pause that the
    clock reaches has no end yet. ``cal`` ``None`` measures calendar time.
    """
    cursor, remaining = start, seconds
    for a, b in pauses:
        if b is not None and b <= cursor:
            continue
        candidate = _add(cal, cursor, remaining)
        if candidate <= a:
            return candidate
        if a > cursor:
            remaining -= _between(cal, cursor, a)
        if b is None:
            return None
        cursor = max(cursor, b)
    return _add(cal, cursor, remaining)


def business_elapsed(
    cal: _BusinessCalendar | None,
    start: float,
    until: float,
    pauses: Sequence[tuple[float, float | None]],
) -> tuple[float, float]:
    """(unpaused business seconds, paused business seconds) in ``[start, until)``."""
    total = _between(cal, start, until)
    stopped = 0.0
    for a, b in pauses:
        lo, hi = max(a, start), min(until if b is None else b, until)
        if hi > lo:
            stopped += _between(cal, lo, hi)
    return total - stopped, stopped
