"""Calendar probes for the compiled engine: calendar state by epoch seconds, memoised.

A calendar's state is piecewise constant: it changes at opening and closing times, at local
midnights around holidays and when an emergency starts or ends. On a miss, the probe asks the
calendar once for the whole UTC day around the instant (``state_at`` at the day's start, then
``next_change`` until the day is covered) and keeps the day's segments: afterwards a call costs a
dictionary lookup and a bisection, with no time-zone conversion. Memos are bounded and dropped
whenever ``calendar.revision`` changes (an emergency switched on, a closure added, ...).
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from civiccc.routing._semantics import time_label

if TYPE_CHECKING:
    from civiccc.routing._flow import CalendarLike

__all__ = ["CombinedProbe", "TimeProbe", "state_holiday", "state_key"]

DAY = 86400.0
_INF = float("inf")
_NAN = float("nan")

State = tuple[str, bool, bool]


def state_key(state: Any) -> State:
    """``(kind, is_open, holiday)`` of a calendar state (what time-check nodes look at)."""
    kind = str(state.kind)
    return kind, bool(state.is_open), state_holiday(state)


def state_holiday(state: Any) -> bool:
    """Whether the state's local date is a holiday (``CalendarState.holiday`` names it)."""
    if hasattr(state, "holiday"):
        return bool(state.holiday)
    return str(state.kind) == "holiday"


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
        # segments need next_change(); without it every instant is asked
        self._segmented = callable(getattr(cal, "next_change", None))
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
        t = datetime.fromtimestamp(ts, UTC)
        nc = self.cal.next_change
        nxt = nc(t, scope=self.scope) if self.scope else nc(t)
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
            if nxt <= t:  # a change exactly at t: ask just after it
                nxt = self._next_change(t + 1e-6)
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

    def fast_code(self) -> Callable[[float], int]:
        """:meth:`code` as a closure with the common case (a known UTC day) inlined."""
        code = self.code
        if not self._segmented:
            return code
        days = self._days
        cal = self.cal
        probe = self

        def fast(ts: float) -> int:
            if cal.revision == probe.revision:
                entry = days.get(int(ts // DAY))
                if entry is not None:
                    starts, codes = entry
                    return codes[bisect_right(starts, ts) - 1]
            return code(ts)

        return fast

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


class CombinedProbe:
    """The states of several calendars at once, as one small integer (for decision tables).

    Per UTC day it merges the day segments of each calendar's :class:`TimeProbe`, so the state
    of all of a flow's calendars costs one dictionary lookup and one bisection. When every
    calendar offers ``on_change``, changes are pushed (no polling on the hot path); otherwise
    ``revision`` is compared on each call.
    """

    def __init__(self, probes: list[TimeProbe], memo_size: int) -> None:
        self.probes = probes
        self.memo_size = memo_size
        self._days: dict[float, tuple[list[float], list[int]]] = {}
        #: (tzinfo, local date ordinal) -> (microseconds after local midnight at which the
        #: combined code changes, codes), or False for a date whose UTC offset changes (DST)
        self.local_days: dict[tuple[Any, int], Any] = {}
        self._codes: dict[tuple[int, ...], int] = {}
        self._cals = [p.cal for p in probes]
        self._revisions = tuple(c.revision for c in self._cals)
        self.usable = all(p._segmented for p in probes)
        self.pushed = self.usable and all(
            callable(getattr(c, "on_change", None)) for c in self._cals
        )
        if self.pushed:
            ref = weakref.ref(self)

            def changed(*_: Any) -> None:
                probe = ref()
                if probe is not None:
                    probe.clear()

            for cal in self._cals:
                cal.on_change(changed)  # type: ignore[attr-defined,unused-ignore]

    def clear(self) -> None:
        """Forget the merged days (and the calendars' own probes)."""
        self._days.clear()
        self.local_days.clear()
        for p in self.probes:
            p.clear()
        self._revisions = tuple(c.revision for c in self._cals)

    def _build(self, day: float) -> tuple[list[float], list[int]]:
        if not self.pushed:
            revisions = tuple(c.revision for c in self._cals)
            if revisions != self._revisions:
                self.clear()
        entries = []
        for p in self.probes:
            p.code(day * DAY)  # builds (or refreshes) the probe's day
            entries.append(p._days[int(day)])
        starts = sorted({s for e in entries for s in e[0]})
        codes = []
        for s in starts:
            combo = tuple(e[1][bisect_right(e[0], s) - 1] for e in entries)
            code = self._codes.get(combo)
            if code is None:
                code = self._codes[combo] = len(self._codes)
            codes.append(code)
        if len(self._days) >= self.memo_size:
            self._days.clear()
        entry = (starts, codes)
        self._days[day] = entry
        return entry

    def code_at(self, ts: float) -> int:
        """The combined code at ``ts`` (building the UTC day when needed)."""
        day = ts // DAY
        entry = self._days.get(day)
        if entry is None:
            entry = self._build(day)
        return entry[1][bisect_right(entry[0], ts) - 1]

    def local_day(self, key: tuple[Any, int], base_us: int | None) -> Any:
        """The combined codes of one local date, in microseconds after its midnight.

        ``base_us`` is the UTC instant of the local midnight in microseconds, ``None`` when the
        date's UTC offset changes (then the entry is ``False`` and callers use epoch seconds).
        """
        if base_us is None:
            entry: Any = False
        else:
            lo = base_us / 1e6
            hi = (base_us + 86_400_000_000) / 1e6
            points: list[tuple[float, int]] = []
            for day in {lo // DAY, hi // DAY}:
                self.code_at(day * DAY)
                starts, codes = self._days[day]
                points.extend((s, c) for s, c in zip(starts, codes, strict=True) if lo < s < hi)
            offsets = [0]
            out = [self.code_at(lo)]
            for s, c in sorted(points):
                if c != out[-1]:
                    offsets.append(round(s * 1e6) - base_us)
                    out.append(c)
            entry = (offsets, out)
        if len(self.local_days) >= self.memo_size:
            self.local_days.clear()
        self.local_days[key] = entry
        return entry

    def function(self) -> Callable[[float], int]:
        """``ts -> combined code``."""
        if not self.probes:
            return _zero
        days = self._days
        build = self._build
        if self.pushed:

            def code(ts: float) -> int:
                day = ts // DAY
                entry = days.get(day)
                if entry is None:
                    entry = build(day)
                return entry[1][bisect_right(entry[0], ts) - 1]

            return code
        cals = self._cals
        probe = self

        def polled(ts: float) -> int:
            if tuple(c.revision for c in cals) != probe._revisions:
                probe.clear()
            day = ts // DAY
            entry = days.get(day)
            if entry is None:
                entry = build(day)
            return entry[1][bisect_right(entry[0], ts) - 1]

        return polled


def _zero(ts: float) -> int:
    return 0
