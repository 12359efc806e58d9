"""Bad configuration and bad event arguments are refused with a located error (QA 2026-11-29).

Unknown fields at every level of a configuration, duplicate members, dial strings, feature
codes, ``ring_timeout: 0``, ``accept_callback`` without an offer, priorities and skill levels out
of range, non-finite times. Public API only.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, InvalidTransition
from civiccc.queues import (
    Action,
    AgentSpec,
    CallbackPolicy,
    Contact,
    CoverageRule,
    Member,
    QueueEngine,
    QueuesConfig,
    QueueSpec,
)

from .conftest import T0, make, rings
from .conftest import config_error as _error

HOTLINES = Path(__file__).resolve().parents[2] / "examples" / "queues" / "hotlines.yaml"


# ------------------------------------------------------------------ the document itself


def test_none_is_not_an_empty_configuration() -> None:
    err = _error(None)
    assert err.path == ""
    assert "got nothing" in str(err)


@pytest.mark.parametrize("key", ["queus", "agent", "feature_code", "Queues", "seed"])
def test_unknown_top_level_fields_are_refused(key: str) -> None:
    err = _error({"agents": {"ann": {}}, "queues": {"q": {"members": ["ann"]}}, key: {}})
    assert err.path == key
    assert f"unknown field {key!r}" in str(err)
    assert "agents, feature_codes, queues" in str(err)


def test_a_hotlines_file_is_read_through_queues_config() -> None:
    """The whole example file (calendar_files + queues_config) gives its real configuration."""
    doc = yaml.safe_load(HOTLINES.read_text(encoding="utf-8"))
    whole = QueuesConfig.from_dict(doc)
    assert whole == QueuesConfig.from_dict(doc["queues_config"])
    assert "hausmeister" in whole.queues and "huber" in whole.agents


def test_hotlines_file_errors_are_located_under_queues_config() -> None:
    doc = yaml.safe_load(HOTLINES.read_text(encoding="utf-8"))
    doc["queues_config"]["queues"]["bylaw"]["ovreflow"] = {"kind": "voicemail"}
    err = _error(doc)
    assert err.path == "queues_config.queues.bylaw.ovreflow"
    assert err.node == "bylaw"
    bad = {"calendar_files": [], "queues_config": {"queues": {}}, "agents": {}}
    assert _error(bad).path == "agents"
    assert _error({"calendar_files": [5], "queues_config": {}}).path == "calendar_files[0]"
    assert _error({"queues_config": None}).path == "queues_config"
    assert _error({"queues_config": [1]}).path == "queues_config"


def test_calendar_files_outside_a_hotlines_file_are_refused() -> None:
    err = _error({"calendar_files": ["a.yaml"], "agents": {}, "queues": {}})
    assert err.path == "calendar_files"
    assert "queues_config" in str(err)


# ------------------------------------------------------------------ unknown nested fields

_Q = {"agents": {"ann": {}}, "queues": {"q": {"members": ["ann"]}}}


def _with(path: tuple[Any, ...], value: Any, base: dict[str, Any] | None = None) -> Any:
    doc = copy.deepcopy(base or _Q)
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "where", "node"),
    [
        (
            _with(("queues", "q", "overflow"), {"kind": "voicemail", "targt": "x"}),
            "queues.q.overflow.targt",
            "q",
        ),
        (
            _with(("queues", "q", "callback"), {"after_wait": 5, "retry_dealy": 1}),
            "queues.q.callback.retry_dealy",
            "q",
        ),
        (
            _with(("queues", "q", "coverage"), {"min_reachabl": 3}),
            "queues.q.coverage.min_reachabl",
            "q",
        ),
        (
            _with(("queues", "q", "members"), [{"agent": "ann", "levle": 2}]),
            "queues.q.members[0].levle",
            "q",
        ),
        (
            _with(("agents", "ann", "contacts"), {"desk": {"number": "1", "privat": True}}),
            "agents.ann.contacts.desk.privat",
            "ann",
        ),
        (
            _with(("queues", "q", "timeout"), {"kind": "voicemail", "mesage": "Bye"}),
            "queues.q.timeout.mesage",
            "q",
        ),
        (_with(("agents", "ann", "ring_timout"), 5), "agents.ann.ring_timout", "ann"),
        (_with(("queues", "q", "wrapup"), 5), "queues.q.wrapup", "q"),
    ],
)
def test_misspelt_nested_fields_are_refused(doc: Any, where: str, node: str) -> None:
    """The QA reproductions: each typo is refused at its own path, naming the queue/agent."""
    err = _error(doc)
    assert err.path == where
    assert err.node == node
    assert f"unknown field {where.rsplit('.', 1)[1]!r}" in str(err)


#: A configuration using every nested mapping, and where each of them lives: (path in the
#: document, error path, node).
_FULL = {
    "feature_codes": {"*61": "login", "*62": "logout"},
    "agents": {
        "ann": {
            "contacts": {"desk": {"number": "+15550101", "private": False}},
            "skills": {"fr": 2},
        },
        "bob": {"contacts": {"mobile": "+15550102"}},
    },
    "queues": {
        "q": {
            "number": "+15550100",
            "members": [{"agent": "ann", "level": 1, "roles": ["member"]}, "bob"],
            "overflow": {"kind": "voicemail", "message": "Full."},
            "timeout": {"kind": "queue", "target": "r"},
            "no_agents": {"kind": "external", "target": "+15550199"},
            "closed": {"kind": "disconnect"},
            "max_waiting": 5,
            "callback": {"after_wait": 60, "retry_delay": 30, "max_attempts": 2},
            "coverage": {"min_reachable": 1, "mode": "warn", "roster": ["bob"]},
        },
        "r": {"members": ["bob"]},
    },
}
_LEVELS: list[tuple[tuple[Any, ...], str, str | None]] = [
    ((), "", None),
    (("agents", "ann"), "agents.ann", "ann"),
    (("agents", "ann", "contacts", "desk"), "agents.ann.contacts.desk", "ann"),
    (("queues", "q"), "queues.q", "q"),
    (("queues", "q", "members", 0), "queues.q.members[0]", "q"),
    (("queues", "q", "overflow"), "queues.q.overflow", "q"),
    (("queues", "q", "timeout"), "queues.q.timeout", "q"),
    (("queues", "q", "no_agents"), "queues.q.no_agents", "q"),
    (("queues", "q", "closed"), "queues.q.closed", "q"),
    (("queues", "q", "callback"), "queues.q.callback", "q"),
    (("queues", "q", "coverage"), "queues.q.coverage", "q"),
]


def test_the_full_configuration_loads() -> None:
    cfg = QueuesConfig.from_dict(_FULL)
    assert cfg.queues["q"].no_agents is not None
    assert QueuesConfig.from_dict({"queues_config": _FULL, "calendar_files": []}) == cfg


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.sampled_from(_LEVELS),
    key=st.text(min_size=1, max_size=12),
    value=st.one_of(st.none(), st.integers(), st.text(max_size=4), st.booleans()),
    wrapped=st.booleans(),
)
def test_any_unknown_key_at_any_level_is_refused_at_its_path(
    level: tuple[tuple[Any, ...], str, str | None], key: str, value: Any, wrapped: bool
) -> None:
    """A key that is not a field, added to any mapping of a good configuration, is refused:
    ConfigError at ``<that mapping's path>.<key>`` naming the queue or agent it belongs to."""
    where, path, node = level
    doc = copy.deepcopy(_FULL)
    target = doc
    for p in where:
        target = target[p]
    if key in target or (not where and key in ("queues_config", "calendar_files")):
        return  # a real field (or the hotlines-file wrapper), not an unknown one
    target[key] = value
    full = f"{path}.{key}" if path else key
    if wrapped:
        doc = {"queues_config": doc}
        full = f"queues_config.{full}"
    known = key in _known_fields(where)
    error: ConfigError | None = None
    try:
        QueuesConfig.from_dict(doc)
    except ConfigError as e:
        error = e
    if error is None:
        assert known, f"{full} was accepted"
        return
    # an unknown key, or a real field the base leaves out given a bad value: either way
    # refused at its own path, naming its queue or agent
    assert (error.path, error.node) == (full, node)
    assert known or f"unknown field {key!r}" in str(error)


def _known_fields(where: tuple[Any, ...]) -> set[str]:
    def names(cls: Any) -> set[str]:
        return {a.name for a in attrs.fields(cls)} - {"id"}

    if not where:
        return names(QueuesConfig)
    if where[0] == "agents":
        return names(Contact) - {"kind"} if len(where) > 2 else names(AgentSpec)
    if len(where) == 2:
        return names(QueueSpec)
    last = where[-1]
    if isinstance(last, int):
        return names(Member)
    if last == "callback":
        return names(CallbackPolicy)
    if last == "coverage":
        return names(CoverageRule)
    return names(Action)


# ------------------------------------------------------------------ members, numbers, codes


def test_a_member_listed_twice_is_refused() -> None:
    err = _error(_with(("queues", "q", "members"), ["ann", {"agent": "ann", "level": 2}]))
    assert err.path == "queues.q.members[1].agent"
    assert err.node == "q"
    assert "members[0]" in str(err)


def test_duplicates_in_roster_and_ring_are_refused() -> None:
    doc = _with(("queues", "q", "coverage"), {"roster": ["ann", "ann"]})
    assert _error(doc).path == "queues.q.coverage.roster[1]"
    doc = _with(("agents", "ann"), {"contacts": {"desk": "1001"}, "ring": ["desk", "desk"]})
    err = _error(doc)
    assert (err.path, err.node) == ("agents.ann.ring[1]", "ann")


def test_a_member_needs_a_non_empty_agent_id() -> None:
    assert _error(_with(("queues", "q", "members"), [""])).path == "queues.q.members[0]"


@pytest.mark.parametrize(
    "number", ["+15550101", "1001", "0", 1001, "+1 (604) 555-0101", "+49 8541 9699", "604.555.0101"]
)
def test_dial_strings_that_are_accepted(number: Any) -> None:
    cfg = QueuesConfig.from_dict(
        {
            "agents": {"ann": {"contacts": {"desk": number, "mobile": {"number": number}}}},
            "queues": {
                "q": {
                    "number": number,
                    "members": ["ann"],
                    "coverage": {"fallback": number},
                    "no_agents": {"kind": "external", "target": number},
                }
            },
        }
    )
    assert cfg.agents["ann"].contacts[0].number == str(number)  # kept as written
    assert cfg.queues["q"].coverage is not None
    assert cfg.queues["q"].coverage.fallback == str(number)


_BAD_NUMBERS = ["not a number", "+", "++15550101", "1" * 16, "555 0101 ext 2", "-1", "(", " 1"]


@pytest.mark.parametrize("number", _BAD_NUMBERS)
@pytest.mark.parametrize(
    ("where", "path", "node"),
    [
        (("agents", "ann", "contacts", "desk"), "agents.ann.contacts.desk.number", "ann"),
        (("queues", "q", "number"), "queues.q.number", "q"),
        (("queues", "q", "coverage", "fallback"), "queues.q.coverage.fallback", "q"),
    ],
)
def test_bad_dial_strings_are_refused(
    number: str, where: tuple[str, ...], path: str, node: str
) -> None:
    doc = _with(("queues", "q", "coverage"), {})
    doc["agents"]["ann"]["contacts"] = {}
    doc = _with(where, number, doc)
    err = _error(doc)
    assert (err.path, err.node) == (path, node)
    assert "phone number or extension" in str(err)


def test_fallback_names_a_number_not_a_queue() -> None:
    """``coverage.fallback`` is the number paged when the roster is exhausted (a queue id is
    refused: it would be paged as if it were a number)."""
    doc = _with(("queues", "r"), {})
    doc = _with(("queues", "q", "coverage"), {"fallback": "r"}, doc)
    assert _error(doc).path == "queues.q.coverage.fallback"


def test_an_external_action_target_is_a_number() -> None:
    doc = _with(("queues", "q", "no_agents"), {"kind": "external", "target": "bauhof"})
    err = _error(doc)
    assert (err.path, err.node) == ("queues.q.no_agents.target", "q")


@pytest.mark.parametrize("code", ["*61", "#21#", "*#06#", "**21*", "#9"])
def test_feature_codes_that_a_phone_can_dial(code: str) -> None:
    cfg = QueuesConfig.from_dict({"feature_codes": {code: "login"}, "agents": {}, "queues": {}})
    assert cfg.feature_codes == {code: "login"}


@pytest.mark.parametrize("code", ["abc", "61", "*", "*6a", "", " *61", "*61 ", "*" + "1" * 16])
def test_feature_codes_that_no_phone_can_dial_are_refused(code: str) -> None:
    err = _error({"feature_codes": {code: "login"}})
    assert err.path == f"feature_codes.{code}"
    assert "dial" in str(err)


def test_callback_max_attempts_is_at_least_one() -> None:
    err = _error(_with(("queues", "q", "callback"), {"after_wait": 5, "max_attempts": 0}))
    assert (err.path, err.node) == ("queues.q.callback.max_attempts", "q")


# ------------------------------------------------------------------ ring_timeout: 0


def test_ring_timeout_zero_means_no_ring_timeout() -> None:
    """0 rings until the agent answers, refuses or the caller leaves (Asterisk ``timeout=0``);
    it used to time every offer out at once and leave the call waiting."""
    eng, clock = make({"ring_timeout": 0}, agents="AB")
    eng.login("A")
    eng.login("B")
    call = eng.arrive("q")
    assert rings(eng) == ["A"]
    assert eng.next_timer() is None
    clock.advance(3600)
    assert eng.advance() == 0
    assert eng.call_info(call)["offered"] == ["A"]
    eng.no_answer(call, "A")  # the adapter reports the ring's outcome
    assert rings(eng) == ["B"]
    eng.answer(call, "B")
    assert eng.call_info(call)["state"] == "connected"


def test_an_agents_ring_timeout_zero_wins_over_the_queues() -> None:
    cfg = QueuesConfig.from_dict(
        {
            "agents": {"A": {"ring_timeout": 0}, "B": {}},
            "queues": {"q": {"members": ["A", "B"], "ring_timeout": 20}},
        }
    )
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    eng.login("A")
    eng.arrive("q")
    assert rings(eng) == ["A"]
    assert eng.next_timer() is None
    eng.login("B")
    c2 = eng.arrive("q")
    assert rings(eng) == ["B"]
    assert eng.next_timer() == T0 + 20
    assert eng.call_info(c2)["offered"] == ["B"]


def test_a_negative_ring_timeout_is_still_refused() -> None:
    err = _error(_with(("agents", "ann", "ring_timeout"), -1))
    assert (err.path, err.node) == ("agents.ann.ring_timeout", "ann")


# ------------------------------------------------------------------ accept_callback


def _cb_engine(**queue: Any) -> tuple[QueueEngine, Any]:
    q = {
        "callback": {"after_wait": 30},
        "max_wait": 100,
        "timeout": {"kind": "queue", "target": "r"},
    }
    q.update(queue)
    more = {"r": {"members": ["A"], "callback": {"after_wait": 30}}}
    return make(q, agents="A", more_queues=more)


def test_accept_callback_without_an_offer_is_an_invalid_transition() -> None:
    eng, _clock = _cb_engine()
    call = eng.arrive("q")
    with pytest.raises(InvalidTransition) as info:
        eng.accept_callback(call, "+15551234")
    assert info.value.event == "accept_callback"
    assert "no callback offered" in str(info.value)
    assert eng.call_info(call)["callback"] is False  # nothing changed


def test_accept_callback_in_a_queue_without_a_callback_policy() -> None:
    eng, _clock = make(agents="A")
    call = eng.arrive("q")
    with pytest.raises(InvalidTransition, match="no callback policy"):
        eng.accept_callback(call, "+15551234")


def test_accept_callback_after_the_offer_once() -> None:
    eng, clock = _cb_engine()
    call = eng.arrive("q")
    assert eng.call_info(call)["callback_offered"] is False
    clock.advance(30)
    eng.advance()
    assert [c.kind for c in eng.drain()] == ["offer_callback"]
    assert eng.call_info(call)["callback_offered"] is True
    eng.accept_callback(call, "anonymous")  # what the simulator passes for a withheld number
    assert eng.call_info(call)["callback"] is True
    assert eng.call_info(call)["callback_offered"] is False
    with pytest.raises(InvalidTransition):
        eng.accept_callback(call, "+15551234")


def test_an_offer_lapses_when_the_call_moves_to_another_queue() -> None:
    """The offer belongs to the queue visit: moved on (here by max_wait), the caller has left
    the prompt, and the new queue does not offer again to a call moved in."""
    eng, clock = _cb_engine(max_wait=40)
    call = eng.arrive("q")
    clock.advance(30)
    eng.advance()
    assert [c.kind for c in eng.drain()] == ["offer_callback"]
    clock.advance(10)
    eng.advance()  # timeout: moved to r
    assert eng.call_info(call)["queue"] == "r"
    assert eng.call_info(call)["callback_offered"] is False
    with pytest.raises(InvalidTransition, match="no callback offered"):
        eng.accept_callback(call, "+15551234")
    clock.advance(60)
    eng.advance()
    assert "offer_callback" not in [c.kind for c in eng.drain()]


@pytest.mark.parametrize("number", ["", "   ", None, 5])
def test_accept_callback_needs_a_number(number: Any) -> None:
    eng, clock = _cb_engine()
    call = eng.arrive("q")
    clock.advance(30)
    eng.advance()
    with pytest.raises(ConfigError) as info:
        eng.accept_callback(call, number)
    assert (info.value.path, info.value.node) == ("number", call)
    assert eng.call_info(call)["callback"] is False
    eng.accept_callback(call, "+15551234")  # the offer still stands


def test_the_offer_survives_snapshot_and_restore() -> None:
    eng, clock = _cb_engine()
    offered = eng.arrive("q")
    clock.advance(30)
    eng.advance()
    fresh = eng.arrive("q")
    data = json.loads(json.dumps(eng.snapshot()))
    again = QueueEngine.restore(eng.config, data, clock=clock)
    assert again.snapshot() == data
    with pytest.raises(InvalidTransition):
        again.accept_callback(fresh, "+15551234")
    again.accept_callback(offered, "+15551234")
    # a snapshot written before offers were recorded: its waiting calls may accept
    for c in data["calls"].values():
        del c["callback_offered"]
    old = QueueEngine.restore(eng.config, data, clock=clock)
    old.accept_callback(fresh, "+15551234")


# ------------------------------------------------------------------ arrive and advance


@pytest.mark.parametrize("priority", [0, 6, 99, -1, True, "3", 3.0, None])
def test_priority_outside_1_to_5_is_refused(priority: Any) -> None:
    eng, _clock = make(agents="A")
    with pytest.raises(ConfigError) as info:
        eng.arrive("q", priority=priority)
    assert (info.value.path, info.value.node) == ("priority", "q")
    assert "1 (very high) .. 5" in str(info.value)
    assert eng.calls() == []


def test_priorities_1_to_5_are_accepted() -> None:
    import enum

    class P(enum.IntEnum):
        HIGH = 1

    eng, _clock = make(agents="A")
    for p in (1, 2, 3, 4, 5, P.HIGH):
        eng.arrive("q", priority=p)
    assert len(eng.calls()) == 6


@pytest.mark.parametrize("skills", [{"fr": 9}, {"fr": 0}, {"fr": 4}, {"fr": True}, {"fr": "2"}])
def test_required_skill_levels_are_1_to_3(skills: dict[str, Any]) -> None:
    eng, _clock = make({"strategy": "skills"}, agents="A")
    with pytest.raises(ConfigError) as info:
        eng.arrive("q", skills=skills)
    assert (info.value.path, info.value.node) == ("skills.fr", "q")
    assert eng.calls() == []
    for level in (1, 2, 3):
        eng.arrive("q", skills={"fr": level})


def test_skills_must_be_a_mapping_with_names() -> None:
    eng, _clock = make({"strategy": "skills"}, agents="A")
    for bad in (["fr"], {"": 1}, {5: 1}):
        with pytest.raises(ConfigError) as info:
            eng.arrive("q", skills=bad)  # type: ignore[arg-type]
        assert info.value.path == "skills"


@pytest.mark.parametrize("now", [math.nan, math.inf, -math.inf, "5", True, None])
def test_advance_refuses_a_time_that_is_not_one(now: Any) -> None:
    eng, clock = make({"ring_timeout": 10}, agents="A")
    eng.login("A")
    call = eng.arrive("q")
    if now is None:  # the clock's time: fine
        assert eng.advance(now) == 0
        return
    with pytest.raises(ConfigError) as info:
        eng.advance(now)
    assert info.value.path == "now"
    # nothing moved: the ring timer still fires at its time
    clock.advance(10)
    assert eng.advance() == 1
    assert eng.call_info(call)["offered"] == []


def test_hand_over_until_and_kpi_windows_refuse_nan() -> None:
    eng, _clock = make(agents="AB")
    with pytest.raises(ConfigError, match="until"):
        eng.hand_over("A", "q", "B", math.nan)
    with pytest.raises(ConfigError, match="until"):
        eng.hand_over("A", "q", "B", math.inf)
    with pytest.raises(ConfigError, match="start"):
        eng.kpis("q", start=math.nan)
    assert eng.kpis("q", start=-math.inf, end=math.inf).offered == 0  # open windows are fine
