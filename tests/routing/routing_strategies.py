"""Hypothesis strategies for routing tests: generated flows and generated calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from civiccc.errors import ConfigError
from civiccc.routing import Decision

CALLERS = [
    None,
    "",
    "anonymous",
    "Private",
    " withheld ",
    "RESTRICTED",
    "unknown",
    "unavailable",
    "12",
    "not a number",
    "+15555550100",
    "+1 604 555 0101",
    "604-555-0123",
    "(250) 555-0199",
    "+1 416 555 0142",
    "+1 212 555 0147",
    "+44 7911 123456",
    "+44 20 7946 0018",
    "+33 6 12 34 56 78",
    "+49 89 1234567",
    "+49 151 23456789",
    "+91 98765 43210",
    "+63 917 123 4567",
    "+52 55 1234 5678",
]

PHRASES = [
    "waste",
    "Garbage",
    "french",
    "english",
    "operator",
    "alice",
    "Bob Stone",
    "stone",
    "nothing",
]
#: key sequences that mean something to the directory nodes (STONE, extensions, choices)
SEQUENCES = ["78663#1", "78663#3", "78663#9", "786632#2", "1202#", "1207", "2#", "33#", "0"]
ITEMS = [*"0123456789*#", "", *PHRASES]

DIRECTORY = [
    {"id": "alice", "name": "Alice Martin", "extension": "1201", "groups": ["clerks"]},
    {"id": "bob", "name": "Bob Stone", "extension": "1202", "groups": ["clerks", "council"]},
    {"id": "bea", "name": "Bea Stone", "extension": "1203", "groups": ["council"]},
    {"id": "carl", "name": "Carl Stone", "extension": "1204", "groups": ["works"]},
    {"id": "dana", "name": "Dana Stone", "extension": "1205", "groups": ["works"]},
    {"id": "ed", "name": "Ed Stone", "extension": "1206", "groups": ["works"], "target": "ed_desk"},
    {"id": "flo", "name": "Flo Stone", "extension": "1207", "groups": ["mayor"]},
]

LISTS = {"vip": ["+1 604 555 0101", "+44 7911 123456"], "blocked": ["+1 212 555 0147"]}

calls = st.tuples(
    st.sampled_from(CALLERS),
    st.one_of(
        st.text(alphabet="0123456789*#", max_size=6),
        st.lists(st.sampled_from(ITEMS), max_size=6),
        st.builds(
            lambda a, b, c: a + b + c,
            st.text(alphabet="0123456789*#", max_size=3),
            st.sampled_from(SEQUENCES),
            st.text(alphabet="0123456789*#", max_size=3),
        ),
    ),
)

_BRANCH_KINDS = [
    "announcement",
    "menu",
    "menu",
    "language",
    "set",
    "condition",
    "classify",
    "dial_by_extension",
    "dial_by_name",
]
_TERMINALS = ["queue", "transfer", "voicemail", "disconnect"]


@st.composite
def flows(draw: Any, time_kinds: tuple[str, ...] = (), calendars: tuple[str, ...] = ()) -> dict:
    """A random flow document: branching nodes with random (possibly cyclic) edges."""
    n_branch = draw(st.integers(1, 9))
    n_term = draw(st.integers(1, 4))
    branch_ids = [f"b{i}" for i in range(n_branch)]
    term_ids = [f"t{i}" for i in range(n_term)]
    everything = branch_ids + term_ids
    kinds = _BRANCH_KINDS + list(time_kinds)

    # later nodes mostly: cycles are possible but rare
    def target(i: int) -> str:
        forward = everything[i + 1 :] or term_ids
        return draw(
            st.one_of(st.sampled_from(forward), st.sampled_from(everything))
            if draw(st.integers(0, 9)) == 0
            else st.sampled_from(forward)
        )

    def maybe(labels: list[str], i: int) -> dict[str, str]:
        return {lab: target(i) for lab in labels if draw(st.integers(0, 5)) > 0}

    nodes: dict[str, Any] = {"entry": {"kind": "entry", "edges": {"next": branch_ids[0]}}}
    for i, nid in enumerate(branch_ids):
        kind = draw(st.sampled_from(kinds))
        node: dict[str, Any] = {"kind": kind}
        if kind == "announcement":
            node["prompt"] = draw(st.sampled_from(["hello", {"en": "Hi", "fr": "Salut"}]))
            node["edges"] = maybe(["next"], i)
        elif kind == "menu":
            keys = draw(st.lists(st.sampled_from("0123456789*#"), max_size=4, unique=True))
            node["edges"] = maybe([*keys, "invalid", "no_input", "operator", "back"], i)
            node["retries"] = draw(st.integers(0, 2))
            for key_param in ("operator_key", "repeat_key", "back_key"):
                if draw(st.integers(0, 3)) == 0:
                    node[key_param] = draw(st.sampled_from("0123456789*#"))
            if draw(st.booleans()):
                node["voice"] = {
                    draw(st.sampled_from("0123")): {
                        "en": ["waste", "operator"],
                        "fr": ["déchets"],
                    }
                }
        elif kind == "language":
            node["languages"] = {"1": "en", "2": "fr"}
            node["retries"] = draw(st.integers(0, 1))
            node["voice"] = {"1": {"en": ["english"]}, "2": {"en": ["french"], "fr": ["français"]}}
            node["edges"] = maybe(["next", "invalid", "no_input"], i)
        elif kind == "set":
            node["variables"] = {
                draw(st.sampled_from(["lang", "team"])): draw(st.sampled_from(["en", "fr", "x"]))
            }
            node["edges"] = maybe(["next"], i)
        elif kind == "condition":
            node["variable"] = draw(st.sampled_from(["lang", "team", "missing"]))
            node["edges"] = maybe(["en", "fr", "x", "default"], i)
        elif kind == "classify":
            if draw(st.booleans()):
                node["lists"] = draw(st.lists(st.sampled_from(["vip", "blocked"]), unique=True))
            if draw(st.integers(0, 3)) == 0:
                node["home_regions"] = ["CA", "US"]
            labels = [
                "anonymous",
                "invalid",
                "foreign_mobile",
                "foreign",
                "mobile",
                "domestic",
                "default",
                *node.get("lists", []),
            ]
            node["edges"] = maybe(labels, i)
        elif kind in ("dial_by_extension", "dial_by_name"):
            if draw(st.booleans()):
                node["include"] = draw(
                    st.lists(st.sampled_from(["clerks", "council", "works", "mayor"]), unique=True)
                )
            if draw(st.booleans()):
                node["exclude"] = draw(
                    st.lists(st.sampled_from(["clerks", "council", "works", "mayor"]), unique=True)
                )
            labels = ["not_found"]
            if kind == "dial_by_name":
                labels.append("too_many")
                node["max_matches"] = draw(st.integers(1, 5))
            node["edges"] = maybe(labels, i)
        else:  # time checks
            node["calendar"] = draw(st.sampled_from(calendars))
            labels = {
                "emergency_check": ["on", "off"],
                "holiday_check": ["holiday", "regular"],
                "hours_check": ["open", "closed"],
                "schedule": ["emergency", "holiday", "closed", "open"],
            }[kind]
            node["edges"] = maybe(labels, i)
        nodes[nid] = node
    for tid in term_ids:
        kind = draw(st.sampled_from(_TERMINALS))
        node = {"kind": kind}
        if draw(st.booleans()):
            node["target"] = draw(st.sampled_from(["desk", "hotline", "box", tid]))
        if kind == "queue" and draw(st.booleans()):
            node["priority"] = draw(st.integers(1, 5))
        if draw(st.integers(0, 3)) == 0:
            node["carry_variables"] = draw(st.booleans())
        nodes[tid] = node
    return {
        "id": "generated",
        "languages": ["en", "fr"],
        "variables": draw(st.sampled_from([{}, {"lang": "en"}, {"lang": "fr", "team": "x"}])),
        "prompts": {"hello": {"en": "Hello", "fr": "Bonjour"}},
        "directory": DIRECTORY,
        "caller_lists": LISTS,
        "nodes": nodes,
    }


def outcome(fn: Callable[[], Decision]) -> tuple[Any, ...]:
    """A comparable summary of a routing result, or of the error it raised."""
    try:
        d = fn()
    except ConfigError as exc:
        return ("error", str(exc), exc.node, exc.path)
    return ("ok", d.target, d.kind, d.priority, dict(d.variables), d.path, d.trace)
