"""Frozen configuration of hotlines (queues), agents, contacts and team rules."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from civiccc._documents import refuse_unknown
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


#: A dial string: digits with an optional leading ``+`` and spaces, dots, hyphens or
#: parentheses between them; 1 to 15 digits (E.164's maximum), so internal extensions pass.
_DIAL = re.compile(r"\+?\(?[0-9](?:[0-9() .\-]*[0-9])?")
#: A phone feature code: ``*`` or ``#`` first, then DTMF keys only, with at least one digit.
_FEATURE_CODE = re.compile(r"[*#][0-9*#]*[0-9][0-9*#]*")


def _dial_string(value: Any, path: str, node: str | None, what: str) -> str:
    """``value`` as a phone number or extension (see ``_DIAL``), else a located ConfigError."""
    text = _opt_str(value, path, node)
    digits = sum(ch.isdigit() for ch in text) if text else 0
    if text is None or not _DIAL.fullmatch(text) or not 1 <= digits <= 15:
        msg = (
            f"{what} must be a phone number or extension: digits, an optional leading '+', "
            "spaces, dots, hyphens or parentheses, at most 15 digits"
        )
        raise _err(msg, path, node=node, value=value)
    return text


def dial_key(number: object) -> str:
    """A dial string (see ``_DIAL``) as it is compared: its digits, with the leading ``+`` if
    it has one (spaces, dots, hyphens and parentheses are only layout)."""
    text = str(number).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return "+" + digits if text.startswith("+") else digits


def _no_duplicates(
    items: Iterable[str], path: str, node: str | None, what: str, field: str = ""
) -> None:
    """Refuse an item listed twice; the error names the second entry (``path[i]field``)."""
    seen: dict[str, int] = {}
    for i, x in enumerate(items):
        if x in seen:
            msg = f"{what} {x!r} is listed twice ({path}[{seen[x]}] and [{i}])"
            raise _err(msg, f"{path}[{i}]{field}", node=node, value=x)
        seen[x] = i


_ACTION_FIELDS = frozenset(("kind", "target", "message"))


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
    def from_dict(cls, data: Any, path: str, *, node: str | None = None) -> Action:
        """Parse ``{"kind": ..., "target": ..., "message": ...}``; other keys are refused.

        An ``external`` target is a phone number (see docs/queues.md, "Configuration rules").
        """
        if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
            raise _err("expected a mapping with 'kind'", path, node=node, value=data)
        refuse_unknown(data, _ACTION_FIELDS, path, node=node)
        kind = data.get("kind", "disconnect")
        if not isinstance(kind, str) or kind not in ACTION_KINDS:
            raise _err(
                f"unknown action kind {kind!r} (one of {sorted(ACTION_KINDS)})",
                f"{path}.kind",
                node=node,
                value=kind,
            )
        target = _opt_str(data.get("target"), f"{path}.target", node)
        if kind not in ("disconnect", "voicemail") and not target:
            raise _err(f"action {kind!r} needs a 'target'", f"{path}.target", node=node)
        if kind == "external":
            target = _dial_string(target, f"{path}.target", node, "an external target")
        message = _opt_str(data.get("message"), f"{path}.message", node)
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


def _num(
    data: Mapping[str, Any],
    key: str,
    path: str,
    default: Any,
    kind: type = float,
    *,
    node: str | None = None,
    positive: bool = False,
    where: str | None = None,
) -> Any:
    """A finite, non-negative number (``positive``: > 0) or ``None``; ``where``: error path."""
    value = data.get(key, default)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
        or (kind is int and value != int(value))
    ):
        sign = "positive" if positive else "non-negative"
        what = f"a {sign} integer" if kind is int else f"a {sign} number"
        raise _err(f"{key} must be {what}", where or f"{path}.{key}", node=node, value=value)
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


def _flag(
    data: Mapping[str, Any], key: str, path: str, default: bool = False, *, node: str | None = None
) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _err(f"{key} must be true or false", f"{path}.{key}", node=node, value=value)
    return value


def _waits(data: Mapping[str, Any], key: str, path: str, node: str) -> tuple[float, ...]:
    out = []
    for i, x in enumerate(_seq(data.get(key), f"{path}.{key}", node)):
        where = f"{path}.{key}[{i}]"
        if x is None:
            raise _err("expected a number", where, node=node, value=x)
        out.append(_num({key: x}, key, path, 0.0, node=node, where=where))
    return tuple(out)


def _increasing(
    data: Mapping[str, Any], key: str, path: str, node: str, step: str, verb: str, first: int
) -> tuple[float, ...]:
    """``key`` (``level_waits``, ``skill_relax``): waits that are finite, non-negative and
    strictly increasing, as each wait starts the next ``step`` (numbered from ``first``) and
    a later step may not come before or with an earlier one."""
    waits = _waits(data, key, path, node)
    for i in range(1, len(waits)):
        if waits[i] <= waits[i - 1]:
            msg = (
                f"{key} must be strictly increasing: {step} {i + first} would {verb} after "
                f"{waits[i]:g} s, not after {step} {i + first - 1} ({waits[i - 1]:g} s)"
            )
            raise _err(msg, f"{path}.{key}[{i}]", node=node, value=waits[i])
    return waits


_QUEUE_FIELDS = frozenset(f.name for f in attrs.fields(QueueSpec)) - {"id"}
_MEMBER_FIELDS = frozenset(f.name for f in attrs.fields(Member))
_CALLBACK_FIELDS = frozenset(f.name for f in attrs.fields(CallbackPolicy))
_COVERAGE_FIELDS = frozenset(f.name for f in attrs.fields(CoverageRule))


def _member_from(m: Any, mpath: str, qid: str) -> Member:
    if isinstance(m, str):
        m = {"agent": m}
    if not isinstance(m, Mapping) or not isinstance(m.get("agent"), str) or not m["agent"]:
        raise _err("a member needs 'agent' (an agent id)", mpath, node=qid, value=m)
    refuse_unknown(m, _MEMBER_FIELDS, mpath, node=qid)
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
    return Member(
        agent=m["agent"], level=level, roles=roles, paused=_flag(m, "paused", mpath, node=qid)
    )


def _callback_from(cb: Any, path: str, qid: str) -> CallbackPolicy:
    cb = _mapping(cb, path, qid)
    refuse_unknown(cb, _CALLBACK_FIELDS, path, node=qid)
    callback = CallbackPolicy(
        after_wait=_num(cb, "after_wait", path, None, node=qid),
        calls_waiting=_num(cb, "calls_waiting", path, None, int, node=qid),
        calls_per_agent=_num(cb, "calls_per_agent", path, None, node=qid),
        retry_delay=_num(cb, "retry_delay", path, 300.0, node=qid),
        max_attempts=_num(cb, "max_attempts", path, 3, int, node=qid, positive=True),
    )
    if (
        callback.after_wait is None
        and callback.calls_waiting is None
        and callback.calls_per_agent is None
    ):
        msg = "callback needs at least one of after_wait, calls_waiting, calls_per_agent"
        raise _err(msg, path, node=qid)
    return callback


def _coverage_from(cov: Any, path: str, qid: str) -> CoverageRule:
    cov = _mapping(cov, path, qid)
    refuse_unknown(cov, _COVERAGE_FIELDS, path, node=qid)
    mode = cov.get("mode", "refuse")
    if not isinstance(mode, str) or mode not in ("refuse", "warn"):
        raise _err("mode must be 'refuse' or 'warn'", f"{path}.mode", node=qid, value=mode)
    roster = _strs(cov.get("roster"), f"{path}.roster", qid)
    _no_duplicates(roster, f"{path}.roster", qid, "agent")
    fallback = cov.get("fallback")
    if fallback is not None and fallback != "":  # "" (as before): no fallback
        fallback = _dial_string(fallback, f"{path}.fallback", qid, "fallback (the number paged)")
    return CoverageRule(
        min_reachable=_num(cov, "min_reachable", path, 1, int, node=qid),
        mode=mode,
        roster=roster,
        fallback=fallback,
    )


def _queue_from_dict(qid: str, data: Mapping[str, Any], path: str) -> QueueSpec:
    refuse_unknown(data, _QUEUE_FIELDS, path, node=qid)
    try:
        strategy = Strategy(str(data.get("strategy", "longest_idle")))
    except ValueError:
        msg = f"unknown strategy {data.get('strategy')!r} (one of {[s.value for s in Strategy]})"
        raise _err(msg, f"{path}.strategy", node=qid) from None
    try:
        basis = IdleBasis(str(data.get("idle_basis", "last_call_end")))
    except ValueError:
        raise _err(
            "idle_basis must be last_call_end or ready_since", f"{path}.idle_basis", node=qid
        ) from None
    members = tuple(
        _member_from(m, f"{path}.members[{i}]", qid)
        for i, m in enumerate(_seq(data.get("members"), f"{path}.members", qid))
    )
    _no_duplicates((m.agent for m in members), f"{path}.members", qid, "member", ".agent")
    cb = data.get("callback")
    callback = None if cb is None else _callback_from(cb, f"{path}.callback", qid)
    cov = data.get("coverage")
    coverage = None if cov is None else _coverage_from(cov, f"{path}.coverage", qid)
    if coverage is not None and coverage.min_reachable > len(members):
        n = len(members)
        msg = (
            f"coverage.min_reachable is {coverage.min_reachable} but queue {qid!r} has only "
            f"{n} member(s): the rule could never be met"
        )
        raise _err(msg, f"{path}.coverage.min_reachable", node=qid, value=coverage.min_reachable)
    apply_to = data.get("no_agents_apply_to", "new")
    if not isinstance(apply_to, str) or apply_to not in ("new", "all"):
        raise _err("must be 'new' or 'all'", f"{path}.no_agents_apply_to", node=qid, value=apply_to)
    number = data.get("number", "")
    if number is not None and number != "":
        number = _dial_string(number, f"{path}.number", qid, "a queue's number")

    def act(key: str) -> Action | None:
        return Action.from_dict(data[key], f"{path}.{key}", node=qid) if key in data else None

    return QueueSpec(
        id=qid,
        number=number or "",
        strategy=strategy,
        members=members,
        idle_basis=basis,
        ring_timeout=_num(data, "ring_timeout", path, 30.0, node=qid),
        wrap_up=_num(data, "wrap_up", path, 0.0, node=qid),
        presence_routing=_flag(data, "presence_routing", path, node=qid),
        no_answer_delay=_num(data, "no_answer_delay", path, 0.0, node=qid),
        reject_delay=_num(data, "reject_delay", path, 60.0, node=qid),
        max_no_answer=_num(data, "max_no_answer", path, 0, int, node=qid),
        # level n opens after level_waits[n-2] s; relaxation step n (the skill requirement
        # lowered by n) comes after skill_relax[n-1] s
        level_waits=_increasing(data, "level_waits", path, qid, "level", "open", 2),
        skill_relax=_increasing(data, "skill_relax", path, qid, "relaxation step", "come", 1),
        max_waiting=_num(data, "max_waiting", path, None, int, node=qid),
        max_wait=_num(data, "max_wait", path, None, node=qid),
        overflow=act("overflow") or Action(),
        timeout=act("timeout") or Action(),
        no_agents=act("no_agents"),
        no_agents_apply_to=apply_to,
        calendar=_opt_str(data.get("calendar"), f"{path}.calendar", qid),
        closed=act("closed") or Action(),
        callback=callback,
        coverage=coverage,
        service_level=_num(data, "service_level", path, 20.0, node=qid),
        default_handle_time=_num(data, "default_handle_time", path, 180.0, node=qid),
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
        data = _document(data, "")
        if "queues_config" not in data:
            return cls._plain(data)
        # a hotlines file (examples/queues/hotlines.yaml): the configuration under
        # queues_config, beside the calendar files its queues name (loaded by the caller)
        refuse_unknown(data, _FILE_FIELDS, "")
        _strs(data.get("calendar_files"), "calendar_files")
        inner = _document(data["queues_config"], "queues_config")
        try:
            return cls._plain(inner)
        except ConfigError as exc:
            raise exc.at(prefix="queues_config") from None

    @classmethod
    def _plain(cls, data: Mapping[str, Any]) -> QueuesConfig:
        if "calendar_files" in data:
            msg = "calendar_files belongs beside queues_config in a hotlines file, not in a config"
            raise _err(msg, "calendar_files")
        refuse_unknown(data, _TOP_FIELDS, "")
        agents = {
            aid: _agent_from(aid, _mapping(a, f"agents.{aid}", aid), f"agents.{aid}")
            for aid, a in _mapping(data.get("agents"), "agents").items()
        }
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
                for i, r in enumerate(spec.coverage.roster):
                    if r not in agents:
                        raise _err(
                            f"unknown agent {r!r}",
                            f"queues.{qid}.coverage.roster[{i}]",
                            node=qid,
                            value=r,
                        )
        return cls(agents=agents, queues=queues, feature_codes=_feature_codes(data))


def _document(value: Any, path: str) -> Mapping[str, Any]:
    """A configuration (the whole document, or a hotlines file's ``queues_config``): a
    mapping; nothing at all (an empty file, ``queues_config:`` left empty) is refused."""
    if value is None:
        raise _err("expected a mapping with 'agents' and 'queues', got nothing", path)
    return _mapping(value, path)


_TOP_FIELDS = frozenset(f.name for f in attrs.fields(QueuesConfig))
_FILE_FIELDS = frozenset(("queues_config", "calendar_files"))
_CONTACT_FIELDS = frozenset(("number", "private"))


def _agent_from(aid: str, a: Mapping[str, Any], path: str) -> AgentSpec:
    refuse_unknown(a, _AGENT_FIELDS, path, node=aid)
    contacts = []
    for kind, c in _mapping(a.get("contacts"), f"{path}.contacts", aid).items():
        cpath = f"{path}.contacts.{kind}"
        if kind not in CONTACT_KINDS:
            msg = f"unknown contact kind {kind!r} (desk, softphone, mobile)"
            raise _err(msg, cpath, node=aid, value=kind)
        if isinstance(c, (str, int)) and not isinstance(c, bool):
            c = {"number": c}
        c = _mapping(c, cpath, aid)
        refuse_unknown(c, _CONTACT_FIELDS, cpath, node=aid)
        if c.get("number") is None or c.get("number") == "":
            raise _err("a contact needs a 'number'", f"{cpath}.number", node=aid)
        number = _dial_string(c["number"], f"{cpath}.number", aid, "a contact number")
        private = _flag(c, "private", cpath, kind == "mobile", node=aid)
        contacts.append(Contact(kind=kind, number=number, private=private))
    kinds = [c.kind for c in contacts]
    ring = _strs(a["ring"], f"{path}.ring", aid) if "ring" in a else tuple(kinds)
    for r in ring:
        if r not in kinds:
            msg = f"ring names contact {r!r} that the agent does not have"
            raise _err(msg, f"{path}.ring", node=aid, value=r)
    _no_duplicates(ring, f"{path}.ring", aid, "contact")
    skills: dict[str, int] = {}
    for sk, lv in _mapping(a.get("skills"), f"{path}.skills", aid).items():
        if isinstance(lv, bool) or not isinstance(lv, int) or not 1 <= lv <= 3:
            msg = "a skill level is an integer 1..3"
            raise _err(msg, f"{path}.skills.{sk}", node=aid, value=lv)
        skills[sk] = lv
    return AgentSpec(
        id=aid,
        name=_opt_str(a.get("name", aid), f"{path}.name", aid) or aid,
        contacts=tuple(contacts),
        ring=ring,
        skills=skills,
        ring_timeout=_num(a, "ring_timeout", path, None, node=aid),
        presence_coupled=_flag(a, "presence_coupled", path, node=aid),
        auto_accept=_flag(a, "auto_accept", path, node=aid),
    )


_FEATURE_ACTIONS = ("login", "logout", "pause", "resume")


def _feature_codes(data: Mapping[str, Any]) -> dict[str, str]:
    """The phone feature codes: the defaults when the key is omitted (or null); an explicit
    empty mapping means no feature codes at all (a city that does not log in by phone)."""
    raw = data.get("feature_codes")
    codes = dict(DEFAULT_FEATURE_CODES) if raw is None else dict(_mapping(raw, "feature_codes"))
    for code, action in codes.items():
        if not _FEATURE_CODE.fullmatch(code) or len(code) > 16:
            msg = (
                f"feature code {code!r} is not a code a phone can dial: '*' or '#' first, then "
                "digits, '*' or '#' (at least one digit, at most 16 keys), e.g. *61"
            )
            raise _err(msg, f"feature_codes.{code}", value=code)
        if action not in _FEATURE_ACTIONS:
            msg = "a feature code maps to login, logout, pause or resume"
            raise _err(msg, f"feature_codes.{code}", value=action)
    return codes
