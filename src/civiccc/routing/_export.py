"""Flows for people: Graphviz DOT and Mermaid text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civiccc.routing._flow import Flow

__all__ = ["to_dot", "to_mermaid"]

_DOT_SHAPES = {
    "entry": "oval",
    "announcement": "note",
    "menu": "box",
    "language": "box",
    "emergency_check": "diamond",
    "holiday_check": "diamond",
    "hours_check": "diamond",
    "schedule": "diamond",
    "classify": "diamond",
    "condition": "diamond",
    "set": "cds",
    "dial_by_extension": "box3d",
    "dial_by_name": "box3d",
    "subflow": "component",
}


def _detail(flow: Flow, node: str) -> str:
    spec = flow.node(node)
    p = spec.params
    if "calendar" in p:
        return f"{spec.kind} {p['calendar']}"
    if spec.kind == "set":
        return "set " + ", ".join(f"{k}={v}" for k, v in p["variables"].items())
    if spec.kind == "condition":
        return f"condition {p['variable']}"
    if spec.kind == "subflow":
        return f"subflow {p['flow']}"
    if flow.kind_of(node).terminal:
        target = p.get("target", node)
        extra = f" p{p['priority']}" if "priority" in p else ""
        return f"{spec.kind} {target}{extra}"
    return spec.kind


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_quote(text: str) -> str:
    return '"' + _dot_escape(text) + '"'


def to_dot(flow: Flow) -> str:
    """Graphviz DOT text: one node per flow node (shape by kind), edges labelled.

    Terminal nodes are drawn with a double border.
    """
    lines = [
        f"digraph {_dot_quote(flow.id)} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
        '  edge [fontname="Helvetica"];',
    ]
    for node, spec in flow.spec.nodes.items():
        kind = flow.kind_of(node)
        shape = _DOT_SHAPES.get(spec.kind, "hexagon" if not kind.terminal else "box")
        label = f'"{_dot_escape(node)}\\n{_dot_escape(_detail(flow, node))}"'
        attrs = [f"label={label}", f"shape={shape}"]
        if kind.terminal:
            attrs.append("peripheries=2")
        lines.append(f"  {_dot_quote(node)} [{', '.join(attrs)}];")
    for node, spec in flow.spec.nodes.items():
        for label, target in spec.edges.items():
            lines.append(
                f"  {_dot_quote(node)} -> {_dot_quote(target)} [label={_dot_quote(label)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mm_text(text: str) -> str:
    out = text.replace("#", "#35;").replace('"', "#quot;").replace("*", "#42;")
    return out.replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(flow: Flow) -> str:
    """Mermaid ``flowchart`` text (node ids are made Mermaid-safe; labels keep the real ids)."""
    ids = {node: f"n{i}" for i, node in enumerate(flow.spec.nodes)}
    lines = ["flowchart LR"]
    for node, spec in flow.spec.nodes.items():
        kind = flow.kind_of(node)
        text = f'"{_mm_text(node)}<br/>{_mm_text(_detail(flow, node))}"'
        if spec.kind == "entry":
            shape = f"([{text}])"
        elif kind.terminal:
            shape = f"[[{text}]]"
        elif spec.kind in _DOT_SHAPES and _DOT_SHAPES[spec.kind] == "diamond":
            shape = f"{{{text}}}"
        else:
            shape = f"[{text}]"
        lines.append(f"  {ids[node]}{shape}")
    for node, spec in flow.spec.nodes.items():
        for label, target in spec.edges.items():
            lines.append(f'  {ids[node]} -->|"{_mm_text(label)}"| {ids[target]}')
    return "\n".join(lines) + "\n"
