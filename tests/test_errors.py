from __future__ import annotations

import pytest

from civiccc import errors
from civiccc.errors import (
    CivicccError,
    ConcurrencyError,
    ConfigError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    PluginError,
    StoreError,
)


def test_every_public_error_is_a_civiccc_error() -> None:
    for name in errors.__all__:
        klass = getattr(errors, name)
        assert issubclass(klass, CivicccError), name
    assert errors.__all__ == sorted(errors.__all__)


def test_config_error_renders_file_path_and_node() -> None:
    e = ConfigError("end 08:00 is before start 09:00", path="hours.mon[1]", file="city.yaml")
    assert str(e) == "city.yaml: hours.mon[1]: end 08:00 is before start 09:00"
    assert isinstance(e, ValueError)
    n = ConfigError("unknown key '7'", path="options", node="main_menu")
    assert str(n) == "options: node 'main_menu': unknown key '7'"
    moved = ConfigError("bad", path="[2].end").at(file="f.yaml", prefix="deviations")
    assert str(moved) == "f.yaml: deviations[2].end: bad"
    nested = ConfigError("bad", path="end").at(prefix="emergencies[0]")
    assert nested.path == "emergencies[0].end"


def test_invalid_transition_names_machine_state_event_and_entity() -> None:
    e = InvalidTransition("agent", "logged_off", "answer", entity="a17")
    assert str(e) == "agent 'a17': event 'answer' is not allowed in state 'logged_off'"
    assert (e.machine, e.state, e.event, e.entity) == ("agent", "logged_off", "answer", "a17")


def test_other_errors_keep_their_builtin_meaning() -> None:
    assert issubclass(PermissionDenied, PermissionError)
    assert issubclass(ConcurrencyError, StoreError)
    assert str(NotFoundError("no case 'C-1'")) == "no case 'C-1'"
    with pytest.raises(KeyError):
        raise NotFoundError("x")
    p = PluginError("not callable", group="civiccc.routing.nodes", name="crm", dist="acme 1.0")
    assert "acme 1.0" in str(p)
    assert p.group == "civiccc.routing.nodes"
