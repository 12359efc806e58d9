"""Plugin node kinds: an installed entry point, register_node_kind(), and failures."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from civiccc.errors import ConfigError, PluginError
from civiccc.routing import (
    CallView,
    NodeKind,
    load_flow,
    node_kinds,
    reference_walk,
    register_node_kind,
    unregister_node_kind,
)

AT = datetime(2025, 6, 2, 17, 30, tzinfo=UTC)
DIST = "civiccc-open-case-node"


def open_case_flow(**params: Any) -> Any:
    """A flow whose first real node is the example plugin's `open_case`."""
    return load_flow(
        {
            "id": "crm",
            "nodes": {
                "entry": {"kind": "entry", "edges": {"next": "case"}},
                "case": {
                    "kind": "open_case",
                    "departments": ["waste", "permits"],
                    **params,
                    "edges": {"waste": "waste", "permits": "permits", "no_case": "menu"},
                },
                "menu": {"kind": "menu", "edges": {"1": "waste", "invalid": "waste"}},
                "waste": {"kind": "queue", "target": "waste_collection"},
                "permits": {"kind": "queue", "target": "permits_building"},
            },
        }
    )


def test_installed_entry_point_is_discovered() -> None:
    """The example plugin is found through its installed entry point, with its distribution."""
    kinds = node_kinds()
    assert "open_case" in kinds, (
        "install the example plugin: pip install -e examples/plugins/civiccc-open-case-node"
    )
    assert kinds["open_case"].dist == DIST
    assert kinds["open_case"].all_labels({"departments": ["a"]}) == ("no_case", "a")


def test_plugin_routes_like_a_builtin() -> None:
    """The plugin node is compiled, and agrees with the reference walk."""
    flow = open_case_flow(cases={"604 555 0101": "permits", "+16045550102": "parks"})
    for caller, target in [
        ("+1 604 555 0101", "permits_building"),
        ("+16045550102", "waste_collection"),  # 'parks' is not a department: no_case
        ("anonymous", "waste_collection"),
        ("+44 20 7946 0018", "waste_collection"),
    ]:
        d = flow.route(caller, AT, "1")
        assert d.target == target
        assert d == reference_walk(flow, caller, AT, "1")
    assert "plugin kind 'open_case'" in flow.route("+16045550101", AT).trace[1]


def test_plugin_lookup_callable() -> None:
    """A lookup given as 'module:attribute' is imported and used."""
    flow = open_case_flow(lookup=f"{__name__}:crm_lookup")
    assert flow.route("+1 604 555 0177", AT).target == "waste_collection"
    assert flow.route("+1 604 555 0178", AT, "1").path == ("entry", "case", "menu", "waste")


def crm_lookup(e164: str) -> str | None:
    """A stand-in CRM: one caller with an open waste case."""
    return "waste" if e164 == "+16045550177" else None


def test_plugin_parameters_are_validated_like_builtins() -> None:
    """Missing, unknown and ill-typed plugin parameters are located ConfigErrors."""
    with pytest.raises(ConfigError, match="missing required field 'departments'") as e:
        load_flow(
            {
                "id": "x",
                "nodes": {
                    "entry": {"kind": "entry", "edges": {"next": "c"}},
                    "c": {"kind": "open_case", "edges": {}},
                },
            }
        )
    assert (e.value.node, e.value.path) == ("c", "nodes.c.departments")
    with pytest.raises(ConfigError, match="cannot import") as e2:
        open_case_flow(lookup="no_such_module_xyz:f")
    assert e2.value.path == "nodes.case.lookup"
    with pytest.raises(ConfigError, match="label 'parks' is not an edge"):
        load_flow(
            {
                "id": "x",
                "nodes": {
                    "entry": {"kind": "entry", "edges": {"next": "c"}},
                    "c": {"kind": "open_case", "departments": ["waste"], "edges": {"parks": "c"}},
                },
            }
        )


@pytest.fixture
def vip_kind() -> Iterator[dict[str, int]]:
    """Register a notebook-style kind for one test."""
    calls = {"compile": 0, "decide": 0}

    def decide(params: Mapping[str, Any], call: CallView) -> str:
        calls["decide"] += 1
        return "vip" if call.e164 in params["numbers"] else "other"

    def compile_(params: Mapping[str, Any]) -> Any:
        calls["compile"] += 1
        numbers = frozenset(params["numbers"])
        return lambda call: "vip" if call.e164 in numbers else "other"

    register_node_kind(
        "vip_check",
        decide=decide,
        compile=compile_,
        labels=("vip", "other"),
        params={"numbers": {"type": "str_list", "required": True}},
    )
    yield calls
    unregister_node_kind("vip_check")


def test_register_node_kind(vip_kind: dict[str, int]) -> None:
    """A registered kind loads, is compiled once, and routes like the reference walk."""
    flow = load_flow(
        {
            "id": "v",
            "nodes": {
                "entry": {"kind": "entry", "edges": {"next": "v"}},
                "v": {"kind": "vip_check", "numbers": ["+16045550101"], "edges": {"vip": "a"}},
                "a": {"kind": "queue"},
            },
        }
    )
    for _ in range(3):
        assert flow.route("604 555 0101", AT).target == "a"
        assert flow.route("604 555 0102", AT).target == "disconnect"
    assert vip_kind["compile"] == 1
    assert reference_walk(flow, "604 555 0101", AT).target == "a"
    assert vip_kind["decide"] == 1
    with pytest.raises(PluginError, match="already registered"):
        register_node_kind("vip_check", decide=lambda p, c: "vip", labels=("vip",))
    with pytest.raises(ConfigError, match="expected a list of strings"):
        load_flow(
            {
                "id": "v",
                "nodes": {
                    "entry": {"kind": "entry", "edges": {"next": "v"}},
                    "v": {"kind": "vip_check", "numbers": "+16045550101"},
                },
            }
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "menu", "decide": lambda p, c: "x"}, "built-in kind"),
        ({"name": "nodecide"}, "needs a decide"),
        ({"name": "badlabel", "decide": lambda p, c: "x", "labels": ("a b",)}, "not an identifier"),
        ({"name": "bad name", "decide": lambda p, c: "x"}, "identifier"),
        ({"name": "term", "decide": lambda p, c: "x", "terminal": True}, "cannot be terminal"),
        (
            {"name": "badparam", "decide": lambda p, c: "x", "params": {"p": {"type": "float"}}},
            "bad",
        ),
        (
            {"name": "reserved", "decide": lambda p, c: "x", "params": {"edges": {"type": "str"}}},
            "reserved",
        ),
    ],
)
def test_bad_declarations_raise_plugin_error(kwargs: dict[str, Any], message: str) -> None:
    """Invalid kind declarations are refused with a PluginError naming the kind."""
    name = kwargs["name"]
    if "terminal" in kwargs:
        with pytest.raises(PluginError, match=message) as e:
            register_node_kind(NodeKind(**kwargs))
    else:
        with pytest.raises(PluginError, match=message) as e:
            register_node_kind(
                name,
                decide=kwargs.get("decide"),
                labels=kwargs.get("labels", ()),
                params=kwargs.get("params", {}),
            )
    assert e.value.name == name and e.value.group == "civiccc.routing.nodes"


def test_broken_installed_plugin_names_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry point that fails to load raises PluginError naming the distribution."""
    info = tmp_path / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[civiccc.routing.nodes]\n"
        "broken_kind = no_such_module_xyz:KIND\n"
        "wrong_type = json:JSONDecoder\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    doc = {
        "id": "b",
        "nodes": {
            "entry": {"kind": "entry", "edges": {"next": "x"}},
            "x": {"kind": "broken_kind"},
        },
    }
    with pytest.raises(PluginError, match="from broken-plugin") as e:
        load_flow(doc)
    assert e.value.dist == "broken-plugin" and e.value.name == "broken_kind"
    doc["nodes"]["x"]["kind"] = "wrong_type"
    with pytest.raises(PluginError, match="expected a NodeKind") as e2:
        load_flow(doc)
    assert e2.value.dist == "broken-plugin"
    with pytest.raises(PluginError, match="broken-plugin"):
        node_kinds()


def test_unknown_kind_lists_the_known_ones() -> None:
    """An unknown kind is a ConfigError listing built-ins and installed plugins."""
    with pytest.raises(ConfigError, match=r"unknown node kind 'crm'.*open_case") as e:
        load_flow(
            {
                "id": "u",
                "nodes": {"entry": {"kind": "entry", "edges": {"next": "x"}}, "x": {"kind": "crm"}},
            }
        )
    assert e.value.node == "x"
