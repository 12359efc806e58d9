"""Run a scenario with its cases in the SQLite store of civiccc.cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civiccc.sim._model import simulate
from civiccc.sim._records import Results
from civiccc.sim._scenario import Scenario

__all__ = ["simulate_to_sqlite"]


def simulate_to_sqlite(
    scenario: Scenario, path: str | Path, *, seed: int | None = None, **kw: Any
) -> Results:
    """:func:`simulate` with the cases kept in a :class:`civiccc.cases.SqliteStore` file
    (replaced if it exists: the caller decides; ``civiccc demo`` refuses a database that is not
    its own output); returns the results."""
    from civiccc.cases import SqliteStore

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(p) + suffix).unlink(missing_ok=True)
    store = SqliteStore(p)
    try:
        return simulate(scenario, seed=seed, store=store, **kw)
    finally:
        store.close()
