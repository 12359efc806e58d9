"""Calendar probes for the compiled engine: calendar state by epoch seconds, memoised.

A calendar's state is piecewise constant: it changes at opening and closing times, at local
midnights around holidays and when an emergency starts or ends. On a miss, the probe asks the
calendar once for the whole UTC day around the instant (``state_at`` at the day's start, then
``next_change`` until the day is covered) and keeps the day's segments: afterwards a call costs a
dictionary lookup and a bisection, with no time-zone conversion. Memos are bounded and dropped
whenever ``calendar.revision`` changes (an emergency switched on, a closure added, ...).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from civiccc.routing._semantics import time_label

if TYPE_CHECKING:
    from civiccc.routing._flow import CalendarLike

__all__ = ["TimeProbe", "state_key"]

DAY = 86400.0
_INF = float("inf")
_NAN = float("nan")

State = tuple[str, bool, bool]


def state_key(state: Any) -> State:
    """``(kind, is_open, holiday)`` of a calendar state (what time-check nodes look at)."""
    kind = str(state.kind)
    return kind, bool(state.is_open), bool(getattr(state, "holiday", kind == "holiday"))


def _zone(value: Any) -> tzinfo | None:
    if isinstance(value, tzinfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (KeyError, ValueError):
            return None
    return None


class TimeProbe:
    """Answers time-check nodes for one calendar (and emergency scope).

    Args:
        cal: The calendar.
        scope: An emergency scope, passed to ``state_at``.
        memo_size: The most UTC days kept (scoped probes: the most instants kept).
    """

    def __init__(self, cal: CalendarLike, scope: str | None, memo_size: int) -> None:
        self.cal = cal
        self.scope = scope
        self.memo_size = memo_size
        self.revision = cal.revision
        self._days: dict[int, tuple[list[float], list[int]]] = {}
        self._instants: dict[float, int] = {}
        self._codes: dict[State, int] = {}
        # the last instant asked and its code (segmented probes only; NaN never matches)
        self._last: list[Any] = [_NAN, 0]
        #: The states met so far; a state's code is its index here (stable across clears).
        self.states: list[State] = []
        # segments need next_change(); scoped emergencies are asked instant by instant
        self._segmented = scope is None and callable(getattr(cal, "next_change", None))
        self._tz = _zone(getattr(cal, "timezone", None))

    def clear(self) -> None:
        """Forget memoised states."""
        self._days.clear()
        self._instants.clear()
        self._last[0] = _NAN
        self.revision = self.cal.revision

    def _state_at(self, ts: float) -> State:
        t = datetime.fromtimestamp(ts, UTC)
        st = self.cal.state_at(t, scope=self.scope) if self.scope else self.cal.state_at(t)
        return state_key(st)

    def _next_change(self, ts: float) -> float:
        nxt = self.cal.next_change(datetime.fromtimestamp(ts, UTC))  # type: ignore[attr-defined]
        if nxt is None:
            return _INF
        return float(nxt.timestamp()) if isinstance(nxt, datetime) else float(nxt)

    def _midnights(self, start: float, end: float) -> list[float]:
        """Local midnights inside ``(start, end)`` (holidays are judged on the local date)."""
        tz = self._tz
        if tz is None:
            return []
        out = []
        first = datetime.fromtimestamp(start, tz).date()
        for offset in (0, 1, 2):
            d = first + timedelta(days=offset)
            ts = datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()
            if start < ts < end:
                out.append(ts)
        return out

    def _day(self, day: int) -> tuple[list[float], list[int]]:
        start = day * DAY
        end = start + DAY
        points = set(self._midnights(start, end))
        t = start
        while True:
            nxt = self._next_change(t)
            if nxt >= end:
                break
            if nxt <= t:  # a calendar that does not move forward
                msg = f"calendar {self.cal.id!r}: next_change({t}) returned {nxt}"
                raise RuntimeError(msg)
            points.add(nxt)
            t = nxt
        starts = [start]
        codes = [self._intern(self._state_at(start))]
        for point in sorted(points):
            code = self._intern(self._state_at(point))
            if code != codes[-1]:
                starts.append(point)
                codes.append(code)
        if len(self._days) >= self.memo_size:
            self._days.clear()
        self._days[day] = (starts, codes)
        return starts, codes

    def state(self, ts: float) -> State:
        """``(kind, is_open, holiday)`` at ``ts``."""
        return self.states[self.code(ts)]

    def code(self, ts: float) -> int:
        """A small integer naming the calendar state at ``ts`` (see :attr:`states`)."""
        if self.cal.revision != self.revision:
            self.clear()
        last = self._last
        if self._segmented:
            entry = self._days.get(int(ts // DAY))
            if entry is None:
                entry = self._day(int(ts // DAY))
            starts, codes = entry
            last[1] = c = codes[bisect_right(starts, ts) - 1]
            last[0] = ts
            return c
        hit = self._instants.get(ts)
        if hit is None:
            hit = self._intern(self._state_at(ts))
            if len(self._instants) >= self.memo_size:
                self._instants.clear()
            self._instants[ts] = hit
        return hit

    def _intern(self, state: State) -> int:
        code = self._codes.get(state)
        if code is None:
            code = self._codes[state] = len(self.states)
            self.states.append(state)
        return code

    def node_function(self, node_kind: str, next_of: Mapping[str, int]) -> Callable[[float], int]:
        """A function ``ts -> next node index`` for one time-check node."""
        table: list[int] = []
        states = self.states
        code = self.code
        last = self._last

        def probe(ts: float) -> int:
            # consecutive checks of one calendar (emergency, holiday, hours) share the answer
            c = last[1] if ts == last[0] else code(ts)
            if c < len(table):
                return table[c]
            while len(table) <= c:
                table.append(next_of[time_label(node_kind, *states[len(table)])])
            return table[c]

        return probe
