"""CaseDesk: the one mutable engine of the cases domain (lifecycle, SLA clocks, rules)."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from civiccc.calendar import Calendar
from civiccc.cases._catalogue import (
    PRIORITIES,
    Catalogue,
    Service,
    check_clock_kind,
    check_flag,
    check_name,
)
from civiccc.cases._lifecycle import CaseState, next_state
from civiccc.cases._model import (
    Attachment,
    AuditEntry,
    Case,
    ClockRecord,
    Contact,
    Link,
    Location,
    check_coordinates,
)
from civiccc.cases._sla import ClockState, ClockStatus, business_elapsed, due_ts, merge_intervals
from civiccc.cases._stores import MemoryStore, Store
from civiccc.clock import Clock, ensure_aware
from civiccc.errors import ConcurrencyError, ConfigError, InvalidTransition, NotFoundError
from civiccc.events import Event, EventBus

__all__ = [
    "AssignmentRule",
    "CaseChanged",
    "CaseDesk",
    "Escalated",
    "EscalationRule",
    "SlaAlert",
    "Suspension",
]

_UTC = dt.UTC
T = TypeVar("T")
_EPS = 1e-6


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, _UTC)


def _actor(by: Any) -> str:
    """Who acts: a non-empty string (checked before any store is touched)."""
    if not isinstance(by, str) or not by.strip():
        msg = f"'by' must name who acts (a non-empty string), got {by!r}"
        raise ConfigError(msg, path="by", value=by)
    return by


def _names(value: Any, path: str) -> list[str]:
    """A list/tuple/set of non-empty strings; a bare string is refused, not split."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        msg = f"{path} must be a list of strings, got {value!r}"
        raise ConfigError(msg, path=path, value=value)
    out = list(value)
    for i, x in enumerate(out):
        if not isinstance(x, str) or not x:
            msg = f"{path} must be a list of non-empty strings, got {x!r}"
            raise ConfigError(msg, path=f"{path}[{i}]", value=x)
    return out


def _link_pairs(value: Any) -> list[tuple[str, str]]:
    """``links``: (kind, ref) pairs of non-empty strings."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        msg = f"links must be a list of (kind, ref) pairs, got {value!r}"
        raise ConfigError(msg, path="links", value=value)
    out = []
    for i, pair in enumerate(value):
        if (
            isinstance(pair, str | bytes)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(x, str) and x for x in pair)
        ):
            msg = f"a link must be a (kind, ref) pair of non-empty strings, got {pair!r}"
            raise ConfigError(msg, path=f"links[{i}]", value=pair)
        out.append((pair[0], pair[1]))
    return out


def _optional_name(value: Any, key: str) -> None:
    """``None`` or an id/name (a non-empty string), as a catalogue's names."""
    if value is not None:
        check_name(value, key, key)


def _name_set(rule: Any, key: str) -> None:
    """A rule's filter (services, departments, tags): a list/tuple/set of non-empty strings,
    kept as a frozenset."""
    object.__setattr__(rule, key, frozenset(_names(getattr(rule, key), key)))


def _area(value: Any) -> tuple[float, float, float, float] | None:
    """``None`` or a (south, west, north, east) box: four finite numbers, latitudes in
    [-90, 90], longitudes in [-180, 180], south <= north and west <= east."""
    if value is None:
        return None
    if (
        isinstance(value, str | bytes | Mapping)
        or not isinstance(value, Sequence)
        or len(value) != 4
        or any(x is None for x in value)
    ):
        msg = f"area must be four numbers (south, west, north, east), got {value!r}"
        raise ConfigError(msg, path="area", value=value)
    s, w, n, e = value
    check_coordinates(s, w, lat_path="area[0]", lon_path="area[1]")
    check_coordinates(n, e, lat_path="area[2]", lon_path="area[3]")
    if s > n or w > e:
        msg = f"area (south, west, north, east) needs south <= north, west <= east, got {value!r}"
        raise ConfigError(msg, path="area", value=value)
    return float(s), float(w), float(n), float(e)


@contextlib.contextmanager
def _rule_node(name: Any) -> Iterator[None]:
    """Check a rule's fields: its name first, then errors name the rule as their node."""
    check_name(name, "name", "name")
    try:
        yield
    except ConfigError as e:
        if e.node is not None:
            raise
        raise ConfigError(e.message, path=e.path, node=name, value=e.value) from None


def _rules(value: Any, kind: type[T], path: str) -> tuple[T, ...]:
    """``assignment_rules``/``escalation_rules``: a list of rule objects."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        msg = f"{path} must be a list of {kind.__name__}s, got {value!r}"
        raise ConfigError(msg, path=path, value=value)
    out = tuple(value)
    for i, rule in enumerate(out):
        if not isinstance(rule, kind):
            msg = f"{path}[{i}] must be an {kind.__name__}, got {type(rule).__name__}"
            raise ConfigError(msg, path=f"{path}[{i}]", value=rule)
    return out


def _check_location(location: Any) -> None:
    if location is None:
        return
    if not isinstance(location, Location):
        msg = f"location must be a Location, got {type(location).__name__}"
        raise ConfigError(msg, path="location", value=location)
    check_coordinates(location.lat, location.lon)


@attrs.frozen(kw_only=True)
class CaseChanged(Event):
    """A case was created or changed (``action`` as in its audit entry)."""

    case_id: str
    action: str
    from_state: str | None
    to_state: str | None


@attrs.frozen(kw_only=True)
class SlaAlert(Event):
    """A clock crossed a warning threshold (``fraction`` < 1) or breached (``fraction`` 1)."""

    case_id: str
    clock: str
    fraction: float
    due: dt.datetime | None


@attrs.frozen(kw_only=True)
class Escalated(Event):
    """An escalation rule acted on a case; ``notify`` names who should hear of it."""

    case_id: str
    rule: str
    actions: tuple[str, ...]
    notify: tuple[str, ...]


@attrs.frozen(kw_only=True)
class _Scope:
    services: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def matches(self, case: Case) -> bool:
        return (
            (not self.services or case.service_code in self.services)
            and (not self.departments or case.department in self.departments)
            and (not self.tags or not self.tags.isdisjoint(case.tags))
        )


@attrs.frozen(kw_only=True)
class Suspension:
    """A declared emergency: clocks of matching cases do not run in ``[start, end)``."""

    id: str
    start: float
    end: float
    services: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    reason: str = ""
    by: str = ""

    def matches(self, case: Case) -> bool:
        """True when the case is in scope (every given filter matches)."""
        return _Scope(services=self.services, departments=self.departments, tags=self.tags).matches(
            case
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        d = attrs.asdict(self)
        for k in ("services", "departments", "tags"):
            d[k] = sorted(d[k])
        return d


@attrs.frozen(kw_only=True)
class AssignmentRule:
    """First matching rule assigns a new case (S11): by service, department, tags, area."""

    name: str
    team: str | None = None
    assignee: str | None = None
    services: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    #: (south, west, north, east) latitude/longitude box
    area: tuple[float, float, float, float] | None = None
    address_contains: str | None = None

    def __attrs_post_init__(self) -> None:
        with _rule_node(self.name):
            _optional_name(self.team, "team")
            _optional_name(self.assignee, "assignee")
            for key in ("services", "departments", "tags"):
                _name_set(self, key)
            object.__setattr__(self, "area", _area(self.area))
            _optional_name(self.address_contains, "address_contains")

    def matches(self, case: Case) -> bool:
        """True when every given criterion matches the case."""
        if not _Scope(services=self.services, departments=self.departments, tags=self.tags).matches(
            case
        ):
            return False
        loc = case.location
        if self.area is not None:
            if loc is None or loc.lat is None or loc.lon is None:
                return False
            s, w, n, e = self.area
            if not (s <= loc.lat <= n and w <= loc.lon <= e):
                return False
        if self.address_contains is not None:
            addr = (loc.address or "") if loc else ""
            if self.address_contains.lower() not in addr.lower():
                return False
        return True


@attrs.frozen(kw_only=True)
class EscalationRule:
    """What to do when a clock warns or breaches: raise priority, reassign, notify."""

    name: str
    on: str = "breach"
    clock: str = "resolution"
    services: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    raise_priority: bool = False
    reassign_team: str | None = None
    reassign_to: str | None = None
    notify: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        with _rule_node(self.name):
            if not isinstance(self.on, str) or self.on not in ("warning", "breach"):
                msg = (
                    f"escalation rule {self.name!r}: 'on' must be warning or breach,"
                    f" got {self.on!r}"
                )
                raise ConfigError(msg, path="on", node=self.name, value=self.on)
            check_clock_kind(self.clock, "clock")
            for key in ("services", "departments", "tags"):
                _name_set(self, key)
            check_flag(self.raise_priority, "raise_priority", "raise_priority")
            _optional_name(self.reassign_team, "reassign_team")
            _optional_name(self.reassign_to, "reassign_to")
            object.__setattr__(self, "notify", tuple(_names(self.notify, "notify")))


#: Events after which the first response counts as given.
_RESPONDING = frozenset({"start", "wait_citizen", "wait_third_party", "resolve"})
_ENDING = frozenset({"cancel", "merge"})
_NO_STATES: frozenset[CaseState] = frozenset()


class CaseDesk:
    """Cases of one jurisdiction: create, change, follow SLA clocks, escalate, report.

    Args:
        catalogue: The services.
        clock: The time source (``VirtualClock`` in tests and simulations).
        calendars: Business calendars by id (each department names one).
        store: Where cases live (default: a new :class:`MemoryStore`).
        bus: Events (:class:`CaseChanged`, :class:`SlaAlert`, :class:`Escalated`) go here.
        assignment_rules: Ordered; the first match assigns a new case.
        escalation_rules: Every matching rule acts on a warning/breach.
        id_prefix: Case ids are ``f"{id_prefix}-{number}"``.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        clock: Clock,
        calendars: Mapping[str, Calendar] | None = None,
        store: Store | None = None,
        bus: EventBus | None = None,
        assignment_rules: Sequence[AssignmentRule] = (),
        escalation_rules: Sequence[EscalationRule] = (),
        id_prefix: str = "SR",
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.calendars = dict(calendars or {})
        self.store: Store = store if store is not None else MemoryStore()
        self.bus = bus if bus is not None else EventBus()
        self.assignment_rules = _rules(assignment_rules, AssignmentRule, "assignment_rules")
        self.escalation_rules = _rules(escalation_rules, EscalationRule, "escalation_rules")
        named: tuple[tuple[str, tuple[AssignmentRule | EscalationRule, ...]], ...] = (
            ("assignment_rules", self.assignment_rules),
            ("escalation_rules", self.escalation_rules),
        )
        for where, rules in named:
            seen: dict[str, int] = {}
            for i, rule in enumerate(rules):
                # audit notes and Escalated events name the rule: two of one name would be
                # indistinguishable there
                if rule.name in seen:
                    msg = (
                        f"two {where} are named {rule.name!r} ({where}[{seen[rule.name]}] and"
                        f" [{i}]); audit notes and events name the rule"
                    )
                    raise ConfigError(msg, path=f"{where}[{i}].name", node=rule.name)
                seen[rule.name] = i
                try:
                    self._known_scope(rule.services, rule.departments)
                except ConfigError as e:
                    path = f"{where}[{i}].{e.path}"
                    raise ConfigError(e.message, path=path, node=rule.name, value=e.value) from None
        self.id_prefix = id_prefix
        for dept in catalogue.departments.values():
            if dept.calendar is not None and dept.calendar not in self.calendars:
                msg = (
                    f"department {dept.id!r} uses calendar {dept.calendar!r}, which is not"
                    f" given (have: {', '.join(sorted(self.calendars)) or 'none'})"
                )
                raise ConfigError(msg, path=f"departments.{dept.id}.calendar", node=dept.id)
        self._cases: dict[str, Case] = {}
        self._due: list[tuple[float, str, str]] = []
        self._due_key: dict[tuple[str, str], float] = {}
        self._alarms: list[tuple[float, str, str]] = []
        self._alarm_key: dict[tuple[str, str], float] = {}
        self._dirty: set[str] = set()
        self._suspensions = [
            Suspension(**{**s, **{k: frozenset(s[k]) for k in ("services", "departments", "tags")}})
            for s in self.store.get_meta("suspensions", [])
        ]
        self._revisions = {cid: cal.revision for cid, cal in self.calendars.items()}
        for cal in self.calendars.values():
            cal.on_change(self._calendar_changed)
        for case in self.store.query(open_only=True):
            self._cases[case.id] = case
            self._index(case)

    # ------------------------------------------------------------------ plumbing
    def _now(self, at: dt.datetime | None = None) -> dt.datetime:
        if at is not None:
            return ensure_aware(at, "at").astimezone(_UTC)
        t = self.clock.now()
        if t.__class__ is dt.datetime and t.tzinfo is _UTC:
            return t  # the usual answer of a clock: aware, in UTC already
        return ensure_aware(t, "clock.now()").astimezone(_UTC)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group changes in one store transaction (fast; all or nothing)."""
        try:
            with self.store.transaction():
                yield
        except BaseException:
            self._reload()
            raise

    def _reload(self) -> None:
        self._cases.clear()
        self._clear_index()
        self._dirty.clear()
        for case in self.store.query(open_only=True):
            self._cases[case.id] = case
            self._index(case)

    def get(self, case_id: str) -> Case:
        """The case (open cases from memory, others from the store). Do not mutate it."""
        case = self._cases.get(case_id)
        return case if case is not None else self.store.get(case_id)

    def open_cases(self) -> list[Case]:
        """Every open case."""
        return list(self._cases.values())

    def _change(
        self,
        case_id: str,
        fn: Callable[[Case, dt.datetime], T],
        at: dt.datetime | None = None,
        what: str | None = None,
    ) -> T:
        """Apply ``fn`` and save. If someone else saved the case since we read it, reload it
        with its row locked (in a transaction) and apply ``fn`` again: no change is lost.

        ``what`` names a user's event: it is refused (nothing changed) when dated before the
        case's last recorded change. System bookkeeping (SLA alarms, calendar recomputation,
        emergency notes) passes ``None``."""
        now = self._now(at)
        case = self._cases.get(case_id)
        try:
            if case is None:
                case = self.store.get(case_id)
            result = self._apply(case, fn, now, what)
        except ConcurrencyError:
            self._cases.pop(case_id, None)
            with self.store.transaction():
                case = self.store.get(case_id, lock=True)
                result = self._apply(case, fn, now, what)
        if case.is_open:
            self._cases[case_id] = case
        else:
            self._cases.pop(case_id, None)
        self._index(case)
        return result

    def _apply(
        self,
        case: Case,
        fn: Callable[[Case, dt.datetime], T],
        now: dt.datetime,
        what: str | None = None,
    ) -> T:
        if what is not None:
            _check_order(case, now, what)
        try:
            result = fn(case, now)
            case.updated_at = max(case.updated_at, now)
            self.store.save(case)
        except ConcurrencyError:
            raise
        except BaseException:
            self._cases.pop(case.id, None)
            with contextlib.suppress(NotFoundError):
                fresh = self.store.get(case.id)
                if fresh.is_open:
                    self._cases[case.id] = fresh
            raise
        return result

    def _audit(
        self,
        case: Case,
        now: dt.datetime,
        by: str,
        action: str,
        note: str = "",
        from_state: str | None = None,
        to_state: str | None = None,
    ) -> None:
        case.audit.append(
            AuditEntry(
                at=now, by=by, action=action, from_state=from_state, to_state=to_state, note=note
            )
        )
        if self.bus.has_subscribers(CaseChanged):
            self.bus.publish(
                CaseChanged(
                    at=now, case_id=case.id, action=action, from_state=from_state, to_state=to_state
                )
            )

    # ------------------------------------------------------------------ creating
    def create(
        self,
        service_code: str,
        *,
        by: str,
        description: str = "",
        location: Location | None = None,
        attributes: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        reporter: Contact | None = None,
        priority: str | None = None,
        channel: str = "",
        links: Iterable[tuple[str, str]] = (),
        at: dt.datetime | None = None,
        case_id: str | None = None,
    ) -> Case:
        """Open a case for a service; ``at`` defaults to the clock (set it for imports)."""
        _actor(by)
        tag_list = _names(tags, "tags")
        link_list = _link_pairs(links)
        _check_location(location)
        svc = self.catalogue.service(service_code)
        prio = priority or svc.default_priority
        if prio not in PRIORITIES:
            msg = f"unknown priority {prio!r} (known: {', '.join(PRIORITIES)})"
            raise ConfigError(msg, path="priority", value=prio)
        attrs_in = dict(attributes or {})
        _check_attributes(svc, attrs_in)
        now = self._now(at)
        case = Case(
            id=case_id or f"{self.id_prefix}-{self.store.next_number()}",
            service_code=svc.code,
            department=svc.department,
            priority=prio,
            state=CaseState.NEW,
            created_at=now,
            updated_at=now,
            description=description,
            channel=channel,
            location=location,
            attributes=attrs_in,
            tags=sorted(set(tag_list)),
            reporter=reporter,
            links=[Link(kind=k, ref=r, at=now) for k, r in link_list],
        )
        ts = now.timestamp()
        for kind, target in svc.targets_for(prio).items():
            if kind != "next_reply":
                case.clocks[kind] = ClockRecord(
                    kind=kind, seconds=target.seconds, business=target.business, start=ts
                )
        self._audit(case, now, by, "created", to_state=case.state.value, note=channel)
        for rule in self.assignment_rules:
            if rule.matches(case):
                case.team, case.assignee = rule.team, rule.assignee
                who = "/".join(x for x in (rule.team, rule.assignee) if x)
                self._audit(case, now, "rules", "routed", note=f"rule {rule.name}: {who}")
                break
        self.store.insert(case)
        self._cases[case.id] = case
        self._index(case)
        return case

    # ------------------------------------------------------------------ lifecycle
    def fire(
        self, case_id: str, event: str, *, by: str, note: str = "", at: dt.datetime | None = None
    ) -> Case:
        """Apply a lifecycle event (``triage``, ``assign``, ``start``, ``wait_citizen``,
        ``wait_third_party``, ``resume``, ``resolve``, ``close``, ``reopen``, ``cancel``);
        :class:`InvalidTransition` if the state does not allow it. Merging is :meth:`merge`."""
        _actor(by)
        if event == "merge":
            raise InvalidTransition("case", self.get(case_id).state.value, event, case_id)

        def apply(case: Case, now: dt.datetime) -> Case:
            self._transition(case, event, now, by, note)
            return case

        return self._change(case_id, apply, at, event)

    def _transition(self, case: Case, event: str, now: dt.datetime, by: str, note: str) -> None:
        old = case.state
        new = next_state(old, event, case.id)
        svc = self.catalogue.service(case.service_code)
        ts = now.timestamp()
        if event == "reopen":
            self._reopen_clocks(case, svc, ts)
        for kind, clock in list(case.clocks.items()):
            if clock.stop is not None or clock.cancelled:
                continue
            pause = svc.pause_in.get(kind, _NO_STATES)
            if new in pause and old not in pause:
                clock.pauses.append([ts, None])
            elif old in pause and new not in pause and clock.pauses and clock.pauses[-1][1] is None:
                clock.pauses[-1][1] = ts
            if event in _ENDING:
                clock.cancelled = True
                clock.stop = ts
            elif (kind == "first_response" and event in _RESPONDING) or (
                kind in ("resolution", "update") and event == "resolve"
            ):
                self._stop(case, clock, ts)
        case.state = new
        if new is CaseState.RESOLVED:
            case.resolved_at = now
        elif new is CaseState.CLOSED:
            case.closed_at = now
        elif new is CaseState.REOPENED:
            case.closed_at = case.resolved_at = None
        if event == "cancel":
            case.status_notes = note or "Cancelled."
        elif event in ("resolve", "close") and note:
            case.status_notes = note
        self._audit(case, now, by, event, note, old._value_, new._value_)

    def _stop(self, case: Case, clock: ClockRecord, ts: float) -> None:
        if clock.pauses and clock.pauses[-1][1] is None:
            clock.pauses[-1][1] = ts
        clock.stop = ts
        due = self._clock_due(case, clock)
        if clock.breached_at is None and due is not None and ts > due + _EPS:
            clock.breached_at = due

    def _reopen_clocks(self, case: Case, svc: Service, ts: float) -> None:
        for kind in ("resolution", "update"):
            clock = case.clocks.get(kind)
            if clock is None or clock.cancelled:
                continue
            if svc.reopen == "resume" and clock.stop is not None:
                clock.pauses.append([clock.stop, ts])
                clock.stop = None
            elif svc.reopen == "restart":
                case.clock_history.append(clock)
                case.clocks[kind] = ClockRecord(
                    kind=kind,
                    seconds=clock.seconds,
                    business=clock.business,
                    start=ts,
                    note="reopened",
                )

    def assign(
        self,
        case_id: str,
        *,
        by: str,
        assignee: str | None = None,
        team: str | None = None,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> Case:
        """Assign to a person and/or team (the ``assign`` event)."""
        _actor(by)

        def apply(case: Case, now: dt.datetime) -> Case:
            who = "/".join(x for x in (team, assignee) if x)
            self._transition(case, "assign", now, by, note or who)
            case.assignee = assignee if assignee is not None else case.assignee
            case.team = team if team is not None else case.team
            return case

        return self._change(case_id, apply, at, "assign")

    def set_priority(
        self, case_id: str, priority: str, *, by: str, note: str = "", at: dt.datetime | None = None
    ) -> Case:
        """Change the priority; SLA targets follow (retroactive start with pauses carried, or
        a restart, as the service says). A clock that is already late breaches at once,
        without escalation fan-out."""
        _actor(by)
        if priority not in PRIORITIES:
            msg = f"unknown priority {priority!r} (known: {', '.join(PRIORITIES)})"
            raise ConfigError(msg, path="priority", value=priority)

        def apply(case: Case, now: dt.datetime) -> Case:
            self._set_priority(case, priority, now, by, note)
            return case

        return self._change(case_id, apply, at, "set_priority")

    def _set_priority(
        self, case: Case, priority: str, now: dt.datetime, by: str, note: str
    ) -> None:
        if not case.is_open:
            raise InvalidTransition("case", case.state.value, "set_priority", case.id)
        svc = self.catalogue.service(case.service_code)
        targets = svc.targets_for(priority)
        ts = now.timestamp()
        for kind, clock in list(case.clocks.items()):
            target = targets.get(kind)
            if target is None or clock.stop is not None or clock.cancelled:
                continue
            if svc.priority_change == "restart":
                case.clock_history.append(clock)
                clock = case.clocks[kind] = ClockRecord(
                    kind=kind,
                    seconds=target.seconds,
                    business=target.business,
                    start=ts,
                    note=f"restarted on priority {priority}",
                )
            else:
                clock.seconds, clock.business = target.seconds, target.business
                clock.note = f"retroactive: priority {case.priority} -> {priority}"
            due = self._clock_due(case, clock)
            if due is not None and ts > due and clock.breached_at is None:
                clock.breached_at = due  # breach on attach: no fan-out
                clock.fired = [*svc.warn_at, 1.0]
            else:
                clock.fired = [f for f in clock.fired if self._alarm_ts(case, clock, f) <= ts]
        old = case.priority
        case.priority = priority
        self._audit(case, now, by, "priority", note or f"{old} -> {priority}")

    # ------------------------------------------------------------------ details
    def tag(self, case_id: str, *tags: str, by: str, at: dt.datetime | None = None) -> Case:
        """Add tags (e.g. ``hurricane`` for disaster reports)."""
        _actor(by)
        _names(tags, "tags")

        def apply(case: Case, now: dt.datetime) -> Case:
            case.tags = sorted(set(case.tags) | set(tags))
            self._audit(case, now, by, "tagged", ", ".join(tags))
            return case

        return self._change(case_id, apply, at, "tag")

    def link(
        self,
        case_id: str,
        kind: str,
        ref: str,
        *,
        by: str,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> Case:
        """Link a call, callback, voicemail, note or other record (by reference)."""
        _actor(by)
        if not isinstance(kind, str) or not isinstance(ref, str) or not kind or not ref:
            raise ConfigError("a link needs a kind and a ref", path="link", value=(kind, ref))

        def apply(case: Case, now: dt.datetime) -> Case:
            case.links.append(Link(kind=kind, ref=ref, at=now, note=note))
            self._audit(case, now, by, "linked", f"{kind} {ref}")
            return case

        return self._change(case_id, apply, at, "link")

    def attach(
        self,
        case_id: str,
        ref: str,
        *,
        by: str,
        name: str = "",
        media_type: str = "",
        at: dt.datetime | None = None,
    ) -> Case:
        """Attach a file by reference."""
        _actor(by)
        if not isinstance(ref, str) or not ref:
            raise ConfigError("an attachment needs a ref", path="ref", value=ref)

        def apply(case: Case, now: dt.datetime) -> Case:
            case.attachments.append(Attachment(ref=ref, name=name, media_type=media_type))
            self._audit(case, now, by, "attached", name or ref)
            return case

        return self._change(case_id, apply, at, "attach")

    def message(
        self,
        case_id: str,
        *,
        from_citizen: bool,
        by: str,
        text: str = "",
        at: dt.datetime | None = None,
    ) -> Case:
        """Record a public message. A citizen's message starts the next-reply clock (from the
        oldest unanswered one); a staff reply answers it, gives the first response and
        restarts the periodic-update clock."""
        _actor(by)

        def apply(case: Case, now: dt.datetime) -> Case:
            ts = now.timestamp()
            svc = self.catalogue.service(case.service_code)
            if from_citizen:
                if case.unanswered_since is None and case.is_open:
                    case.unanswered_since = ts
                    target = svc.targets_for(case.priority).get("next_reply")
                    if target is not None:
                        old = case.clocks.pop("next_reply", None)
                        if old is not None:
                            case.clock_history.append(old)
                        case.clocks["next_reply"] = ClockRecord(
                            kind="next_reply",
                            seconds=target.seconds,
                            business=target.business,
                            start=ts,
                        )
            else:
                case.unanswered_since = None
                for kind in ("first_response", "next_reply"):
                    c = case.clocks.get(kind)
                    if c is not None and c.stop is None and not c.cancelled:
                        self._stop(case, c, ts)
                upd = case.clocks.get("update")
                if upd is not None and upd.stop is None and not upd.cancelled:
                    self._stop(case, upd, ts)
                    case.clock_history.append(upd)
                    case.clocks["update"] = ClockRecord(
                        kind="update", seconds=upd.seconds, business=upd.business, start=ts
                    )
            case.links.append(
                Link(
                    kind="message:citizen" if from_citizen else "message:staff",
                    ref=f"{case.id}/m{len(case.links)}",
                    at=now,
                    note=text,
                )
            )
            self._audit(case, now, by, "message", text)
            return case

        return self._change(case_id, apply, at, "message")

    # ------------------------------------------------------------------ duplicates
    def find_duplicates(
        self,
        service_code: str,
        location: Location,
        *,
        at: dt.datetime | None = None,
        radius_m: float = 50.0,
        window: dt.timedelta = dt.timedelta(days=14),
    ) -> list[Case]:
        """Open cases of the same service within ``radius_m`` metres (or at the same address)
        created within ``window`` before ``at``, nearest first."""
        now = self._now(at)
        found: list[tuple[float, str, Case]] = []
        for case in self._cases.values():
            if case.service_code != service_code or case.location is None:
                continue
            if not (now - window <= case.created_at <= now):
                continue
            d = _distance(case.location, location)
            if d is not None and d <= radius_m:
                found.append((d, case.id, case))
        return [c for _, _, c in sorted(found)]

    def merge(
        self,
        duplicate_id: str,
        master_id: str,
        *,
        by: str,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> Case:
        """Merge a duplicate into its master: the duplicate closes (its clocks are cancelled),
        the master keeps the SLA and its reporter follows the master."""
        _actor(by)
        if duplicate_id == master_id:
            raise InvalidTransition("case", self.get(master_id).state.value, "merge", master_id)
        master = self.get(master_id)
        if not master.is_open:
            raise InvalidTransition("case", master.state.value, "absorb_duplicate", master_id)
        now = self._now(at)
        _check_order(self.get(duplicate_id), now, "merge")  # both before either changes
        _check_order(master, now, "merge")
        with self.batch():
            dup_reporter: list[Contact | None] = []

            def apply_dup(case: Case, now: dt.datetime) -> Case:
                self._transition(case, "merge", now, by, note or f"merged into {master_id}")
                case.master_id = master_id
                case.status_notes = "Duplicate request."
                dup_reporter[:] = [case.reporter, *case.followers]
                return case

            self._change(duplicate_id, apply_dup, now, "merge")

            def apply_master(case: Case, now: dt.datetime) -> Case:
                case.duplicate_ids.append(duplicate_id)
                case.followers.extend(c for c in dup_reporter if c is not None)
                self._audit(case, now, by, "absorbed", f"duplicate {duplicate_id}")
                return case

            return self._change(master_id, apply_master, now, "merge")

    def followers(self, case_id: str) -> list[Contact]:
        """Everyone to tell about progress: the reporter and the reporters of merged cases."""
        case = self.get(case_id)
        if case.master_id is not None:
            return self.followers(case.master_id)
        return [c for c in (case.reporter, *case.followers) if c is not None]

    # ------------------------------------------------------------------ SLA
    def _calendar(self, case: Case, clock: ClockRecord) -> Calendar | None:
        if not clock.business:
            return None
        dept = self.catalogue.departments.get(case.department)
        if dept is None or dept.calendar is None:
            return None
        return self.calendars[dept.calendar]

    def _pauses(self, case: Case, clock: ClockRecord) -> list[tuple[float, float | None]]:
        raw: list[tuple[float, float | None]] = [(p[0], p[1]) for p in clock.pauses]  # type: ignore[misc]
        raw += [(s.start, s.end) for s in self._suspensions if s.matches(case)]
        return merge_intervals(raw)

    def _clock_due(self, case: Case, clock: ClockRecord, fraction: float = 1.0) -> float | None:
        cal = self._calendar(case, clock)
        return due_ts(cal, clock.start, clock.seconds * fraction, self._pauses(case, clock))

    def _alarm_ts(self, case: Case, clock: ClockRecord, fraction: float) -> float:
        due = self._clock_due(case, clock, fraction)
        return math.inf if due is None else due

    def clock_status(self, case: Case, kind: str, at: dt.datetime | None = None) -> ClockStatus:
        """One clock of ``case`` seen at ``at`` (default: now)."""
        clock = _clock(case, kind)
        now = self._now(at)
        return self._status(case, clock, now)

    def _status(self, case: Case, clock: ClockRecord, now: dt.datetime) -> ClockStatus:
        cal = self._calendar(case, clock)
        pauses = self._pauses(case, clock)
        due = due_ts(cal, clock.start, clock.seconds, pauses)
        ts = now.timestamp()
        end = ts if clock.stop is None else min(ts, clock.stop)
        elapsed, stopped = business_elapsed(cal, clock.start, max(end, clock.start), pauses)
        breached = clock.breached_at is not None or (due is not None and end > due + _EPS)
        svc = self.catalogue.service(case.service_code)
        pct = (
            100.0 * elapsed / clock.seconds
            if clock.seconds
            else (100.0 if end > clock.start else 0.0)
        )
        paused = any(a <= ts and (b is None or ts < b) for a, b in pauses)
        if clock.cancelled:
            state = ClockState.CANCELLED
        elif breached:
            state = ClockState.BREACHED
        elif clock.stop is not None and ts >= clock.stop:
            state = ClockState.MET
        elif paused:
            state = ClockState.PAUSED
        elif svc.warn_at and pct >= 100.0 * svc.warn_at[0]:
            state = ClockState.WARNING
        else:
            state = ClockState.RUNNING
        return ClockStatus(
            kind=clock.kind,
            state=state,
            at=now,
            start=_utc(clock.start),
            target=dt.timedelta(seconds=clock.seconds),
            due=None if due is None else _utc(due),
            elapsed=dt.timedelta(seconds=round(elapsed, 6)),
            remaining=dt.timedelta(seconds=round(clock.seconds - elapsed, 6)),
            stopped=dt.timedelta(seconds=round(stopped, 6)),
            percentage=round(pct, 4),
            breached=breached,
            completed=None if clock.stop is None else _utc(clock.stop),
            calendar=None if cal is None else cal.id,
        )

    def sla(self, case_id: str, at: dt.datetime | None = None) -> dict[str, ClockStatus]:
        """Every clock of the case at ``at`` (default: now), by kind."""
        case = self.get(case_id)
        now = self._now(at)
        return {k: self._status(case, c, now) for k, c in case.clocks.items()}

    def due(self, case_id: str, kind: str = "resolution") -> dt.datetime | None:
        """The due instant of one clock (``None`` while paused at the due point);
        :class:`NotFoundError` when the case has no such clock, as :meth:`explain`."""
        case = self.get(case_id)
        ts = self._clock_due(case, _clock(case, kind))
        return None if ts is None else _utc(ts)

    def explain(self, case_id: str, kind: str = "resolution") -> str:
        """How the due time of a clock was computed: start, target, calendar, pauses,
        suspensions, closures and holidays on the way, with reasons."""
        case = self.get(case_id)
        clock = _clock(case, kind)
        cal = self._calendar(case, clock)
        tz = self.catalogue.timezone if cal is None else cal.timezone
        import zoneinfo

        zone = zoneinfo.ZoneInfo(tz)

        def loc(ts: float | None) -> str:
            return "open" if ts is None else _utc(ts).astimezone(zone).isoformat()

        hours = clock.seconds / 3600
        lines = [
            f"{case.id} {kind}: target {hours:g} h of "
            + (f"business time on calendar {cal.id!r} ({tz})" if cal else f"calendar time ({tz})")
            + f", priority {case.priority}"
            + (f" ({clock.note})" if clock.note else "")
        ]
        lines.append(f"  starts {loc(clock.start)}")
        for a, b in clock.pauses:
            lines.append(f"  paused {loc(a)} -> {loc(b)} (case state)")
        for s in self._suspensions:
            if s.matches(case):
                lines.append(
                    f"  suspended {loc(s.start)} -> {loc(s.end)}: {s.reason} [{s.id}, by {s.by}]"
                )
        due = self._clock_due(case, clock)
        if cal is not None:
            lines.extend(_calendar_notes(cal, clock.start, due if due is not None else clock.start))
        if cal is not None:
            lines.append(f"  calendar revision {cal.revision}")
        lines.append(f"  due {loc(due)}" + (" (waits for the pause to end)" if due is None else ""))
        if clock.breached_at is not None:
            lines.append(f"  breached at {loc(clock.breached_at)} (sticky)")
        return "\n".join(lines)

    # ------------------------------------------------------------------ due index
    def _clear_index(self) -> None:
        self._due.clear()
        self._due_key.clear()
        self._alarms.clear()
        self._alarm_key.clear()
        self._dirty.clear()

    def _index(self, case: Case) -> None:
        """Mark the case for re-indexing (done lazily, before the index is read)."""
        self._dirty.add(case.id)

    def _flush(self) -> None:
        while self._dirty:
            cid = self._dirty.pop()
            self._reindex(cid, self._cases.get(cid))

    def _reindex(self, case_id: str, case: Case | None) -> None:
        if case is None:
            for kind in ("first_response", "resolution", "update", "next_reply"):
                key = (case_id, kind)
                old = self._due_key.pop(key, None)
                if old is not None:
                    self._remove(self._due, (old, case_id, kind))
                olda = self._alarm_key.pop(key, None)
                if olda is not None:
                    self._remove(self._alarms, (olda, case_id, kind))
            return
        svc = self.catalogue.services.get(case.service_code)
        for kind in ("first_response", "resolution", "update", "next_reply"):
            key = (case.id, kind)
            old = self._due_key.pop(key, None)
            if old is not None:
                self._remove(self._due, (old, case.id, kind))
            olda = self._alarm_key.pop(key, None)
            if olda is not None:
                self._remove(self._alarms, (olda, case.id, kind))
            clock = case.clocks.get(kind)
            if (
                clock is None
                or clock.stop is not None
                or clock.cancelled
                or not case.is_open
                or svc is None
            ):
                continue
            due = self._clock_due(case, clock)
            if due is not None and clock.breached_at is None:
                self._due_key[key] = due
                bisect.insort(self._due, (due, case.id, kind))
            pending = [f for f in (*svc.warn_at, 1.0) if f not in clock.fired]
            if pending:
                alarm = due if pending[0] == 1.0 else self._alarm_ts(case, clock, pending[0])
                if alarm is not None and alarm != math.inf:
                    self._alarm_key[key] = alarm
                    bisect.insort(self._alarms, (alarm, case.id, kind))

    @staticmethod
    def _remove(index: list[tuple[float, str, str]], item: tuple[float, str, str]) -> None:
        i = bisect.bisect_left(index, item)
        if i < len(index) and index[i] == item:
            del index[i]

    def due_before(
        self, until: dt.datetime, kind: str | None = None
    ) -> list[tuple[dt.datetime, str, str]]:
        """(due, case id, clock) of running clocks due before ``until``, soonest first —
        e.g. ``desk.due_before(now + timedelta(hours=1))`` for what breaches in the next hour."""
        end = ensure_aware(until, "until").timestamp()
        self._flush()
        j = bisect.bisect_left(self._due, (end, "", ""))
        return [(_utc(t), cid, k) for t, cid, k in self._due[:j] if kind is None or k == kind]

    def tick(self, at: dt.datetime | None = None) -> list[SlaAlert]:
        """Fire due warnings and breaches (each threshold once per clock) and run escalation
        rules; returns the alerts in time order."""
        now = self._now(at)
        ts = now.timestamp()
        alerts: list[SlaAlert] = []
        self._flush()
        while self._alarms and self._alarms[0][0] <= ts:
            _, case_id, kind = self._alarms[0]
            alerts.extend(self._change(case_id, self._alarm_op(kind, ts), now))
            self._flush()
        alerts.sort(key=lambda a: (a.at, a.case_id, a.clock, a.fraction))
        return alerts

    def _alarm_op(self, kind: str, ts: float) -> Callable[[Case, dt.datetime], list[SlaAlert]]:
        return lambda case, _now: self._fire_alarms(case, kind, ts)

    def _audit_op(self, by: str, action: str, note: str) -> Callable[[Case, dt.datetime], None]:
        return lambda case, now: self._audit(case, now, by, action, note)

    def _fire_alarms(self, case: Case, kind: str, ts: float) -> list[SlaAlert]:
        svc = self.catalogue.service(case.service_code)
        clock = case.clocks[kind]
        out = []
        for f in (*svc.warn_at, 1.0):
            if f in clock.fired:
                continue
            when = self._alarm_ts(case, clock, f)
            if when > ts:
                break
            clock.fired.append(f)
            if f == 1.0:
                clock.breached_at = clock.breached_at or when
            due = self._clock_due(case, clock)
            alert = SlaAlert(
                at=_utc(when),
                case_id=case.id,
                clock=kind,
                fraction=f,
                due=None if due is None else _utc(due),
            )
            out.append(alert)
            now = _utc(ts)
            self._audit(
                case,
                now,
                "sla",
                "breach" if f == 1.0 else "warning",
                f"{kind} {f:.0%} at {alert.at.isoformat()}",
            )
            self.bus.publish(alert)
            self._escalate(case, kind, "breach" if f == 1.0 else "warning", now)
        return out

    def _escalate(self, case: Case, kind: str, on: str, now: dt.datetime) -> None:
        for rule in self.escalation_rules:
            if rule.on != on or rule.clock != kind:
                continue
            if not _Scope(
                services=rule.services, departments=rule.departments, tags=rule.tags
            ).matches(case):
                continue
            actions = []
            if rule.raise_priority:
                i = PRIORITIES.index(case.priority)
                if i + 1 < len(PRIORITIES):
                    self._set_priority(
                        case, PRIORITIES[i + 1], now, "sla", f"escalation {rule.name}"
                    )
                    actions.append(f"priority {PRIORITIES[i + 1]}")
            if rule.reassign_team or rule.reassign_to:
                case.team = rule.reassign_team or case.team
                case.assignee = rule.reassign_to or case.assignee
                who = "/".join(x for x in (rule.reassign_team, rule.reassign_to) if x)
                self._audit(case, now, "sla", "reassigned", f"escalation {rule.name}: {who}")
                actions.append(f"reassigned {who}")
            if rule.notify:
                actions.append("notify " + ", ".join(rule.notify))
            self.bus.publish(
                Escalated(
                    at=now,
                    case_id=case.id,
                    rule=rule.name,
                    actions=tuple(actions),
                    notify=rule.notify,
                )
            )

    # ------------------------------------------------------------------ emergencies
    def declare_emergency(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        reason: str,
        by: str,
        services: Iterable[str] = (),
        departments: Iterable[str] = (),
        tags: Iterable[str] = (),
    ) -> Suspension:
        """Suspend the clocks of matching cases (services, departments and/or tags) in
        ``[start, end)``; audited on every open case it touches and kept in the store."""
        _actor(by)
        s = ensure_aware(start, "start").timestamp()
        e = ensure_aware(end, "end").timestamp()
        if e <= s:
            raise ConfigError("end is not after start", path="end", value=end)
        scope = {
            "services": frozenset(_names(services, "services")),
            "departments": frozenset(_names(departments, "departments")),
            "tags": frozenset(_names(tags, "tags")),
        }
        if not any(scope.values()):
            raise ConfigError("an emergency needs services, departments or tags", path="scope")
        self._known_scope(scope["services"], scope["departments"])
        susp = Suspension(
            id=f"EM-{len(self._suspensions) + 1}", start=s, end=e, reason=reason, by=by, **scope
        )
        with self.batch():
            self._suspensions.append(susp)
            self.store.put_meta("suspensions", [x.to_dict() for x in self._suspensions])
            note = f"{susp.id} {_utc(s).isoformat()} -> {_utc(e).isoformat()}: {reason}"
            for case in [c for c in self._cases.values() if susp.matches(c)]:
                self._change(case.id, lambda c, n: self._audit(c, n, by, "sla_suspended", note))
        return susp

    def _known_scope(self, services: Iterable[str], departments: Iterable[str]) -> None:
        """Service codes and department ids of a scope (an emergency, a rule) exist in the
        catalogue (a misspelt one would never match); errors at ``services``/``departments``."""
        for code in sorted(services):
            self.catalogue.service(code)
        for d in sorted(departments):
            if d not in self.catalogue.departments:
                raise ConfigError(f"unknown department {d!r}", path="departments", value=d)

    @property
    def suspensions(self) -> tuple[Suspension, ...]:
        """Every declared emergency suspension."""
        return tuple(self._suspensions)

    def _calendar_changed(self, cal: Calendar) -> None:
        """A calendar changed (a snow-day closure): recompute every clock that uses it, and
        audit each moved due time with the calendar's new revision."""
        if self._revisions.get(cal.id) == cal.revision:
            return
        self._revisions[cal.id] = cal.revision
        depts = {d.id for d in self.catalogue.departments.values() if d.calendar == cal.id}
        affected = sorted(c.id for c in self._cases.values() if c.department in depts)
        now = self._now()
        with self.batch():
            for cid in affected:
                case = self._cases[cid]
                # a case changed since it was last indexed has no known "before": say "now"
                stale = cid in self._dirty
                self._dirty.discard(cid)
                before = {k: self._due_key.get((cid, k)) for k in case.clocks}
                self._reindex(cid, case)
                moved = [
                    (k, None if stale else b, self._due_key.get((cid, k)))
                    for k, b in before.items()
                    if stale or b != self._due_key.get((cid, k))
                ]
                if moved:
                    note = "; ".join(
                        f"{k} due {'now' if b is None else _utc(b).isoformat() + ' ->'} "
                        f"{'-' if a is None else _utc(a).isoformat()}"
                        for k, b, a in moved
                    )
                    reason = f"calendar {cal.id} revision {cal.revision}: {note}"
                    self._change(cid, self._audit_op("calendar", "sla_recomputed", reason), now)

    def recompute(self) -> int:
        """Recompute every open case's clocks and the due index; returns the number of cases."""
        self._clear_index()
        self._dirty.clear()
        for case in self._cases.values():
            self._reindex(case.id, case)
        return len(self._cases)


def _clock(case: Case, kind: str) -> ClockRecord:
    """The ``kind`` clock of the case; :class:`NotFoundError` when it has none."""
    try:
        return case.clocks[kind]
    except KeyError:
        raise NotFoundError(f"case {case.id!r} has no {kind!r} clock") from None


def _check_order(case: Case, now: dt.datetime, what: str) -> None:
    """Refuse an event dated before the case's creation or its last recorded change."""
    if now >= case.updated_at:
        return
    if now < case.created_at:
        since = f"its creation at {case.created_at.isoformat()}"
    else:
        since = f"its last recorded change at {case.updated_at.isoformat()}"
    msg = f"case {case.id!r}: {what} at {now.isoformat()} is before {since}"
    raise ConfigError(msg, path="at", node=case.id, value=now)


def _check_attributes(svc: Service, values: Mapping[str, Any]) -> None:
    known = {a.code: a for a in svc.attributes}
    for code in values:
        if code not in known:
            names = ", ".join(known) or "none"
            msg = f"service {svc.code!r} has no attribute {code!r} (known: {names})"
            raise ConfigError(msg, path=f"attributes.{code}", node=svc.code)
    for a in svc.attributes:
        v = values.get(a.code)
        if v is None or v == "":
            if a.required:
                msg = f"attribute {a.code!r} is required for service {svc.code!r}"
                raise ConfigError(msg, path=f"attributes.{a.code}", node=svc.code)
            continue
        keys = {k for k, _ in a.values}
        if a.datatype == "singlevaluelist" and str(v) not in keys:
            msg = f"{v!r} is not one of {sorted(keys)}"
            raise ConfigError(msg, path=f"attributes.{a.code}", node=svc.code, value=v)
        if a.datatype == "multivaluelist":
            bad = [x for x in (v if isinstance(v, list) else [v]) if str(x) not in keys]
            if bad:
                msg = f"{bad!r} not in {sorted(keys)}"
                raise ConfigError(msg, path=f"attributes.{a.code}", node=svc.code, value=v)
        if a.datatype == "number":
            try:
                float(v)
            except (TypeError, ValueError):
                msg = f"{v!r} is not a number"
                raise ConfigError(
                    msg, path=f"attributes.{a.code}", node=svc.code, value=v
                ) from None


def _distance(a: Location, b: Location) -> float | None:
    if None not in (a.lat, a.lon, b.lat, b.lon):
        lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * 6371000.0 * math.asin(math.sqrt(h))
    if (
        a.address
        and b.address
        and " ".join(a.address.lower().split()) == " ".join(b.address.lower().split())
    ):
        return 0.0
    return None


def _calendar_notes(cal: Calendar, start: float, due: float) -> list[str]:
    """Holidays, closures, deviating hours and emergencies between ``start`` and ``due``."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(cal.timezone)
    first, last = _utc(start).astimezone(zone).date(), _utc(due).astimezone(zone).date()
    out = []
    day = first
    while day <= last and (day - first).days < 400:
        name = cal.holiday_on(day)
        if name:
            out.append(f"  {day.isoformat()}: holiday ({name})")
        for rules in (cal.rules, *cal.shared):
            for d in rules.deviations(day):
                what = (
                    "closed" if d.whole_day else ("closed in part" if d.closed else "other hours")
                )
                out.append(f"  {day.isoformat()}: {what}" + (f" ({d.reason})" if d.reason else ""))
        day += dt.timedelta(days=1)
    for em in cal.emergencies:
        end = math.inf if em.end is None else em.end.timestamp()
        if em.start.timestamp() < due and end > start:
            until = "open end" if em.end is None else em.end.astimezone(zone).isoformat()
            scope = f" [{em.scope}]" if em.scope else ""
            out.append(
                f"  emergency{scope} {em.start.astimezone(zone).isoformat()} -> {until}"
                + (f" ({em.reason})" if em.reason else "")
            )
    return out
