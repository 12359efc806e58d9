"""Shared builders for the queue tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError
from civiccc.queues import QueueEngine, QueuesConfig

T0 = 1_750_000_000.0

#: a member who also leads the queue's team (set_order, add_member, ...)
LEADER = {"agent": "L", "roles": ["member", "team_leader"]}


def make(
    queue: dict[str, Any] | None = None,
    agents: str = "ABCD",
    *,
    agent_fields: dict[str, dict[str, Any]] | None = None,
    **kw: Any,
) -> tuple[QueueEngine, VirtualClock]:
    """An engine with agents A..D in queue ``q`` (extra queue fields from ``queue``, extra
    agent fields from ``agent_fields``, e.g. ``{"B": {"ring_timeout": 5}}``)."""
    q = {"number": "+15550100", "members": list(agents)}
    q.update(queue or {})
    extra = agent_fields or {}
    cfg = QueuesConfig.from_dict(
        {
            "agents": {
                a: {"contacts": {"desk": f"+1555020{i}"}, **extra.get(a, {})}
                for i, a in enumerate(agents)
            },
            "queues": {"q": q, **kw.pop("more_queues", {})},
        }
    )
    clock = VirtualClock(T0)
    return QueueEngine(cfg, clock=clock, **kw), clock


def rings(eng: QueueEngine) -> list[str]:
    """Agents rung by the commands emitted since the last drain."""
    return [c.agent for c in eng.drain() if c.kind == "ring" and c.agent]


def restart(
    eng: QueueEngine, clock: VirtualClock, log: list[Any] | None = None, *, version: int = 2
) -> QueueEngine:
    """Snapshot through JSON and restore under the same configuration and clock (``version``
    1: the snapshot as it was written before version 2, without ``base``); the audit trail so
    far (not part of a snapshot) is added to ``log``."""
    if log is not None:
        log += eng.audit
    data = json.loads(json.dumps(eng.snapshot()))
    if version == 1:
        data = {k: v for k, v in data.items() if k != "base"} | {"version": 1}
    again = QueueEngine.restore(eng.config, data, clock=clock)
    if version == 2:
        assert again.snapshot() == data
    return again


def at(eng: QueueEngine, clock: VirtualClock, t: float) -> None:
    """Move the clock to ``T0 + t`` and fire the timers due."""
    clock.advance(T0 + t - clock.timestamp())
    eng.advance()


def hand_overs_to(eng: QueueEngine, taker: str, spans: list[Any]) -> dict[str, Any]:
    """Givers A, B, D (in that order) hand their spot on ``q`` to ``taker`` until ``T0 +
    span``; ``taker`` accepts each, or declines where the span is None. Returns giver -> span
    of the accepted ones."""
    running: dict[str, Any] = {}
    for giver, span in zip("ABD", spans, strict=True):
        hid = eng.hand_over(giver, "q", taker, until=T0 + (span or 1))
        eng.respond_hand_over(hid, taker, accept=span is not None)
        if span is not None:
            running[giver] = span
    return running


def queues_of(eng: QueueEngine, agents: str = "ABCD") -> dict[str, Any]:
    """Each agent's queues (active or not), from ``agent_info``."""
    return {a: eng.agent_info(a)["queues"] for a in agents}


def config_error(doc: Any) -> ConfigError:
    """The ConfigError that ``doc``, read from ``hotlines.yaml``, raises (it names the file)."""
    with pytest.raises(ConfigError) as info:
        QueuesConfig.from_dict(doc, file="hotlines.yaml")
    assert str(info.value).startswith("hotlines.yaml: ")
    return info.value


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)
