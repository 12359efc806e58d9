"""The result of routing one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

__all__ = ["EMPTY_VARIABLES", "Decision", "make_decision"]

#: The shared, read-only empty variable mapping.
EMPTY_VARIABLES: Mapping[str, str] = MappingProxyType({})

_new = object.__new__


class Decision:
    """Where a call goes, and why.

    Attributes:
        target: The id of the terminal node's target (a queue, a person, a mailbox, ...).
        kind: ``"queue"``, ``"transfer"``, ``"voicemail"`` or ``"disconnect"``.
        priority: The call priority carried into a queue (1 = very high .. 5; 3 = normal),
            ``None`` for other kinds.
        variables: The flow variables carried with the call (e.g. ``{"lang": "fr"}``); read-only.
        path: The node ids visited, entry first (nested sub-flow nodes as ``"node/inner"``).
        trace: Human-readable lines saying why each branch was taken (built on first access).

    Two decisions are equal when they route the same way: same target, kind, priority,
    variables and path. The trace explains a decision and is compared separately.
    """

    __slots__ = ("_explain", "_fields", "_trace")

    _fields: tuple[str, str, int | None, Mapping[str, str], tuple[str, ...]]

    def __init__(
        self,
        *,
        target: str,
        kind: str,
        path: Sequence[str],
        variables: Mapping[str, str] | None = None,
        priority: int | None = None,
        trace: Sequence[str] | Callable[[], Sequence[str]] = (),
    ) -> None:
        frozen = MappingProxyType(dict(variables)) if variables else EMPTY_VARIABLES
        self._fields = (target, kind, priority, frozen, tuple(path))
        if callable(trace):
            self._explain: tuple[Any, ...] = (_call_without_path, trace)
        else:
            self._trace: tuple[str, ...] = tuple(trace)

    @property
    def target(self) -> str:
        """The id of the terminal node's target."""
        return self._fields[0]

    @property
    def kind(self) -> str:
        """``queue``, ``transfer``, ``voicemail`` or ``disconnect``."""
        return self._fields[1]

    @property
    def priority(self) -> int | None:
        """The queue priority (1..5), ``None`` for other kinds."""
        return self._fields[2]

    @property
    def variables(self) -> Mapping[str, str]:
        """The flow variables carried with the call (read-only)."""
        return self._fields[3]

    @property
    def path(self) -> tuple[str, ...]:
        """The node ids visited, entry first."""
        return self._fields[4]

    @property
    def trace(self) -> tuple[str, ...]:
        """Why each branch was taken, one line per step."""
        try:
            return self._trace
        except AttributeError:
            fn, *args = self._explain
            self._trace = tuple(fn(*args, self.path))
            return self._trace

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        a, b = self._fields, other._fields
        return a[:3] == b[:3] and a[4] == b[4] and dict(a[3]) == dict(b[3])

    def __hash__(self) -> int:
        f = self._fields
        return hash((f[0], f[1], f[2], f[4]))

    def __repr__(self) -> str:
        return (
            f"Decision(target={self.target!r}, kind={self.kind!r}, priority={self.priority!r}, "
            f"variables={dict(self.variables)!r}, path={self.path!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain data (for JSON output and logs)."""
        return {
            "target": self.target,
            "kind": self.kind,
            "priority": self.priority,
            "variables": dict(self.variables),
            "path": list(self.path),
            "trace": list(self.trace),
        }


def _call_without_path(fn: Callable[[], Sequence[str]], path: tuple[str, ...]) -> Sequence[str]:
    return fn()


def make_decision(
    target: str,
    kind: str,
    priority: int | None,
    variables: Mapping[str, str],
    path: tuple[str, ...],
    explain: tuple[Any, ...],
) -> Decision:
    """Build a decision without validation (the compiled hot path).

    ``explain`` is ``(function, *arguments)``; the trace is ``function(*arguments, path)``,
    computed on first access.
    """
    d: Decision = _new(Decision)
    d._fields = (target, kind, priority, variables, path)
    d._explain = explain
    return d
