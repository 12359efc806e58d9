"""The stored case document is written field by field; it must be byte for byte what
``json`` makes of ``Case.to_dict()`` (hypothesis over odd values: empty, non-ASCII, NaN)."""

from __future__ import annotations

import datetime as dt
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cases import Attachment, CaseState, Contact, Link, Location
from civiccc.cases._model import Case, ClockRecord
from civiccc.cases._stores import _ENCODE, _doc

texts = st.text(max_size=6)  # includes "", non-ASCII, quotes, control characters
opt_texts = st.none() | texts
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e300])
numbers = floats | st.integers(-(10**20), 10**20)
stamps = st.floats(-1e10, 4e9).map(lambda t: dt.datetime.fromtimestamp(t, dt.UTC))
pauses = st.lists(
    st.lists(st.none() | numbers, min_size=1, max_size=3)
    | st.tuples(numbers, st.none() | numbers).map(list),
    max_size=3,
)
clocks = st.builds(
    ClockRecord,
    kind=texts,
    seconds=numbers,
    business=st.booleans(),
    start=numbers,
    pauses=pauses,
    stop=st.none() | numbers,
    cancelled=st.booleans(),
    breached_at=st.none() | numbers,
    fired=st.lists(numbers, max_size=3),
    note=texts,
)
cases = st.builds(
    Case,
    id=texts,
    service_code=texts,
    department=texts,
    priority=texts,
    state=st.sampled_from(CaseState),
    created_at=stamps,
    updated_at=stamps,
    description=texts,
    channel=texts,
    location=st.none() | st.builds(Location, address=opt_texts, lat=st.none() | floats),
    attributes=st.dictionaries(texts, st.none() | texts | numbers, max_size=2),
    tags=st.lists(texts, max_size=2),
    links=st.lists(st.builds(Link, kind=texts, ref=texts, at=stamps, note=texts), max_size=2),
    attachments=st.lists(st.builds(Attachment, ref=texts, name=texts), max_size=1),
    reporter=st.none() | st.builds(Contact, name=opt_texts, email=opt_texts),
    followers=st.lists(st.builds(Contact, phone=opt_texts), max_size=1),
    assignee=opt_texts,
    team=opt_texts,
    master_id=opt_texts,
    duplicate_ids=st.lists(texts, max_size=2),
    status_notes=texts,
    resolved_at=st.none() | stamps,
    closed_at=st.none() | stamps,
    clocks=st.dictionaries(texts, clocks, max_size=3),
    clock_history=st.lists(clocks, max_size=2),
    unanswered_since=st.none() | floats,
)


@settings(max_examples=150, deadline=None)
@given(case=cases)
def test_doc_is_json_of_to_dict(case: Case) -> None:
    """Same bytes as the generic encoder, whatever the values."""
    assert _doc(case) == _ENCODE(case.to_dict())


@settings(max_examples=40, deadline=None)
@given(case=cases)
def test_doc_round_trips(case: Case) -> None:
    """What is stored reads back as the same case (finite numbers)."""
    case.id, case.service_code, case.department, case.priority = "SR-1", "s", "d", "normal"
    for c in (*case.clocks.values(), *case.clock_history):
        c.seconds = c.start = 1.0
        c.pauses, c.fired, c.stop, c.breached_at = [[2.0, None]], [0.5], None, None
    if case.unanswered_since is not None and not math.isfinite(case.unanswered_since):
        case.unanswered_since = None
    case.location = None
    case.attributes = {}
    back = Case.from_dict(json.loads(_doc(case)), [], 1)
    assert back.to_dict() == case.to_dict()


def test_doc_falls_back_for_odd_types() -> None:
    """A value of an unexpected type takes the generic path (same output as before)."""
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    case = Case(
        id="SR-1",
        service_code="x",
        department="d",
        priority="normal",
        state=CaseState.NEW,
        created_at=t,
        updated_at=t,
    )
    case.clocks[1] = ClockRecord(kind="resolution", seconds=60, start=0)  # type: ignore[index]
    assert _doc(case) == _ENCODE(case.to_dict())
    case.id = 7  # type: ignore[assignment]
    assert _doc(case) == _ENCODE(case.to_dict())
