"""The one errors module of civiccc.

Every exception civiccc raises on purpose derives from :class:`CivicccError`. Subclasses also
derive from the builtin they mean (``ConfigError`` is a ``ValueError``), so callers that do not
know civiccc can still catch them, and they carry data (a location, a state, an event), not
only text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CivicccError",
    "ConcurrencyError",
    "ConfigError",
    "InvalidTransition",
    "NoOpenTimeError",
    "NotFoundError",
    "PermissionDenied",
    "PluginError",
    "PolicyViolation",
    "StoreError",
]


class CivicccError(Exception):
    """Base class of every error civiccc raises on purpose."""


class ConfigError(CivicccError, ValueError):
    """Bad configuration or input data, with the location of the bad field.

    Args:
        message: What is wrong, in words.
        path: Dotted path of the bad field inside the document, e.g. ``hours.mon[1]``.
        file: The file the document came from, when there was one.
        node: The id of the node (flow node, queue, service, ...) the field belongs to.
        value: The offending value, when useful.

    The string form puts the location first: ``city.yaml: nodes.main_menu.options.1: ...``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        file: str | None = None,
        node: str | None = None,
        value: Any = None,
    ) -> None:
        self.message = message
        self.path = path
        self.file = file
        self.node = node
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = [str(p) for p in (self.file, self.path) if p]
        prefix = ": ".join(where)
        node = (
            f"node {self.node!r}: "
            if self.node and (not self.path or self.node not in self.path)
            else ""
        )
        return f"{prefix}: {node}{self.message}" if prefix else f"{node}{self.message}"

    def at(self, *, file: str | None = None, prefix: str | None = None) -> ConfigError:
        """Return a copy located inside ``file`` and/or under the path ``prefix``."""
        path = self.path
        if prefix:
            path = (
                f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path or ''}"
            )
        return ConfigError(
            self.message, path=path, file=file or self.file, node=self.node, value=self.value
        )


class InvalidTransition(CivicccError, RuntimeError):
    """An event that the state machine does not allow in the current state.

    Args:
        machine: Which state machine (``"agent"``, ``"case"``, ``"call"``, ...).
        state: The current state.
        event: The event that was refused.
        entity: The id of the agent, case or call concerned.
    """

    def __init__(self, machine: str, state: str, event: str, entity: str | None = None) -> None:
        self.machine = machine
        self.state = state
        self.event = event
        self.entity = entity
        who = f" {entity!r}" if entity is not None else ""
        super().__init__(f"{machine}{who}: event {event!r} is not allowed in state {state!r}")


class NoOpenTimeError(CivicccError, LookupError):
    """A calendar has no open time within the search horizon (e.g. an emergency left on)."""


class PolicyViolation(CivicccError, RuntimeError):
    """An action refused by a configured rule (e.g. a logout that would break coverage)."""


class PermissionDenied(CivicccError, PermissionError):
    """The acting user's role does not allow the action."""


class NotFoundError(CivicccError, KeyError):
    """An id (case, queue, agent, calendar, node, ...) that does not exist."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


class StoreError(CivicccError):
    """A persistence failure (schema, migration, corrupted data)."""


class ConcurrencyError(StoreError):
    """An update lost a race: the record changed since it was read (optimistic versioning)."""


class PluginError(CivicccError):
    """A plugin that failed to load or does not satisfy its protocol.

    Args:
        message: What is wrong.
        group: The entry-point group.
        name: The entry-point name.
        dist: The distribution that supplied it, when known.
    """

    def __init__(self, message: str, *, group: str, name: str, dist: str | None = None) -> None:
        self.group = group
        self.name = name
        self.dist = dist
        origin = f" (from {dist})" if dist else ""
        super().__init__(f"plugin {name!r} in group {group!r}{origin}: {message}")
