"""The business calendar: specification, compiled interval tables, queries and switches."""

from __future__ import annotations

import datetime as dt
import enum
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pendulum

from civiccc._documents import parse_yaml
from civiccc.calendar._spec import (
    DAYS,
    Deviation,
    Emergency,
    HolidaySource,
    TimeRange,
    WeeklyHours,
    check_scope,
    parse_date,
)
from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError, InvalidTransition, NoOpenTimeError

__all__ = ["Calendar", "CalendarState", "DayRules", "StateKind", "load_calendars"]

_UTC = dt.UTC
# bound once: the datetime hot paths call these per query
_datetime = dt.datetime
_fromtimestamp = dt.datetime.fromtimestamp
_timedelta = dt.timedelta
_ZERO = dt.timedelta(0)
_DAY = dt.timedelta(days=1)
_INF = float("inf")
#: durations (seconds) already converted to timedeltas; SLA durations come from a few policies
_DURATIONS: dict[dt.timedelta | float, dt.timedelta] = {}
_DURATIONS_MAX = 4096
#: years compiled at once when a query leaves the compiled span
_CHUNK_YEARS = 2
# a query further than this from the compiled span starts a new span instead of growing it
_FAR_YEARS = 20
#: how far forward add_business_time / next_open search for open time before giving up
_HORIZON_YEARS = 12
#: the local years a table can lay out (it covers the day before the first year and the day
#: after the last, which datetime.date must hold)
_FIRST_YEAR = 2
_LAST_YEAR = 9998
#: the supported local dates, as errors name them
SUPPORTED_DATES = f"{_FIRST_YEAR:04d}-01-01 to {_LAST_YEAR:04d}-12-31"


class StateKind(enum.StrEnum):
    """What a calendar says about an instant."""

    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"
    EMERGENCY = "emergency"


@attrs.frozen(kw_only=True)
class CalendarState:
    """The state of a calendar at an instant, with the rule that decided it.

    Attributes:
        kind: open, closed, holiday or emergency.
        rule: The deciding rule: ``hours:mon[0]``, ``deviation:2025-12-24[0]``,
            ``closed:weekly``, ``closed:deviation 2025-12-24``, ``holiday:Canada Day``,
            ``closure:staff meeting``, ``emergency:storm``.
        reason: The free text behind the rule (holiday name, closure or emergency reason).
        holiday: The name of the holiday on this local date, whatever decided the state.
        local: The instant in the calendar's time zone.
    """

    kind: StateKind
    rule: str
    reason: str | None
    holiday: str | None
    local: dt.datetime

    @property
    def is_open(self) -> bool:
        """True when the calendar is open."""
        return self.kind is StateKind.OPEN

    def __str__(self) -> str:
        return f"{self.kind.value} at {self.local.isoformat()} ({self.rule})"


def _check_day(day: Any, what: str = "day") -> dt.date:
    """``day`` if it is a ``datetime.date`` (not a datetime), else a ConfigError naming ``what``."""
    if day.__class__ is dt.date or (isinstance(day, dt.date) and not isinstance(day, dt.datetime)):
        return day
    hint = " (use datetime.date.fromisoformat)" if isinstance(day, str) else ""
    if isinstance(day, dt.datetime):
        hint = " (use its .date() in the calendar's time zone)"
    msg = f"expected a local date (datetime.date), got {type(day).__name__} {day!r}{hint}"
    raise ConfigError(msg, path=what, value=day)


def _bad_instants(exc: Exception, **instants: Any) -> Exception:
    """The ConfigError naming the first argument that is not an aware datetime, else ``exc``."""
    for name, t in instants.items():
        try:
            ensure_aware(t, name)
        except ConfigError as err:
            return err
    return exc


class DayRules:
    """Dated rules that several calendars can share: a city's own holidays and deviations.

    Changing shared rules (e.g. adding a snow-day closure) invalidates every calendar that uses
    them and notifies their ``on_change`` listeners.

    Args:
        name: The name calendars refer to (``day_rules: [city_days]``).
        holidays: Extra holidays by local date.
        annual_holidays: Extra holidays every year, by ``(month, day)``.
        deviations: Dated deviating hours and closures.
    """

    def __init__(
        self,
        name: str,
        *,
        holidays: Mapping[dt.date, str] | None = None,
        annual_holidays: Mapping[tuple[int, int], str] | None = None,
        deviations: Iterable[Deviation] = (),
    ) -> None:
        self.name = name
        self._holidays = dict(holidays or {})
        self._annual = dict(annual_holidays or {})
        self._deviations: dict[dt.date, list[Deviation]] = {}
        for d in deviations:
            self._deviations.setdefault(d.date, []).append(d)
        self.revision = 0
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], path: str = "") -> DayRules:
        """Build from ``{"extra_holidays": [...], "deviations": [...]}``."""
        prefix = f"{path}." if path else ""
        if not isinstance(data, Mapping):
            msg = f"expected a mapping, got {data!r}"
            raise ConfigError(msg, path=path or name)
        unknown = set(data) - {"extra_holidays", "deviations"}
        if unknown:
            msg = f"unknown field(s) {sorted(unknown)} (expected extra_holidays, deviations)"
            raise ConfigError(msg, path=path or name)
        dated, annual = _parse_extra_holidays(
            data.get("extra_holidays", []), f"{prefix}extra_holidays"
        )
        devs = data.get("deviations", [])
        if not isinstance(devs, list):
            msg = "expected a list of deviations"
            raise ConfigError(msg, path=f"{prefix}deviations")
        parsed = [Deviation.parse(x, f"{prefix}deviations[{i}]") for i, x in enumerate(devs)]
        return cls(name, holidays=dated, annual_holidays=annual, deviations=parsed)

    def to_dict(self) -> dict[str, Any]:
        """Plain data accepted by :meth:`from_dict`."""
        out: dict[str, Any] = {}
        extra = [{"date": d.isoformat(), "name": n} for d, n in sorted(self._holidays.items())]
        extra += [
            {"date": f"{m:02d}-{d:02d}", "name": n} for (m, d), n in sorted(self._annual.items())
        ]
        if extra:
            out["extra_holidays"] = extra
        devs = [d.to_data() for day in sorted(self._deviations) for d in self._deviations[day]]
        if devs:
            out["deviations"] = devs
        return out

    def holiday(self, day: dt.date) -> str | None:
        """The extra holiday on ``day``, if any."""
        _check_day(day)
        return self._holiday(day)

    def _holiday(self, day: dt.date) -> str | None:
        return self._holidays.get(day) or self._annual.get((day.month, day.day))

    def deviations(self, day: dt.date) -> list[Deviation]:
        """The deviations dated ``day``."""
        _check_day(day)
        return self._deviations.get(day, [])

    def add_holiday(self, day: dt.date, name: str) -> None:
        """Add a one-off holiday (a civic day declared this year)."""
        _check_day(day)
        if not isinstance(name, str) or not name.strip():
            msg = f"expected a holiday name, got {name!r}"
            raise ConfigError(msg, path="name", value=name)
        self._holidays[day] = name
        self._changed()

    def add_deviation(self, deviation: Deviation) -> None:
        """Add deviating hours or a closure for a date."""
        self._deviations.setdefault(deviation.date, []).append(deviation)
        self._changed()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        self.revision += 1
        for cb in list(self._listeners):
            cb()


def _parse_extra_holidays(
    data: Any, path: str
) -> tuple[dict[dt.date, str], dict[tuple[int, int], str]]:
    if not isinstance(data, list):
        msg = "expected a list of {date, name}"
        raise ConfigError(msg, path=path, value=data)
    dated: dict[dt.date, str] = {}
    annual: dict[tuple[int, int], str] = {}
    for i, item in enumerate(data):
        p = f"{path}[{i}]"
        if not isinstance(item, Mapping) or "date" not in item:
            msg = f"expected {{date, name}}, got {item!r}"
            raise ConfigError(msg, path=p, value=item)
        unknown = set(item) - {"date", "name"}
        if unknown:
            msg = f"unknown field(s) {sorted(unknown)} (expected date, name)"
            raise ConfigError(msg, path=p)
        raw = str(item["date"])
        name = str(item.get("name", "holiday"))
        if len(raw) == 5 and raw[2] == "-":  # MM-DD: every year
            try:
                dt.date(2000, int(raw[:2]), int(raw[3:]))
            except ValueError:
                msg = f"expected 'YYYY-MM-DD' or 'MM-DD', got {raw!r}"
                raise ConfigError(msg, path=f"{p}.date", value=raw) from None
            annual[(int(raw[:2]), int(raw[3:]))] = name
        else:
            dated[parse_date(raw, f"{p}.date")] = name
    return dated, annual


@attrs.define(slots=True)
class _Table:
    """A compiled span of one calendar for one emergency scope (epoch seconds throughout)."""

    lo: float  # instants in [lo, hi) are answered from this table
    hi: float
    first_day: dt.date
    day_starts: list[float]  # UTC instant of each local midnight, first_day onwards
    day_holiday: list[str | None]
    seg_starts: list[
        float
    ]  # piecewise-constant state: segment i covers [seg_starts[i], seg_starts[i+1])
    seg_kind: list[StateKind]
    seg_rule: list[str]
    seg_reason: list[str | None]
    starts: list[float]  # open intervals, sorted, disjoint, non-adjacent
    ends: list[float]
    cum: list[float]  # business seconds before interval i
    cum_end: list[float]  # business seconds at the end of interval i
    utc: _UtcView | None = None  # the same intervals as UTC datetimes, built on first use


class _UtcView(NamedTuple):
    """A table's open intervals as aware UTC datetimes, for queries that arrive in UTC.

    Datetimes sharing a ``tzinfo`` compare and subtract without any offset lookup, so a UTC
    query is list lookups, comparisons and timedelta arithmetic on C types, exact to the
    microsecond, with no float conversion in or out. Interval 0 is an empty sentinel at or
    before ``lo`` and interval ``last`` one at ``datetime.max``, so every instant in ``[lo, hi)``
    has an interval at or before it and every search stops.
    """

    lo: dt.datetime  # instants in [lo, hi) are answered from this view
    hi: dt.datetime
    lo_ordinal: int  # lo.toordinal()
    day_first: list[int]  # by UTC day since lo: the last interval starting at or before it
    next_start: list[dt.datetime]  # starts[i + 1]
    starts: list[dt.datetime]
    ends: list[dt.datetime]
    offsets: list[dt.datetime]  # starts[i] - cum[i]: instant = offsets[i] + business time
    cum_end: list[dt.timedelta]  # business time at the end of interval i
    last: int  # the end sentinel's index


_MAX_UTC = dt.datetime.max.replace(tzinfo=_UTC)
#: the view of a table whose instants datetimes cannot hold: no instant falls in it
_NO_VIEW = _UtcView(_MAX_UTC, _MAX_UTC, 0, [], [], [], [], [], [], 0)


def _utc_view(table: _Table) -> _UtcView:
    """Build (and keep on ``table``) its UTC datetime view."""
    try:
        lo = _fromtimestamp(table.lo, _UTC)
        hi = _fromtimestamp(table.hi, _UTC)
        # the first interval may start before lo (the table lays out the day before lo too)
        s0 = _fromtimestamp(min(table.lo, *table.starts[:1]), _UTC)
        starts, ends, offsets, cum_end = [s0], [s0], [s0], [_ZERO]
        total = _ZERO
        for s, e in zip(table.starts, table.ends, strict=True):
            sd = _fromtimestamp(s, _UTC)
            ed = _fromtimestamp(e, _UTC)
            starts.append(sd)
            ends.append(ed)
            offsets.append(sd - total)
            total += ed - sd
            cum_end.append(total)
        last = len(starts)
        starts.append(_MAX_UTC)
        ends.append(_MAX_UTC)
        offsets.append(_MAX_UTC)
        cum_end.append(dt.timedelta.max)
        lo_ordinal = lo.toordinal()
        day = dt.datetime(lo.year, lo.month, lo.day, tzinfo=_UTC)
        day_first = []
        for _ in range(hi.toordinal() - lo_ordinal + 1):
            day_first.append(max(bisect_right(starts, day) - 1, 0))
            day += _DAY
        view = _UtcView(
            lo, hi, lo_ordinal, day_first, starts[1:], starts, ends, offsets, cum_end, last
        )
    except (OverflowError, ValueError, OSError):  # instants near datetime.min/max
        view = _NO_VIEW
    table.utc = plain = tuple(view)  # type: ignore[assignment]  # a plain tuple unpacks faster
    return plain  # type: ignore[return-value]


class Calendar:
    """A business calendar: weekly hours in a time zone, holidays, deviations, emergencies.

    Build one with :meth:`from_dict` (or :func:`load_calendars` for several sharing
    :class:`DayRules`). Queries take aware datetimes (naive ones raise) and are answered from a
    compiled table of UTC open intervals with prefix sums, laid out lazily a few years at a time
    and rebuilt after any change; no query converts time zones.

    Precedence, highest first: emergency > deviation/closure > holiday > weekly hours.
    """

    def __init__(
        self,
        *,
        id: str,
        timezone: str,
        hours: WeeklyHours,
        holidays: HolidaySource | None = None,
        rules: DayRules | None = None,
        shared: Iterable[DayRules] = (),
        emergencies: Iterable[Emergency] = (),
        name: str | None = None,
    ) -> None:
        if not isinstance(id, str) or not id:
            msg = f"a calendar needs a non-empty id, got {id!r}"
            raise ConfigError(msg, path="id", value=id)
        try:
            self._tz = pendulum.timezone(timezone)
        except Exception:  # pendulum raises InvalidTimezone (a ValueError) or KeyError-likes
            msg = f"unknown time zone {timezone!r} (an IANA name such as 'America/Vancouver')"
            raise ConfigError(msg, path="timezone", node=id, value=timezone) from None
        self.id = id
        self.name = name
        self.timezone = timezone
        self.hours = hours
        self.holiday_source = holidays
        self.rules = rules if rules is not None else DayRules(f"{id}:own")
        self.shared = tuple(shared)
        self._emergencies: list[Emergency] = sorted(emergencies, key=lambda e: e.start)
        self.switch_log: list[dict[str, Any]] = []
        self._own_revision = 0
        self._listeners: list[Callable[[Calendar], None]] = []
        self._tables: dict[str | None, _Table] = {}
        self._holiday_cache: dict[int, dict[dt.date, str]] = {}
        for r in (self.rules, *self.shared):
            r.on_change(self._rules_changed)

    # ------------------------------------------------------------------ construction / data
    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        day_rules: Mapping[str, DayRules] | None = None,
        file: str | None = None,
        path: str = "",
    ) -> Calendar:
        """Build a calendar from plain data (see the guide for the format).

        Args:
            data: The calendar mapping.
            day_rules: Shared rule sets by name, for ``day_rules: [name, ...]``.
            file: The file it came from (named in errors).
            path: Where the mapping sits inside that file (named in errors).

        Raises:
            ConfigError: naming the bad field, e.g. ``hours.mon[1]: end 08:00 is before start
                09:00``.
        """
        try:
            return cls._from_dict(data, day_rules or {})
        except ConfigError as e:
            raise e.at(file=file, prefix=path or None) from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any], shared_rules: Mapping[str, DayRules]) -> Calendar:
        if not isinstance(data, Mapping):
            msg = f"expected a mapping, got {type(data).__name__}"
            raise ConfigError(msg)
        known = {
            "id", "name", "timezone", "hours", "holidays", "extra_holidays", "deviations",
            "day_rules", "emergencies",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown field {unknown[0]!r} (expected one of {', '.join(sorted(known))})"
            raise ConfigError(msg, path=str(unknown[0]))
        for required in ("id", "timezone", "hours"):
            if required not in data:
                msg = f"missing field {required!r}"
                raise ConfigError(msg, path=required)
        hours = WeeklyHours.parse(data["hours"], "hours")
        source = None if data.get("holidays") is None else HolidaySource.parse(data["holidays"])
        own = DayRules.from_dict(
            f"{data['id']}:own",
            {k: data[k] for k in ("extra_holidays", "deviations") if k in data},
        )
        names = data.get("day_rules", [])
        if isinstance(names, str) or not isinstance(names, list):
            msg = "expected a list of day-rule names"
            raise ConfigError(msg, path="day_rules", value=names)
        shared = []
        for i, n in enumerate(names):
            if n not in shared_rules:
                avail = ", ".join(sorted(shared_rules)) or "none defined"
                msg = f"unknown day rules {n!r} (available: {avail})"
                raise ConfigError(msg, path=f"day_rules[{i}]", value=n)
            shared.append(shared_rules[n])
        ems = data.get("emergencies", [])
        if not isinstance(ems, list):
            msg = "expected a list of emergencies"
            raise ConfigError(msg, path="emergencies", value=ems)
        emergencies = [Emergency.parse(e, f"emergencies[{i}]") for i, e in enumerate(ems)]
        return cls(
            id=str(data["id"]),
            name=data.get("name"),
            timezone=str(data["timezone"]),
            hours=hours,
            holidays=source,
            rules=own,
            shared=shared,
            emergencies=emergencies,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal calendar."""
        out: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            out["name"] = self.name
        out["timezone"] = self.timezone
        out["hours"] = self.hours.to_data()
        if self.holiday_source is not None:
            out["holidays"] = self.holiday_source.to_data()
        out.update(self.rules.to_dict())
        if self.shared:
            out["day_rules"] = [r.name for r in self.shared]
        if self._emergencies:
            out["emergencies"] = [e.to_data() for e in self._emergencies]
        return out

    def __repr__(self) -> str:
        return f"Calendar(id={self.id!r}, timezone={self.timezone!r})"

    # ------------------------------------------------------------------ change tracking
    @property
    def revision(self) -> int:
        """Increases with every change of this calendar or of the day rules it uses."""
        return self._own_revision + sum(r.revision for r in (self.rules, *self.shared))

    def on_change(self, callback: Callable[[Calendar], None]) -> None:
        """Call ``callback(calendar)`` after every change (switches, closures, holidays)."""
        self._listeners.append(callback)

    def _rules_changed(self) -> None:
        self._tables.clear()
        for cb in list(self._listeners):
            cb(self)

    def _changed(self) -> None:
        self._own_revision += 1
        self._rules_changed()

    @property
    def emergencies(self) -> tuple[Emergency, ...]:
        """Every emergency switch, past, present and scheduled, by start."""
        return tuple(self._emergencies)

    # ------------------------------------------------------------------ switches and closures
    def switch_emergency(
        self,
        on: bool,
        at: dt.datetime,
        *,
        scope: str | None = None,
        reason: str = "",
        by: str | None = None,
    ) -> Emergency:
        """Switch the emergency for ``scope`` on or off at instant ``at`` (a supervisor's action).

        Switching on opens an emergency without an end; switching off ends the one in force.

        Raises:
            InvalidTransition: switching on while on, or off while off.
            ConfigError: ``at`` is not an aware datetime, or ``scope`` is not a non-empty label
                (or ``None``), as in a calendar file.
        """
        at_utc = ensure_aware(at, "at").astimezone(_UTC)
        check_scope(scope, "scope", "None")  # as a calendar file would
        active = [
            (i, e)
            for i, e in enumerate(self._emergencies)
            if e.scope == scope and e.start <= at_utc and (e.end is None or at_utc < e.end)
        ]
        state = "on" if active else "off"
        if on:
            if active:
                raise InvalidTransition("emergency", state, "switch_on", entity=scope or self.id)
            em = Emergency(start=at_utc, end=None, scope=scope, reason=reason, by=by)
            self._emergencies.append(em)
            self._emergencies.sort(key=lambda e: e.start)
        else:
            if not active:
                raise InvalidTransition("emergency", state, "switch_off", entity=scope or self.id)
            i, old = active[-1]
            em = attrs.evolve(old, end=at_utc)
            self._emergencies[i] = em
        self.switch_log.append({"at": at_utc, "on": on, "scope": scope, "reason": reason, "by": by})
        self._changed()
        return em

    def schedule_emergency(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        scope: str | None = None,
        reason: str = "",
        by: str | None = None,
    ) -> Emergency:
        """Schedule an emergency/closure ``[start, end)`` that reverts automatically at ``end``."""
        s = ensure_aware(start, "start").astimezone(_UTC)
        e = ensure_aware(end, "end").astimezone(_UTC)
        check_scope(scope, "scope", "None")  # as a calendar file would
        if e <= s:
            msg = f"end {e.isoformat()} is not after start {s.isoformat()}"
            raise ConfigError(msg, path="end", value=end)
        em = Emergency(start=s, end=e, scope=scope, reason=reason, by=by)
        self._emergencies.append(em)
        self._emergencies.sort(key=lambda x: x.start)
        self.switch_log.append({"at": s, "on": True, "scope": scope, "reason": reason, "by": by})
        self._changed()
        return em

    def add_closure(
        self,
        day: dt.date,
        ranges: Iterable[tuple[str, str]] | None = None,
        *,
        reason: str = "",
        rules: DayRules | None = None,
    ) -> Deviation:
        """Close local date ``day`` (whole, or the given ``("HH:MM", "HH:MM")`` ranges).

        The closure goes into this calendar's own rules, or into shared ``rules`` (affecting every
        calendar that uses them). Listeners (SLA clocks, compiled flows) are notified.

        Raises:
            ConfigError: ``day`` is not a ``datetime.date`` (an ISO string is refused, as every
                query refuses one), or a range or the reason is malformed.
        """
        _check_day(day)
        data: dict[str, Any] = {"date": day.isoformat(), "reason": reason}
        data["closed"] = True if ranges is None else [list(r) for r in ranges]
        deviation = Deviation.parse(data, "closure")
        (rules or self.rules).add_deviation(deviation)
        return deviation

    def add_deviation(self, data: Mapping[str, Any]) -> Deviation:
        """Add deviating hours for a date from plain data (``{"date", "hours", "reason"}``)."""
        deviation = Deviation.parse(data, "deviation")
        self.rules.add_deviation(deviation)
        return deviation

    # ------------------------------------------------------------------ compiled tables
    def _local_midnight(self, day: dt.date) -> float:
        return dt.datetime(day.year, day.month, day.day, tzinfo=self._tz).timestamp()

    def _wall(self, day: dt.date, minutes: int) -> float:
        """UTC instant of local wall time ``minutes`` after ``day``'s midnight.

        A wall time in a DST gap maps to the same wall time shifted by the gap (02:30 -> 03:30);
        a repeated wall time maps to its first occurrence (fold=0).
        """
        extra, m = divmod(minutes, 1440)
        d = day + dt.timedelta(days=extra)
        return dt.datetime(d.year, d.month, d.day, m // 60, m % 60, tzinfo=self._tz).timestamp()

    def _holidays_of(self, year: int) -> dict[dt.date, str]:
        cached = self._holiday_cache.get(year)
        if cached is None:
            cached = {} if self.holiday_source is None else self.holiday_source.for_years([year])
            self._holiday_cache[year] = cached
        return cached

    def holiday_on(self, day: dt.date) -> str | None:
        """The holiday on local date ``day`` (statutory, shared or own), if any.

        Raises:
            ConfigError: ``day`` is not a ``datetime.date``.
        """
        return self._holiday_on(_check_day(day))

    def _holiday_on(self, day: dt.date) -> str | None:
        for r in (self.rules, *self.shared):
            name = r._holiday(day)
            if name:
                return name
        return self._holidays_of(day.year).get(day)

    def _deviations_on(self, day: dt.date) -> list[Deviation]:
        out: list[Deviation] = []
        for r in (*self.shared, self.rules):  # own rules last: they win for replacement hours
            out.extend(r._deviations.get(day, ()))
        return out

    def _build(self, scope: str | None, first_year: int, last_year: int) -> _Table:
        first_day = dt.date(first_year, 1, 1) - dt.timedelta(days=1)
        last_day = dt.date(last_year, 12, 31) + dt.timedelta(days=1)
        ndays = (last_day - first_day).days + 1
        day_starts: list[float] = []
        day_holiday: list[str | None] = []
        # sweep events: (t, order, kind, +1/-1, label, reason); order puts ends before starts
        events: list[tuple[float, int, int, int, str, str | None]] = []
        OPEN, CLOSURE, EMERG = 0, 1, 2
        base: list[tuple[float, StateKind, str, str | None]] = []
        for k in range(ndays):
            day = first_day + dt.timedelta(days=k)
            start = self._local_midnight(day)
            day_starts.append(start)
            holiday = self._holiday_on(day)
            day_holiday.append(holiday)
            devs = self._deviations_on(day)
            replacement = [d for d in devs if d.hours is not None]
            if replacement:
                dev = replacement[-1]
                ranges: tuple[TimeRange, ...] = dev.hours or ()
                labels = [f"deviation:{day.isoformat()}[{i}]" for i in range(len(ranges))]
                base.append(
                    (
                        start,
                        StateKind.CLOSED,
                        f"closed:deviation {day.isoformat()}",
                        dev.reason or None,
                    )
                )
            elif holiday is not None:
                ranges = ()
                labels = []
                base.append((start, StateKind.HOLIDAY, f"holiday:{holiday}", holiday))
            else:
                ranges = self.hours.days[day.weekday()]
                labels = [f"hours:{DAYS[day.weekday()]}[{i}]" for i in range(len(ranges))]
                base.append((start, StateKind.CLOSED, "closed:weekly", None))
            for r, label in zip(ranges, labels, strict=True):
                s, e = self._wall(day, r.start), self._wall(day, r.end)
                if e > s:  # a range wholly inside a DST gap is empty
                    events.append((s, 1, OPEN, 1, label, None))
                    events.append((e, 0, OPEN, -1, label, None))
            for dev in devs:
                closed = (TimeRange(0, 1440),) if dev.whole_day else dev.closed
                for r in closed:
                    s, e = self._wall(day, r.start), self._wall(day, r.end)
                    if e > s:
                        reason = dev.reason or "closure"
                        events.append((s, 1, CLOSURE, 1, f"closure:{reason}", reason))
                        events.append((e, 0, CLOSURE, -1, f"closure:{reason}", reason))
        lo, hi = day_starts[1], day_starts[-1]
        for em in self._emergencies:
            if not em.applies_to(scope):
                continue
            s = em.start.timestamp()
            e = em.end.timestamp() if em.end is not None else float("inf")
            if e <= day_starts[0] or s >= hi:
                continue
            reason = em.reason or "emergency"
            events.append((max(s, day_starts[0]), 1, EMERG, 1, f"emergency:{reason}", reason))
            if e < hi:
                events.append((e, 0, EMERG, -1, f"emergency:{reason}", reason))
        for b in base:
            events.append((b[0], 0, -1, 0, "", None))  # a day boundary: re-evaluate the state
        events.sort(key=lambda x: (x[0], x[1]))

        active: list[dict[str, int]] = [{}, {}, {}]
        reasons: dict[str, str | None] = {}
        seg_starts: list[float] = []
        seg_kind: list[StateKind] = []
        seg_rule: list[str] = []
        seg_reason: list[str | None] = []
        day_idx = -1
        i = 0
        n = len(events)
        while i < n:
            t = events[i][0]
            while i < n and events[i][0] == t:
                _, _, typ, delta, ev_label, ev_reason = events[i]
                if typ >= 0:
                    counts = active[typ]
                    counts[ev_label] = counts.get(ev_label, 0) + delta
                    if counts[ev_label] <= 0:
                        del counts[ev_label]
                    reasons[ev_label] = ev_reason
                i += 1
            while day_idx + 1 < len(base) and base[day_idx + 1][0] <= t:
                day_idx += 1
            if active[EMERG]:
                label = min(active[EMERG])
                state = (StateKind.EMERGENCY, label, reasons[label])
            elif active[CLOSURE]:
                label = min(active[CLOSURE])
                state = (StateKind.CLOSED, label, reasons[label])
            elif active[OPEN]:
                label = min(active[OPEN])
                state = (StateKind.OPEN, label, None)
            elif day_idx >= 0:
                _, base_kind, base_label, base_reason = base[day_idx]
                state = (base_kind, base_label, base_reason)
            else:
                state = (StateKind.CLOSED, "closed:weekly", None)
            if seg_kind and (seg_kind[-1], seg_rule[-1], seg_reason[-1]) == state:
                continue
            seg_starts.append(t)
            seg_kind.append(state[0])
            seg_rule.append(state[1])
            seg_reason.append(state[2])

        starts: list[float] = []
        ends: list[float] = []
        for k, kind in enumerate(seg_kind):
            s = seg_starts[k]
            e = seg_starts[k + 1] if k + 1 < len(seg_starts) else hi
            if kind is StateKind.OPEN and e > s:
                if ends and ends[-1] == s:
                    ends[-1] = e
                else:
                    starts.append(s)
                    ends.append(e)
        cum: list[float] = []
        cum_end: list[float] = []
        total = 0.0
        for s, e in zip(starts, ends, strict=True):
            cum.append(total)
            total += e - s
            cum_end.append(total)
        return _Table(
            lo=lo,
            hi=hi,
            first_day=first_day,
            day_starts=day_starts,
            day_holiday=day_holiday,
            seg_starts=seg_starts,
            seg_kind=seg_kind,
            seg_rule=seg_rule,
            seg_reason=seg_reason,
            starts=starts,
            ends=ends,
            cum=cum,
            cum_end=cum_end,
        )

    def _table(self, scope: str | None, ts: float, until: float | None = None) -> _Table:
        """The compiled table for ``scope`` covering ``[ts, until]``."""
        table = self._tables.get(scope)
        end = ts if until is None else until
        if table is not None and table.lo <= ts and end < table.hi:
            return table
        y0 = self._year_of(ts)
        y1 = min(self._year_of(end) + _CHUNK_YEARS - 1, _LAST_YEAR)
        if table is not None:
            first = table.first_day.year + 1
            last = dt.datetime.fromtimestamp(table.hi, self._tz).year - 1
            # grow the span to cover the request, unless the request lies far from it: then
            # the span starts anew there (one query in 2925 on a calendar used for 2025 must
            # not compile the nine centuries between)
            if first - _FAR_YEARS <= y1 and y0 <= last + _FAR_YEARS:
                y0, y1 = min(y0, first), max(y1, last)
        table = self._tables[scope] = self._build(scope, y0, y1)
        return table

    def _year_of(self, ts: float) -> int:
        """The local year of ``ts``; ConfigError when a table cannot lay it out."""
        try:
            year = dt.datetime.fromtimestamp(ts, self._tz).year
        except (OverflowError, ValueError, OSError):
            year = 0
        if _FIRST_YEAR <= year <= _LAST_YEAR:
            return year
        try:
            when = dt.datetime.fromtimestamp(ts, _UTC).isoformat()
        except (OverflowError, ValueError, OSError):
            when = f"instant {ts}"
        msg = f"{when} is outside the dates a calendar supports ({SUPPORTED_DATES}, local time)"
        raise ConfigError(msg, path="t", value=ts)

    def _extend_forward(self, scope: str | None, table: _Table) -> _Table | None:
        """The table grown a few years forward (``None``: it already reaches the last year)."""
        last = dt.datetime.fromtimestamp(table.hi, self._tz).year - 1
        if last >= _LAST_YEAR:
            return None
        ahead = min(last + _CHUNK_YEARS, _LAST_YEAR)
        return self._table(scope, table.lo, self._local_midnight(dt.date(ahead, 6, 1)))

    # ------------------------------------------------------------------ fast float API
    def is_open_ts(self, ts: float, scope: str | None = None) -> bool:
        """``is_open`` for epoch seconds (the routing/queue hot path)."""
        table = self._tables.get(scope)
        if table is None or not table.lo <= ts < table.hi:
            table = self._table(scope, ts)
        i = bisect_right(table.starts, ts) - 1
        return i >= 0 and ts < table.ends[i]

    def business_seconds_before(self, ts: float, scope: str | None = None) -> float:
        """Open seconds accumulated from the start of the compiled span up to ``ts``.

        Only differences of values taken while the span stayed the same are meaningful: the
        span grows when a query falls outside it (moving its start, when it grows backward)
        and starts anew for a query more than 20 years away. For two instants use
        :meth:`business_seconds_between`, which is always exact.
        """
        table = self._tables.get(scope)
        if table is None or not table.lo <= ts < table.hi:
            table = self._table(scope, ts)
        return self._cum_at(table, ts)

    @staticmethod
    def _cum_at(table: _Table, ts: float) -> float:
        i = bisect_right(table.starts, ts) - 1
        if i < 0:
            return 0.0
        return table.cum[i] + min(ts, table.ends[i]) - table.starts[i]

    def business_seconds_between(self, a: float, b: float, scope: str | None = None) -> float:
        """Open seconds in ``[a, b)`` (negative when ``b < a``)."""
        if b < a:
            return -self.business_seconds_between(b, a, scope)
        table = self._tables.get(scope)
        if table is None or not (table.lo <= a and b < table.hi):
            table = self._table(scope, a, b)
        return self._cum_at(table, b) - self._cum_at(table, a)

    def add_business_seconds(self, ts: float, seconds: float, scope: str | None = None) -> float:
        """The instant at which ``seconds`` of open time after ``ts`` have accumulated.

        Zero seconds gives the next open instant (``ts`` itself when open). A target reached
        exactly at a close gives that close, not the next opening.

        Raises:
            NoOpenTimeError: no open time within the search horizon (e.g. an emergency that
                nobody switched off) or before the last supported date.
            ConfigError: ``seconds`` is negative, infinite or NaN.
        """
        if not 0 <= seconds < _INF:
            what = "must not be negative" if seconds < 0 else "must be a finite number"
            msg = f"duration {what}, got {seconds} s"
            raise ConfigError(msg, path="duration", value=seconds)
        table = self._tables.get(scope)
        if table is None or not table.lo <= ts < table.hi:
            table = self._table(scope, ts)
        horizon = ts + _HORIZON_YEARS * 366 * 86400.0
        target = self._cum_at(table, ts) + seconds
        while True:
            cum_end = table.cum_end
            j = bisect_left(cum_end, target) if seconds > 0 else bisect_right(table.ends, ts)
            if j < len(cum_end) and (seconds > 0 or j < len(table.starts)):
                if seconds == 0:
                    return max(ts, table.starts[j])
                return table.starts[j] + (target - table.cum[j])
            grown = None if table.hi > horizon else self._extend_forward(scope, table)
            if grown is None:
                limit = (
                    f"within {_HORIZON_YEARS} years"
                    if table.hi > horizon
                    else f"before {_LAST_YEAR:04d}-12-31 (the last date a calendar supports)"
                )
                msg = (
                    f"calendar {self.id!r}: no open time {limit} after "
                    f"{dt.datetime.fromtimestamp(ts, _UTC).isoformat()}"
                )
                raise NoOpenTimeError(msg)
            before = self._cum_at(table, ts)
            table = grown
            target += self._cum_at(table, ts) - before  # the span may now start earlier

    # ------------------------------------------------------------------ datetime API
    def state_at(self, t: dt.datetime, scope: str | None = None) -> CalendarState:
        """The state at instant ``t`` and the rule that decided it."""
        ts = ensure_aware(t, "t").timestamp()
        table = self._tables.get(scope)
        if table is None or not table.lo <= ts < table.hi:
            table = self._table(scope, ts)
        k = bisect_right(table.seg_starts, ts) - 1
        d = bisect_right(table.day_starts, ts) - 1
        return CalendarState(
            kind=table.seg_kind[k],
            rule=table.seg_rule[k],
            reason=table.seg_reason[k],
            holiday=table.day_holiday[d],
            local=t.astimezone(self._tz),
        )

    def is_open(self, t: dt.datetime, scope: str | None = None) -> bool:
        """True when the calendar is open at instant ``t``."""
        return self.is_open_ts(ensure_aware(t, "t").timestamp(), scope)

    def next_change(self, t: dt.datetime, scope: str | None = None) -> dt.datetime | None:
        """The first instant after ``t`` at which the state's kind changes (``None``: none ahead
        within the search horizon or before the last supported date)."""
        ts = ensure_aware(t, "t").timestamp()
        table = self._table(scope, ts)
        horizon = ts + _HORIZON_YEARS * 366 * 86400.0
        k = bisect_right(table.seg_starts, ts) - 1
        kind = table.seg_kind[k]
        while True:
            for j in range(k + 1, len(table.seg_starts)):
                if table.seg_kind[j] is not kind and table.seg_starts[j] > ts:
                    return dt.datetime.fromtimestamp(table.seg_starts[j], t.tzinfo)
            grown = None if table.hi > horizon else self._extend_forward(scope, table)
            if grown is None:
                return None
            table = grown
            k = bisect_right(table.seg_starts, ts) - 1

    def next_open(self, t: dt.datetime, scope: str | None = None) -> dt.datetime | None:
        """``t`` if open, else the next opening (``None``: none within the search horizon)."""
        ts = ensure_aware(t, "t").timestamp()
        try:
            return dt.datetime.fromtimestamp(self.add_business_seconds(ts, 0.0, scope), t.tzinfo)
        except NoOpenTimeError:
            return None

    def add_business_time(
        self, t: dt.datetime, duration: dt.timedelta | float, scope: str | None = None
    ) -> dt.datetime:
        """The instant at which ``duration`` of open time after ``t`` has passed (an SLA due time).

        Returned in ``t``'s time zone. Business time is real elapsed seconds inside open
        intervals (a DST night counts 23 or 25 hours when open all day).
        """
        try:
            tz = t.tzinfo
            if tz is _UTC and t.__class__ is _datetime:
                # UTC in, UTC out: the table's datetime view, exact timedelta arithmetic (a float
                # duration is converted once and remembered)
                if duration.__class__ is _timedelta:
                    d: dt.timedelta | None = duration
                else:
                    d = _DURATIONS.get(duration)
                    if d is None:
                        _remember_duration(duration)
                table = self._tables.get(scope)
                if d is not None and table is not None:
                    view = table.utc or _utc_view(table)
                    lo, hi, o, day_first, nxt, _, ends, offsets, cum_end, last = view
                    if lo <= t < hi:
                        i = day_first[t.toordinal() - o]  # the last interval starting at/before t
                        while nxt[i] <= t:
                            i += 1
                        if d > _ZERO:
                            target = d + (t - offsets[i] if t < ends[i] else cum_end[i])
                            # SLA durations span a few intervals: step, then bisect
                            j = i
                            while cum_end[j] < target:
                                j += 1
                                if j - i > 3:
                                    j = bisect_left(cum_end, target, j)
                                    break
                            if j < last:
                                return offsets[j] + target
                        elif not d:  # zero: t when open, else the next opening
                            if t < ends[i]:
                                return t
                            if i + 1 < last:
                                return nxt[i]
            elif tz is None or t.utcoffset() is None:
                ensure_aware(t, "t")
            ts = t.timestamp()
            seconds = duration if duration.__class__ is float else _seconds(duration)
            # epoch seconds (one bisect pair); anything unusual falls back to add_business_seconds
            ftable = self._tables.get(scope)
            if ftable is not None and ftable.lo <= ts < ftable.hi and seconds > 0:
                fstarts = ftable.starts
                k = bisect_right(fstarts, ts) - 1
                if k >= 0:
                    end = ftable.ends[k]
                    ftarget = seconds + ftable.cum[k] + (ts if ts < end else end) - fstarts[k]
                else:
                    ftarget = seconds
                fcum_end = ftable.cum_end
                m = bisect_left(fcum_end, ftarget)
                if m < len(fcum_end):
                    return _fromtimestamp(fstarts[m] + (ftarget - ftable.cum[m]), tz)
            return _fromtimestamp(self.add_business_seconds(ts, seconds, scope), tz)
        except (AttributeError, TypeError) as exc:  # not a datetime or a duration: name it
            err = _bad_instants(exc, t=t)
            if err is exc:  # t is fine; an unhashable duration fails the UTC path's lookup
                _seconds(duration)
            raise err from None

    def business_time_between(
        self, a: dt.datetime, b: dt.datetime, scope: str | None = None
    ) -> dt.timedelta:
        """Open time in ``[a, b)`` (negative when ``b`` is before ``a``)."""
        try:
            if a.tzinfo is _UTC and b.tzinfo is _UTC and a.__class__ is b.__class__ is _datetime:
                # UTC in: the table's datetime view, exact timedelta arithmetic
                table = self._tables.get(scope)
                if table is not None:
                    view = table.utc or _utc_view(table)
                    lo, hi, o, day_first, nxt, _, ends, offsets, cum_end, _ = view
                    if lo <= a < hi and lo <= b < hi:
                        i = day_first[a.toordinal() - o]
                        while nxt[i] <= a:
                            i += 1
                        j = day_first[b.toordinal() - o]
                        while nxt[j] <= b:
                            j += 1
                        return (b - offsets[j] if b < ends[j] else cum_end[j]) - (
                            a - offsets[i] if a < ends[i] else cum_end[i]
                        )
            else:
                if a.tzinfo is not _UTC and (a.tzinfo is None or a.utcoffset() is None):
                    ensure_aware(a, "a")
                if b.tzinfo is not _UTC and (b.tzinfo is None or b.utcoffset() is None):
                    ensure_aware(b, "b")
            sa = a.timestamp()
            sb = b.timestamp()
            ftable = self._tables.get(scope)
            if ftable is not None and ftable.lo <= sa <= sb < ftable.hi:
                fstarts, fends, fcum = ftable.starts, ftable.ends, ftable.cum
                k = bisect_right(fstarts, sa) - 1
                if k >= 0:
                    end = fends[k]
                    ca = fcum[k] + (sa if sa < end else end) - fstarts[k]
                else:
                    ca = 0.0
                m = bisect_right(fstarts, sb) - 1
                if m >= 0:
                    end = fends[m]
                    cb = fcum[m] + (sb if sb < end else end) - fstarts[m]
                else:
                    cb = 0.0
                return _timedelta(0, cb - ca)
            return _timedelta(0, self.business_seconds_between(sa, sb, scope))
        except (AttributeError, TypeError) as exc:  # not datetimes: name the argument
            raise _bad_instants(exc, a=a, b=b) from None

    def open_intervals(
        self, start: dt.datetime, end: dt.datetime, scope: str | None = None
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """Open intervals overlapping ``[start, end)``, clipped to it, in the calendar's zone."""
        s = ensure_aware(start, "start").timestamp()
        e = ensure_aware(end, "end").timestamp()
        if e <= s:
            return []
        table = self._table(scope, s, e)
        out = []
        i = max(bisect_right(table.starts, s) - 1, 0)
        while i < len(table.starts) and table.starts[i] < e:
            a, b = max(table.starts[i], s), min(table.ends[i], e)
            if b > a:
                out.append(
                    (dt.datetime.fromtimestamp(a, self._tz), dt.datetime.fromtimestamp(b, self._tz))
                )
            i += 1
        return out

    def changes(
        self, start: dt.datetime, end: dt.datetime, scope: str | None = None
    ) -> list[tuple[dt.datetime, CalendarState]]:
        """Every state change in ``[start, end)``, starting with the state at ``start``."""
        out = [(start, self.state_at(start, scope))]
        t: dt.datetime | None = start
        while True:
            t = self.next_change(t, scope) if t is not None else None
            if t is None or t >= end:
                return out
            out.append((t, self.state_at(t, scope)))


def _remember_duration(duration: dt.timedelta | float) -> None:
    """Keep ``duration`` (seconds, not negative) as a timedelta for the UTC fast path."""
    try:
        seconds = _seconds(duration)
        if seconds >= 0 and len(_DURATIONS) < _DURATIONS_MAX:
            _DURATIONS[duration] = _timedelta(0, seconds)
    except (TypeError, ValueError, OverflowError):  # NaN, inf, not a number: the slow path decides
        pass


def _seconds(duration: dt.timedelta | float) -> float:
    if isinstance(duration, dt.timedelta):
        return duration.total_seconds()
    try:
        return float(duration)
    except (TypeError, ValueError):
        msg = f"expected a timedelta or seconds, got {type(duration).__name__} {duration!r}"
        raise ConfigError(msg, path="duration", value=duration) from None


def load_calendars(
    source: str | Path | Mapping[str, Any], *, file: str | None = None
) -> dict[str, Calendar]:
    """Load several calendars that may share day rules, from a YAML/JSON file or a mapping.

    The format is ``{"day_rules": {name: {...}}, "calendars": {id: {...}}}`` (a calendar's
    ``id`` defaults to its key); a single calendar mapping (with ``timezone``) is accepted too.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        file = file or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(f"not UTF-8 text (byte {e.start})", file=file) from None
        except OSError as e:
            msg = f"cannot read calendars: {e.strerror}"
            raise ConfigError(msg, file=file) from None
        # YAML (JSON is YAML too); a duplicated calendar or field is refused, not dropped
        data = parse_yaml(text, file)
    else:
        data = source
    if not isinstance(data, Mapping):
        msg = "expected a mapping with 'calendars'"
        raise ConfigError(msg, file=file)
    if "timezone" in data:
        cal = Calendar.from_dict(data, file=file)
        return {cal.id: cal}
    if "calendars" not in data and all(
        isinstance(v, Mapping) and "timezone" in v for v in data.values()
    ):
        data = {"calendars": data}  # a plain mapping of calendars by id
    unknown = set(data) - {"calendars", "day_rules"}
    if unknown:
        msg = f"unknown field(s) {sorted(unknown)} (expected calendars, day_rules)"
        raise ConfigError(msg, file=file)
    rules_data = data.get("day_rules", {}) or {}
    if not isinstance(rules_data, Mapping):
        msg = "expected a mapping of named day rules"
        raise ConfigError(msg, file=file, path="day_rules")
    rules: dict[str, DayRules] = {}
    for n, r in rules_data.items():
        try:
            rules[str(n)] = DayRules.from_dict(str(n), r, f"day_rules.{n}")
        except ConfigError as e:
            raise e.at(file=file) from None
    cals_data = data.get("calendars")
    if isinstance(cals_data, list):  # a list of calendars, each with its id
        listed: dict[str, Any] = {}
        for i, body in enumerate(cals_data):
            if not isinstance(body, Mapping) or "id" not in body:
                msg = "expected a calendar mapping with an 'id'"
                raise ConfigError(msg, file=file, path=f"calendars[{i}]")
            listed[str(body["id"])] = body
        cals_data = listed
    if not isinstance(cals_data, Mapping) or not cals_data:
        msg = "expected a non-empty mapping of calendars by id"
        raise ConfigError(msg, file=file, path="calendars")
    out: dict[str, Calendar] = {}
    for key, body in cals_data.items():
        if not isinstance(body, Mapping):
            msg = f"expected a mapping, got {body!r}"
            raise ConfigError(msg, file=file, path=f"calendars.{key}")
        merged = {"id": str(key), **body}
        out[str(key)] = Calendar.from_dict(
            merged, day_rules=rules, file=file, path=f"calendars.{key}"
        )
    return out
