"""Each built-in node kind, through the public API (route, sessions, decisions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from civiccc.errors import ConfigError
from civiccc.routing import Decision, load_flow, reference_walk

AT = datetime(2025, 6, 2, 17, 30, tzinfo=UTC)


def flow_of(nodes: dict[str, Any], **top: Any) -> Any:
    """A flow with an entry node leading to ``start``."""
    doc = {"id": "t", "nodes": {"entry": {"kind": "entry", "edges": {"next": "start"}}, **nodes}}
    doc.update(top)
    return load_flow(doc)


def route(flow: Any, inputs: Any = "", caller: str | None = "+1 604 555 0101") -> Decision:
    """Route and check the result against the reference walk."""
    d = flow.route(caller, AT, inputs)
    assert d == reference_walk(flow, caller, AT, inputs)
    assert d.trace == reference_walk(flow, caller, AT, inputs).trace
    return d


MENU = {
    "start": {
        "kind": "menu",
        "prompt": "main",
        "operator_key": "0",
        "repeat_key": "*",
        "back_key": "#",
        "retries": 1,
        "voice": {"1": {"en": ["waste", "garbage"], "fr": ["déchets"]}},
        "edges": {
            "1": "waste",
            "2": "transit",
            "operator": "operator",
            "back": "bye",
            "invalid": "operator",
            "no_input": "voicemail",
        },
    },
    "waste": {"kind": "queue", "target": "waste_collection", "priority": 2},
    "transit": {"kind": "queue", "target": "transit_info"},
    "operator": {"kind": "queue"},
    "voicemail": {"kind": "voicemail", "shared": True},
    "bye": {"kind": "disconnect", "prompt": {"en": "Goodbye", "fr": "Au revoir"}},
}
PROMPTS = {"main": {"en": "For waste press 1, for transit press 2.", "fr": "Déchets: 1"}}


class TestMenu:
    """Menus: keys, operator, repeat, back, retries, no input, voice keywords."""

    flow = flow_of(MENU, prompts=PROMPTS, variables={"lang": "en"})

    @pytest.mark.parametrize(
        ("inputs", "target", "path"),
        [
            ("1", "waste_collection", ["entry", "start", "waste"]),
            ("2", "transit_info", ["entry", "start", "transit"]),
            ("0", "operator", ["entry", "start", "operator"]),
            ("#", "bye", ["entry", "start", "bye"]),
            ("*2", "transit_info", ["entry", "start", "start", "transit"]),
            ("72", "transit_info", ["entry", "start", "start", "transit"]),  # one retry
            ("77", "operator", ["entry", "start", "start", "operator"]),  # invalid twice
            ("", "voicemail", ["entry", "start", "start", "voicemail"]),  # no input twice
            ("7", "voicemail", ["entry", "start", "start", "voicemail"]),  # then no input
            (["", "1"], "waste_collection", ["entry", "start", "start", "waste"]),
            (["garbage"], "waste_collection", ["entry", "start", "waste"]),
            (["Garbage  "], "waste_collection", ["entry", "start", "waste"]),
            (["déchets", "déchets"], "operator", ["entry", "start", "start", "operator"]),
        ],
    )
    def test_keys(self, inputs: Any, target: str, path: list[str]) -> None:
        """Each key and fallback leads where the menu says."""
        d = route(self.flow, inputs)
        assert (d.target, list(d.path)) == (target, path)

    def test_queue_carries_priority_and_variables(self) -> None:
        """A queue decision carries its priority and the flow variables."""
        d = route(self.flow, "1")
        assert (d.kind, d.priority, dict(d.variables)) == ("queue", 2, {"lang": "en"})
        assert route(self.flow, "2").priority == 3  # the default, "normal"

    def test_trace_says_which_key(self) -> None:
        """The trace names the key pressed and the retry."""
        trace = route(self.flow, "72").trace
        assert "start: key '7' -> invalid, retry 1 of 1" in trace
        assert "start: key '2' -> 2" in trace

    def test_missing_edge_disconnects(self) -> None:
        """A branch without an edge ends the call with a disconnect decision."""
        flow = flow_of({"start": {"kind": "menu", "edges": {"1": "q"}}, "q": {"kind": "queue"}})
        d = route(flow, "5")
        assert (d.target, d.kind, d.path) == ("disconnect", "disconnect", ("entry", "start"))
        assert "no edge for 'invalid'" in d.trace[-1]


class TestLanguage:
    """Language selection sets `lang`, which selects prompt text and voice keywords."""

    flow = flow_of(
        {
            "start": {
                "kind": "language",
                "languages": {"1": "en", "2": "fr"},
                "voice": {"2": {"en": ["french"], "fr": ["français"]}},
                "edges": {"next": "menu", "invalid": "menu"},
            },
            **{k: v for k, v in MENU.items() if k != "start"},
            "menu": {**MENU["start"], "prompt": "main"},
        },
        prompts=PROMPTS,
        languages=["en", "fr"],
    )

    def test_key_sets_lang(self) -> None:
        """Key 2 chooses French; the queue decision carries it."""
        d = route(self.flow, "21")
        assert dict(d.variables) == {"lang": "fr"}
        assert d.path == ("entry", "start", "menu", "waste")

    def test_voice_keywords_follow_the_language(self) -> None:
        """After choosing French, French keywords match and English ones do not."""
        assert route(self.flow, ["french", "déchets"]).target == "waste_collection"
        d = route(self.flow, ["2", "garbage", "garbage"])
        assert d.target == "operator"  # 'garbage' is not a French keyword: invalid twice

    def test_invalid_key_leaves_lang_unset(self) -> None:
        """An invalid choice follows `invalid` without a language."""
        d = route(self.flow, "91")
        assert dict(d.variables) == {}

    def test_session_plays_prompts_in_the_chosen_language(self) -> None:
        """The session picks each prompt's text in the call's language."""
        s = self.flow.start("+1 604 555 0101", AT)
        assert s.awaiting is not None and s.awaiting.keys == ("1", "2")
        s.press("2")
        assert [p.text for p in s.prompts] == ["Déchets: 1"]
        assert s.prompts[0].lang == "fr"
        assert s.awaiting is not None and s.awaiting.phrases == ("déchets",)


class TestClassify:
    """Caller classification with civiccc.numbers and caller lists."""

    flow = flow_of(
        {
            "start": {
                "kind": "classify",
                "lists": ["blocked", "vip"],
                "edges": {
                    "blocked": "blocked",
                    "vip": "vip",
                    "anonymous": "anon",
                    "invalid": "invalid",
                    "foreign_mobile": "roaming",
                    "foreign": "foreign",
                    "mobile": "mobile",
                    "default": "domestic",
                },
            },
            **{
                n: {"kind": "queue"}
                for n in (
                    "blocked",
                    "vip",
                    "anon",
                    "invalid",
                    "roaming",
                    "foreign",
                    "mobile",
                    "domestic",
                )
            },
        },
        caller_lists={"vip": ["604 555 0199"], "blocked": ["+1 (250) 555-0100"]},
    )

    @pytest.mark.parametrize(
        ("caller", "target"),
        [
            (None, "anon"),
            ("", "anon"),
            ("   ", "anon"),
            ("Anonymous", "anon"),
            ("PRIVATE", "anon"),
            ("restricted", "anon"),
            ("Unavailable", "anon"),
            ("unknown", "anon"),
            ("withheld", "anon"),
            ("12", "invalid"),
            ("+15555550100", "invalid"),
            ("not a number", "invalid"),
            ("+44 7911 123456", "roaming"),
            ("+33 6 12 34 56 78", "roaming"),
            ("+44 20 7946 0018", "foreign"),
            ("+1 212 555 0147", "foreign"),  # US: FIXED_LINE_OR_MOBILE is not mobile
            ("+1 604 555 1234", "domestic"),  # CA: FIXED_LINE_OR_MOBILE is not mobile
            ("+16045550199", "vip"),
            ("250-555-0100", "blocked"),
        ],
    )
    def test_classes(self, caller: str | None, target: str) -> None:
        """Each class of caller takes its edge."""
        assert route(self.flow, caller=caller).target == target

    def test_missing_class_edge_falls_back_to_default(self) -> None:
        """Without a `foreign_mobile` edge a roaming mobile is `foreign`, without that `default`."""
        flow = flow_of(
            {
                "start": {"kind": "classify", "edges": {"foreign": "f", "default": "d"}},
                "f": {"kind": "queue"},
                "d": {"kind": "queue"},
            }
        )
        assert route(flow, caller="+44 7911 123456").target == "f"
        assert route(flow, caller="anonymous").target == "d"

    def test_home_regions(self) -> None:
        """A border town can count US numbers as domestic."""
        flow = flow_of(
            {
                "start": {
                    "kind": "classify",
                    "home_regions": ["CA", "US"],
                    "edges": {"foreign": "f", "domestic": "d"},
                },
                "f": {"kind": "queue"},
                "d": {"kind": "queue"},
            }
        )
        assert route(flow, caller="+1 212 555 0147").target == "d"

    def test_trace_names_the_class(self) -> None:
        """The trace says what the caller is, with the number masked."""
        line = route(self.flow, caller="+44 7911 123456").trace[1]
        assert "foreign_mobile" in line and "region GG" in line and "type mobile" in line
        assert "7911 123456" not in line


def test_set_and_condition() -> None:
    """Set variables, then branch on them; unknown values take `default`."""
    flow = flow_of(
        {
            "start": {"kind": "set", "variables": {"team": "north"}, "edges": {"next": "c"}},
            "c": {
                "kind": "condition",
                "variable": "team",
                "edges": {"north": "n", "default": "d"},
            },
            "n": {"kind": "queue", "target": "north_desk"},
            "d": {"kind": "queue"},
        },
        variables={"team": "south"},
    )
    d = route(flow)
    assert (d.target, dict(d.variables)) == ("north_desk", {"team": "north"})
    flow2 = flow_of(
        {
            "start": {"kind": "condition", "variable": "team", "edges": {"default": "d"}},
            "d": {"kind": "queue"},
        }
    )
    assert route(flow2).target == "d"


DIRECTORY = [
    {"id": "alice", "name": "Alice Martin", "extension": "1201", "groups": ["clerks"]},
    {"id": "bob", "name": "Bob Stone", "extension": "1202", "groups": ["clerks", "council"]},
    {"id": "bea", "name": "Bea Stone", "extension": "1203", "groups": ["council"]},
    {"id": "carl", "name": "Carl Stone", "extension": "1204", "groups": ["works"]},
    {"id": "dana", "name": "Dana Stone", "extension": "1205", "groups": ["works"]},
    {"id": "ed", "name": "Ed Stone", "extension": "1206", "groups": ["works"], "target": "ed_desk"},
    {"id": "flo", "name": "Flo Stone", "extension": "1207", "groups": ["mayor"]},
]


class TestDirectory:
    """Dial by extension and by name, with scopes."""

    def flow(self, kind: str, **params: Any) -> Any:
        """A flow whose start node is a directory search."""
        edges = {"not_found": "nf"} | ({"too_many": "tm"} if kind == "dial_by_name" else {})
        return flow_of(
            {
                "start": {"kind": kind, **params, "edges": edges},
                "nf": {"kind": "queue", "target": "operator"},
                "tm": {"kind": "queue", "target": "reception"},
            },
            directory=DIRECTORY,
        )

    def test_extension(self) -> None:
        """A full extension transfers; a partial one is not found."""
        flow = self.flow("dial_by_extension")
        d = route(flow, "1206#")
        assert (d.target, d.kind) == ("ed_desk", "transfer")
        assert route(flow, "1201").target == "alice"  # a timeout ends the entry too
        assert route(flow, "120#").target == "operator"
        assert route(flow, ["1202"]).target == "bob"  # spoken digits

    def test_name_partial_and_too_many(self) -> None:
        """Partial names match; more than 5 matches is 'too many'."""
        flow = self.flow("dial_by_name")
        assert route(flow, "25423#").target == "alice"  # A-L-I-C-E
        assert route(flow, "627#").target == "alice"  # M-A-R (last name first)
        assert route(flow, "78663#").target == "reception"  # six Stones
        assert route(flow, "99#").target == "operator"
        assert route(flow, ["alice"]).target == "alice"

    def test_choice_among_matches(self) -> None:
        """2..5 matches are offered as a numbered choice."""
        flow = self.flow("dial_by_name", include=["works"])
        d = route(flow, "78663#2")
        assert (d.target, d.path) == ("dana", ("entry", "start", "start"))
        assert route(flow, "78663#9").target == "operator"

    def test_exclusion_wins(self) -> None:
        """An entry in both an included and an excluded group is out of scope."""
        flow = self.flow("dial_by_name", include=["clerks", "council"], exclude=["council"])
        assert route(flow, "2620#").target == "operator"  # Bob: clerks and council
        assert route(flow, "25423#").target == "alice"
        assert route(self.flow("dial_by_extension", exclude=["mayor"]), "1207#").target == (
            "operator"
        )


class TestSubflow:
    """Nested attendants."""

    inner: ClassVar[dict[str, Any]] = {
        "id": "permits",
        "variables": {"lang": "en", "desk": "permits"},
        "nodes": {
            "entry": {"kind": "entry", "edges": {"next": "menu"}},
            "menu": {"kind": "menu", "edges": {"1": "building", "invalid": "back"}},
            "building": {"kind": "queue", "target": "permits_building"},
            "back": {"kind": "subflow", "flow": "main"},
        },
    }

    def flow(self) -> Any:
        """A main flow that nests 'permits' (which can nest 'main' again)."""
        return load_flow(
            {
                "id": "main",
                "variables": {"lang": "fr"},
                "subflows": {"permits": self.inner},
                "nodes": {
                    "entry": {"kind": "entry", "edges": {"next": "menu"}},
                    "menu": {"kind": "menu", "edges": {"3": "permits", "invalid": "op"}},
                    "permits": {"kind": "subflow", "flow": "permits"},
                    "op": {"kind": "queue"},
                },
            }
        )

    def test_nested_decision_and_path(self) -> None:
        """The nested flow's decision is the call's; its nodes are prefixed in the path."""
        d = route(self.flow(), "31")
        assert d.target == "permits_building"
        assert d.path == (
            "entry",
            "menu",
            "permits",
            "permits/entry",
            "permits/menu",
            "permits/building",
        )
        assert dict(d.variables) == {"lang": "fr", "desk": "permits"}

    def test_recursion_is_an_error_when_reached(self) -> None:
        """Entering a flow that is already running raises, naming the node and field."""
        flow = self.flow()
        with pytest.raises(ConfigError, match="sub-flow recursion: main -> permits -> main") as e:
            flow.route(None, AT, "37")
        assert e.value.node == "permits/back"
        assert e.value.path == "nodes.back.flow"
        with pytest.raises(ConfigError, match="recursion"):
            reference_walk(flow, None, AT, "37")
        assert route(flow, "0").target == "op"  # the rest of the flow works


def test_terminal_kinds() -> None:
    """Transfer, voicemail and disconnect decisions do not carry variables by default."""
    flow = flow_of(
        {
            "start": {"kind": "menu", "edges": {"1": "t", "2": "v", "3": "x", "4": "q"}},
            "t": {"kind": "transfer", "target": "oncall", "number": "+16045550199"},
            "v": {"kind": "voicemail", "shared": True, "carry_variables": True},
            "x": {"kind": "disconnect"},
            "q": {"kind": "queue", "carry_variables": False},
        },
        variables={"lang": "en"},
    )
    assert (route(flow, "1").target, route(flow, "1").kind) == ("oncall", "transfer")
    assert dict(route(flow, "1").variables) == {}
    assert dict(route(flow, "2").variables) == {"lang": "en"}
    assert route(flow, "3").kind == "disconnect"
    assert dict(route(flow, "4").variables) == {}


def test_naive_datetimes_are_rejected() -> None:
    """route() and start() refuse naive datetimes."""
    flow = flow_of({"start": {"kind": "queue"}})
    naive = datetime(2025, 6, 2, 10, 0)
    with pytest.raises(ConfigError, match="naive"):
        flow.route("+16045550101", naive)
    with pytest.raises(ConfigError, match="naive"):
        flow.start("+16045550101", naive)
    with pytest.raises(ConfigError, match="naive"):
        reference_walk(flow, "+16045550101", naive)


def test_trap_cycle_raises_instead_of_hanging() -> None:
    """A cycle without input ends in a ConfigError naming a node, in both engines."""
    flow = flow_of(
        {
            "start": {"kind": "announcement", "prompt": {"en": "a"}, "edges": {"next": "b"}},
            "b": {"kind": "set", "variables": {"x": "1"}, "edges": {"next": "start"}},
        }
    )
    with pytest.raises(ConfigError, match="without ending") as compiled:
        flow.route(None, AT)
    with pytest.raises(ConfigError, match="without ending") as ref:
        reference_walk(flow, None, AT)
    assert str(compiled.value) == str(ref.value)


def test_decision_equality_and_data() -> None:
    """Decisions compare by routing; to_dict() includes the trace."""
    flow = flow_of(MENU, prompts=PROMPTS)
    a, b = flow.route(None, AT, "1"), flow.route("+1 604 555 0101", AT, "1")
    assert a == b and hash(a) == hash(b)
    assert a != flow.route(None, AT, "2")
    data = a.to_dict()
    assert data["target"] == "waste_collection" and data["trace"][0].startswith("entry: call")
    manual = Decision(target="x", kind="queue", path=["entry"], trace=lambda: ["because"])
    assert manual.trace == ("because",)
