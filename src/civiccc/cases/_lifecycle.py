"""The case lifecycle as data: states, events and the transition table."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from civiccc.errors import InvalidTransition

__all__ = ["CLOSED_STATES", "OPEN_STATES", "TRANSITIONS", "CaseState", "next_state"]


class CaseState(enum.StrEnum):
    """Where a case stands."""

    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CITIZEN = "waiting_on_citizen"
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"


S = CaseState
_WORKING = (
    S.NEW,
    S.TRIAGED,
    S.ASSIGNED,
    S.IN_PROGRESS,
    S.WAITING_ON_CITIZEN,
    S.WAITING_ON_THIRD_PARTY,
    S.REOPENED,
)

#: (state, event) -> next state. Anything not listed is illegal.
TRANSITIONS: Mapping[tuple[CaseState, str], CaseState] = {
    (S.NEW, "triage"): S.TRIAGED,
    **{(s, "assign"): S.ASSIGNED for s in _WORKING},
    **{(s, "start"): S.IN_PROGRESS for s in (S.ASSIGNED, S.REOPENED)},
    **{
        (s, "wait_citizen"): S.WAITING_ON_CITIZEN
        for s in (S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_ON_THIRD_PARTY)
    },
    **{
        (s, "wait_third_party"): S.WAITING_ON_THIRD_PARTY
        for s in (S.ASSIGNED, S.IN_PROGRESS, S.WAITING_ON_CITIZEN)
    },
    **{(s, "resume"): S.IN_PROGRESS for s in (S.WAITING_ON_CITIZEN, S.WAITING_ON_THIRD_PARTY)},
    **{(s, "resolve"): S.RESOLVED for s in _WORKING if s is not S.NEW},
    (S.RESOLVED, "close"): S.CLOSED,
    (S.RESOLVED, "reopen"): S.REOPENED,
    (S.CLOSED, "reopen"): S.REOPENED,
    **{(s, "cancel"): S.CANCELLED for s in _WORKING},
    **{(s, "merge"): S.DUPLICATE for s in _WORKING},
}

#: States in which a case is finished (Open311 ``closed``).
CLOSED_STATES: frozenset[CaseState] = frozenset({S.RESOLVED, S.CLOSED, S.CANCELLED, S.DUPLICATE})
#: States in which a case still needs work (Open311 ``open``).
OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - CLOSED_STATES


def next_state(state: CaseState, event: str, entity: str | None = None) -> CaseState:
    """Return the state after ``event``, or raise :class:`InvalidTransition`.

    >>> next_state(CaseState.NEW, "triage")
    <CaseState.TRIAGED: 'triaged'>
    >>> next_state(CaseState.CLOSED, "resolve", "SR-1")
    Traceback (most recent call last):
    ...
    civiccc.errors.InvalidTransition: case 'SR-1': event 'resolve' is not allowed in state 'closed'
    """
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise InvalidTransition("case", state.value, event, entity) from None
