"""Open311 GeoReport v2: projection (T25), GET requests limits (T26), import round trip."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cases_helpers import CATALOGUE, van, van_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cases import (
    CaseDesk,
    Catalogue,
    Contact,
    Location,
    Open311Error,
    import_requests,
    request_json,
    requests_json,
    service_definition_json,
    services_json,
    status_view,
)
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError


def _desk(now: dt.datetime | None = None) -> CaseDesk:
    now = now or van(2025, 6, 18, 9)
    return CaseDesk(
        Catalogue.from_dict(CATALOGUE), clock=VirtualClock(now), calendars={"van": van_calendar()}
    )


def test_t25_projection() -> None:
    """T25: waiting on the citizen is open; a merged duplicate is closed with a note."""
    desk = _desk()
    wait = desk.create(
        "pothole",
        by="c",
        at=van(2025, 6, 16, 9),
        location=Location(address="1 Main St", lat=48.43, lon=-123.37),
        reporter=Contact(name="Ann", phone="+12505550100", email="a@x.org"),
    )
    desk.fire(wait.id, "triage", by="clerk-jo", at=van(2025, 6, 16, 10))
    desk.fire(
        wait.id, "wait_citizen", by="clerk-jo", note="asked for photo", at=van(2025, 6, 16, 11)
    )
    master = desk.create("pothole", by="c", at=van(2025, 6, 16, 9))
    dup = desk.create("pothole", by="c", at=van(2025, 6, 17, 9))
    desk.merge(dup.id, master.id, by="clerk-jo", at=van(2025, 6, 17, 14, 5))
    w = request_json(desk, desk.get(wait.id))
    assert w["status"] == "open" and w["lat"] == 48.43 and w["long"] == -123.37
    assert w["requested_datetime"] == "2025-06-16T09:00:00-07:00"
    assert w["agency_responsible"] == "Roads and Streets"
    assert "expected_datetime" not in w  # paused at the due point: no promise
    d = request_json(desk, desk.get(dup.id))
    assert (d["status"], d["status_notes"], d["updated_datetime"]) == (
        "closed",
        "Duplicate request.",
        "2025-06-17T14:05:00-07:00",
    )
    assert (
        request_json(desk, desk.get(master.id))["expected_datetime"] == "2025-06-17T08:30:00-07:00"
    )
    text = json.dumps([w, d, status_view(desk, wait.id)])
    for private in ("Ann", "5550100", "a@x.org", "clerk-jo", "asked for photo"):
        assert private not in text


def test_t26_get_requests_limits() -> None:
    """T26: default last 90 days, at most 90 days span (400 with errors[]), filters."""
    desk = _desk(van(2025, 6, 18, 9))
    old = desk.create("pothole", by="c", at=van(2025, 1, 2, 9))
    recent = desk.create("pothole", by="c", at=van(2025, 6, 1, 9))
    waste = desk.create("missed_pickup", by="c", at=van(2025, 6, 2, 9))
    desk.fire(waste.id, "triage", by="c", at=van(2025, 6, 2, 10))
    desk.fire(waste.id, "resolve", by="c", at=van(2025, 6, 2, 11))
    ids = lambda rows: [r["service_request_id"] for r in rows]  # noqa: E731
    assert ids(requests_json(desk)) == [recent.id, waste.id]
    assert ids(requests_json(desk, status="closed")) == [waste.id]
    assert ids(requests_json(desk, service_code="pothole")) == [recent.id]
    assert ids(requests_json(desk, service_request_id=f"{old.id},nope")) == [old.id]
    assert ids(
        requests_json(
            desk, start_date="2025-01-01T00:00:00-08:00", end_date="2025-03-01T00:00:00-08:00"
        )
    ) == [old.id]
    with pytest.raises(Open311Error) as err:
        requests_json(desk, start_date="2025-01-01T00:00:00Z", end_date="2025-05-01T00:00:00Z")
    assert err.value.status == 400 and err.value.errors[0]["code"] == 400
    with pytest.raises(Open311Error, match="time zone"):
        requests_json(desk, start_date="2025-01-01T00:00:00")
    with pytest.raises(Open311Error, match="status"):
        requests_json(desk, status="pending")
    for i in range(1005):
        desk.create("info", by="c", at=van(2025, 6, 3, 9) + dt.timedelta(minutes=i))
    assert len(requests_json(desk)) == 1000


def test_services_and_definition() -> None:
    """Service list and definition in GeoReport v2 shape."""
    cat = Catalogue.from_dict(CATALOGUE)
    rows = services_json(cat)
    assert [r["service_code"] for r in rows] == ["info", "missed_pickup", "pothole"]
    assert rows[2]["metadata"] is True and rows[2]["type"] == "realtime"
    attrs = service_definition_json(cat, "pothole")["attributes"]
    assert attrs[0]["code"] == "size" and attrs[0]["order"] == 1
    assert attrs[0]["values"] == [
        {"key": "small", "name": "small"},
        {"key": "large", "name": "large"},
    ]


def test_round_trip() -> None:
    """Export, import into a second desk, export again: identical requests."""
    a = _desk()
    c1 = a.create(
        "pothole",
        by="c",
        at=van(2025, 6, 16, 9),
        description="deep",
        location=Location(address="1 Main St", lat=48.43, lon=-123.37),
    )
    c2 = a.create(
        "missed_pickup", by="c", at=van(2025, 6, 16, 10), location=Location(address="2 Oak")
    )
    a.fire(c2.id, "triage", by="c", at=van(2025, 6, 16, 11))
    a.fire(c2.id, "resolve", by="c", note="collected", at=van(2025, 6, 16, 12))
    exported = requests_json(a)
    b = _desk()
    imported = import_requests(b, json.loads(json.dumps(exported)), by="import")
    assert [c.id for c in imported] == [c1.id, c2.id]
    again = requests_json(b)
    assert again == exported


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"lat": 1, "long": 1, "requested_datetime": "2025-06-16T09:00:00Z"}, "service_code"),
        ({"service_code": "nope", "lat": 1, "long": 1}, "unknown service"),
        (
            {"service_code": "info", "requested_datetime": "2025-06-16T09:00:00Z"},
            "lat/long or an address",
        ),
        ({"service_code": "info", "lat": "x", "long": 1}, "numbers"),
        ({"service_code": "info", "lat": 91, "long": 1}, "out of range"),
        ({"service_code": "info", "lat": 1, "long": 1, "requested_datetime": "yesterday"}, "W3C"),
        (
            {
                "service_code": "info",
                "lat": 1,
                "long": 1,
                "status": "maybe",
                "requested_datetime": "2025-06-16T09:00:00Z",
            },
            "open or closed",
        ),
    ],
)
def test_import_bad_input(bad: dict[str, Any], match: str) -> None:
    """Bad requests are refused with the request index in the path; nothing is imported."""
    desk = _desk()
    good = {
        "service_code": "info",
        "lat": 1,
        "long": 1,
        "requested_datetime": "2025-06-16T09:00:00Z",
    }
    with pytest.raises(ConfigError, match=match) as err:
        import_requests(desk, [good, bad], by="import")
    assert (err.value.path or "").startswith("requests[1]")
    assert desk.open_cases() == []


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "lat",
                "long",
                "address",
                "status",
                "requested_datetime",
                "description",
            ]
        ),
        st.one_of(st.none(), st.text(max_size=8), st.integers(), st.floats()),
    )
)
def test_import_fuzz(raw: dict[str, Any]) -> None:
    """Arbitrary requests either import or raise ConfigError, never anything else."""
    desk = _desk()
    try:
        import_requests(desk, [raw], by="fuzz")
    except ConfigError:
        assert desk.open_cases() == []
