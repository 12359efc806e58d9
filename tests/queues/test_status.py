"""The agent status table: every (state, event) pair is either legal (as tabled) or raises."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civiccc.errors import InvalidTransition
from civiccc.queues import TRANSITIONS, AgentStatus, next_status
from civiccc.queues._status import EVENTS

from .conftest import make

PAIRS = list(itertools.product(AgentStatus, EVENTS))


@pytest.mark.parametrize(("state", "event"), PAIRS, ids=[f"{s}-{e}" for s, e in PAIRS])
def test_every_pair_is_legal_or_raises(state: AgentStatus, event: str) -> None:
    """Legal pairs give the tabled state; others raise InvalidTransition naming state and event."""
    if (state, event) in TRANSITIONS:
        assert next_status(state, event, "x") is TRANSITIONS[state, event]
    else:
        with pytest.raises(InvalidTransition) as info:
            next_status(state, event, "x")
        assert info.value.state == state and info.value.event == event and info.value.entity == "x"


@given(st.sampled_from(list(AgentStatus)), st.text(max_size=12))
def test_unknown_events_raise(state: AgentStatus, event: str) -> None:
    """Any event name outside the table raises."""
    if (state, event) not in TRANSITIONS:
        with pytest.raises(InvalidTransition):
            next_status(state, event)


def test_every_state_is_reachable_and_can_return_to_logged_off() -> None:
    """The table is connected: from logged off every state is reachable, and back."""
    import networkx as nx

    g = nx.DiGraph([(s, d) for (s, _), d in TRANSITIONS.items()])
    assert set(nx.descendants(g, AgentStatus.LOGGED_OFF)) == set(AgentStatus) - {
        AgentStatus.LOGGED_OFF
    }
    for s in AgentStatus:
        if s is not AgentStatus.LOGGED_OFF:
            assert nx.has_path(g, s, AgentStatus.LOGGED_OFF)


def test_engine_walks_every_state() -> None:
    """Through the public API an agent visits every state; illegal API calls raise."""
    eng, _ = make({"wrap_up": 30}, agents="A")
    seen = [eng.status("A")]
    with pytest.raises(InvalidTransition):
        eng.pause("A")  # logged off
    with pytest.raises(InvalidTransition):
        eng.resume("A")
    eng.login("A")
    seen.append(eng.status("A"))
    with pytest.raises(InvalidTransition):
        eng.login("A")
    c = eng.arrive("q")
    seen.append(eng.status("A"))
    with pytest.raises(InvalidTransition):
        eng.pause("A")  # offered: answer or let it time out first
    eng.answer(c, "A")
    seen.append(eng.status("A"))
    with pytest.raises(InvalidTransition):
        eng.logout("A")  # on a queue call
    eng.end(c)
    seen.append(eng.status("A"))
    eng.pause("A", "coffee")
    seen.append(eng.status("A"))
    assert eng.agent_info("A")["reason"] == "coffee"
    eng.other_call("A", active=True)
    seen.append(eng.status("A"))
    with pytest.raises(InvalidTransition):
        eng.start_wrap_up("A")
    eng.other_call("A", active=False)
    eng.logout("A")
    seen.append(eng.status("A"))
    assert set(seen) == set(AgentStatus)


def test_login_paused_then_resume() -> None:
    """Logging in paused (adding a member paused) needs a resume before calls arrive."""
    eng, _ = make(agents="A")
    eng.login("A", paused=True)
    assert eng.status("A") is AgentStatus.PAUSED
    c = eng.arrive("q")
    assert eng.call_info(c)["offered"] == []
    eng.resume("A")
    assert eng.call_info(c)["offered"] == ["A"]
