"""The JSON Schema of flow documents, generated from the built-in node kinds.

The package ships the result as ``flow.schema.json`` (a test checks that the file is current).
Plugin kinds are allowed by the schema with any parameters; civiccc validates them on load.
"""

from __future__ import annotations

import json
from typing import Any

from civiccc.routing._kinds import BUILTIN_KINDS, Param

__all__ = ["flow_schema", "schema_text"]

_STR_LIST = {"type": "array", "items": {"type": "string"}}
_PROMPT_VARIANT = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"text": {"type": "string"}, "audio": {"type": "string"}},
            "additionalProperties": False,
            "minProperties": 1,
        },
    ]
}
_PROMPT = {"type": "object", "additionalProperties": _PROMPT_VARIANT, "minProperties": 1}


def _param_schema(p: Param) -> dict[str, Any]:
    out: dict[str, Any]
    if p.type == "str":
        out = {"type": "string"}
    elif p.type == "int":
        out = {"type": "integer"}
        if p.min is not None:
            out["minimum"] = p.min
        if p.max is not None:
            out["maximum"] = p.max
    elif p.type == "bool":
        out = {"type": "boolean"}
    elif p.type == "str_list":
        out = dict(_STR_LIST)
    elif p.type == "str_map":
        out = {"type": "object", "additionalProperties": {"type": "string"}}
    elif p.type == "prompt":
        out = {"oneOf": [{"type": "string"}, _PROMPT]}
    elif p.type == "voice":
        out = {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": _STR_LIST},
        }
    elif p.type in ("mapping",):
        out = {"type": "object"}
    elif p.type == "ref":
        out = {"type": "string", "pattern": "^[A-Za-z_][\\w.]*:[A-Za-z_][\\w.]*$"}
    else:
        out = {}
    if p.choices is not None:
        out["enum"] = list(p.choices)
    if p.doc:
        out["description"] = p.doc
    return out


def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow document."""
    kinds = []
    for kind in BUILTIN_KINDS.values():
        props: dict[str, Any] = {"kind": {"const": kind.name}}
        props.update({name: _param_schema(p) for name, p in kind.params.items()})
        edges: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
        if not kind.open_labels and kind.name not in ("classify",):
            edges["propertyNames"] = {"enum": list(kind.labels)}
        if kind.terminal:
            edges["maxProperties"] = 0
        props["edges"] = edges
        then: dict[str, Any] = {"properties": props, "additionalProperties": False}
        required = [name for name, p in kind.params.items() if p.required]
        if required:
            then["required"] = required
        kinds.append({"if": {"properties": {"kind": {"const": kind.name}}}, "then": then})
    node = {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "description": "a built-in kind or an installed plugin"},
            "edges": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "allOf": kinds,
    }
    entry = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "extension": {"type": "string", "pattern": "^[0-9]+$"},
            "groups": _STR_LIST,
            "target": {"type": "string"},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "civiccc routing flow",
        "description": "An auto attendant: nodes with labelled edges (see docs/routing.md).",
        "type": "object",
        "required": ["id", "nodes"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.\\-]*$"},
            "description": {"type": "string"},
            "entry": {"type": "string"},
            "region": {"type": "string"},
            "home_regions": _STR_LIST,
            "languages": _STR_LIST,
            "variables": {"type": "object", "additionalProperties": {"type": "string"}},
            "queues": _STR_LIST,
            "prompts": {"type": "object", "additionalProperties": _PROMPT},
            "directory": {"type": "array", "items": {"$ref": "#/$defs/directory_entry"}},
            "caller_lists": {"type": "object", "additionalProperties": _STR_LIST},
            "calendars": {"type": ["string", "object", "array"]},
            "subflows": {"type": "object", "additionalProperties": {"$ref": "#"}},
            "nodes": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_.\\-]*$"},
                "additionalProperties": {"$ref": "#/$defs/node"},
            },
        },
        "$defs": {"node": node, "directory_entry": entry},
    }


def schema_text() -> str:
    """The schema as the JSON text shipped in ``flow.schema.json``."""
    return json.dumps(flow_schema(), indent=2, ensure_ascii=False) + "\n"
