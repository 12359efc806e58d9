"""Cases benchmark: store throughput, and SLA recomputation against a pendulum-stepping baseline.

1. Per store (memory, SQLite file, PostgreSQL when a server is available): cases created per
   second and lifecycle transitions per second in batched transactions (1,000 per batch), and
   single-transaction durable commits per second (one transition per commit, SQLite
   ``synchronous=FULL``).
2. SLA recomputation of N open cases (some with pauses) through the public API
   (``CaseDesk.recompute()`` then ``CaseDesk.due()``) against a baseline that steps through
   time minute by minute with pendulum, counting open minutes of the same calendar (weekly
   hours, BC holidays, pauses). Both must give identical due times (checked on a sample; the
   baseline is timed per case on that sample and compared per case).

    python benchmarks/cases.py            # 20,000 transitions, 10,000 open cases
    python benchmarks/cases.py --quick    # small sizes; checks identical due times
    python benchmarks/cases.py --pg "host=127.0.0.1 port=5432 user=postgres dbname=bench"
    python benchmarks/cases.py --start-pg # a throw-away PostgreSQL server (fsync on), as the
                                          # test fixtures start one (as root: user civiccc-pg)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pendulum

from civiccc.calendar import Calendar
from civiccc.cases import CaseDesk, Catalogue, MemoryStore, PostgresStore, SqliteStore, Store
from civiccc.clock import VirtualClock

TZ = "America/Vancouver"
HOURS = [("08:00", "16:30")]
CALENDAR = {"id": "city_hall", "timezone": TZ,
            "hours": {d: [list(h) for h in HOURS] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "CA", "subdiv": "BC"}}  # fmt: skip
TARGETS_H = {"pothole": 40, "missed_pickup": 16, "graffiti": 8, "noise": 24}
CATALOGUE = {
    "jurisdiction": {"id": "bench", "timezone": TZ},
    "departments": {"works": {"name": "Works", "calendar": "city_hall"}},
    "services": [{"code": c, "name": c, "department": "works", "warn_at": [0.5, 0.75],
                  "sla": {"normal": {"first_response": "2h", "resolution": f"{h}h"}}}
                 for c, h in TARGETS_H.items()],
}  # fmt: skip
START = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)


def _desk(store: Store, cal: Calendar | None = None) -> CaseDesk:
    cal = cal or Calendar.from_dict(CALENDAR)
    return CaseDesk(Catalogue.from_dict(CATALOGUE), clock=VirtualClock(START),
                    calendars={"city_hall": cal}, store=store)  # fmt: skip


def store_throughput(name: str, store: Store, n_cases: int, n_transitions: int,
                     n_durable: int) -> dict[str, Any]:  # fmt: skip
    """Creation and transition rates of one store."""
    desk = _desk(store)
    t = time.perf_counter()
    ids: list[str] = []
    for i in range(0, n_cases, 1000):
        with desk.batch():
            ids += [desk.create("pothole", by="bench").id for _ in range(min(1000, n_cases - i))]
    create_s = time.perf_counter() - t
    with desk.batch():
        for cid in ids:
            desk.fire(cid, "assign", by="bench")
            desk.fire(cid, "start", by="bench")
    cycle = ("wait_citizen", "resume")
    t = time.perf_counter()
    done = 0
    while done < n_transitions:
        with desk.batch():
            for j in range(min(1000, n_transitions - done)):
                k = done + j
                desk.fire(ids[k % len(ids)], cycle[(k // len(ids)) % 2], by="bench")
        done += min(1000, n_transitions - done)
    trans_s = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(n_durable):
        desk.fire(ids[k], "wait_third_party", by="bench")
    durable_s = time.perf_counter() - t
    return {"store": name, "created_per_s": n_cases / create_s,
            "transitions_per_s": n_transitions / trans_s,
            "durable_commits_per_s": n_durable / durable_s if n_durable else float("nan")}  # fmt: skip


class PendulumStepper:
    """Baseline: walk minute by minute with pendulum, counting open, unpaused minutes."""

    def __init__(self) -> None:
        import holidays

        self.holidays = holidays.country_holidays("CA", subdiv="BC", years=range(2024, 2028))
        self.opens = [
            (int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])) for a, b in HOURS
        ]

    def due(
        self, start: dt.datetime, minutes: int, pauses: list[tuple[float, float]]
    ) -> dt.datetime:
        t = pendulum.instance(start).in_timezone(TZ)
        left = minutes
        while True:
            if t.day_of_week < 5 and t.date() not in self.holidays:
                m = t.hour * 60 + t.minute
                ts = t.timestamp()
                if any(a <= m < b for a, b in self.opens) and not any(
                    p <= ts < q for p, q in pauses
                ):
                    left -= 1
                    if left == 0:
                        return t.add(minutes=1).in_timezone("UTC")
            t = t.add(minutes=1)


def make_open_cases(
    desk: CaseDesk, n: int, seed: int
) -> list[tuple[str, dt.datetime, int, list[tuple[float, float]]]]:
    """N open cases at random minutes over a year, a fifth with a pause; returns what the
    baseline needs: (id, start, target minutes, pauses)."""
    rng = random.Random(seed)
    codes = sorted(TARGETS_H)
    out = []
    with desk.batch():
        for _ in range(n):
            at = START + dt.timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            code = rng.choice(codes)
            case = desk.create(code, by="bench", at=at)
            pauses: list[tuple[float, float]] = []
            if rng.random() < 0.2:
                p = at + dt.timedelta(minutes=rng.randrange(1, 600))
                r = p + dt.timedelta(minutes=rng.randrange(1, 2000))
                desk.fire(case.id, "triage", by="bench", at=p)
                desk.fire(case.id, "wait_citizen", by="bench", at=p)
                desk.fire(case.id, "resume", by="bench", at=r)
                pauses.append((p.timestamp(), r.timestamp()))
            out.append((case.id, at, TARGETS_H[code] * 60, pauses))
    return out


def sla_recompute(n_cases: int, sample: int, seed: int = 7) -> dict[str, Any]:
    """Public-API recomputation of N open cases vs the pendulum stepper (per case)."""
    desk = _desk(MemoryStore())
    cases = make_open_cases(desk, n_cases, seed)
    t = time.perf_counter()
    desk.recompute()
    dues = {cid: desk.due(cid) for cid, *_ in cases}
    api_s = time.perf_counter() - t
    stepper = PendulumStepper()
    picked = random.Random(seed + 1).sample(cases, min(sample, len(cases)))
    t = time.perf_counter()
    base = {cid: stepper.due(start, minutes, pauses) for cid, start, minutes, pauses in picked}
    base_s = time.perf_counter() - t
    mismatches = [(cid, dues[cid], base[cid]) for cid in base if dues[cid] != base[cid]]
    api_per = api_s / len(cases)
    base_per = base_s / len(picked)
    return {"cases": len(cases), "sample": len(picked), "api_s": api_s,
            "api_us_per_case": api_per * 1e6, "baseline_ms_per_case": base_per * 1e3,
            "ratio": base_per / api_per, "mismatches": mismatches}  # fmt: skip


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a PostgreSQL server in a temp dir on a loopback port (fsync on: commits are
    durable, as they are for SQLite); yields the conninfo of an empty database."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    bindir = Path(found[-1]).parent if found else Path(shutil.which("initdb") or "x").parent
    if not (bindir / "initdb").exists():
        raise SystemExit("--start-pg: PostgreSQL server binaries not found")
    root = os.geteuid() == 0
    user = "civiccc-pg"
    if root and subprocess.run(["id", "-u", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", user], check=True, capture_output=True)  # fmt: skip
    base = Path(tempfile.mkdtemp(prefix="civiccc-bench-pg-"))
    if root:
        shutil.chown(base, user)
    prefix = ["runuser", "-u", user, "--"] if root else []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = base / "data"
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                    "postgres"], check=True, capture_output=True)  # fmt: skip
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                    str(base / "log"), "-w", "start"], check=True, capture_output=True)  # fmt: skip
    try:
        import psycopg

        admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        yield f"host=127.0.0.1 port={port} user=postgres dbname=bench"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument(
        "--pg",
        default=os.environ.get("CIVICCC_BENCH_PG"),
        help="PostgreSQL conninfo of an empty database (default: $CIVICCC_BENCH_PG)",
    )
    ap.add_argument("--start-pg", action="store_true", help="start a throw-away PostgreSQL")
    args = ap.parse_args(argv)
    if args.start_pg and not args.pg:
        with throwaway_postgres() as conninfo:
            return main([*(argv if argv is not None else sys.argv[1:]), "--pg", conninfo])
    n_cases, n_trans, n_durable = (300, 2_000, 50) if args.quick else (5_000, 20_000, 500)
    open_cases, sample = (500, 25) if args.quick else (10_000, 200)
    print(f"== store throughput ({n_cases} cases, {n_trans} transitions in batches of 1,000)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, Any]] = [
            ("memory", MemoryStore),
            ("sqlite (file, WAL, durable)", lambda: SqliteStore(Path(tmp) / "bench.db")),
        ]
        if args.pg:
            stores.append(("postgresql", lambda: PostgresStore(args.pg)))
        for name, factory in stores:
            store = factory()
            rows.append(store_throughput(name, store, n_cases, n_trans, n_durable))
            store.close()
    for r in rows:
        print(
            f"  {r['store']:<30} create {r['created_per_s']:>9,.0f}/s   transitions "
            f"{r['transitions_per_s']:>9,.0f}/s   durable single commits {r['durable_commits_per_s']:>8,.0f}/s"
        )
    if not args.pg:
        print("  postgresql                     skipped (pass --pg or set CIVICCC_BENCH_PG)")
    print(f"== SLA recomputation: {open_cases} open cases, baseline sample {sample}")
    res = sla_recompute(open_cases, sample)
    print(
        f"  public API: {res['api_s'] * 1e3:,.1f} ms for {res['cases']} cases "
        f"({res['api_us_per_case']:,.1f} us/case)"
    )
    print(f"  pendulum stepping: {res['baseline_ms_per_case']:,.2f} ms/case")
    print(f"  ratio: {res['ratio']:,.0f}x")
    if res["mismatches"]:
        print(f"  DUE TIMES DIFFER: {res['mismatches'][:5]}")
        return 1
    print(f"  due times identical on all {res['sample']} sampled cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
