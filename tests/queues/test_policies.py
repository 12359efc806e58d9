"""No-answer policy, limits and actions, opening hours, callbacks, transfers, presence, privacy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civiccc.calendar import Calendar
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition, NotFoundError
from civiccc.queues import AgentStatus, QueueEngine, QueuesConfig

from .conftest import T0, make, rings


def test_no_answer_delay_and_auto_pause_after_n_misses() -> None:
    """e.3 #11: miss -> skipped for 10 s; 3rd consecutive miss -> paused 'no answer'."""
    eng, clock = make(
        {"ring_timeout": 5, "no_answer_delay": 10, "max_no_answer": 3, "reject_delay": 0},
        agents="A",
    )
    eng.login("A")
    c = eng.arrive("q")
    assert rings(eng) == ["A"]
    clock.advance(5)
    eng.advance()
    assert eng.status("A") is AgentStatus.READY and eng.call_info(c)["offered"] == []
    clock.advance(9.5)
    eng.advance()
    assert eng.call_info(c)["offered"] == []  # still inside the no-answer delay
    clock.advance(0.5)
    eng.advance()
    assert eng.call_info(c)["offered"] == ["A"]
    clock.advance(5)
    eng.advance()  # miss 2
    clock.advance(10)
    eng.advance()
    clock.advance(5)
    eng.advance()  # miss 3
    assert eng.status("A") is AgentStatus.PAUSED
    assert eng.agent_info("A")["reason"] == "no answer"


def test_miss_counter_resets_on_answer() -> None:
    """Answering in between resets the consecutive-miss counter."""
    eng, clock = make({"ring_timeout": 5, "max_no_answer": 2, "reject_delay": 0}, agents="A")
    eng.login("A")
    c = eng.arrive("q")
    clock.advance(5)
    eng.advance()
    assert eng.agent_info("A")["misses"] == 1
    eng.answer(c, "A")
    assert eng.agent_info("A")["misses"] == 0
    eng.end(c)
    eng.arrive("q")
    clock.advance(5)
    eng.advance()
    assert eng.agent_info("A")["misses"] == 1
    assert eng.status("A") is not AgentStatus.PAUSED


def test_rejected_call_not_reoffered_to_same_agent_at_once() -> None:
    """A rejects: B is rung; when only A is left, the call waits reject_delay before A again."""
    eng, clock = make({"reject_delay": 30}, agents="AB")
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q")
    assert rings(eng) == ["A"]
    eng.reject(c, "A")
    assert [x.agent for x in eng.drain() if x.kind == "ring"] == ["B"]
    eng.reject(c, "B")
    eng.drain()
    assert eng.call_info(c)["state"] == "waiting"
    clock.advance(30)
    eng.advance()
    assert eng.call_info(c)["offered"] == ["A"]


def test_busy_device_is_skipped_without_counting() -> None:
    """busy() releases the offer without counting a miss."""
    eng, _ = make(agents="AB")
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q")
    eng.busy(c, "A")
    assert eng.agent_info("A")["misses"] == 0
    assert eng.call_info(c)["offered"] == ["B"]


def test_overflow_eleventh_caller() -> None:
    """e.3 #16: threshold 10 -> the 11th arriving caller gets the overflow action."""
    eng, _ = make(
        {"max_waiting": 10, "overflow": {"kind": "shared_voicemail", "target": "desk-vm"}}
    )
    calls = [eng.arrive("q") for _ in range(11)]
    actions = [x for x in eng.drain() if x.kind == "action"]
    assert [(a.call, a.data["reason"], a.data["target"]) for a in actions] == [
        (calls[10], "overflow", "desk-vm")
    ]
    assert eng.kpis("q").overflow == 1
    assert len(eng.calls()) == 10


def test_overflow_to_another_queue_keeps_history() -> None:
    """An overflow into another queue moves the call there; its history shows both queues."""
    eng, _ = make(
        {"max_waiting": 0, "overflow": {"kind": "queue", "target": "backup"}},
        more_queues={"backup": {"members": ["D"]}},
    )
    eng.login("D")
    c = eng.arrive("q")
    assert rings(eng) == ["D"]
    hist = eng.call_info(c)["history"]
    assert [h[0] for h in hist] == ["queued", "overflow"] and hist[-1][2] == "backup"


def test_max_wait_timeout_waits_for_ringing_outcome() -> None:
    """e.3 #14: timeout at 60 s, but a ring in progress is allowed to finish first."""
    eng, clock = make(
        {"max_wait": 60, "ring_timeout": 20, "timeout": {"kind": "voicemail"}}, agents="A"
    )
    c = eng.arrive("q")
    clock.advance(50)
    eng.login("A")  # rings A from t=50 to t=70
    eng.drain()
    clock.advance(10)
    eng.advance()
    assert eng.call_info(c)["state"] == "offering"
    clock.advance(10)
    eng.advance()
    kinds = [(x.kind, (x.data or {}).get("reason")) for x in eng.drain()]
    assert ("action", "timeout") in kinds
    assert c not in eng.calls()


def test_max_wait_exact() -> None:
    """Without a ring in progress the timeout fires exactly at max_wait."""
    eng, clock = make({"max_wait": 45}, agents="A")
    c = eng.arrive("q")
    clock.advance(44.9)
    eng.advance()
    assert c in eng.calls()
    clock.advance(0.1)
    eng.advance()
    assert c not in eng.calls()
    assert eng.kpis("q").timeout == 1


@pytest.mark.parametrize("apply_to", ["new", "all"])
def test_no_agents_new_vs_all(apply_to: str) -> None:
    """e.3 #15 (Teams NoAgentApplyTo): 'new' keeps waiting calls; 'all' ejects them too."""
    eng, _ = make(
        {"no_agents": {"kind": "external", "target": "+15559999"}, "no_agents_apply_to": apply_to},
        agents="A",
    )
    eng.login("A")
    eng.other_call("A", active=True)
    waiting = eng.arrive("q")
    eng.other_call("A", active=False)
    eng.answer(waiting, "A")
    w2 = eng.arrive("q")
    eng.end(waiting)
    eng.answer(w2, "A")
    w3 = eng.arrive("q")
    eng.end(w2)
    eng.drain()
    # A is now ringing for w3; A declines and logs out: nobody is logged in
    eng.reject(w3, "A")
    eng.logout("A")
    new = eng.arrive("q")
    acts = {x.call: x.data["reason"] for x in eng.drain() if x.kind == "action"}
    assert acts.get(new) == "no_agents"
    assert (w3 in acts) is (apply_to == "all")


def test_closed_queue_uses_calendar() -> None:
    """Outside the queue's opening hours a new call gets the closed action."""
    cal = Calendar.from_dict(
        {
            "id": "office",
            "timezone": "UTC",
            "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": [], "sun": []},
        }
    )
    # T0 = 2025-06-15T15:06:40Z, a Sunday
    eng, clock = make(
        {"calendar": "office", "closed": {"kind": "voicemail", "message": "closed"}},
        calendars={"office": cal},
    )
    eng.login("A")
    c = eng.arrive("q")
    acts = [x for x in eng.drain() if x.kind == "action"]
    assert acts[0].call == c and acts[0].data["reason"] == "closed"
    clock.set(datetime(2025, 6, 16, 9, 0, tzinfo=UTC))  # Monday
    eng.arrive("q")
    assert rings(eng) == ["A"]


def test_missing_calendar_is_a_config_error() -> None:
    """A queue naming a calendar the engine was not given fails at construction."""
    with pytest.raises(ConfigError, match=r"queues\.q\.calendar"):
        make({"calendar": "nowhere"})


def test_callback_offer_rules_and_keeps_position() -> None:
    """Callbacks are offered after N s and when N calls wait; accepted ones keep their place."""
    eng, clock = make(
        {"callback": {"after_wait": 60, "calls_waiting": 2, "retry_delay": 120, "max_attempts": 2}},
        agents="A",
    )
    first = eng.arrive("q")
    second = eng.arrive("q")
    assert [x.call for x in eng.drain() if x.kind == "offer_callback"] == []
    third = eng.arrive("q")  # 2 already waiting
    assert [x.call for x in eng.drain() if x.kind == "offer_callback"] == [third]
    clock.advance(60)
    eng.advance()
    # the wait rule reminds every caller who has waited 60 s (third was offered on arrival too)
    assert {x.call for x in eng.drain() if x.kind == "offer_callback"} == {first, second, third}
    eng.accept_callback(first, "+15551234")
    assert eng.position(first) == 1
    eng.login("A")
    cmds = eng.drain()
    assert [(x.kind, x.call) for x in cmds] == [("ring", first)]
    eng.answer(first, "A")
    dial = [x for x in eng.drain() if x.kind == "dial_callback"]
    assert dial[0].data == "+15551234" and dial[0].present == "+15550100"
    eng.callback_result(first, reached=False)  # not reached: retry in 120 s, keeps its place
    assert eng.call_info(first)["state"] == "callback_wait"
    eng.drain()
    assert rings(eng) == []
    assert eng.call_info(second)["offered"] == ["A"]
    eng.abandon(second)
    eng.abandon(third)
    clock.advance(120)
    eng.advance()
    assert eng.call_info(first)["offered"] == ["A"]
    eng.answer(first, "A")
    eng.callback_result(first, reached=False)  # 2nd attempt fails: given up
    assert first not in eng.calls()
    assert eng.kpis("q").callbacks == 1


def test_callback_policy_needs_a_rule() -> None:
    """e.3 #17: callback enabled with no eligibility rule is a config error."""
    with pytest.raises(ConfigError, match="callback"):
        make({"callback": {"retry_delay": 60}})


def test_blind_transfer_to_queue_counts_and_keeps_history() -> None:
    """A blind transfer frees the agent, moves the call and is counted on the source queue."""
    eng, _ = make(agents="AB", more_queues={"waste": {"members": ["B"]}})
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q")
    eng.answer(c, "A")
    eng.transfer(c, to="waste")
    assert eng.status("A") is AgentStatus.READY
    assert eng.call_info(c)["offered"] == ["B"]
    assert eng.call_info(c)["transfers"] == 1
    assert [h[0] for h in eng.call_info(c)["history"]] == ["queued", "answered", "transfer"]
    assert eng.kpis("q").transfers == 1


def test_consulted_transfer_keeps_agent_until_target_answers() -> None:
    """Consulted: the transferring agent stays on the call until the target answers."""
    eng, _ = make(agents="AB")
    eng.login("A")
    eng.login("B")
    c = eng.arrive("q")
    eng.answer(c, "A")
    eng.transfer(c, to="B", kind="agent", mode="consulted")
    assert eng.status("A") is AgentStatus.ON_QUEUE_CALL
    eng.answer(c, "B")
    assert eng.status("A") is AgentStatus.READY
    assert eng.status("B") is AgentStatus.ON_QUEUE_CALL


def test_transfer_to_flow_and_errors() -> None:
    """Transfers to a flow leave the engine; bad kinds and unconnected calls raise."""
    eng, _ = make(agents="A")
    eng.login("A")
    c = eng.arrive("q")
    with pytest.raises(InvalidTransition):
        eng.transfer(c, to="x")
    eng.answer(c, "A")
    with pytest.raises(ConfigError):
        eng.transfer(c, to="x", kind="fax")
    eng.transfer(c, to="main_menu", kind="flow")
    act = next(x for x in eng.drain() if x.kind == "action")
    assert act.data == {
        "reason": "transfer",
        "kind": "flow",
        "target": "main_menu",
        "message": None,
    }


def test_position_and_estimated_wait() -> None:
    """EWT = position x AHT / max(1, reachable agents); AHT starts at default_handle_time."""
    eng, _ = make({"default_handle_time": 120}, agents="AB")
    eng.login("A")
    eng.login("B")
    eng.other_call("A", active=True)
    eng.other_call("B", active=True)
    calls = [eng.arrive("q") for _ in range(3)]
    assert [eng.position(c) for c in calls] == [1, 2, 3]
    assert eng.estimated_wait(calls[2]) == 3 * 120 / 2
    eng.announce(calls[1])
    ann = eng.drain()[-1]
    assert ann.data == {"position": 2, "estimated_wait": 120}


def test_presence_routing_and_coupling() -> None:
    """Presence routing offers only to 'available'; coupled agents follow their presence."""
    from civiccc.clock import VirtualClock
    from civiccc.queues import QueueEngine, QueuesConfig

    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {}, "B": {"presence_coupled": True}},
            "queues": {"q": {"members": ["A", "B"], "presence_routing": True}},
        }
    )
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    eng.login("A")
    eng.login("B")
    eng.set_presence("A", "busy")
    eng.set_presence("B", "dnd")
    assert eng.status("B") is AgentStatus.PAUSED
    c = eng.arrive("q")
    assert eng.call_info(c)["offered"] == []
    eng.set_presence("A", "available")
    assert eng.call_info(c)["offered"] == ["A"]
    eng.set_presence("B", "available")
    assert eng.status("B") is AgentStatus.READY
    eng.set_presence("B", "offline")
    assert eng.status("B") is AgentStatus.LOGGED_OFF
    with pytest.raises(ConfigError):
        eng.set_presence("A", "sleeping")


def test_feature_codes_log_in_and_out_by_phone() -> None:
    """*61 from a known number logs its agent in, *62 out; both audited as 'phone'."""
    eng, _ = make(agents="A")
    assert eng.feature_code("+15550200", "*61") == "A"
    assert eng.status("A") is AgentStatus.READY
    eng.feature_code("+15550200", "*63")
    assert eng.status("A") is AgentStatus.PAUSED
    eng.feature_code("+15550200", "*64")
    eng.feature_code("+15550200", "*62")
    assert eng.status("A") is AgentStatus.LOGGED_OFF
    assert [e.detail for e in eng.audit] == ["phone", "phone"]
    with pytest.raises(NotFoundError):
        eng.feature_code("+19999999", "*61")
    with pytest.raises(ConfigError):
        eng.feature_code("+15550200", "*99")


@pytest.mark.parametrize("dialled", ["+1 555 0200", "+1-555-0200", "+1 (555) 02.00", " +15550200"])
def test_feature_codes_match_numbers_written_with_layout(dialled: str) -> None:
    """Spaces, hyphens, dots and parentheses are layout: the number still identifies A."""
    eng, _ = make(agents="A")
    assert eng.feature_code(dialled, "*61") == "A"
    assert eng.status("A") is AgentStatus.READY


def test_feature_codes_keep_the_plus_and_shared_numbers_apart() -> None:
    """Without its '+' a number is another number; two agents whose contacts differ only in
    layout share one number, so a code dialled from it is refused naming both."""
    eng, _ = make(agents="A")
    with pytest.raises(NotFoundError):
        eng.feature_code("15550200", "*61")
    cfg = QueuesConfig.from_dict(
        {
            "agents": {
                "A": {"contacts": {"mobile": "+1 604 555 0777"}},
                "B": {"contacts": {"mobile": "+16045550777"}},
            },
            "queues": {"q": {"members": ["A", "B"]}},
        }
    )
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    with pytest.raises(ConfigError, match="several agents \\('A', 'B'\\)") as info:
        eng.feature_code("+1-604-555-0777", "*61")
    assert info.value.path == "number"
    assert eng.status("A") is AgentStatus.LOGGED_OFF


def test_private_numbers_only_reach_the_adapter_ring_leg() -> None:
    """A mobile (private) number appears only in ring contacts; caller-facing commands present the hotline."""
    from civiccc.clock import VirtualClock
    from civiccc.queues import QueueEngine, QueuesConfig

    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {"contacts": {"mobile": "+491701234567"}, "ring": ["mobile"]}},
            "queues": {
                "q": {"number": "+4930123", "members": ["A"], "callback": {"calls_waiting": 0}}
            },
        }
    )
    assert cfg.agents["A"].contacts[0].private
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    eng.login("A")
    c = eng.arrive("q", caller="+4915100000")
    eng.answer(c, "A")
    eng.end(c)
    for cmd in eng.drain():
        if cmd.kind == "ring":
            assert cmd.contacts == ("+491701234567",) and cmd.present == "+4930123"
        else:
            assert "+491701234567" not in repr(cmd)
            assert cmd.present in (None, "+4930123")


def test_callback_retry_waits_for_opening_hours() -> None:
    """An unreached callback due after closing is retried at the next opening."""
    cal = Calendar.from_dict(
        {
            "id": "office",
            "timezone": "UTC",
            "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": [], "sun": []},
        }
    )
    eng, clock = make(
        {
            "calendar": "office",
            "callback": {"calls_waiting": 0, "retry_delay": 3600, "max_attempts": 3},
        },
        agents="A",
        calendars={"office": cal},
    )
    clock.set(datetime(2025, 6, 16, 15, 30, tzinfo=UTC))  # Monday 15:30, open
    c = eng.arrive("q")
    eng.accept_callback(c, "+15551234")
    eng.login("A")
    eng.answer(c, "A")
    eng.callback_result(c, reached=False)  # retry due 16:30: closed
    clock.set(datetime(2025, 6, 16, 16, 30, tzinfo=UTC))
    eng.advance()
    assert eng.call_info(c)["state"] == "callback_wait"
    assert eng.next_timer() == datetime(2025, 6, 17, 8, 0, tzinfo=UTC).timestamp()
    clock.set(datetime(2025, 6, 17, 8, 0, tzinfo=UTC))
    eng.advance()
    assert eng.call_info(c)["offered"] == ["A"]


@pytest.mark.parametrize("restart", [False, True])
def test_reused_call_id_gets_its_own_ring_timeout(restart: bool) -> None:
    """A stale ring timer of an ended call never fires for a later call with the same id
    (also after a snapshot/restore in between)."""
    eng, clock = make({"ring_timeout": 30}, agents="A")
    eng.login("A")
    eng.arrive("q", call="x")
    clock.advance(1)
    eng.answer("x", "A")
    clock.advance(1)
    eng.end("x")
    if restart:
        eng = QueueEngine.restore(eng.config, eng.snapshot(), clock=clock)
    clock.advance(1)
    eng.arrive("q", call="x")  # rung at T0+3: its timeout is T0+33, not the old T0+30
    eng.drain()
    clock.advance(28)
    eng.advance()
    assert [c.kind for c in eng.drain()] == []
    assert eng.status("A") == AgentStatus.OFFERED
    clock.advance(2)
    eng.advance()
    assert "stop_ringing" in [c.kind for c in eng.drain()]
