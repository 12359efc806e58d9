"""Small pure rules shared by the reference walk, the compiled engine and the checks.

The walk logic itself is written twice (a plain networkx walk, kept as the reference, and the
compiled engine); the rules here are the vocabulary both use: keypad spelling, directory
scopes, voice matching, prompt choice and the wording of trace lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from civiccc.numbers import CallerInfo, CallerKind, mask
from civiccc.routing._spec import DirectoryEntry

__all__ = [
    "DISCONNECT_TARGET",
    "MAX_STEPS",
    "classify_label",
    "directory_scope",
    "is_key",
    "keypad",
    "match_extension",
    "match_name_digits",
    "match_name_phrase",
    "time_label",
    "voice_key",
]

#: Target of the decision when a branch has no edge: the call is disconnected.
DISCONNECT_TARGET = "disconnect"

#: A walk that visits more nodes than this is looping without input (a flow error).
MAX_STEPS = 10_000

_KEYPAD = {
    **dict.fromkeys("abc", "2"),
    **dict.fromkeys("def", "3"),
    **dict.fromkeys("ghi", "4"),
    **dict.fromkeys("jkl", "5"),
    **dict.fromkeys("mno", "6"),
    **dict.fromkeys("pqrs", "7"),
    **dict.fromkeys("tuv", "8"),
    **dict.fromkeys("wxyz", "9"),
}
_FOLD = str.maketrans("àáâäãåçèéêëìíîïñòóôöõùúûüýÿß", "aaaaaaceeeeiiiinooooouuuuyys")
KEYS = frozenset("0123456789*#")


def is_key(item: str) -> bool:
    """True for a single DTMF key; anything else given as input is a recognised phrase."""
    return len(item) == 1 and item in KEYS


def keypad(text: str) -> str:
    """Spell ``text`` on a phone keypad (letters only; accents folded).

    >>> keypad("Émilie")
    '364543'
    """
    return "".join(_KEYPAD.get(c, "") for c in text.lower().translate(_FOLD))


def directory_scope(
    entries: Iterable[DirectoryEntry], include: Sequence[str], exclude: Sequence[str]
) -> tuple[DirectoryEntry, ...]:
    """Entries in scope: in any ``include`` group (all when empty) and in no ``exclude`` group.

    Exclusion wins when an entry is in both.
    """
    inc, exc = set(include), set(exclude)
    return tuple(
        e
        for e in entries
        if (not inc or inc.intersection(e.groups)) and not exc.intersection(e.groups)
    )


def name_codes(entry: DirectoryEntry) -> tuple[str, str]:
    """Keypad spellings ``first0last`` and ``last0first`` of an entry's name."""
    first, last = keypad(entry.first), keypad(entry.last)
    return f"{first}0{last}", f"{last}0{first}"


def match_name_digits(entries: Sequence[DirectoryEntry], digits: str) -> tuple[DirectoryEntry, ...]:
    """Entries whose first+last or last+first name spelling starts with ``digits``."""
    if not digits:
        return ()
    return tuple(e for e in entries if any(c.startswith(digits) for c in name_codes(e)))


def match_name_phrase(entries: Sequence[DirectoryEntry], phrase: str) -> tuple[DirectoryEntry, ...]:
    """Entries whose full, first or last name is the spoken ``phrase`` (case-insensitive)."""
    said = " ".join(phrase.casefold().split())
    if not said:
        return ()
    return tuple(
        e
        for e in entries
        if said in (" ".join(e.name.casefold().split()), e.first.casefold(), e.last.casefold())
    )


def match_extension(entries: Sequence[DirectoryEntry], digits: str) -> DirectoryEntry | None:
    """The entry whose extension is exactly ``digits``."""
    for e in entries:
        if e.extension is not None and e.extension == digits:
            return e
    return None


def voice_key(
    voice: Mapping[str, Mapping[str, Sequence[str]]], phrase: str, lang: str | None
) -> str | None:
    """The key whose keywords in ``lang`` include ``phrase`` (case- and space-insensitive).

    With ``lang=None`` (a language choice, before the caller has one) any language matches.
    """
    said = " ".join(phrase.casefold().split())
    for key, langs in voice.items():
        groups = langs.values() if lang is None else (langs.get(lang, ()),)
        for words in groups:
            if any(" ".join(w.casefold().split()) == said for w in words):
                return key
    return None


def time_label(node_kind: str, state_kind: str, is_open: bool, holiday: bool) -> str:
    """The label a time-check node answers for a calendar state."""
    if node_kind == "emergency_check":
        return "on" if state_kind == "emergency" else "off"
    if node_kind == "holiday_check":
        return "holiday" if holiday else "regular"
    if node_kind == "hours_check":
        return "open" if is_open else "closed"
    # schedule: the state's kind, decided by the calendar's precedence
    # (emergency > deviation/closure > holiday > weekly hours)
    if state_kind in ("emergency", "holiday", "closed", "open"):
        return state_kind
    return "open" if is_open else "closed"


def classify_label(
    info: CallerInfo, lists: Sequence[tuple[str, frozenset[str]]], labels: Iterable[str]
) -> tuple[str, str | None]:
    """The label a classify node answers, and the caller list that matched (if any).

    ``labels`` are the labels that have an edge; a class without an edge answers ``default``.
    """
    have = set(labels)
    e164 = info.e164
    if e164 is not None:
        for name, numbers in lists:
            if e164 in numbers and name in have:
                return name, name
    kind = info.kind
    if kind is CallerKind.ANONYMOUS:
        label = "anonymous"
    elif kind is CallerKind.INVALID:
        label = "invalid"
    elif kind is CallerKind.FOREIGN:
        label = "foreign_mobile" if info.is_mobile and "foreign_mobile" in have else "foreign"
    else:
        label = "mobile" if info.is_mobile and "mobile" in have else "domestic"
    return (label if label in have else "default"), None


# --------------------------------------------------------------------------- trace wording


def when(ts: float) -> str:
    """An instant for trace lines (UTC, seconds)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def caller_text(caller: str | None) -> str:
    """A caller number for trace lines (masked)."""
    return mask(caller)


def info_text(info: CallerInfo) -> str:
    """What a classify node learnt, for trace lines."""
    parts = [info.kind.value]
    if info.region:
        parts.append(f"region {info.region}")
    if info.number_type:
        parts.append(f"type {info.number_type}")
    return ", ".join(parts)


def state_text(cal_id: str, state: Any) -> str:
    """A calendar state for trace lines: kind, deciding rule, reason."""
    kind = getattr(state, "kind", "?")
    rule = getattr(state, "rule", None)
    reason = getattr(state, "reason", None)
    text = f"calendar {cal_id!r} is {kind}"
    if rule:
        text += f" by rule {rule}"
    if reason:
        text += f" ({reason})"
    return text


def prompt_text(ref: Any) -> str:
    """A prompt reference for trace lines."""
    return f"prompt {ref!r}" if isinstance(ref, str) else "an inline prompt"


def vars_text(variables: Mapping[str, str]) -> str:
    """Variables for trace lines."""
    return ", ".join(f"{k}={v}" for k, v in sorted(variables.items())) or "none"
