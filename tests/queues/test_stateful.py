"""Random event sequences keep the engine's invariants (hypothesis RuleBasedStateMachine)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from civiccc.clock import VirtualClock
from civiccc.errors import InvalidTransition, PolicyViolation
from civiccc.queues import AgentStatus, QueueEngine, QueuesConfig, _engine

from .conftest import T0

AGENTS = ["A", "B", "C", "D"]
S = AgentStatus


class QueueMachine(RuleBasedStateMachine):
    """Drives two queues (one ring-all) with arbitrary events and checks invariants."""

    @initialize(
        strategy=st.sampled_from(
            ["longest_idle", "round_robin", "linear", "fewest_calls", "random", "least_talk_time"]
        ),
        wrap=st.sampled_from([0, 5]),
        max_no_answer=st.sampled_from([0, 2]),
        logged_in=st.sets(st.sampled_from(AGENTS), min_size=1),
        tiers=st.booleans(),
        auto=st.sets(st.sampled_from(AGENTS), max_size=2),
    )
    def setup(
        self,
        strategy: str,
        wrap: int,
        max_no_answer: int,
        logged_in: set[str],
        tiers: bool,
        auto: set[str],
    ) -> None:
        self.auto = auto
        cfg = QueuesConfig.from_dict(
            {
                # A rings for 3 s of its own: three ring timeout lengths (3, 7, 9)
                "agents": {
                    a: {"auto_accept": a in auto, **({"ring_timeout": 3} if a == "A" else {})}
                    for a in AGENTS
                },
                "queues": {
                    "q": {
                        "strategy": strategy,
                        "members": [{"agent": a, "level": 1 + (a == "D")} for a in AGENTS],
                        "wrap_up": wrap,
                        "ring_timeout": 7,
                        "max_no_answer": max_no_answer,
                        "reject_delay": 4,
                        "max_wait": 40,
                        "level_waits": [10] if tiers else [],
                        "max_waiting": 6,
                        "overflow": {"kind": "queue", "target": "all"},
                    },
                    "all": {"strategy": "ring_all", "members": ["B", "C"], "ring_timeout": 9},
                },
            }
        )
        self.clock = VirtualClock(T0)
        self.eng = QueueEngine(cfg, clock=self.clock, rng=random.Random(1))
        self.arrived: set[str] = set()
        self.finished: set[str] = set()
        for a in sorted(logged_in):
            self.eng.login(a)

    def _collect(self) -> None:
        for cmd in self.eng.drain():
            if cmd.kind == "action" and cmd.call is not None:
                self.finished.add(cmd.call)

    @rule(
        agent=st.sampled_from(AGENTS),
        op=st.sampled_from(
            ["login", "logout", "pause", "resume", "wrap", "unwrap", "other", "other_end"]
        ),
    )
    def agent_event(self, agent: str, op: str) -> None:
        eng = self.eng
        try:
            if op == "login":
                eng.login(agent)
            elif op == "logout":
                eng.logout(agent)
            elif op == "pause":
                eng.pause(agent, "x")
            elif op == "resume":
                eng.resume(agent)
            elif op == "wrap":
                eng.start_wrap_up(agent)
            elif op == "unwrap":
                eng.end_wrap_up(agent)
            elif op == "other":
                eng.other_call(agent, active=True)
            else:
                eng.other_call(agent, active=False)
        except (InvalidTransition, PolicyViolation):
            pass
        self._collect()

    @rule(queue=st.sampled_from(["q", "all"]), priority=st.integers(1, 5))
    def arrive(self, queue: str, priority: int) -> None:
        self.arrived.add(self.eng.arrive(queue, priority=priority))
        self._collect()

    @rule(data=st.data(), op=st.sampled_from(["answer", "reject", "no_answer", "end", "transfer"]))
    def call_event(self, data: st.DataObject, op: str) -> None:
        eng = self.eng
        if not eng.calls():
            return
        call = data.draw(st.sampled_from(sorted(eng.calls())))
        info = eng.call_info(call)
        if op in ("answer", "reject", "no_answer"):
            if not info["offered"]:
                return
            agent = data.draw(st.sampled_from(info["offered"]))
            getattr(eng, op)(call, agent)
        elif op == "end":
            eng.end(call)
            self.finished.add(call)
        elif info["state"] == "connected":
            eng.transfer(call, to="all" if info["queue"] == "q" else "q")
        self._collect()
        if op == "end":
            assert call not in eng.calls()

    @rule(seconds=st.floats(0, 30))
    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.eng.advance()
        self._collect()

    @rule(seconds=st.floats(0, 30))
    def wait(self, seconds: float) -> None:
        """Time passes with no advance(): the next event fires what fell due meanwhile."""
        self.clock.advance(seconds)

    @rule()
    def snapshot_roundtrip(self) -> None:
        snap = self.eng.snapshot()
        eng2 = QueueEngine.restore(self.eng.config, snap, clock=self.clock)
        assert eng2.snapshot() == snap

    @invariant()
    def invariants(self) -> None:
        eng = self.eng
        offered_to: dict[str, list[str]] = {}
        for call in eng.calls():
            info = eng.call_info(call)
            # a call is offered to several agents only with ring all
            if info["queue"] != "all":
                assert len(info["offered"]) <= 1, info
            for a in info["offered"]:
                offered_to.setdefault(a, []).append(call)
                assert eng.status(a) is S.OFFERED
            if info["state"] == "connected":
                assert eng.status(info["agent"]) is S.ON_QUEUE_CALL
            assert (info["state"] == "offering") == bool(info["offered"])
        # no agent is offered while not ready-and-offered; one call at a time per agent
        for a in AGENTS:
            if eng.status(a) is S.OFFERED:
                assert len(offered_to.get(a, [])) == 1
                assert a not in self.auto  # an auto-accepting agent is never left ringing
        # every timer due by the engine's last event or advance() has fired, whichever lane
        # it is in (read from a snapshot: next_timer() would recompute what events rely on)
        snap = eng.snapshot()
        assert all(t[0] > snap["now"] for t in snap["timers"])
        # the empty offer list every unringing call shares is never written to
        assert _engine._NO_OFFERS == []
        # no call lost or duplicated
        live = set(eng.calls())
        assert live <= self.arrived
        assert live.isdisjoint(self.finished)
        assert self.arrived - live <= self.finished
        assert len(live) == len(eng.calls())
        # counters add up: every finished queue visit is one outcome
        for q in ("q", "all"):
            k = eng.kpis(q)
            assert (
                k.answered + k.abandoned + k.overflow + k.timeout + k.no_agents + k.closed
                == k.offered
            )
        st_q = eng.stats("q")  # real-time figures: it fires the timers due first, like events
        assert sum(st_q.agents.values()) == len(AGENTS)
        self._collect()


QueueMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQueueMachine = QueueMachine.TestCase
