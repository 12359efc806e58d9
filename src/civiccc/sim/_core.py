"""The event core: a heap of (time, priority, seq, kind, data) on a VirtualClock."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections.abc import Callable
from typing import Any

from civiccc.clock import VirtualClock

__all__ = ["EventLoop", "streams"]


def streams(seed: int, *names: str) -> dict[str, random.Random]:
    """Independent named ``random.Random`` streams derived from one seed (stable across runs).

    >>> a = streams(7, "arrivals", "patience")
    >>> b = streams(7, "patience", "arrivals")
    >>> a["patience"].random() == b["patience"].random()
    True
    """
    out = {}
    for name in names:
        digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
        out[name] = random.Random(int.from_bytes(digest[:8], "big"))
    return out


class EventLoop:
    """A discrete-event loop; time is float epoch seconds kept on a ``VirtualClock``.

    Events are ``(time, priority, seq, kind, data)``; lower priority values run first at equal
    times, then insertion order (``seq``), so a run is fully deterministic. Handlers are looked
    up by ``kind`` in ``handlers``.

    >>> loop = EventLoop(VirtualClock(0))
    >>> seen = []
    >>> loop.handlers["ping"] = lambda data: seen.append((loop.now, data))
    >>> loop.schedule(5.0, "ping", "b"); loop.schedule(5.0, "ping", "a", priority=-1)
    >>> loop.peek()
    5.0
    >>> loop.run(until=10.0)
    2
    >>> seen, loop.now
    ([(5.0, 'a'), (5.0, 'b')], 10.0)
    """

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.now: float = clock.timestamp()
        self.heap: list[tuple[float, int, int, str, Any]] = []
        self.seq = itertools.count()
        self.handlers: dict[str, Callable[[Any], None]] = {}
        #: optional hook: returns the time of the next external timer (e.g. the queue engine's)
        self.external: Callable[[], float | None] | None = None
        #: called with that time when the external timer is due before the next event
        self.fire_external: Callable[[float], None] | None = None
        self.trace: list[tuple[float, str, Any]] | None = None

    def schedule(self, at: float, kind: str, data: Any = None, *, priority: int = 0) -> None:
        """Schedule an event at epoch seconds ``at`` (never in the past)."""
        heapq.heappush(self.heap, (max(at, self.now), priority, next(self.seq), kind, data))

    def peek(self) -> float | None:
        """Time of the next event (own or external), ``None`` when nothing is pending."""
        own = self.heap[0][0] if self.heap else None
        ext = self.external() if self.external is not None else None
        if own is None:
            return ext
        if ext is None:
            return own
        return min(own, ext)

    def step(self) -> bool:
        """Run the next event; ``False`` when nothing is pending."""
        ext = self.external() if self.external is not None else None
        heap = self.heap
        if ext is not None and (not heap or ext < heap[0][0]):
            self.now = ext
            self.clock.set(ext)
            assert self.fire_external is not None
            self.fire_external(ext)
            return True
        if not heap:
            return False
        t, _, _, kind, data = heapq.heappop(heap)
        self.now = t
        self.clock.set(t)
        if self.trace is not None:
            self.trace.append((t, kind, data))
        self.handlers[kind](data)
        return True

    def run(self, until: float | None = None) -> int:
        """Run events up to and including time ``until`` (all when ``None``); return the count."""
        n = 0
        heap = self.heap
        handlers = self.handlers
        external = self.external
        clock_set = self.clock.set
        trace = self.trace
        while True:
            ext = external() if external is not None else None
            if ext is not None and (not heap or ext < heap[0][0]):
                if until is not None and ext > until:
                    break
                self.now = ext
                clock_set(ext)
                assert self.fire_external is not None
                self.fire_external(ext)
                n += 1
                continue
            if not heap or (until is not None and heap[0][0] > until):
                break
            t, _, _, kind, data = heapq.heappop(heap)
            self.now = t
            clock_set(t)
            if trace is not None:
                trace.append((t, kind, data))
            handlers[kind](data)
            n += 1
        if until is not None and until > self.now:
            self.now = until
            clock_set(until)
        return n
