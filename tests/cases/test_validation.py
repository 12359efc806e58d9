"""Bad input to the cases domain is refused with a located error, and changes nothing.

Catalogue: unknown keys anywhere, non-boolean flags, a default priority without SLA entry,
malformed attribute values. Desk: an actor (``by``) on every change, tags as lists, links as
(kind, ref) pairs, coordinates in range, events never dated before the case's last change
(in every store: the refused event leaves the stored case and audit as they were).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cases_helpers import CATALOGUE, T0, replaced, van_calendar
from cases_helpers import desk as _desk
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc._documents import read_document
from civiccc.cases import (
    CLOCK_KINDS,
    PRIORITIES,
    CaseDesk,
    Catalogue,
    Location,
    SqliteStore,
    Store,
    import_requests,
    open_store,
)
from civiccc.cli.cases import cases as cases_cli
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cases" / "services.yaml"
SCENARIO_CATALOGUE = ROOT / "examples" / "scenarios" / "city_services.yaml"
CALENDARS = ROOT / "examples" / "calendars" / "city_hall.yaml"


# ---------------------------------------------------------------------- catalogue: unknown keys


def _mappings(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping of a document with its error path; the departments mapping itself is
    left out (its keys are department ids, not field names)."""
    if isinstance(node, dict):
        if path != "departments":
            yield path, node
        for k, v in node.items():
            yield from _mappings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _mappings(v, f"{path}[{i}]")


_EXAMPLE_DATA = read_document(EXAMPLE)
_PLACES = list(_mappings(_EXAMPLE_DATA))
#: every name that is a field, priority or clock kind somewhere in a catalogue
_KNOWN = {
    *PRIORITIES,
    *CLOCK_KINDS,
    *(k for _, m in _PLACES for k in m),
    "after",
    "business",
    "id",
    "timezone",
    "name",
    "calendar",
}


def test_example_catalogue_has_places_at_every_level() -> None:
    """The property below inserts keys at top level, jurisdiction, defaults, departments,
    services, attributes, attribute values, sla, per-priority targets and target mappings."""
    places = {p for p, _ in _PLACES}
    for expected in (
        "",
        "jurisdiction",
        "defaults",
        "defaults.pause_in",
        "departments.public_works",
        "services[0]",
        "services[0].attributes[0]",
        "services[0].attributes[0].values[0]",
        "services[0].sla",
        "services[0].sla.normal",
        "services[0].sla.urgent.resolution",
    ):
        assert expected in places


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    place=st.sampled_from(range(len(_PLACES))),
    key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
        lambda k: k not in _KNOWN
    ),
    value=st.one_of(st.none(), st.integers(), st.text(max_size=4), st.booleans()),
)
def test_unknown_key_anywhere_is_refused_with_its_path(place: int, key: str, value: Any) -> None:
    """A key inserted into any mapping of the example catalogue is refused; the error's path
    is the path of that key and names the file."""
    path, _ = _PLACES[place]
    data = copy.deepcopy(_EXAMPLE_DATA)
    target = dict(_mappings(data))[path]
    target[key] = value
    with pytest.raises(ConfigError) as err:
        Catalogue.from_dict(data, file="services.yaml")
    assert err.value.path == (f"{path}.{key}" if path else key)
    assert err.value.file == "services.yaml"
    assert "unknown" in err.value.message


@pytest.mark.parametrize(
    ("path", "value", "where", "match"),
    [
        (["departments", "roads", "calender"], "van", "departments.roads.calender", "unknown keys"),
        (["jurisdiction", "zone"], "x", "jurisdiction.zone", "unknown keys"),
        (["defaults"], {"warn": [0.5]}, "defaults.warn", "unknown keys"),
        (["defaults"], {"reopen": "forget"}, "defaults.reopen", "resume, restart"),
        (["defaults"], {"warn_at": [2]}, "defaults.warn_at", "fractions"),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "requird": True}],
            "services[0].attributes[0].requird",
            "unknown keys",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "required": "no"}],
            "services[0].attributes[0].required",
            "true or false",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "singlevaluelist", "values": [{"name": "x"}]}],
            "services[0].attributes[0].values[0].key",
            "value key",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "singlevaluelist", "values": [{"key": "a", "nme": "A"}]}],
            "services[0].attributes[0].values[0].nme",
            "unknown keys",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "singlevaluelist", "values": ["a", "a"]}],
            "services[0].attributes[0].values[1]",
            "duplicate value",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "singlevaluelist", "values": "a, b"}],
            "services[0].attributes[0].values",
            "must be a list",
        ),
        (["services", 0, "attributes"], "size", "services[0].attributes", "must be a list"),
        (["services", 0, "pause_in"], {"resolution": 5}, "services[0].pause_in.resolution", "list"),
        (
            ["services", 0, "pause_in"],
            {"resolution": "waiting_on_citizen"},
            "services[0].pause_in.resolution",
            "list",
        ),
        (["services", 0, "keywords"], 5, "services[0].keywords", "keywords"),
        (["services", 0, "keywords"], ["road", 5], "services[0].keywords", "keywords"),
        (["services", 0, "description"], 5, "services[0].description", "string"),
        (["services", 0, "warn_at"], "0.5", "services[0].warn_at", "fractions"),
        (["services", 1, "default_priority"], "high", "services[1].default_priority", None),
        (["services", 2, "default_priority"], "high", "services[2].default_priority", None),
    ],
)
def test_bad_catalogue_fields(path: list[Any], value: Any, where: str, match: str | None) -> None:
    """Each refusal names the field (and the file)."""
    with pytest.raises(ConfigError, match=match or "has no SLA entry") as err:
        Catalogue.from_dict(replaced(CATALOGUE, path, value), file="city.yaml")
    assert (err.value.path, err.value.file) == (where, "city.yaml")


def test_default_priority_rule() -> None:
    """A service whose SLA defines its default priority loads; a service with no SLA at all
    loads too (its cases have no clocks); the error says which priorities the SLA defines."""
    data = replaced(CATALOGUE, ["services", 1, "default_priority"], "urgent")
    with pytest.raises(ConfigError, match=r"'urgent' has no SLA entry \(sla defines: normal\)"):
        Catalogue.from_dict(
            replaced(data, ["services", 1, "sla"], {"normal": {"resolution": "8h"}})
        )
    ok = Catalogue.from_dict(
        replaced(data, ["services", 1, "sla"], {"urgent": {"resolution": "4h"}})
    )
    assert ok.service("missed_pickup").targets_for("urgent")["resolution"].seconds == 14400
    no_sla = replaced(
        CATALOGUE, ["services", 2], {"code": "info", "name": "I", "department": "hotline"}
    )
    desk = CaseDesk(
        Catalogue.from_dict(no_sla), clock=VirtualClock(T0), calendars={"van": van_calendar()}
    )
    assert desk.create("info", by="clerk").clocks == {}


def test_required_accepts_real_booleans_only() -> None:
    """``required: true``/``false`` are read as such; strings like "no" are refused."""
    attr = {"code": "x", "datatype": "string", "required": False}
    cat = Catalogue.from_dict(replaced(CATALOGUE, ["services", 0, "attributes"], [attr]))
    assert cat.service("pothole").attributes[0].required is False
    for bad in ("no", "false", 0, 1, None):
        with pytest.raises(ConfigError, match="true or false"):
            Catalogue.from_dict(
                replaced(CATALOGUE, ["services", 0, "attributes"], [{**attr, "required": bad}])
            )


@pytest.mark.parametrize("path", [EXAMPLE, SCENARIO_CATALOGUE])
def test_shipped_catalogues_still_load(path: Path) -> None:
    """The example catalogue and the scenario's catalogue pass the stricter checks."""
    assert Catalogue.load(path).services


# ---------------------------------------------------------------------- desk: actors and input


def _snapshot(store: Store, case_id: str) -> tuple[Any, ...]:
    case = store.get(case_id)
    return case.to_dict(), [a.to_dict() for a in case.audit], case.version


_EVENTS: dict[str, Callable[..., Any]] = {
    "fire": lambda d, cid, **kw: d.fire(cid, "triage", **kw),
    "assign": lambda d, cid, **kw: d.assign(cid, assignee="crew-1", **kw),
    "set_priority": lambda d, cid, **kw: d.set_priority(cid, "urgent", **kw),
    "tag": lambda d, cid, **kw: d.tag(cid, "storm", **kw),
    "link": lambda d, cid, **kw: d.link(cid, "call", "CALL-9", **kw),
    "attach": lambda d, cid, **kw: d.attach(cid, "s3://x.jpg", **kw),
    "message": lambda d, cid, **kw: d.message(cid, from_citizen=True, text="hi", **kw),
}


@pytest.mark.parametrize("by", [None, "", "  ", 5])
def test_by_is_required_in_every_store(store: Store, by: Any) -> None:
    """A missing actor is a ConfigError from the desk, before any store is touched: nothing is
    created, no case number is used, and an existing case keeps its audit trail."""
    desk = _desk(store)
    with pytest.raises(ConfigError, match="'by'") as err:
        desk.create("info", by=by)
    assert err.value.path == "by"
    assert store.query() == []
    case = desk.create("info", by="clerk")
    assert case.id == "SR-1"
    before = _snapshot(store, case.id)
    for name, op in _EVENTS.items():
        with pytest.raises(ConfigError, match="'by'"):
            op(desk, case.id, by=by)
        assert _snapshot(store, case.id) == before, name
    other = desk.create("info", by="clerk")
    with pytest.raises(ConfigError, match="'by'"):
        desk.merge(other.id, case.id, by=by)
    with pytest.raises(ConfigError, match="'by'"):
        desk.declare_emergency(T0, T0 + dt.timedelta(hours=1), reason="x", by=by, tags=["t"])
    with pytest.raises(ConfigError, match="'by'"):
        import_requests(desk, [], by=by)
    assert _snapshot(store, case.id) == before
    assert desk.suspensions == ()


def test_tags_links_and_location_checked() -> None:
    """tags are a list of strings (a bare string is not split into letters), links are
    (kind, ref) pairs, coordinates are finite and in range, latitude with longitude."""
    desk = _desk()
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"tags": "storm"}, "tags", "list of strings"),
        ({"tags": ["storm", 5]}, "tags[1]", "non-empty strings"),
        ({"tags": [""]}, "tags[0]", "non-empty strings"),
        ({"links": ["call"]}, "links[0]", r"\(kind, ref\) pair"),
        ({"links": [("call", "C-1", "x")]}, "links[0]", r"\(kind, ref\) pair"),
        ({"links": [("call", None)]}, "links[0]", r"\(kind, ref\) pair"),
        ({"links": "call"}, "links", r"\(kind, ref\) pairs"),
        ({"location": Location(lat=999, lon=-999)}, "location.lat", "out of range"),
        ({"location": Location(lat=49.0, lon=-181.0)}, "location.lon", "out of range"),
        ({"location": Location(lat=math.nan, lon=0.0)}, "location.lat", "out of range"),
        ({"location": Location(lat=0.0, lon=math.inf)}, "location.lon", "out of range"),
        ({"location": Location(lat=49.0)}, "location.lon", "both latitude and longitude"),
        ({"location": Location(lat=True, lon=0.0)}, "location.lat", "must be a number"),
        ({"location": "1 Main St"}, "location", "must be a Location"),
    ]
    for kw, where, match in bad:
        with pytest.raises(ConfigError, match=match) as err:
            desk.create("info", by="clerk", **kw)
        assert err.value.path == where, kw
    assert desk.store.query() == []
    case = desk.create(
        "info",
        by="clerk",
        tags=("storm", "ward-3"),
        links=[("call", "C-1")],
        location=Location(lat=-90.0, lon=180.0),
    )
    assert case.tags == ["storm", "ward-3"] and case.links[0].ref == "C-1"
    with pytest.raises(ConfigError, match="non-empty strings"):
        desk.tag(case.id, "ok", 5, by="clerk")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="list of strings"):
        desk.declare_emergency(T0, T0 + dt.timedelta(hours=1), reason="x", by="y", tags="storm")
    assert [a.action for a in desk.get(case.id).audit] == ["created"]


def test_import_checks_coordinates_with_the_same_rule() -> None:
    """import_requests and create share one coordinate rule (NaN refused too)."""
    desk = _desk()
    base = {"service_code": "info", "requested_datetime": "2025-06-16T09:00:00Z"}
    for lat, lon, where in [("nan", 1, "lat"), (1, "inf", "long"), (1, None, "long")]:
        with pytest.raises(ConfigError, match=r"latitude|longitude") as err:
            import_requests(desk, [{**base, "lat": lat, "long": lon}], by="import")
        assert err.value.path == f"requests[0].{where}"
    assert desk.store.query() == []


# ---------------------------------------------------------------------- desk: time order


@pytest.mark.parametrize("name", sorted(_EVENTS))
def test_event_before_creation_refused_in_every_store(store: Store, name: str) -> None:
    """An event dated before the case was created is refused, naming the case and both times;
    the stored case and its audit trail are exactly as they were (re-read from the store)."""
    desk = _desk(store)
    case = desk.create("pothole", by="clerk", at=T0)
    before = _snapshot(store, case.id)
    with pytest.raises(ConfigError) as err:
        _EVENTS[name](desk, case.id, by="clerk", at=T0 - dt.timedelta(days=10))
    msg = str(err.value)
    assert case.id in msg and "creation" in msg
    assert "2025-06-06T16:00:00+00:00" in msg and "2025-06-16T16:00:00+00:00" in msg
    assert err.value.path == "at" and err.value.node == case.id
    assert _snapshot(store, case.id) == before
    assert desk.get(case.id).to_dict() == before[0]
    again = CaseDesk(
        desk.catalogue, clock=VirtualClock(T0), calendars=desk.calendars, store=store
    )  # a second desk on the same store sees the same
    assert again.get(case.id).to_dict() == before[0]


def test_event_before_last_change_refused_then_later_ones_work(store: Store) -> None:
    """After a change at T, an event dated between creation and T is refused; one at T (same
    instant) or later is applied. The clock's own time is checked too (no ``at``)."""
    desk = _desk(store)
    case = desk.create("pothole", by="clerk", at=T0)
    desk.fire(case.id, "triage", by="clerk", at=T0 + dt.timedelta(hours=3))
    before = _snapshot(store, case.id)
    with pytest.raises(ConfigError, match="last recorded change") as err:
        desk.fire(case.id, "assign", by="clerk", at=T0 + dt.timedelta(hours=1))
    assert "2025-06-16T17:00:00+00:00" in str(err.value)  # the refused time
    assert "2025-06-16T19:00:00+00:00" in str(err.value)  # the last change
    with pytest.raises(ConfigError, match="last recorded change"):
        desk.fire(case.id, "assign", by="clerk")  # the clock still says T0
    assert _snapshot(store, case.id) == before
    desk.fire(case.id, "assign", by="clerk", at=T0 + dt.timedelta(hours=3))
    desk.fire(case.id, "start", by="clerk", at=T0 + dt.timedelta(hours=4))
    assert [a.action for a in store.get(case.id).audit] == ["created", "triage", "assign", "start"]


def test_refused_event_unchanged_on_disk(tmp_path: Path) -> None:
    """SQLite: a refused event leaves the file's case and audit rows as they were."""
    db = tmp_path / "cases.db"
    store = SqliteStore(db)
    desk = _desk(store)
    case = desk.create("pothole", by="clerk", at=T0)
    desk.fire(case.id, "triage", by="clerk", at=T0 + dt.timedelta(hours=1))
    before = _snapshot(store, case.id)
    with pytest.raises(ConfigError):
        desk.fire(case.id, "resolve", by="clerk", at=T0)
    with pytest.raises(ConfigError):
        desk.fire(case.id, "assign", by=None)  # type: ignore[arg-type]
    store.close()
    reopened = SqliteStore(db)
    try:
        assert _snapshot(reopened, case.id) == before
    finally:
        reopened.close()


def test_merge_checks_both_cases_before_changing_either(store: Store) -> None:
    """A merge dated before the master's last change changes neither case."""
    desk = _desk(store)
    master = desk.create("pothole", by="clerk", at=T0)
    dup = desk.create("pothole", by="clerk", at=T0)
    desk.fire(master.id, "triage", by="clerk", at=T0 + dt.timedelta(hours=2))
    snaps = {c: _snapshot(store, c) for c in (master.id, dup.id)}
    with pytest.raises(ConfigError, match=master.id):
        desk.merge(dup.id, master.id, by="clerk", at=T0 + dt.timedelta(hours=1))
    assert {c: _snapshot(store, c) for c in snaps} == snaps
    desk.merge(dup.id, master.id, by="clerk", at=T0 + dt.timedelta(hours=2))
    assert store.get(dup.id).master_id == master.id


def test_import_updated_before_requested_refused() -> None:
    """A closed request updated before it was requested is refused, nothing is imported."""
    desk = _desk()
    good = {"service_code": "info", "lat": 1, "long": 1, "requested_datetime": "2025-06-16T09:00Z"}
    bad = {
        **good,
        "service_request_id": "X-7",
        "status": "closed",
        "updated_datetime": "2025-06-15T09:00Z",
    }
    with pytest.raises(ConfigError, match="before requested_datetime") as err:
        import_requests(desk, [good, bad], by="import")
    assert err.value.path == "requests[1].updated_datetime"
    assert "'X-7'" in str(err.value) and "2025-06-15T09:00:00+00:00" in str(err.value)
    assert desk.store.query() == []
    same = {**bad, "updated_datetime": "2025-06-16T09:00Z"}
    assert import_requests(desk, [same], by="import")[0].state.value == "resolved"


# ---------------------------------------------------------------------- due, open_store, CLI


def test_due_of_a_missing_clock_raises_like_explain() -> None:
    """due() and explain() agree: a clock the case does not have is a NotFoundError."""
    desk = _desk()
    case = desk.create("pothole", by="clerk", at=T0)
    for kind in ("bogus", "next_reply"):  # next_reply starts with a citizen's message
        with pytest.raises(NotFoundError, match=f"no '{kind}' clock"):
            desk.due(case.id, kind)
        with pytest.raises(NotFoundError, match=f"no '{kind}' clock"):
            desk.explain(case.id, kind)
    assert desk.due(case.id, "resolution") is not None
    desk.message(case.id, from_citizen=True, by="resident", at=T0)
    assert desk.due(case.id, "next_reply") is not None


def test_open_store_refuses_empty_and_unknown_schemes(tmp_path: Path) -> None:
    """'' is not a store; an unknown scheme is named, with the supported ones."""
    with pytest.raises(ConfigError, match="non-empty") as err:
        open_store("")
    assert err.value.path == "store"
    with pytest.raises(ConfigError, match="unknown scheme 'mysql'") as err:
        open_store("mysql://db.example/cases")
    assert "sqlite:///" in str(err.value) and "postgresql://" in str(err.value)
    assert isinstance(open_store("sqlite://"), SqliteStore)  # in-memory SQLite
    s = open_store(tmp_path / "x.db")
    assert isinstance(s, SqliteStore)
    s.close()


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T09:00-07:00",
        "9999-12-31T23:00-07:00",
        "9999-12-20T09:00+00:00",
        "0001-01-01T09:00+00:00",
        "0001-01-01T09:00+05:00",
    ],
)
def test_cli_due_out_of_range_is_a_clean_error(at: str) -> None:
    """An opening instant outside the calendars' years is a usage error naming --at."""
    args = ["due", str(EXAMPLE), "--calendars", str(CALENDARS), "--service", "pothole"]
    result = CliRunner().invoke(cases_cli, [*args, "--attr", "size=large", "--at", at])
    assert result.exit_code == 2, result.output
    assert "--at" in result.output and at in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError)
