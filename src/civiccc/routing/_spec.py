"""Flow documents: parsing (with located errors) into frozen specs, and dumping back.

A flow document is a mapping (from YAML, JSON or Python); see docs/routing.md for the format
and ``flow.schema.json`` for its JSON Schema. Parsing keeps the values as written, so
``FlowSpec.to_dict()`` gives back the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from civiccc._documents import read_document
from civiccc.errors import ConfigError
from civiccc.routing._kinds import KEYS, NodeKind, check_prompt, is_identifier, validate_params

__all__ = ["DirectoryEntry", "FlowSpec", "NodeSpec", "parse_flow", "read_document"]

_TOP_FIELDS = (
    "id",
    "description",
    "entry",
    "region",
    "home_regions",
    "languages",
    "variables",
    "queues",
    "prompts",
    "directory",
    "caller_lists",
    "calendars",
    "subflows",
    "nodes",
)

KindLookup = Callable[[str, str, str], NodeKind]


@attrs.frozen(kw_only=True)
class NodeSpec:
    """One node as written: id, kind, parameters and labelled edges (label -> node id)."""

    id: str
    kind: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    edges: Mapping[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The node as flow-file data."""
        out: dict[str, Any] = {"kind": self.kind}
        out.update(self.params)
        if self.edges:
            out["edges"] = dict(self.edges)
        return out


@attrs.frozen(kw_only=True)
class DirectoryEntry:
    """A person (or room, team) callers can reach by name or extension."""

    id: str
    name: str
    extension: str | None = None
    groups: tuple[str, ...] = ()
    target: str | None = None

    @property
    def first(self) -> str:
        """First name (the first word of ``name``)."""
        return self.name.split()[0] if self.name.split() else ""

    @property
    def last(self) -> str:
        """Last name (the last word of ``name``)."""
        return self.name.split()[-1] if self.name.split() else ""

    def to_dict(self) -> dict[str, Any]:
        """The entry as flow-file data."""
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.extension is not None:
            out["extension"] = self.extension
        if self.groups:
            out["groups"] = list(self.groups)
        if self.target is not None:
            out["target"] = self.target
        return out


@attrs.frozen(kw_only=True)
class FlowSpec:
    """A parsed flow document (frozen)."""

    id: str
    entry: str
    nodes: Mapping[str, NodeSpec]
    description: str | None = None
    region: str = "CA"
    home_regions: tuple[str, ...] | None = None
    languages: tuple[str, ...] = ()
    variables: Mapping[str, str] = attrs.field(factory=dict)
    queues: tuple[str, ...] | None = None
    prompts: Mapping[str, Any] = attrs.field(factory=dict)
    directory: tuple[DirectoryEntry, ...] = ()
    caller_lists: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    calendars: Any = None
    subflows: Mapping[str, FlowSpec] = attrs.field(factory=dict)
    entry_given: bool = False
    written: tuple[str, ...] = ()

    @property
    def default_language(self) -> str | None:
        """The first of ``languages`` (``None`` when the flow declares none)."""
        return self.languages[0] if self.languages else None

    def to_dict(self) -> dict[str, Any]:
        """The flow as data; ``parse_flow(spec.to_dict())`` gives an equal spec."""
        out: dict[str, Any] = {"id": self.id}
        written = set(self.written)
        if self.description is not None:
            out["description"] = self.description
        if self.entry_given:
            out["entry"] = self.entry
        if "region" in written:
            out["region"] = self.region
        if self.home_regions is not None:
            out["home_regions"] = list(self.home_regions)
        if "languages" in written:
            out["languages"] = list(self.languages)
        if "variables" in written:
            out["variables"] = dict(self.variables)
        if self.queues is not None:
            out["queues"] = list(self.queues)
        if "prompts" in written:
            out["prompts"] = _plain(self.prompts)
        if "directory" in written:
            out["directory"] = [e.to_dict() for e in self.directory]
        if "caller_lists" in written:
            out["caller_lists"] = {k: list(v) for k, v in self.caller_lists.items()}
        if self.calendars is not None:
            out["calendars"] = _plain(self.calendars)
        if "subflows" in written:
            out["subflows"] = {k: v.to_dict() for k, v in self.subflows.items()}
        out["nodes"] = {nid: n.to_dict() for nid, n in self.nodes.items()}
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- reading files


# --------------------------------------------------------------------------- parsing


def _err(msg: str, path: str, node: str | None = None, value: Any = None) -> ConfigError:
    return ConfigError(msg, path=path, node=node, value=value)


def _str(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    if key not in data:
        if required:
            msg = f"missing required field {key!r}"
            raise _err(msg, f"{path}{key}")
        return None
    value = data[key]
    if not isinstance(value, str) or not value:
        msg = f"expected a non-empty string, got {value!r}"
        raise _err(msg, f"{path}{key}", value=value)
    return value


def _str_list(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"expected a list of strings, got {type(value).__name__}"
        raise _err(msg, path, value=value)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            msg = f"expected a non-empty string, got {item!r}"
            raise _err(msg, f"{path}[{i}]", value=item)
    return tuple(value)


def _mapping(value: Any, path: str, node: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        msg = f"expected a mapping, got {type(value).__name__}"
        raise _err(msg, path, node, value)
    for key in value:
        if not isinstance(key, str):
            msg = f"keys must be strings, got {key!r} (quote menu keys in YAML: '1')"
            raise _err(msg, f"{path}.{key}", node, key)
    return value


def _parse_node(nid: str, data: Any, base: str, kinds: KindLookup, node_ids: set[str]) -> NodeSpec:
    path = f"{base}.{nid}"
    if not is_identifier(nid):
        msg = "node ids use letters, digits, '_', '.', '-' and start with a letter or '_'"
        raise _err(msg, path, nid, nid)
    if not isinstance(data, Mapping):
        msg = f"a node is a mapping with 'kind', got {type(data).__name__}"
        raise _err(msg, path, nid, data)
    kind_name = data.get("kind")
    if not isinstance(kind_name, str):
        msg = "missing or non-string 'kind'"
        raise _err(msg, f"{path}.kind", nid, kind_name)
    kind = kinds(kind_name, nid, f"{path}.kind")
    params = {k: v for k, v in data.items() if k not in ("kind", "edges")}
    validate_params(kind, params, nid, path)
    edges_raw = data.get("edges", {})
    edges: dict[str, str] = {}
    edges_map = _mapping(edges_raw, f"{path}.edges", nid)
    allowed = kind.all_labels(params)
    for label, target in edges_map.items():
        epath = f"{path}.edges.{label}"
        if not kind.open_labels and label not in allowed:
            names = ", ".join(allowed) if allowed else "none (a terminal node)"
            msg = f"label {label!r} is not an edge of kind {kind.name!r} (labels: {names})"
            raise _err(msg, epath, nid, label)
        if not isinstance(target, str):
            msg = f"an edge points to a node id, got {target!r}"
            raise _err(msg, epath, nid, target)
        if target not in node_ids:
            msg = f"edge {label!r} points to unknown node {target!r}"
            raise _err(msg, epath, nid, target)
        edges[label] = target
    if kind.name == "menu":
        voice = params.get("voice", {})
        for key in voice:
            if key not in KEYS:
                msg = f"voice keywords are given per key (0-9, *, #), not {key!r}"
                raise _err(msg, f"{path}.voice.{key}", nid, key)
    if kind.name == "language":
        for key in params["languages"]:
            if key not in KEYS:
                msg = f"a language is chosen by a key (0-9, *, #), not {key!r}"
                raise _err(msg, f"{path}.languages.{key}", nid, key)
    return NodeSpec(id=nid, kind=kind_name, params=params, edges=edges)


def _parse_directory(value: Any, path: str) -> tuple[DirectoryEntry, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = "the directory is a list of entries"
        raise _err(msg, path, value=value)
    out: list[DirectoryEntry] = []
    seen: set[str] = set()
    for i, raw in enumerate(value):
        p = f"{path}[{i}]"
        item = _mapping(raw, p)
        unknown = set(item) - {"id", "name", "extension", "groups", "target"}
        if unknown:
            fields = "extension, groups, id, name, target"
            msg = f"unknown field {sorted(unknown)[0]!r} (fields: {fields})"
            raise _err(msg, f"{p}.{sorted(unknown)[0]}")
        eid = _str(item, "id", f"{p}.", required=True)
        name = _str(item, "name", f"{p}.", required=True)
        assert eid is not None and name is not None
        if eid in seen:
            msg = f"duplicate directory id {eid!r}"
            raise _err(msg, f"{p}.id", value=eid)
        seen.add(eid)
        ext = item.get("extension")
        if ext is not None and (not isinstance(ext, str) or not ext.isdigit()):
            msg = f"an extension is a string of digits, got {ext!r}"
            raise _err(msg, f"{p}.extension", value=ext)
        groups = _str_list(item.get("groups", []), f"{p}.groups")
        out.append(
            DirectoryEntry(
                id=eid,
                name=name,
                extension=ext,
                groups=groups,
                target=_str(item, "target", f"{p}."),
            )
        )
    return tuple(out)


def parse_flow(data: Any, kinds: KindLookup, *, base: str = "") -> FlowSpec:
    """Parse flow data into a :class:`FlowSpec`; errors carry the path, node id and value.

    Args:
        data: The flow document (a mapping).
        kinds: ``kinds(name, node_id, path) -> NodeKind`` (raises for unknown kinds).
        base: Path prefix for errors (used for embedded sub-flows).
    """
    pre = f"{base}." if base else ""
    if not isinstance(data, Mapping):
        msg = f"a flow document is a mapping, got {type(data).__name__}"
        raise _err(msg, base or "(document)", value=data)
    for key in data:
        if key not in _TOP_FIELDS:
            msg = f"unknown field {key!r} (fields: {', '.join(sorted(_TOP_FIELDS))})"
            raise _err(msg, f"{pre}{key}", value=key)
    flow_id = _str(data, "id", pre, required=True)
    assert flow_id is not None
    if not is_identifier(flow_id):
        msg = "a flow id uses letters, digits, '_', '.', '-'"
        raise _err(msg, f"{pre}id", value=flow_id)
    nodes_raw = _mapping(data.get("nodes"), f"{pre}nodes") if "nodes" in data else None
    if not nodes_raw:
        msg = "a flow needs at least one node"
        raise _err(msg, f"{pre}nodes")
    node_ids = set(nodes_raw)
    nodes = {
        nid: _parse_node(nid, nd, f"{pre}nodes", kinds, node_ids) for nid, nd in nodes_raw.items()
    }
    entries = [nid for nid, n in nodes.items() if n.kind == "entry"]
    entry = _str(data, "entry", pre)
    if entry is None:
        if len(entries) != 1:
            msg = (
                "a flow needs exactly one node of kind 'entry' "
                f"(found {len(entries)}: {', '.join(entries) or 'none'}) or an 'entry' field"
            )
            raise _err(msg, f"{pre}nodes")
        entry = entries[0]
    elif entry not in nodes:
        msg = f"entry {entry!r} is not a node of this flow"
        raise _err(msg, f"{pre}entry", value=entry)
    region = _str(data, "region", pre) or "CA"
    home = _str_list(data["home_regions"], f"{pre}home_regions") if "home_regions" in data else None
    languages = _str_list(data.get("languages", []), f"{pre}languages")
    variables = _mapping(data.get("variables", {}), f"{pre}variables")
    for name, value in variables.items():
        if not isinstance(value, str):
            msg = f"variable values are strings, got {value!r}"
            raise _err(msg, f"{pre}variables.{name}", value=value)
    queues = _str_list(data["queues"], f"{pre}queues") if "queues" in data else None
    prompts = _mapping(data.get("prompts", {}), f"{pre}prompts")
    for pid, prompt in prompts.items():
        if not isinstance(prompt, Mapping):
            msg = "a prompt is a mapping of language to text (or to {text, audio})"
            raise _err(msg, f"{pre}prompts.{pid}", value=prompt)
        check_prompt(prompt, f"{pre}prompts.{pid}", None)
    directory = _parse_directory(data.get("directory", []), f"{pre}directory")
    lists_raw = _mapping(data.get("caller_lists", {}), f"{pre}caller_lists")
    lists = {name: _str_list(nums, f"{pre}caller_lists.{name}") for name, nums in lists_raw.items()}
    subflows_raw = _mapping(data.get("subflows", {}), f"{pre}subflows")
    subflows = {
        sid: parse_flow(sd, kinds, base=f"{pre}subflows.{sid}") for sid, sd in subflows_raw.items()
    }
    for sid, sub in subflows.items():
        if sub.id != sid:
            msg = f"embedded sub-flow {sid!r} has id {sub.id!r} (they must agree)"
            raise _err(msg, f"{pre}subflows.{sid}.id", value=sub.id)
    calendars = data.get("calendars")
    if calendars is not None and not isinstance(calendars, str | Mapping | list):
        msg = "calendars are a file name, a mapping id -> calendar, or a list of calendars"
        raise _err(msg, f"{pre}calendars", value=calendars)
    return FlowSpec(
        id=flow_id,
        entry=entry,
        nodes=nodes,
        description=_str(data, "description", pre),
        region=region,
        home_regions=home,
        languages=languages,
        variables=dict(variables),
        queues=queues,
        prompts=dict(prompts),
        directory=directory,
        caller_lists=lists,
        calendars=calendars,
        subflows=subflows,
        entry_given="entry" in data,
        written=tuple(k for k in _TOP_FIELDS if k in data),
    )
