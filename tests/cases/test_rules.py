"""Assignment and escalation rules: every field is checked when a rule is built.

A rule with a number where a team or service is expected, an unknown ``on`` or ``clock``, a
boolean where a number is expected, a NaN/infinite/out-of-range area, an empty name, or a bare
string where a list is expected is a located ``ConfigError`` (path: the field, node: the rule)
from the rule's constructor (also through ``attrs.evolve``); ``CaseDesk`` refuses objects that
are not rules, two rules of one name in a list, and rules naming services or departments the
catalogue does not have, before it reads or writes its store. Nothing invalid reaches a stored case.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import pytest
from cases_helpers import T0
from cases_helpers import desk as _desk
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from civiccc.cases import (
    CLOCK_KINDS,
    AssignmentRule,
    Escalated,
    EscalationRule,
    Location,
    SqliteStore,
    Store,
)
from civiccc.errors import ConfigError

ASSIGN: dict[str, Any] = {
    "name": "downtown",
    "team": "roads-north",
    "assignee": "crew-1",
    "services": frozenset({"pothole"}),
    "departments": frozenset({"roads"}),
    "tags": frozenset({"storm"}),
    "area": (48.42, -123.38, 48.44, -123.35),
    "address_contains": "Douglas",
}
ESCALATE: dict[str, Any] = {
    "name": "late",
    "on": "breach",
    "clock": "resolution",
    "services": frozenset({"pothole"}),
    "departments": frozenset({"roads"}),
    "tags": frozenset(),
    "raise_priority": True,
    "reassign_team": "roads-supervisors",
    "reassign_to": "sup-1",
    "notify": ("roads-manager",),
}


# ---------------------------------------------------------------------- each field, one by one

_BAD_ASSIGN: list[tuple[str, Any, str, str]] = [
    ("name", "", "name", "non-empty string"),
    ("name", None, "name", "non-empty string"),
    ("name", 7, "name", "non-empty string"),
    ("team", 12, "team", "non-empty string"),
    ("team", "", "team", "non-empty string"),
    ("assignee", True, "assignee", "non-empty string"),
    ("services", "pothole", "services", "list of strings"),
    ("services", [3], "services[0]", "non-empty strings"),
    ("departments", 5, "departments", "list of strings"),
    ("departments", ["roads", ""], "departments[1]", "non-empty strings"),
    ("tags", "storm", "tags", "list of strings"),
    ("tags", [None], "tags[0]", "non-empty strings"),
    ("area", "48.42,-123.38,48.44,-123.35", "area", "four numbers"),
    ("area", (48.42, -123.38, 48.44), "area", "four numbers"),
    ("area", {"south": 48.0}, "area", "four numbers"),
    ("area", (None, None, None, None), "area", "four numbers"),
    ("area", (math.nan, -123.38, 48.44, -123.35), "area[0]", "out of range"),
    ("area", (48.42, -math.inf, 48.44, -123.35), "area[1]", "out of range"),
    ("area", (48.42, -123.38, 91, -123.35), "area[2]", "out of range"),
    ("area", (48.42, -123.38, 48.44, 180.5), "area[3]", "out of range"),
    ("area", (True, -123.38, 48.44, -123.35), "area[0]", "must be a number"),
    ("area", ("48.42", -123.38, 48.44, -123.35), "area[0]", "must be a number"),
    ("area", (48.44, -123.38, 48.42, -123.35), "area", "south <= north"),
    ("area", (48.42, -123.35, 48.44, -123.38), "area", "west <= east"),
    ("address_contains", "", "address_contains", "non-empty string"),
    ("address_contains", 1200, "address_contains", "non-empty string"),
]


@pytest.mark.parametrize(("field", "value", "where", "match"), _BAD_ASSIGN)
def test_bad_assignment_rule_field(field: str, value: Any, where: str, match: str) -> None:
    """Each bad field is a ConfigError at the field, naming the rule (once it has a name)."""
    with pytest.raises(ConfigError, match=match) as err:
        AssignmentRule(**{**ASSIGN, field: value})
    assert err.value.path == where
    assert err.value.node == (None if field == "name" else "downtown")
    with pytest.raises(ConfigError, match=match):
        attrs.evolve(AssignmentRule(**ASSIGN), **{field: value})


_BAD_ESCALATE: list[tuple[str, Any, str, str]] = [
    ("name", "", "name", "non-empty string"),
    ("name", ["late"], "name", "non-empty string"),
    ("on", "never", "on", "warning or breach"),
    ("on", 1, "on", "warning or breach"),
    ("on", ["breach"], "on", "warning or breach"),
    ("on", "", "on", "warning or breach"),
    ("clock", "resolve", "clock", "unknown clock 'resolve'"),
    ("clock", 8, "clock", "unknown clock 8"),
    ("clock", None, "clock", "unknown clock None"),
    ("services", "pothole", "services", "list of strings"),
    ("departments", [1.5], "departments[0]", "non-empty strings"),
    ("tags", 0, "tags", "list of strings"),
    ("raise_priority", 1, "raise_priority", "true or false"),
    ("raise_priority", "yes", "raise_priority", "true or false"),
    ("raise_priority", None, "raise_priority", "true or false"),
    ("reassign_team", 3, "reassign_team", "non-empty string"),
    ("reassign_team", "", "reassign_team", "non-empty string"),
    ("reassign_to", False, "reassign_to", "non-empty string"),
    ("notify", "roads-manager", "notify", "list of strings"),
    ("notify", ["roads-manager", ""], "notify[1]", "non-empty strings"),
    ("notify", 42, "notify", "list of strings"),
]


@pytest.mark.parametrize(("field", "value", "where", "match"), _BAD_ESCALATE)
def test_bad_escalation_rule_field(field: str, value: Any, where: str, match: str) -> None:
    """Each bad field is a ConfigError at the field, naming the rule (once it has a name)."""
    with pytest.raises(ConfigError, match=match) as err:
        EscalationRule(**{**ESCALATE, field: value})
    assert err.value.path == where
    assert err.value.node == (None if field == "name" else "late")
    with pytest.raises(ConfigError, match=match):
        attrs.evolve(EscalationRule(**ESCALATE), **{field: value})


def test_on_message_unchanged() -> None:
    """The message of an unknown ``on`` is the one it always was."""
    with pytest.raises(ConfigError) as err:
        EscalationRule(name="x", on="never")
    assert (
        str(err.value)
        == "on: node 'x': escalation rule 'x': 'on' must be warning or breach, got 'never'"
    )


def test_lists_are_kept_as_sets_and_tuples() -> None:
    """Filters given as lists become frozensets, ``notify`` a tuple, ``area`` four floats: the
    rule equals (and hashes as) the one built from frozensets and tuples."""
    a = AssignmentRule(
        name="downtown",
        team="roads-north",
        assignee="crew-1",
        services=["pothole"],  # type: ignore[arg-type]
        departments=("roads",),  # type: ignore[arg-type]
        tags={"storm"},  # type: ignore[arg-type]
        area=[48.42, -123.38, 48.44, -123.35],  # type: ignore[arg-type]
        address_contains="Douglas",
    )
    assert a == AssignmentRule(**ASSIGN) and hash(a) == hash(AssignmentRule(**ASSIGN))
    assert AssignmentRule(name="box", area=(48, -124, 49, -123)).area == (
        48.0,
        -124.0,
        49.0,
        -123.0,
    )
    e = EscalationRule(**{**ESCALATE, "notify": ["roads-manager"], "services": ["pothole"]})
    assert e == EscalationRule(**ESCALATE) and e.notify == ("roads-manager",)
    for kind in CLOCK_KINDS:
        assert EscalationRule(name="k", on="warning", clock=kind).clock == kind


# ---------------------------------------------------------------------- the desk


def test_desk_refuses_objects_that_are_not_rules() -> None:
    with pytest.raises(ConfigError, match="must be an AssignmentRule, got dict") as err:
        _desk(assignment_rules=[AssignmentRule(**ASSIGN), {"name": "x", "team": "t"}])
    assert err.value.path == "assignment_rules[1]"
    with pytest.raises(ConfigError, match="must be an EscalationRule, got AssignmentRule") as err:
        _desk(escalation_rules=[AssignmentRule(**ASSIGN)])
    assert err.value.path == "escalation_rules[0]"
    for bad in ("late", None, 3):
        with pytest.raises(ConfigError, match="list of EscalationRules") as err:
            _desk(escalation_rules=bad)
        assert err.value.path == "escalation_rules"


@pytest.mark.parametrize(
    ("rules", "where", "match"),
    [
        (
            {
                "assignment_rules": [
                    AssignmentRule(name="r1", team="t", services=frozenset({"pothol"}))
                ]
            },
            "assignment_rules[0].services",
            "unknown service 'pothol'",
        ),
        (
            {
                "escalation_rules": [
                    EscalationRule(name="ok", services=frozenset({"pothole"})),
                    EscalationRule(name="bad", departments=frozenset({"road"})),
                ]
            },
            "escalation_rules[1].departments",
            "unknown department 'road'",
        ),
        (
            {
                "assignment_rules": [
                    AssignmentRule(name="r1", team="roads"),
                    AssignmentRule(name="r2", team="parks"),
                    AssignmentRule(name="r1", team="triage"),
                ]
            },
            "assignment_rules[2].name",
            r"two assignment_rules are named 'r1' \(assignment_rules\[0\] and \[2\]\)",
        ),
        (
            {"escalation_rules": [EscalationRule(name="late"), EscalationRule(name="late")]},
            "escalation_rules[1].name",
            "two escalation_rules are named 'late'",
        ),
    ],
)
def test_desk_refuses_rules_naming_unknown_services_or_departments(
    store: Store, rules: dict[str, Any], where: str, match: str
) -> None:
    """A misspelt service or department would never match: refused, and the existing store
    (cases, audit trail, settings, case numbers) is left as it was, in every store."""
    desk = _desk(store)
    first = desk.create("pothole", by="clerk", tags=["storm"])
    desk.fire(first.id, "triage", by="clerk")
    before = _snapshot(store)
    with pytest.raises(ConfigError, match=match) as err:
        _desk(store, **rules)
    assert err.value.path == where
    assert err.value.node == (rules.get("assignment_rules") or rules["escalation_rules"])[-1].name
    assert _snapshot(store) == before
    assert _desk(store).create("info", by="clerk").id == "SR-2"


def test_one_name_may_serve_an_assignment_and_an_escalation_rule() -> None:
    """Names are unique within each list, not across the two."""
    desk = _desk(
        assignment_rules=[AssignmentRule(name="storm", team="storm-desk")],
        escalation_rules=[EscalationRule(name="storm", raise_priority=True)],
    )
    assert [r.name for r in (*desk.assignment_rules, *desk.escalation_rules)] == ["storm"] * 2


def _snapshot(store: Store) -> list[Any]:
    return [
        [c.to_dict() for c in store.query()],
        [[a.to_dict() for a in c.audit] for c in store.query()],
        store.get_meta("suspensions"),
    ]


_BOX: dict[str, Any] = {"name": "downtown", "team": "roads-north"}
_STORM: dict[str, Any] = {"name": "storm", "team": "storm-desk"}


def test_valid_rules_still_route_and_escalate() -> None:
    """Rules given with lists work as before: first match assigns, a breach escalates."""
    got: list[Escalated] = []
    desk = _desk(
        assignment_rules=[
            AssignmentRule(**{**_BOX, "area": [48.42, -123.38, 48.44, -123.35]}),
            AssignmentRule(**{**_STORM, "tags": ["storm"]}),
        ],
        escalation_rules=[EscalationRule(**{**ESCALATE, "notify": ["roads-manager"]})],
    )
    desk.bus.subscribe(Escalated, got.append)
    a = desk.create("pothole", by="c", location=Location(lat=48.43, lon=-123.36), at=T0)
    b = desk.create("pothole", by="c", tags=["storm"], at=T0)
    assert (a.team, b.team) == ("roads-north", "storm-desk")
    desk.tick(T0 + dt.timedelta(days=7))
    assert {e.case_id for e in got} == {a.id, b.id}
    assert desk.get(a.id).team == "roads-supervisors" and desk.get(a.id).priority == "high"
    assert got[0].notify == ("roads-manager",)


# ---------------------------------------------------------------------- perturbed rules

_WORDS = ["pothole", "info", "roads", "waste", "storm", "warning", "breach", *CLOCK_KINDS]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.binary(max_size=3),
    st.sampled_from(_WORDS),
)
#: values that are often valid somewhere (an id, a list of ids, a flag, a lat/lon box)
_PLAUSIBLE = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(_WORDS),
    st.lists(st.sampled_from(_WORDS), max_size=3),
    st.tuples(*[st.floats(-90, 90, allow_nan=False)] * 4),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner, inner, inner),
        st.frozensets(_SCALARS, max_size=3),
        st.dictionaries(st.text(max_size=3), inner, max_size=2),
    ),
    max_leaves=8,
)

_LAT, _LON = st.floats(-90, 90), st.floats(-180, 180)
_NAME = st.one_of(st.sampled_from(_WORDS), st.text(min_size=1, max_size=5))
#: a valid value of each field (the catalogue's codes, misspelt ones, boxes in order)
_VALID: dict[str, st.SearchStrategy[Any]] = {
    **dict.fromkeys(
        ("name", "team", "assignee", "address_contains", "reassign_team", "reassign_to"), _NAME
    ),
    "services": st.frozensets(st.sampled_from(["pothole", "info", "missed_pickup", "potholes"])),
    "departments": st.lists(st.sampled_from(["roads", "waste", "hotline", "road"]), max_size=2),
    "tags": st.lists(st.sampled_from(["storm", "ward-3"]), max_size=2),
    "notify": st.lists(_NAME, max_size=2),
    "area": st.tuples(_LAT, _LON, _LAT, _LON).map(
        lambda b: (min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3]))
    ),
    "on": st.sampled_from(["warning", "breach"]),
    "clock": st.sampled_from(CLOCK_KINDS),
    "raise_priority": st.booleans(),
}


def _name_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def _names_ok(value: Any) -> bool:
    return all(isinstance(x, str) and x for x in value)


def _check_assignment(rule: AssignmentRule) -> None:
    assert isinstance(rule.name, str) and rule.name
    assert _name_or_none(rule.team) and _name_or_none(rule.assignee)
    assert _name_or_none(rule.address_contains)
    for s in (rule.services, rule.departments, rule.tags):
        assert isinstance(s, frozenset) and _names_ok(s)
    if rule.area is not None:
        s_, w, n, e = rule.area
        assert all(type(x) is float and math.isfinite(x) for x in rule.area)
        assert -90 <= s_ <= n <= 90 and -180 <= w <= e <= 180


def _check_escalation(rule: EscalationRule) -> None:
    assert isinstance(rule.name, str) and rule.name
    assert rule.on in ("warning", "breach") and rule.clock in CLOCK_KINDS
    assert isinstance(rule.raise_priority, bool)
    assert _name_or_none(rule.reassign_team) and _name_or_none(rule.reassign_to)
    for s in (rule.services, rule.departments, rule.tags):
        assert isinstance(s, frozenset) and _names_ok(s)
    assert isinstance(rule.notify, tuple) and _names_ok(rule.notify)


_KINDS: dict[str, tuple[dict[str, Any], type[Any], Callable[[Any], None]]] = {
    "assignment": (ASSIGN, AssignmentRule, _check_assignment),
    "escalation": (ESCALATE, EscalationRule, _check_escalation),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["assignment", "escalation"]),
    changes=st.data(),
)
def test_perturbed_rule_is_valid_or_a_config_error(kind: str, changes: st.DataObject) -> None:
    """A valid rule with some fields replaced by values of any type: building it (and a desk
    with it, on a store that already holds a case) either succeeds with a valid rule that
    routes and escalates without error, or raises ConfigError, never another exception; a
    desk that is refused leaves the store as it was."""
    base, cls, check = _KINDS[kind]
    fields = changes.draw(st.lists(st.sampled_from(sorted(base)), max_size=2, unique=True))
    perturbed = {
        f: changes.draw(st.one_of(_VALUES, _PLAUSIBLE, _VALID[f], _VALID[f]), f) for f in fields
    }
    rule, error = _attempt(lambda: cls(**{**base, **perturbed}))
    if error is not None:
        event("rule refused")
        assert error.path and error.path.split("[")[0] in base, error
        return
    assert rule is not None
    check(rule)
    hash(rule)
    store = SqliteStore(":memory:")
    _desk(store).create("pothole", by="clerk", at=T0)
    before = _snapshot(store)
    desk, error = _attempt(lambda: _desk(store, **{f"{kind}_rules": [rule]}))
    if error is not None:
        event("desk refused")
        assert error.node == rule.name and error.path, error
        assert error.path.startswith(f"{kind}_rules[0]."), error
        assert _snapshot(store) == before
        return
    assert desk is not None
    event("accepted")
    for code in ("pothole", "missed_pickup", "info"):
        case = desk.create(
            code,
            by="clerk",
            tags=["storm"],
            location=Location(address="1200 Douglas St", lat=48.43, lon=-123.36),
            at=T0,
        )
        assert _name_or_none(case.team) and _name_or_none(case.assignee)
    desk.tick(T0 + dt.timedelta(days=30))
    for case in store.query():
        assert _name_or_none(case.team) and _name_or_none(case.assignee)


R = TypeVar("R")


def _attempt(build: Callable[[], R]) -> tuple[R | None, ConfigError | None]:
    """``build()`` and no error, or no result and its ConfigError (any other exception
    propagates and fails the test)."""
    try:
        return build(), None
    except ConfigError as e:
        return None, e
