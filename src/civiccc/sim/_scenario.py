"""Scenarios as data (YAML/dict) and as frozen attrs specs."""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from civiccc._documents import read_document
from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError

__all__ = ["Dist", "Scenario", "Shift", "load_scenario"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DISTS = ("exponential", "fixed", "lognormal", "uniform")


def _err(msg: str, path: str, value: Any = None) -> ConfigError:
    return ConfigError(msg, path=path, value=value)


def _num(v: Any, path: str, *, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        raise _err(f"expected a number, got {v!r}", path, v)
    if v < low or (strict and v == low):
        raise _err(f"must be {'>' if strict else '>='} {low}, got {v!r}", path, v)
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


def _hm(text: Any, path: str) -> float:
    try:
        h, m = str(text).split(":")
        sec = int(h) * 3600 + int(m) * 60
    except ValueError:
        raise _err(f"expected HH:MM, got {text!r}", path, text) from None
    if not 0 <= sec <= 86400:
        raise _err(f"time of day out of range: {text!r}", path, text)
    return float(sec)


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
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return cls(mean=_num(data, path, strict=True))
        d = _map(data, path)
        kind = d.get("dist", "exponential")
        if kind not in _DISTS:
            raise _err(
                f"unknown distribution {kind!r} (one of {', '.join(_DISTS)})", f"{path}.dist"
            )
        if kind == "uniform":
            lo = _num(d.get("low"), f"{path}.low")
            hi = _num(d.get("high"), f"{path}.high")
            if hi < lo:
                raise _err("high must be >= low", f"{path}.high", hi)
            return cls(kind=kind, mean=(lo + hi) / 2, low=lo, high=hi)
        mean = _num(d.get("mean"), f"{path}.mean", strict=kind != "fixed")
        sd = _num(d.get("sd", 0.0), f"{path}.sd")
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
    """

    name: str = "scenario"
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


def _load_file(base: Path, ref: Any, path: str) -> Path:
    if not isinstance(ref, str):
        raise _err(f"expected a file path, got {ref!r}", path, ref)
    p = (base / ref).resolve()
    if not p.exists():
        raise _err(f"file not found: {p}", path, ref)
    return p


def _weekly(data: Any, path: str) -> tuple[tuple[tuple[float, float, float], ...], ...]:
    d = _map(data, path)
    for k in d:
        if k not in (*_DAYS, "weekdays", "weekend", "all"):
            raise _err(f"unknown day {k!r}", f"{path}.{k}", k)
    out = []
    for i, day in enumerate(_DAYS):
        key = day if day in d else ("weekdays" if i < 5 else "weekend")
        if key not in d:
            key = "all"
        spec = d.get(key, {})
        p = f"{path}.{key}"
        segs = []
        for span, rate in _map(spec, p).items():
            a, _, b = str(span).partition("-")
            lo, hi = _hm(a, f"{p}.{span}"), _hm(b, f"{p}.{span}")
            if hi <= lo:
                raise _err(f"empty span {span!r}", f"{p}.{span}", span)
            segs.append((lo, hi, _num(rate, f"{p}.{span}")))
        segs.sort()
        for x, y in itertools.pairwise(segs):
            if y[0] < x[1]:
                raise _err(f"overlapping spans on {day}", p, spec)
        out.append(tuple(segs))
    return tuple(out)


def _dist(d: Mapping[str, Any], key: str, default: Dist, path: str) -> Dist:
    return Dist.from_data(d[key], f"{path}.{key}") if key in d else default


def _from_dict(d: Mapping[str, Any], base: Path) -> Scenario:

    from civiccc.calendar import load_calendars
    from civiccc.queues import QueuesConfig
    from civiccc.routing import load_flow

    known = {
        "name", "seed", "start", "days", "timezone", "flow", "calendars", "queues", "queues_file",
        "arrivals", "callers", "dtmf", "patience", "retrial", "handle", "answer_delay",
        "callbacks", "repeat", "cases", "shifts", "interval", "default_queue", "announce",
    }  # fmt: skip
    for k in d:
        if k not in known:
            raise _err(f"unknown field {k!r}", k, k)
    kw: dict[str, Any] = {}
    if "name" in d:
        kw["name"] = str(d["name"])
    tz = str(d.get("timezone", "UTC"))
    try:
        zone = ZoneInfo(tz)
    except Exception:
        raise _err(f"unknown time zone {tz!r}", "timezone", tz) from None
    kw["timezone"] = tz
    raw = d.get("start")
    try:
        start = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        start = ensure_aware(start, "start")
    except (ValueError, TypeError) as e:
        raise _err(f"start must be an aware ISO datetime: {e}", "start", raw) from None
    kw["start"] = start
    kw["days"] = _num(d.get("days", 1), "days", strict=True)
    kw["interval"] = _num(d.get("interval", 1800), "interval", strict=True)
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
    if "csv" in arr:
        p = _load_file(base, arr["csv"], "arrivals.csv")
        rows = []
        with p.open(newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                try:
                    t = ensure_aware(datetime.fromisoformat(row["time"]), "time")
                except (KeyError, ValueError, TypeError) as e:
                    raise ConfigError(
                        f"bad call time: {e}", path=f"arrivals.csv[{i}].time", file=str(p)
                    ) from None
                rows.append((t.timestamp(), row.get("caller") or None, row.get("dtmf")))
        kw["replay"] = tuple(sorted(rows, key=lambda r: r[0]))
        kw["arrivals_weekly"] = tuple(() for _ in _DAYS)
    elif "weekly" in arr:
        kw["arrivals_weekly"] = _weekly(arr["weekly"], "arrivals.weekly")
    else:
        raise _err("arrivals need a weekly profile or a csv", "arrivals")
    if "holiday_factor" in arr:
        kw["holiday_factor"] = _num(arr["holiday_factor"], "arrivals.holiday_factor")
    hol: set[date] = set()
    for i, h in enumerate(arr.get("holidays", []) or []):
        try:
            hol.add(date.fromisoformat(str(h)))
        except ValueError:
            raise _err(f"bad date {h!r}", f"arrivals.holidays[{i}]", h) from None
    if "holiday_calendar" in arr:
        cid = arr["holiday_calendar"]
        if cid not in cals:
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
    for i, s in enumerate(arr.get("surges", []) or []):
        sm = _map(s, f"arrivals.surges[{i}]")
        try:
            day = date.fromisoformat(str(sm.get("date")))
        except ValueError:
            raise _err(f"bad date {sm.get('date')!r}", f"arrivals.surges[{i}].date") from None
        surges[day] = _num(sm.get("factor"), f"arrivals.surges[{i}].factor")
    kw["surges"] = surges
    # callers, dtmf
    cl = _map(d.get("callers", {}), "callers")
    kw["caller_pool"] = int(_num(cl.get("pool", 5000), "callers.pool", low=1))
    kw["anonymous_share"] = _share(cl.get("anonymous", 0.0), "callers.anonymous")
    dt = {}
    for node, dist in _map(d.get("dtmf", {}), "dtmf").items():
        dp = f"dtmf.{node}"
        weights = {str(k): _num(v, f"{dp}.{k}") for k, v in _map(dist, dp).items()}
        if not weights or sum(weights.values()) <= 0:
            raise _err("needs at least one key with a positive weight", dp)
        if "flow" in kw and node not in flow.spec.nodes:
            raise _err(f"no node {node!r} in the flow", dp, node)
        dt[str(node)] = weights
    kw["dtmf"] = dt
    # patience, handle
    pat = _map(d.get("patience", {}), "patience")
    kw["patience"] = _dist(pat, "default", Dist(mean=180.0), "patience")
    kw["patience_by_queue"] = {
        q: Dist.from_data(v, f"patience.queues.{q}")
        for q, v in _map(pat.get("queues", {}), "patience.queues").items()
    }
    ret = _map(d.get("retrial", {}), "retrial")
    kw["retrial"] = _share(ret.get("probability", 0.0), "retrial.probability")
    kw["retrial_delay"] = _dist(ret, "delay", Dist(mean=600.0), "retrial")
    han = _map(d.get("handle", {}), "handle")
    kw["handle"] = _dist(han, "default", Dist(mean=300.0), "handle")
    kw["handle_by_queue"] = {
        q: Dist.from_data(v, f"handle.queues.{q}")
        for q, v in _map(han.get("queues", {}), "handle.queues").items()
    }
    for key in ("patience_by_queue", "handle_by_queue"):
        for q in kw[key]:
            if q not in qcfg.queues:
                raise _err(f"unknown queue {q!r}", f"{key.split('_')[0]}.queues.{q}", q)
    kw["answer_delay"] = _num(d.get("answer_delay", 0.0), "answer_delay")
    announce = d.get("announce", False)
    if not isinstance(announce, bool):
        raise _err("announce must be true or false", "announce", announce)
    kw["announce"] = announce
    cb = _map(d.get("callbacks", {}), "callbacks")
    kw["callback_acceptance"] = _share(cb.get("acceptance", 0.0), "callbacks.acceptance")
    kw["callback_reached"] = _share(cb.get("reached", 1.0), "callbacks.reached")
    rep = _map(d.get("repeat", {}), "repeat")
    kw["repeat"] = _share(rep.get("probability", 0.0), "repeat.probability")
    kw["repeat_delay"] = _dist(rep, "delay", Dist(mean=86400.0), "repeat")
    kw["fcr_window"] = _num(rep.get("fcr_window", 3 * 86400), "repeat.fcr_window")
    cases = _map(d.get("cases", {}), "cases")
    share = {}
    services = {}
    for q, v in _map(cases.get("services", {}), "cases.services").items():
        services[str(q)] = str(v)
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
            days = s.get("days", "weekdays")
            if days == "weekdays":
                idx: tuple[int, ...] = (0, 1, 2, 3, 4)
            elif days == "all":
                idx = tuple(range(7))
            else:
                try:
                    idx = tuple(_DAYS.index(x) for x in days)
                except (ValueError, TypeError):
                    raise _err(f"bad days {days!r}", f"{sp}.days", days) from None
            a, b = _hm(s.get("start"), f"{sp}.start"), _hm(s.get("end"), f"{sp}.end")
            if b <= a:
                raise _err("end must be after start", f"{sp}.end", s.get("end"))
            brs = []
            for j, br in enumerate(s.get("breaks", []) or []):
                bp = f"{sp}.breaks[{j}]"
                if not isinstance(br, list | tuple) or len(br) != 2:
                    raise _err("a break is [start, end]", bp, br)
                x, y = _hm(br[0], bp), _hm(br[1], bp)
                if not a <= x < y <= b:
                    raise _err("a break must lie inside its shift", bp, br)
                brs.append((x, y))
            out.append(Shift(days=idx, start=a, end=b, breaks=tuple(brs)))
        shifts[str(agent)] = tuple(out)
    kw["shifts"] = shifts
    return Scenario(**kw)


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
