"""Hotline queues and agent presence: a deterministic engine driven by explicit events.

Examples:
    >>> from civiccc.clock import VirtualClock
    >>> cfg = QueuesConfig.from_dict({
    ...     "agents": {"ann": {"contacts": {"desk": "+15550101"}}, "bob": {}},
    ...     "queues": {"desk": {"number": "+15550100", "members": ["ann", "bob"], "wrap_up": 30}},
    ... })
    >>> clock = VirtualClock(0)
    >>> eng = QueueEngine(cfg, clock=clock)
    >>> eng.login("ann"); eng.login("bob")
    >>> call = eng.arrive("desk")
    >>> [(c.kind, c.agent) for c in eng.drain()]
    [('ring', 'ann')]
    >>> eng.answer(call, "ann")
    >>> clock.advance(60); eng.end(call)
    >>> eng.status("ann"), eng.next_timer()
    (<AgentStatus.WRAP_UP: 'wrap_up'>, 90.0)
"""

from __future__ import annotations

from civiccc.queues._engine import Kpis as Kpis
from civiccc.queues._engine import QueueEngine as QueueEngine
from civiccc.queues._engine import QueueStats as QueueStats
from civiccc.queues._messages import AgentStatusChanged as AgentStatusChanged
from civiccc.queues._messages import AuditEntry as AuditEntry
from civiccc.queues._messages import CallLeft as CallLeft
from civiccc.queues._messages import CallQueued as CallQueued
from civiccc.queues._messages import Command as Command
from civiccc.queues._messages import CoverageChanged as CoverageChanged
from civiccc.queues._spec import Action as Action
from civiccc.queues._spec import AgentSpec as AgentSpec
from civiccc.queues._spec import CallbackPolicy as CallbackPolicy
from civiccc.queues._spec import Contact as Contact
from civiccc.queues._spec import CoverageRule as CoverageRule
from civiccc.queues._spec import IdleBasis as IdleBasis
from civiccc.queues._spec import Member as Member
from civiccc.queues._spec import QueuesConfig as QueuesConfig
from civiccc.queues._spec import QueueSpec as QueueSpec
from civiccc.queues._spec import Role as Role
from civiccc.queues._spec import Strategy as Strategy
from civiccc.queues._status import TRANSITIONS as TRANSITIONS
from civiccc.queues._status import AgentStatus as AgentStatus
from civiccc.queues._status import Presence as Presence
from civiccc.queues._status import next_status as next_status

__all__ = [  # noqa: RUF022 (plainly sorted, as tests/test_architecture.py checks)
    "Action",
    "AgentSpec",
    "AgentStatus",
    "AgentStatusChanged",
    "AuditEntry",
    "CallLeft",
    "CallQueued",
    "CallbackPolicy",
    "Command",
    "Contact",
    "CoverageChanged",
    "CoverageRule",
    "IdleBasis",
    "Kpis",
    "Member",
    "Presence",
    "QueueEngine",
    "QueueSpec",
    "QueueStats",
    "QueuesConfig",
    "Role",
    "Strategy",
    "TRANSITIONS",
    "next_status",
]
