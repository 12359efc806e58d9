"""Static analysis of flows: findings with a code, the node id and a message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import networkx as nx

from civiccc.routing._kinds import KEYS, param

if TYPE_CHECKING:
    from civiccc.routing._flow import Flow

__all__ = ["CODES", "Finding", "check_flow"]

#: Every finding code, with its severity and what it means.
CODES: Mapping[str, tuple[str, str]] = {
    "dead-end": ("error", "a branch the node can take has no edge (the call is disconnected)"),
    "edge-without-key": ("warning", "an edge no key can take"),
    "key-without-edge": ("warning", "a key (or voice keyword, or prompt text) that leads nowhere"),
    "menu-missing-invalid": ("error", "a menu without an `invalid` edge"),
    "no-after-hours-branch": ("error", "an opening-hours check without a `closed` edge"),
    "no-holiday-branch": ("warning", "opening hours checked without a holiday check first"),
    "prompt-missing-language": ("warning", "a prompt without text for one of the flow's languages"),
    "subflow-recursion": ("error", "a sub-flow that (indirectly) contains itself"),
    "trap-cycle": ("error", "a cycle a silent caller never leaves"),
    "undefined-calendar": ("error", "a calendar id that is not defined"),
    "undefined-caller-list": ("error", "a caller list that is not defined"),
    "undefined-prompt": ("error", "a prompt id that is not defined"),
    "undefined-queue": ("warning", "a queue target not in the flow's `queues` list"),
    "undefined-subflow": ("error", "a sub-flow id that is not defined"),
    "unreachable": ("warning", "a node no call can reach from the entry"),
}

_TIME = ("emergency_check", "holiday_check", "hours_check", "schedule")
_PRESS = re.compile(
    r"(?:press|dial|drücken Sie|wählen Sie|appuyez sur|faites le)\s+([0-9*#])", re.I
)


@attrs.frozen(kw_only=True)
class Finding:
    """One result of :meth:`Flow.check`.

    Attributes:
        code: What kind of problem (see ``CODES`` in docs/routing.md).
        node: The node id concerned (``sub/node`` inside an embedded sub-flow), or ``None``.
        message: What is wrong, in words.
        severity: ``"error"`` (calls will be misrouted) or ``"warning"``.
    """

    code: str
    node: str | None
    message: str
    severity: str

    def __str__(self) -> str:
        where = f" {self.node}" if self.node else ""
        return f"{self.severity} {self.code}{where}: {self.message}"


def _finding(code: str, node: str | None, message: str) -> Finding:
    return Finding(code=code, node=node, message=message, severity=CODES[code][0])


def _fallback_labels(kind_name: str, params: Mapping[str, Any], edges: Iterable[str]) -> list[str]:
    """Labels a silent caller's call can leave a node by."""
    edges = list(edges)
    if kind_name in ("menu", "language"):
        if "no_input" in edges:
            return ["no_input"]
        return ["invalid"]
    if kind_name in ("dial_by_extension", "dial_by_name"):
        return ["not_found"]
    return edges


def _needed_labels(flow: Flow, node: str) -> list[str]:
    """Labels a node can answer with, that need an edge (for dead-end)."""
    spec = flow.node(node)
    kind = flow.kind_of(node)
    name = kind.name
    if kind.terminal:
        return []
    if name in ("entry", "announcement", "set"):
        return ["next"]
    if name == "language":
        return ["next"]
    if name in ("menu",):
        return []
    if name == "condition":
        return ["default"]
    if name == "classify":
        edges = set(spec.edges)
        covered = {"anonymous", "invalid"} <= edges and (
            "foreign" in edges and ("domestic" in edges)
        )
        return [] if covered else ["default"]
    if name == "emergency_check":
        return ["on", "off"]
    if name == "holiday_check":
        return ["holiday", "regular"]
    if name == "hours_check":
        return ["open"]
    if name == "schedule":
        return ["emergency", "open"]
    if name == "dial_by_extension":
        return ["not_found"]
    if name == "dial_by_name":
        return ["not_found", "too_many"]
    return list(kind.all_labels(spec.params))


def check_flow(flow: Flow, prefix: str = "", seen: frozenset[str] = frozenset()) -> list[Finding]:
    """All findings for ``flow`` (and its embedded sub-flows), sorted by code and node."""
    out: list[Finding] = []
    g = flow.graph
    spec = flow.spec
    at = prefix

    # reachability
    reachable = {spec.entry} | nx.descendants(g, spec.entry)
    for node in spec.nodes:
        if node not in reachable:
            out.append(_finding("unreachable", at + node, "no path from the entry leads here"))

    holiday_nodes = {
        n
        for n, s in spec.nodes.items()
        if s.kind == "holiday_check" or (s.kind == "schedule" and "holiday" in s.edges)
    }
    for node, nspec in spec.nodes.items():
        kind = flow.kind_of(node)
        p = nspec.params
        edges = nspec.edges
        nid = at + node
        for label in _needed_labels(flow, node):
            if label not in edges:
                out.append(
                    _finding(
                        "dead-end", nid, f"no edge for {label!r}: calls taking it are disconnected"
                    )
                )
        if kind.name in ("menu", "language") and "invalid" not in edges:
            out.append(
                _finding(
                    "menu-missing-invalid",
                    nid,
                    "no `invalid` edge: a wrong key or no input disconnects the caller",
                )
            )
        if kind.name == "menu":
            out.extend(_menu_findings(flow, node, nid))
        if kind.name in _TIME:
            cal = p["calendar"]
            if cal not in flow.calendars:
                out.append(_finding("undefined-calendar", nid, f"calendar {cal!r} is not defined"))
        if kind.name in ("hours_check", "schedule"):
            if "closed" not in edges:
                out.append(
                    _finding(
                        "no-after-hours-branch",
                        nid,
                        "no `closed` edge: calls after hours are disconnected",
                    )
                )
            if kind.name == "schedule" and "holiday" not in edges:
                out.append(
                    _finding(
                        "no-holiday-branch", nid, "no `holiday` edge: holidays follow `closed`"
                    )
                )
            elif kind.name == "hours_check" and not (nx.ancestors(g, node) & holiday_nodes):
                out.append(
                    _finding(
                        "no-holiday-branch",
                        nid,
                        "opening hours are checked without a holiday check before them",
                    )
                )
        if kind.name == "queue" and spec.queues is not None:
            target = p.get("target", node)
            if target not in spec.queues:
                out.append(_finding("undefined-queue", nid, f"queue {target!r} is not in `queues`"))
        if kind.name == "classify":
            for name in p.get("lists", ()):
                if name not in spec.caller_lists:
                    out.append(
                        _finding(
                            "undefined-caller-list", nid, f"caller list {name!r} is not defined"
                        )
                    )
        prompt = p.get("prompt")
        if isinstance(prompt, str) and prompt not in spec.prompts:
            out.append(_finding("undefined-prompt", nid, f"prompt {prompt!r} is not defined"))
        if kind.name == "subflow":
            fid = p["flow"]
            sub = flow.subflow(fid)
            if sub is None:
                out.append(_finding("undefined-subflow", nid, f"sub-flow {fid!r} is not defined"))
            else:
                chain = _recursion(flow, fid, (flow.id,))
                if chain:
                    out.append(
                        _finding(
                            "subflow-recursion",
                            nid,
                            f"sub-flow recursion: {' -> '.join(chain)}",
                        )
                    )

    # cycles that a silent caller never leaves
    silent = nx.DiGraph()
    silent.add_nodes_from(spec.nodes)
    for node, nspec in spec.nodes.items():
        kind = flow.kind_of(node)
        if kind.terminal:
            continue
        for label in _fallback_labels(kind.name, nspec.params, nspec.edges):
            target = nspec.edges.get(label)
            if target is not None:
                silent.add_edge(node, target)
    for comp in nx.strongly_connected_components(silent):
        nodes = sorted(comp)
        if len(nodes) > 1 or silent.has_edge(nodes[0], nodes[0]):
            if not (set(nodes) & reachable):
                continue
            out.append(
                _finding(
                    "trap-cycle",
                    at + nodes[0],
                    "a caller who presses nothing loops through " + ", ".join(nodes),
                )
            )

    # prompts in every language of the flow
    for pid, variants in spec.prompts.items():
        missing = [lang for lang in spec.languages if lang not in variants]
        if missing:
            out.append(
                _finding(
                    "prompt-missing-language",
                    None,
                    f"prompt {pid!r} has no {', '.join(missing)} version",
                )
            )
    for node, nspec in spec.nodes.items():
        inline = nspec.params.get("prompt")
        if isinstance(inline, Mapping):
            missing = [lang for lang in spec.languages if lang not in inline]
            if missing:
                out.append(
                    _finding(
                        "prompt-missing-language",
                        at + node,
                        f"the inline prompt has no {', '.join(missing)} version",
                    )
                )

    for sid in spec.subflows:
        sub = flow.subflow(sid)
        if sub is not None and sid not in seen:
            out.extend(check_flow(sub, f"{at}{sid}/", seen | {flow.id}))
    return sorted(out, key=lambda f: (f.code, f.node or "", f.message))


def _recursion(flow: Flow, fid: str, stack: tuple[str, ...]) -> tuple[str, ...] | None:
    """The chain of flow ids if entering ``fid`` from ``stack`` ever re-enters a flow."""
    if fid in stack:
        return (*stack, fid)
    sub = flow.subflow(fid)
    if sub is None:
        return None
    for node in sub.spec.nodes.values():
        if node.kind == "subflow":
            chain = _recursion(sub, node.params["flow"], (*stack, fid))
            if chain:
                return chain
    return None


def _menu_findings(flow: Flow, node: str, nid: str) -> list[Finding]:
    spec = flow.node(node)
    kind = flow.kind_of(node)
    p = spec.params
    edges = spec.edges
    out: list[Finding] = []
    specials = {
        "operator": p.get("operator_key"),
        "back": p.get("back_key"),
    }
    for label, key in specials.items():
        if key is not None and label not in edges:
            out.append(
                _finding("key-without-edge", nid, f"{label}_key {key!r} has no {label!r} edge")
            )
        if key is None and label in edges:
            out.append(_finding("edge-without-key", nid, f"the {label!r} edge has no {label}_key"))
    taken = {k: name for name, k in (*specials.items(), ("repeat", p.get("repeat_key"))) if k}
    for label in edges:
        if label in KEYS and label in taken:
            out.append(
                _finding(
                    "edge-without-key",
                    nid,
                    f"key {label!r} is the {taken[label]} key: its option edge is never taken",
                )
            )
    for key in param(p, kind, "voice"):
        if key not in edges and key not in taken:
            out.append(
                _finding(
                    "key-without-edge", nid, f"voice keywords for key {key!r}, which has no edge"
                )
            )
    prompt = p.get("prompt")
    variants = flow.spec.prompts.get(prompt, {}) if isinstance(prompt, str) else (prompt or {})
    for lang, item in variants.items():
        text = item.get("text") if isinstance(item, Mapping) else item
        for key in _PRESS.findall(text or ""):
            if key not in edges and key not in taken:
                out.append(
                    _finding(
                        "key-without-edge",
                        nid,
                        f"the {lang} prompt offers key {key!r}, which has no edge",
                    )
                )
    return out
