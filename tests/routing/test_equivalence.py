"""The compiled engine returns exactly what the plain networkx walk returns (hypothesis)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from routing_strategies import calls, flows, outcome

from civiccc.errors import ConfigError
from civiccc.routing import Flow, load_flow, reference_walk

AT = datetime(2025, 6, 2, 17, 30, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def session_outcome(flow: Flow, caller: str | None, inputs: str | Sequence[str]) -> tuple[Any, ...]:
    """Feed a session the same inputs, then time out until it is routed."""
    try:
        s = flow.start(caller, AT)
        for item in inputs:
            if s.done:
                break
            if item == "":
                s.timeout()
            elif len(item) == 1 and item in "0123456789*#":
                s.press(item)
            else:
                s.say(item)
        for _ in range(60):
            if s.done:
                break
            s.timeout()
        if not s.done:
            return ("looping",)
        d = s.decision
        assert d is not None
    except ConfigError as exc:
        return ("error", str(exc), exc.node, exc.path)
    return ("ok", d.target, d.kind, d.priority, dict(d.variables), d.path, d.trace)


@SETTINGS
@given(flows(), st.lists(calls, min_size=1, max_size=4))
def test_compiled_equals_reference_on_generated_flows(doc: dict, batch: list) -> None:
    """Compiled routing and the networkx walk agree on decisions, paths, traces and errors."""
    flow = load_flow(doc)
    for caller, inputs in batch:
        ref = outcome(lambda c=caller, i=inputs: reference_walk(flow, c, AT, i))
        got = outcome(lambda c=caller, i=inputs: flow.route(c, AT, i))
        assert got == ref
        # a second time, from the warm memos
        assert outcome(lambda c=caller, i=inputs: flow.route(c, AT, i)) == ref


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows(), calls)
def test_session_ends_like_route(doc: dict, call: tuple) -> None:
    """A session fed the same inputs (then timeouts) ends with route()'s decision."""
    flow = load_flow(doc)
    caller, inputs = call
    got = session_outcome(flow, caller, inputs)
    ref = outcome(lambda: flow.route(caller, AT, inputs))
    if got == ("looping",):
        assert ref[0] == "error"
    elif got[0] == "ok" and ref[0] == "ok":
        # the session's inputs may be longer (timeouts): route() times out the same way
        assert got[1:6] == ref[1:6]
    else:
        assert got[0] == ref[0] == "error"


ZONES = ["UTC", "America/Vancouver", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1960, 1, 1), max_value=datetime(2040, 12, 31), allow_imaginary=True
    ),
    st.sampled_from(ZONES),
    st.sampled_from([0, 1]),
)
def test_epoch_seconds_is_exactly_timestamp(naive: datetime, zone: str, fold: int) -> None:
    """The memoised epoch conversion equals datetime.timestamp(), across DST gaps and folds."""
    from zoneinfo import ZoneInfo

    from civiccc.routing._compile import epoch_seconds

    at = naive.replace(tzinfo=ZoneInfo(zone), fold=fold)
    assert epoch_seconds(at) == at.timestamp()
    assert epoch_seconds(at) == at.timestamp()  # from the memo


@pytest.mark.parametrize("zone", [*ZONES, "America/Santiago", "America/St_Johns"])
def test_epoch_seconds_around_every_2025_transition(zone: str) -> None:
    """Every quarter hour of the DST seasons of 2025, both folds: exactly timestamp()."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from civiccc.routing._compile import epoch_seconds

    tz = ZoneInfo(zone)
    for start, days in ((datetime(2025, 3, 1), 60), (datetime(2025, 9, 1), 75)):
        for k in range(days * 96):
            naive = start + timedelta(minutes=15 * k, seconds=k % 7, microseconds=k % 997)
            for fold in (0, 1):
                at = naive.replace(tzinfo=tz, fold=fold)
                assert epoch_seconds(at) == at.timestamp(), at
