"""Agent status as data: the transition table of one agent's (global) status."""

from __future__ import annotations

from enum import StrEnum

from civiccc.errors import InvalidTransition

__all__ = ["EVENTS", "TRANSITIONS", "AgentStatus", "Presence", "next_status"]


class AgentStatus(StrEnum):
    """The status of an agent (global across the agent's hotlines, TeamDesk style)."""

    LOGGED_OFF = "logged_off"
    READY = "ready"
    OFFERED = "offered"
    ON_QUEUE_CALL = "on_queue_call"
    ON_OTHER_CALL = "on_other_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class Presence(StrEnum):
    """An external presence feed's value (Teams/XPhone presence)."""

    AVAILABLE = "available"
    BUSY = "busy"
    DND = "dnd"
    AWAY = "away"
    OFFLINE = "offline"


_S = AgentStatus
_WORKING = (_S.READY, _S.PAUSED, _S.WRAP_UP)

#: ``(state, event) -> next state``. Everything not listed raises InvalidTransition.
TRANSITIONS: dict[tuple[AgentStatus, str], AgentStatus] = {
    (_S.LOGGED_OFF, "login"): _S.READY,
    (_S.LOGGED_OFF, "login_paused"): _S.PAUSED,
    **{(s, "logout"): _S.LOGGED_OFF for s in (*_WORKING, _S.ON_OTHER_CALL)},
    (_S.READY, "offer"): _S.OFFERED,
    (_S.OFFERED, "answer"): _S.ON_QUEUE_CALL,
    (_S.OFFERED, "reject"): _S.READY,
    (_S.OFFERED, "no_answer"): _S.READY,
    (_S.OFFERED, "cancel"): _S.READY,
    (_S.OFFERED, "auto_pause"): _S.PAUSED,
    (_S.ON_QUEUE_CALL, "end_call"): _S.WRAP_UP,
    (_S.ON_QUEUE_CALL, "end_call_no_wrap"): _S.READY,
    **{(s, "other_call_start"): _S.ON_OTHER_CALL for s in _WORKING},
    (_S.ON_OTHER_CALL, "other_call_end"): _S.READY,
    (_S.READY, "wrap_up_start"): _S.WRAP_UP,
    (_S.WRAP_UP, "wrap_up_end"): _S.READY,
    (_S.READY, "pause"): _S.PAUSED,
    (_S.WRAP_UP, "pause"): _S.PAUSED,
    (_S.PAUSED, "pause"): _S.PAUSED,
    (_S.PAUSED, "resume"): _S.READY,
}

#: Every event name the table knows.
EVENTS: tuple[str, ...] = tuple(sorted({e for _, e in TRANSITIONS}))


def next_status(state: AgentStatus, event: str, entity: str | None = None) -> AgentStatus:
    """Return the status after ``event``; raise :class:`InvalidTransition` if not allowed.

    >>> next_status(AgentStatus.READY, "offer")
    <AgentStatus.OFFERED: 'offered'>
    >>> next_status(AgentStatus.LOGGED_OFF, "answer", "ann")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    civiccc.errors.InvalidTransition: agent 'ann': event 'answer' is not allowed in state ...
    """
    try:
        return TRANSITIONS[state, event]
    except KeyError:
        raise InvalidTransition("agent", str(state), event, entity) from None
