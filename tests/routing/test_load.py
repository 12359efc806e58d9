"""Loading flows: YAML, JSON, dicts, round trips, the JSON Schema, and located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.errors import ConfigError
from civiccc.routing import load_flow, schema_path

GOOD: dict[str, Any] = {
    "id": "small",
    "languages": ["en"],
    "prompts": {"hi": {"en": "Hello"}},
    "nodes": {
        "entry": {"kind": "entry", "edges": {"next": "greet"}},
        "greet": {"kind": "announcement", "prompt": "hi", "edges": {"next": "menu"}},
        "menu": {"kind": "menu", "prompt": "hi", "edges": {"1": "desk", "invalid": "desk"}},
        "desk": {"kind": "queue", "target": "citizen_desk", "priority": 2},
    },
}


def test_dict_yaml_and_json_give_the_same_flow(tmp_path: Path) -> None:
    """The same document loads from a dict, a YAML file and a JSON file."""
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    (tmp_path / "f.json").write_text(json.dumps(GOOD), encoding="utf-8")
    flows = [load_flow(GOOD), load_flow(tmp_path / "f.yaml"), load_flow(str(tmp_path / "f.json"))]
    assert all(f.to_dict() == GOOD for f in flows)
    assert flows[1].file == str(tmp_path / "f.yaml")


def test_graph_has_labelled_edges() -> None:
    """The flow is a networkx multigraph whose edge keys are the labels."""
    flow = load_flow(GOOD)
    assert sorted(flow.graph.edges(keys=True)) == [
        ("entry", "greet", "next"),
        ("greet", "menu", "next"),
        ("menu", "desk", "1"),
        ("menu", "desk", "invalid"),
    ]
    assert flow.graph.nodes["menu"]["kind"] == "menu"


def test_dump_round_trip(tmp_path: Path) -> None:
    """dump() writes YAML or JSON that loads back to the same data."""
    flow = load_flow(Path(__file__).parents[2] / "examples" / "flows" / "city_hall.yaml")
    for name in ("out.yaml", "out.json"):
        flow.dump(tmp_path / name)
        again = load_flow(tmp_path / name)
        assert again.to_dict() == flow.to_dict()
    raw = yaml.safe_load(
        (Path(__file__).parents[2] / "examples" / "flows" / "city_hall.yaml").read_text("utf-8")
    )
    assert flow.to_dict() == raw


def test_schema_file_is_current_and_accepts_the_examples() -> None:
    """The shipped JSON Schema equals the generated one and validates the example flows."""
    jsonschema = pytest.importorskip("jsonschema")
    from civiccc.routing._schema import schema_text

    text = Path(schema_path()).read_text(encoding="utf-8")
    assert text == schema_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in (Path(__file__).parents[2] / "examples" / "flows").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text("utf-8")), schema)
    bad = {**GOOD, "nodes": {**GOOD["nodes"], "desk": {"kind": "queue", "priority": 9}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def mutate(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """GOOD with one field replaced (or removed when value is ...)."""
    doc = json.loads(json.dumps(GOOD))
    target = doc
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "node", "field", "message"),
    [
        (("nodes", "desk", "priority"), 9, "desk", "nodes.desk.priority", "must be <= 5"),
        (("nodes", "desk", "priority"), "high", "desk", "nodes.desk.priority", "integer"),
        (("nodes", "desk", "kind"), "queueue", "desk", "nodes.desk.kind", "unknown node kind"),
        (("nodes", "desk", "colour"), "red", "desk", "nodes.desk.colour", "unknown field"),
        (("nodes", "menu", "edges", "1"), "nowhere", "menu", "nodes.menu.edges.1", "unknown node"),
        (("nodes", "menu", "edges", "11"), "desk", "menu", "nodes.menu.edges.11", "not an edge"),
        (("nodes", "menu", "retries"), -1, "menu", "nodes.menu.retries", ">= 0"),
        (("nodes", "menu", "operator_key"), "x", "menu", "nodes.menu.operator_key", "one of"),
        (("nodes", "greet", "prompt"), ..., "greet", "nodes.greet.prompt", "missing required"),
        (("nodes", "greet", "prompt"), {"en": 3}, "greet", "nodes.greet.prompt.en", "text"),
        (("nodes", "desk", "edges"), {"next": "menu"}, "desk", "nodes.desk.edges.next", "terminal"),
        (("nodes", "entry", "kind"), "announcement", "entry", "nodes.entry.prompt", "missing"),
        (("nodes", "bad id!"), {"kind": "queue"}, "bad id!", "nodes.bad id!", "node ids"),
        (("variables",), {"lang": 1}, None, "variables.lang", "strings"),
        (("id",), ..., None, "id", "missing required field 'id'"),
        (("colour",), "red", None, "colour", "unknown field"),
        (("nodes",), {}, None, "nodes", "at least one node"),
        (("entry",), "nope", None, "entry", "not a node"),
    ],
)
def test_errors_name_node_and_field(
    tmp_path: Path, path: tuple[str, ...], value: Any, node: str | None, field: str, message: str
) -> None:
    """A broken document raises ConfigError with the file, node id and field path."""
    doc = mutate(path, value)
    with pytest.raises(ConfigError, match=message) as exc:
        load_flow(doc)
    assert (exc.value.node, exc.value.path) == (node, field)
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError) as in_file:
        load_flow(file)
    assert in_file.value.file == str(file)
    assert str(in_file.value).startswith(f"{file}: {field}")


def test_no_entry_or_two_entries() -> None:
    """A flow needs exactly one entry node (or an `entry` field)."""
    doc = mutate(("nodes", "entry"), ...)
    doc["nodes"]["greet"]["kind"] = "announcement"
    with pytest.raises(ConfigError, match="exactly one node of kind 'entry'"):
        load_flow(doc)
    two = json.loads(json.dumps(GOOD))
    two["nodes"]["entry2"] = {"kind": "entry", "edges": {"next": "menu"}}
    with pytest.raises(ConfigError, match="found 2"):
        load_flow(two)
    two["entry"] = "entry2"
    assert load_flow(two).entry == "entry2"


def test_bad_files(tmp_path: Path) -> None:
    """Unreadable files, bad YAML/JSON and duplicate keys are located errors."""
    with pytest.raises(ConfigError, match="cannot read") as missing:
        load_flow(tmp_path / "nope.yaml")
    assert missing.value.file == str(tmp_path / "nope.yaml")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("id: x\nnodes: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML") as e1:
        load_flow(bad_yaml)
    assert e1.value.path is not None and e1.value.path.startswith("line")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"id": "x", ', encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid JSON"):
        load_flow(bad_json)
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "id: x\nnodes:\n  entry: {kind: entry, edges: {next: a}}\n"
        "  a: {kind: queue}\n  a: {kind: voicemail}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="duplicate key 'a' \\(line 5\\)") as e2:
        load_flow(dup)
    assert e2.value.file == str(dup)
    unquoted = tmp_path / "keys.yaml"
    unquoted.write_text(
        "id: x\nnodes:\n  entry: {kind: entry, edges: {next: m}}\n"
        "  m: {kind: menu, edges: {1: q}}\n  q: {kind: queue}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="quote menu keys") as e3:
        load_flow(unquoted)
    assert e3.value.node == "m"


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    st.sampled_from(["nodes", "variables", "prompts", "directory", "caller_lists", "languages"]),
)
def test_garbage_gives_config_errors_only(garbage: Any, field: str) -> None:
    """Whatever is put in a field, loading either works or raises ConfigError (never crashes)."""
    doc = json.loads(json.dumps(GOOD))
    doc[field] = garbage
    error: ConfigError | None = None
    try:
        load_flow(doc)
    except ConfigError as exc:
        error = exc
    assert error is None or error.path is not None


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(GOOD["nodes"])),
    st.sampled_from(["kind", "edges", "prompt", "priority", "retries", "target", "voice"]),
    st.one_of(st.none(), st.integers(), st.text(max_size=4), st.lists(st.integers(), max_size=2)),
)
def test_bad_node_fields_are_located(node: str, field: str, value: Any) -> None:
    """A bad value in a node field raises ConfigError naming that node."""
    doc = json.loads(json.dumps(GOOD))
    doc["nodes"][node][field] = value
    error: ConfigError | None = None
    try:
        load_flow(doc)
    except ConfigError as exc:
        error = exc
    if error is not None:
        assert error.node == node
        assert error.path is not None and error.path.startswith(f"nodes.{node}")
