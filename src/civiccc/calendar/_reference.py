"""A straightforward, slow reference for the calendar's business-time queries.

It steps through local days with pendulum, lays out each day's open ranges by the documented
precedence, subtracts closures and emergencies, and walks forward. It shares no code with the
compiled tables except rule lookups (holidays, deviations), so tests and ``benchmarks/calendar.py``
use it to check the compiled answers.
"""

from __future__ import annotations

import datetime as dt

import pendulum

from civiccc.calendar._calendar import Calendar

__all__ = ["ReferenceCalendar"]


def _subtract(
    pieces: list[tuple[float, float]], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    for hs, he in holes:
        out = []
        for s, e in pieces:
            if he <= s or hs >= e:
                out.append((s, e))
                continue
            if s < hs:
                out.append((s, hs))
            if he < e:
                out.append((he, e))
        pieces = out
    return pieces


class ReferenceCalendar:
    """Day-stepping answers for ``add_business_time`` / ``business_time_between`` / ``is_open``."""

    def __init__(self, calendar: Calendar, scope: str | None = None) -> None:
        self.cal = calendar
        self.scope = scope
        self.tz = pendulum.timezone(calendar.timezone)

    def _wall(self, day: dt.date, minutes: int) -> float:
        extra, m = divmod(minutes, 1440)
        d = pendulum.date(day.year, day.month, day.day).add(days=extra)
        # fold=0: the first occurrence of a repeated wall time (pendulum defaults to fold=1).
        # In a DST gap pendulum's fold=0 moves the wall time *back* (02:00 -> 01:00 PST);
        # the documented rule is "same wall time shifted +1h" (02:00 -> 03:00 PDT), which is
        # pendulum's fold=1 answer there.
        t = pendulum.datetime(d.year, d.month, d.day, m // 60, m % 60, tz=self.tz, fold=0)
        if (t.hour, t.minute) != (m // 60, m % 60):
            t = pendulum.datetime(d.year, d.month, d.day, m // 60, m % 60, tz=self.tz, fold=1)
        return t.timestamp()

    def day_pieces(self, day: dt.date) -> list[tuple[float, float]]:
        """Open pieces that belong to local date ``day`` (they may run past its midnight)."""
        cal = self.cal
        devs = [d for r in (*cal.shared, cal.rules) for d in r.deviations(day)]
        replacement = [d for d in devs if d.hours is not None]
        if replacement:
            ranges = replacement[-1].hours or ()
        elif cal.holiday_on(day) is not None:
            ranges = ()
        else:
            ranges = cal.hours.days[day.weekday()]
        pieces = sorted((self._wall(day, r.start), self._wall(day, r.end)) for r in ranges)
        # a range in the spring-forward gap moves to the same wall time +1 h, where it may meet
        # the day's next range (02:00-02:30 -> 03:00-03:30 beside 03:00-03:30): count it once
        merged: list[tuple[float, float]] = []
        for s, e in pieces:
            if e <= s:
                continue
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def _holes(self) -> list[tuple[float, float]]:
        holes = []
        for em in self.cal.emergencies:
            if em.applies_to(self.scope):
                end = em.end.timestamp() if em.end is not None else float("inf")
                holes.append((em.start.timestamp(), end))
        return holes

    def _closures(self, day: dt.date) -> list[tuple[float, float]]:
        out = []
        for r in (*self.cal.shared, self.cal.rules):
            for d in r.deviations(day):
                if d.whole_day:
                    out.append((self._wall(day, 0), self._wall(day, 1440)))
                out.extend((self._wall(day, c.start), self._wall(day, c.end)) for c in d.closed)
        return out

    def open_pieces(self, day: dt.date) -> list[tuple[float, float]]:
        """Pieces of ``day`` after closures (of that day and the next) and emergencies."""
        holes = self._holes() + self._closures(day) + self._closures(day + dt.timedelta(days=1))
        return _subtract(self.day_pieces(day), holes)

    def _local_date(self, ts: float) -> dt.date:
        return pendulum.from_timestamp(ts, tz=self.tz).date()

    def is_open(self, ts: float) -> bool:
        """True when ``ts`` lies in an open piece of its own or the previous local date."""
        day = self._local_date(ts)
        for d in (day - dt.timedelta(days=1), day):
            if any(s <= ts < e for s, e in self.open_pieces(d)):
                return True
        return False

    def add_business_seconds(self, ts: float, seconds: float, max_days: int = 4000) -> float:
        """Walk local days from ``ts`` until ``seconds`` of open time have accumulated."""
        day = self._local_date(ts) - dt.timedelta(days=1)
        remaining = seconds
        for _ in range(max_days):
            for s, e in sorted(self.open_pieces(day)):
                s = max(s, ts)
                if e <= s:
                    continue
                if remaining == 0:
                    return s
                if e - s >= remaining:
                    return s + remaining
                remaining -= e - s
            day = day + dt.timedelta(days=1)
        msg = "no open time within the reference's horizon"
        raise LookupError(msg)

    def business_seconds_between(self, a: float, b: float) -> float:
        """Open seconds in ``[a, b)``, summed day by day."""
        total = 0.0
        day = self._local_date(a) - dt.timedelta(days=1)
        last = self._local_date(b)
        while day <= last:
            for s, e in self.open_pieces(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day = day + dt.timedelta(days=1)
        return total
