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

    __slots__ = ("_explain", "_trace", "kind", "path", "priority", "target", "variables")

    target: str
    kind: str
    priority: int | None
    variables: Mapping[str, str]
    path: tuple[str, ...]

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
        self.target = target
        self.kind = kind
        self.priority = priority
        self.variables = MappingProxyType(dict(variables)) if variables else EMPTY_VARIABLES
        self.path = tuple(path)
        if callable(trace):
            self._trace: tuple[str, ...] | None = None
            self._explain: tuple[Any, ...] | None = (_call_without_path, trace)
        else:
            self._trace = tuple(trace)
            self._explain = None

    @property
    def trace(self) -> tuple[str, ...]:
        """Why each branch was taken, one line per step."""
        if self._trace is None:
            assert self._explain is not None
            fn, *args = self._explain
            self._trace = tuple(fn(*args, self.path))
            self._explain = None
        return self._trace

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return (
            self.target == other.target
            and self.kind == other.kind
            and self.priority == other.priority
            and self.path == other.path
            and dict(self.variables) == dict(other.variables)
        )

    def __hash__(self) -> int:
        return hash((self.target, self.kind, self.priority, self.path))

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
    d.target = target
    d.kind = kind
    d.priority = priority
    d.variables = variables
    d.path = path
    d._trace = None
    d._explain = explain
    return d
