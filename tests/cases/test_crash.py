"""A process killed (SIGKILL) in the middle of a batch loses no committed case and corrupts
nothing (SQLite; PostgreSQL with the server fixture)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from civiccc.cases import PostgresStore, SqliteStore, Store

WRITER = r"""
import json, sys, time
sys.path.insert(0, {helpers!r})
from cases_helpers import CATALOGUE, van, van_calendar
from civiccc.cases import CaseDesk, Catalogue, open_store
from civiccc.clock import VirtualClock
store = open_store({url!r})
desk = CaseDesk(Catalogue.from_dict(CATALOGUE), clock=VirtualClock(van(2025, 6, 16, 9)),
                calendars={{"van": van_calendar()}}, store=store)
batch = 0
while True:
    with desk.batch():
        ids = [desk.create("pothole", by="crash", tags=[f"b{{batch}}"]).id for _ in range(20)]
        for cid in ids:
            desk.fire(cid, "triage", by="crash")
    print(json.dumps(ids), flush=True)   # committed
    batch += 1
"""


def _run_and_kill(url: str) -> list[str]:
    helpers = str(Path(__file__).parent)
    code = WRITER.format(helpers=helpers, url=url)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    committed: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while len(committed) < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed += __import__("json").loads(line)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next batch
    proc.wait()
    proc.stdout.close()
    assert len(committed) >= 200, "writer did not get going"
    return committed


def _check(store: Store, committed: list[str]) -> None:
    cases = store.query()
    by_id = {c.id: c for c in cases}
    assert set(committed) <= set(by_id)
    for c in cases:  # every stored batch is complete: created and triaged, audit intact
        assert c.state.value == "triaged" and [a.action for a in c.audit] == ["created", "triage"]
    tags = {c.tags[0] for c in cases}
    assert all(sum(1 for c in cases if c.tags[0] == t) == 20 for t in tags)


def test_sqlite_crash(tmp_path: Path) -> None:
    """SIGKILL mid-batch: committed batches survive, the interrupted one vanishes whole."""
    path = tmp_path / "crash.db"
    committed = _run_and_kill(str(path))
    store = SqliteStore(path)
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    _check(store, committed)
    store.close()


def test_postgres_crash(pg_server) -> None:  # type: ignore[no-untyped-def]
    """The same against PostgreSQL."""
    url = pg_server()
    dsn = "postgresql://postgres@127.0.0.1:{}/{}".format(
        *[dict(p.split("=") for p in url.split())[k] for k in ("port", "dbname")]
    )
    committed = _run_and_kill(dsn)
    store = PostgresStore(url)
    _check(store, committed)
    store.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_signal_available() -> None:
    """The platform has SIGKILL (guards the tests above)."""
    assert signal.SIGKILL
