"""Interactive sessions: one call, step by step, for telephony adapters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError, InvalidTransition
from civiccc.routing._arguments import (
    check_caller,
    check_keys,
    check_phrase,
    outside_range,
    range_error,
)
from civiccc.routing._compile import Suspended
from civiccc.routing._decision import Decision
from civiccc.routing._kinds import KEYS

if TYPE_CHECKING:
    from civiccc.routing._flow import Flow, Prompt

__all__ = ["Awaiting", "Session"]

_PLAYS = (
    "announcement",
    "menu",
    "language",
    "dial_by_extension",
    "dial_by_name",
    "voicemail",
    "disconnect",
)


@attrs.frozen(kw_only=True)
class Awaiting:
    """What a session waits for.

    Attributes:
        node: The node id asking.
        expects: ``"key"`` (one key or a phrase), ``"digits"`` (a directory entry, keys up to
            ``#``) or ``"choice"`` (the number of one of several matching names).
        keys: Keys that lead somewhere from here (menus and language choices).
        phrases: Recognised phrases accepted here, in the call's language.
    """

    node: str
    expects: str
    keys: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


class Session:
    """One call through a flow, fed step by step (built by :meth:`Flow.start`).

    After each step, :attr:`prompts` holds what to play now and :attr:`awaiting` what input
    is expected; feed it with :meth:`press` (keys), :meth:`say` (a phrase the adapter's speech
    recogniser heard) or :meth:`timeout`. When the call is routed, :attr:`decision` is set: it
    is exactly what :meth:`Flow.route` returns for the same caller, time and inputs
    (:attr:`inputs`).
    """

    def __init__(self, flow: Flow, caller: str | None, at: datetime) -> None:
        check_caller(caller)
        self.flow = flow
        self.caller = caller
        self.at = ensure_aware(at, "at")
        self._ts = self.at.timestamp()
        self._items: list[str] = []
        self._seen = 0
        self.prompts: tuple[Prompt, ...] = ()
        self.awaiting: Awaiting | None = None
        self.decision: Decision | None = None
        self._advance()

    @property
    def done(self) -> bool:
        """True once the call has been routed."""
        return self.decision is not None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Everything fed so far, one item per key, phrase or timeout (``""``)."""
        return tuple(self._items)

    def press(self, keys: str) -> Session:
        """Feed DTMF keys (one or more of ``0-9 * #``; anything else raises ConfigError)."""
        check_keys(keys, "keys")
        return self._feed(list(keys))

    def say(self, phrase: str) -> Session:
        """Feed a phrase recognised by the telephony adapter (matched to voice keywords).

        A single key character counts as that key; an empty phrase as a timeout.
        """
        check_phrase(phrase)
        return self._feed([phrase])

    def timeout(self) -> Session:
        """The caller said and pressed nothing before the prompt timed out."""
        return self._feed([""])

    def _feed(self, items: Sequence[str]) -> Session:
        if self.decision is not None:
            raise InvalidTransition("session", "routed", "input", self.caller)
        self._items.extend(items)
        self._advance()
        return self

    def _advance(self) -> None:
        try:
            out = self.flow.engine.run(self.caller, self._ts, tuple(self._items), True)
        except (OverflowError, ConfigError) as exc:
            if not outside_range(exc):
                raise
            raise range_error(self.at) from None
        path = out.path
        new = path[self._seen :]
        self._seen = len(path)
        self.prompts = tuple(p for p in (self._prompt_of(node, out) for node in new) if p)
        if isinstance(out, Suspended):
            self.awaiting = self._awaiting(out)
        else:
            self.awaiting = None
            self.decision = out

    def _node_flow(self, node: str) -> tuple[Flow, str]:
        flow = self.flow
        parts = node.split("/")
        for part in parts[:-1]:
            sub = flow.subflow(flow.node(part).params["flow"])
            assert sub is not None
            flow = sub
        return flow, parts[-1]

    def _prompt_of(self, node: str, out: Decision | Suspended) -> Prompt | None:
        flow, nid = self._node_flow(node)
        spec = flow.node(nid)
        if spec.kind not in _PLAYS or "prompt" not in spec.params:
            return None
        return flow.prompt(spec.params["prompt"], out.variables, node=node)

    def _awaiting(self, s: Suspended) -> Awaiting:
        flow, nid = self._node_flow(s.node)
        spec = flow.node(nid)
        if s.expects != "key":
            return Awaiting(node=s.node, expects=s.expects)
        p = spec.params
        if spec.kind == "language":
            keys = tuple(p["languages"])
        else:
            keys = tuple(k for k in KEYS if k in spec.edges)
            specials = (p.get("operator_key"), p.get("back_key"), p.get("repeat_key"))
            keys = tuple(k for k in KEYS if k in keys or k in specials)
        lang = s.variables.get("lang") or flow.spec.default_language or ""
        phrases = tuple(w for key in keys for w in p.get("voice", {}).get(key, {}).get(lang, ()))
        return Awaiting(node=s.node, expects="key", keys=keys, phrases=phrases)

    def __repr__(self) -> str:
        state = (
            f"routed to {self.decision.target!r}" if self.decision else f"awaiting {self.awaiting}"
        )
        return f"<Session {self.flow.id!r} {state}>"
