"""Calendar hot path: compiled interval tables vs pendulum day-stepping, same queries, one run.

Runs 20,000 seeded queries (half ``add_business_time``, half ``business_time_between``; aware
datetimes in and out) on the reference city's business-hours calendar (America/Vancouver,
CA/BC holidays, a shared closure and deviation, two emergencies) through:

* ``civiccc``: the public ``Calendar.add_business_time`` / ``business_time_between``;
* ``baseline``: a straightforward pendulum day-stepping implementation
  (``civiccc.calendar._reference.ReferenceCalendar``, used by the tests as the oracle).

The baseline runs in five parts, each after a full civiccc pass over all the queries, so both
are timed across the whole run (civiccc as the mean of its passes) under the same machine load.
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

from civiccc.calendar import Calendar, load_calendars  # noqa: E402
from civiccc.calendar._reference import ReferenceCalendar  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
#: the baseline runs in this many parts, each after a full civiccc pass
ROUNDS = 5
Query = tuple[str, datetime, float | datetime]


def make_queries(n: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    out: list[Query] = []
    for i in range(n):
        t = datetime.fromtimestamp(rng.uniform(START, END), UTC).replace(microsecond=0)
        if i % 2 == 0:
            out.append(("add", t, float(rng.choice([0, 1, 2, 4, 8, 8, 8, 16, 24, 40]) * 3600)))
        else:
            out.append(("between", t, t + timedelta(seconds=rng.uniform(0, 10 * 86400))))
    return out


def _civiccc(cal: Calendar, queries: list[Query]) -> list[datetime | timedelta]:
    out: list[datetime | timedelta] = []
    for kind, t, x in queries:
        if kind == "add":
            out.append(cal.add_business_time(t, x))  # type: ignore[arg-type]
        else:
            out.append(cal.business_time_between(t, x))  # type: ignore[arg-type]
    return out


def _baseline(ref: ReferenceCalendar, queries: list[Query]) -> list[datetime | timedelta]:
    out: list[datetime | timedelta] = []
    for kind, t, x in queries:
        if kind == "add":
            out.append(datetime.fromtimestamp(ref.add_business_seconds(t.timestamp(), x), UTC))  # type: ignore[arg-type]
        else:
            out.append(
                timedelta(seconds=ref.business_seconds_between(t.timestamp(), x.timestamp()))  # type: ignore[union-attr]
            )
    return out


def run(n: int, seed: int) -> dict[str, float]:
    cal = load_calendars(ROOT / "examples" / "calendars" / "city_hall.yaml")["city_hall"]
    ref = ReferenceCalendar(cal)
    queries = make_queries(n, seed)

    # one-time compile of the interval table (and its UTC datetime view) for the queried span
    # (amortised over a process's lifetime; timed and reported on its own, not counted per query)
    t0 = time.perf_counter()
    cal.business_seconds_between(START, END + 12 * 86400)
    cal.business_time_between(datetime.fromtimestamp(START, UTC), datetime.fromtimestamp(END, UTC))
    t_compile = time.perf_counter() - t0

    # A shared machine's load comes and goes while the baseline runs for seconds; one 20 ms
    # civiccc loop would sample it at random. So the baseline runs in ROUNDS parts, each after a
    # full civiccc pass over all the queries: both are timed across the whole run, civiccc as
    # the mean of its passes. Wall clock is the headline; process CPU time (blind to other
    # processes) is reported alongside.
    fast: list[datetime | timedelta] = []
    slow: list[datetime | timedelta] = []
    wall_fast = wall_slow = cpu_fast = cpu_slow = 0.0
    rounds = min(ROUNDS, n)
    for r in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        answers = _civiccc(cal, queries)
        w1, c1 = time.perf_counter(), time.process_time()
        slow += _baseline(ref, queries[r * n // rounds : (r + 1) * n // rounds])
        w2, c2 = time.perf_counter(), time.process_time()
        wall_fast, cpu_fast = wall_fast + (w1 - w0) / rounds, cpu_fast + (c1 - c0) / rounds
        wall_slow, cpu_slow = wall_slow + (w2 - w1), cpu_slow + (c2 - c1)
        if fast and answers != fast:
            raise SystemExit("civiccc gave different answers on a repeated pass")
        fast = answers

    mismatches = [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b]
    if mismatches:
        i = mismatches[0]
        raise SystemExit(
            f"MISMATCH on query {i} {queries[i]}: civiccc {fast[i]!r} vs baseline {slow[i]!r}"
        )
    return {
        "queries": n,
        "civiccc_us": wall_fast / n * 1e6,
        "baseline_us": wall_slow / n * 1e6,
        "ratio": wall_slow / wall_fast,
        "cpu_ratio": cpu_slow / cpu_fast,
        "compile_ms": t_compile * 1e3,
        "ratio_with_compile": wall_slow / (wall_fast + t_compile),
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
    print(f"  same, in process CPU time               {r['cpu_ratio']:9.1f}x")
    print(f"  one-time table compile                  {r['compile_ms']:9.2f} ms")
    print(f"  ratio counting the compile              {r['ratio_with_compile']:9.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
