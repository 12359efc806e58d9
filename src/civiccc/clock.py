"""Explicit time for every engine.

civiccc never reads the wall clock inside its logic: every engine takes a :class:`Clock`.
Production code passes :class:`SystemClock`; tests and the simulator pass a
:class:`VirtualClock` and advance it explicitly.

>>> from datetime import datetime, timedelta, timezone
>>> clock = VirtualClock(datetime(2025, 6, 16, 15, 0, tzinfo=timezone.utc))
>>> clock.advance(timedelta(minutes=5))
>>> clock.now().isoformat()
'2025-06-16T15:05:00+00:00'
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from civiccc.errors import ConfigError

__all__ = ["Clock", "SystemClock", "VirtualClock", "ensure_aware", "to_utc"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock (UTC). Use it in production adapters only."""

    __slots__ = ()

    def now(self) -> datetime:
        """Return the wall-clock instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that only moves when told to; for tests and the simulator.

    Time is kept as float seconds since the Unix epoch so that the simulator can advance it
    cheaply; :meth:`now` converts on demand. The clock never goes backwards.

    Args:
        start: The initial instant (aware) or epoch seconds. Defaults to 2025-01-01T00:00Z.
    """

    __slots__ = ("_t",)

    def __init__(self, start: datetime | float | None = None) -> None:
        if start is None:
            self._t = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
        elif isinstance(start, datetime):
            self._t = ensure_aware(start, "start").timestamp()
        else:
            self._t = float(start)

    def now(self) -> datetime:
        """Return the current virtual instant (aware, UTC)."""
        return _EPOCH + timedelta(seconds=self._t)

    def timestamp(self) -> float:
        """Return the current virtual instant as epoch seconds (cheap; for hot loops)."""
        return self._t

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock forward by ``delta`` (a timedelta or seconds). Negative raises."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if seconds < 0:
            msg = f"a clock cannot go backwards (advance by {seconds} s)"
            raise ValueError(msg)
        self._t += seconds

    def set(self, instant: datetime | float) -> None:
        """Jump to ``instant`` (aware datetime or epoch seconds); earlier than now raises."""
        t = (
            ensure_aware(instant, "instant").timestamp()
            if isinstance(instant, datetime)
            else float(instant)
        )
        if t < self._t:
            msg = f"a clock cannot go backwards (from {self.now().isoformat()} to {t})"
            raise ValueError(msg)
        self._t = t

    def __repr__(self) -> str:
        return f"VirtualClock({self.now().isoformat()!r})"


def ensure_aware(t: datetime, what: str = "datetime") -> datetime:
    """Return ``t`` if it is timezone-aware, else raise :class:`~civiccc.errors.ConfigError`.

    civiccc refuses naive datetimes everywhere: a naive time in a multi-zone system is a bug.
    """
    if not isinstance(t, datetime):
        msg = f"expected an aware datetime, got {type(t).__name__}"
        raise ConfigError(msg, path=what, value=t)
    if t.tzinfo is None or t.utcoffset() is None:
        msg = f"naive datetime {t.isoformat()} (attach a time zone)"
        raise ConfigError(msg, path=what, value=t)
    return t


def to_utc(t: datetime, what: str = "datetime") -> datetime:
    """Return the aware datetime ``t`` converted to UTC (naive raises)."""
    return ensure_aware(t, what).astimezone(UTC)


def monotonic() -> float:
    """Monotonic seconds, for measuring durations in benchmarks and progress output only."""
    return time.perf_counter()
