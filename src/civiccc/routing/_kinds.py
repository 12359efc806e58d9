"""Node kinds: what each kind of flow node takes (parameters) and what it can answer (labels).

Built-in kinds and plugin kinds are declared the same way, with :class:`NodeKind` and
:class:`Param`; parameters of both are validated by :func:`validate_params`, so a plugin's
node gets the same located errors as a built-in one.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from civiccc.errors import ConfigError

if TYPE_CHECKING:
    from civiccc.routing._context import CallView

__all__ = [
    "BUILTIN_KINDS",
    "KEYS",
    "NodeKind",
    "Param",
    "validate_params",
]

#: DTMF keys a menu option may use.
KEYS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

#: Parameter types understood by :func:`validate_params`.
PARAM_TYPES = frozenset(
    {"str", "int", "bool", "str_list", "str_map", "prompt", "voice", "mapping", "ref", "any"}
)


@attrs.frozen(kw_only=True)
class Param:
    """One parameter of a node kind.

    Attributes:
        type: One of ``str``, ``int``, ``bool``, ``str_list`` (list of strings), ``str_map``
            (mapping of strings to strings), ``prompt`` (a prompt id or an inline mapping
            language -> text), ``voice`` (key -> language -> phrases), ``mapping`` (any
            mapping), ``ref`` (a callable, or ``"module:attribute"`` naming one) or ``any``.
        required: Whether the node must give it.
        default: The value used when it is not given.
        choices: Allowed values (for ``str`` and ``int``).
        min: Smallest allowed value (``int``).
        max: Largest allowed value (``int``).
        doc: One line for the format reference.
    """

    type: str = attrs.field(validator=attrs.validators.in_(PARAM_TYPES))
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    min: int | None = None
    max: int | None = None
    doc: str = ""


LabelsFn = Callable[[Mapping[str, Any]], Sequence[str]]
DecideFn = Callable[[Mapping[str, Any], "CallView"], str]
CompileFn = Callable[[Mapping[str, Any]], Callable[["CallView"], str]]


def _no_labels(params: Mapping[str, Any]) -> Sequence[str]:
    return ()


@attrs.frozen(kw_only=True)
class NodeKind:
    """The declaration of a node kind (built-in or plugin).

    Attributes:
        name: The ``kind:`` value in flow files (an identifier).
        labels: Edge labels the node can answer with, always.
        dynamic_labels: More labels computed from the node's parameters (menu keys, list names,
            condition values, a plugin's departments ...).
        open_labels: When true, any label is accepted (condition nodes: one label per value).
        params: The parameters, by name.
        terminal: The call ends here (queue, transfer, voicemail, disconnect).
        consumes_input: The node reads caller input (menus, directory search).
        decide: For plugin kinds: ``decide(params, call) -> label``.
        compile: For plugin kinds, optional: ``compile(params) -> (call -> label)``, called once
            per node when the flow is compiled (precompute here).
        doc: One paragraph for the format reference.
        dist: The distribution that supplied a plugin kind (``None`` for built-ins).
    """

    name: str
    labels: tuple[str, ...] = ()
    dynamic_labels: LabelsFn = _no_labels
    open_labels: bool = False
    params: Mapping[str, Param] = attrs.field(factory=dict)
    terminal: bool = False
    consumes_input: bool = False
    decide: DecideFn | None = None
    compile: CompileFn | None = None
    doc: str = ""
    dist: str | None = None

    @property
    def builtin(self) -> bool:
        """True for the kinds civiccc ships."""
        return self.name in BUILTIN_KINDS

    def all_labels(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """Every label a node of this kind with ``params`` may carry an edge for."""
        out = list(self.labels)
        for label in self.dynamic_labels(params):
            if label not in out:
                out.append(label)
        return tuple(out)


# --------------------------------------------------------------------------- validation


def _fail(msg: str, path: str, node: str | None, value: Any = None) -> ConfigError:
    return ConfigError(msg, path=path, node=node, value=value)


def _check_str_list(value: Any, path: str, node: str | None) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"expected a list of strings, got {type(value).__name__}"
        raise _fail(msg, path, node, value)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            msg = f"expected a string, got {type(item).__name__}"
            raise _fail(msg, f"{path}[{i}]", node, item)
    return list(value)


def check_prompt(value: Any, path: str, node: str | None) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, Mapping) or not value:
        msg = "expected a prompt id or a mapping of language to text/audio"
        raise _fail(msg, path, node, value)
    for lang, item in value.items():
        if not isinstance(lang, str):
            msg = "language codes must be strings"
            raise _fail(msg, path, node, lang)
        if isinstance(item, str):
            continue
        if isinstance(item, Mapping) and set(item) <= {"text", "audio"} and item:
            for key, text in item.items():
                if not isinstance(text, str):
                    msg = f"{key} must be a string"
                    raise _fail(msg, f"{path}.{lang}.{key}", node, text)
            continue
        msg = "expected text, or a mapping with 'text' and/or 'audio'"
        raise _fail(msg, f"{path}.{lang}", node, item)


def _check_voice(value: Any, path: str, node: str | None) -> None:
    if not isinstance(value, Mapping):
        msg = "expected a mapping of key to language to phrases"
        raise _fail(msg, path, node, value)
    for key, langs in value.items():
        if not isinstance(langs, Mapping):
            msg = "expected a mapping of language to a list of phrases"
            raise _fail(msg, f"{path}.{key}", node, langs)
        for lang, phrases in langs.items():
            _check_str_list(phrases, f"{path}.{key}.{lang}", node)


def resolve_ref(value: Any, path: str, node: str | None) -> Callable[..., Any]:
    """Turn a ``ref`` parameter (a callable or ``"module:attr"``) into the callable."""
    if callable(value):
        fn: Callable[..., Any] = value
        return fn
    if not isinstance(value, str) or value.count(":") != 1:
        msg = "expected a callable or 'module:attribute'"
        raise _fail(msg, path, node, value)
    module_name, attr = value.split(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        msg = f"cannot import {value!r}: {exc}"
        raise _fail(msg, path, node, value) from exc
    if not callable(obj):
        msg = f"{value!r} is not callable"
        raise _fail(msg, path, node, value)
    found: Callable[..., Any] = obj
    return found


def _check_value(p: Param, value: Any, path: str, node: str | None) -> None:
    t = p.type
    if t == "str":
        if not isinstance(value, str):
            msg = f"expected a string, got {type(value).__name__}"
            raise _fail(msg, path, node, value)
    elif t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"expected an integer, got {type(value).__name__}"
            raise _fail(msg, path, node, value)
        if p.min is not None and value < p.min:
            msg = f"must be >= {p.min}, got {value}"
            raise _fail(msg, path, node, value)
        if p.max is not None and value > p.max:
            msg = f"must be <= {p.max}, got {value}"
            raise _fail(msg, path, node, value)
    elif t == "bool":
        if not isinstance(value, bool):
            msg = f"expected true or false, got {value!r}"
            raise _fail(msg, path, node, value)
    elif t == "str_list":
        _check_str_list(value, path, node)
    elif t == "str_map":
        if not isinstance(value, Mapping):
            msg = f"expected a mapping, got {type(value).__name__}"
            raise _fail(msg, path, node, value)
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                msg = "expected string keys and string values"
                raise _fail(msg, f"{path}.{k}", node, v)
    elif t == "prompt":
        check_prompt(value, path, node)
    elif t == "voice":
        _check_voice(value, path, node)
    elif t == "mapping":
        if not isinstance(value, Mapping):
            msg = f"expected a mapping, got {type(value).__name__}"
            raise _fail(msg, path, node, value)
    elif t == "ref":
        resolve_ref(value, path, node)
    if p.choices is not None and value not in p.choices:
        msg = f"must be one of {', '.join(map(repr, p.choices))}, got {value!r}"
        raise _fail(msg, path, node, value)


def validate_params(kind: NodeKind, params: Mapping[str, Any], node: str, base: str) -> None:
    """Check a node's parameters against its kind; raise a located ConfigError.

    Args:
        kind: The node's kind.
        params: The parameters as written (without ``kind`` and ``edges``).
        node: The node id (for the error).
        base: The path of the node inside the document, e.g. ``nodes.main_menu``.
    """
    for name, value in params.items():
        spec = kind.params.get(name)
        if spec is None:
            known = ", ".join(sorted(kind.params)) or "none"
            msg = f"unknown field {name!r} for kind {kind.name!r} (fields: {known})"
            raise _fail(msg, f"{base}.{name}", node, value)
        _check_value(spec, value, f"{base}.{name}", node)
    for name, spec in kind.params.items():
        if spec.required and name not in params:
            msg = f"missing required field {name!r} for kind {kind.name!r}"
            raise _fail(msg, f"{base}.{name}", node)


def param(params: Mapping[str, Any], kind: NodeKind, name: str) -> Any:
    """The value of parameter ``name``, or its declared default."""
    if name in params:
        return params[name]
    return kind.params[name].default


def is_identifier(name: str) -> bool:
    """Node ids, labels of plugins and kind names: letters, digits, ``_ . -``."""
    return bool(_ID.match(name))


# --------------------------------------------------------------------------- built-in kinds


def _classify_labels(params: Mapping[str, Any]) -> Sequence[str]:
    return list(params.get("lists", ()))


_PROMPT = Param(type="prompt", doc="prompt id, or inline text per language")
_RETRIES = Param(type="int", default=0, min=0, max=9, doc="re-prompts before the fallback edge")
_KEY = Param(type="str", choices=KEYS)
_CAL = Param(type="str", required=True, doc="id of a calendar")
_SCOPE = Param(type="str", doc="emergency scope passed to the calendar")
_TARGET = Param(type="str", doc="target id in the decision (default: the node id)")
_CARRY = Param(type="bool", doc="carry the flow variables into the decision")
_GROUPS = Param(type="str_list", default=(), doc="directory groups")


def _builtin_kinds() -> dict[str, NodeKind]:
    kinds = [
        NodeKind(
            name="entry",
            labels=("next",),
            params={"description": Param(type="str")},
            doc="Where every call starts (exactly one per flow).",
        ),
        NodeKind(
            name="announcement",
            labels=("next",),
            params={"prompt": Param(type="prompt", required=True, doc=_PROMPT.doc)},
            doc="Plays a greeting or message (text or audio, per language), then goes on.",
        ),
        NodeKind(
            name="menu",
            labels=(*KEYS, "invalid", "no_input", "operator", "back"),
            params={
                "prompt": _PROMPT,
                "retries": _RETRIES,
                "operator_key": Param(type="str", choices=KEYS, doc="key for the operator edge"),
                "repeat_key": Param(type="str", choices=KEYS, doc="key that replays the menu"),
                "back_key": Param(type="str", choices=KEYS, doc="key for the back edge"),
                "voice": Param(type="voice", default={}, doc="key -> language -> phrases"),
            },
            consumes_input=True,
            doc=(
                "Reads one key (or a recognised phrase) and follows the edge labelled with it. "
                "A key without an edge is `invalid`; no input is `no_input` (or `invalid` when "
                "there is no `no_input` edge); each counts against `retries` first."
            ),
        ),
        NodeKind(
            name="language",
            labels=("next", "invalid", "no_input"),
            params={
                "prompt": _PROMPT,
                "retries": _RETRIES,
                "languages": Param(type="str_map", required=True, doc="key -> language code"),
                "variable": Param(type="str", default="lang", doc="variable that is set"),
                "voice": Param(type="voice", default={}, doc="key -> language -> phrases"),
            },
            consumes_input=True,
            doc="Language selection: a key sets the `lang` variable, then `next`.",
        ),
        NodeKind(
            name="emergency_check",
            labels=("on", "off"),
            params={"calendar": _CAL, "scope": _SCOPE},
            doc="`on` while the calendar's emergency switch is on, else `off`.",
        ),
        NodeKind(
            name="holiday_check",
            labels=("holiday", "regular"),
            params={"calendar": _CAL},
            doc="`holiday` on the calendar's holidays (judged on the local date), else `regular`.",
        ),
        NodeKind(
            name="hours_check",
            labels=("open", "closed"),
            params={"calendar": _CAL, "scope": _SCOPE},
            doc="`open` inside the calendar's opening hours, else `closed`.",
        ),
        NodeKind(
            name="schedule",
            labels=("emergency", "holiday", "closed", "open"),
            params={"calendar": _CAL, "scope": _SCOPE},
            doc=(
                "All of the above in one node: the calendar state's kind (the calendar "
                "decides: emergency > closure/deviation > holiday > weekly hours)."
            ),
        ),
        NodeKind(
            name="classify",
            labels=(
                "anonymous",
                "invalid",
                "foreign_mobile",
                "foreign",
                "mobile",
                "domestic",
                "default",
            ),
            dynamic_labels=_classify_labels,
            params={
                "region": Param(type="str", doc="region for national numbers (flow default)"),
                "home_regions": Param(type="str_list", doc="domestic regions (flow default)"),
                "lists": Param(type="str_list", default=(), doc="caller lists checked first"),
            },
            doc=(
                "Caller classification: a caller list the number is on (in the order given), "
                "else `anonymous`, `invalid`, `foreign_mobile`, `foreign`, `mobile`, "
                "`domestic`; a class without an edge falls back to `default`."
            ),
        ),
        NodeKind(
            name="set",
            labels=("next",),
            params={"variables": Param(type="str_map", required=True, doc="name -> value")},
            doc="Sets variables (e.g. `lang`), then `next`.",
        ),
        NodeKind(
            name="condition",
            labels=("default",),
            open_labels=True,
            params={"variable": Param(type="str", required=True, doc="variable to test")},
            doc="Follows the edge labelled with the variable's value, else `default`.",
        ),
        NodeKind(
            name="dial_by_extension",
            labels=("not_found",),
            params={"prompt": _PROMPT, "include": _GROUPS, "exclude": _GROUPS},
            consumes_input=True,
            doc=(
                "Reads a full extension (keys up to `#` or a timeout) and transfers to the "
                "directory entry; `not_found` otherwise."
            ),
        ),
        NodeKind(
            name="dial_by_name",
            labels=("not_found", "too_many"),
            params={
                "prompt": _PROMPT,
                "include": _GROUPS,
                "exclude": _GROUPS,
                "max_matches": Param(type="int", default=5, min=1, max=9),
            },
            consumes_input=True,
            doc=(
                "Reads a (partial) name on the keypad (`0` between first and last name, `#` "
                "ends) and transfers to the match; 2..5 matches are offered as a numbered "
                "choice, more are `too_many`, none `not_found`."
            ),
        ),
        NodeKind(
            name="subflow",
            params={"flow": Param(type="str", required=True, doc="id of the nested flow")},
            terminal=True,
            doc="Continues in a nested attendant; its decision is the call's decision.",
        ),
        NodeKind(
            name="queue",
            params={
                "target": _TARGET,
                "priority": Param(type="int", default=3, min=1, max=5, doc="1 = very high"),
                "carry_variables": Param(type="bool", default=True, doc=_CARRY.doc),
            },
            terminal=True,
            doc="Puts the call into a queue with a priority and the flow's variables.",
        ),
        NodeKind(
            name="transfer",
            params={
                "target": _TARGET,
                "number": Param(type="str", doc="external number (E.164) for the adapter"),
                "carry_variables": Param(type="bool", default=False, doc=_CARRY.doc),
            },
            terminal=True,
            doc="Transfers to a person or an external number.",
        ),
        NodeKind(
            name="voicemail",
            params={
                "target": _TARGET,
                "shared": Param(type="bool", default=False, doc="a shared (group) mailbox"),
                "prompt": _PROMPT,
                "carry_variables": Param(type="bool", default=False, doc=_CARRY.doc),
            },
            terminal=True,
            doc="Sends the call to a (shared) voicemail box.",
        ),
        NodeKind(
            name="disconnect",
            params={
                "target": _TARGET,
                "prompt": _PROMPT,
                "carry_variables": Param(type="bool", default=False, doc=_CARRY.doc),
            },
            terminal=True,
            doc="Plays an optional message and ends the call.",
        ),
    ]
    return {k.name: k for k in kinds}


#: The kinds civiccc ships, by name.
BUILTIN_KINDS: Mapping[str, NodeKind] = _builtin_kinds()

#: Terminal kinds and the decision ``kind`` they produce.
TERMINAL_DECISION_KIND: Mapping[str, str] = {
    "queue": "queue",
    "transfer": "transfer",
    "voicemail": "voicemail",
    "disconnect": "disconnect",
}
