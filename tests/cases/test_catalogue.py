"""Service catalogue from data: good files load, bad ones name the field."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from cases_helpers import CATALOGUE, replaced
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cases import CaseDesk, Catalogue, parse_duration
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "cases" / "services.yaml"


@pytest.mark.parametrize(
    ("path", "value", "where", "match"),
    [
        (
            ["services", 0, "department"],
            "parks",
            "services[0].department",
            "unknown department 'parks'",
        ),
        (
            ["services", 0, "default_priority"],
            "asap",
            "services[0].default_priority",
            "unknown priority",
        ),
        (
            ["services", 0, "sla", "normal", "resolution"],
            "soon",
            "services[0].sla.normal.resolution",
            "duration",
        ),
        (
            ["services", 0, "sla", "normal", "fix_time"],
            "1h",
            "services[0].sla.normal.fix_time",
            "unknown clock",
        ),
        (["services", 0, "sla", "never"], {}, "services[0].sla.never", "unknown priority"),
        (["services", 0, "warn_at"], [1.5], "services[0].warn_at", "fractions"),
        (["services", 0, "reopen"], "forget", "services[0].reopen", r"resume, restart"),
        (
            ["services", 0, "pause_in"],
            {"resolution": ["sleeping"]},
            "services[0].pause_in.resolution[0]",
            "unknown case state",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "colour"}],
            "services[0].attributes[0].datatype",
            "datatype",
        ),
        (
            ["services", 0, "attributes"],
            [{"code": "x", "datatype": "singlevaluelist"}],
            "services[0].attributes[0].values",
            "value list",
        ),
        (["services", 1, "code"], "pothole", "services[1].code", "duplicate service code"),
        (["services", 0, "colour"], "red", "services[0].colour", "unknown keys"),
        (["jurisdiction", "timezone"], "Mars/Base", "jurisdiction.timezone", "time zone"),
        (["services"], {}, "services", "must be a list"),
    ],
)
def test_bad_catalogue(path: list[Any], value: Any, where: str, match: str) -> None:
    """Each error names its field."""
    with pytest.raises(ConfigError, match=match) as err:
        Catalogue.from_dict(replaced(CATALOGUE, path, value), file="city.yaml")
    assert err.value.path == where and err.value.file == "city.yaml"


def test_missing_calendar_named() -> None:
    """A department's calendar must be given to the desk."""
    with pytest.raises(ConfigError, match="calendar 'van'"):
        CaseDesk(Catalogue.from_dict(CATALOGUE), clock=VirtualClock(0))


def test_example_catalogue_loads(tmp_path: Path) -> None:
    """The shipped example catalogue loads; a broken file names the file."""
    cat = Catalogue.load(EXAMPLE)
    assert len(cat.services) >= 10 and len({s.department for s in cat.services.values()}) >= 4
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        Catalogue.load(bad)


def test_attributes_checked_on_create() -> None:
    """Unknown, missing required, or off-list attribute values are refused."""
    data = replaced(
        CATALOGUE,
        ["services", 0, "attributes"],
        [
            {"code": "size", "datatype": "singlevaluelist", "required": True, "values": ["s", "l"]},
            {"code": "depth", "datatype": "number"},
        ],
    )
    from cases_helpers import van_calendar

    desk = CaseDesk(
        Catalogue.from_dict(data), clock=VirtualClock(0), calendars={"van": van_calendar()}
    )
    for attrs_, match in (
        ({}, "required"),
        ({"size": "xl"}, "not one of"),
        ({"size": "s", "colour": 1}, "no attribute"),
        ({"size": "s", "depth": "deep"}, "not a number"),
    ):
        with pytest.raises(ConfigError, match=match):
            desk.create("pothole", by="c", attributes=attrs_)
    assert (
        desk.create("pothole", by="c", attributes={"size": "s", "depth": "3"}).attributes["size"]
        == "s"
    )


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=6), st.integers(), st.floats(), st.none(), st.booleans()))
def test_parse_duration_fuzz(value: Any) -> None:
    """Durations parse to non-negative seconds or raise ConfigError."""
    with contextlib.suppress(ConfigError):
        assert parse_duration(value) >= 0


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.text(max_size=5), st.integers(), st.booleans()),
        lambda c: st.one_of(
            st.lists(c, max_size=3), st.dictionaries(st.text(max_size=5), c, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_catalogue_fuzz(services: Any) -> None:
    """Arbitrary service data loads or raises ConfigError, nothing else."""
    with contextlib.suppress(ConfigError):
        Catalogue.from_dict({**CATALOGUE, "services": services})
