"""Flow.check(): one test per finding code, and a clean flow has none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civiccc.routing import Finding, load_flow
from civiccc.routing._checks import CODES


def findings(nodes: dict[str, Any], **top: Any) -> list[tuple[str, str | None]]:
    """(code, node) of every finding of a flow made of ``nodes`` (entry -> start)."""
    doc = {"id": "t", "nodes": {"entry": {"kind": "entry", "edges": {"next": "start"}}, **nodes}}
    doc.update(top)
    return [(f.code, f.node) for f in load_flow(doc).check()]


Q = {"kind": "queue"}


def test_clean_flow_has_no_findings() -> None:
    """A complete small flow is clean."""
    assert findings({"start": {"kind": "menu", "edges": {"1": "q", "invalid": "q"}}, "q": Q}) == []


def test_unreachable() -> None:
    """A node without a path from the entry."""
    assert ("unreachable", "lost") in findings({"start": Q, "lost": Q})


def test_dead_end() -> None:
    """A non-terminal node missing an edge it can take."""
    got = findings({"start": {"kind": "announcement", "prompt": {"en": "hi"}}})
    assert ("dead-end", "start") in got
    got = findings({"start": {"kind": "classify", "edges": {"anonymous": "q"}}, "q": Q})
    assert ("dead-end", "start") in got


def test_menu_missing_invalid() -> None:
    """A menu without an invalid edge."""
    assert ("menu-missing-invalid", "start") in findings(
        {"start": {"kind": "menu", "edges": {"1": "q"}}, "q": Q}
    )


def test_trap_cycle() -> None:
    """A silent caller going round menus forever (no input -> invalid -> back)."""
    got = findings(
        {
            "start": {"kind": "menu", "edges": {"1": "q", "invalid": "again"}},
            "again": {
                "kind": "announcement",
                "prompt": {"en": "Sorry"},
                "edges": {"next": "start"},
            },
            "q": Q,
        }
    )
    assert ("trap-cycle", "again") in got
    # a menu that loops only on a key is fine: a silent caller leaves by `invalid`
    assert (
        findings({"start": {"kind": "menu", "edges": {"9": "start", "invalid": "q"}}, "q": Q}) == []
    )


def test_key_and_edge_findings() -> None:
    """Keys without edges, edges without keys, shadowed options, prompts offering dead keys."""
    got = findings(
        {
            "start": {
                "kind": "menu",
                "prompt": "main",
                "operator_key": "0",
                "repeat_key": "1",
                "voice": {"7": {"en": ["seven"]}},
                "edges": {"1": "q", "back": "q", "invalid": "q"},
            },
            "q": Q,
        },
        prompts={"main": {"en": "For permits press 3."}},
    )
    assert got.count(("key-without-edge", "start")) == 3  # operator_key, voice 7, prompt "3"
    assert got.count(("edge-without-key", "start")) == 2  # back without back_key, 1 = repeat


def test_undefined_references() -> None:
    """Calendars, queues, prompts, caller lists and sub-flows that are not defined."""
    got = findings(
        {
            "start": {
                "kind": "hours_check",
                "calendar": "nope",
                "edges": {"open": "c", "closed": "q"},
            },
            "c": {"kind": "classify", "lists": ["vip"], "edges": {"default": "a"}},
            "a": {"kind": "announcement", "prompt": "missing", "edges": {"next": "s"}},
            "s": {"kind": "subflow", "flow": "other"},
            "q": {"kind": "queue", "target": "unlisted"},
        },
        queues=["desk"],
    )
    for code, node in [
        ("undefined-calendar", "start"),
        ("undefined-caller-list", "c"),
        ("undefined-prompt", "a"),
        ("undefined-subflow", "s"),
        ("undefined-queue", "q"),
    ]:
        assert (code, node) in got


def test_after_hours_and_holiday_branches() -> None:
    """An hours check needs `closed`, and a holiday check before it."""
    got = findings(
        {"start": {"kind": "hours_check", "calendar": "c", "edges": {"open": "q"}}, "q": Q}
    )
    assert ("no-after-hours-branch", "start") in got
    assert ("no-holiday-branch", "start") in got
    ok = findings(
        {
            "start": {
                "kind": "holiday_check",
                "calendar": "c",
                "edges": {"holiday": "q", "regular": "h"},
            },
            "h": {"kind": "hours_check", "calendar": "c", "edges": {"open": "q", "closed": "q"}},
            "q": Q,
        }
    )
    assert not [c for c, _ in ok if c in ("no-holiday-branch", "no-after-hours-branch")]
    sched = findings(
        {
            "start": {
                "kind": "schedule",
                "calendar": "c",
                "edges": {"open": "q", "emergency": "q"},
            },
            "q": Q,
        }
    )
    assert ("no-holiday-branch", "start") in sched and ("no-after-hours-branch", "start") in sched


def test_subflow_recursion_and_nested_findings() -> None:
    """A sub-flow that re-enters its parent; findings inside sub-flows are prefixed."""
    inner = {
        "id": "inner",
        "nodes": {
            "entry": {"kind": "entry", "edges": {"next": "loop"}},
            "loop": {"kind": "subflow", "flow": "t"},
            "orphan": Q,
        },
    }
    got = findings({"start": {"kind": "subflow", "flow": "inner"}}, subflows={"inner": inner})
    assert ("subflow-recursion", "start") in got
    assert ("subflow-recursion", "inner/loop") in got
    assert ("unreachable", "inner/orphan") in got


def test_prompt_missing_language() -> None:
    """A prompt without a version for one of the flow's languages."""
    got = findings(
        {"start": {"kind": "announcement", "prompt": {"en": "Hi"}, "edges": {"next": "q"}}, "q": Q},
        languages=["en", "fr"],
        prompts={"bye": {"en": "Bye"}},
    )
    assert ("prompt-missing-language", "start") in got
    assert ("prompt-missing-language", None) in got


def test_every_code_is_tested_and_findings_read_well() -> None:
    """The codes documented are the codes this file exercises; findings print their severity."""
    source = Path(__file__).read_text(encoding="utf-8")
    for code in CODES:
        assert f'"{code}"' in source, f"finding code {code} has no test"
    f = Finding(code="dead-end", node="x", message="m", severity="error")
    assert str(f) == "error dead-end x: m"


@pytest.mark.parametrize("name", ["city_hall.yaml", "town_hall_de.yaml"])
def test_example_flows_are_clean(name: str) -> None:
    """The shipped examples have no findings."""

    pytest.importorskip("civiccc.calendar")
    flow = load_flow(Path(__file__).parents[2] / "examples" / "flows" / name)
    assert flow.check() == []
