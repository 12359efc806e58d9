"""Routing benchmark: the city hall reference flow on a seeded year of calls.

Three routers take the same inputs (caller string, aware datetime, DTMF digits) and must return
identical decisions (target, kind, priority, variables, path):

* ``civiccc``     - ``Flow.route()`` of examples/flows/city_hall.yaml (the compiled engine);
* ``handwritten`` - a plain Python function written for exactly this flow, the way one would
  write it by hand: zoneinfo, the ``holidays`` package, phonenumbers behind an ``lru_cache``;
* ``networkx``    - the plain networkx walk (civiccc's reference implementation).

Reported: ns/call cold (caches cleared first) and warm, and the ratios, all from one run.

    python benchmarks/routing.py            # 100,000 calls
    python benchmarks/routing.py --quick    # 3,000 calls (checks identical answers)
"""

# ruff: noqa: E402  (sys.path is repaired before the other imports, see below)
from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/routing.py` puts benchmarks/ first on sys.path, where calendar.py (the
# calendar benchmark) would shadow the standard library's calendar module (holidays needs it).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import gc
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import phonenumbers

from civiccc.numbers import Classifier
from civiccc.routing import Decision, Flow, load_flow, reference_walk

ROOT = Path(__file__).resolve().parents[1]
FLOW_FILE = ROOT / "examples" / "flows" / "city_hall.yaml"
TZ = ZoneInfo("America/Vancouver")

Call = tuple[str, datetime, str]

# --------------------------------------------------------------------------- the call mix


def _nanp(rng: random.Random, areas: list[str]) -> str:
    area = rng.choice(areas)
    exchange = rng.randint(200, 999)
    line = rng.randint(0, 9999)
    fmt = rng.random()
    if fmt < 0.5:
        return f"+1{area}{exchange}{line:04d}"
    if fmt < 0.7:
        return f"{area}-{exchange}-{line:04d}"
    if fmt < 0.85:
        return f"({area}) {exchange}-{line:04d}"
    return f"1 {area} {exchange} {line:04d}"


_FOREIGN: list[tuple[str, Callable[[random.Random], str]]] = [
    ("US", lambda r: _nanp(r, ["212", "206", "415", "360", "503"])),
    ("GB mobile", lambda r: f"+44 7{r.randint(400, 999)} {r.randint(100000, 999999)}"),
    ("GB fixed", lambda r: f"+44 20 7{r.randint(100, 999)} {r.randint(1000, 9999)}"),
    (
        "FR mobile",
        lambda r: (
            f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}"
        ),
    ),
    (
        "FR fixed",
        lambda r: (
            f"+33 1 {r.randint(40, 59)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}"
        ),
    ),
    ("DE mobile", lambda r: f"+49 151 {r.randint(10000000, 99999999)}"),
    ("DE fixed", lambda r: f"+49 89 {r.randint(1000000, 9999999)}"),
    ("IN mobile", lambda r: f"+91 9{r.randint(100000000, 999999999)}"),
    ("PH mobile", lambda r: f"+63 917 {r.randint(1000000, 9999999)}"),
    ("MX", lambda r: f"+52 55 {r.randint(10000000, 99999999)}"),
]
_ANONYMOUS = [
    "",
    "anonymous",
    "Anonymous",
    "PRIVATE",
    "restricted",
    "Unavailable",
    "unknown",
    "withheld",
    "  ",
    "Private",
]
_MALFORMED = [
    "12",
    "0",
    "+1 604",
    "abc",
    "60455",
    "+999 123",
    "++16045550100",
    "911",
    "+1 555 555 0100",
    "00000000000",
]


def caller_pool(rng: random.Random, size: int) -> list[str]:
    """~60,000 numbers: BC landlines and mobiles, other provinces, some abroad."""
    pool: list[str] = []
    for _ in range(size):
        x = rng.random()
        if x < 0.74:
            pool.append(_nanp(rng, ["604", "778", "236", "250", "672"]))
        elif x < 0.86:
            pool.append(_nanp(rng, ["416", "514", "403", "613", "780", "902"]))
        elif x < 0.95:
            pool.append(rng.choice(_FOREIGN)[1](rng))
        elif x < 0.98:
            pool.append(rng.choice(_ANONYMOUS))
        else:
            pool.append(
                rng.choice(_MALFORMED)
                if rng.random() < 0.5
                else str(rng.randint(1, 10 ** rng.randint(1, 7)))
            )
    return pool


def _local_time(rng: random.Random) -> datetime:
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    x = rng.random()
    if x < 0.65:  # business hours
        minute = rng.randrange(8 * 60, 16 * 60 + 45)
    elif x < 0.9:  # evening and early morning
        minute = rng.choice([rng.randrange(6 * 60, 8 * 60), rng.randrange(16 * 60, 23 * 60)])
    else:
        minute = rng.randrange(24 * 60)
    second = rng.randrange(60)
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, second, tzinfo=TZ)


def _digits(rng: random.Random) -> str:
    x = rng.random()
    if x < 0.75:  # a sensible path: language, department, service
        keys = [rng.choice("12"), rng.choice("12340"), rng.choice("1230")]
    elif x < 0.9:  # with a mistake somewhere
        keys = [rng.choice("123456789*#0") for _ in range(3)]
    else:
        keys = [rng.choice("0123456789") for _ in range(rng.randint(0, 4))]
    n = rng.choices([0, 1, 2, 3, 4], weights=[5, 5, 15, 65, 10])[0]
    return "".join(keys)[:n] if n <= len(keys) else "".join(keys) + rng.choice("0123456789")


def call_mix(n: int, seed: int = 2025, pool_size: int = 60_000) -> list[Call]:
    """``n`` seeded calls over 2025 local time, callers drawn from a pool (repeats common)."""
    rng = random.Random(seed)
    pool = caller_pool(rng, pool_size)
    # a skewed choice: some numbers call often
    calls = []
    for _ in range(n):
        idx = (
            min(int(rng.paretovariate(0.9)) - 1, pool_size - 1)
            if rng.random() < 0.3
            else (rng.randrange(pool_size))
        )
        calls.append((pool[idx], _local_time(rng), _digits(rng)))
    # emergencies: make sure the storm and the water main break are exercised
    for k, t in enumerate(
        [datetime(2025, 1, 27, 12, 0, tzinfo=TZ), datetime(2025, 11, 14, 9, 0, tzinfo=TZ)]
    ):
        if k < n:
            calls[k] = (calls[k][0], t, calls[k][2])
    return calls


# --------------------------------------------------------------------------- hand-written router

EMERGENCIES = [
    (datetime(2025, 1, 27, 18, 7, 13, tzinfo=UTC), datetime(2025, 1, 28, 2, 41, 55, tzinfo=UTC)),
    (datetime(2025, 11, 14, 16, 0, tzinfo=UTC), datetime(2025, 11, 15, 5, 30, tzinfo=UTC)),
]
BC_HOLIDAYS = holidays.country_holidays("CA", subdiv="BC", years=range(2024, 2027))
OPEN, CLOSE = dtime(8, 0), dtime(16, 30)
ONCALL_OPEN, ONCALL_CLOSE = dtime(7, 0), dtime(22, 0)
ANONYMOUS = frozenset(
    {"", "anonymous", "private", "restricted", "unavailable", "unknown", "withheld"}
)
ANNOUNCE = {
    "anonymous": ["anon_announce"],
    "invalid": ["invalid_announce"],
    "foreign_mobile": ["roaming_announce", "foreign_announce"],
    "foreign": ["foreign_announce"],
    "default": [],
}
MAIN = {"1": "waste_menu", "2": "transit_menu", "3": "permits_menu"}
SUBMENUS = {
    "waste_menu": {"1": "waste_collection", "2": "waste_bulky", "3": "waste_missed"},
    "transit_menu": {"1": "transit_info", "2": "transit_lost", "3": "transit_access"},
    "permits_menu": {"1": "permits_building", "2": "permits_business", "3": "permits_parking"},
}


@lru_cache(maxsize=65536)
def caller_class(raw: str) -> str:
    """anonymous / invalid / foreign_mobile / foreign / default (domestic), for region CA."""
    text = raw.strip()
    if text.lower() in ANONYMOUS:
        return "anonymous"
    try:
        number = phonenumbers.parse(text, "CA")
    except phonenumbers.NumberParseException:
        return "invalid"
    if not phonenumbers.is_valid_number(number):
        return "invalid"
    if phonenumbers.region_code_for_number(number) == "CA":
        return "default"
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return "foreign_mobile"
    return "foreign"


def _queue(target: str, path: list[str], lang: str) -> Decision:
    path.append(target)
    return Decision(target=target, kind="queue", priority=3, variables={"lang": lang}, path=path)


def _menu(
    name: str, options: dict[str, str], keys: Iterator[str], path: list[str], lang: str
) -> Decision:
    """A department menu with its retry menu; 0 is the operator."""
    for menu in (name, name + "_retry"):
        path.append(menu)
        key = next(keys, "")
        if key in options:
            return _queue(options[key], path, lang)
        if key == "0":
            return _queue("operator", path, lang)
    return _queue("operator", path, lang)


def handwritten_route(caller: str, at: datetime, digits: str) -> Decision:
    """The city hall flow, written by hand."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    path = ["entry", "emergency_check"]
    for start, end in EMERGENCIES:
        if start <= at < end:
            path += ["emergency_announce", "hangup"]
            return Decision(target="hangup", kind="disconnect", path=path)
    local = at.astimezone(TZ)
    path.append("holiday_check")
    if local.date() in BC_HOLIDAYS:
        path += ["holiday_announce", "oncall_check"]
    else:
        path.append("hours_check")
        now = local.time()
        if local.weekday() < 5 and OPEN <= now < CLOSE:
            return _open(caller, digits, path)
        path += ["closed_announce", "oncall_check"]
    now = local.time()
    if ONCALL_OPEN <= now < ONCALL_CLOSE:
        path.append("after_hours_menu")
        if digits[:1] == "1":
            path.append("oncall_hotline")
            return Decision(target="oncall_hotline", kind="transfer", path=path)
    path.append("voicemail")
    return Decision(target="voicemail", kind="voicemail", path=path)


def _open(caller: str, digits: str, path: list[str]) -> Decision:
    path.append("classify")
    path += ANNOUNCE[caller_class(caller)]
    keys = iter(digits)
    lang = "en"
    for menu in ("lang_menu", "lang_menu_retry"):
        path.append(menu)
        key = next(keys, "")
        if key in ("1", "2"):
            lang = "en" if key == "1" else "fr"
            path.append("set_lang_" + lang)
            break
    else:
        return _queue("operator", path, lang)
    for menu in ("main_menu", "main_menu_retry"):
        path.append(menu)
        key = next(keys, "")
        if key in MAIN:
            sub = MAIN[key]
            return _menu(sub, SUBMENUS[sub], keys, path, lang)
        if key == "4":
            return _queue("bylaw", path, lang)
        if key == "0":
            return _queue("operator", path, lang)
    return _queue("operator", path, lang)


# --------------------------------------------------------------------------- measuring


def same(a: Decision, b: Decision) -> bool:
    """Identical decisions: target, kind, priority, variables and path."""
    return a == b


def _time(router: Callable[[str, datetime, str], Any], calls: list[Call]) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for caller, at, digits in calls:
            router(caller, at, digits)
        return (time.perf_counter_ns() - t0) / len(calls)
    finally:
        gc.enable()


def _clear(flow: Flow) -> None:
    flow.engine.clear_memos()
    caller_class.cache_clear()


def run(n: int, n_ref: int, repeat: int = 3) -> dict[str, Any]:
    """Route ``n`` calls by all three routers; return the figures (raises if answers differ)."""
    flow = load_flow(FLOW_FILE)
    calls = call_mix(n)
    ours = [flow.route(c, at, d) for c, at, d in calls]
    hand = [handwritten_route(c, at, d) for c, at, d in calls]
    for call, a, b in zip(calls, ours, hand, strict=True):
        if not same(a, b):
            raise AssertionError(
                f"civiccc and the hand-written router differ on {call}: {a} != {b}"
            )
    sample = calls[:n_ref]
    ref = [reference_walk(flow, c, at, d) for c, at, d in sample]
    for call, a, b in zip(sample, ours, ref, strict=False):
        if not same(a, b):
            msg = f"civiccc and the networkx walk differ on {call}: {a} != {b}"
            raise AssertionError(msg)
    results: dict[str, Any] = {"calls": n, "reference_calls": n_ref}
    route = flow.route
    cold_ours, cold_hand, warm_ours, warm_hand = [], [], [], []
    for _ in range(repeat):
        _clear(flow)
        cold_ours.append(_time(route, calls))
        warm_ours.append(_time(route, calls))
        _clear(flow)
        cold_hand.append(_time(handwritten_route, calls))
        warm_hand.append(_time(handwritten_route, calls))
    results["civiccc_cold"] = min(cold_ours)
    results["handwritten_cold"] = min(cold_hand)
    results["civiccc_warm"] = min(warm_ours)
    results["handwritten_warm"] = min(warm_hand)
    results["networkx"] = _time(lambda c, at, d: reference_walk(flow, c, at, d), sample)
    # what dominates the cold figures: parsing each caller number once
    distinct = list(dict.fromkeys(c for c, _, _ in calls))[:5000]
    classifier = Classifier("CA", ("CA",), memo_size=0)
    t0 = time.perf_counter_ns()
    for raw in distinct:
        classifier.classify(raw)
    t1 = time.perf_counter_ns()
    for raw in distinct:
        caller_class.__wrapped__(raw)
    t2 = time.perf_counter_ns()
    results["classify_numbers"] = (t1 - t0) / len(distinct)
    results["classify_handwritten"] = (t2 - t1) / len(distinct)
    targets: dict[str, int] = {}
    for d in ours:
        targets[d.target] = targets.get(d.target, 0) + 1
    results["targets"] = dict(sorted(targets.items(), key=lambda kv: -kv[1]))
    return results


def report(r: dict[str, Any]) -> str:
    """The figures as text."""
    lines = [
        f"city hall flow, {r['calls']:,} calls (networkx walk on the first "
        f"{r['reference_calls']:,}); identical decisions: yes",
        f"{'router':<14}{'cold ns/call':>14}{'warm ns/call':>14}",
        f"{'civiccc':<14}{r['civiccc_cold']:>14,.0f}{r['civiccc_warm']:>14,.0f}",
        f"{'handwritten':<14}{r['handwritten_cold']:>14,.0f}{r['handwritten_warm']:>14,.0f}",
        f"{'networkx walk':<14}{r['networkx']:>14,.0f}{'':>14}",
        f"civiccc / handwritten: cold {r['civiccc_cold'] / r['handwritten_cold']:.2f}x, "
        f"warm {r['civiccc_warm'] / r['handwritten_warm']:.2f}x (target <= 1.2x)",
        f"networkx walk / civiccc (warm): {r['networkx'] / r['civiccc_warm']:.0f}x "
        "(target >= 100x)",
        f"first sight of a number: civiccc.numbers.Classifier {r['classify_numbers']:,.0f} ns, "
        f"the hand-written helper {r['classify_handwritten']:,.0f} ns (it skips number_type "
        "for home numbers)",
        "targets: " + ", ".join(f"{k} {v}" for k, v in list(r["targets"].items())[:8]) + ", ...",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 calls, one repeat")
    parser.add_argument("--calls", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.calls or (3_000 if args.quick else 100_000)
    n_ref = min(n, 1_000 if args.quick else 10_000)
    print(report(run(n, n_ref, repeat=1 if args.quick else 3)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
