"""A small typed event model and a synchronous publish/subscribe bus.

Engines publish frozen attrs events; adapters, loggers, KPI collectors and the simulator
subscribe to the classes they care about (a subscription to a base class receives its
subclasses).

Examples:
    >>> import attrs
    >>> from datetime import datetime, timezone
    >>> @attrs.frozen
    ... class Ping(Event):
    ...     text: str
    >>> bus = EventBus()
    >>> seen = []
    >>> unsubscribe = bus.subscribe(Ping, seen.append)
    >>> bus.publish(Ping(at=datetime(2025, 1, 1, tzinfo=timezone.utc), text="hi"))
    >>> [e.text for e in seen]
    ['hi']
    >>> unsubscribe()
    >>> bus.publish(Ping(at=datetime(2025, 1, 1, tzinfo=timezone.utc), text="again"))
    >>> len(seen)
    1
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import attrs

__all__ = ["Event", "EventBus", "Handler"]

_LOGGER = logging.getLogger(__name__)

E = TypeVar("E", bound="Event")
Handler = Callable[[Any], None]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event: the instant it happened (aware, UTC)."""

    at: datetime


class EventBus:
    """Synchronous, ordered publish/subscribe.

    Handlers run in subscription order, in the publisher's thread, before ``publish`` returns.
    A handler that raises propagates to the publisher (fail loudly; no silent drops).
    """

    __slots__ = ("_by_type", "_cache")

    def __init__(self) -> None:
        self._by_type: dict[type, list[Handler]] = {}
        self._cache: dict[type, tuple[Handler, ...]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler(event)`` for every published instance of ``event_type``.

        Returns a function that removes this subscription.
        """
        self._by_type.setdefault(event_type, []).append(handler)
        self._cache.clear()

        def unsubscribe() -> None:
            handlers = self._by_type.get(event_type, [])
            if handler in handlers:
                handlers.remove(handler)
                self._cache.clear()

        return unsubscribe

    def has_subscribers(self, event_type: type) -> bool:
        """Tell whether publishing ``event_type`` would reach anyone (to skip building events)."""
        return bool(self._handlers(event_type))

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to the handlers of its class and of its base classes."""
        for handler in self._handlers(type(event)):
            handler(event)

    def _handlers(self, event_type: type) -> tuple[Handler, ...]:
        cached = self._cache.get(event_type)
        if cached is None:
            found: list[Handler] = []
            for klass in event_type.__mro__:
                found.extend(self._by_type.get(klass, ()))
            cached = self._cache[event_type] = tuple(found)
        return cached
