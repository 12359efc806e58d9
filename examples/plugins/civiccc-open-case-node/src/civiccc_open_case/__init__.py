"""``open_case``: route a caller with an open case straight to the case's department.

The node declares its parameters (validated by civiccc like a built-in kind's), its edge labels
(``no_case`` plus one per department) and a decision function; civiccc calls ``compile`` once
per node when it compiles a flow, so the hot path is a dictionary lookup.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from civiccc.numbers import Classifier
from civiccc.routing import CallView, NodeKind, Param

__all__ = ["OPEN_CASE", "compile_open_case", "decide_open_case"]

Lookup = Callable[[str], "str | None"]


def _departments(params: Mapping[str, Any]) -> Sequence[str]:
    return list(params.get("departments", ()))


def _resolve(params: Mapping[str, Any]) -> Lookup:
    """One lookup function ``e164 -> department | None`` from ``cases`` and/or ``lookup``."""
    region = params.get("region", "CA")
    classifier = Classifier(region, memo_size=0)
    table: dict[str, str] = {}
    for number, department in params.get("cases", {}).items():
        e164 = classifier.classify(number).e164
        if e164 is not None:
            table[e164] = department
    ref = params.get("lookup")
    if ref is None:
        return table.get
    fn = _import(ref) if isinstance(ref, str) else ref

    def lookup(e164: str) -> str | None:
        hit = table.get(e164)
        if hit is not None:
            return hit
        found = fn(e164)
        return str(found) if found is not None else None

    return lookup


def _import(ref: str) -> Lookup:
    """``"module:attr"`` -> the object (civiccc has already checked that it imports)."""
    module_name, attr = ref.split(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    found: Lookup = obj
    return found


def _label(department: str | None, departments: Sequence[str]) -> str:
    return department if department is not None and department in departments else "no_case"


def decide_open_case(params: Mapping[str, Any], call: CallView) -> str:
    """The plain decision: the department of the caller's open case, or ``no_case``."""
    e164 = call.e164
    if e164 is None:
        return "no_case"
    return _label(_resolve(params)(e164), _departments(params))


def compile_open_case(params: Mapping[str, Any]) -> Callable[[CallView], str]:
    """Prepare the lookup once; the returned function is what the compiled flow calls."""
    lookup = _resolve(params)
    departments = frozenset(_departments(params))

    def decide(call: CallView) -> str:
        e164 = call.e164
        if e164 is None:
            return "no_case"
        department = lookup(e164)
        return department if department is not None and department in departments else "no_case"

    return decide


OPEN_CASE = NodeKind(
    name="open_case",
    labels=("no_case",),
    dynamic_labels=_departments,
    params={
        "departments": Param(type="str_list", required=True, doc="department labels"),
        "cases": Param(type="str_map", default={}, doc="caller number -> department"),
        "lookup": Param(type="ref", doc="callable e164 -> department (or None)"),
        "region": Param(type="str", default="CA", doc="region for numbers in `cases`"),
    },
    decide=decide_open_case,
    compile=compile_open_case,
    doc="Routes a caller with an open case to the case's department; else `no_case`.",
)
