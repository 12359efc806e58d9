"""The compiled hot path.

A flow is turned once into flat arrays indexed by node number (sub-flows inlined): kind codes,
node ids, successor indices and per-node data. Routing a call is a loop over those arrays:
no networkx lookups, no number parsing for a caller seen before (bounded memo by raw string),
no time-zone conversion (calendar probes on epoch seconds, bounded memo, invalidated by
``calendar.revision``), and the decision's trace is produced only when somebody reads it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from civiccc.clock import ensure_aware
from civiccc.errors import ConfigError
from civiccc.numbers import Classifier
from civiccc.routing._arguments import (
    DTMF,
    call_error,
    check_caller,
    check_items,
    check_keys,
    outside_range,
)
from civiccc.routing._context import CallView
from civiccc.routing._decision import EMPTY_VARIABLES, Decision, make_decision
from civiccc.routing._kinds import TERMINAL_DECISION_KIND, param
from civiccc.routing._reference import reference_route
from civiccc.routing._semantics import (
    DISCONNECT_TARGET,
    MAX_STEPS,
    classify_label,
    directory_scope,
    is_key,
    match_extension,
    match_name_digits,
    match_name_phrase,
    voice_key,
)
from civiccc.routing._timeprobe import CombinedProbe, TimeProbe

if TYPE_CHECKING:
    from civiccc.routing._flow import CalendarLike, Flow
    from civiccc.routing._spec import DirectoryEntry

__all__ = ["Engine", "Suspended"]

# kind codes, roughly by how often they are met on a call
K_TIME = 0
K_NEXT = 1
K_CLASSIFY = 2
K_MENU = 3
K_SET = 4
K_TERM = 5
K_COND = 6
K_LANG = 7
K_DIAL = 8
K_SUB = 9
K_PLUGIN = 10
K_MISSING = 11
K_RAISE = 12

MEMO_SIZE = 65536
_new = object.__new__

# time-zone classes whose aware datetimes always have a UTC offset
_FAST_TZ = frozenset({ZoneInfo, timezone})


class _Vars:
    """An interned, immutable set of flow variables with memoised successors."""

    __slots__ = ("after", "items", "mapping")

    def __init__(self, items: tuple[tuple[str, str], ...]) -> None:
        self.items = items
        self.mapping: Mapping[str, str] = (
            MappingProxyType(dict(items)) if items else EMPTY_VARIABLES
        )
        self.after: dict[Any, _Vars] = {}


class Suspended:
    """A walk that stopped because it needs more caller input (sessions only).

    Attributes:
        node: The node id waiting for input.
        index: The node's index in the compiled arrays.
        expects: ``"key"`` (a menu or language choice: one key or a phrase), ``"digits"``
            (a directory search: keys up to ``#``) or ``"choice"`` (pick one of several names).
        path: The nodes visited so far.
        variables: The variables so far.
    """

    __slots__ = ("expects", "index", "node", "path", "variables")

    def __init__(
        self,
        node: str,
        index: int,
        expects: str,
        path: tuple[str, ...],
        variables: Mapping[str, str],
    ) -> None:
        self.node = node
        self.index = index
        self.expects = expects
        self.path = path
        self.variables = variables


class _Menu:
    __slots__ = (
        "default_lang",
        "fail_invalid",
        "fail_no_input",
        "is_lang",
        "key_next",
        "lang_of",
        "repeat_key",
        "retries",
        "var",
        "voice",
    )

    def __init__(self) -> None:
        self.default_lang = ""
        self.key_next: dict[str, int] = {}
        self.repeat_key: str | None = None
        self.retries = 0
        self.fail_invalid = 0
        self.fail_no_input = 0
        self.voice: Mapping[str, Mapping[str, Sequence[str]]] = {}
        self.is_lang = False
        self.lang_of: dict[str, str] = {}
        self.var = "lang"


class _Dial:
    __slots__ = ("by_name", "max_matches", "next_not_found", "next_too_many", "scope")

    def __init__(self) -> None:
        self.by_name = False
        self.scope: tuple[DirectoryEntry, ...] = ()
        self.max_matches = 5
        self.next_not_found = 0
        self.next_too_many = 0


class _Classify:
    __slots__ = ("classifier", "have", "lists", "memo", "next_of")

    def __init__(self) -> None:
        self.memo: dict[str, int] = {}
        self.classifier: Classifier | None = None
        self.lists: list[tuple[str, frozenset[str]]] = []
        self.have: tuple[str, ...] = ()
        self.next_of: dict[str, int] = {}


class Engine:
    """A flow compiled for routing many calls (built by :attr:`Flow.engine`)."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.ids: list[str] = []
        self.kinds: list[int] = []
        self.next: list[int] = []
        self.data: list[Any] = []
        self._vars: dict[tuple[tuple[str, str], ...], _Vars] = {}
        self._classifiers: dict[tuple[str, tuple[str, ...] | None], Classifier] = {}
        self._probes: dict[tuple[int, str | None], TimeProbe] = {}
        self.uses_plugins = False
        self.missing = self._add("", K_MISSING, -1, None)
        self.entry = self._flatten(flow, "", (flow.id,))
        self.vars0 = self._intern(tuple(sorted(flow.spec.variables.items())))
        # Decision table: a walk is a function of the calendar state codes, the inputs and,
        # once a classify node is reached, of its answer for the caller. So decisions are
        # memoised by (state codes, inputs) and then, if the walk met a classify node, by the
        # classify nodes' answers. Plugin nodes may look at anything: flows with plugins are
        # always walked.
        self.table_ok = not self.uses_plugins
        self._table: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        combined = CombinedProbe(list(self._probes.values()), MEMO_SIZE)
        self._combined = combined
        if not combined.usable:  # scoped emergencies: asked instant by instant
            self.table_ok = False
        self._time_code = combined.function()
        self._classifies = [(j, d) for j, d in enumerate(self.data) if self.kinds[j] == K_CLASSIFY]
        self._classify_ids = frozenset(self.ids[j] for j, _ in self._classifies)
        self._single = self._classifies[0][1] if len(self._classifies) == 1 else None
        self._route = self._route_function()

    # ------------------------------------------------------------------ compiling

    def _add(self, node_id: str, kind: int, nxt: int, data: Any) -> int:
        self.ids.append(node_id)
        self.kinds.append(kind)
        self.next.append(nxt)
        self.data.append(data)
        return len(self.ids) - 1

    def _intern(self, items: tuple[tuple[str, str], ...]) -> _Vars:
        v = self._vars.get(items)
        if v is None:
            v = self._vars[items] = _Vars(items)
        return v

    def _classifier(self, region: str, home: Sequence[str] | None) -> Classifier:
        key = (region, tuple(home) if home is not None else None)
        c = self._classifiers.get(key)
        if c is None:
            c = self._classifiers[key] = Classifier(region, home, memo_size=MEMO_SIZE)
        return c

    def _probe(self, cal: CalendarLike, scope: str | None) -> TimeProbe:
        key = (id(cal), scope)
        probe = self._probes.get(key)
        if probe is None:
            probe = self._probes[key] = TimeProbe(cal, scope, memo_size=MEMO_SIZE)
        return probe

    def _flatten(self, flow: Flow, prefix: str, stack: tuple[str, ...]) -> int:
        spec = flow.spec
        index: dict[str, int] = {}
        for nid in spec.nodes:
            index[nid] = self._add(prefix + nid, K_NEXT, -1, None)

        def to(node: str, label: str) -> int:
            target = spec.nodes[node].edges.get(label)
            return index[target] if target is not None else self.missing

        for nid, node in spec.nodes.items():
            i = index[nid]
            kind = flow.kind_of(nid)
            name = kind.name
            p = node.params
            if name in ("entry", "announcement"):
                self.kinds[i], self.next[i] = K_NEXT, to(nid, "next")
            elif name == "set":
                self.kinds[i], self.next[i] = K_SET, to(nid, "next")
                self.data[i] = tuple(p["variables"].items())
            elif name == "condition":
                self.kinds[i] = K_COND
                self.data[i] = (
                    p["variable"],
                    {lab: index[t] for lab, t in node.edges.items() if lab != "default"},
                    to(nid, "default"),
                )
            elif name in ("emergency_check", "holiday_check", "hours_check", "schedule"):
                cal = flow.calendars.get(p["calendar"])
                if cal is None:
                    msg = f"undefined calendar {p['calendar']!r}"
                    err = ConfigError(
                        msg, node=prefix + nid, path=f"nodes.{nid}.calendar", value=p["calendar"]
                    )
                    self.kinds[i], self.data[i] = K_RAISE, err
                    continue
                self.kinds[i] = K_TIME
                probe = self._probe(cal, p.get("scope"))
                self.data[i] = probe.node_function(name, {lab: to(nid, lab) for lab in kind.labels})
            elif name == "classify":
                self.kinds[i] = K_CLASSIFY
                c = _Classify()
                region = p.get("region", spec.region)
                home = p.get("home_regions", spec.home_regions)
                c.classifier = self._classifier(region, home)
                # the list numbers are normalised once, like the reference does per call
                plain = Classifier(region, memo_size=0)
                c.lists = [
                    (name_, _e164_set(plain, spec.caller_lists.get(name_, ())))
                    for name_ in p.get("lists", ())
                ]
                c.have = tuple(node.edges)
                c.next_of = {lab: to(nid, lab) for lab in (*kind.all_labels(p), "default")}
                self.data[i] = c
            elif name in ("menu", "language"):
                self.kinds[i] = K_LANG if name == "language" else K_MENU
                self.data[i] = self._menu(nid, node, kind, to, spec.default_language or "")
            elif name in ("dial_by_extension", "dial_by_name"):
                self.kinds[i] = K_DIAL
                d = _Dial()
                d.by_name = name == "dial_by_name"
                d.scope = directory_scope(
                    spec.directory, param(p, kind, "include"), param(p, kind, "exclude")
                )
                if d.by_name:
                    d.max_matches = param(p, kind, "max_matches")
                    d.next_too_many = to(nid, "too_many")
                d.next_not_found = to(nid, "not_found")
                self.data[i] = d
            elif name == "subflow":
                fid = p["flow"]
                err = None
                if fid in stack:
                    msg = f"sub-flow recursion: {' -> '.join((*stack, fid))}"
                    err = ConfigError(msg, node=prefix + nid, path=f"nodes.{nid}.flow", value=fid)
                sub = flow.subflow(fid)
                if err is None and sub is None:
                    msg = f"undefined sub-flow {fid!r}"
                    err = ConfigError(msg, node=prefix + nid, path=f"nodes.{nid}.flow", value=fid)
                if err is not None:
                    self.kinds[i], self.data[i] = K_RAISE, err
                    continue
                assert sub is not None
                self.kinds[i] = K_SUB
                self.next[i] = self._flatten(sub, f"{prefix}{nid}/", (*stack, fid))
                self.data[i] = tuple(sub.spec.variables.items())
            elif name in TERMINAL_DECISION_KIND:
                self.kinds[i] = K_TERM
                self.data[i] = (
                    p.get("target", nid),
                    TERMINAL_DECISION_KIND[name],
                    param(p, kind, "priority") if name == "queue" else None,
                    bool(param(p, kind, "carry_variables")),
                )
            else:
                assert kind.decide is not None
                self.uses_plugins = True
                self.kinds[i] = K_PLUGIN
                fn = kind.compile(p) if kind.compile is not None else _bind_decide(kind.decide, p)
                edges = {lab: index[t] for lab, t in node.edges.items()}
                self.data[i] = (fn, edges)
        return index[spec.entry]

    def _menu(
        self,
        nid: str,
        node: Any,
        kind: Any,
        to: Callable[[str, str], int],
        default_lang: str,
    ) -> _Menu:
        p = node.params
        m = _Menu()
        m.retries = param(p, kind, "retries")
        m.voice = param(p, kind, "voice")
        m.default_lang = default_lang
        m.fail_invalid = to(nid, "invalid")
        m.fail_no_input = to(nid, "no_input") if "no_input" in node.edges else m.fail_invalid
        if kind.name == "language":
            m.is_lang = True
            m.lang_of = dict(p["languages"])
            m.var = param(p, kind, "variable")
            nxt = to(nid, "next")
            for key in m.lang_of:
                m.key_next[key] = nxt
            return m
        m.repeat_key = p.get("repeat_key")
        for label in node.edges:
            if is_key(label):
                m.key_next[label] = to(nid, label)
        # special keys win over option keys (as in the reference walk)
        for key_param, label in (("operator_key", "operator"), ("back_key", "back")):
            key = p.get(key_param)
            if key is not None:
                m.key_next[key] = to(nid, label)
        if m.repeat_key is not None:
            m.key_next.pop(m.repeat_key, None)
        return m

    # ------------------------------------------------------------------ running

    def route(self, caller: str | None, at: datetime, inputs: str | Sequence[str] = "") -> Decision:
        """Route one call (see :meth:`Flow.route`)."""
        return self._route(caller, at, inputs)

    def _route_function(self) -> Callable[[str | None, datetime, Any], Decision]:
        """The hot path as a closure (locals instead of attribute lookups)."""
        table = self._table
        table_get = table.get
        time_code = self._time_code
        single = self._single
        classify = self._classify
        caller_key = self._caller_key
        remember = self._remember
        run = self.run
        explain_at = self.explain_at
        table_ok = self.table_ok
        new = _new
        cls = Decision

        fast_tz = _FAST_TZ
        day_bases = _DAY_BASE
        combined = self._combined
        # calendar state: 0 = no calendars, 1 = merged days inlined (changes are pushed),
        # 2 = ask the combined probe (it polls revisions)
        mode = 0 if not combined.probes else (1 if combined.pushed else 2)
        local_get = combined.local_days.get
        local_day = combined.local_day
        code_at = combined.code_at

        def route(caller: str | None, at: datetime, inputs: Any = "") -> Decision:
            # Arguments are checked where it costs nothing on the valid path: the inputs when
            # the memo misses (a hit's key was checked when it was stored), the caller by one
            # class test on a hit (a decision that does not depend on the caller never looks
            # at it) and by check_caller on a miss, and everything else only when a call fails
            # (try blocks are free in 3.11+).
            try:
                tz = at.tzinfo
                if tz is None or tz.__class__ not in fast_tz:
                    ensure_aware(at, "at")
                if inputs.__class__ is not str or not table_ok:
                    if inputs.__class__ is not str:
                        inputs = tuple(inputs)  # the decision keeps them (for its trace)
                        check_items(inputs)
                    elif inputs.strip(DTMF):
                        check_keys(inputs)
                    if caller is not None and caller.__class__ is not str:
                        check_caller(caller)
                    out = run(caller, epoch_seconds(at), inputs, False)
                    assert isinstance(out, Decision)
                    return out
                if mode == 1 and tz.__class__ in fast_tz:
                    # the calendars' state from the local date and time: one lookup, a bisection
                    # in integer microseconds, and no conversion to epoch seconds at all
                    lkey = (tz, at.toordinal())
                    lentry = local_get(lkey)
                    if lentry is None:
                        days = day_bases.get(tz)
                        if days is None:
                            days = day_bases[tz] = {}
                        base = days.get(lkey[1], _ABSENT)
                        lentry = local_day(lkey, _day_base(at, days) if base == _ABSENT else base)
                    if lentry:
                        us = (
                            (at.hour * 60 + at.minute) * 60 + at.second
                        ) * 1_000_000 + at.microsecond
                        tkey = (inputs, lentry[1][bisect_right(lentry[0], us) - 1])
                    else:  # a DST date
                        tkey = (inputs, code_at(at.timestamp()))
                elif mode == 0:
                    tkey = (inputs, 0)
                else:
                    tkey = (inputs, time_code(epoch_seconds(at)))
                entry = table_get(tkey)
                if entry is not None:
                    if caller.__class__ is not str and caller is not None:
                        check_caller(caller)  # the miss's error, not the memo's decision
                    by_caller, fields = entry
                    if by_caller:
                        if single is not None:
                            raw = caller if caller else ""
                            nxt = single.memo.get(raw)
                            fields = fields.get(classify(single, raw) if nxt is None else nxt)
                        else:
                            fields = fields.get(caller_key(caller))
                    if fields is not None:
                        d: Decision = new(cls)
                        d._fields = fields
                        d._explain = (explain_at, caller, at, inputs)
                        return d
                if inputs.strip(DTMF) or (caller is not None and caller.__class__ is not str):
                    check_keys(inputs)
                    check_caller(caller)
                out = run(caller, epoch_seconds(at), inputs, False)
                assert isinstance(out, Decision)
                remember(tkey, entry, caller, out)
                return out

            except (AttributeError, TypeError, OverflowError) as exc:
                raise call_error(caller, at, inputs, exc) from None
            except ConfigError as exc:
                if not outside_range(exc):
                    raise
                raise call_error(caller, at, inputs, exc) from None

        return route

    def _caller_key(self, caller: str | None) -> Any:
        """The answers of the classify nodes for ``caller`` (memoised by raw string)."""
        raw = caller if caller else ""
        single = self._single
        if single is not None:
            nxt = single.memo.get(raw)
            return self._classify(single, raw) if nxt is None else nxt
        out = []
        for _, c in self._classifies:
            nxt = c.memo.get(raw)
            out.append(self._classify(c, raw) if nxt is None else nxt)
        return tuple(out)

    def _remember(
        self, tkey: tuple[Any, ...], entry: tuple[bool, Any] | None, caller: str | None, d: Decision
    ) -> None:
        fields = d._fields
        table = self._table
        if entry is None:
            if len(table) >= MEMO_SIZE:
                table.clear()
            if self._classify_ids.isdisjoint(d.path):
                table[tkey] = (False, fields)
            else:
                table[tkey] = (True, {self._caller_key(caller): fields})
        elif entry[0]:
            residual = entry[1]
            if len(residual) >= MEMO_SIZE:
                residual.clear()
            residual[self._caller_key(caller)] = fields

    def run(
        self, caller: str | None, ts: float, inputs: str | Sequence[str], suspend: bool
    ) -> Decision | Suspended:
        """Walk the compiled arrays. With ``suspend``, stop when input runs out."""
        kinds = self.kinds
        ids = self.ids
        nexts = self.next
        data = self.data
        raw = caller if caller else ""
        path: list[str] = []
        append = path.append
        v = self.vars0
        pos = 0
        n = len(inputs)
        view: CallView | None = None
        i = self.entry
        for _ in range(MAX_STEPS):
            k = kinds[i]
            if k == 0:  # K_TIME
                append(ids[i])
                i = data[i](ts)
            elif k == 1:  # K_NEXT
                append(ids[i])
                i = nexts[i]
            elif k == 2:  # K_CLASSIFY
                append(ids[i])
                c = data[i]
                nxt = c.memo.get(raw)
                if nxt is None:
                    nxt = self._classify(c, raw)
                i = nxt
            elif k == 3:  # K_MENU
                append(ids[i])
                m = data[i]
                if pos < n:
                    item = inputs[pos]
                    pos += 1
                    nxt = m.key_next.get(item)
                    if nxt is not None:
                        i = nxt
                        continue
                elif suspend:
                    return Suspended(ids[i], i, "key", tuple(path), v.mapping)
                else:
                    item = ""
                i, pos, v, stop = self._menu_slow(m, i, item, inputs, pos, n, path, v, suspend)
                if stop is not None:
                    return stop
            elif k == 4:  # K_SET
                append(ids[i])
                nv = v.after.get(i)
                if nv is None:
                    nv = v.after[i] = self._intern(
                        tuple(sorted({**dict(v.items), **dict(data[i])}.items()))
                    )
                v = nv
                i = nexts[i]
            elif k == 5:  # K_TERM
                append(ids[i])
                target, dkind, prio, carry = data[i]
                return make_decision(
                    target,
                    dkind,
                    prio,
                    v.mapping if carry else EMPTY_VARIABLES,
                    tuple(path),
                    (self.explain, caller, ts, inputs),
                )
            elif k == 7:  # K_LANG
                append(ids[i])
                m = data[i]
                if pos < n:
                    item = inputs[pos]
                    pos += 1
                elif suspend:
                    return Suspended(ids[i], i, "key", tuple(path), v.mapping)
                else:
                    item = ""
                i, pos, v, stop = self._menu_slow(m, i, item, inputs, pos, n, path, v, suspend)
                if stop is not None:
                    return stop
            elif k == 6:  # K_COND
                append(ids[i])
                var, by_value, default = data[i]
                value = v.mapping.get(var)
                i = by_value.get(value, default) if value is not None else default
            elif k == 8:  # K_DIAL
                append(ids[i])
                i, pos, out = self._dial(data[i], i, inputs, pos, n, path, v, suspend, caller, ts)
                if out is not None:
                    return out
            elif k == 9:  # K_SUB
                append(ids[i])
                nv = v.after.get(("sub", i))
                if nv is None:
                    merged = dict(data[i])
                    merged.update(dict(v.items))
                    nv = v.after[("sub", i)] = self._intern(tuple(sorted(merged.items())))
                v = nv
                i = nexts[i]
            elif k == 10:  # K_PLUGIN
                append(ids[i])
                fn, edges = data[i]
                if view is None or view.variables is not v.mapping:
                    view = CallView(caller, ts, v.mapping, self.flow.classifier)
                label = str(fn(view))
                i = edges.get(label, self.missing)
            elif k == 11:  # K_MISSING
                return make_decision(
                    DISCONNECT_TARGET,
                    "disconnect",
                    None,
                    EMPTY_VARIABLES,
                    tuple(path),
                    (self.explain, caller, ts, inputs),
                )
            else:  # K_RAISE
                raise data[i]
        if kinds[i] == 11:  # K_MISSING  # the last node had no edge: not one more node
            return make_decision(
                DISCONNECT_TARGET,
                "disconnect",
                None,
                EMPTY_VARIABLES,
                tuple(path),
                (self.explain, caller, ts, inputs),
            )
        msg = (
            f"the call visited more than {MAX_STEPS} nodes without ending "
            "(a cycle that needs no input; see Flow.check() 'trap-cycle')"
        )
        raise ConfigError(msg, node=ids[i])

    def _classify(self, c: _Classify, raw: str) -> int:
        assert c.classifier is not None
        info = c.classifier.classify(raw)
        label, _ = classify_label(info, c.lists, c.have)
        nxt = c.next_of.get(label, self.missing)
        if len(c.memo) >= MEMO_SIZE:
            c.memo.clear()
        c.memo[raw] = nxt
        return nxt

    def _menu_slow(
        self,
        m: _Menu,
        i: int,
        item: str,
        inputs: str | Sequence[str],
        pos: int,
        n: int,
        path: list[str],
        v: _Vars,
        suspend: bool,
    ) -> tuple[int, int, _Vars, Suspended | None]:
        """A menu step that is not a plain option key: phrases, repeats, retries, fallbacks."""
        failures = 0
        node_id = self.ids[i]
        while True:
            key: str | None
            if item == "":
                key = None
            elif is_key(item):
                key = item
            else:
                key = voice_key(
                    m.voice, item, None if m.is_lang else v.mapping.get("lang") or m.default_lang
                )
            if key is not None:
                if m.is_lang:
                    lang = m.lang_of.get(key)
                    if lang is not None:
                        nv = v.after.get((i, key))
                        if nv is None:
                            merged = dict(v.items)
                            merged[m.var] = lang
                            nv = v.after[(i, key)] = self._intern(tuple(sorted(merged.items())))
                        return m.key_next[key], pos, nv, None
                elif key == m.repeat_key:
                    path.append(node_id)
                    item, pos, stop = self._take(i, inputs, pos, n, path, v, suspend)
                    if stop is not None:
                        return i, pos, v, stop
                    continue
                else:
                    nxt = m.key_next.get(key)
                    if nxt is not None:
                        return nxt, pos, v, None
            failures += 1
            no_input = key is None and item == ""
            if failures <= m.retries:
                path.append(node_id)
                item, pos, stop = self._take(i, inputs, pos, n, path, v, suspend)
                if stop is not None:
                    return i, pos, v, stop
                continue
            return (m.fail_no_input if no_input else m.fail_invalid), pos, v, None

    def _take(
        self,
        i: int,
        inputs: str | Sequence[str],
        pos: int,
        n: int,
        path: list[str],
        v: _Vars,
        suspend: bool,
        expects: str = "key",
    ) -> tuple[str, int, Suspended | None]:
        if pos < n:
            return inputs[pos], pos + 1, None
        if suspend:
            return "", pos, Suspended(self.ids[i], i, expects, tuple(path), v.mapping)
        return "", pos, None

    def _dial(
        self,
        d: _Dial,
        i: int,
        inputs: str | Sequence[str],
        pos: int,
        n: int,
        path: list[str],
        v: _Vars,
        suspend: bool,
        caller: str | None,
        ts: float,
    ) -> tuple[int, int, Decision | Suspended | None]:
        digits = ""
        phrase: str | None = None
        while True:
            item, pos, stop = self._take(i, inputs, pos, n, path, v, suspend, "digits")
            if stop is not None:
                return i, pos, stop
            if item in ("", "#"):
                break
            if not is_key(item):
                phrase = item
                break
            digits += item
        entry: DirectoryEntry | None
        if not d.by_name:
            if phrase is not None:
                spoken = phrase.replace(" ", "")
                digits = spoken if spoken.isdigit() else ""
            entry = match_extension(d.scope, digits)
            if entry is None:
                return d.next_not_found, pos, None
        else:
            matches = (
                match_name_phrase(d.scope, phrase)
                if phrase is not None
                else match_name_digits(d.scope, digits)
            )
            if not matches:
                return d.next_not_found, pos, None
            if len(matches) > d.max_matches:
                return d.next_too_many, pos, None
            if len(matches) > 1:
                path.append(self.ids[i])
                choice, pos, stop = self._take(i, inputs, pos, n, path, v, suspend, "choice")
                if stop is not None:
                    return i, pos, stop
                if choice.isdigit() and 1 <= int(choice) <= len(matches):
                    matches = (matches[int(choice) - 1],)
                else:
                    return d.next_not_found, pos, None
            entry = matches[0]
        target = entry.target or entry.id
        return (
            i,
            pos,
            make_decision(
                target,
                "transfer",
                None,
                EMPTY_VARIABLES,
                tuple(path),
                (self.explain, caller, ts, inputs),
            ),
        )

    # ------------------------------------------------------------------ explaining

    def explain(
        self, caller: str | None, ts: float, inputs: str | Sequence[str], path: tuple[str, ...]
    ) -> list[str]:
        """The trace of a compiled decision, from a reference walk of the same call."""
        ref = reference_route(self.flow, caller, ts, inputs)
        lines = list(ref.trace)
        if ref.path != path:
            lines.append(
                "note: the flow's calendars changed since this decision was made; "
                "the lines above explain the call as it would be routed now"
            )
        return lines

    def explain_at(
        self, caller: str | None, at: datetime, inputs: str | Sequence[str], path: tuple[str, ...]
    ) -> list[str]:
        """:meth:`explain` for an aware datetime."""
        return self.explain(caller, at.timestamp(), inputs, path)

    def clear_memos(self) -> None:
        """Forget memoised classifications and calendar probes (for cold benchmarks)."""
        for c in self._classifiers.values():
            c.clear()
        for d in self.data:
            if isinstance(d, _Classify):
                d.memo.clear()
        self._combined.clear()
        self._table.clear()


#: tzinfo -> {local date ordinal -> microseconds since the epoch of that local midnight}, for
#: local dates on which the UTC offset does not change (None for the few days it does: DST).
_DAY_BASE: dict[Any, dict[int, int | None]] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ABSENT = -(2**62)


def epoch_seconds(at: datetime) -> float:
    """``at.timestamp()`` for an aware datetime, without a time-zone conversion per call.

    The UTC instant of each local midnight is memoised (in microseconds, as ``timestamp()``
    counts) for dates without an offset change, so the result is exactly ``at.timestamp()``.
    Naive datetimes raise ConfigError.
    """
    tz = at.tzinfo
    if tz is None or tz.__class__ not in _FAST_TZ:
        return ensure_aware(at, "at").timestamp()
    days = _DAY_BASE.get(tz)
    if days is None:
        days = _DAY_BASE[tz] = {}
    base = days.get(at.toordinal(), _ABSENT)
    if base == _ABSENT:
        base = _day_base(at, days)
    if base is None:
        return at.timestamp()
    return (base + ((at.hour * 60 + at.minute) * 60 + at.second) * 1_000_000 + at.microsecond) / 1e6


def _day_base(at: datetime, days: dict[int, int | None]) -> int | None:
    start = at.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    end = at.replace(hour=23, minute=59, second=59, microsecond=999_999, fold=0)
    uniform = (
        start.utcoffset() == end.utcoffset() == start.replace(fold=1).utcoffset()
        and end.utcoffset() == end.replace(fold=1).utcoffset()
    )
    base = (start - _EPOCH) // _US if uniform else None
    if len(days) >= MEMO_SIZE:
        days.clear()
    days[at.toordinal()] = base
    return base


def _e164_set(classifier: Classifier, numbers: Sequence[str]) -> frozenset[str]:
    out = (classifier.classify(n).e164 for n in numbers)
    return frozenset(e for e in out if e is not None)


def _bind_decide(
    decide: Callable[..., str], params: Mapping[str, Any]
) -> Callable[[CallView], str]:
    def fn(view: CallView) -> str:
        return decide(params, view)

    return fn
