"""Calendar hot path: compiled interval tables vs pendulum day-stepping, same queries, one run.

Runs 20,000 seeded queries (half ``add_business_time``, half ``business_time_between``; aware
datetimes in and out) on the reference city's business-hours calendar (America/Vancouver,
CA/BC holidays, a shared closure and deviation, two emergencies) through:

* ``civiccc``: the public ``Calendar.add_business_time`` / ``business_time_between``;
* ``baseline``: a straightforward pendulum day-stepping implementation
  (``civiccc.calendar._reference.ReferenceCalendar``, used by the tests as the oracle).

Asserts identical answers, prints µs/query and the ratio (the one-time table compile is timed
and printed separately, and a second ratio counts it). Target: civiccc >= 200x faster.
Usage: ``python benchmarks/calendar.py [--quick] [--queries N] [--seed S]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# this file is named like the stdlib module `calendar` (which pendulum imports): take the
# script's own folder off the import path before anything imports it
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from civiccc.calendar import load_calendars  # noqa: E402
from civiccc.calendar._reference import ReferenceCalendar  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


def make_queries(n: int, seed: int) -> list[tuple[str, datetime, float | datetime]]:
    rng = random.Random(seed)
    out: list[tuple[str, datetime, float | datetime]] = []
    for i in range(n):
        t = datetime.fromtimestamp(rng.uniform(START, END), UTC).replace(microsecond=0)
        if i % 2 == 0:
            out.append(("add", t, float(rng.choice([0, 1, 2, 4, 8, 8, 8, 16, 24, 40]) * 3600)))
        else:
            out.append(("between", t, t + timedelta(seconds=rng.uniform(0, 10 * 86400))))
    return out


def run(n: int, seed: int) -> dict[str, float]:
    cal = load_calendars(ROOT / "examples" / "calendars" / "city_hall.yaml")["city_hall"]
    ref = ReferenceCalendar(cal)
    queries = make_queries(n, seed)

    # one-time compile of the interval table for the queried span (amortised over a process's
    # lifetime; timed and reported on its own, not counted per query)
    t0 = time.perf_counter()
    cal.business_seconds_between(START, END + 12 * 86400)
    t_compile = time.perf_counter() - t0

    t0 = time.perf_counter()
    fast = []
    for kind, t, x in queries:
        if kind == "add":
            fast.append(cal.add_business_time(t, x))  # type: ignore[arg-type]
        else:
            fast.append(cal.business_time_between(t, x))  # type: ignore[arg-type]
    t_fast = time.perf_counter() - t0

    t0 = time.perf_counter()
    slow = []
    for kind, t, x in queries:
        if kind == "add":
            slow.append(datetime.fromtimestamp(ref.add_business_seconds(t.timestamp(), x), UTC))  # type: ignore[arg-type]
        else:
            slow.append(
                timedelta(seconds=ref.business_seconds_between(t.timestamp(), x.timestamp()))
            )  # type: ignore[union-attr]
    t_slow = time.perf_counter() - t0

    mismatches = [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b]
    if mismatches:
        i = mismatches[0]
        raise SystemExit(
            f"MISMATCH on query {i} {queries[i]}: civiccc {fast[i]!r} vs baseline {slow[i]!r}"
        )
    return {
        "queries": n,
        "civiccc_us": t_fast / n * 1e6,
        "baseline_us": t_slow / n * 1e6,
        "ratio": t_slow / t_fast,
        "compile_ms": t_compile * 1e3,
        "ratio_with_compile": t_slow / (t_fast + t_compile),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="500 queries (a correctness smoke run)")
    p.add_argument("--queries", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=20251114)
    args = p.parse_args(argv)
    r = run(500 if args.quick else args.queries, args.seed)
    print(f"calendar: {r['queries']:,} queries, identical answers")
    print(f"  civiccc (compiled, public datetime API) {r['civiccc_us']:9.2f} µs/query")
    print(f"  pendulum day-stepping baseline          {r['baseline_us']:9.2f} µs/query")
    print(f"  ratio baseline/civiccc                  {r['ratio']:9.1f}x  (target >= 200x)")
    print(f"  one-time table compile                  {r['compile_ms']:9.2f} ms")
    print(f"  ratio counting the compile              {r['ratio_with_compile']:9.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
