"""The reference implementation: a plain, step-by-step networkx walk of a flow.

It is slow on purpose (every step asks the graph, the calendar and phonenumbers afresh) and
written to be read: the compiled engine must return exactly what this walk returns, which the
test suite checks on generated flows and calls. It also produces the human-readable trace
of a decision (``Decision.trace`` re-walks the call with it on first access).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError
from civiccc.numbers import classify
from civiccc.routing._arguments import check_caller, check_inputs
from civiccc.routing._context import CallView
from civiccc.routing._decision import Decision
from civiccc.routing._kinds import TERMINAL_DECISION_KIND, param
from civiccc.routing._semantics import (
    DISCONNECT_TARGET,
    MAX_STEPS,
    caller_text,
    classify_label,
    directory_scope,
    info_text,
    is_key,
    match_extension,
    match_name_digits,
    match_name_phrase,
    prompt_text,
    state_text,
    time_label,
    vars_text,
    voice_key,
    when,
)
from civiccc.routing._timeprobe import state_holiday

if TYPE_CHECKING:
    from civiccc.routing._flow import Flow

__all__ = ["reference_route", "reference_walk"]


def split_inputs(inputs: str | Sequence[str]) -> list[str]:
    """Inputs as a list of items (a string is one key per character)."""
    if isinstance(inputs, str):
        return list(inputs)
    return [str(x) for x in inputs]


class _Feed:
    def __init__(self, items: list[str]) -> None:
        self.items = items
        self.pos = 0

    def take(self) -> str:
        if self.pos < len(self.items):
            item = self.items[self.pos]
            self.pos += 1
            return item
        return ""


class _Walk:
    def __init__(self, caller: str | None, at: datetime, inputs: list[str]) -> None:
        self.caller = caller
        self.at = at
        self.ts = at.timestamp()
        self.feed = _Feed(inputs)
        self.variables: dict[str, str] = {}
        self.path: list[str] = []
        self.trace: list[str] = []
        self.steps = 0

    def edge(self, flow: Flow, node: str, label: str) -> str | None:
        """The node the edge ``label`` of ``node`` leads to (a plain networkx lookup)."""
        for _, target, key in flow.graph.out_edges(node, keys=True):
            if key == label:
                return str(target)
        return None

    def run(self, flow: Flow, prefix: str, stack: tuple[str, ...]) -> Decision:
        g = flow.graph
        node = flow.entry
        if not prefix:
            self.variables = dict(flow.spec.variables)
        else:
            for k, v in flow.spec.variables.items():
                self.variables.setdefault(k, v)
        while True:
            self.steps += 1
            if self.steps > MAX_STEPS:
                msg = (
                    f"the call visited more than {MAX_STEPS} nodes without ending "
                    "(a cycle that needs no input; see Flow.check() 'trap-cycle')"
                )
                raise ConfigError(msg, node=prefix + node)
            spec = g.nodes[node]["spec"]
            kind = flow.kind_of(node)
            label, decision = self.step(flow, node, spec, kind, prefix, stack)
            if decision is not None:
                return decision
            assert label is not None
            nxt = self.edge(flow, node, label)
            if nxt is None:
                self.trace.append(
                    f"{prefix}{node}: no edge for {label!r}: the call is disconnected"
                )
                return Decision(
                    target=DISCONNECT_TARGET,
                    kind="disconnect",
                    path=self.path,
                    trace=self.trace,
                )
            node = nxt

    def step(
        self, flow: Flow, node: str, spec: Any, kind: Any, prefix: str, stack: tuple[str, ...]
    ) -> tuple[str | None, Decision | None]:
        name = kind.name
        nid = prefix + node
        p = spec.params
        self.path.append(nid)
        say = self.trace.append
        if name == "entry":
            if not prefix:
                say(f"{nid}: call from {caller_text(self.caller)} at {when(self.ts)}")
            else:
                say(f"{nid}: enter flow {flow.id!r}")
            return "next", None
        if name == "announcement":
            say(f"{nid}: play {prompt_text(p['prompt'])}")
            return "next", None
        if name == "set":
            self.variables.update(p["variables"])
            say(f"{nid}: set {vars_text(p['variables'])}")
            return "next", None
        if name == "condition":
            var = p["variable"]
            value = self.variables.get(var)
            label = value if value is not None and value in spec.edges else "default"
            say(f"{nid}: {var}={value!r} -> {label}")
            return label, None
        if name in ("emergency_check", "holiday_check", "hours_check", "schedule"):
            cal_id = p["calendar"]
            cal = flow.calendars.get(cal_id)
            if cal is None:
                msg = f"undefined calendar {cal_id!r}"
                raise ConfigError(msg, node=nid, path=f"nodes.{node}.calendar", value=cal_id)
            scope = p.get("scope")
            state = cal.state_at(self.at, scope=scope) if scope else cal.state_at(self.at)
            holiday = state_holiday(state)
            label = time_label(name, state.kind, bool(state.is_open), holiday)
            say(f"{nid}: {label} ({state_text(cal_id, state)})")
            return label, None
        if name == "classify":
            region = p.get("region", flow.spec.region)
            home = p.get("home_regions", flow.spec.home_regions)
            info = classify(self.caller, region=region, home_regions=home)
            lists = []
            for list_name in p.get("lists", ()):
                numbers = flow.spec.caller_lists.get(list_name, ())
                found = (classify(n, region=region).e164 for n in numbers)
                lists.append((list_name, frozenset(e for e in found if e is not None)))
            have = [lab for _, _, lab in flow.graph.out_edges(node, keys=True)]
            label, matched = classify_label(info, lists, have)
            on_list = f", on list {matched!r}" if matched else ""
            say(f"{nid}: {label} (caller {caller_text(self.caller)}: {info_text(info)}{on_list})")
            return label, None
        if name in ("menu", "language"):
            return self.menu(flow, node, nid, spec, kind), None
        if name in ("dial_by_extension", "dial_by_name"):
            return self.dial(flow, node, nid, spec, kind)
        if name == "subflow":
            fid = p["flow"]
            if fid in stack:
                msg = f"sub-flow recursion: {' -> '.join((*stack, fid))}"
                raise ConfigError(msg, node=nid, path=f"nodes.{node}.flow", value=fid)
            sub = flow.subflow(fid)
            if sub is None:
                msg = f"undefined sub-flow {fid!r}"
                raise ConfigError(msg, node=nid, path=f"nodes.{node}.flow", value=fid)
            say(f"{nid}: continue in sub-flow {fid!r}")
            return None, self.run(sub, f"{nid}/", (*stack, fid))
        if name in TERMINAL_DECISION_KIND:
            target = p.get("target", node)
            dkind = TERMINAL_DECISION_KIND[name]
            carry = param(p, kind, "carry_variables")
            variables = dict(self.variables) if carry else {}
            priority = param(p, kind, "priority") if name == "queue" else None
            extra = f", priority {priority}" if priority is not None else ""
            say(f"{nid}: {dkind} {target!r}{extra}, variables: {vars_text(variables)}")
            return None, Decision(
                target=target,
                kind=dkind,
                priority=priority,
                variables=variables,
                path=self.path,
                trace=self.trace,
            )
        # a plugin kind
        assert kind.decide is not None
        view = CallView(self.caller, self.ts, dict(self.variables), flow.classifier)
        label = str(kind.decide(p, view))
        say(f"{nid}: {label} (plugin kind {name!r})")
        return label, None

    def menu(self, flow: Flow, node: str, nid: str, spec: Any, kind: Any) -> str:
        p = spec.params
        retries = param(p, kind, "retries")
        voice = param(p, kind, "voice")
        is_lang = kind.name == "language"
        repeat_key = p.get("repeat_key")
        special = {p.get("operator_key"): "operator", p.get("back_key"): "back"}
        special.pop(None, None)
        failures = 0
        say = self.trace.append
        if "prompt" in p:
            say(f"{nid}: play {prompt_text(p['prompt'])}")
        while True:
            item = self.feed.take()
            key: str | None
            if item == "":
                key, what = None, "no input"
            elif is_key(item):
                key, what = item, f"key {item!r}"
            else:
                lang = (
                    None
                    if is_lang
                    else self.variables.get("lang") or flow.spec.default_language or ""
                )
                key = voice_key(voice, item, lang)
                what = f"said {item!r}" + (f" (key {key!r})" if key else "")
            label: str | None = None
            if key is not None and not is_lang and key == repeat_key:
                say(f"{nid}: {what} -> repeat the menu")
                self.path.append(nid)
                continue
            if key is not None:
                if is_lang:
                    lang = p["languages"].get(key)
                    if lang is not None:
                        var = param(p, kind, "variable")
                        self.variables[var] = lang
                        say(f"{nid}: {what} -> {var}={lang}")
                        return "next"
                elif key in special:
                    label = special[key]
                elif self.edge(flow, node, key) is not None:
                    label = key
            if label is not None:
                say(f"{nid}: {what} -> {label}")
                return label
            failure = "no_input" if key is None and item == "" else "invalid"
            failures += 1
            if failures <= retries:
                say(f"{nid}: {what} -> {failure}, retry {failures} of {retries}")
                self.path.append(nid)
                continue
            if failure == "no_input" and self.edge(flow, node, "no_input") is None:
                failure = "invalid"
            say(f"{nid}: {what} -> {failure}")
            return failure

    def dial(
        self, flow: Flow, node: str, nid: str, spec: Any, kind: Any
    ) -> tuple[str | None, Decision | None]:
        p = spec.params
        say = self.trace.append
        if "prompt" in p:
            say(f"{nid}: play {prompt_text(p['prompt'])}")
        scope = directory_scope(
            flow.spec.directory, param(p, kind, "include"), param(p, kind, "exclude")
        )
        digits = ""
        phrase: str | None = None
        while True:
            item = self.feed.take()
            if item in ("", "#"):
                break
            if not is_key(item):
                phrase = item
                break
            digits += item
        if kind.name == "dial_by_extension":
            if phrase is not None:
                spoken = phrase.replace(" ", "")
                digits = spoken if spoken.isdigit() else ""
            entry = match_extension(scope, digits)
            if entry is None:
                say(f"{nid}: extension {digits!r} not found")
                return "not_found", None
            matches: tuple[Any, ...] = (entry,)
        else:
            matches = (
                match_name_phrase(scope, phrase)
                if phrase is not None
                else match_name_digits(scope, digits)
            )
            entered = repr(phrase) if phrase is not None else f"keys {digits!r}"
            if not matches:
                say(f"{nid}: {entered}: no name matches")
                return "not_found", None
            if len(matches) > param(p, kind, "max_matches"):
                say(f"{nid}: {entered}: {len(matches)} names match, too many")
                return "too_many", None
            if len(matches) > 1:
                self.path.append(nid)
                choice = self.feed.take()
                names = ", ".join(e.id for e in matches)
                if choice.isdigit() and 1 <= int(choice) <= len(matches):
                    say(f"{nid}: {entered}: {len(matches)} matches ({names}), chose {choice}")
                    matches = (matches[int(choice) - 1],)
                else:
                    say(f"{nid}: {entered}: {len(matches)} matches ({names}), no valid choice")
                    return "not_found", None
        entry = matches[0]
        target = entry.target or entry.id
        say(f"{nid}: transfer {target!r} ({entry.name})")
        return None, Decision(target=target, kind="transfer", path=self.path, trace=self.trace)


def reference_walk(
    flow: Flow, caller: str | None, at: datetime, inputs: str | Sequence[str] = ""
) -> Decision:
    """Route a call by walking the networkx graph step by step (the reference semantics)."""
    at = ensure_aware(at, "at")
    check_caller(caller)
    walk = _Walk(caller, at, split_inputs(check_inputs(inputs)))
    return walk.run(flow, "", (flow.id,))


def reference_route(
    flow: Flow, caller: str | None, ts: float, inputs: str | Sequence[str]
) -> Decision:
    """:func:`reference_walk` for an epoch instant (used to explain compiled decisions)."""
    return reference_walk(flow, caller, datetime.fromtimestamp(ts, UTC), inputs)
