"""The simulator's fast paths give exactly what the plain ones give (so a seed keeps its run)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from civiccc.sim import CallRow, Dist, load_scenario
from civiccc.sim._model import _batched, _sampler, _Sim
from civiccc.sim._records import agent_rows, call_row

CITY = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "city_week.yaml"


@pytest.mark.parametrize(
    "dist",
    [
        Dist(mean=60.0),
        Dist(mean=math.inf),
        Dist(kind="fixed", mean=5.0),
        Dist(kind="uniform", mean=5.0, low=1.0, high=9.0),
        Dist(kind="lognormal", mean=100.0, sd=50.0),
    ],
)
def test_batched_draws_are_the_one_at_a_time_draws(dist: Dist) -> None:
    batched = _batched(dist, random.Random(3))
    plain = _sampler(dist, random.Random(3))
    assert [batched() for _ in range(700)] == [plain() for _ in range(700)]


def test_callers_are_randrange_draws() -> None:
    sc = load_scenario(CITY)
    sim = _Sim(sc, 9)
    rng = random.Random()
    rng.setstate(sim.rng["callers"].getstate())
    for _ in range(500):
        expect = (
            None
            if rng.random() < sc.anonymous_share
            else f"+1604{5000000 + rng.randrange(sc.caller_pool):07d}"
        )
        assert sim._caller() == expect


@pytest.mark.parametrize("announced", [None, 42.5])
def test_rows_equal_attrs_rows(announced: float | None) -> None:
    rec = [7, "+1", 1.5, "q", "queue", "abandoned", None, 9.0, None, 1, True, False, "1-2",
           announced]  # fmt: skip
    row = call_row(rec)
    names = [f.name for f in attrs.fields(CallRow)]
    same = CallRow(**dict(zip(names, rec, strict=True)))
    assert row == same and hash(row) == hash(same) and repr(row) == repr(same)
    assert attrs.evolve(row, call=8).call == 8
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        row.call = 3  # type: ignore[misc]
    (a,) = agent_rows([("a", "ready", 0.0, 5.0)])
    assert (a.agent, a.status, a.start, a.end) == ("a", "ready", 0.0, 5.0)


def test_keys_as_a_string_route_like_the_key_sequence() -> None:
    # the simulator passes single keys as a string (the flow's memoised path) and drops a
    # trailing "" (no input = running out of input); the decision must be the same
    sc = load_scenario(CITY)
    flow = _Sim(sc, 1).flow
    rng = random.Random(5)
    keys = "0123#"
    t0 = sc.start.timestamp()
    for _ in range(300):
        at = datetime.fromtimestamp(t0 + rng.uniform(0, 7 * 86400), UTC)
        caller = None if rng.random() < 0.1 else f"+1604{5000000 + rng.randrange(50):07d}"
        pressed = [rng.choice(keys) for _ in range(rng.randrange(4))]
        as_list = flow.route(caller, at, [*pressed, ""])
        as_str = flow.route(caller, at, "".join(pressed))
        assert (as_str.target, as_str.kind, as_str.priority, as_str.path) == (
            as_list.target,
            as_list.kind,
            as_list.priority,
            as_list.path,
        )
