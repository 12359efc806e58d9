"""Frozen calendar specifications and their parsing from plain data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from civiccc.errors import ConfigError

__all__ = [
    "DAYS",
    "Deviation",
    "Emergency",
    "HolidaySource",
    "TimeRange",
    "WeeklyHours",
    "check_scope",
    "parse_date",
    "parse_instant",
]

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(\+1)?$")


def _fmt_minutes(minutes: int) -> str:
    day, rest = divmod(minutes, 1440)
    if day == 1 and rest == 0:
        return "24:00"
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text + "+1" if day else text


def _parse_time(value: Any, path: str, *, end: bool) -> int:
    if not isinstance(value, str):
        msg = f"expected a time 'HH:MM', got {value!r}"
        raise ConfigError(msg, path=path, value=value)
    m = _TIME.match(value.strip())
    if not m:
        msg = f"expected a time 'HH:MM' (or 'HH:MM+1' for the next day), got {value!r}"
        raise ConfigError(msg, path=path, value=value)
    hours, minutes, next_day = int(m.group(1)), int(m.group(2)), bool(m.group(3))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or next_day or not end)):
        msg = f"{value!r} is not a time of day" + (
            "" if end else " ('24:00' is allowed only as an end)"
        )
        raise ConfigError(msg, path=path, value=value)
    if next_day and not end:
        msg = f"a start cannot be on the next day ({value!r})"
        raise ConfigError(msg, path=path, value=value)
    return hours * 60 + minutes + (1440 if next_day else 0)


@attrs.frozen(order=True)
class TimeRange:
    """A half-open local wall-clock range ``[start, end)`` in minutes after the day's midnight.

    ``end`` may reach into the next day (up to 48:00, written ``"HH:MM+1"``): a range that
    runs past midnight belongs to the day it starts on.
    """

    start: int
    end: int

    @classmethod
    def parse(cls, data: Any, path: str) -> TimeRange:
        """Parse ``["08:00", "16:30"]`` or ``{"start": ..., "end": ...}``."""
        if isinstance(data, Mapping):
            unknown = set(data) - {"start", "end"}
            if unknown:
                msg = f"unknown field(s) {sorted(unknown)} (expected start, end)"
                raise ConfigError(msg, path=path)
            if "start" not in data or "end" not in data:
                msg = "a range needs a start and an end"
                raise ConfigError(msg, path=path)
            raw = (data["start"], data["end"])
        elif isinstance(data, Sequence) and not isinstance(data, str) and len(data) == 2:
            raw = (data[0], data[1])
        else:
            msg = f"expected a range [start, end] such as ['08:00', '16:30'], got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        start = _parse_time(raw[0], path, end=False)
        end = _parse_time(raw[1], path, end=True)
        if end < start:
            msg = (
                f"end {_fmt_minutes(end)} is before start {_fmt_minutes(start)}"
                " (write the end as 'HH:MM+1' for a range past midnight)"
            )
            raise ConfigError(msg, path=path)
        if end == start:
            msg = f"empty range {_fmt_minutes(start)}-{_fmt_minutes(end)}"
            raise ConfigError(msg, path=path)
        return cls(start, end)

    def to_data(self) -> list[str]:
        """``["HH:MM", "HH:MM"]``."""
        return [_fmt_minutes(self.start), _fmt_minutes(self.end)]

    def __str__(self) -> str:
        return "-".join(self.to_data())


def _parse_ranges(data: Any, path: str) -> tuple[TimeRange, ...]:
    if data is None:
        return ()
    if isinstance(data, str) or not isinstance(data, Sequence):
        msg = f"expected a list of ranges, got {data!r}"
        raise ConfigError(msg, path=path, value=data)
    ranges = [TimeRange.parse(item, f"{path}[{i}]") for i, item in enumerate(data)]
    for i in range(1, len(ranges)):
        for j in range(i):
            a, b = ranges[j], ranges[i]
            if a.start < b.end and b.start < a.end:
                msg = f"range {b} overlaps {path}[{j}] {a}"
                raise ConfigError(msg, path=f"{path}[{i}]")
    return tuple(ranges)


@attrs.frozen
class WeeklyHours:
    """Opening ranges per weekday (index 0 = Monday)."""

    days: tuple[tuple[TimeRange, ...], ...]

    @classmethod
    def always(cls) -> WeeklyHours:
        """24/7: every day 00:00-24:00."""
        return cls(tuple((TimeRange(0, 1440),) for _ in DAYS))

    @property
    def is_always(self) -> bool:
        """True for 24/7 hours."""
        return self == WeeklyHours.always()

    @classmethod
    def parse(cls, data: Any, path: str = "hours") -> WeeklyHours:
        """Parse ``"24/7"`` or ``{"mon": [[start, end], ...], ...}`` (missing days are closed)."""
        if isinstance(data, str):
            if data.strip().lower() in ("24/7", "24x7", "always"):
                return cls.always()
            msg = f"expected '24/7' or a mapping of weekdays, got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        if not isinstance(data, Mapping):
            msg = f"expected '24/7' or a mapping of weekdays (mon..sun), got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        unknown = [k for k in data if k not in DAYS]
        if unknown:
            msg = f"unknown weekday {unknown[0]!r} (expected one of {', '.join(DAYS)})"
            raise ConfigError(msg, path=f"{path}.{unknown[0]}")
        days = tuple(_parse_ranges(data.get(d), f"{path}.{d}") for d in DAYS)
        for i, today in enumerate(days):  # a range past midnight must not overlap tomorrow's
            tomorrow = days[(i + 1) % 7]
            for k, r in enumerate(today):
                if r.end > 1440:
                    spill = r.end - 1440
                    for t in tomorrow:
                        if t.start < spill:
                            msg = f"range {r} runs into {DAYS[(i + 1) % 7]}'s range {t}"
                            raise ConfigError(msg, path=f"{path}.{DAYS[i]}[{k}]")
        return cls(days)

    def to_data(self) -> str | dict[str, list[list[str]]]:
        """``"24/7"`` or the weekday mapping (closed days omitted)."""
        if self.is_always:
            return "24/7"
        return {d: [r.to_data() for r in rs] for d, rs in zip(DAYS, self.days, strict=True) if rs}


def check_scope(scope: Any, path: str, none: str = "null") -> None:
    """Refuse an emergency scope that is not a non-empty label (``none``: how the absent scope
    is spelled in the message, ``null`` in a file, ``None`` from Python)."""
    if scope is not None and (not isinstance(scope, str) or not scope.strip()):
        msg = f"expected a non-empty scope label or {none}, got {scope!r}"
        raise ConfigError(msg, path=path, value=scope)


def parse_date(value: Any, path: str) -> dt.date:
    """Parse an ISO date (``2025-12-24``) or a ``date``."""
    if isinstance(value, dt.datetime):
        msg = f"expected a date, got a datetime {value!r}"
        raise ConfigError(msg, path=path, value=value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = f"expected a date 'YYYY-MM-DD', got {value!r}"
        raise ConfigError(msg, path=path, value=value) from None


def parse_instant(value: Any, path: str) -> dt.datetime:
    """Parse an aware ISO instant (``2025-01-27T18:07:13Z``) or an aware ``datetime``."""
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            msg = f"expected an ISO instant such as '2025-01-27T18:07:13Z', got {value!r}"
            raise ConfigError(msg, path=path, value=value) from None
    if t.tzinfo is None or t.utcoffset() is None:
        msg = f"instant {value!r} has no UTC offset (add 'Z' or '+01:00')"
        raise ConfigError(msg, path=path, value=value)
    return t.astimezone(dt.UTC)


def _iso_z(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@attrs.frozen(kw_only=True)
class Deviation:
    """A dated rule: other hours for one local date, and/or closures within it.

    Attributes:
        date: The local date.
        hours: Replacement opening ranges for that date (``None``: keep the usual hours).
        closed: Ranges closed that day (a staff meeting 10:00-12:00); ``whole_day`` closes all.
        whole_day: The whole date is closed (a snow day).
        reason: Why; shown in ``state_at(...).rule``.
    """

    date: dt.date
    hours: tuple[TimeRange, ...] | None = None
    closed: tuple[TimeRange, ...] = ()
    whole_day: bool = False
    reason: str = ""

    @classmethod
    def parse(cls, data: Any, path: str) -> Deviation:
        """Parse ``{"date": ..., "hours": [...]} | {"date": ..., "closed": [...] | true}``."""
        if not isinstance(data, Mapping):
            msg = f"expected a mapping with a date, got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        unknown = set(data) - {"date", "hours", "closed", "reason"}
        if unknown:
            msg = f"unknown field(s) {sorted(unknown)} (expected date, hours, closed, reason)"
            raise ConfigError(msg, path=path)
        if "date" not in data:
            msg = "missing field 'date'"
            raise ConfigError(msg, path=path)
        day = parse_date(data["date"], f"{path}.date")
        hours = None if data.get("hours") is None else _parse_ranges(data["hours"], f"{path}.hours")
        closed_raw = data.get("closed", ())
        whole = closed_raw is True
        if closed_raw is False or closed_raw is None:
            closed_raw = ()
        closed = () if whole else _parse_ranges(closed_raw, f"{path}.closed")
        if hours is None and not closed and not whole:
            msg = "a deviation needs 'hours' or 'closed'"
            raise ConfigError(msg, path=path)
        reason = data.get("reason", "")
        if not isinstance(reason, str):
            msg = f"expected text, got {reason!r}"
            raise ConfigError(msg, path=f"{path}.reason", value=reason)
        return cls(date=day, hours=hours, closed=closed, whole_day=whole, reason=reason)

    def to_data(self) -> dict[str, Any]:
        """Plain data accepted by :meth:`parse`."""
        out: dict[str, Any] = {"date": self.date.isoformat()}
        if self.hours is not None:
            out["hours"] = [r.to_data() for r in self.hours]
        if self.whole_day:
            out["closed"] = True
        elif self.closed:
            out["closed"] = [r.to_data() for r in self.closed]
        if self.reason:
            out["reason"] = self.reason
        return out


@attrs.frozen(kw_only=True)
class Emergency:
    """An emergency (or unplanned closure) switch, as UTC instants ``[start, end)``.

    ``end`` is ``None`` while the switch is on and nobody has switched it off; ``scope`` is
    ``None`` for the whole city, else a free label (``"service:waste"``, ``"building:annex"``)
    that queries name to be affected.
    """

    start: dt.datetime
    end: dt.datetime | None = None
    scope: str | None = None
    reason: str = ""
    by: str | None = None

    @classmethod
    def parse(cls, data: Any, path: str) -> Emergency:
        """Parse ``{"start": ISO, "end": ISO|null, "scope": ..., "reason": ..., "by": ...}``."""
        if not isinstance(data, Mapping):
            msg = f"expected a mapping with start/end, got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        unknown = set(data) - {"start", "end", "scope", "reason", "by"}
        if unknown:
            msg = f"unknown field(s) {sorted(unknown)} (expected start, end, scope, reason, by)"
            raise ConfigError(msg, path=path)
        if "start" not in data:
            msg = "missing field 'start'"
            raise ConfigError(msg, path=path)
        start = parse_instant(data["start"], f"{path}.start")
        end = None if data.get("end") is None else parse_instant(data["end"], f"{path}.end")
        if end is not None and end <= start:
            msg = f"end {_iso_z(end)} is not after start {_iso_z(start)}"
            raise ConfigError(msg, path=f"{path}.end")
        scope = data.get("scope")
        check_scope(scope, f"{path}.scope")
        by = data.get("by")
        return cls(start=start, end=end, scope=scope, reason=str(data.get("reason", "")), by=by)

    def to_data(self) -> dict[str, Any]:
        """Plain data accepted by :meth:`parse`."""
        out: dict[str, Any] = {"start": _iso_z(self.start), "end": None}
        if self.end is not None:
            out["end"] = _iso_z(self.end)
        if self.scope is not None:
            out["scope"] = self.scope
        if self.reason:
            out["reason"] = self.reason
        if self.by is not None:
            out["by"] = self.by
        return out

    def applies_to(self, scope: str | None) -> bool:
        """True if a query for ``scope`` is affected (city-wide emergencies affect all)."""
        return self.scope is None or self.scope == scope


@attrs.frozen(kw_only=True)
class HolidaySource:
    """Statutory holidays from the ``holidays`` package for one country and subdivision."""

    country: str
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public",)

    @classmethod
    def parse(cls, data: Any, path: str = "holidays") -> HolidaySource:
        """Parse ``{"country": "DE", "subdiv": "BY", "categories": ["public", "catholic"]}``."""
        import holidays

        if not isinstance(data, Mapping):
            msg = f"expected a mapping with a country, got {data!r}"
            raise ConfigError(msg, path=path, value=data)
        unknown = set(data) - {"country", "subdiv", "categories"}
        if unknown:
            msg = f"unknown field(s) {sorted(unknown)} (expected country, subdiv, categories)"
            raise ConfigError(msg, path=path)
        country = data.get("country")
        supported = holidays.list_supported_countries()
        if not isinstance(country, str) or country.upper() not in supported:
            msg = f"unknown country {country!r} (an ISO 3166 code the holidays package supports)"
            raise ConfigError(msg, path=f"{path}.country", value=country)
        country = country.upper()
        subdiv = data.get("subdiv")
        if subdiv is not None:
            subdiv = str(subdiv)
            if subdiv not in supported[country]:
                subdivs = ", ".join(supported[country][:12])
                msg = f"unknown subdivision {subdiv!r} of {country} (e.g. {subdivs}, ...)"
                raise ConfigError(msg, path=f"{path}.subdiv", value=subdiv)
        cats_raw = data.get("categories", ["public"])
        if isinstance(cats_raw, str) or not isinstance(cats_raw, Iterable):
            msg = f"expected a list of categories, got {cats_raw!r}"
            raise ConfigError(msg, path=f"{path}.categories", value=cats_raw)
        cats = tuple(str(c) for c in cats_raw)
        known = holidays.country_holidays(country).supported_categories
        for i, c in enumerate(cats):
            if c not in known:
                msg = f"unknown category {c!r} for {country} (supported: {', '.join(known)})"
                raise ConfigError(msg, path=f"{path}.categories[{i}]", value=c)
        if not cats:
            msg = "at least one category is needed"
            raise ConfigError(msg, path=f"{path}.categories")
        return cls(country=country, subdiv=subdiv, categories=cats)

    def to_data(self) -> dict[str, Any]:
        """Plain data accepted by :meth:`parse`."""
        out: dict[str, Any] = {"country": self.country}
        if self.subdiv is not None:
            out["subdiv"] = self.subdiv
        out["categories"] = list(self.categories)
        return out

    def for_years(self, years: Iterable[int]) -> dict[dt.date, str]:
        """The holidays of these years, by local date."""
        import holidays

        table = holidays.country_holidays(
            self.country, subdiv=self.subdiv, years=list(years), categories=self.categories
        )
        return {d: str(name) for d, name in table.items()}
