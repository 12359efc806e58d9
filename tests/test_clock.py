from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civiccc.clock import Clock, SystemClock, VirtualClock, ensure_aware, to_utc
from civiccc.errors import ConfigError


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert isinstance(SystemClock(), Clock)


def test_virtual_clock_moves_only_when_told() -> None:
    start = datetime(2025, 3, 9, 9, 59, tzinfo=UTC)
    clock = VirtualClock(start)
    assert clock.now() == start
    assert clock.now() == start
    clock.advance(timedelta(minutes=2))
    assert clock.now() == datetime(2025, 3, 9, 10, 1, tzinfo=UTC)
    clock.advance(30.5)
    assert clock.timestamp() == pytest.approx(start.timestamp() + 150.5)
    assert isinstance(clock, Clock)


def test_virtual_clock_accepts_other_zones_and_reports_utc() -> None:
    pacific = timezone(timedelta(hours=-8))
    clock = VirtualClock(datetime(2025, 1, 1, 8, 0, tzinfo=pacific))
    assert clock.now() == datetime(2025, 1, 1, 16, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_virtual_clock_never_goes_backwards() -> None:
    clock = VirtualClock(datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2024, 12, 31, tzinfo=UTC))
    clock.set(datetime(2025, 1, 2, tzinfo=UTC))
    assert clock.now().day == 2


def test_naive_datetimes_are_refused_with_the_field_name() -> None:
    with pytest.raises(ConfigError, match=r"start: naive datetime"):
        VirtualClock(datetime(2025, 1, 1))
    with pytest.raises(ConfigError, match="at: expected an aware datetime"):
        ensure_aware("2025-01-01", "at")  # type: ignore[arg-type]


@given(st.datetimes(timezones=st.timezones()))
def test_to_utc_keeps_the_instant(t: datetime) -> None:
    try:
        u = to_utc(t)
    except OverflowError:
        return
    assert u.timestamp() == t.timestamp()  # == is False for gap times across zones (PEP 495)
    assert u.utcoffset() == timedelta(0)


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=20))
def test_virtual_clock_is_monotone(steps: list[float]) -> None:
    clock = VirtualClock(0.0)
    last = clock.now()
    for s in steps:
        clock.advance(s)
        assert clock.now() >= last
        last = clock.now()
