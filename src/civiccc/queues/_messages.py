"""Commands for the telephony adapter (plain tuples, cheap) and published events."""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs

from civiccc.events import Event

__all__ = [
    "AgentStatusChanged",
    "AuditEntry",
    "CallLeft",
    "CallQueued",
    "Command",
    "CoverageChanged",
]


class Command(NamedTuple):
    """One instruction for the telephony adapter.

    ``kind`` is one of ``ring`` (ring ``agent`` on ``contacts``, presenting ``present``),
    ``stop_ringing``, ``connect``, ``announce`` (``data``: position, wait estimate),
    ``offer_callback``, ``dial_callback`` (outbound, presenting the hotline number),
    ``action`` (``data``: overflow/timeout/no_agents/closed action) and ``escalate``
    (coverage lost: page ``agent`` or the fallback number). Agent contact numbers appear
    only in ``ring`` commands (to the adapter, never to the caller); ``present`` is always
    the hotline's number.
    """

    kind: str
    at: float
    call: str | None = None
    agent: str | None = None
    queue: str | None = None
    contacts: tuple[str, ...] = ()
    present: str | None = None
    data: Any = None


@attrs.frozen(kw_only=True)
class CallQueued(Event):
    """A call entered a queue."""

    call: str
    queue: str
    priority: int
    position: int


@attrs.frozen(kw_only=True)
class CallLeft(Event):
    """A call left a queue unanswered: abandoned, overflow, timeout, no_agents, closed or
    callback_failed."""

    call: str
    queue: str
    outcome: str
    waited: float
    agent: str | None = None


@attrs.frozen(kw_only=True)
class AgentStatusChanged(Event):
    """An agent's status changed (``reason`` for pauses)."""

    agent: str
    old: str
    new: str
    reason: str | None = None


@attrs.frozen(kw_only=True)
class CoverageChanged(Event):
    """A queue's coverage rule became broken (``ok=False``) or held again."""

    queue: str
    reachable: int
    required: int
    ok: bool


@attrs.frozen(kw_only=True)
class AuditEntry(Event):
    """Who did what, when (team-leader actions, hand-overs, coverage overrides)."""

    actor: str
    action: str
    target: str
    detail: str = ""
