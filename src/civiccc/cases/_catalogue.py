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


def check_name(value: Any, key: str, path: str, node: str | None = None) -> str:
    """An id or name: a non-empty string; :class:`ConfigError` at ``path`` otherwise (also for
    the rules of :class:`~civiccc.cases.CaseDesk`)."""
    if not isinstance(value, str) or not value:
        msg = f"{key!r} must be a non-empty string, got {value!r}"
        raise ConfigError(msg, path=path, node=node, value=value)
    return value


def check_flag(value: Any, key: str, path: str, node: str | None = None) -> bool:
    """A boolean: ``True``/``False`` only (``"no"`` or ``0`` is not a boolean)."""
    if not isinstance(value, bool):
        msg = f"{key!r} must be true or false, got {value!r}"
        raise ConfigError(msg, path=path, node=node, value=value)
    return value


def check_clock_kind(kind: Any, path: str, node: str | None = None) -> str:
    """One of :data:`CLOCK_KINDS`."""
    if not isinstance(kind, str) or kind not in CLOCK_KINDS:
        msg = f"unknown clock {kind!r} (known: {', '.join(CLOCK_KINDS)})"
        raise ConfigError(msg, path=path, node=node, value=kind)
    return kind


def _str(data: Mapping[str, Any], key: str, path: str, default: str | None = None) -> str:
    return check_name(data.get(key, default), key, f"{path}.{key}")


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"expected a mapping, got {type(value).__name__}"
        raise ConfigError(msg, path=path, value=value)
    return value


def _fields(
    data: Mapping[str, Any], allowed: Sequence[str], path: str, node: str | None = None
) -> None:
    """Refuse keys outside ``allowed``; the error's path names the first unknown key."""
    unknown = sorted((k for k in data if k not in allowed), key=str)
    if unknown:
        msg = f"unknown keys {unknown} (allowed: {', '.join(allowed)})"
        where = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise ConfigError(msg, path=where, node=node, value=unknown[0])


def _text(data: Mapping[str, Any], key: str, path: str, node: str | None = None) -> str:
    """An optional string field (``""`` when absent or null)."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        msg = f"{key!r} must be a string, got {value!r}"
        raise ConfigError(msg, path=f"{path}.{key}", node=node, value=value)
    return value


def _flag(data: Mapping[str, Any], key: str, path: str, node: str | None = None) -> bool:
    """An optional boolean: ``true``/``false`` only (``"no"`` is not a boolean)."""
    return check_flag(data.get(key, False), key, f"{path}.{key}", node)


def _target(kind: str, raw: Any, path: str) -> SlaTarget:
    if isinstance(raw, Mapping):
        _fields(raw, ("after", "business"), path)
        business = check_flag(raw.get("business", True), "business", f"{path}.business")
        return SlaTarget(
            kind=kind, seconds=parse_duration(raw.get("after"), f"{path}.after"), business=business
        )
    return SlaTarget(kind=kind, seconds=parse_duration(raw, path))


def _pause(raw: Any, path: str) -> dict[str, frozenset[CaseState]]:
    out = dict(_DEFAULT_PAUSE)
    for kind, states in _mapping(raw, path).items():
        check_clock_kind(kind, f"{path}.{kind}")
        if states is None:
            states = ()
        if isinstance(states, str) or not isinstance(states, Sequence):
            msg = f"expected a list of case states, got {states!r}"
            raise ConfigError(msg, path=f"{path}.{kind}", value=states)
        parsed = set()
        for i, s in enumerate(states):
            try:
                parsed.add(CaseState(s))
            except ValueError:
                msg = f"unknown case state {s!r}"
                raise ConfigError(msg, path=f"{path}.{kind}[{i}]", value=s) from None
        out[kind] = frozenset(parsed)
    return out


_SERVICE_FIELDS = (
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
)
_DEFAULT_FIELDS = ("warn_at", "pause_in", "reopen", "priority_change")
_CHOICES = {"reopen": ("resume", "restart"), "priority_change": ("retroactive", "restart")}


def _warn_at(warn: Any, path: str, node: str | None = None) -> tuple[float, ...]:
    if (
        isinstance(warn, str)
        or not isinstance(warn, Sequence)
        or not all(
            isinstance(w, int | float) and not isinstance(w, bool) and 0 < w < 1 for w in warn
        )
    ):
        msg = f"warn_at must be a list of fractions between 0 and 1, got {warn!r}"
        raise ConfigError(msg, path=path, node=node, value=warn)
    return tuple(sorted(float(w) for w in warn))


def _choice(value: Any, key: str, path: str, node: str | None = None) -> str:
    allowed = _CHOICES[key]
    if not isinstance(value, str) or value not in allowed:
        msg = f"{key} must be one of {', '.join(allowed)}, got {value!r}"
        raise ConfigError(msg, path=path, node=node, value=value)
    return value


def _defaults(raw: Any) -> dict[str, Any]:
    """The catalogue-wide defaults, checked once (errors name ``defaults.<field>``)."""
    data = _mapping(raw, "defaults")
    _fields(data, _DEFAULT_FIELDS, "defaults")
    out: dict[str, Any] = {
        "warn_at": _warn_at(data.get("warn_at", [0.75]), "defaults.warn_at"),
        "pause_in": _pause(data.get("pause_in", {}), "defaults.pause_in"),
    }
    for key, allowed in _CHOICES.items():
        out[key] = _choice(data.get(key, allowed[0]), key, f"defaults.{key}")
    return out


def _attribute(a: Any, apath: str, code: str) -> AttributeSpec:
    a = _mapping(a, apath)
    _fields(a, ("code", "datatype", "required", "description", "values"), apath, code)
    acode = _str(a, "code", apath)
    datatype = a.get("datatype", "string")
    if not isinstance(datatype, str) or datatype not in _DATATYPES:
        msg = f"unknown datatype {datatype!r} (known: {', '.join(_DATATYPES)})"
        raise ConfigError(msg, path=f"{apath}.datatype", node=code, value=datatype)
    raw_values = a.get("values", ()) or ()
    if isinstance(raw_values, str | Mapping) or not isinstance(raw_values, Sequence):
        msg = f"'values' must be a list, got {raw_values!r}"
        raise ConfigError(msg, path=f"{apath}.values", node=code, value=raw_values)
    values: list[tuple[str, str]] = []
    for j, v in enumerate(raw_values):
        vpath = f"{apath}.values[{j}]"
        if isinstance(v, Mapping):
            _fields(v, ("key", "name"), vpath, code)
            key = _value_key(v.get("key"), f"{vpath}.key", code)
            name = _text(v, "name", vpath, code) or key
        else:
            key = name = _value_key(v, vpath, code)
        if any(key == k for k, _ in values):
            msg = f"duplicate value key {key!r}"
            raise ConfigError(msg, path=vpath, node=code, value=key)
        values.append((key, name))
    if datatype.endswith("valuelist") and not values:
        raise ConfigError("a value list needs 'values'", path=f"{apath}.values", node=code)
    return AttributeSpec(
        code=acode,
        datatype=datatype,
        values=tuple(values),
        required=_flag(a, "required", apath, code),
        description=_text(a, "description", apath, code),
    )


def _value_key(v: Any, path: str, code: str) -> str:
    """A value-list key: a non-empty string, or an integer (kept as its text)."""
    if isinstance(v, bool) or not isinstance(v, str | int) or v == "":
        msg = f"a value key must be a non-empty string or an integer, got {v!r}"
        raise ConfigError(msg, path=path, node=code, value=v)
    return str(v)


def _keywords(raw: Any, path: str, code: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return tuple(k.strip() for k in raw.split(",") if k.strip())
    if isinstance(raw, Sequence) and all(isinstance(k, str) for k in raw):
        return tuple(raw)
    msg = f"keywords must be a list of strings or a comma-separated string, got {raw!r}"
    raise ConfigError(msg, path=path, node=code, value=raw)


def _service(
    data: Any, path: str, defaults: Mapping[str, Any], depts: Mapping[str, Any]
) -> Service:
    data = _mapping(data, path)
    code = _str(data, "code", path)
    _fields(data, _SERVICE_FIELDS, path, code)
    dept = _str(data, "department", path)
    if dept not in depts:
        msg = f"unknown department {dept!r} (known: {', '.join(sorted(depts))})"
        raise ConfigError(msg, path=f"{path}.department", node=code, value=dept)
    prio = data.get("default_priority", "normal")
    if not isinstance(prio, str) or prio not in PRIORITIES:
        msg = f"unknown priority {prio!r} (known: {', '.join(PRIORITIES)})"
        raise ConfigError(msg, path=f"{path}.default_priority", node=code, value=prio)
    targets: dict[str, dict[str, SlaTarget]] = {}
    for p, per in _mapping(data.get("sla") or {}, f"{path}.sla").items():
        if p not in PRIORITIES:
            msg = f"unknown priority {p!r} (known: {', '.join(PRIORITIES)})"
            raise ConfigError(msg, path=f"{path}.sla.{p}", node=code, value=p)
        targets[p] = {}
        for kind, raw in _mapping(per, f"{path}.sla.{p}").items():
            check_clock_kind(kind, f"{path}.sla.{p}.{kind}", code)
            targets[p][kind] = _target(kind, raw, f"{path}.sla.{p}.{kind}")
    if targets and prio not in targets:
        msg = (
            f"default priority {prio!r} has no SLA entry (sla defines:"
            f" {', '.join(p for p in PRIORITIES if p in targets)}); add sla.{prio} or set"
            " default_priority to one of those"
        )
        raise ConfigError(msg, path=f"{path}.default_priority", node=code, value=prio)
    raw_attrs = data.get("attributes") or ()
    if isinstance(raw_attrs, str | Mapping) or not isinstance(raw_attrs, Sequence):
        msg = f"'attributes' must be a list, got {raw_attrs!r}"
        raise ConfigError(msg, path=f"{path}.attributes", node=code, value=raw_attrs)
    attributes: list[AttributeSpec] = []
    for i, a in enumerate(raw_attrs):
        spec = _attribute(a, f"{path}.attributes[{i}]", code)
        if any(spec.code == x.code for x in attributes):
            msg = f"duplicate attribute {spec.code!r}"
            raise ConfigError(msg, path=f"{path}.attributes[{i}].code", node=code)
        attributes.append(spec)
    warn = (
        _warn_at(data["warn_at"], f"{path}.warn_at", code)
        if "warn_at" in data
        else defaults["warn_at"]
    )
    pause = (
        _pause(data["pause_in"], f"{path}.pause_in") if "pause_in" in data else defaults["pause_in"]
    )
    chosen = {
        key: _choice(data[key], key, f"{path}.{key}", code) if key in data else defaults[key]
        for key in _CHOICES
    }
    return Service(
        code=code,
        name=_str(data, "name", path, code),
        department=dept,
        description=_text(data, "description", path, code),
        group=_text(data, "group", path, code),
        keywords=_keywords(data.get("keywords"), f"{path}.keywords", code),
        default_priority=prio,
        attributes=tuple(attributes),
        targets=targets,
        pause_in=pause,
        warn_at=warn,
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
        _fields(data, ("jurisdiction", "departments", "services", "defaults"), "")
        jur = _mapping(data.get("jurisdiction", {}), "jurisdiction")
        _fields(jur, ("id", "timezone"), "jurisdiction")
        tz = _str(jur, "timezone", "jurisdiction", "UTC")
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {tz!r}"
            raise ConfigError(msg, path="jurisdiction.timezone", value=tz) from None
        depts = {}
        for did, d in _mapping(data.get("departments", {}), "departments").items():
            if not isinstance(did, str) or not did:
                msg = f"a department id must be a non-empty string, got {did!r}"
                raise ConfigError(msg, path=f"departments.{did}", value=did)
            dpath = f"departments.{did}"
            d = _mapping(d, dpath)
            _fields(d, ("name", "calendar"), dpath, did)
            cal = d.get("calendar")
            if cal is not None and (not isinstance(cal, str) or not cal):
                raise ConfigError("calendar must be a calendar id", path=f"{dpath}.calendar")
            depts[did] = Department(id=did, name=_text(d, "name", dpath, did) or did, calendar=cal)
        defaults = _defaults(data.get("defaults") or {})
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
