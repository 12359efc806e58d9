"""Routing: auto attendants (IVR flows) as networkx graphs, compiled for the hot path.

>>> from datetime import datetime, timezone
>>> from civiccc.routing import load_flow
>>> flow = load_flow({
...     "id": "tiny",
...     "nodes": {
...         "entry": {"kind": "entry", "edges": {"next": "menu"}},
...         "menu": {"kind": "menu", "edges": {"1": "desk", "invalid": "bye"}},
...         "desk": {"kind": "queue", "target": "citizen_desk"},
...         "bye": {"kind": "disconnect"},
...     },
... })
>>> d = flow.route("+1 604 555 0100", datetime(2025, 3, 3, 17, tzinfo=timezone.utc), "1")
>>> d.target, d.path
('citizen_desk', ('entry', 'menu', 'desk'))
"""

from __future__ import annotations

from civiccc.routing._checks import Finding
from civiccc.routing._compile import Suspended
from civiccc.routing._context import CallView
from civiccc.routing._decision import Decision
from civiccc.routing._flow import Flow, Prompt, load_flow
from civiccc.routing._kinds import NodeKind, Param
from civiccc.routing._plugins import node_kinds, register_node_kind, unregister_node_kind
from civiccc.routing._reference import reference_walk
from civiccc.routing._session import Session

__all__ = [
    "CallView",
    "Decision",
    "Finding",
    "Flow",
    "NodeKind",
    "Param",
    "Prompt",
    "Session",
    "Suspended",
    "load_flow",
    "node_kinds",
    "reference_walk",
    "register_node_kind",
    "schema_path",
    "unregister_node_kind",
]


def schema_path() -> str:
    """The path of the flow format's JSON Schema file shipped in this package."""
    from importlib.resources import files

    return str(files("civiccc.routing").joinpath("flow.schema.json"))
