"""Checks of what callers pass to ``Flow.route`` and sessions, with errors naming the argument.

The compiled hot path does not call these on every call: it checks the inputs string and the
caller when its decision memo misses, and diagnoses the arguments only when a call fails with
an ``AttributeError``/``TypeError``/``OverflowError`` (see ``Engine._route_function``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError
from civiccc.routing._kinds import KEYS

__all__ = [
    "DTMF",
    "call_error",
    "check_caller",
    "check_inputs",
    "check_items",
    "check_keys",
    "check_phrase",
    "outside_range",
    "range_error",
]

#: the keys a telephone can send, as one string (``str.strip(DTMF)`` leaves anything else)
DTMF = "".join(KEYS)


def check_caller(caller: Any) -> None:
    """Refuse a caller that is neither a string nor ``None``."""
    if caller is not None and not isinstance(caller, str):
        msg = (
            f"expected the calling number as a string (or None for anonymous), "
            f"got {type(caller).__name__} {caller!r}"
        )
        raise ConfigError(msg, path="caller", value=caller)


def check_keys(keys: Any, what: str = "inputs") -> None:
    """Refuse a DTMF string with a character a telephone cannot send (``0-9 * #`` only)."""
    if not isinstance(keys, str):
        msg = f"expected a string of DTMF keys (0-9, *, #), got {type(keys).__name__} {keys!r}"
        raise ConfigError(msg, path=what, value=keys)
    rest = keys.strip(DTMF)
    if rest:
        bad = next(c for c in rest if c not in DTMF)
        msg = f"{bad!r} is not a DTMF key (0-9, *, #) in {keys!r}"
        if what == "inputs":
            msg += "; a caller can only press these (pass a sequence to feed phrases)"
        raise ConfigError(msg, path=what, value=keys)


def check_phrase(phrase: Any, what: str = "phrase") -> None:
    """Refuse a phrase that is not a string."""
    if not isinstance(phrase, str):
        msg = f"expected a phrase as a string, got {type(phrase).__name__} {phrase!r}"
        raise ConfigError(msg, path=what, value=phrase)


def check_items(items: tuple[Any, ...]) -> None:
    """Refuse a sequence of inputs with an item that is not a string."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            msg = (
                "expected each input to be a key, a recognised phrase or '' (a timeout), "
                f"got {type(item).__name__} {item!r}"
            )
            raise ConfigError(msg, path=f"inputs[{i}]", value=item)


def check_inputs(inputs: Any) -> str | tuple[str, ...]:
    """Refuse inputs that are neither a DTMF string nor a sequence of strings; the inputs
    checked (a sequence as a tuple: an iterator is read once, here)."""
    if isinstance(inputs, str):
        check_keys(inputs)
        return inputs
    if inputs is None or isinstance(inputs, bytes | bytearray) or not hasattr(inputs, "__iter__"):
        msg = (
            "expected a string of DTMF keys or a sequence of keys and phrases "
            f"('' for no input), got {type(inputs).__name__} {inputs!r}"
        )
        raise ConfigError(msg, path="inputs", value=inputs)
    items = tuple(inputs)
    check_items(items)
    return items


def outside_range(exc: BaseException) -> bool:
    """True when routing failed because a calendar cannot lay out the instant asked about.

    That is an ``OverflowError`` from the date arithmetic, or the calendar's own ConfigError
    "outside the dates a calendar supports" (path ``t``).
    """
    return isinstance(exc, OverflowError) or (isinstance(exc, ConfigError) and exc.path == "t")


def range_error(at: datetime) -> ConfigError:
    """The error for an instant the flow's calendars cannot lay out."""
    # civiccc.calendar is imported by loading calendars, not by importing civiccc.routing
    from civiccc.calendar._calendar import SUPPORTED_DATES

    msg = (
        f"{at.isoformat()} is outside the dates the flow's calendars support "
        f"({SUPPORTED_DATES}, local time)"
    )
    return ConfigError(msg, path="at", value=at)


def call_error(caller: Any, at: Any, inputs: Any, exc: BaseException) -> BaseException:
    """Diagnose a call that failed inside routing: a ConfigError naming the bad argument.

    Returns ``exc`` itself when every argument is fine (a genuine bug, not bad input).
    """
    try:
        ensure_aware(at, "at")
        check_caller(caller)
        check_inputs(inputs)
    except ConfigError as err:
        return err
    if outside_range(exc):
        return range_error(at)
    return exc
