"""Construction from plain data: located errors, round-trips (hypothesis), files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from civiccc.calendar import Calendar, load_calendars
from civiccc.calendar._reference import ReferenceCalendar
from civiccc.errors import ConfigError

EXAMPLES = Path(__file__).parents[2] / "examples" / "calendars"
BASE: dict[str, Any] = {
    "id": "c",
    "timezone": "America/Vancouver",
    "hours": {"mon": [["09:00", "17:00"]]},
}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"hours": {"mon": [["09:00", "12:00"], ["09:00", "08:00"]]}},
            r"hours\.mon\[1\]: end 08:00 is before start 09:00",
        ),
        (
            {"hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            r"hours\.mon\[1\]: range 11:00-13:00 overlaps hours\.mon\[0\]",
        ),
        ({"hours": {"mon": [["9", "12:00"]]}}, r"hours\.mon\[0\]: expected a time 'HH:MM'"),
        (
            {"hours": {"mon": [["25:00", "26:00"]]}},
            r"hours\.mon\[0\]: '25:00' is not a time of day",
        ),
        ({"hours": {"mon": [["24:00", "24:00"]]}}, r"'24:00' is allowed only as an end"),
        ({"hours": {"mon": [["10:00", "10:00"]]}}, r"hours\.mon\[0\]: empty range"),
        ({"hours": {"mon": [["10:00"]]}}, r"hours\.mon\[0\]: expected a range"),
        ({"hours": {"monday": []}}, r"hours\.monday: unknown weekday 'monday'"),
        ({"hours": "sometimes"}, r"hours: expected '24/7'"),
        (
            {"hours": {"sun": [["22:00", "07:00+1"]], "mon": [["06:00", "12:00"]]}},
            r"hours\.sun\[0\]: range 22:00-07:00\+1 runs into mon's range",
        ),
        ({"timezone": "Mars/Olympus"}, r"timezone: .*unknown time zone 'Mars/Olympus'"),
        ({"holidays": {"country": "XX"}}, r"holidays\.country: unknown country 'XX'"),
        (
            {"holidays": {"country": "DE", "subdiv": "ZZ"}},
            r"holidays\.subdiv: unknown subdivision 'ZZ' of DE",
        ),
        (
            {"holidays": {"country": "DE", "categories": ["public", "pagan"]}},
            r"holidays\.categories\[1\]: unknown category 'pagan'",
        ),
        (
            {"extra_holidays": [{"date": "2025-02-30"}]},
            r"extra_holidays\[0\]\.date: expected a date",
        ),
        (
            {"deviations": [{"date": "2025-06-18"}]},
            r"deviations\[0\]: a deviation needs 'hours' or 'closed'",
        ),
        (
            {"deviations": [{"date": "2025-06-18", "closed": [["12:00", "10:00"]]}]},
            r"deviations\[0\]\.closed\[0\]: end 10:00 is before start 12:00",
        ),
        (
            {"emergencies": [{"start": "2025-01-01T10:00:00"}]},
            r"emergencies\[0\]\.start: instant .* has no UTC offset",
        ),
        (
            {"emergencies": [{"start": "2025-01-02T00:00Z", "end": "2025-01-01T00:00Z"}]},
            r"emergencies\[0\]\.end: end .* is not after start",
        ),
        ({"day_rules": ["nope"]}, r"day_rules\[0\]: unknown day rules 'nope'"),
        ({"colour": "blue"}, r"colour: unknown field 'colour'"),
    ],
)
def test_bad_input_names_the_field(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Calendar.from_dict({**BASE, **patch})


def test_missing_fields_and_wrong_types() -> None:
    with pytest.raises(ConfigError, match="missing field 'timezone'"):
        Calendar.from_dict({"id": "x", "hours": "24/7"})
    with pytest.raises(ConfigError, match="expected a mapping"):
        Calendar.from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_errors_in_files_name_file_and_calendar(tmp_path: Path) -> None:
    f = tmp_path / "city.yaml"
    f.write_text(
        "calendars:\n  desk:\n    timezone: Europe/Berlin\n    hours:\n      mon: [['09:00', '08:00']]\n"
    )
    with pytest.raises(ConfigError) as info:
        load_calendars(f)
    assert (
        str(info.value)
        == f"{f}: calendars.desk.hours.mon[0]: end 08:00 is before start 09:00 (write the end as 'HH:MM+1' for a range past midnight)"
    )
    f.write_text("calendars: [unclosed")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_calendars(f)
    with pytest.raises(ConfigError, match="cannot read calendars"):
        load_calendars(tmp_path / "missing.yaml")


times = st.integers(min_value=0, max_value=47 * 4).map(lambda q: q * 15)


@st.composite
def ranges(draw: st.DrawFn) -> list[list[str]]:
    out: list[list[str]] = []
    cursor = 0
    for _ in range(draw(st.integers(0, 3))):
        start = cursor + draw(st.integers(0, 8)) * 30
        end = start + draw(st.integers(1, 16)) * 30
        if end > 1440:
            break
        out.append(
            [
                f"{start // 60:02d}:{start % 60:02d}",
                "24:00" if end == 1440 else f"{end // 60:02d}:{end % 60:02d}",
            ]
        )
        cursor = end
    return out


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    hours = {d: r for d in days if (r := draw(ranges()))}
    data: dict[str, Any] = {
        "id": "gen",
        "timezone": draw(
            st.sampled_from(["America/Vancouver", "Europe/Berlin", "Australia/Lord_Howe", "UTC"])
        ),
        "hours": hours or "24/7",
    }
    if draw(st.booleans()):
        data["holidays"] = draw(
            st.sampled_from(
                [
                    {"country": "CA", "subdiv": "BC"},
                    {"country": "DE", "subdiv": "BY", "categories": ["public", "catholic"]},
                ]
            )
        )
    days_2025 = st.dates(
        min_value=__import__("datetime").date(2025, 1, 1),
        max_value=__import__("datetime").date(2025, 12, 31),
    )
    extra = draw(st.lists(days_2025, max_size=3, unique=True))
    if extra:
        data["extra_holidays"] = [
            {"date": d.isoformat(), "name": f"civic {i}"} for i, d in enumerate(extra)
        ]
    devs = []
    for d in draw(st.lists(days_2025, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["hours", "closed", "whole"]))
        if kind == "hours":
            devs.append(
                {
                    "date": d.isoformat(),
                    "hours": draw(ranges()) or [["10:00", "12:00"]],
                    "reason": "other hours",
                }
            )
        elif kind == "closed":
            devs.append(
                {"date": d.isoformat(), "closed": [["10:00", "12:00"]], "reason": "meeting"}
            )
        else:
            devs.append({"date": d.isoformat(), "closed": True, "reason": "snow"})
    if devs:
        data["deviations"] = devs
    if draw(st.booleans()):
        start = draw(st.integers(1735689600, 1767225600 - 86400))
        length = draw(st.integers(60, 3 * 86400))
        iso = __import__("datetime").datetime.fromtimestamp
        utc = __import__("datetime").UTC
        data["emergencies"] = [
            {
                "start": iso(start, utc).isoformat().replace("+00:00", "Z"),
                "end": iso(start + length, utc).isoformat().replace("+00:00", "Z"),
                "reason": "storm",
            }
        ]
    return data


@settings(max_examples=60, deadline=None)
@given(calendars())
def test_round_trip(data: dict[str, Any]) -> None:
    cal = Calendar.from_dict(data)
    again = Calendar.from_dict(cal.to_dict())
    assert again.to_dict() == cal.to_dict()
    assert (
        cal.to_dict()["hours"] == (data["hours"] if data["hours"] != {} else "24/7")
        or data["hours"] == "24/7"
    )


def test_example_files_load() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files, "examples/calendars/*.yaml"
    for f in files:
        cals = load_calendars(f)
        assert cals
        for cal in cals.values():
            assert (
                Calendar.from_dict(
                    cal.to_dict(), day_rules={r.name: r for r in cal.shared}
                ).to_dict()
                == cal.to_dict()
            )


# The compiled tables answer exactly what day-stepping with pendulum answers.
INSTANTS = st.integers(min_value=1735689600, max_value=1767225600).map(float)  # 2025 (UTC)


@settings(max_examples=120, deadline=None)
@given(
    calendars(), st.lists(st.tuples(INSTANTS, st.integers(0, 40 * 3600)), min_size=1, max_size=5)
)
# found by hypothesis: a window ending (or starting) in the spring-forward gap, where pendulum's
# own fold=0 moves the wall time back instead of forward (the reference now follows S4)
@example(
    {"id": "gen", "timezone": "America/Vancouver", "hours": {"sun": [["01:00", "02:00"]]}},
    [(1740909600.0, 0)],
)
@example(
    {"id": "gen", "timezone": "America/Vancouver", "hours": {"sun": [["00:00", "02:00"]]}},
    [(1741078801.0, 0)],
)
# found by hypothesis: a range in the gap moved +1 h onto the day's next range (the reference
# counted 02:00-02:30 -> 03:00-03:30 twice beside 03:00-03:30; it now merges the day's pieces)
@example(
    {
        "id": "gen",
        "timezone": "America/Vancouver",
        "hours": {"sun": [["00:00", "00:30"], ["02:00", "02:30"], ["03:00", "03:30"]]},
    },
    [(1735689600.0, 52201)],
)
def test_compiled_equals_reference(data: dict[str, Any], queries: list[tuple[float, int]]) -> None:
    cal = Calendar.from_dict(data)
    ref = ReferenceCalendar(cal)
    has_open = any(
        cal.open_intervals(
            *(
                __import__("datetime").datetime.fromtimestamp(x, __import__("datetime").UTC)
                for x in (1735689600, 1767225600)
            )
        )
    )
    for ts, secs in queries:
        assert cal.is_open_ts(ts) == ref.is_open(ts), ts
        assert cal.business_seconds_between(ts, ts + 5 * 86400) == ref.business_seconds_between(
            ts, ts + 5 * 86400
        )
        if has_open:
            assert cal.add_business_seconds(ts, secs) == ref.add_business_seconds(ts, secs)
