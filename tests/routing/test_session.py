"""Interactive sessions for telephony adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from civiccc.errors import ConfigError, InvalidTransition
from civiccc.routing import load_flow

AT = datetime(2025, 6, 2, 17, 30, tzinfo=UTC)

FLOW: dict[str, Any] = {
    "id": "s",
    "languages": ["en", "fr"],
    "variables": {"lang": "en"},
    "prompts": {
        "hello": {"en": "Hello", "fr": "Bonjour"},
        "menu": {"en": {"text": "Press 1", "audio": "menu_en.wav"}, "fr": "Faites le 1"},
        "name": {"en": "Spell the name"},
    },
    "directory": [
        {"id": "bob", "name": "Bob Stone", "extension": "12"},
        {"id": "bea", "name": "Bea Stone", "extension": "13"},
    ],
    "nodes": {
        "entry": {"kind": "entry", "edges": {"next": "hello"}},
        "hello": {"kind": "announcement", "prompt": "hello", "edges": {"next": "lang"}},
        "lang": {
            "kind": "language",
            "languages": {"1": "en", "2": "fr"},
            "edges": {"next": "menu", "invalid": "menu"},
        },
        "menu": {
            "kind": "menu",
            "prompt": "menu",
            "retries": 1,
            "repeat_key": "*",
            "voice": {"1": {"en": ["permits"], "fr": ["permis"]}},
            "edges": {"1": "desk", "2": "name", "invalid": "desk"},
        },
        "name": {
            "kind": "dial_by_name",
            "prompt": "name",
            "edges": {"not_found": "desk", "too_many": "desk"},
        },
        "desk": {"kind": "queue", "target": "citizen_desk"},
    },
}


@pytest.fixture
def flow() -> Any:
    """The session test flow."""
    return load_flow(FLOW)


def test_step_by_step(flow: Any) -> None:
    """Each step says what to play and what is awaited; the end is route()'s decision."""
    s = flow.start("+1 604 555 0101", AT)
    assert [p.text for p in s.prompts] == ["Hello"]
    assert s.awaiting is not None
    assert (s.awaiting.node, s.awaiting.expects, s.awaiting.keys) == ("lang", "key", ("1", "2"))
    s.press("2")
    assert [(p.id, p.text, p.lang) for p in s.prompts] == [("menu", "Faites le 1", "fr")]
    assert s.awaiting is not None and s.awaiting.phrases == ("permis",)
    s.timeout()
    assert [p.node for p in s.prompts] == ["menu"]  # the retry replays the menu
    s.say("permis")
    assert s.done and s.awaiting is None and s.prompts == ()
    assert s.decision == flow.route("+1 604 555 0101", AT, ["2", "", "permis"])
    assert s.inputs == ("2", "", "permis")
    with pytest.raises(InvalidTransition):
        s.press("1")


def test_audio_and_repeat(flow: Any) -> None:
    """Audio references come with the prompt; the repeat key replays it."""
    s = flow.start(None, AT).press("1")
    assert s.prompts[0].audio == "menu_en.wav"
    s.press("*")
    assert [p.id for p in s.prompts] == ["menu"]
    assert not s.done


def test_directory_entry_and_choice(flow: Any) -> None:
    """A name search awaits digits, then a choice among matches."""
    s = flow.start(None, AT).press("12")
    assert s.awaiting is not None and s.awaiting.expects == "digits"
    assert [p.text for p in s.prompts] == ["Press 1", "Spell the name"]
    s.press("78663#")
    assert s.awaiting is not None and s.awaiting.expects == "choice"
    s.press("2")
    assert s.decision is not None and s.decision.target == "bea"  # matches in directory order
    assert s.decision == flow.route(None, AT, "1278663#2")


def test_many_keys_at_once_equal_one_by_one(flow: Any) -> None:
    """Feeding keys together or one at a time ends the same."""
    a = flow.start(None, AT).press("21")
    b = flow.start(None, AT).press("2").press("1")
    assert a.decision == b.decision == flow.route(None, AT, "21")


def test_bad_input(flow: Any) -> None:
    """Only DTMF keys can be pressed; naive start times are refused."""
    with pytest.raises(ConfigError, match="not a DTMF key"):
        flow.start(None, AT).press("a")
    with pytest.raises(ConfigError, match="naive"):
        flow.start(None, datetime(2025, 1, 1))
