from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from civiccc.events import Event, EventBus

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@attrs.frozen
class CallEvent(Event):
    call_id: str


@attrs.frozen
class CallAnswered(CallEvent):
    agent: str


def test_subscribers_of_a_base_class_receive_subclasses_in_order() -> None:
    bus = EventBus()
    log: list[str] = []
    bus.subscribe(CallEvent, lambda e: log.append(f"base:{e.call_id}"))
    bus.subscribe(CallAnswered, lambda e: log.append(f"answered:{e.agent}"))
    bus.subscribe(Event, lambda e: log.append("any"))
    bus.publish(CallAnswered(at=T0, call_id="c1", agent="a1"))
    bus.publish(CallEvent(at=T0, call_id="c2"))
    assert log == ["answered:a1", "base:c1", "any", "base:c2", "any"]


def test_unsubscribe_and_has_subscribers() -> None:
    bus = EventBus()
    assert not bus.has_subscribers(CallEvent)
    seen: list[Event] = []
    off = bus.subscribe(CallEvent, seen.append)
    assert bus.has_subscribers(CallAnswered)
    off()
    off()  # idempotent
    assert not bus.has_subscribers(CallAnswered)
    bus.publish(CallEvent(at=T0, call_id="x"))
    assert seen == []


def test_a_failing_handler_is_not_silently_dropped() -> None:
    bus = EventBus()

    def boom(event: Event) -> None:
        raise RuntimeError("handler failed")

    bus.subscribe(Event, boom)
    with pytest.raises(RuntimeError, match="handler failed"):
        bus.publish(CallEvent(at=T0, call_id="x"))


def test_events_are_frozen() -> None:
    e = CallEvent(at=T0, call_id="x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.call_id = "y"  # type: ignore[misc]
