"""Calendar probes for the compiled engine: calendar state by epoch seconds, memoised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from civiccc.routing._semantics import time_label

if TYPE_CHECKING:
    from civiccc.routing._flow import CalendarLike

__all__ = ["TimeProbe"]


class TimeProbe:
    """Answers time-check nodes for one calendar (and emergency scope)."""

    def __init__(self, cal: CalendarLike, scope: str | None, memo_size: int) -> None:
        self.cal = cal
        self.scope = scope
        self.memo_size = memo_size
        self.revision = cal.revision
        self._memo: dict[float, tuple[str, bool, bool]] = {}

    def clear(self) -> None:
        """Forget memoised states."""
        self._memo.clear()
        self.revision = self.cal.revision

    def state(self, ts: float) -> tuple[str, bool, bool]:
        """``(kind, is_open, holiday)`` at ``ts``."""
        if self.cal.revision != self.revision:
            self.clear()
        hit = self._memo.get(ts)
        if hit is not None:
            return hit
        t = datetime.fromtimestamp(ts, UTC)
        st = self.cal.state_at(t, scope=self.scope) if self.scope else self.cal.state_at(t)
        kind = str(st.kind)
        out = (kind, bool(st.is_open), bool(getattr(st, "holiday", kind == "holiday")))
        if len(self._memo) >= self.memo_size:
            self._memo.clear()
        self._memo[ts] = out
        return out

    def node_function(self, node_kind: str, next_of: Mapping[str, int]) -> Callable[[float], int]:
        """A function ``ts -> next node index`` for one time-check node."""
        state = self.state
        table: dict[tuple[str, bool, bool], int] = {}

        def probe(ts: float) -> int:
            st = state(ts)
            nxt = table.get(st)
            if nxt is None:
                nxt = table[st] = next_of[time_label(node_kind, *st)]
            return nxt

        return probe
