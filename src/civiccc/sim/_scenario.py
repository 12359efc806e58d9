"""Scenarios as data (YAML/dict) and as frozen attrs specs."""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from civiccc._documents import read_document, refuse_unknown
from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError

__all__ = ["Dist", "Scenario", "Shift", "load_scenario"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The day specs of the weekly arrival profile and of shifts, with the weekdays (0 = Monday)
#: each one names: a day, ``weekdays``, ``weekend`` or ``all``.
_DAY_SPECS: Mapping[str, tuple[int, ...]] = {
    **{day: (i,) for i, day in enumerate(_DAYS)},
    "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
    "all": (0, 1, 2, 3, 4, 5, 6),
}
#: The distributions and the fields each one takes.
_DIST_KEYS = {
    "exponential": ("dist", "mean"),
    "fixed": ("dist", "mean"),
    "lognormal": ("dist", "mean", "sd"),
    "uniform": ("dist", "low", "high"),
}
#: every field a distribution may have (any kind)
_DIST_FIELDS = frozenset(k for keys in _DIST_KEYS.values() for k in keys)
_DISTS = tuple(_DIST_KEYS)


def is_input_kind(kind: str) -> bool:
    """Flow node kinds where the caller enters something (menus, language, dial by ...)."""
    return kind in ("menu", "language") or "dial" in kind


#: Limits on scenario data (documented in docs/sim.md): generous for any city, but finite, so a
#: typo (``days: 1e9``, a rate of ``.inf``) is refused instead of running for ever.
MAX_DAYS = 3660.0  # ten years
MAX_RATE = 100_000.0  # calls per hour in one span of the weekly profile
MAX_FACTOR = 100.0  # surge and holiday factors
MAX_POOL = 10_000_000  # distinct callers
MAX_DURATION = 366 * 86400.0  # any duration (distributions, fcr_window): a year
MAX_ANSWER_DELAY = 3600.0
MIN_INTERVAL, MAX_INTERVAL = 60.0, 7 * 86400.0

#: The DTMF keys (``civiccc.routing``: a menu's key labels; ``Flow.start().press`` refuses others).
DTMF_KEYS = frozenset("0123456789*#")
#: CSV columns of ``arrivals.csv``.
CSV_COLUMNS = ("time", "caller", "dtmf")


def _err(msg: str, path: str, value: Any = None) -> ConfigError:
    return ConfigError(msg, path=path, value=value)


def _num(
    v: Any, path: str, *, low: float = 0.0, strict: bool = False, high: float | None = None
) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        raise _err(f"expected a number, got {v!r}", path, v)
    if v < low or (strict and v == low):
        raise _err(f"must be {'>' if strict else '>='} {low:g}, got {v!r}", path, v)
    if math.isinf(v):
        raise _err(f"must be finite, got {v!r}", path, v)
    if high is not None and v > high:
        raise _err(f"must be <= {high:g}, got {v!r}", path, v)
    return float(v)


def _share(v: Any, path: str) -> float:
    x = _num(v, path)
    if x > 1:
        raise _err(f"a share must be in [0, 1], got {v!r}", path, v)
    return x


def _map(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _err(f"expected a mapping, got {type(v).__name__}", path, v)
    return v


def _list(v: Any, path: str) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list | tuple):
        raise _err(f"expected a list, got {type(v).__name__}", path, v)
    return list(v)


_HM = re.compile(r"(\d{1,2}):(\d{2})")


def _hm(text: Any, path: str) -> float:
    if isinstance(text, int) and not isinstance(text, bool):
        # YAML 1.1 reads an unquoted 12:30 as the sexagesimal number 750
        msg = f'expected HH:MM, got the number {text!r} (quote times in YAML: "12:30")'
        raise _err(msg, path, text)
    m = _HM.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise _err(f"expected HH:MM, got {text!r}", path, text)
    h, mi = int(m[1]), int(m[2])
    if h > 24 or mi > 59 or (h == 24 and mi != 0):
        raise _err(f"not a time of day (00:00 to 24:00): {text!r}", path, text)
    return float(h * 3600 + mi * 60)


def _duration(v: Any, path: str, *, strict: bool = False) -> float:
    return _num(v, path, strict=strict, high=MAX_DURATION)


@attrs.frozen(kw_only=True)
class Dist:
    """A duration distribution (seconds): exponential, fixed, lognormal (mean, sd), uniform."""

    kind: str = "exponential"
    mean: float = 180.0
    sd: float = 0.0
    low: float = 0.0
    high: float = 0.0

    @classmethod
    def from_data(cls, data: Any, path: str) -> Dist:
        """A distribution from data: a number (an exponential mean) or a mapping
        ``{dist, mean, sd, low, high}`` with the fields its kind takes; durations are finite
        seconds up to a year (``MAX_DURATION``)."""
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return cls(mean=_duration(data, path, strict=True))
        d = _map(data, path)
        kind = d.get("dist", "exponential")
        if kind not in _DISTS:
            raise _err(
                f"unknown distribution {kind!r} (one of {', '.join(_DISTS)})", f"{path}.dist"
            )
        refuse_unknown(d, _DIST_KEYS[kind], path, hint=f" in a {kind} distribution")
        if kind == "uniform":
            lo = _duration(d.get("low"), f"{path}.low")
            hi = _duration(d.get("high"), f"{path}.high")
            if hi < lo:
                raise _err("high must be >= low", f"{path}.high", hi)
            return cls(kind=kind, mean=(lo + hi) / 2, low=lo, high=hi)
        mean = _duration(d.get("mean"), f"{path}.mean", strict=kind != "fixed")
        sd = _duration(d.get("sd", 0.0), f"{path}.sd")
        if kind == "lognormal" and sd <= 0:
            raise _err("a lognormal needs sd > 0", f"{path}.sd", sd)
        return cls(kind=kind, mean=mean, sd=sd)


@attrs.frozen(kw_only=True)
class Shift:
    """An agent's shift on some weekdays (local times, seconds of the day) with breaks."""

    days: tuple[int, ...]
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...] = ()


@attrs.frozen(kw_only=True)
class Scenario:
    """A simulated contact centre (see docs/sim.md for the data format).

    ``arrivals_weekly[d]`` holds ``(start, end, calls_per_hour)`` local segments for weekday
    ``d`` (0 = Monday); ``surges`` maps local dates to rate factors; ``replay`` holds call times
    (epoch seconds) replayed instead of Poisson arrivals. ``flow`` is a flow file path or mapping
    (loaded by each run, so scenarios pickle to worker processes) or a ``Flow`` object.
    ``seed`` is the seed :func:`~civiccc.sim.simulate` and ``civiccc simulate`` use when
    none is given (``None``: 0).
    """

    name: str = "scenario"
    seed: int | None = None
    start: datetime
    days: float = 1.0
    timezone: str = "UTC"
    queues: Mapping[str, Any]
    flow: Any = None
    calendars: Mapping[str, Any] = attrs.field(factory=dict)
    arrivals_weekly: tuple[tuple[tuple[float, float, float], ...], ...]
    holiday_factor: float = 1.0
    holidays: frozenset[date] = frozenset()
    surges: Mapping[date, float] = attrs.field(factory=dict)
    replay: tuple[tuple[float, str | None, str | None], ...] | None = None
    default_queue: str | None = None
    caller_pool: int = 5000
    anonymous_share: float = 0.0
    dtmf: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict)
    patience: Dist = Dist(mean=180.0)
    patience_by_queue: Mapping[str, Dist] = attrs.field(factory=dict)
    retrial: float = 0.0
    retrial_delay: Dist = Dist(mean=600.0)
    handle: Dist = Dist(mean=300.0)
    handle_by_queue: Mapping[str, Dist] = attrs.field(factory=dict)
    answer_delay: float = 0.0
    callback_acceptance: float = 0.0
    callback_reached: float = 1.0
    repeat: float = 0.0
    repeat_delay: Dist = Dist(mean=86400.0)
    fcr_window: float = 3 * 86400.0
    case_share: Mapping[str, float] = attrs.field(factory=dict)
    catalogue: Any = None
    case_first_response: Dist = Dist(mean=7200.0)
    case_resolution: Dist = Dist(mean=86400.0)
    services: Mapping[str, str] = attrs.field(factory=dict)
    shifts: Mapping[str, tuple[Shift, ...]] = attrs.field(factory=dict)
    interval: float = 1800.0
    announce: bool = False

    @property
    def end(self) -> float:
        """Epoch seconds of the end of the simulated period."""
        return self.start.timestamp() + self.days * 86400.0

    @classmethod
    def mmc(
        cls,
        *,
        agents: int,
        calls_per_hour: float,
        handle: float,
        patience: float | None = None,
        hours: float,
        start: datetime | None = None,
    ) -> Scenario:
        """The textbook model: one queue, ``agents`` always on, Poisson arrivals, exponential
        handle and patience (M/M/c, or M/M/c+M with ``patience``), no wrap-up, instant answer:
        the agents auto-accept (service starts the moment an agent is assigned; the same
        records as ringing and answering at once, without the round trip).

        Examples:
            >>> s = Scenario.mmc(agents=2, calls_per_hour=40, handle=120, patience=60, hours=1)
            >>> s.queues["agents"]["a1"], s.patience.mean
            ({'auto_accept': True}, 60.0)
        """
        from datetime import UTC

        t0 = start or datetime(2025, 1, 6, tzinfo=UTC)
        names = [f"a{i + 1}" for i in range(agents)]
        return cls(
            name=f"M/M/{agents}" + ("+M" if patience else ""),
            start=t0,
            days=hours / 24.0,
            queues={
                "agents": {n: {"auto_accept": True} for n in names},
                "queues": {"q": {"members": names, "ring_timeout": 1e9, "service_level": 20}},
            },
            arrivals_weekly=tuple(((0.0, 86400.0, float(calls_per_hour)),) for _ in range(7)),
            default_queue="q",
            patience=Dist(mean=float(patience) if patience else math.inf),
            handle=Dist(mean=float(handle)),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: Path | None = None) -> Scenario:
        """Build from data; errors name the field (``ConfigError.path``)."""
        return _from_dict(_map(data, "<scenario>"), base or Path.cwd())


def resolve_seed(scenario: Scenario, seed: int | None, default: int = 0) -> int:
    """The seed a run uses: ``seed`` if given, else the scenario's ``seed``, else ``default``."""
    if seed is not None:
        return seed
    return scenario.seed if scenario.seed is not None else default


def _load_file(base: Path, ref: Any, path: str) -> Path:
    if not isinstance(ref, str):
        raise _err(f"expected a file path, got {ref!r}", path, ref)
    p = (base / ref).resolve()
    if not p.exists():
        raise _err(f"file not found: {p}", path, ref)
    return p


def day_spec(spec: Any) -> tuple[int, ...] | None:
    """The weekdays (0 = Monday) a day spec names: ``mon`` .. ``sun``, ``weekdays``,
    ``weekend`` or ``all``; ``None`` if ``spec`` is not one. The one reading of days for the
    weekly arrival profile's keys and for shifts' ``days``.

    >>> day_spec("weekend"), day_spec("tue"), day_spec("Sat")
    ((5, 6), (1,), None)
    """
    return _DAY_SPECS.get(spec) if isinstance(spec, str) else None


def _weekly(data: Any, path: str) -> tuple[tuple[tuple[float, float, float], ...], ...]:
    d = _map(data, path)
    named: dict[str, tuple[int, ...]] = {}
    profiles: dict[str, tuple[tuple[float, float, float], ...]] = {}
    for k in d:
        days = day_spec(k)
        if days is None:
            raise _err(f"unknown day {k!r}", f"{path}.{k}", k)
        named[k] = days
        # every key is checked, also one whose days more specific keys all cover (weekdays
        # beside mon..fri): a mistake there is still a mistake
        profiles[k] = _day_profile(d[k], f"{path}.{k}")
    out = []
    for i in range(len(_DAYS)):
        # the most specific spec naming the day: mon, then weekdays (or weekend), then all
        key = min((k for k, days in named.items() if i in days), key=lambda k: len(named[k]),
                  default=None)  # fmt: skip
        out.append(profiles[key] if key is not None else ())
    return tuple(out)


def _day_profile(spec: Any, p: str) -> tuple[tuple[float, float, float], ...]:
    """One day spec's ``{"HH:MM-HH:MM": calls_per_hour}`` as sorted (start, end, rate)."""
    segs = []
    for span, rate in _map(spec, p).items():
        a, _, b = str(span).partition("-")
        lo, hi = _hm(a, f"{p}.{span}"), _hm(b, f"{p}.{span}")
        if hi <= lo:
            raise _err(f"empty span {span!r}", f"{p}.{span}", span)
        segs.append((lo, hi, _num(rate, f"{p}.{span}", high=MAX_RATE), str(span)))
    segs.sort()
    for x, y in itertools.pairwise(segs):
        if y[0] < x[1]:
            raise _err(f"overlapping spans {x[3]!r} and {y[3]!r}", f"{p}.{y[3]}", spec)
    return tuple((lo, hi, rate) for lo, hi, rate, _ in segs)


def _dist(d: Mapping[str, Any], key: str, default: Dist, path: str) -> Dist:
    return Dist.from_data(d[key], f"{path}.{key}") if key in d else default


def _by_queue(
    data: Any, path: str, default: Dist, queues: Mapping[str, Any]
) -> tuple[Dist, Mapping[str, Dist]]:  # patience, handle: {default, queues}
    m = _map(data, path)
    hint = ""
    if any(k in _DIST_FIELDS for k in m):
        hint = f"; a distribution goes under {path}.default"
    refuse_unknown(m, ("default", "queues"), path, hint=hint)
    by_queue = {}
    for q, v in _map(m.get("queues", {}), f"{path}.queues").items():
        if q not in queues:
            raise _err(f"unknown queue {q!r}", f"{path}.queues.{q}", q)
        by_queue[str(q)] = Dist.from_data(v, f"{path}.queues.{q}")
    return _dist(m, "default", default, path), by_queue


def _dtmf_key(key: str, path: str, *, many: bool) -> None:
    """``key``: "" (no input), one DTMF key, or (``many``: dial by extension) several."""
    if key == "" or ((len(key) == 1 or many) and set(key) <= DTMF_KEYS):
        return
    what = "DTMF keys (0-9, *, #)" if many else "one DTMF key (0-9, *, #)"
    raise _err(f'{key!r} is not {what} or "" (no input)', path, key)


def _replay(p: Path) -> tuple[tuple[float, str | None, str | None], ...]:
    """Read ``arrivals.csv``: UTF-8 (a BOM is fine), columns ``time``, ``caller``, ``dtmf``."""
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read file: {e.strerror or e}", path="arrivals.csv",
                          file=str(p)) from None  # fmt: skip
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        msg = f"line {line}: not UTF-8 text (byte {e.start})"
        raise ConfigError(msg, path="arrivals.csv", file=str(p)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    for c in columns:
        if c not in CSV_COLUMNS:
            msg = f"line 1: unknown column {c!r} (expected: {', '.join(CSV_COLUMNS)})"
            raise ConfigError(msg, path="arrivals.csv", file=str(p), value=c)
    if "time" not in columns:
        msg = "line 1: needs a time column (and optional caller, dtmf columns)"
        raise ConfigError(msg, path="arrivals.csv", file=str(p))
    rows = []
    for i, row in enumerate(reader):
        line = reader.line_num
        if None in row:  # more cells than columns
            msg = f"line {line}: more cells than columns"
            raise ConfigError(msg, path=f"arrivals.csv[{i}]", file=str(p))
        try:
            t = ensure_aware(datetime.fromisoformat(row["time"] or ""), "time")
        except (ValueError, TypeError, ConfigError) as e:
            raise ConfigError(
                f"line {line}: bad call time: {e}", path=f"arrivals.csv[{i}].time", file=str(p)
            ) from None
        dtmf = row.get("dtmf")
        if dtmf is not None and not set(dtmf) <= DTMF_KEYS:
            msg = f"line {line}: {dtmf!r} is not a string of DTMF keys (0-9, *, #)"
            raise ConfigError(msg, path=f"arrivals.csv[{i}].dtmf", file=str(p), value=dtmf)
        rows.append((t.timestamp(), row.get("caller") or None, dtmf))
    return tuple(sorted(rows, key=lambda r: r[0]))


_TOP = (
    "name", "seed", "start", "days", "timezone", "flow", "calendars", "queues", "queues_file",
    "arrivals", "callers", "dtmf", "patience", "retrial", "handle", "answer_delay",
    "callbacks", "repeat", "cases", "shifts", "interval", "default_queue", "announce",
)  # fmt: skip
_ARRIVALS = ("weekly", "csv", "surges", "holidays", "holiday_calendar", "holiday_factor")
_CASES = ("catalogue", "share", "services", "first_response", "resolution")


def _from_dict(d: Mapping[str, Any], base: Path) -> Scenario:

    from civiccc.calendar import load_calendars
    from civiccc.queues import QueuesConfig
    from civiccc.routing import load_flow

    refuse_unknown(d, _TOP, "")
    kw: dict[str, Any] = {}
    if "name" in d:
        name = d["name"]
        if not isinstance(name, str) or not name.strip():
            raise _err(f"a scenario's name is a non-empty string, got {name!r}", "name", name)
        kw["name"] = name
    if "seed" in d:
        seed = d["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise _err(f"a seed is an integer, got {seed!r}", "seed", seed)
        kw["seed"] = seed
    tz = str(d.get("timezone", "UTC"))
    try:
        zone = ZoneInfo(tz)
    except Exception:
        raise _err(f"unknown time zone {tz!r}", "timezone", tz) from None
    kw["timezone"] = tz
    raw = d.get("start")
    if raw is None:
        raise _err("a scenario needs a start (an aware ISO datetime)", "start")
    try:
        start = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        start = ensure_aware(start, "start")
    except (ValueError, TypeError) as e:
        raise _err(f"start must be an aware ISO datetime: {e}", "start", raw) from None
    kw["start"] = start
    kw["days"] = _num(d.get("days", 1), "days", strict=True, high=MAX_DAYS)
    try:  # local dates of the whole period (and a day either side) must exist
        (start - timedelta(days=2)).astimezone(zone)
        (start + timedelta(days=kw["days"] + 2)).astimezone(zone)
    except (OverflowError, ValueError):
        msg = "the simulated period (start + days) must lie within the years 1..9999"
        raise _err(msg, "start", raw) from None
    kw["interval"] = _num(d.get("interval", 1800), "interval", low=MIN_INTERVAL, high=MAX_INTERVAL)
    # calendars and queues
    cals: dict[str, Any] = {}
    if "calendars" in d:
        ref = d["calendars"]
        src = _load_file(base, ref, "calendars") if isinstance(ref, str) else ref
        try:
            cals = dict(load_calendars(src))
        except ConfigError as e:
            raise e.at(prefix="calendars") from None
    kw["calendars"] = cals
    if "queues_file" in d and "queues" in d:
        raise _err("give queues or queues_file, not both", "queues_file", d["queues_file"])
    if "queues_file" in d:
        p = _load_file(base, d["queues_file"], "queues_file")
        try:
            qdata = read_document(p)
        except ConfigError as e:
            raise e.at(prefix="queues_file") from None
        if isinstance(qdata, Mapping) and "queues_config" in qdata:
            qdata = qdata["queues_config"]
        qdata = _map(qdata, "queues_file")
    elif "queues" in d:
        qdata = _map(d["queues"], "queues")
    else:
        raise _err("a scenario needs queues (or queues_file)", "queues")
    try:
        qcfg = QueuesConfig.from_dict(qdata)
    except ConfigError as e:
        raise e.at(prefix="queues") from None
    kw["queues"] = qdata
    for qid, qs in qcfg.queues.items():
        if qs.calendar is not None and qs.calendar not in cals:
            raise _err(
                f"calendar {qs.calendar!r} not in the scenario's calendars",
                f"queues.queues.{qid}.calendar",
            )
    flow: Any = None
    if "flow" in d:
        if isinstance(d["flow"], Mapping):  # an inline flow (e.g. edited in a notebook)
            try:
                flow = load_flow(d["flow"])
            except ConfigError as e:
                raise e.at(prefix="flow") from None
            kw["flow"] = d["flow"]
        else:
            fp = _load_file(base, d["flow"], "flow")
            flow = load_flow(str(fp))  # validated now, compiled per run (see Scenario.flow)
            kw["flow"] = str(fp)
    if "default_queue" in d:
        dq = str(d["default_queue"])
        if dq not in qcfg.queues:
            raise _err(f"unknown queue {dq!r}", "default_queue", dq)
        kw["default_queue"] = dq
    elif "flow" not in d:
        raise _err("without a flow, name the default_queue calls arrive in", "default_queue")
    # arrivals
    arr = _map(d.get("arrivals", {}), "arrivals")
    refuse_unknown(arr, _ARRIVALS, "arrivals")
    if "csv" in arr and "weekly" in arr:
        raise _err("give a weekly profile or a csv, not both", "arrivals.csv", arr["csv"])
    if "csv" in arr:
        kw["replay"] = _replay(_load_file(base, arr["csv"], "arrivals.csv"))
        kw["arrivals_weekly"] = tuple(() for _ in _DAYS)
    elif "weekly" in arr:
        kw["arrivals_weekly"] = _weekly(arr["weekly"], "arrivals.weekly")
    else:
        raise _err("arrivals need a weekly profile or a csv", "arrivals")
    if "holiday_factor" in arr:
        hf = _num(arr["holiday_factor"], "arrivals.holiday_factor", high=MAX_FACTOR)
        kw["holiday_factor"] = hf
    hol: set[date] = set()
    for i, h in enumerate(_list(arr.get("holidays"), "arrivals.holidays")):
        try:
            hol.add(date.fromisoformat(str(h)))
        except ValueError:
            raise _err(f"bad date {h!r}", f"arrivals.holidays[{i}]", h) from None
    if "holiday_calendar" in arr:
        cid = arr["holiday_calendar"]
        if not isinstance(cid, str) or cid not in cals:
            raise _err(f"unknown calendar {cid!r}", "arrivals.holiday_calendar", cid)
        cal = cals[cid]
        day0 = start.astimezone(zone).date()
        for offset in range(math.ceil(kw["days"]) + 1):
            day = day0 + timedelta(days=offset)
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
            if cal.state_at(noon).kind == "holiday":
                hol.add(day)
    kw["holidays"] = frozenset(hol)
    surges = {}
    for i, s in enumerate(_list(arr.get("surges"), "arrivals.surges")):
        sp = f"arrivals.surges[{i}]"
        sm = _map(s, sp)
        refuse_unknown(sm, ("date", "factor"), sp)
        try:
            day = date.fromisoformat(str(sm.get("date")))
        except ValueError:
            raise _err(f"bad date {sm.get('date')!r}", f"{sp}.date") from None
        if day in surges:
            raise _err(f"a second surge on {day}", f"{sp}.date", sm.get("date"))
        surges[day] = _num(sm.get("factor"), f"{sp}.factor", high=MAX_FACTOR)
    kw["surges"] = surges
    # callers, dtmf
    cl = _map(d.get("callers", {}), "callers")
    refuse_unknown(cl, ("pool", "anonymous"), "callers")
    pool = _num(cl.get("pool", 5000), "callers.pool", low=1, high=MAX_POOL)
    if pool != int(pool):
        raise _err(f"a number of callers, got {pool!r}", "callers.pool", cl.get("pool"))
    kw["caller_pool"] = int(pool)
    kw["anonymous_share"] = _share(cl.get("anonymous", 0.0), "callers.anonymous")
    dt = {}
    for node, dist in _map(d.get("dtmf", {}), "dtmf").items():
        dp = f"dtmf.{node}"
        if flow is None:
            raise _err("dtmf needs a flow (the nodes callers answer)", dp, node)
        spec = flow.spec.nodes.get(node) if isinstance(node, str) else None
        if spec is None:
            raise _err(f"no node {node!r} in the flow", dp, node)
        if not is_input_kind(spec.kind):
            raise _err(f"node {node!r} ({spec.kind}) takes no caller input", dp, node)
        weights = {}
        for k, v in _map(dist, dp).items():
            key = str(k)
            _dtmf_key(key, f"{dp}.{k}", many=spec.kind == "dial_by_extension")
            weights[key] = _num(v, f"{dp}.{k}")
        if not weights or sum(weights.values()) <= 0:
            raise _err("needs at least one key with a positive weight", dp)
        dt[str(node)] = weights
    kw["dtmf"] = dt
    # patience, handle
    kw["patience"], kw["patience_by_queue"] = _by_queue(
        d.get("patience", {}), "patience", Dist(mean=180.0), qcfg.queues
    )
    ret = _map(d.get("retrial", {}), "retrial")
    refuse_unknown(ret, ("probability", "delay"), "retrial")
    kw["retrial"] = _share(ret.get("probability", 0.0), "retrial.probability")
    kw["retrial_delay"] = _dist(ret, "delay", Dist(mean=600.0), "retrial")
    kw["handle"], kw["handle_by_queue"] = _by_queue(
        d.get("handle", {}), "handle", Dist(mean=300.0), qcfg.queues
    )
    kw["answer_delay"] = _num(d.get("answer_delay", 0.0), "answer_delay", high=MAX_ANSWER_DELAY)
    announce = d.get("announce", False)
    if not isinstance(announce, bool):
        raise _err("announce must be true or false", "announce", announce)
    kw["announce"] = announce
    cb = _map(d.get("callbacks", {}), "callbacks")
    refuse_unknown(cb, ("acceptance", "reached"), "callbacks")
    kw["callback_acceptance"] = _share(cb.get("acceptance", 0.0), "callbacks.acceptance")
    kw["callback_reached"] = _share(cb.get("reached", 1.0), "callbacks.reached")
    rep = _map(d.get("repeat", {}), "repeat")
    refuse_unknown(rep, ("probability", "delay", "fcr_window"), "repeat")
    kw["repeat"] = _share(rep.get("probability", 0.0), "repeat.probability")
    kw["repeat_delay"] = _dist(rep, "delay", Dist(mean=86400.0), "repeat")
    kw["fcr_window"] = _duration(rep.get("fcr_window", 3 * 86400), "repeat.fcr_window")
    cases = _map(d.get("cases", {}), "cases")
    refuse_unknown(cases, _CASES, "cases")
    share = {}
    services = {}
    for q, v in _map(cases.get("services", {}), "cases.services").items():
        if q not in qcfg.queues:
            raise _err(f"unknown queue {q!r}", f"cases.services.{q}", q)
        if not isinstance(v, str):
            raise _err(f"expected a service code, got {v!r}", f"cases.services.{q}", v)
        services[str(q)] = v
    for q, v in _map(cases.get("share", {}), "cases.share").items():
        if q not in qcfg.queues:
            raise _err(f"unknown queue {q!r}", f"cases.share.{q}", q)
        share[str(q)] = _share(v, f"cases.share.{q}")
    kw["case_share"] = share
    if "catalogue" in cases:
        from civiccc.cases import Catalogue

        ref = cases["catalogue"]
        if isinstance(ref, str):
            cp = _load_file(base, ref, "cases.catalogue")
            try:
                cat = Catalogue.load(cp)
            except ConfigError as e:
                raise e.at(prefix="cases.catalogue") from None
        else:
            try:
                cat = Catalogue.from_dict(_map(ref, "cases.catalogue"))
            except ConfigError as e:
                raise e.at(prefix="cases.catalogue") from None
        for q in share:
            code = services.get(q, q)
            if code not in cat.services:
                raise _err(
                    f"service {code!r} (for queue {q!r}) not in the catalogue",
                    f"cases.services.{q}",
                    code,
                )
        for dep in cat.departments.values():
            if dep.calendar is not None and dep.calendar not in cals:
                raise _err(
                    f"calendar {dep.calendar!r} of department {dep.id!r} is not among"
                    " the scenario's calendars",
                    "cases.catalogue",
                )
        kw["catalogue"] = cat
    kw["case_first_response"] = _dist(cases, "first_response", Dist(mean=7200.0), "cases")
    kw["case_resolution"] = _dist(cases, "resolution", Dist(mean=86400.0), "cases")
    kw["services"] = services
    # shifts
    shifts: dict[str, tuple[Shift, ...]] = {}
    for agent, lst in _map(d.get("shifts", {}), "shifts").items():
        sp0 = f"shifts.{agent}"
        if agent not in qcfg.agents:
            raise _err(f"unknown agent {agent!r}", sp0, agent)
        if not isinstance(lst, list):
            raise _err("expected a list of shifts", sp0, lst)
        out = []
        for i, sh in enumerate(lst):
            sp = f"{sp0}[{i}]"
            s = _map(sh, sp)
            refuse_unknown(s, ("days", "start", "end", "breaks"), sp)
            out.append(_shift(s, sp))
        for wd, wday in enumerate(_DAYS):  # one agent, one shift at a time
            pair = _overlap([(sh.start, sh.end, i) for i, sh in enumerate(out) if wd in sh.days])
            if pair is not None:
                raise _err(f"overlaps shift {pair[0]} on {wday}", f"{sp0}[{pair[1]}]", lst[pair[1]])
        shifts[str(agent)] = tuple(out)
    kw["shifts"] = shifts
    return Scenario(**kw)


def _overlap(spans: list[tuple[float, float, int]]) -> tuple[int, int] | None:
    """The first two ``(start, end, index)`` spans that overlap, as (earlier-listed index,
    later-listed index), so the error can name the later one; ``None``: none overlap."""
    for x, y in itertools.pairwise(sorted(spans)):
        if y[0] < x[1]:
            return (x[2], y[2]) if x[2] < y[2] else (y[2], x[2])
    return None


def _shift_days(days: Any, path: str) -> tuple[int, ...]:
    """A shift's ``days``: a group of days (``weekdays``, ``weekend``, ``all``) or a list of day
    specs (``[mon, wed]``, ``[weekend, fri]``), read by :func:`day_spec` as the weekly arrival
    profile reads its keys. A lone day is written as a list (``[mon]``)."""
    specs: list[tuple[int, ...] | None]
    if isinstance(days, str):
        specs = [None if days in _DAYS else day_spec(days)]
    else:
        try:
            specs = [day_spec(x) for x in days]
        except TypeError:  # not a list
            specs = [None]
    if None in specs:
        lone = isinstance(days, str) and days in _DAYS
        hint = f"; one day is a list: [{days}]" if lone else ""
        groups = ", ".join(k for k in _DAY_SPECS if k not in _DAYS)
        msg = f"bad days {days!r} ({groups}, or a list of: {', '.join(_DAY_SPECS)}){hint}"
        raise _err(msg, path, days)
    idx = tuple(sorted({i for one in specs if one is not None for i in one}))
    if not idx:
        raise _err("a shift needs at least one day", path, days)
    return idx


def _shift(s: Mapping[str, Any], sp: str) -> Shift:
    idx = _shift_days(s.get("days", "weekdays"), f"{sp}.days")
    a, b = _hm(s.get("start"), f"{sp}.start"), _hm(s.get("end"), f"{sp}.end")
    if b <= a:
        raise _err("end must be after start", f"{sp}.end", s.get("end"))
    brs = []
    for j, br in enumerate(_list(s.get("breaks"), f"{sp}.breaks")):
        bp = f"{sp}.breaks[{j}]"
        if not isinstance(br, list | tuple) or len(br) != 2:
            raise _err("a break is [start, end]", bp, br)
        x, y = _hm(br[0], bp), _hm(br[1], bp)
        if not a <= x < y <= b:
            raise _err("a break must lie inside its shift", bp, br)
        brs.append((x, y, j))
    pair = _overlap(brs)
    if pair is not None:
        j, k = pair
        raise _err(f"overlaps break {j}", f"{sp}.breaks[{k}]", list(s["breaks"])[k])
    return Shift(days=idx, start=a, end=b, breaks=tuple((x, y) for x, y, _ in brs))


def load_scenario(path_or_mapping: str | Path | Mapping[str, Any]) -> Scenario:
    """Load a scenario from a YAML/JSON file or a mapping; paths inside are relative to the file.

    >>> from civiccc.errors import ConfigError
    >>> try:
    ...     load_scenario({"start": "2025-01-06T00:00:00+00:00", "default_queue": "q",
    ...                    "queues": {"agents": {}, "queues": {"q": {}}},
    ...                    "arrivals": {"weekly": {"all": {"08:00-07:00": 10}}}})
    ... except ConfigError as e:
    ...     print(e.path)
    arrivals.weekly.all.08:00-07:00
    """
    if isinstance(path_or_mapping, Mapping):
        return Scenario.from_dict(path_or_mapping)
    p = Path(path_or_mapping)
    data = read_document(p)  # errors name the file and line; duplicate keys refused
    try:
        return Scenario.from_dict(_map(data, "<scenario>"), base=p.parent)
    except ConfigError as e:
        raise e.at(file=str(p)) from None
