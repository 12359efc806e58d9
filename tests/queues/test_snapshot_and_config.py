"""Snapshot/restore to plain data, and configuration errors with their location."""

from __future__ import annotations

import json

import pytest

from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, PolicyViolation
from civiccc.queues import AgentStatus, QueueEngine, QueuesConfig

from .conftest import T0, make


def test_snapshot_restore_loses_nothing() -> None:
    """Waiting, ringing and connected calls, agent states, timers and KPIs survive a restart."""
    eng, clock = make({"wrap_up": 20, "ring_timeout": 15, "max_wait": 600})
    for a in "ABC":
        eng.login(a)
    eng.pause("C", "lunch")
    c1 = eng.arrive("q", priority=2)
    c2 = eng.arrive("q")
    eng.answer(c1, "A")
    c3 = eng.arrive("q")
    clock.advance(30)
    eng.end(c1)  # A in wrap-up until +20
    eng.drain()
    data = json.loads(json.dumps(eng.snapshot()))
    clock2 = VirtualClock(clock.timestamp())
    eng2 = QueueEngine.restore(eng.config, data, clock=clock2)
    assert eng2.snapshot() == data
    for e, c in ((eng, clock), (eng2, clock2)):
        assert e.status("A") is AgentStatus.WRAP_UP
        assert e.agent_info("C")["reason"] == "lunch"
        c.advance(25)
        e.advance()
    assert eng.drain() == eng2.drain()
    assert eng.snapshot() == eng2.snapshot()
    assert {eng2.call_info(c)["state"] for c in (c2, c3)} <= {"offering", "waiting"}
    assert eng2.kpis("q") == eng.kpis("q")


def test_restore_rejects_other_versions() -> None:
    """An unknown snapshot version is a ConfigError."""
    eng, clock = make()
    data = eng.snapshot()
    data["version"] = 99
    with pytest.raises(ConfigError, match="version"):
        QueueEngine.restore(eng.config, data, clock=clock)


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ({"queues": {"q": {"strategy": "fastest"}}}, "queues.q.strategy"),
        ({"queues": {"q": {"members": ["ghost"]}}}, "queues.q.members[0].agent"),
        ({"queues": {"q": {"ring_timeout": -1}}}, "queues.q.ring_timeout"),
        ({"queues": {"q": {"colour": "red"}}}, "queues.q.colour"),
        (
            {"queues": {"q": {"overflow": {"kind": "queue", "target": "nope"}}}},
            "queues.q.overflow.target",
        ),
        ({"queues": {"q": {"overflow": {"kind": "pigeon"}}}}, "queues.q.overflow.kind"),
        ({"queues": {"q": {"coverage": {"mode": "shout"}}}}, "queues.q.coverage.mode"),
        ({"queues": {"q": {"no_agents_apply_to": "some"}}}, "queues.q.no_agents_apply_to"),
        ({"agents": {"a": {"contacts": {"fax": "1"}}}}, "agents.a.contacts.fax"),
        ({"agents": {"a": {"contacts": {"desk": "1"}, "ring": ["mobile"]}}}, "agents.a.ring"),
        (
            {"queues": {"q": {"members": [{"agent": "a", "level": 0}]}}, "agents": {"a": {}}},
            "queues.q.members[0].level",
        ),
    ],
)
def test_config_errors_name_the_field(doc: dict, where: str) -> None:  # type: ignore[type-arg]
    """Bad configuration raises ConfigError with the path of the bad field (and the file)."""
    with pytest.raises(ConfigError) as info:
        QueuesConfig.from_dict(doc, file="hotlines.yaml")
    assert info.value.path == where
    assert str(info.value).startswith("hotlines.yaml: ")


def test_example_config_loads_and_runs() -> None:
    """examples/queues/hotlines.yaml loads; the caretakers' line enforces coverage."""
    from pathlib import Path

    import yaml

    from civiccc.calendar import load_calendars

    path = Path(__file__).resolve().parents[2] / "examples" / "queues" / "hotlines.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg = QueuesConfig.from_dict(doc["queues_config"], file=str(path))
    cals: dict = {}  # type: ignore[type-arg]
    for f in doc["calendar_files"]:
        cals.update(load_calendars(path.parent / f))
    eng = QueueEngine(cfg, clock=VirtualClock(T0), calendars=cals)
    for a in ("huber", "schmid"):
        eng.login(a)
    eng.logout("schmid")
    with pytest.raises(PolicyViolation):
        eng.logout("huber")  # the caretakers' line must keep one reachable member
    eng.login("schmid")
    c = eng.arrive("hausmeister", caller="+4915112345678")
    ring = [x for x in eng.drain() if x.kind == "ring"]
    assert ring[0].present == "+4985419699" and ring[0].contacts[0].startswith("+49170")
    assert eng.call_info(c)["state"] == "offering"


def test_example_script_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    """examples/queues/caretakers_night.py runs and shows the refused logout and the revert."""
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "queues" / "caretakers_night.py"
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "refused: logout of 'huber'" in out
    assert "('wagner', 'reverted')" in out
    assert "connect        call=c1 agent=wagner present=+4985419699" in out
    # Priya's softphone auto-accepts: connected at once, the adapter learns where to bridge
    assert "connect        call=c2 agent=priya present=+16045550120 auto_accept via=+1604" in out
    assert "ring           call=c2" not in out


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NUMERIC = [
    "ring_timeout",
    "wrap_up",
    "no_answer_delay",
    "reject_delay",
    "max_wait",
    "service_level",
]


@given(
    field=st.sampled_from(NUMERIC),
    value=st.one_of(
        st.text(max_size=3),
        st.floats(max_value=-0.001),
        st.booleans(),
        st.lists(st.integers(), max_size=1),
    ),
)
def test_bad_numbers_are_located(field: str, value: object) -> None:
    """Any non-numeric or negative timing value raises ConfigError at queues.<id>.<field>."""
    with pytest.raises(ConfigError) as info:
        QueuesConfig.from_dict({"queues": {"desk": {field: value}}})
    assert info.value.path == f"queues.desk.{field}"
    assert info.value.node is None or info.value.node == "desk"


@given(st.dictionaries(st.sampled_from(NUMERIC), st.floats(0, 1e6, allow_nan=False), max_size=4))
def test_good_numbers_round_into_the_spec(values: dict) -> None:  # type: ignore[type-arg]
    """Valid timings land unchanged in the frozen QueueSpec."""
    spec = QueuesConfig.from_dict({"queues": {"desk": dict(values)}}).queues["desk"]
    for k, v in values.items():
        assert getattr(spec, k) == v


def _to(q: str) -> dict[str, str]:
    return {"kind": "queue", "target": q}


@pytest.mark.parametrize(
    ("queues", "where"),
    [
        ({"a": {"max_waiting": 0, "overflow": _to("a")}}, "queues.a.overflow.target"),
        ({"a": {"closed": _to("b")}, "b": {"closed": _to("a")}}, "queues.b.closed.target"),
        (
            {"a": {"overflow": _to("b")}, "b": {"no_agents": _to("c")}, "c": {"closed": _to("a")}},
            "queues.c.closed.target",
        ),
    ],
)
def test_redirect_cycles_are_rejected(queues: dict, where: str) -> None:  # type: ignore[type-arg]
    """A cycle of immediate actions (closed/overflow/no_agents) would bounce a call forever."""
    with pytest.raises(ConfigError, match="redirect cycle") as info:
        QueuesConfig.from_dict({"queues": queues}, file="hotlines.yaml")
    assert info.value.path == where
    assert str(info.value).startswith("hotlines.yaml: ")


def test_timeout_may_lead_back() -> None:
    """Timeouts fire later in time: a -> b on timeout and b -> a on timeout is allowed."""
    cfg = QueuesConfig.from_dict(
        {"queues": {"a": {"max_wait": 60, "timeout": _to("b")}, "b": {"timeout": _to("a")}}}
    )
    assert cfg.queues["a"].timeout.target == "b"


_KEYS = ("closed", "overflow", "no_agents", "timeout")


@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from(_KEYS)),
        st.sampled_from("abcd"),
        max_size=8,
    )
)
def test_redirect_graph_accepted_iff_immediate_actions_are_acyclic(edges: dict) -> None:  # type: ignore[type-arg]
    """Accepted configurations never recurse on arrival: every queue full and closed, nobody in."""
    import networkx as nx

    queues: dict[str, dict[str, object]] = {q: {"max_waiting": 0} for q in "abcd"}
    for (src, key), dst in edges.items():
        queues[src][key] = _to(dst)
    g = nx.DiGraph()
    g.add_edges_from((s, d) for (s, k), d in edges.items() if k != "timeout")
    cyclic = not nx.is_directed_acyclic_graph(g)
    if cyclic:
        with pytest.raises(ConfigError, match="redirect cycle"):
            QueuesConfig.from_dict({"queues": queues})
        return
    cfg = QueuesConfig.from_dict({"queues": queues})
    eng = QueueEngine(cfg, clock=VirtualClock(T0))
    for q in "abcd":
        eng.arrive(q, caller="+15550100")  # must terminate, whatever the chain
