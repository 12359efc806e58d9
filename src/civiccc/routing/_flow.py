"""The Flow object: a validated flow document as a networkx graph, with its calendars."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import networkx as nx
import yaml

from civiccc.errors import ConfigError
from civiccc.numbers import Classifier
from civiccc.routing._decision import Decision
from civiccc.routing._kinds import NodeKind
from civiccc.routing._plugins import lookup_kind
from civiccc.routing._spec import FlowSpec, NodeSpec, parse_flow, read_document

if TYPE_CHECKING:
    from civiccc.routing._checks import Finding
    from civiccc.routing._compile import Engine
    from civiccc.routing._session import Session

__all__ = ["CalendarLike", "Flow", "Prompt", "load_flow"]


class CalendarLike(Protocol):
    """What routing needs of a :class:`civiccc.calendar.Calendar`."""

    @property
    def id(self) -> str: ...

    @property
    def revision(self) -> int: ...

    def state_at(self, t: datetime, scope: str | None = None) -> Any: ...

    def next_change(self, t: datetime, scope: str | None = None) -> datetime | None: ...


@attrs.frozen(kw_only=True)
class Prompt:
    """What to play: text for text-to-speech and/or an audio file, in one language.

    Attributes:
        id: The prompt id (``None`` for a prompt written inline in the node).
        lang: The language chosen (``None`` when the prompt has no language variants).
        text: Text for text-to-speech.
        audio: An audio file reference for the telephony adapter.
        node: The node that plays it.
    """

    id: str | None
    lang: str | None
    text: str | None = None
    audio: str | None = None
    node: str | None = None


def _calendars_from(value: Any, base_dir: Path | None, what: str) -> dict[str, CalendarLike]:
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(hasattr(v, "state_at") for v in value.values()):
        return dict(value)
    try:
        from civiccc.calendar import load_calendars
    except ImportError as exc:  # pragma: no cover - the calendar package ships with civiccc
        msg = f"civiccc.calendar is not available: {exc}"
        raise ConfigError(msg, path=what) from exc
    source: Any = value
    if isinstance(value, str | Path):
        p = Path(value)
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        source = p
    elif isinstance(value, list):
        source = {"calendars": value}
    try:
        loaded = load_calendars(source)
    except ConfigError as exc:
        if isinstance(source, Path):
            raise
        raise exc.at(prefix=what) from None
    return dict(loaded)


class _Namespace:
    """Flows that sub-flow nodes can name, shared by a flow and its embedded sub-flows."""

    def __init__(self) -> None:
        self.flows: dict[str, Flow] = {}
        self.sources: dict[str, Any] = {}


class Flow:
    """An auto attendant: a directed graph of nodes with labelled edges.

    Build one with :func:`load_flow`. The graph is a :class:`networkx.MultiDiGraph` (a menu
    may have several keys leading to one node): node attributes ``kind`` and ``spec``, edge
    key and attribute ``label``.

    Attributes:
        spec: The parsed flow document.
        file: The file it was loaded from, if any.
        calendars: Calendars by id (shared objects; one calendar may serve many flows).
        graph: The flow as a networkx graph.
    """

    def __init__(
        self,
        spec: FlowSpec,
        *,
        kinds: Mapping[str, NodeKind],
        calendars: Mapping[str, CalendarLike],
        namespace: _Namespace,
        file: str | None = None,
    ) -> None:
        self.spec = spec
        self.file = file
        self.calendars: dict[str, CalendarLike] = dict(calendars)
        self._kinds = dict(kinds)
        self._namespace = namespace
        self._engine: Engine | None = None
        self.classifier = Classifier(spec.region, spec.home_regions)
        g = nx.MultiDiGraph(id=spec.id)
        for nid, node in spec.nodes.items():
            g.add_node(nid, kind=node.kind, spec=node)
        for nid, node in spec.nodes.items():
            for label, target in node.edges.items():
                g.add_edge(nid, target, key=label, label=label)
        self.graph = g

    # ----------------------------------------------------------------- structure

    @property
    def id(self) -> str:
        """The flow id."""
        return self.spec.id

    @property
    def entry(self) -> str:
        """The id of the entry node."""
        return self.spec.entry

    def node(self, node_id: str) -> NodeSpec:
        """The spec of one node (``NotFoundError`` for unknown ids)."""
        try:
            return self.spec.nodes[node_id]
        except KeyError:
            from civiccc.errors import NotFoundError

            msg = f"flow {self.id!r} has no node {node_id!r}"
            raise NotFoundError(msg) from None

    def kind_of(self, node_id: str) -> NodeKind:
        """The kind declaration of a node."""
        return self._kinds[self.node(node_id).kind]

    def subflow(self, flow_id: str) -> Flow | None:
        """The flow a sub-flow node names, or ``None`` when it is not defined."""
        return self._namespace.flows.get(flow_id)

    def __repr__(self) -> str:
        return f"<Flow {self.id!r}: {len(self.spec.nodes)} nodes>"

    # ----------------------------------------------------------------- prompts

    def prompt(
        self, ref: Any, variables: Mapping[str, str] | None = None, node: str | None = None
    ) -> Prompt:
        """Resolve a prompt reference (id or inline) in the call's language."""
        pid = ref if isinstance(ref, str) else None
        variants: Mapping[str, Any] = (
            self.spec.prompts.get(ref, {}) if isinstance(ref, str) else (ref or {})
        )
        lang = (variables or {}).get("lang") or self.spec.default_language
        if lang not in variants:
            lang = self.spec.default_language if self.spec.default_language in variants else None
            if lang is None and variants:
                lang = next(iter(variants))
        item = variants.get(lang) if lang is not None else None
        if isinstance(item, Mapping):
            return Prompt(
                id=pid, lang=lang, text=item.get("text"), audio=item.get("audio"), node=node
            )
        return Prompt(id=pid, lang=lang, text=item, node=node)

    # ----------------------------------------------------------------- routing

    @property
    def engine(self) -> Engine:
        """The compiled form of this flow (built on first use)."""
        if self._engine is None:
            from civiccc.routing._compile import Engine

            self._engine = Engine(self)
            # from now on flow.route(...) calls the compiled hot path directly
            fast = self._engine._route
            fast.__doc__ = Flow.route.__doc__
            setattr(self, "route", fast)  # noqa: B010 - an instance attribute on purpose
        return self._engine

    def route(self, caller: str | None, at: datetime, inputs: str | Sequence[str] = "") -> Decision:
        """Route one call through the flow.

        Args:
            caller: The calling number as delivered (``None``, ``""`` or a withheld token for
                anonymous callers).
            at: When the call arrives (aware datetime; naive ones raise ConfigError).
            inputs: What the caller enters: a string of DTMF keys (one per menu step), or a
                sequence whose items are single keys, recognised phrases, or ``""`` for a
                timeout. When the inputs run out, every further prompt times out.

        Returns:
            The :class:`Decision`.
        """
        engine = self._engine
        if engine is None:
            engine = self.engine
        return engine._route(caller, at, inputs)

    def start(self, caller: str | None, at: datetime) -> Session:
        """Start an interactive session for a telephony adapter (see :class:`Session`)."""
        from civiccc.routing._session import Session

        return Session(self, caller, at)

    # ----------------------------------------------------------------- checks, export, data

    def check(self) -> list[Finding]:
        """Static analysis: a list of findings (code, node id, message), sorted."""
        from civiccc.routing._checks import check_flow

        return check_flow(self)

    def to_dot(self) -> str:
        """Graphviz DOT text of the flow."""
        from civiccc.routing._export import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """Mermaid flowchart text of the flow."""
        from civiccc.routing._export import to_mermaid

        return to_mermaid(self)

    def to_dict(self) -> dict[str, Any]:
        """The flow as data; ``load_flow(flow.to_dict())`` builds an equal flow."""
        return self.spec.to_dict()

    def dump(self, path: str | Path) -> None:
        """Write the flow to a ``.yaml``/``.yml`` or ``.json`` file."""
        p = Path(path)
        data = self.to_dict()
        if p.suffix.lower() == ".json":
            p.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            p.write_text(
                yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )


def _check_regions(spec: FlowSpec, base: str) -> None:
    """Region codes of the flow and of its classify nodes, checked at load (not at routing)."""
    try:
        Classifier(spec.region, spec.home_regions, memo_size=0)
    except ConfigError as exc:
        raise exc.at(prefix=base.rstrip(".") or None) from None
    for nid, node in spec.nodes.items():
        if node.kind != "classify":
            continue
        p = node.params
        if "region" not in p and "home_regions" not in p:
            continue
        try:
            Classifier(
                p.get("region", spec.region), p.get("home_regions", spec.home_regions), memo_size=0
            )
        except ConfigError as exc:
            where = exc.path or "region"
            raise ConfigError(
                exc.message, path=f"{base}nodes.{nid}.{where}", node=nid, value=exc.value
            ) from None


def _build(
    spec: FlowSpec,
    *,
    kinds: dict[str, NodeKind],
    calendars: Mapping[str, CalendarLike],
    namespace: _Namespace,
    file: str | None,
    base_dir: Path | None,
    base: str,
) -> Flow:
    _check_regions(spec, base)
    own = _calendars_from(spec.calendars, base_dir, f"{base}calendars")
    cals = {**calendars, **own}
    flow = Flow(spec, kinds=kinds, calendars=cals, namespace=namespace, file=file)
    namespace.flows.setdefault(spec.id, flow)
    for sid, sub in spec.subflows.items():
        child = _build(
            sub,
            kinds=kinds,
            calendars=cals,
            namespace=namespace,
            file=file,
            base_dir=base_dir,
            base=f"{base}subflows.{sid}.",
        )
        namespace.flows[sid] = child
    return flow


def load_flow(
    source: str | Path | Mapping[str, Any],
    *,
    calendars: Mapping[str, Any] | str | Path | None = None,
    flows: Mapping[str, Flow | Mapping[str, Any]] | None = None,
) -> Flow:
    """Load and validate a flow from a YAML/JSON file or a mapping.

    Args:
        source: A path to a ``.yaml``/``.yml``/``.json`` file, or the flow data.
        calendars: Calendars the flow refers to by id: a mapping of id to
            :class:`civiccc.calendar.Calendar` (shared objects), a mapping of calendar data,
            or a calendars file. Calendars embedded in the flow (``calendars:``) are added.
        flows: Other flows that sub-flow nodes may name (Flow objects or flow data).

    Raises:
        ConfigError: The document is broken; the error names the file, the node id and the
            field (``path``).
        PluginError: A node kind's plugin failed to load.
    """
    file: str | None = None
    base_dir: Path | None = None
    if isinstance(source, str | Path):
        file = str(source)
        base_dir = Path(source).parent
        data = read_document(source)
    else:
        data = source
    kinds: dict[str, NodeKind] = {}

    def kind_lookup(name: str, node: str, path: str) -> NodeKind:
        kind = lookup_kind(name, node=node, path=path)
        kinds[name] = kind
        return kind

    try:
        spec = parse_flow(data, kind_lookup)
        cals = _calendars_from(calendars, None, "calendars") if calendars is not None else {}
        namespace = _Namespace()
        for fid, other in (flows or {}).items():
            if isinstance(other, Flow):
                namespace.flows[fid] = other
            else:
                other_spec = parse_flow(other, kind_lookup, base=f"flows.{fid}")
                namespace.flows[fid] = _build(
                    other_spec,
                    kinds=kinds,
                    calendars=cals,
                    namespace=namespace,
                    file=file,
                    base_dir=base_dir,
                    base=f"flows.{fid}.",
                )
        flow = _build(
            spec,
            kinds=kinds,
            calendars=cals,
            namespace=namespace,
            file=file,
            base_dir=base_dir,
            base="",
        )
        namespace.flows[spec.id] = flow
    except ConfigError as exc:
        if file is not None and exc.file is None:
            raise exc.at(file=file) from None
        raise
    return flow
