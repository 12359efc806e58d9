"""Scenario data is checked at every level: unknown fields, limits, times, shifts, DTMF keys,
the arrivals CSV, the scenario's seed; the CLI commands say what is wrong without a traceback;
``civiccc demo`` never replaces a database that is not its own output."""

from __future__ import annotations

import copy
import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.errors import ConfigError
from civiccc.sim import Dist, Scenario, load_scenario, run_replications, simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"
CITY = SCENARIOS / "city_week.yaml"
CITY_DATA: dict[str, Any] = yaml.safe_load(CITY.read_text(encoding="utf-8"))

SMALL: dict[str, Any] = {
    "name": "small",
    "start": "2025-03-03T00:00:00+01:00",
    "timezone": "Europe/Berlin",
    "days": 1,
    "default_queue": "desk",
    "queues": {"agents": {"a": {}, "b": {}}, "queues": {"desk": {"members": ["a", "b"]}}},
    "arrivals": {"weekly": {"weekdays": {"08:00-12:00": 20}}},
    "shifts": {
        "a": [{"start": "08:00", "end": "12:00", "breaks": [["10:00", "10:15"]]}],
        "b": [{"start": "08:00", "end": "12:00"}],
    },
}

# a flow with every kind of input node, for the dtmf checks
FLOW: dict[str, Any] = {
    "id": "inputs",
    "directory": [{"id": "ann", "name": "Ann Lee", "extension": "204", "target": "+15550204"}],
    "nodes": {
        "entry": {"kind": "entry", "edges": {"next": "menu"}},
        "menu": {"kind": "menu", "edges": {"1": "desk", "2": "ext", "invalid": "bye"}},
        "ext": {"kind": "dial_by_extension", "edges": {"not_found": "bye"}},
        "desk": {"kind": "queue", "target": "desk"},
        "bye": {"kind": "disconnect"},
    },
}


def _city(path: str | None = None, value: Any = None) -> Scenario:
    """city_week.yaml (as data) with ``value`` put at ``path`` (dots; list indexes)."""
    d = copy.deepcopy(CITY_DATA)
    if path is not None:
        node: Any = d
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value
    return Scenario.from_dict(d, base=SCENARIOS)


def _small(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(SMALL)
    d.update(changes)
    return d


def _path_of(exc: pytest.ExceptionInfo[ConfigError]) -> str | None:
    return exc.value.path


# ---------------------------------------------------------------------- unknown fields
def _mappings(node: Any, path: str, out: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """(path, mapping) of every mapping of the scenario the simulator reads (not the queues,
    calendars, flow or catalogue: their packages check them)."""
    if isinstance(node, dict):
        out.append((path, node))
        for k, v in node.items():
            if path == "" and k in ("queues", "calendars", "flow"):
                continue
            if path == "cases" and k == "catalogue":
                continue
            _mappings(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _mappings(v, f"{path}[{i}]", out)
    return out


def _all_keys(node: Any, seen: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            seen.add(str(k))
            _all_keys(v, seen)
    elif isinstance(node, list):
        for v in node:
            _all_keys(v, seen)
    return seen


_PLACES = [p for p, _ in _mappings(CITY_DATA, "", [])]
_TAKEN = _all_keys(CITY_DATA, set()) | {
    "name", "seed", "start", "days", "timezone", "queues_file", "interval", "default_queue",
    "csv", "holidays", "dist", "mean", "sd", "low", "high", "default", "queues", "delay",
    "probability", "fcr_window", "acceptance", "reached", "pool", "anonymous", "end", "breaks", "catalogue", "share", "services", "first_response", "resolution", "date",
    "factor", "weekly", "weekdays", "weekend", "all", "mon", "tue", "wed", "thu", "fri", "sat",
    "sun", "entry",
}  # fmt: skip


def test_every_mapping_of_city_week_is_covered() -> None:
    assert {"", "arrivals", "arrivals.surges[0]", "callers", "dtmf.main_menu", "patience",
            "patience.default", "retrial", "retrial.delay", "handle", "handle.queues.bylaw",
            "callbacks", "repeat", "cases", "cases.share", "shifts.maria[0]"} <= set(_PLACES)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    place=st.sampled_from(_PLACES),
    key=st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
        lambda k: k not in _TAKEN
    ),
    value=st.one_of(st.integers(0, 5), st.text(max_size=3), st.just({"x": 1})),
)
def test_an_unknown_key_anywhere_is_refused_with_its_path(place: str, key: str, value: Any) -> None:
    d = copy.deepcopy(CITY_DATA)
    for target_path, mapping in _mappings(d, "", []):
        if target_path == place:
            mapping[key] = value
            break
    with pytest.raises(ConfigError) as ei:
        Scenario.from_dict(d, base=SCENARIOS)
    assert ei.value.path == (f"{place}.{key}" if place else key), ei.value


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("callers", {"pol": 10}, "callers.pol"),
        ("arrivals.surge", [], "arrivals.surge"),
        ("arrivals.surges", [{"date": "2025-11-13", "facter": 3}], "arrivals.surges[0].facter"),
        ("patience", {"mean": 300}, "patience.mean"),
        ("handle", {"dist": "fixed", "mean": 300}, "handle.dist"),
        ("retrial", {"dealy": 5}, "retrial.dealy"),
        ("callbacks", {"reachd": 1}, "callbacks.reachd"),
        ("repeat", {"probability": 0.1, "fcr": 3}, "repeat.fcr"),
        ("cases.foo", 1, "cases.foo"),
        ("shifts.maria", [{"start": "08:00", "end": "16:30", "brakes": []}], "shifts.maria[0].brakes"),
        # a distribution takes the fields of its kind only
        ("handle.default", {"dist": "exponential", "mean": 100, "sd": 4}, "handle.default.sd"),
        ("retrial.delay", {"dist": "uniform", "low": 1, "high": 9, "mean": 5}, "retrial.delay.mean"),
        ("patience.default", {"mean": 300, "sd": 30}, "patience.default.sd"),
    ],
)  # fmt: skip
def test_misspelt_fields_are_refused(path: str, value: Any, where: str) -> None:
    with pytest.raises(ConfigError) as ei:
        _city(path, value)
    assert ei.value.path == where and "unknown field" in str(ei.value)


def test_a_distribution_at_patience_level_points_to_default() -> None:
    with pytest.raises(ConfigError, match=r"patience\.mean: .*goes under patience\.default"):
        _city("patience", {"mean": 300})
    # the forms that are meant: a default (a number or a mapping) and per-queue values
    sc = _city("patience", {"default": 200, "queues": {"operator": {"dist": "fixed", "mean": 60}}})
    assert sc.patience == Dist(mean=200.0)
    assert sc.patience_by_queue["operator"] == Dist(kind="fixed", mean=60.0)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("queues_file", "x.yaml", "queues_file"),  # with queues too
        ("arrivals.csv", "calls.csv", "arrivals.csv"),  # with weekly too
        ("arrivals.surges", [{"date": "2025-11-13", "factor": 2}] * 2, "arrivals.surges[1].date"),
        ("cases.services.ghost", "pothole", "cases.services.ghost"),
        ("cases.services.bylaw", 5, "cases.services.bylaw"),
    ],
)
def test_ambiguous_or_dangling_fields_are_refused(path: str, value: Any, where: str) -> None:
    with pytest.raises(ConfigError) as ei:
        _city(path, value)
    assert ei.value.path == where


# ---------------------------------------------------------------------- wrong types, limits
@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("callers", {"pool": math.inf}, "callers.pool"),
        ("callers", {"pool": 1e300}, "callers.pool"),
        ("callers", {"pool": 2.5}, "callers.pool"),
        ("arrivals.holidays", 5, "arrivals.holidays"),
        ("arrivals.holiday_calendar", ["x"], "arrivals.holiday_calendar"),
        ("arrivals.surges", 5, "arrivals.surges"),
        ("arrivals.surges", [5], "arrivals.surges[0]"),
        ("shifts.maria", [{"start": "08:00", "end": "16:30", "breaks": 5}], "shifts.maria[0].breaks"),
        ("days", math.inf, "days"),
        ("days", 1e9, "days"),
        ("days", 3661, "days"),
        ("interval", 1, "interval"),
        ("interval", math.inf, "interval"),
        ("arrivals.weekly.weekdays.08:00-10:00", math.inf, "arrivals.weekly.weekdays.08:00-10:00"),
        ("arrivals.weekly.weekdays.08:00-10:00", 1e12, "arrivals.weekly.weekdays.08:00-10:00"),
        ("arrivals.surges", [{"date": "2025-11-13", "factor": math.inf}], "arrivals.surges[0].factor"),
        ("arrivals.holiday_factor", 1e6, "arrivals.holiday_factor"),
        ("patience.default", {"dist": "fixed", "mean": math.inf}, "patience.default.mean"),
        ("patience.default", math.inf, "patience.default"),
        ("handle.default", {"dist": "lognormal", "mean": 1e12, "sd": 5}, "handle.default.mean"),
        ("handle.default", {"dist": "uniform", "low": 0, "high": math.inf}, "handle.default.high"),
        ("answer_delay", math.inf, "answer_delay"),
        ("answer_delay", 7200, "answer_delay"),
        ("repeat.fcr_window", math.inf, "repeat.fcr_window"),
        ("start", "9999-12-30T00:00:00+00:00", "start"),
        ("seed", "five", "seed"),
        ("seed", True, "seed"),
        ("seed", 5.0, "seed"),
    ],
)  # fmt: skip
def test_wrong_types_and_absurd_values_are_refused(path: str, value: Any, where: str) -> None:
    with pytest.raises(ConfigError) as ei:
        _city(path, value)
    assert ei.value.path == where, ei.value


def test_limits_allow_what_a_city_may_model() -> None:
    sc = _city("days", 3660)
    assert sc.days == 3660
    assert _city("arrivals.weekly.weekdays.08:00-10:00", 100_000).arrivals_weekly[0][2][2] == 1e5
    assert _city("callers", {"pool": 10_000_000}).caller_pool == 10_000_000
    assert _city("handle.default", 366 * 86400).handle.mean == 366 * 86400


_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True),
    st.text(max_size=6), st.lists(st.integers(), max_size=2), st.just({"x": [1]}),
    st.just([[1, 2]]), st.just({}),
)  # fmt: skip
_LEAVES = [
    "seed", "days", "interval", "start", "name", "timezone", "default_queue", "announce",
    "answer_delay", "arrivals", "arrivals.weekly", "arrivals.weekly.weekdays",
    "arrivals.weekly.weekdays.08:00-10:00", "arrivals.holiday_calendar", "arrivals.holiday_factor",
    "arrivals.surges", "arrivals.surges.0", "arrivals.surges.0.date", "arrivals.surges.0.factor",
    "arrivals.holidays", "callers", "callers.pool", "callers.anonymous", "dtmf", "dtmf.main_menu",
    "dtmf.main_menu.1", "patience", "patience.default", "patience.queues",
    "patience.queues.operator", "retrial", "retrial.delay", "retrial.probability", "handle",
    "handle.default.sd", "handle.default.dist", "callbacks", "callbacks.reached", "repeat",
    "repeat.delay", "repeat.fcr_window", "cases", "cases.share", "cases.share.bylaw",
    "cases.services", "cases.first_response", "shifts", "shifts.maria", "shifts.maria.0",
    "shifts.maria.0.days", "shifts.maria.0.start", "shifts.maria.0.breaks",
    "shifts.maria.0.breaks.0",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_LEAVES), value=_JUNK)
def test_any_value_anywhere_gives_a_config_error_or_a_scenario(path: str, value: Any) -> None:
    error: ConfigError | None = None
    try:
        _city(path, value)
    except ConfigError as e:  # anything else (TypeError, KeyError ...) fails the test
        error = e
    if error is not None:
        assert error.path is not None
        assert error.path.split(".")[0].split("[")[0] in {*path.split(".")[:1], "start"}, error


# ---------------------------------------------------------------------- times and shifts
@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("arrivals.weekly.weekdays", {"08:75-12:00": 3}, "arrivals.weekly.weekdays.08:75-12:00"),
        ("arrivals.weekly.weekdays", {"08:00-24:30": 3}, "arrivals.weekly.weekdays.08:00-24:30"),
        ("arrivals.weekly.weekdays", {"8h-12h": 3}, "arrivals.weekly.weekdays.8h-12h"),
        ("shifts.maria", [{"start": "08:75", "end": "16:30"}], "shifts.maria[0].start"),
        ("shifts.maria", [{"start": "25:00", "end": "26:00"}], "shifts.maria[0].start"),
        ("shifts.maria", [{"start": 480, "end": "16:30"}], "shifts.maria[0].start"),
        ("shifts.maria", [{"start": "08:00", "end": "16:30", "breaks": [["12:00", "12:61"]]}],
         "shifts.maria[0].breaks[0]"),
    ],
)  # fmt: skip
def test_times_must_be_times_of_day(path: str, value: Any, where: str) -> None:
    with pytest.raises(ConfigError) as ei:
        _city(path, value)
    assert ei.value.path == where


def test_unquoted_yaml_times_are_explained() -> None:
    with pytest.raises(ConfigError, match="quote times"):
        _city("shifts.maria", [{"start": 8 * 60, "end": "16:30"}])  # YAML's 8:00


@pytest.mark.parametrize(
    ("shifts", "where", "message"),
    [
        ([{"start": "08:00", "end": "16:30", "breaks": [["12:00", "12:30"], ["12:15", "12:45"]]}],
         "shifts.maria[0].breaks[1]", "overlaps break 0"),
        ([{"start": "08:00", "end": "16:30", "breaks": [["13:00", "13:30"], ["12:00", "13:15"]]}],
         "shifts.maria[0].breaks[1]", "overlaps break 0"),
        ([{"days": [], "start": "08:00", "end": "16:30"}], "shifts.maria[0].days", "at least one"),
        ([{"days": "mon", "start": "08:00", "end": "16:30"}], "shifts.maria[0].days", "bad days"),
        ([{"days": ["mon"], "start": "08:00", "end": "12:00"},
          {"days": ["mon", "tue"], "start": "11:00", "end": "14:00"}],
         "shifts.maria[1]", "overlaps shift 0 on mon"),
    ],
)  # fmt: skip
def test_breaks_and_shifts_do_not_overlap(
    shifts: list[dict[str, Any]], where: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as ei:
        _city("shifts.maria", shifts)
    assert ei.value.path == where


def test_adjacent_breaks_and_shifts_are_fine() -> None:
    sc = _city(
        "shifts.maria",
        [
            {"days": ["mon"], "start": "08:00", "end": "12:00",
             "breaks": [["10:30", "11:00"], ["10:00", "10:30"]]},
            {"days": ["mon"], "start": "12:00", "end": "16:00"},
        ],
    )  # fmt: skip
    assert sc.shifts["maria"][0].breaks == ((37800.0, 39600.0), (36000.0, 37800.0))


# ---------------------------------------------------------------------- shift days
_DAY_WORDS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "weekdays", "weekend", "all"]


def _profile_days(word: str) -> set[int]:
    """The weekdays (0 = Monday) the weekly arrival profile gives calls to under key ``word``."""
    sc = _city("arrivals.weekly", {word: {"08:00-09:00": 10}})
    return {d for d, segs in enumerate(sc.arrivals_weekly) if segs}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.one_of(
        st.sampled_from(["weekdays", "weekend", "all"]),
        st.lists(st.sampled_from(_DAY_WORDS), min_size=1, max_size=4),
    )
)
def test_shift_days_mean_what_the_weekly_profile_means(days: str | list[str]) -> None:
    sc = _city("shifts.maria", [{"days": days, "start": "08:00", "end": "16:30"}])
    words = [days] if isinstance(days, str) else days
    expected = set().union(*(_profile_days(w) for w in words))
    assert set(sc.shifts["maria"][0].days) == expected
    assert list(sc.shifts["maria"][0].days) == sorted(expected)


def test_a_weekend_shift_answers_weekend_calls() -> None:
    data = _small(
        start="2025-03-08T00:00:00+01:00",  # a Saturday
        days=2,
        arrivals={"weekly": {"weekend": {"08:00-12:00": 20}}},
        shifts={"a": [{"days": "weekend", "start": "08:00", "end": "12:00"}],
                "b": [{"days": ["sat", "weekdays"], "start": "08:00", "end": "12:00"}]},
    )  # fmt: skip
    sc = load_scenario(data)
    assert sc.shifts["a"][0].days == (5, 6) and sc.shifts["b"][0].days == (0, 1, 2, 3, 4, 5)
    run = simulate(sc, seed=3)
    by_agent = {c.agent for c in run.calls if c.outcome == "answered"}
    assert by_agent == {"a", "b"}
    sunday = datetime.fromisoformat("2025-03-09T00:00:00+01:00").timestamp()
    assert {c.agent for c in run.calls if c.agent and c.arrived >= sunday} == {"a"}


@pytest.mark.parametrize(
    "days", ["weekends", "Weekend", "sat", ["sat", "holiday"], [["sat"]], 6, None, True]
)
def test_bad_shift_days_are_refused_at_the_shift(days: Any) -> None:
    shifts = [{"days": ["mon"], "start": "08:00", "end": "12:00"},
              {"days": days, "start": "13:00", "end": "16:00"}]  # fmt: skip
    with pytest.raises(ConfigError, match="bad days") as ei:
        _city("shifts.maria", shifts)
    assert ei.value.path == "shifts.maria[1].days"
    assert ei.value.value == days


def test_overlapping_weekend_shifts_are_refused() -> None:
    shifts = [{"days": ["sun"], "start": "08:00", "end": "12:00"},
              {"days": "weekend", "start": "11:00", "end": "14:00"}]  # fmt: skip
    with pytest.raises(ConfigError, match="overlaps shift 0 on sun") as ei:
        _city("shifts.maria", shifts)
    assert ei.value.path == "shifts.maria[1]"


# ---------------------------------------------------------------------- name
@pytest.mark.parametrize("name", [5, 2025.5, True, None, "", "   ", ["a"], {"a": 1}])
def test_a_scenario_name_is_a_non_empty_string(name: Any) -> None:
    with pytest.raises(ConfigError, match="non-empty string") as ei:
        load_scenario(_small(name=name))
    assert ei.value.path == "name" and ei.value.value == name


def test_a_scenario_name_is_kept_as_written() -> None:
    assert load_scenario(_small(name=" Storm week ")).name == " Storm week "
    assert load_scenario({k: v for k, v in SMALL.items() if k != "name"}).name == "scenario"


# ---------------------------------------------------------------------- dtmf
def test_the_sim_knows_the_dtmf_keys_of_civiccc_routing() -> None:
    from civiccc.routing import load_flow, node_kinds
    from civiccc.sim._scenario import DTMF_KEYS

    assert {k for k in node_kinds()["menu"].labels if len(k) == 1} == DTMF_KEYS
    session = load_flow(FLOW).start("+15550100", datetime(2025, 3, 3, 9, tzinfo=UTC))
    with pytest.raises(ConfigError, match="not a DTMF key"):
        session.press("x")


@pytest.mark.parametrize(
    ("dtmf", "where", "message"),
    [
        ({"main_menu": {"x": 1}}, "dtmf.main_menu.x", "not one DTMF key"),
        ({"main_menu": {"12": 1}}, "dtmf.main_menu.12", "not one DTMF key"),
        ({"main_menu": {None: 1}}, "dtmf.main_menu.None", "not one DTMF key"),
        ({"entry": {"1": 1}}, "dtmf.entry", "takes no caller input"),
        ({"waste_collection": {"1": 1}}, "dtmf.waste_collection", "takes no caller input"),
        ({"nowhere": {"1": 1}}, "dtmf.nowhere", "no node"),
        ({"main_menu": {"1": math.inf}}, "dtmf.main_menu.1", "finite"),
    ],
)
def test_dtmf_names_input_nodes_and_dtmf_keys(dtmf: Any, where: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as ei:
        _city("dtmf", dtmf)
    assert ei.value.path == where


def test_dtmf_without_a_flow_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a flow") as ei:
        load_scenario(_small(dtmf={"menu": {"1": 1}}))
    assert ei.value.path == "dtmf.menu"


def test_dtmf_keys_per_kind_of_input_node() -> None:
    ok = load_scenario(
        _small(flow=FLOW, dtmf={"menu": {"1": 3, "2": 1, "*": 0, "": 1}, "ext": {"204": 1, "": 1}})
    )
    assert ok.dtmf["ext"] == {"204": 1.0, "": 1.0}
    run = simulate(ok, seed=3)
    assert {c.queue for c in run.calls} >= {"desk", "+15550204"}  # an extension dialled
    with pytest.raises(ConfigError) as ei:
        load_scenario(_small(flow=FLOW, dtmf={"ext": {"2x4": 1}}))
    assert ei.value.path == "dtmf.ext.2x4"


# ---------------------------------------------------------------------- arrivals CSV
def _replay(tmp_path: Path, content: bytes) -> Scenario:
    p = tmp_path / "calls.csv"
    p.write_bytes(content)
    return load_scenario(_small(arrivals={"csv": str(p)}))


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        (b"time,caller\n2025-03-03T09:00:00+01:00,+4989\n2025-03-03T09:01:00+01:00,caf\xe9\n",
         "arrivals.csv", "line 3: not UTF-8"),
        (b"time,dtmf\n2025-03-03T09:00:00+01:00,1\n2025-03-03T09:01:00+01:00,zz\n",
         "arrivals.csv[1].dtmf", "line 3: 'zz' is not a string of DTMF keys"),
        (b"time,dtfm\n2025-03-03T09:00:00+01:00,1\n", "arrivals.csv", "line 1: unknown column 'dtfm'"),
        (b"caller\n+4989\n", "arrivals.csv", "needs a time column"),
        (b"time\n2025-03-03T09:00:00+01:00,+4989\n", "arrivals.csv[0]", "line 2: more cells"),
        (b"time\n\n2025-03-03 09:00\n", "arrivals.csv[0].time", "line 3: bad call time"),
    ],
)  # fmt: skip
def test_the_arrivals_csv_is_checked_naming_file_and_line(
    tmp_path: Path, content: bytes, where: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as ei:
        _replay(tmp_path, content)
    assert ei.value.path == where and ei.value.file == str(tmp_path / "calls.csv")


def test_the_arrivals_csv_may_start_with_a_bom_and_give_keys(tmp_path: Path) -> None:
    sc = _replay(tmp_path, "\ufefftime,caller,dtmf\n2025-03-03T09:00:00+01:00,+4989,1#\n".encode())
    assert sc.replay is not None and sc.replay[0][1:] == ("+4989", "1#")


# ---------------------------------------------------------------------- seed
def test_the_scenario_seed_is_the_default_seed() -> None:
    seeded = load_scenario(_small(seed=5))
    assert seeded.seed == 5 and load_scenario(_small()).seed is None
    run = simulate(seeded)
    assert run.seed == 5 and run.calls == simulate(seeded, seed=5).calls
    assert simulate(seeded, seed=6).seed == 6  # an explicit seed wins
    assert simulate(load_scenario(_small())).seed == 0  # no seed anywhere: 0, as before
    s = run_replications(seeded, 2, executor=None)
    assert [r.seed for r in s.runs] == [5, 6]


def test_simulate_cli_uses_the_scenario_seed(tmp_path: Path) -> None:
    from civiccc.cli.simulate import simulate as cmd

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_small(seed=5)))
    res = CliRunner().invoke(cmd, [str(p)])
    assert res.exit_code == 0 and "seeds 5..5" in res.output, res.output
    res = CliRunner().invoke(cmd, [str(p), "--seed", "2", "-n", "2", "--workers", "1"])
    assert res.exit_code == 0 and "seeds 2..3" in res.output, res.output


# ---------------------------------------------------------------------- CLI errors
def test_simulate_cli_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    from civiccc.cli.simulate import simulate as cmd

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_small(callers={"pol": 3})))
    res = CliRunner().invoke(cmd, [str(bad)])
    assert (
        res.exit_code == 1 and res.exception is not None and isinstance(res.exception, SystemExit)
    )
    assert f"Error: {bad}: callers.pol: unknown field 'pol'" in res.output
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(_small()))
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = CliRunner().invoke(cmd, [str(good), "--report", str(blocker / "r.html")])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert "Error:" in res.output


def test_demo_reports_scenario_errors_without_a_traceback(tmp_path: Path) -> None:
    from civiccc.cli.demo import demo

    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(demo, ["--scenario", str(bad), "--out", str(out), "--no-progress"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert f"Error: {bad}: <scenario>: expected a mapping" in res.output
    assert not out.exists()
    bad.write_text(yaml.safe_dump(_small(days=math.inf)))
    res = CliRunner().invoke(demo, ["--scenario", str(bad), "--out", str(out), "--no-progress"])
    assert res.exit_code == 1 and f"Error: {bad}: days: must be finite" in res.output


# ---------------------------------------------------------------------- demo output
def _real_database(path: Path) -> None:
    """A case store with a real case in it (not written by the demo)."""
    from civiccc.cases import CaseDesk, Catalogue, SqliteStore
    from civiccc.clock import VirtualClock

    cat = Catalogue.from_dict(
        {
            "departments": {"d": {"name": "Roads"}},
            "services": [{"code": "pothole", "name": "Pothole", "department": "d"}],
        }
    )
    store = SqliteStore(path)
    try:
        desk = CaseDesk(cat, clock=VirtualClock(datetime(2025, 3, 3, tzinfo=UTC)), store=store)
        desk.create("pothole", by="clerk", description="a hole in Main St")
    finally:
        store.close()


def _small_file(tmp_path: Path) -> Path:
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(_small(seed=1)))
    return p


def test_demo_refuses_a_database_that_is_not_its_own(tmp_path: Path) -> None:
    from civiccc.cli.demo import demo

    out = tmp_path / "out"
    out.mkdir()
    db = out / "cases.sqlite"
    _real_database(db)
    before = db.read_bytes()
    listing = sorted(p.name for p in out.iterdir())
    args = ["--scenario", str(_small_file(tmp_path)), "--out", str(out), "--no-progress"]
    res = CliRunner().invoke(demo, args)
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert "is not the demo's own output" in res.output and "--force" in res.output
    assert db.read_bytes() == before and sorted(p.name for p in out.iterdir()) == listing
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    con.close()
    # not a database at all: refused too, untouched
    db.write_bytes(b"my notes")
    res = CliRunner().invoke(demo, args)
    assert res.exit_code == 1 and db.read_bytes() == b"my notes"
    # --force replaces it
    res = CliRunner().invoke(demo, [*args, "--force"])
    assert res.exit_code == 0, res.output
    assert db.read_bytes() != b"my notes"


def test_demo_replaces_its_own_output(tmp_path: Path) -> None:
    from civiccc.cases import SqliteStore
    from civiccc.cli.demo import DEMO_MARK, demo

    out = tmp_path / "out"
    args = ["--scenario", str(_small_file(tmp_path)), "--out", str(out), "--no-progress"]
    first = CliRunner().invoke(demo, args)
    assert first.exit_code == 0, first.output
    store = SqliteStore(out / "cases.sqlite")
    try:
        assert store.get_meta(DEMO_MARK) == {"scenario": "small", "seed": 1}
    finally:
        store.close()
    second = CliRunner().invoke(demo, args)
    assert second.exit_code == 0, second.output
    assert first.output == second.output  # the same run again (the scenario's seed)
    assert sorted(p.name for p in out.iterdir()) == ["cases.sqlite", "report.html"]


def test_demo_replaces_the_output_of_a_demo_from_before_the_mark(tmp_path: Path) -> None:
    """An earlier demo wrote no mark: a database holding only the simulator's cases (and no
    meta entries) is recognised as such; one real case among them makes it refused."""
    from civiccc.cli.demo import DEMO_MARK, demo

    out = tmp_path / "out"
    small = tmp_path / "day.yaml"  # a day of city_week (it has cases), paths made absolute
    args = ["--scenario", str(small), "--out", str(out), "--no-progress"]
    d = {**CITY_DATA, "days": 1}
    for key in ("flow", "calendars"):
        d[key] = str(SCENARIOS / d[key])
    d["cases"] = {**d["cases"], "catalogue": str(SCENARIOS / d["cases"]["catalogue"])}
    small.write_text(yaml.safe_dump(d))
    assert CliRunner().invoke(demo, args).exit_code == 0
    db = out / "cases.sqlite"
    con = sqlite3.connect(db)
    con.execute("DELETE FROM meta WHERE key = ?", (DEMO_MARK,))
    con.commit()
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] > 0
    con.close()
    res = CliRunner().invoke(demo, args)  # an old demo's output: replaced
    assert res.exit_code == 0, res.output
    con = sqlite3.connect(db)
    con.execute("DELETE FROM meta WHERE key = ?", (DEMO_MARK,))
    con.commit()
    con.close()
    _real_database(db)  # a clerk's case among the simulator's
    before = db.read_bytes()
    res = CliRunner().invoke(demo, args)
    assert res.exit_code == 1 and "not the demo's own output" in res.output
    assert db.read_bytes() == before


def test_demo_refuses_a_database_with_changes_still_in_its_wal(tmp_path: Path) -> None:
    from civiccc.cli.demo import demo

    out = tmp_path / "out"
    args = ["--scenario", str(_small_file(tmp_path)), "--out", str(out), "--no-progress"]
    assert CliRunner().invoke(demo, args).exit_code == 0
    wal = out / "cases.sqlite-wal"
    wal.write_bytes(b"pending")  # as a crashed writer leaves it: the file alone says too little
    res = CliRunner().invoke(demo, args)
    assert res.exit_code == 1 and wal.read_bytes() == b"pending"
    assert CliRunner().invoke(demo, [*args, "--force"]).exit_code == 0
    assert not wal.exists()


# ---------------------------------------------------------------------- weekly profile
_FULL_WEEK = {d: {"08:00-12:00": 20} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.parametrize(
    ("key", "spec", "where"),
    [
        ("weekdays", {"garbage": 5}, "arrivals.weekly.weekdays.garbage"),
        ("weekend", {"10:00-09:00": 5}, "arrivals.weekly.weekend.10:00-09:00"),
        ("all", {"08:00-12:00": -1}, "arrivals.weekly.all.08:00-12:00"),
        ("all", "busy", "arrivals.weekly.all"),
    ],
)
def test_a_profile_key_that_more_specific_keys_cover_is_still_checked(
    key: str, spec: Any, where: str
) -> None:
    """mon..sun are all given, so ``weekdays``, ``weekend`` and ``all`` are never read; a
    mistake there is still refused (it used to pass unseen)."""
    with pytest.raises(ConfigError) as info:
        _city("arrivals.weekly", {**_FULL_WEEK, key: spec})
    assert _path_of(info) == where


def test_overlapping_spans_name_both() -> None:
    with pytest.raises(
        ConfigError, match="overlapping spans '08:00-12:00' and '11:00-13:00'"
    ) as info:
        _city("arrivals.weekly", {"weekdays": {"11:00-13:00": 5, "08:00-12:00": 20}})
    assert _path_of(info) == "arrivals.weekly.weekdays.11:00-13:00"


def test_the_most_specific_key_gives_a_day_its_calls() -> None:
    """mon beats weekdays beats all; a day no key names gets no calls."""
    sc = _city(
        "arrivals.weekly",
        {"mon": {"08:00-09:00": 1}, "weekdays": {"09:00-10:00": 2}, "sat": {"10:00-11:00": 3}},
    )
    assert [[rate for _, _, rate in day] for day in sc.arrivals_weekly] == [
        [1.0], [2.0], [2.0], [2.0], [2.0], [3.0], []
    ]  # fmt: skip
