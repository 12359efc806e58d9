"""Tests of the example plugin, through civiccc's public API (the installed entry point)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from civiccc.errors import ConfigError
from civiccc.routing import load_flow, node_kinds, reference_walk

AT = datetime(2025, 3, 4, 18, 0, tzinfo=UTC)
CASES = {"+1 604 555 0101": "waste", "604-555-0102": "permits", "+16045550103": "parks"}


def crm(e164: str) -> str | None:
    """A stand-in for a CRM query."""
    return {"+16045550199": "transit"}.get(e164)


def flow(**params: Any) -> Any:
    """A city flow that asks the case system first."""
    return load_flow(
        {
            "id": "crm_first",
            "nodes": {
                "entry": {"kind": "entry", "edges": {"next": "open_case"}},
                "open_case": {
                    "kind": "open_case",
                    "departments": ["waste", "permits", "transit"],
                    **params,
                    "edges": {
                        "waste": "waste",
                        "permits": "permits",
                        "transit": "transit",
                        "no_case": "menu",
                    },
                },
                "menu": {"kind": "menu", "edges": {"1": "waste", "invalid": "operator"}},
                "waste": {"kind": "queue", "target": "waste_collection", "priority": 2},
                "permits": {"kind": "queue", "target": "permits_building", "priority": 2},
                "transit": {"kind": "queue", "target": "transit_info", "priority": 2},
                "operator": {"kind": "queue"},
            },
        }
    )


def test_kind_comes_from_this_distribution() -> None:
    """civiccc finds the kind through the entry point of this package."""
    assert node_kinds()["open_case"].dist == "civiccc-open-case-node"


@pytest.mark.parametrize(
    ("caller", "target"),
    [
        ("+16045550101", "waste_collection"),
        ("(604) 555-0102", "permits_building"),
        ("+16045550103", "operator"),  # a case in a department the flow does not route
        ("+16045550199", "transit_info"),  # from the CRM lookup
        ("anonymous", "operator"),
        ("+44 20 7946 0018", "operator"),
    ],
)
def test_routes_open_cases(caller: str, target: str) -> None:
    """Callers with an open case skip the menu; the compiled node agrees with the plain one."""
    f = flow(cases=CASES, lookup=f"{__name__}:crm")
    d = f.route(caller, AT)
    assert d.target == target
    assert d == reference_walk(f, caller, AT)


def test_bad_parameters() -> None:
    """Parameters are validated by civiccc with located errors."""
    with pytest.raises(ConfigError) as e:
        flow(cases={"+16045550101": 3})
    assert (e.value.node, e.value.path) == ("open_case", "nodes.open_case.cases.+16045550101")
