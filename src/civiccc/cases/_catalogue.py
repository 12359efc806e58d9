"""The service catalogue: services, departments and SLA targets, loaded from data."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from civiccc._documents import read_document
from civiccc.cases._lifecycle import CaseState
from civiccc.errors import ConfigError

__all__ = [
    "CLOCK_KINDS",
    "PRIORITIES",
    "AttributeSpec",
    "Catalogue",
    "Department",
    "Service",
    "SlaTarget",
    "parse_duration",
]

#: Priorities from lowest to highest.
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
#: The clock kinds a target can define.
CLOCK_KINDS: tuple[str, ...] = ("first_response", "resolution", "update", "next_reply")
_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)\s*$")
_UNIT = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any, path: str = "") -> float:
    """Seconds from ``"8h"``, ``"90m"``, ``"2d"``, ``"30s"`` or a number of seconds.

    >>> parse_duration("8.5h")
    30600.0
    >>> parse_duration("soon", "sla")
    Traceback (most recent call last):
    ...
    civiccc.errors.ConfigError: sla: duration 'soon' is not seconds or like '8h', '90m', '2d'
    """
    if isinstance(value, bool):
        pass
    elif isinstance(value, int | float) and value >= 0:
        return float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        return float(m.group(1)) * _UNIT[m.group(2)]
    msg = f"duration {value!r} is not seconds or like '8h', '90m', '2d'"
    raise ConfigError(msg, path=path or None, value=value)


@attrs.frozen(kw_only=True)
class SlaTarget:
    """One service-level target: ``seconds`` of business time (or calendar time)."""

    kind: str
    seconds: float
    business: bool = True


@attrs.frozen(kw_only=True)
class AttributeSpec:
    """An attribute a request for a service carries (Open311 service definition)."""

    code: str
    datatype: str = "string"
    required: bool = False
    description: str = ""
    values: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True)
class Department:
    """A department: who is responsible, on which business calendar its clocks run."""

    id: str
    name: str
    calendar: str | None = None


@attrs.frozen(kw_only=True)
class Service:
    """A service a resident can request (missed pick-up, pothole, ...).

    Attributes:
        targets: priority -> clock kind -> target.
        pause_in: clock kind -> states in which that clock does not run.
        warn_at: fractions of a target at which a warning fires (once each).
        reopen: ``"resume"`` (the resolution clock continues) or ``"restart"``.
        priority_change: ``"retroactive"`` (keep start and pauses, new target) or ``"restart"``.
    """

    code: str
    name: str
    department: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()
    default_priority: str = "normal"
    attributes: tuple[AttributeSpec, ...] = ()
    targets: Mapping[str, Mapping[str, SlaTarget]] = attrs.field(factory=dict)
    pause_in: Mapping[str, frozenset[CaseState]] = attrs.field(factory=dict)
    warn_at: tuple[float, ...] = (0.75,)
    reopen: str = "resume"
    priority_change: str = "retroactive"

    def targets_for(self, priority: str) -> Mapping[str, SlaTarget]:
        """The targets of ``priority``; clock kinds it does not define come from the default
        priority."""
        own = self.targets.get(priority, {})
        base = self.targets.get(self.default_priority, {})
        return own if priority == self.default_priority else {**base, **own}


_DEFAULT_PAUSE = {
    "first_response": frozenset(),
    "resolution": frozenset({CaseState.WAITING_ON_CITIZEN}),
    "update": frozenset({CaseState.WAITING_ON_CITIZEN}),
    "next_reply": frozenset(),
}


def _str(data: Mapping[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        msg = f"{key!r} must be a non-empty string, got {value!r}"
        raise ConfigError(msg, path=f"{path}.{key}", value=value)
    return value


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"expected a mapping, got {type(value).__name__}"
        raise ConfigError(msg, path=path, value=value)
    return value


def _target(kind: str, raw: Any, path: str) -> SlaTarget:
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"after", "business"}
        if unknown:
            msg = f"unknown keys {sorted(unknown)} (allowed: after, business)"
            raise ConfigError(msg, path=path)
        business = raw.get("business", True)
        if not isinstance(business, bool):
            raise ConfigError("'business' must be true or false", path=f"{path}.business")
        return SlaTarget(
            kind=kind, seconds=parse_duration(raw.get("after"), f"{path}.after"), business=business
        )
    return SlaTarget(kind=kind, seconds=parse_duration(raw, path))


def _pause(raw: Any, path: str) -> dict[str, frozenset[CaseState]]:
    out = dict(_DEFAULT_PAUSE)
    for kind, states in _mapping(raw, path).items():
        if kind not in CLOCK_KINDS:
            msg = f"unknown clock {kind!r} (known: {', '.join(CLOCK_KINDS)})"
            raise ConfigError(msg, path=f"{path}.{kind}")
        parsed = set()
        for i, s in enumerate(states or ()):
            try:
                parsed.add(CaseState(s))
            except ValueError:
                msg = f"unknown case state {s!r}"
                raise ConfigError(msg, path=f"{path}.{kind}[{i}]", value=s) from None
        out[kind] = frozenset(parsed)
    return out


def _service(
    data: Any, path: str, defaults: Mapping[str, Any], depts: Mapping[str, Any]
) -> Service:
    data = _mapping(data, path)
    code = _str(data, "code", path)
    known = {
        "code",
        "name",
        "department",
        "description",
        "group",
        "keywords",
        "default_priority",
        "attributes",
        "sla",
        "pause_in",
        "warn_at",
        "reopen",
        "priority_change",
    }
    if unknown := set(data) - known:
        msg = f"unknown keys {sorted(unknown)}"
        raise ConfigError(msg, path=path, node=code)
    dept = _str(data, "department", path)
    if dept not in depts:
        msg = f"unknown department {dept!r} (known: {', '.join(sorted(depts))})"
        raise ConfigError(msg, path=f"{path}.department", node=code, value=dept)
    prio = data.get("default_priority", "normal")
    if prio not in PRIORITIES:
        msg = f"unknown priority {prio!r} (known: {', '.join(PRIORITIES)})"
        raise ConfigError(msg, path=f"{path}.default_priority", node=code, value=prio)
    targets: dict[str, dict[str, SlaTarget]] = {}
    for p, per in _mapping(data.get("sla", {}), f"{path}.sla").items():
        if p not in PRIORITIES:
            msg = f"unknown priority {p!r} (known: {', '.join(PRIORITIES)})"
            raise ConfigError(msg, path=f"{path}.sla.{p}", node=code, value=p)
        targets[p] = {}
        for kind, raw in _mapping(per, f"{path}.sla.{p}").items():
            if kind not in CLOCK_KINDS:
                msg = f"unknown clock {kind!r} (known: {', '.join(CLOCK_KINDS)})"
                raise ConfigError(msg, path=f"{path}.sla.{p}.{kind}", node=code)
            targets[p][kind] = _target(kind, raw, f"{path}.sla.{p}.{kind}")
    attributes = []
    orders: set[str] = set()
    for i, a in enumerate(data.get("attributes", ()) or ()):
        apath = f"{path}.attributes[{i}]"
        a = _mapping(a, apath)
        acode = _str(a, "code", apath)
        if acode in orders:
            raise ConfigError(f"duplicate attribute {acode!r}", path=f"{apath}.code", node=code)
        orders.add(acode)
        datatype = a.get("datatype", "string")
        if datatype not in _DATATYPES:
            msg = f"unknown datatype {datatype!r} (known: {', '.join(_DATATYPES)})"
            raise ConfigError(msg, path=f"{apath}.datatype", node=code, value=datatype)
        values = tuple(
            (str(v["key"]), str(v.get("name", v["key"])))
            if isinstance(v, Mapping)
            else (str(v), str(v))
            for v in a.get("values", ()) or ()
        )
        if datatype.endswith("valuelist") and not values:
            raise ConfigError("a value list needs 'values'", path=f"{apath}.values", node=code)
        attributes.append(
            AttributeSpec(
                code=acode,
                datatype=datatype,
                values=values,
                required=bool(a.get("required", False)),
                description=str(a.get("description", "")),
            )
        )
    warn = data.get("warn_at", defaults.get("warn_at", [0.75]))
    if not isinstance(warn, Sequence) or not all(
        isinstance(w, int | float) and not isinstance(w, bool) and 0 < w < 1 for w in warn
    ):
        msg = f"warn_at must be a list of fractions between 0 and 1, got {warn!r}"
        raise ConfigError(msg, path=f"{path}.warn_at", node=code, value=warn)
    choices = {"reopen": ("resume", "restart"), "priority_change": ("retroactive", "restart")}
    chosen = {}
    for key, allowed in choices.items():
        v = data.get(key, defaults.get(key, allowed[0]))
        if v not in allowed:
            msg = f"{key} must be one of {', '.join(allowed)}, got {v!r}"
            raise ConfigError(msg, path=f"{path}.{key}", node=code, value=v)
        chosen[key] = v
    keywords = data.get("keywords", ())
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    return Service(
        code=code,
        name=_str(data, "name", path, code),
        department=dept,
        description=str(data.get("description", "")),
        group=str(data.get("group", "")),
        keywords=tuple(keywords),
        default_priority=prio,
        attributes=tuple(attributes),
        targets=targets,
        pause_in=_pause(data.get("pause_in", defaults.get("pause_in", {})), f"{path}.pause_in"),
        warn_at=tuple(sorted(float(w) for w in warn)),
        reopen=chosen["reopen"],
        priority_change=chosen["priority_change"],
    )


@attrs.frozen(kw_only=True)
class Catalogue:
    """The services a jurisdiction offers, by code, and its departments.

    >>> cat = Catalogue.from_dict({
    ...     "jurisdiction": {"id": "city.example", "timezone": "America/Vancouver"},
    ...     "departments": {"roads": {"name": "Roads", "calendar": "city_hall"}},
    ...     "services": [{"code": "pothole", "name": "Pothole", "department": "roads",
    ...                   "sla": {"normal": {"resolution": "40h"}}}],
    ... })
    >>> cat.service("pothole").targets_for("urgent")["resolution"].seconds
    144000.0
    >>> cat.service("graffiti")
    Traceback (most recent call last):
    ...
    civiccc.errors.ConfigError: services: unknown service 'graffiti' (known: pothole)
    """

    jurisdiction: str
    timezone: str
    departments: Mapping[str, Department]
    services: Mapping[str, Service]

    def service(self, code: str) -> Service:
        """The service with ``code``; :class:`ConfigError` naming the known codes otherwise."""
        try:
            return self.services[code]
        except KeyError:
            msg = f"unknown service {code!r} (known: {', '.join(sorted(self.services))})"
            raise ConfigError(msg, path="services", value=code) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Catalogue:
        """Build a catalogue from plain data; errors name the file and field."""
        try:
            return cls._from_dict(_mapping(data, ""))
        except ConfigError as e:
            raise e.at(file=file) from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        if unknown := set(data) - {"jurisdiction", "departments", "services", "defaults"}:
            raise ConfigError(f"unknown keys {sorted(unknown)}", path="")
        jur = _mapping(data.get("jurisdiction", {}), "jurisdiction")
        tz = _str(jur, "timezone", "jurisdiction", "UTC")
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {tz!r}"
            raise ConfigError(msg, path="jurisdiction.timezone", value=tz) from None
        depts = {}
        for did, d in _mapping(data.get("departments", {}), "departments").items():
            d = _mapping(d, f"departments.{did}")
            cal = d.get("calendar")
            if cal is not None and not isinstance(cal, str):
                raise ConfigError(
                    "calendar must be a calendar id", path=f"departments.{did}.calendar"
                )
            depts[did] = Department(id=did, name=str(d.get("name", did)), calendar=cal)
        defaults = _mapping(data.get("defaults", {}), "defaults")
        raw = data.get("services", [])
        if not isinstance(raw, list):
            raise ConfigError("services must be a list", path="services")
        services: dict[str, Service] = {}
        for i, s in enumerate(raw):
            svc = _service(s, f"services[{i}]", defaults, depts)
            if svc.code in services:
                msg = f"duplicate service code {svc.code!r}"
                raise ConfigError(msg, path=f"services[{i}].code", node=svc.code)
            services[svc.code] = svc
        return cls(
            jurisdiction=_str(jur, "id", "jurisdiction", "civiccc"),
            timezone=tz,
            departments=depts,
            services=services,
        )

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """Load a catalogue from a YAML or JSON file."""
        p = Path(path)
        data = read_document(p)  # errors name the file and line; duplicate keys refused
        return cls.from_dict(data, file=str(p))
