"""Plugin node kinds: the entry-point group ``civiccc.routing.nodes`` and register_node_kind().

An entry point names an object that is a :class:`NodeKind`, a mapping of its fields, or a
callable returning either. Entry points are read lazily: a plugin is imported only when a flow
uses its kind (or :func:`node_kinds` lists everything), and a plugin that fails to load or to
validate raises :class:`~civiccc.errors.PluginError` naming the distribution that supplied it.
"""

from __future__ import annotations

import importlib.metadata as md
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from civiccc.errors import ConfigError, PluginError
from civiccc.routing._kinds import BUILTIN_KINDS, NodeKind, Param, is_identifier

__all__ = ["GROUP", "lookup_kind", "node_kinds", "register_node_kind"]

#: The entry-point group plugin node kinds register in.
GROUP = "civiccc.routing.nodes"

_lock = threading.Lock()
_registered: dict[str, NodeKind] = {}
_loaded: dict[str, NodeKind] = {}


def _entry_points() -> dict[str, md.EntryPoint]:
    out: dict[str, md.EntryPoint] = {}
    for ep in md.entry_points(group=GROUP):
        out.setdefault(ep.name, ep)
    return out


def _dist_name(ep: md.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) if dist is not None else None


def _coerce(obj: Any, name: str, dist: str | None) -> NodeKind:
    """Turn what a plugin supplied into a validated NodeKind (PluginError otherwise)."""

    def fail(msg: str) -> PluginError:
        return PluginError(msg, group=GROUP, name=name, dist=dist)

    if callable(obj) and not isinstance(obj, NodeKind):
        try:
            obj = obj()
        except Exception as exc:
            msg = f"the factory raised {type(exc).__name__}: {exc}"
            raise fail(msg) from exc
    if isinstance(obj, Mapping):
        fields = dict(obj)
        params = fields.get("params", {})
        if isinstance(params, Mapping):
            try:
                fields["params"] = {
                    k: (v if isinstance(v, Param) else Param(**v)) for k, v in params.items()
                }
            except (TypeError, ValueError) as exc:
                msg = f"bad parameter declaration: {exc}"
                raise fail(msg) from exc
        if "labels" in fields:
            fields["labels"] = tuple(fields["labels"])
        fields.setdefault("name", name)
        try:
            obj = NodeKind(**fields)
        except (TypeError, ValueError) as exc:
            msg = f"bad node kind declaration: {exc}"
            raise fail(msg) from exc
    if not isinstance(obj, NodeKind):
        msg = f"expected a NodeKind (or a mapping of its fields), got {type(obj).__name__}"
        raise fail(msg)
    if obj.name != name:
        msg = f"the entry point is named {name!r} but the kind calls itself {obj.name!r}"
        raise fail(msg)
    if not is_identifier(name) or "." in name:
        msg = "a kind name is an identifier (letters, digits, '_', '-')"
        raise fail(msg)
    if name in BUILTIN_KINDS:
        msg = f"{name!r} is a built-in kind and cannot be replaced"
        raise fail(msg)
    if obj.decide is None or not callable(obj.decide):
        msg = "a plugin kind needs a decide(params, call) -> label function"
        raise fail(msg)
    if obj.compile is not None and not callable(obj.compile):
        msg = "compile must be callable: compile(params) -> (call -> label)"
        raise fail(msg)
    if obj.terminal or obj.consumes_input:
        msg = "plugin kinds decide a branch; they cannot be terminal or read caller input"
        raise fail(msg)
    for label in obj.labels:
        if not isinstance(label, str) or not is_identifier(label):
            msg = f"edge label {label!r} is not an identifier"
            raise fail(msg)
    for pname, p in obj.params.items():
        if not isinstance(p, Param):
            msg = f"parameter {pname!r} is not a Param"
            raise fail(msg)
        if pname in ("kind", "edges"):
            msg = f"parameter name {pname!r} is reserved"
            raise fail(msg)
    return attrs.evolve(obj, dist=dist)


def register_node_kind(
    kind: NodeKind | str,
    *,
    decide: Callable[..., str] | None = None,
    labels: Sequence[str] = (),
    params: Mapping[str, Param | Mapping[str, Any]] | None = None,
    dynamic_labels: Callable[[Mapping[str, Any]], Sequence[str]] | None = None,
    compile: Callable[..., Any] | None = None,
    doc: str = "",
    replace: bool = False,
) -> NodeKind:
    """Register a node kind in this process (for notebooks and tests).

    Either pass a :class:`NodeKind`, or its name and fields. The kind is validated like an
    entry-point plugin; registering a name twice needs ``replace=True``.

    Returns:
        The registered (validated) kind.

    Raises:
        PluginError: The declaration is invalid or the name is taken.
    """
    if isinstance(kind, NodeKind):
        obj: Any = kind
        name = kind.name
    else:
        name = kind
        fields: dict[str, Any] = {
            "name": name,
            "decide": decide,
            "labels": tuple(labels),
            "params": dict(params or {}),
            "compile": compile,
            "doc": doc,
        }
        if dynamic_labels is not None:
            fields["dynamic_labels"] = dynamic_labels
        obj = fields
    validated = _coerce(obj, name, None)
    with _lock:
        if name in _registered and not replace:
            msg = "already registered (pass replace=True to replace it)"
            raise PluginError(msg, group=GROUP, name=name)
        _registered[name] = validated
    return validated


def unregister_node_kind(name: str) -> None:
    """Forget a kind registered with :func:`register_node_kind` (for tests)."""
    with _lock:
        _registered.pop(name, None)


def _load_entry_point(name: str) -> NodeKind | None:
    if name in _loaded:
        return _loaded[name]
    ep = _entry_points().get(name)
    if ep is None:
        return None
    dist = _dist_name(ep)
    try:
        obj = ep.load()
    except Exception as exc:
        msg = f"cannot load {ep.value!r}: {type(exc).__name__}: {exc}"
        raise PluginError(msg, group=GROUP, name=name, dist=dist) from exc
    kind = _coerce(obj, name, dist)
    with _lock:
        _loaded[name] = kind
    return kind


def lookup_kind(name: str, *, node: str | None = None, path: str | None = None) -> NodeKind:
    """The kind called ``name``: built-in, registered, or from an installed entry point."""
    builtin = BUILTIN_KINDS.get(name)
    if builtin is not None:
        return builtin
    registered = _registered.get(name)
    if registered is not None:
        return registered
    loaded = _load_entry_point(name)
    if loaded is not None:
        return loaded
    known = sorted({*BUILTIN_KINDS, *_registered, *_entry_points()})
    msg = f"unknown node kind {name!r} (known kinds: {', '.join(known)})"
    raise ConfigError(msg, path=path, node=node, value=name)


def node_kinds() -> dict[str, NodeKind]:
    """Every available kind by name: built-ins, registered kinds and installed plugins.

    Raises:
        PluginError: An installed plugin fails to load.
    """
    out = dict(BUILTIN_KINDS)
    out.update(_registered)
    for name in _entry_points():
        if name not in out:
            kind = _load_entry_point(name)
            if kind is not None:
                out[name] = kind
    return dict(sorted(out.items()))
