"""Frozen configuration of hotlines (queues), agents, contacts and team rules."""

from __future__ import annotations

import math
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
        if not isinstance(kind, str) or kind not in ACTION_KINDS:
            raise _err(
                f"unknown action kind {kind!r} (one of {sorted(ACTION_KINDS)})",
                f"{path}.kind",
                value=kind,
            )
        target = _opt_str(data.get("target"), f"{path}.target")
        if kind not in ("disconnect", "voicemail") and not target:
            raise _err(f"action {kind!r} needs a 'target'", f"{path}.target")
        message = _opt_str(data.get("message"), f"{path}.message")
        return cls(kind=kind, target=target, message=message)

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
    """A staff member: contacts, which of them to ring, skills and ring timeout.

    ``auto_accept``: an offered call is connected at once, without ringing (Amazon Connect's
    "Auto-Accept Call"; a softphone or headset that answers by itself).
    """

    id: str
    name: str = ""
    contacts: tuple[Contact, ...] = ()
    ring: tuple[str, ...] = ()
    skills: Mapping[str, int] = attrs.field(factory=dict)
    ring_timeout: float | None = None
    presence_coupled: bool = False
    auto_accept: bool = False


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
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (kind is int and value != int(value))
    ):
        what = "a non-negative integer" if kind is int else "a non-negative number"
        raise _err(f"{key} must be {what}", f"{path}.{key}", value=value)
    return kind(value)


def _mapping(value: Any, path: str, node: str | None = None) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _err("expected a mapping with string keys", path, node=node, value=value)
    return value


def _seq(value: Any, path: str, node: str | None = None) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise _err("expected a list", path, node=node, value=value)
    return tuple(value)


def _strs(value: Any, path: str, node: str | None = None) -> tuple[str, ...]:
    items = _seq(value, path, node)
    for i, x in enumerate(items):
        if not isinstance(x, str) or not x:
            raise _err("expected a non-empty string", f"{path}[{i}]", node=node, value=x)
    return items


def _opt_str(value: Any, path: str, node: str | None = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _err("expected a string", path, node=node, value=value)
    return str(value)


def _flag(data: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _err(f"{key} must be true or false", f"{path}.{key}", value=value)
    return value


def _waits(data: Mapping[str, Any], key: str, path: str) -> tuple[float, ...]:
    out = []
    for i, x in enumerate(_seq(data.get(key), f"{path}.{key}")):
        out.append(_num({key: x}, key, path, 0.0))
        if out[-1] is None:
            raise _err("expected a number", f"{path}.{key}[{i}]", value=x)
    return tuple(out)


def _queue_from_dict(qid: str, data: Mapping[str, Any], path: str) -> QueueSpec:
    known = {f.name for f in attrs.fields(QueueSpec)} - {"id"}
    for key in data:
        if key not in known:
            raise _err(f"unknown field {key!r}", f"{path}.{key}", node=qid)
    try:
        strategy = Strategy(str(data.get("strategy", "longest_idle")))
    except ValueError:
        msg = f"unknown strategy {data.get('strategy')!r} (one of {[s.value for s in Strategy]})"
        raise _err(msg, f"{path}.strategy", node=qid) from None
    try:
        basis = IdleBasis(str(data.get("idle_basis", "last_call_end")))
    except ValueError:
        raise _err(
            "idle_basis must be last_call_end or ready_since", f"{path}.idle_basis"
        ) from None
    members = []
    for i, m in enumerate(_seq(data.get("members"), f"{path}.members", qid)):
        mpath = f"{path}.members[{i}]"
        if isinstance(m, str):
            m = {"agent": m}
        if not isinstance(m, Mapping) or not isinstance(m.get("agent"), str):
            raise _err("a member needs 'agent' (an agent id)", mpath, node=qid, value=m)
        try:
            roles = frozenset(
                Role(r) for r in _strs(m.get("roles", ("member",)), f"{mpath}.roles", qid)
            )
        except ValueError:
            raise _err(
                "unknown role (member, team_leader, analyst)", f"{mpath}.roles", node=qid
            ) from None
        level = m.get("level", 1)
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise _err("level must be an integer >= 1", f"{mpath}.level", node=qid, value=level)
        members.append(
            Member(agent=m["agent"], level=level, roles=roles, paused=_flag(m, "paused", mpath))
        )
    cb = data.get("callback")
    callback = None
    if cb is not None:
        cb = _mapping(cb, f"{path}.callback", qid)
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
        cov = _mapping(cov, f"{path}.coverage", qid)
        mode = cov.get("mode", "refuse")
        if not isinstance(mode, str) or mode not in ("refuse", "warn"):
            raise _err("mode must be 'refuse' or 'warn'", f"{path}.coverage.mode", value=mode)
        coverage = CoverageRule(
            min_reachable=_num(cov, "min_reachable", f"{path}.coverage", 1, int),
            mode=mode,
            roster=_strs(cov.get("roster"), f"{path}.coverage.roster", qid),
            fallback=_opt_str(cov.get("fallback"), f"{path}.coverage.fallback", qid),
        )
    apply_to = data.get("no_agents_apply_to", "new")
    if not isinstance(apply_to, str) or apply_to not in ("new", "all"):
        raise _err("must be 'new' or 'all'", f"{path}.no_agents_apply_to", value=apply_to)

    def act(key: str) -> Action | None:
        return Action.from_dict(data[key], f"{path}.{key}") if key in data else None

    return QueueSpec(
        id=qid,
        number=_opt_str(data.get("number", ""), f"{path}.number", qid) or "",
        strategy=strategy,
        members=tuple(members),
        idle_basis=basis,
        ring_timeout=_num(data, "ring_timeout", path, 30.0),
        wrap_up=_num(data, "wrap_up", path, 0.0),
        presence_routing=_flag(data, "presence_routing", path),
        no_answer_delay=_num(data, "no_answer_delay", path, 0.0),
        reject_delay=_num(data, "reject_delay", path, 60.0),
        max_no_answer=_num(data, "max_no_answer", path, 0, int),
        level_waits=_waits(data, "level_waits", path),
        skill_relax=_waits(data, "skill_relax", path),
        max_waiting=_num(data, "max_waiting", path, None, int),
        max_wait=_num(data, "max_wait", path, None),
        overflow=act("overflow") or Action(),
        timeout=act("timeout") or Action(),
        no_agents=act("no_agents"),
        no_agents_apply_to=apply_to,
        calendar=_opt_str(data.get("calendar"), f"{path}.calendar", qid),
        closed=act("closed") or Action(),
        callback=callback,
        coverage=coverage,
        service_level=_num(data, "service_level", path, 20.0),
        default_handle_time=_num(data, "default_handle_time", path, 180.0),
    )


#: Actions applied the moment a call enters a queue; a cycle of them would bounce a call forever.
_IMMEDIATE = ("closed", "overflow", "no_agents")


def _check_redirect_cycles(queues: Mapping[str, QueueSpec]) -> None:
    """Reject a cycle of queues joined by immediate actions (closed, overflow, no agents).

    Those actions run inside ``arrive``/``transfer`` at the same instant, so a cycle whose
    conditions hold together (two queues closed at night, each sending its calls to the other)
    would recurse without end. Timeout actions are not part of it: they fire later in time.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(qid: str, trail: list[tuple[str, str]]) -> None:
        state[qid] = 1
        spec = queues[qid]
        for key in _IMMEDIATE:
            act = getattr(spec, key)
            if act is None or act.kind != "queue" or act.target not in queues:
                continue
            trail.append((qid, key))
            if state.get(act.target) == 1:
                start = next(i for i, (q, _) in enumerate(trail) if q == act.target)
                loop = " -> ".join(f"{q} ({k})" for q, k in trail[start:])
                raise _err(
                    f"redirect cycle {loop} -> {act.target}: closed/overflow/no_agents actions "
                    "apply at once on entry, so a call could bounce between these queues forever",
                    f"queues.{qid}.{key}.target",
                    node=qid,
                    value=act.target,
                )
            if act.target not in state:
                visit(act.target, trail)
            trail.pop()
        state[qid] = 2

    for qid in sorted(queues):
        if qid not in state:
            visit(qid, [])


_AGENT_FIELDS = frozenset(f.name for f in attrs.fields(AgentSpec)) - {"id"}


@attrs.frozen(kw_only=True)
class QueuesConfig:
    """All hotlines and agents of one site, plus phone feature codes."""

    agents: Mapping[str, AgentSpec]
    queues: Mapping[str, QueueSpec]
    feature_codes: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_FEATURE_CODES))

    def __attrs_post_init__(self) -> None:
        _check_redirect_cycles(self.queues)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], file: str | None = None) -> QueuesConfig:
        """Build and validate a whole configuration; errors name the field path."""
        try:
            return cls._from_dict(data)
        except ConfigError as exc:
            raise exc.at(file=file) from None

    @classmethod
    def _from_dict(cls, data: Any) -> QueuesConfig:
        data = _mapping(data, "")
        agents: dict[str, AgentSpec] = {}
        for aid, a in _mapping(data.get("agents"), "agents").items():
            path = f"agents.{aid}"
            a = _mapping(a, path, aid)
            for key in a:
                if key not in _AGENT_FIELDS:
                    raise _err(f"unknown field {key!r}", f"{path}.{key}", node=aid)
            contacts = []
            for kind, c in _mapping(a.get("contacts"), f"{path}.contacts", aid).items():
                cpath = f"{path}.contacts.{kind}"
                if kind not in CONTACT_KINDS:
                    raise _err(f"unknown contact kind {kind!r} (desk, softphone, mobile)", cpath)
                if isinstance(c, (str, int)) and not isinstance(c, bool):
                    c = {"number": c}
                c = _mapping(c, cpath, aid)
                number = _opt_str(c.get("number"), f"{cpath}.number", aid)
                if not number:
                    raise _err("a contact needs a 'number'", f"{cpath}.number", node=aid)
                contacts.append(
                    Contact(
                        kind=kind,
                        number=number,
                        private=_flag(c, "private", cpath, kind == "mobile"),
                    )
                )
            kinds = [c.kind for c in contacts]
            ring = _strs(a["ring"], f"{path}.ring", aid) if "ring" in a else tuple(kinds)
            for r in ring:
                if r not in kinds:
                    raise _err(
                        f"ring names contact {r!r} that the agent does not have",
                        f"{path}.ring",
                        value=r,
                    )
            skills: dict[str, int] = {}
            for sk, lv in _mapping(a.get("skills"), f"{path}.skills", aid).items():
                if isinstance(lv, bool) or not isinstance(lv, int) or not 1 <= lv <= 3:
                    msg = "a skill level is an integer 1..3"
                    raise _err(msg, f"{path}.skills.{sk}", node=aid, value=lv)
                skills[sk] = lv
            agents[aid] = AgentSpec(
                id=aid,
                name=_opt_str(a.get("name", aid), f"{path}.name", aid) or aid,
                contacts=tuple(contacts),
                ring=ring,
                skills=skills,
                ring_timeout=_num(a, "ring_timeout", path, None),
                presence_coupled=_flag(a, "presence_coupled", path),
                auto_accept=_flag(a, "auto_accept", path),
            )
        queues: dict[str, QueueSpec] = {}
        for qid, q in _mapping(data.get("queues"), "queues").items():
            spec = _queue_from_dict(qid, _mapping(q, f"queues.{qid}", qid), f"queues.{qid}")
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
        codes = dict(_mapping(data.get("feature_codes"), "feature_codes") or DEFAULT_FEATURE_CODES)
        for code, action in codes.items():
            if action not in ("login", "logout", "pause", "resume"):
                msg = "a feature code maps to login, logout, pause or resume"
                raise _err(msg, f"feature_codes.{code}", value=action)
        return cls(agents=agents, queues=queues, feature_codes=codes)
