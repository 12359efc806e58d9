"""Frozen configuration of hotlines (queues), agents, contacts and team rules."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

from civiccc.errors import ConfigError

__all__ = [
    "Action",
    "AgentSpec",
    "CallbackPolicy",
    "Contact",
    "CoverageRule",
    "IdleBasis",
    "Member",
    "QueueSpec",
    "QueuesConfig",
    "Role",
    "Strategy",
]


class Strategy(StrEnum):
    """Distribution strategies (see docs/queues.md for the peers' equivalents)."""

    RING_ALL = "ring_all"
    LINEAR = "linear"
    ROUND_ROBIN = "round_robin"
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    LEAST_TALK_TIME = "least_talk_time"
    RANDOM = "random"
    SKILLS = "skills"


class IdleBasis(StrEnum):
    """What "idle since" means for longest idle."""

    LAST_CALL_END = "last_call_end"  # FreeSWITCH, TeamDesk (default)
    READY_SINCE = "ready_since"  # Amazon Connect, Teams (time in Available)


class Role(StrEnum):
    """Team roles (TeamDesk): independent and combinable."""

    MEMBER = "member"
    TEAM_LEADER = "team_leader"
    ANALYST = "analyst"


ACTION_KINDS = frozenset(
    {"queue", "flow", "voicemail", "shared_voicemail", "external", "disconnect"}
)
DEFAULT_FEATURE_CODES = {"*61": "login", "*62": "logout", "*63": "pause", "*64": "resume"}
CONTACT_KINDS = frozenset({"desk", "softphone", "mobile"})


def _err(msg: str, path: str, node: str | None = None, value: Any = None) -> ConfigError:
    return ConfigError(msg, path=path, node=node, value=value)


@attrs.frozen(kw_only=True)
class Action:
    """What happens to a call that leaves a queue by rule: overflow, timeout, no agents, closed.

    ``kind`` is one of queue, flow, voicemail, shared_voicemail, external, disconnect;
    ``target`` names the queue, flow, mailbox or external number; ``message`` is played first.
    """

    kind: str = "disconnect"
    target: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Any, path: str) -> Action:
        """Parse ``{"kind": ..., "target": ..., "message": ...}``."""
        if not isinstance(data, Mapping):
            raise _err("expected a mapping with 'kind'", path, value=data)
        kind = data.get("kind", "disconnect")
        if kind not in ACTION_KINDS:
            raise _err(
                f"unknown action kind {kind!r} (one of {sorted(ACTION_KINDS)})",
                f"{path}.kind",
                value=kind,
            )
        target = data.get("target")
        if kind not in ("disconnect", "voicemail") and not target:
            raise _err(f"action {kind!r} needs a 'target'", f"{path}.target")
        return cls(kind=kind, target=target, message=data.get("message"))

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Contact:
    """A device an agent can be reached on. ``private`` numbers never reach callers."""

    kind: str
    number: str
    private: bool = False


@attrs.frozen(kw_only=True)
class AgentSpec:
    """A staff member: contacts, which of them to ring, skills and ring timeout."""

    id: str
    name: str = ""
    contacts: tuple[Contact, ...] = ()
    ring: tuple[str, ...] = ()
    skills: Mapping[str, int] = attrs.field(factory=dict)
    ring_timeout: float | None = None
    presence_coupled: bool = False


@attrs.frozen(kw_only=True)
class Member:
    """An agent's membership in one queue: level (1 = first tier), roles, start paused."""

    agent: str
    level: int = 1
    roles: frozenset[Role] = frozenset({Role.MEMBER})
    paused: bool = False


@attrs.frozen(kw_only=True)
class CallbackPolicy:
    """When a callback is offered and how it is retried (Teams-style eligibility rules)."""

    after_wait: float | None = None
    calls_waiting: int | None = None
    calls_per_agent: float | None = None
    retry_delay: float = 300.0
    max_attempts: int = 3


@attrs.frozen(kw_only=True)
class CoverageRule:
    """ "At least ``min_reachable`` members reachable" on a queue, enforced on logout/pause."""

    min_reachable: int = 1
    mode: str = "refuse"  # or "warn"
    roster: tuple[str, ...] = ()
    fallback: str | None = None


@attrs.frozen(kw_only=True)
class QueueSpec:
    """One hotline / call queue."""

    id: str
    number: str = ""
    strategy: Strategy = Strategy.LONGEST_IDLE
    members: tuple[Member, ...] = ()
    idle_basis: IdleBasis = IdleBasis.LAST_CALL_END
    ring_timeout: float = 30.0
    wrap_up: float = 0.0
    presence_routing: bool = False
    no_answer_delay: float = 0.0
    reject_delay: float = 60.0
    max_no_answer: int = 0
    level_waits: tuple[float, ...] = ()
    skill_relax: tuple[float, ...] = ()
    max_waiting: int | None = None
    max_wait: float | None = None
    overflow: Action = Action()
    timeout: Action = Action()
    no_agents: Action | None = None
    no_agents_apply_to: str = "new"
    calendar: str | None = None
    closed: Action = Action()
    callback: CallbackPolicy | None = None
    coverage: CoverageRule | None = None
    service_level: float = 20.0
    default_handle_time: float = 180.0


def _num(data: Mapping[str, Any], key: str, path: str, default: Any, kind: type = float) -> Any:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _err(f"{key} must be a non-negative number", f"{path}.{key}", value=value)
    return kind(value)


def _queue_from_dict(qid: str, data: Mapping[str, Any], path: str) -> QueueSpec:
    known = {f.name for f in attrs.fields(QueueSpec)} - {"id"}
    for key in data:
        if key not in known:
            raise _err(f"unknown field {key!r}", f"{path}.{key}", node=qid)
    try:
        strategy = Strategy(data.get("strategy", "longest_idle"))
    except ValueError:
        msg = f"unknown strategy {data.get('strategy')!r} (one of {[s.value for s in Strategy]})"
        raise _err(msg, f"{path}.strategy", node=qid) from None
    try:
        basis = IdleBasis(data.get("idle_basis", "last_call_end"))
    except ValueError:
        raise _err(
            "idle_basis must be last_call_end or ready_since", f"{path}.idle_basis"
        ) from None
    members = []
    for i, m in enumerate(data.get("members", ())):
        mpath = f"{path}.members[{i}]"
        if isinstance(m, str):
            m = {"agent": m}
        if not isinstance(m, Mapping) or "agent" not in m:
            raise _err("a member needs 'agent'", mpath, node=qid, value=m)
        try:
            roles = frozenset(Role(r) for r in m.get("roles", ("member",)))
        except ValueError:
            raise _err("unknown role (member, team_leader, analyst)", f"{mpath}.roles") from None
        level = m.get("level", 1)
        if not isinstance(level, int) or level < 1:
            raise _err("level must be an integer >= 1", f"{mpath}.level", value=level)
        members.append(
            Member(agent=m["agent"], level=level, roles=roles, paused=bool(m.get("paused", False)))
        )
    cb = data.get("callback")
    callback = None
    if cb is not None:
        callback = CallbackPolicy(
            after_wait=_num(cb, "after_wait", f"{path}.callback", None),
            calls_waiting=_num(cb, "calls_waiting", f"{path}.callback", None, int),
            calls_per_agent=_num(cb, "calls_per_agent", f"{path}.callback", None),
            retry_delay=_num(cb, "retry_delay", f"{path}.callback", 300.0),
            max_attempts=_num(cb, "max_attempts", f"{path}.callback", 3, int),
        )
        if (
            callback.after_wait is None
            and callback.calls_waiting is None
            and callback.calls_per_agent is None
        ):
            msg = "callback needs at least one of after_wait, calls_waiting, calls_per_agent"
            raise _err(msg, f"{path}.callback", node=qid)
    cov = data.get("coverage")
    coverage = None
    if cov is not None:
        mode = cov.get("mode", "refuse")
        if mode not in ("refuse", "warn"):
            raise _err("mode must be 'refuse' or 'warn'", f"{path}.coverage.mode", value=mode)
        coverage = CoverageRule(
            min_reachable=_num(cov, "min_reachable", f"{path}.coverage", 1, int),
            mode=mode,
            roster=tuple(cov.get("roster", ())),
            fallback=cov.get("fallback"),
        )
    apply_to = data.get("no_agents_apply_to", "new")
    if apply_to not in ("new", "all"):
        raise _err("must be 'new' or 'all'", f"{path}.no_agents_apply_to", value=apply_to)

    def act(key: str) -> Action | None:
        return Action.from_dict(data[key], f"{path}.{key}") if key in data else None

    return QueueSpec(
        id=qid,
        number=str(data.get("number", "")),
        strategy=strategy,
        members=tuple(members),
        idle_basis=basis,
        ring_timeout=_num(data, "ring_timeout", path, 30.0),
        wrap_up=_num(data, "wrap_up", path, 0.0),
        presence_routing=bool(data.get("presence_routing", False)),
        no_answer_delay=_num(data, "no_answer_delay", path, 0.0),
        reject_delay=_num(data, "reject_delay", path, 60.0),
        max_no_answer=_num(data, "max_no_answer", path, 0, int),
        level_waits=tuple(float(x) for x in data.get("level_waits", ())),
        skill_relax=tuple(float(x) for x in data.get("skill_relax", ())),
        max_waiting=_num(data, "max_waiting", path, None, int),
        max_wait=_num(data, "max_wait", path, None),
        overflow=act("overflow") or Action(),
        timeout=act("timeout") or Action(),
        no_agents=act("no_agents"),
        no_agents_apply_to=apply_to,
        calendar=data.get("calendar"),
        closed=act("closed") or Action(),
        callback=callback,
        coverage=coverage,
        service_level=_num(data, "service_level", path, 20.0),
        default_handle_time=_num(data, "default_handle_time", path, 180.0),
    )


@attrs.frozen(kw_only=True)
class QueuesConfig:
    """All hotlines and agents of one site, plus phone feature codes."""

    agents: Mapping[str, AgentSpec]
    queues: Mapping[str, QueueSpec]
    feature_codes: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_FEATURE_CODES))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], file: str | None = None) -> QueuesConfig:
        """Build and validate a whole configuration; errors name the field path."""
        try:
            return cls._from_dict(data)
        except ConfigError as exc:
            raise exc.at(file=file) from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> QueuesConfig:
        agents: dict[str, AgentSpec] = {}
        for aid, a in (data.get("agents") or {}).items():
            path = f"agents.{aid}"
            a = a or {}
            contacts = []
            for kind, c in (a.get("contacts") or {}).items():
                if kind not in CONTACT_KINDS:
                    raise _err(
                        f"unknown contact kind {kind!r} (desk, softphone, mobile)",
                        f"{path}.contacts.{kind}",
                    )
                if isinstance(c, str):
                    c = {"number": c}
                contacts.append(
                    Contact(
                        kind=kind,
                        number=str(c["number"]),
                        private=bool(c.get("private", kind == "mobile")),
                    )
                )
            ring = tuple(a.get("ring", [c.kind for c in contacts]))
            for r in ring:
                if r not in {c.kind for c in contacts}:
                    raise _err(
                        f"ring names contact {r!r} that the agent does not have",
                        f"{path}.ring",
                        value=r,
                    )
            skills = dict(a.get("skills") or {})
            agents[aid] = AgentSpec(
                id=aid,
                name=str(a.get("name", aid)),
                contacts=tuple(contacts),
                ring=ring,
                skills=skills,
                ring_timeout=_num(a, "ring_timeout", path, None),
                presence_coupled=bool(a.get("presence_coupled", False)),
            )
        queues: dict[str, QueueSpec] = {}
        for qid, q in (data.get("queues") or {}).items():
            spec = _queue_from_dict(qid, q or {}, f"queues.{qid}")
            for i, m in enumerate(spec.members):
                if m.agent not in agents:
                    raise _err(
                        f"unknown agent {m.agent!r}", f"queues.{qid}.members[{i}].agent", node=qid
                    )
            queues[qid] = spec
        for qid, spec in queues.items():
            for key in ("overflow", "timeout", "no_agents", "closed"):
                act = getattr(spec, key)
                if act is not None and act.kind == "queue" and act.target not in queues:
                    raise _err(
                        f"unknown queue {act.target!r}", f"queues.{qid}.{key}.target", node=qid
                    )
            if spec.coverage:
                for r in spec.coverage.roster:
                    if r not in agents:
                        raise _err(
                            f"unknown agent {r!r}", f"queues.{qid}.coverage.roster", node=qid
                        )
        codes = dict(data.get("feature_codes") or DEFAULT_FEATURE_CODES)
        return cls(agents=agents, queues=queues, feature_codes=codes)
