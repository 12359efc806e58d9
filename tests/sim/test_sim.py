"""Scenarios, determinism, routing/queue integration, records, executors, CLI."""

from __future__ import annotations

import copy
import math
import re
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.errors import ConfigError
from civiccc.sim import (
    EventLoop,
    Scenario,
    load_scenario,
    run_replications,
    simulate,
    streams,
)

ROOT = Path(__file__).resolve().parents[2]
CITY = ROOT / "examples" / "scenarios" / "city_week.yaml"
TOWN = ROOT / "examples" / "scenarios" / "town_storm_de.yaml"

BASE: dict[str, Any] = {
    "start": "2025-03-03T00:00:00+01:00",
    "timezone": "Europe/Berlin",
    "days": 2,
    "default_queue": "desk",
    "queues": {
        "agents": {"a": {}, "b": {}},
        "queues": {"desk": {"members": ["a", "b"], "wrap_up": 10}},
    },
    "arrivals": {"weekly": {"weekdays": {"08:00-12:00": 20, "13:00-16:00": 10}}},
    "shifts": {
        "a": [
            {"days": "weekdays", "start": "08:00", "end": "16:00", "breaks": [["12:00", "13:00"]]}
        ],
        "b": [{"days": ["mon", "tue"], "start": "08:00", "end": "12:00"}],
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE)
    node: Any = d
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return d


# ---------------------------------------------------------------------- scenario validation
@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("start", "2025-03-03T00:00:00", "start"),
        ("start", "tomorrow", "start"),
        ("timezone", "Mars/Olympus", "timezone"),
        ("days", 0, "days"),
        ("default_queue", "nope", "default_queue"),
        ("arrivals.weekly.weekdays", {"8-12": 3}, "arrivals.weekly.weekdays.8-12"),
        ("arrivals.weekly.weekdays", {"08:00-12:00": -1}, "arrivals.weekly.weekdays.08:00-12:00"),
        ("arrivals.weekly.moonday", {"08:00-12:00": 1}, "arrivals.weekly.moonday"),
        ("arrivals.surges", [{"date": "2025-13-01", "factor": 2}], "arrivals.surges[0].date"),
        ("arrivals.surges", [{"date": "2025-03-03", "factor": "x"}], "arrivals.surges[0].factor"),
        ("patience.default", {"dist": "gamma", "mean": 3}, "patience.default.dist"),
        ("handle.default", {"dist": "lognormal", "mean": 100}, "handle.default.sd"),
        ("handle.queues", {"ghost": 100}, "handle.queues.ghost"),
        ("retrial.probability", 1.5, "retrial.probability"),
        ("callbacks.acceptance", -0.1, "callbacks.acceptance"),
        ("cases.share", {"ghost": 0.5}, "cases.share.ghost"),
        ("shifts.zed", [], "shifts.zed"),
        ("shifts.a", [{"start": "10:00", "end": "09:00"}], "shifts.a[0].end"),
        (
            "shifts.a",
            [{"start": "08:00", "end": "12:00", "breaks": [["11:00", "13:00"]]}],
            "shifts.a[0].breaks[0]",
        ),
        ("shifts.b", [{"days": ["someday"], "start": "08:00", "end": "12:00"}], "shifts.b[0].days"),
        ("queues.queues.desk.strategy", "telepathy", "queues.queues.desk.strategy"),
        ("colour", "blue", "colour"),
    ],
)
def test_config_errors_name_the_field(path: str, value: Any, where: str) -> None:
    with pytest.raises(ConfigError) as ei:
        load_scenario(_with(path, value))
    assert ei.value.path is not None and ei.value.path.startswith(where), ei.value


def test_config_error_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_with("days", -1)))
    with pytest.raises(ConfigError) as ei:
        load_scenario(p)
    assert ei.value.file == str(p) and ei.value.path == "days"
    assert str(p) in str(ei.value)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["days", "interval", "answer_delay", "retrial.probability", "callers.pool",
                     "callbacks.reached", "arrivals.holiday_factor"]),
    st.one_of(st.text(max_size=5), st.floats(max_value=-1e-9), st.just(math.nan), st.none(), st.lists(st.integers(), max_size=2)),
)  # fmt: skip
def test_bad_numbers_are_located(path: str, value: Any) -> None:
    with pytest.raises(ConfigError) as ei:
        load_scenario(_with(path, value))
    assert ei.value.path == path


# ---------------------------------------------------------------------- core
def test_streams_are_independent_and_stable() -> None:
    a = streams(1, "x", "y")
    b = streams(1, "y")
    assert a["y"].random() == b["y"].random()
    assert streams(2, "x")["x"].random() != streams(1, "x")["x"].random()


def test_event_loop_order_step_and_peek() -> None:
    from civiccc.clock import VirtualClock

    clock = VirtualClock(100.0)
    loop = EventLoop(clock)
    seen: list[Any] = []
    loop.handlers["e"] = seen.append
    loop.schedule(105.0, "e", 2)
    loop.schedule(103.0, "e", 1)
    loop.schedule(50.0, "e", 0)  # never in the past
    assert loop.peek() == 100.0
    assert loop.step() and seen == [0]
    assert loop.run(until=104.0) == 1 and clock.timestamp() == 104.0
    assert loop.run() == 1 and seen == [0, 1, 2]
    assert not loop.step()


# ---------------------------------------------------------------------- determinism
def test_same_seed_same_trace_different_seed_differs() -> None:
    sc = load_scenario(CITY)
    a = simulate(sc, seed=5, trace=True)
    b = simulate(sc, seed=5, trace=True)
    c = simulate(sc, seed=6)
    assert a.trace == b.trace and a.trace
    assert a.calls == b.calls and a.agents == b.agents and a.cases == b.cases
    assert a.calls != c.calls


# ---------------------------------------------------------------------- behaviour
def test_shifts_breaks_and_profile() -> None:
    r = simulate(load_scenario(BASE), seed=1)
    assert r.calls
    # weekly profile: no calls outside the local spans
    from datetime import datetime
    from zoneinfo import ZoneInfo

    z = ZoneInfo("Europe/Berlin")
    hours = {datetime.fromtimestamp(c.arrived, z).hour for c in r.calls}
    assert hours <= {8, 9, 10, 11, 13, 14, 15}
    # agent "a" pauses 12-13 each day: nobody answers there (no calls arrive then either)
    pauses = [x for x in r.agents if x.agent == "a" and x.status == "paused"]
    assert len(pauses) == 2
    assert all(datetime.fromtimestamp(p.start, z).hour == 12 for p in pauses)
    # b works mornings only
    b_answers = [c for c in r.calls if c.agent == "b"]
    assert all(datetime.fromtimestamp(c.answered or 0, z).hour < 12 for c in b_answers)


def test_surge_and_holiday_factors() -> None:
    plain = simulate(load_scenario(BASE), seed=3)
    surge = simulate(
        load_scenario(_with("arrivals.surges", [{"date": "2025-03-04", "factor": 3}])), seed=3
    )
    hol = simulate(load_scenario(_with("arrivals.holidays", ["2025-03-03", "2025-03-04"])), seed=3)
    assert len(surge.calls) > 1.5 * len(plain.calls)
    assert len(hol.calls) == len(plain.calls)  # holiday_factor defaults to 1
    hol2 = load_scenario({**_with("arrivals.holidays", ["2025-03-03", "2025-03-04"]),
                          "arrivals": {**BASE["arrivals"], "holidays": ["2025-03-03", "2025-03-04"],
                                       "holiday_factor": 0.0}})  # fmt: skip
    assert simulate(hol2, seed=3).calls == ()


def test_retrial_and_repeat_callers() -> None:
    d = _with("patience.default", 5)
    d["retrial"] = {"probability": 1.0, "delay": 60}
    d["callers"] = {"pool": 3}
    r = simulate(load_scenario(d), seed=2)
    assert any(c.attempt > 0 for c in r.calls)
    assert any(c.outcome == "abandoned" for c in r.calls)
    k = r.kpis()
    assert k["fcr"] is not None and k["fcr"] < 1  # three callers call again and again


def test_csv_replay(tmp_path: Path) -> None:
    csv = tmp_path / "calls.csv"
    csv.write_text("time,caller\n2025-03-03T09:00:00+01:00,+4989123\n2025-03-03T09:00:30+01:00,\n")
    d = copy.deepcopy(BASE)
    d["arrivals"] = {"csv": str(csv)}
    r = simulate(load_scenario(d), seed=0)
    from datetime import datetime

    t0 = datetime.fromisoformat("2025-03-03T09:00:00+01:00").timestamp()
    assert [c.arrived for c in r.calls] == [t0, t0 + 30]
    assert r.calls[0].caller == "+4989123" and r.calls[1].caller is None
    bad = tmp_path / "bad.csv"
    bad.write_text("time\n2025-03-03 09:00\n")
    d["arrivals"] = {"csv": str(bad)}
    with pytest.raises(ConfigError) as ei:
        load_scenario(d)
    assert ei.value.path == "arrivals.csv[0].time"


def test_city_week_routes_through_flow_and_queues() -> None:
    sc = load_scenario(CITY)
    r = simulate(sc, seed=11)
    kinds = {c.kind for c in r.calls}
    assert {"queue", "disconnect", "voicemail"} <= kinds
    # storm Friday: the flow's emergency switch hangs up with an announcement
    from datetime import datetime
    from zoneinfo import ZoneInfo

    z = ZoneInfo(sc.timezone)
    friday = [
        c
        for c in r.calls
        if datetime.fromtimestamp(c.arrived, z).day == 14
        and 9 <= datetime.fromtimestamp(c.arrived, z).hour < 16
    ]
    assert friday and all(c.kind == "disconnect" for c in friday)
    # queue targets are the flow's, digits were pressed through the session
    assert {c.queue for c in r.calls if c.kind == "queue"} <= set(sc.queues["queues"])
    assert any(c.digits.startswith("1") for c in r.calls if c.kind == "queue")
    assert r.cases and all(c.queue in sc.case_share for c in r.cases)
    # cases live in a civiccc.cases CaseDesk: ids, resolution SLA due times, some resolved
    assert all(c.reference and c.reference.startswith("SR-") for c in r.cases)
    assert all(c.sla_due is not None and c.sla_due > c.opened for c in r.cases)
    resolved = [c for c in r.cases if c.resolved is not None]
    assert resolved and all(c.breached == (c.resolved > c.sla_due) for c in resolved)  # type: ignore[operator]
    assert k_cases(r) == len(r.cases)
    assert any(c.callback for c in r.calls)
    k = r.kpis()
    assert 0 < k["service_level"] <= 1  # type: ignore[operator]
    assert 0 < k["occupancy"] < 1  # type: ignore[operator]
    rows = r.by_interval("waste_missed")
    assert (
        len(rows) == 7 * 48 and sum(x["offered"] for x in rows) == r.kpis("waste_missed")["offered"]
    )


def k_cases(r: Any) -> float:
    return float(r.kpis()["cases"])


def test_town_storm_scenario_runs() -> None:
    r = simulate(load_scenario(TOWN), seed=1)
    assert r.calls and r.kpis()["answered"]


# ---------------------------------------------------------------------- executors
def test_executors_give_identical_results() -> None:
    sc = Scenario.mmc(agents=3, calls_per_hour=50, handle=150, patience=120, hours=20)
    serial = [simulate(sc, seed=s).calls for s in (7, 8, 9)]
    with ThreadPoolExecutor(2) as tp:
        t = run_replications(sc, 3, seed=7, executor=tp)
    with ProcessPoolExecutor(2) as pp:
        p = run_replications(sc, 3, seed=7, executor=pp)
    d = run_replications(sc, 3, seed=7)
    for s in (t, p, d):
        assert [r.calls for r in s.runs] == serial
        assert [r.seed for r in s.runs] == [7, 8, 9]
    assert t.kpis() == p.kpis()


def test_dask_distributed_executor() -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed")
    sc = Scenario.mmc(agents=3, calls_per_hour=50, handle=150, patience=120, hours=10)
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as client:
        s = run_replications(sc, 2, seed=3, executor=client.get_executor())
    assert [r.calls for r in s.runs] == [simulate(sc, seed=x).calls for x in (3, 4)]


# ---------------------------------------------------------------------- records and report
def test_frames_and_report(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    r = simulate(load_scenario(CITY), seed=1)
    f = r.to_frames()
    assert set(f) == {"calls", "agents", "cases"}
    assert len(f["calls"]) == len(r.calls)
    assert isinstance(f["calls"]["arrived"].dtype, pd.DatetimeTZDtype)
    from civiccc.sim import write_report

    s = run_replications(load_scenario(CITY), 2, seed=1, executor=ThreadPoolExecutor(2))
    html = write_report(s, tmp_path / "r.html").read_text()
    assert html.count("data:image/png;base64,") == 4
    assert 'id="kpis"' in html and "waste_missed" in html and "[" in html  # CI brackets


def test_simulate_cli(tmp_path: Path) -> None:
    from civiccc.cli.simulate import simulate as cmd

    out = tmp_path / "r.html"
    res = CliRunner().invoke(
        cmd, [str(CITY), "-n", "2", "--seed", "4", "--report", str(out), "--workers", "2"]
    )
    assert res.exit_code == 0, res.output
    assert "service_level" in res.output and "waste_missed" in res.output
    assert "call outcomes: answered " in res.output and "(first run)" in res.output
    # city_week announces waits: the told and the actual mean waits of answered callers
    assert re.search(r"wait announcements: \d+ answered callers were told \d+ s on average"
                     r" and waited \d+ s \(first run\)", res.output)  # fmt: skip
    assert out.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with("days", 0)))
    res = CliRunner().invoke(cmd, [str(bad)])
    assert res.exit_code == 1 and "days" in res.output


def test_kpi_table_formats_counts_as_counts_and_rates_as_rates() -> None:
    from civiccc.cli.simulate import kpi_table, outcome_line

    r = simulate(load_scenario(CITY), seed=1)
    lines = kpi_table(r).splitlines()
    head = lines[0].split()
    for line in lines[1:]:
        cells = dict(zip(head, line.split(), strict=True))
        for col in ("offered", "answered", "callbacks", "cases", "sla_breaches"):
            assert cells[col].isdigit(), (col, cells[col])  # a count never reads "0.000"
        for col in ("abandonment", "service_level", "occupancy", "fcr"):
            assert cells[col] == "–" or len(cells[col].split(".")[1]) == 3, (col, cells[col])
    total = sum(int(part.rsplit(" ", 1)[1]) for part in outcome_line(r).split(": ")[1].split(", "))
    assert total == len(r.calls)


def test_auto_accepting_agents_give_the_records_of_an_instant_answer() -> None:
    """Scenario.mmc's agents auto-accept; ringing and answering at the same instant gives the
    same calls and agent intervals, event for event (only the engine round trip is saved)."""
    auto = Scenario.mmc(agents=3, calls_per_hour=40, handle=240, patience=120, hours=30)
    assert all(a == {"auto_accept": True} for a in auto.queues["agents"].values())
    queues = copy.deepcopy(dict(auto.queues))
    for a in queues["agents"].values():
        a["auto_accept"] = False
    rung = attrs.evolve(auto, queues=queues)
    a = simulate(auto, seed=4)
    b = simulate(rung, seed=4)
    assert a.calls == b.calls and a.agents == b.agents
    assert sum(1 for c in a.calls if c.outcome == "answered") > 500
    assert sum(1 for c in a.calls if c.outcome == "abandoned") > 10
    # with a pick-up delay only the rung agents are late: an auto-accepting one is not
    late = attrs.evolve(rung, answer_delay=5.0)
    late_auto = attrs.evolve(auto, answer_delay=5.0)
    waits = [c.answered - c.arrived for c in simulate(late, seed=4).calls if c.answered]
    assert min(waits) == pytest.approx(5.0)
    assert simulate(late_auto, seed=4).calls == a.calls
