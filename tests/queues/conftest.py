"""Shared builders for the queue tests."""

from __future__ import annotations

from typing import Any

import pytest

from civiccc.clock import VirtualClock
from civiccc.queues import QueueEngine, QueuesConfig

T0 = 1_750_000_000.0


def make(
    queue: dict[str, Any] | None = None, agents: str = "ABCD", **kw: Any
) -> tuple[QueueEngine, VirtualClock]:
    """An engine with agents A..D in queue ``q`` (extra queue fields from ``queue``)."""
    q = {"number": "+15550100", "members": list(agents)}
    q.update(queue or {})
    cfg = QueuesConfig.from_dict(
        {
            "agents": {a: {"contacts": {"desk": f"+1555020{i}"}} for i, a in enumerate(agents)},
            "queues": {"q": q, **kw.pop("more_queues", {})},
        }
    )
    clock = VirtualClock(T0)
    return QueueEngine(cfg, clock=clock, **kw), clock


def rings(eng: QueueEngine) -> list[str]:
    """Agents rung by the commands emitted since the last drain."""
    return [c.agent for c in eng.drain() if c.kind == "ring" and c.agent]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)
