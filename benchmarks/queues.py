"""Queue dispatch benchmark: the engine against a scan-and-sort baseline and a bare heap matcher.

A seeded stream of events (arrivals, answers, hang-ups, pauses/resumes) for N agents in 25
queues (each agent in 1-4 queues at levels 1-3, longest idle, priorities 1-5) is replayed through

* ``QueueEngine`` (the real engine: commands, status table, timers, counters),
* ``ScanSort``: on every decision, scan the eligible agents / waiting calls and sort,
* ``HeapMatcher``: per-queue heaps keyed by (level, idle since, seq) and (priority, arrival,
  seq) with lazy invalidation, and nothing else.

All three must produce the identical list of (call, agent) offers. Reported: events/s
("decisions/s": every event is one routing decision, CPU time of the process, best of
interleaved rounds) and the ratios.

    python benchmarks/queues.py            # 200,000 events, 300 and 3,000 agents
    python benchmarks/queues.py --quick    # 5,000 events, 60 agents (checks identity)
"""

from __future__ import annotations

import argparse
import heapq
import importlib.util
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# an installed civiccc (or the compiled build put first with PYTHONPATH) is used as it is; from
# a clone with nothing installed, the sources
if importlib.util.find_spec("civiccc") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import civiccc
from civiccc.queues import QueueEngine, QueuesConfig

T0 = 1_750_000_000.0
STEP = 0.5

# CPU time of this process: on a shared machine, time spent descheduled is not counted
_timer = time.process_time


def make_world(n_agents: int, n_queues: int, seed: int) -> dict[str, Any]:
    """Agents with 1-4 queue memberships at levels 1-3."""
    rng = random.Random(seed)
    queues: dict[str, list[tuple[str, int]]] = {f"q{i}": [] for i in range(n_queues)}
    for a in range(n_agents):
        for q in rng.sample(sorted(queues), rng.randint(1, 4)):
            queues[q].append((f"a{a}", rng.randint(1, 3)))
    return {"agents": [f"a{a}" for a in range(n_agents)], "queues": queues}


def make_stream(world: dict[str, Any], n_events: int, seed: int) -> list[tuple[Any, ...]]:
    """Implementation-independent events; ones that do not apply in the current state are skipped."""
    rng = random.Random(seed)
    qids = sorted(world["queues"])
    agents = world["agents"]
    live: list[str] = []
    out: list[tuple[Any, ...]] = []
    n = 0
    for _ in range(n_events):
        r = rng.random()
        if r < 0.31 or not live:
            n += 1
            cid = f"c{n}"
            live.append(cid)
            out.append(("arrive", cid, rng.choice(qids), rng.randint(1, 5)))
        elif r < 0.62:
            out.append(("answer",))  # the oldest outstanding offer is answered
        elif r < 0.92:
            out.append(("finish",))  # the oldest connected call ends
        elif r < 0.97:
            out.append(("hangup", live.pop(rng.randrange(len(live)))))
        else:
            out.append(("toggle", rng.choice(agents)))
    return out


# --------------------------------------------------------------------------- engine driver
class _StepClock:
    """The replay's clock: a ``civiccc.clock.Clock`` whose instant the driver sets as a plain
    attribute (the engine reads ``timestamp()`` when a clock has one, as ``VirtualClock`` does)."""

    __slots__ = ("t",)

    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    def timestamp(self) -> float:
        return self.t


def run_engine(
    world: dict[str, Any], stream: list[tuple[Any, ...]]
) -> tuple[list[tuple[str, str]], float]:
    cfg = QueuesConfig.from_dict(
        {
            "agents": {a: {} for a in world["agents"]},
            "queues": {
                q: {
                    "members": [{"agent": a, "level": lv} for a, lv in ms],
                    "ring_timeout": 1e9,
                    "reject_delay": 0,
                }
                for q, ms in world["queues"].items()
            },
        }
    )
    clock = _StepClock(T0)
    eng = QueueEngine(cfg, clock=clock)
    for a in world["agents"]:
        eng.login(a)
    eng.drain()
    matches: list[tuple[str, str]] = []
    offered: dict[str, str] = {}
    connected: dict[str, None] = {}
    waiting: set[str] = set()  # arrived, not yet offered (what the adapter knows)
    paused: set[str] = set()
    drain = eng.drain
    arrive, answer, end, pause, resume, status = (
        eng.arrive,
        eng.answer,
        eng.end,
        eng.pause,
        eng.resume,
        eng.status,
    )
    t = T0
    start = _timer()
    for ev in stream:
        t += STEP
        clock.t = t
        kind = ev[0]
        if kind == "arrive":
            arrive(ev[2], call=ev[1], priority=ev[3])
            waiting.add(ev[1])
        elif kind == "answer":
            if not offered:
                continue
            cid = next(iter(offered))
            answer(cid, offered.pop(cid))
            connected[cid] = None
        elif kind == "finish":
            if not connected:
                continue
            cid = next(iter(connected))
            del connected[cid]
            end(cid)
        elif kind == "hangup":
            cid = ev[1]
            if cid in connected:
                del connected[cid]
                end(cid)
            elif cid in offered or cid in waiting:
                offered.pop(cid, None)
                waiting.discard(cid)
                end(cid)
            else:
                continue
        else:
            a = ev[1]
            if a in paused:
                paused.discard(a)
                resume(a)
            elif status(a) == "ready":
                paused.add(a)
                pause(a)
            else:
                continue
        for cmd in drain():
            if cmd.kind == "ring":
                offered[cmd.call] = cmd.agent  # type: ignore[index]
                waiting.discard(cmd.call)  # type: ignore[arg-type]
                matches.append((cmd.call, cmd.agent))  # type: ignore[arg-type]
    return matches, _timer() - start


# --------------------------------------------------------------------------- shared baseline state
class _Base:
    def __init__(self, world: dict[str, Any]) -> None:
        self.queues: dict[str, dict[str, int]] = {q: dict(ms) for q, ms in world["queues"].items()}
        self.order = {a: i for i, a in enumerate(world["agents"])}
        self.agent_queues: dict[str, list[str]] = {a: [] for a in world["agents"]}
        for q, ms in world["queues"].items():
            for a, _ in ms:
                self.agent_queues[a].append(q)
        self.status = dict.fromkeys(world["agents"], "ready")
        self.idle = dict.fromkeys(world["agents"], 0.0)
        self.calls: dict[str, list[Any]] = {}  # cid -> [queue, prio, arrived, seq, state, agent]
        self.matches: list[tuple[str, str]] = []
        self.offers: dict[str, str] = {}  # outstanding offers, oldest first
        self.seq = 0


class ScanSort(_Base):
    """Every decision scans the candidates and sorts them."""

    def __init__(self, world: dict[str, Any]) -> None:
        super().__init__(world)
        self.waiting: dict[str, list[str]] = {q: [] for q in self.queues}

    def arrive(self, cid: str, q: str, prio: int, now: float) -> None:
        self.seq += 1
        self.calls[cid] = [q, prio, now, self.seq, "w", None]
        cands = sorted(
            (lv, self.idle[a], self.order[a], a)
            for a, lv in self.queues[q].items()
            if self.status[a] == "ready"
        )
        if cands:
            self._offer(cid, cands[0][3])
        else:
            self.waiting[q].append(cid)

    def _offer(self, cid: str, a: str) -> None:
        c = self.calls[cid]
        c[4], c[5] = "o", a
        self.status[a] = "offered"
        self.matches.append((cid, a))
        self.offers[cid] = a

    def freed(self, a: str, now: float) -> None:
        self.status[a] = "ready"
        best = sorted(
            (self.calls[cid][1], self.calls[cid][2], self.calls[cid][3], cid)
            for q in self.agent_queues[a]
            for cid in self.waiting[q]
        )
        if best:
            cid = best[0][3]
            self.waiting[self.calls[cid][0]].remove(cid)
            self._offer(cid, a)


class HeapMatcher(_Base):
    """Per-queue heaps with lazy invalidation; the lower bound for any engine."""

    def __init__(self, world: dict[str, Any]) -> None:
        super().__init__(world)
        self.token = dict.fromkeys(world["agents"], 0)
        self.aheap: dict[str, list[tuple[int, float, int, int, str]]] = {q: [] for q in self.queues}
        self.cheap: dict[str, list[tuple[int, float, int, str]]] = {q: [] for q in self.queues}
        for a in world["agents"]:
            self._push_agent(a)

    def _push_agent(self, a: str) -> None:
        tok = self.token[a]
        idle, seq = self.idle[a], self.order[a]
        for q in self.agent_queues[a]:
            heapq.heappush(self.aheap[q], (self.queues[q][a], idle, seq, tok, a))

    def arrive(self, cid: str, q: str, prio: int, now: float) -> None:
        self.seq += 1
        c = self.calls[cid] = [q, prio, now, self.seq, "w", None]
        h = self.aheap[q]
        while h:
            e = h[0]
            heapq.heappop(h)
            a = e[4]
            if self.token[a] == e[3] and self.status[a] == "ready":
                self._offer(c, cid, a)
                return
        heapq.heappush(self.cheap[q], (prio, now, self.seq, cid))

    def _offer(self, c: list[Any], cid: str, a: str) -> None:
        c[4], c[5] = "o", a
        self.status[a] = "offered"
        self.token[a] += 1
        self.matches.append((cid, a))
        self.offers[cid] = a

    def _head(self, q: str) -> tuple[int, float, int, str] | None:
        h = self.cheap[q]
        while h:
            c = self.calls.get(h[0][3])
            if c is not None and c[4] == "w":
                return h[0]
            heapq.heappop(h)
        return None

    def freed(self, a: str, now: float) -> None:
        self.status[a] = "ready"
        self.token[a] += 1
        best = None
        for q in self.agent_queues[a]:
            h = self._head(q)
            if h is not None and (best is None or h < best[0]):
                best = (h, q)
        if best is None:
            self._push_agent(a)
            return
        heapq.heappop(self.cheap[best[1]])
        self._offer(self.calls[best[0][3]], best[0][3], a)


def run_baseline(impl: _Base, stream: list[tuple[Any, ...]]) -> tuple[list[tuple[str, str]], float]:
    paused: set[str] = set()
    calls = impl.calls
    status = impl.status
    offers = impl.offers
    connected: dict[str, None] = {}
    is_scan = isinstance(impl, ScanSort)
    t = T0
    start = _timer()
    for ev in stream:
        t += STEP
        kind = ev[0]
        if kind == "arrive":
            impl.arrive(ev[1], ev[2], ev[3], t)  # type: ignore[attr-defined]
        elif kind == "answer":
            if not offers:
                continue
            cid = next(iter(offers))
            del offers[cid]
            c = calls[cid]
            c[4] = "c"
            status[c[5]] = "busy"
            connected[cid] = None
        elif kind == "finish":
            if not connected:
                continue
            cid = next(iter(connected))
            del connected[cid]
            c = calls.pop(cid)
            a = c[5]
            impl.idle[a] = t
            impl.freed(a, t)  # type: ignore[attr-defined]
        elif kind == "hangup":
            c = calls.pop(ev[1], None)
            if c is None:
                continue
            offers.pop(ev[1], None)
            connected.pop(ev[1], None)
            if c[4] == "w":
                if is_scan:
                    impl.waiting[c[0]].remove(ev[1])  # type: ignore[attr-defined]
                continue
            a = c[5]
            if c[4] == "c":
                impl.idle[a] = t
            impl.freed(a, t)  # type: ignore[attr-defined]
        else:
            a = ev[1]
            if a in paused:
                paused.discard(a)
                impl.freed(a, t)  # type: ignore[attr-defined]
            elif status[a] == "ready":
                paused.add(a)
                status[a] = "paused"
                if not is_scan:
                    impl.token[a] += 1  # type: ignore[attr-defined]
    return impl.matches, _timer() - start


def run(n_agents: int, n_events: int, seed: int = 7, repeat: int = 3) -> dict[str, Any]:
    """One size: identical matches asserted, best-of-``repeat`` timings.

    The repeats are interleaved (engine, scan, heap, engine, ...) so that a change of load on
    a shared machine affects all three alike.
    """
    world = make_world(n_agents, 25, seed)
    stream = make_stream(world, n_events, seed + 1)
    results: dict[str, Any] = {"agents": n_agents, "events": len(stream)}
    ref = None
    impls = (
        ("engine", lambda: run_engine(world, stream)),
        ("scan_sort", lambda: run_baseline(ScanSort(world), stream)),
        ("heap", lambda: run_baseline(HeapMatcher(world), stream)),
    )
    best = dict.fromkeys([name for name, _ in impls], float("inf"))
    for _ in range(repeat):
        for name, fn in impls:
            matches, secs = fn()
            best[name] = min(best[name], secs)
            if ref is None:
                ref = matches
            elif matches != ref:
                diff = (
                    next(i for i, (x, y) in enumerate(zip(matches, ref, strict=False)) if x != y)
                    if matches[: len(ref)] != ref[: len(matches)]
                    else min(len(ref), len(matches))
                )
                raise AssertionError(f"{name} differs from the engine at match #{diff}")
    for name, _ in impls:
        results[name] = len(stream) / best[name]
    results["matches"] = len(ref or ())
    results["engine_vs_scan"] = results["engine"] / results["scan_sort"]
    results["heap_vs_engine"] = results["heap"] / results["engine"]
    return results


def build() -> str:
    """Which build of civiccc runs: pure Python, or the compiled modules."""
    compiled = civiccc.compiled_modules()
    return f"compiled (mypyc): {', '.join(compiled)}" if compiled else "pure Python"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (checks identical matches)"
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (best counts)")
    args = parser.parse_args(argv)
    sizes = [(60, 5_000)] if args.quick else [(300, args.events), (3_000, args.events)]
    print(f"civiccc build: {build()}")
    for n_agents, n_events in sizes:
        r = run(n_agents, n_events, repeat=1 if args.quick else args.repeat)
        print(
            f"{r['agents']:>5} agents, {r['events']:,} events, {r['matches']:,} offers (identical in all three)\n"
            f"  engine     {r['engine']:>12,.0f} decisions/s\n"
            f"  scan+sort  {r['scan_sort']:>12,.0f} decisions/s   engine/scan = {r['engine_vs_scan']:.2f}x\n"
            f"  bare heap  {r['heap']:>12,.0f} decisions/s   heap/engine = {r['heap_vs_engine']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
