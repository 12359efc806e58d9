"""One behavioural suite for every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from cases_helpers import van, van_calendar

from civiccc.cases import (
    CaseDesk,
    CaseState,
    Catalogue,
    Contact,
    Location,
    PostgresStore,
    SqliteStore,
    Store,
    open_store,
)
from civiccc.clock import VirtualClock
from civiccc.errors import ConcurrencyError, NotFoundError, StoreError


def _desk(catalogue: Catalogue, store: Store) -> CaseDesk:
    return CaseDesk(
        catalogue,
        clock=VirtualClock(van(2025, 6, 16, 9)),
        calendars={"van": van_calendar()},
        store=store,
    )


def test_round_trip_keeps_everything(catalogue: Catalogue, store: Store) -> None:
    """A case read back equals the case written, audit trail included."""
    desk = _desk(catalogue, store)
    c = desk.create(
        "pothole",
        by="clerk",
        description="deep",
        tags=["storm", "ward-3"],
        location=Location(address="1 Main St", lat=48.4, lon=-123.3),
        reporter=Contact(name="Ann", phone="+12505550100"),
        attributes={"size": "large"},
        links=[("call", "CALL-1")],
    )
    desk.fire(c.id, "triage", by="clerk")
    desk.attach(c.id, "s3://photos/1.jpg", by="clerk", name="photo")
    back = store.get(c.id)
    assert back.to_dict() == desk.get(c.id).to_dict()
    assert [a.action for a in back.audit] == ["created", "triage", "attached"]
    assert back.reporter == Contact(name="Ann", phone="+12505550100")
    assert back.version == 3


def test_optimistic_version_refuses_stale_write(catalogue: Catalogue, store: Store) -> None:
    """A write based on an old version raises ConcurrencyError and changes nothing."""
    desk = _desk(catalogue, store)
    c = desk.create("pothole", by="clerk")
    a, b = store.get(c.id), store.get(c.id)
    a.priority = "high"
    store.save(a)
    b.priority = "low"
    with pytest.raises(ConcurrencyError):
        store.save(b)
    assert store.get(c.id).priority == "high"


def test_desk_reapplies_concurrent_change(catalogue: Catalogue, store: Store) -> None:
    """Two desks (clerks) changing one case: both changes survive."""
    d1 = _desk(catalogue, store)
    c = d1.create("pothole", by="clerk")
    d2 = _desk(catalogue, store)
    d1.tag(c.id, "storm", by="ann")
    d2.fire(c.id, "triage", by="bob")  # d2's copy is stale: reloaded and re-applied
    final = store.get(c.id)
    assert final.tags == ["storm"] and final.state is CaseState.TRIAGED
    assert [a.by for a in final.audit] == ["clerk", "ann", "bob"]


def test_query_filters(catalogue: Catalogue, store: Store) -> None:
    """Queries by open/closed, department, tag and creation period."""
    desk = _desk(catalogue, store)
    a = desk.create("pothole", by="c", tags=["hurricane"], at=van(2025, 6, 1, 9))
    b = desk.create("missed_pickup", by="c", tags=["hurricane"], at=van(2025, 6, 10, 9))
    c = desk.create("pothole", by="c", at=van(2025, 6, 12, 9))
    desk.fire(c.id, "cancel", by="c")
    ids = lambda cases: [x.id for x in cases]  # noqa: E731
    assert ids(store.query(open_only=True)) == [a.id, b.id]
    assert ids(store.query(department="roads")) == [a.id, c.id]
    assert ids(store.query(tag="hurricane")) == [a.id, b.id]
    assert ids(store.query(tag="hurri")) == []
    assert ids(store.query(since=van(2025, 6, 5), until=van(2025, 6, 11))) == [b.id]


def test_transaction_is_all_or_nothing(catalogue: Catalogue, store: Store) -> None:
    """A failing batch leaves neither its cases nor its changes behind."""
    desk = _desk(catalogue, store)
    keep = desk.create("pothole", by="c")

    def failing_batch() -> None:
        with desk.batch():
            desk.create("pothole", by="c", case_id="SR-X")
            desk.fire(keep.id, "triage", by="c")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_batch()
    with pytest.raises(NotFoundError):
        store.get("SR-X")
    assert store.get(keep.id).state is CaseState.NEW
    assert desk.get(keep.id).state is CaseState.NEW


def test_ids_unique_and_meta(catalogue: Catalogue, store: Store) -> None:
    """Case numbers increase; metadata (suspensions) survives a new desk."""
    desk = _desk(catalogue, store)
    ids = [desk.create("info", by="c").id for _ in range(5)]
    assert len(set(ids)) == 5
    desk.declare_emergency(
        van(2025, 6, 16, 10),
        van(2025, 6, 17, 10),
        reason="storm",
        by="mayor",
        departments=["roads"],
    )
    assert _desk(catalogue, store).suspensions == desk.suspensions
    with pytest.raises(ConcurrencyError):
        store.insert(store.get(ids[0]))


def test_unknown_case(catalogue: Catalogue, store: Store) -> None:
    """Reading a missing case raises NotFoundError (a KeyError)."""
    with pytest.raises(KeyError, match="SR-404"):
        store.get("SR-404")


def test_open_cases_reloaded_by_new_desk(catalogue: Catalogue, store: Store) -> None:
    """A new desk on the same store sees the open cases and their due times."""
    desk = _desk(catalogue, store)
    c = desk.create("pothole", by="c")
    again = _desk(catalogue, store)
    assert again.due(c.id) == desk.due(c.id) == van(2025, 6, 17, 8, 30)
    assert again.due_before(van(2025, 6, 18)) == desk.due_before(van(2025, 6, 18))


def test_sqlite_migrates_version_1(tmp_path: Path, catalogue: Catalogue) -> None:
    """A version-1 database (no tags column, no triggers) is migrated on open."""
    from civiccc.cases import _stores

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for sql in _stores._SQLITE_MIGRATIONS[0]:
        db.execute(sql)
    db.execute(
        "INSERT INTO cases VALUES ('SR-1', 'info', 'hotline', 'new', 0, 0, 1, ?)",
        (
            '{"id":"SR-1","service_code":"info","department":"hotline","priority":"normal",'
            '"state":"new","created_at":0,"updated_at":0,"tags":["flood"]}',
        ),
    )
    db.execute("INSERT INTO audit VALUES ('SR-1', 0, 0, 'clerk', 'created', NULL, 'new', '')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    store = SqliteStore(path)
    assert store.schema_version == _stores.SCHEMA_VERSION == 3
    assert _sqlite_indexes(store) == {"cases_created"}
    assert [c.id for c in store.query(tag="flood")] == ["SR-1"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("DELETE FROM audit")
    store.close()


def _sqlite_indexes(store: SqliteStore) -> set[str]:
    rows = store._db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'"
        " AND name NOT LIKE 'sqlite_autoindex%'"
    ).fetchall()
    return {r[0] for r in rows}


def _pg_indexes(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'").fetchall()
    return {r[0] for r in rows}


def _fill(catalogue: Catalogue, store: Store) -> list[tuple[dict[str, object], list[object], int]]:
    """A few cases with transitions, tags, notes and a closed one; returns what the store
    holds (document, audit trail, version of each case, by id)."""
    desk = _desk(catalogue, store)
    a = desk.create("pothole", by="ann", tags=["storm"], description="deep", at=van(2025, 6, 2, 9))
    b = desk.create("missed_pickup", by="bob", at=van(2025, 6, 3, 10))
    c = desk.create("pothole", by="ann", at=van(2025, 6, 4, 11))
    with desk.batch():
        desk.fire(a.id, "triage", by="ann")
        desk.fire(a.id, "assign", by="ann")
        desk.tag(b.id, "ward-3", by="bob")
    desk.fire(c.id, "cancel", by="ann")
    return _held(store)


def _held(store: Store) -> list[tuple[dict[str, object], list[object], int]]:
    return [(c.to_dict(), [e.to_dict() for e in c.audit], c.version) for c in store.query()]


def test_sqlite_migrates_version_2(tmp_path: Path, catalogue: Catalogue) -> None:
    """A version-2 database (built with the first two migrations, holding cases with their
    audit trails) is migrated to version 3 on open: the unused ``cases_open`` index is
    dropped and every case, audit entry, setting and case number is kept."""
    from civiccc.cases import _stores

    src = SqliteStore(tmp_path / "cases.db")
    held = _fill(catalogue, src)
    number = src.next_number()
    src.put_meta("setting", {"x": 1})
    src.close()
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path)
    for sql in (*_stores._SQLITE_MIGRATIONS[0], *_stores._SQLITE_MIGRATIONS[1]):
        db.execute(sql)
    db.execute("PRAGMA user_version=2")
    db.execute("ATTACH ? AS src", (str(tmp_path / "cases.db"),))
    for table in ("cases", "audit", "meta", "counter"):
        if table == "counter":
            db.execute("DELETE FROM counter")
        db.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")
    db.commit()
    db.execute("DETACH src")
    assert {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")} >= {
        "cases_open",
        "cases_created",
    }
    db.close()
    store = SqliteStore(path)
    assert store.schema_version == _stores.SCHEMA_VERSION == 3
    assert _sqlite_indexes(store) == {"cases_created"}
    assert _held(store) == held and len(held) == 3
    assert sum(len(audit) for _, audit, _ in held) == 7
    assert store.get_meta("setting") == {"x": 1}
    assert store.next_number() == number + 1
    assert [c.id for c in store.query(open_only=True, department="roads")] == [held[0][0]["id"]]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("DELETE FROM audit")
    desk = _desk(catalogue, store)
    desk.fire(str(held[0][0]["id"]), "start", by="ann")
    store.close()
    again = SqliteStore(path)  # opening a version-3 database changes nothing
    assert again.schema_version == 3 and _held(again)[1:] == held[1:]
    assert again.get(str(held[0][0]["id"])).state is CaseState.IN_PROGRESS
    again.close()


def test_sqlite_refuses_next_schema_untouched(tmp_path: Path) -> None:
    """A database one version newer than the code is refused, naming both versions, and
    left as it was."""
    from civiccc.cases import _stores

    path = tmp_path / "next.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE cases (id TEXT)")
    db.execute("CREATE INDEX cases_open ON cases (id)")
    db.execute(f"PRAGMA user_version={_stores.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match=r"schema version 4 is newer than this civiccc \(3\)"):
        SqliteStore(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4
    assert {r[0] for r in db.execute("SELECT name FROM sqlite_master")} == {"cases", "cases_open"}
    # nothing written: not even the journal mode (stored in the file) was switched to WAL
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    assert not (tmp_path / "next.db-wal").exists()


def test_sqlite_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """Not a database: a StoreError naming the file, and the file is left as it was."""
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"notes\.db: cannot open"):
        SqliteStore(path)
    assert path.read_bytes() == before


def test_sqlite_refuses_newer_schema(tmp_path: Path) -> None:
    """A database from a newer civiccc is refused with a clear error."""
    path = tmp_path / "new.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(path)


def test_open_store_urls(tmp_path: Path) -> None:
    """open_store understands memory:, paths and sqlite:/// URLs."""
    s = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(s, SqliteStore) and (tmp_path / "x.db").exists()
    s.close()


def test_postgres_concurrent_clerks(pg_server, catalogue: Catalogue) -> None:  # type: ignore[no-untyped-def]
    """Two threads with their own connections update one case 50 times each: no change is lost."""
    url = pg_server()
    store0 = PostgresStore(url)
    desk0 = _desk(catalogue, store0)
    c = desk0.create("pothole", by="setup")
    errors: list[BaseException] = []

    def clerk(name: str) -> None:
        try:
            store = PostgresStore(url)
            desk = _desk(catalogue, store)
            for i in range(50):
                desk.tag(c.id, f"{name}-{i}", by=name)
            store.close()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = store0.get(c.id)
    assert len(final.tags) == 100
    assert len(final.audit) == 101 and final.version == 101
    with pytest.raises(Exception, match="append-only"):
        store0._db.execute("UPDATE audit SET note = 'x'")
    store0.close()


def test_postgres_audit_append_only_and_schema(pg_server) -> None:  # type: ignore[no-untyped-def]
    """A second store on the same database finds the schema in place."""
    url = pg_server()
    a, b = PostgresStore(url), PostgresStore(url)
    assert a.schema_version == b.schema_version == 3
    assert _pg_indexes(url) == {"cases_pkey", "cases_department"}
    assert a.next_number() < b.next_number()
    a.close(), b.close()


def test_postgres_migrates_version_2(pg_server, catalogue: Catalogue) -> None:  # type: ignore[no-untyped-def]
    """A version-2 PostgreSQL database (with ``cases_open``) is brought to version 3 on open:
    ``cases_open`` replaced by ``cases_department``, every case and audit entry kept; a
    database newer than the code is refused and left as it was."""
    import psycopg

    url = pg_server()
    store = PostgresStore(url)
    held = _fill(catalogue, store)
    number = store.next_number()
    store.close()
    with psycopg.connect(url, autocommit=True) as db:  # back to the version-2 schema
        db.execute("DROP INDEX cases_department")
        db.execute("CREATE INDEX cases_open ON cases (state, department)")
        db.execute("UPDATE schema_version SET version = 2")
    assert _pg_indexes(url) == {"cases_pkey", "cases_open"}
    store = PostgresStore(url)
    assert store.schema_version == 3
    assert _pg_indexes(url) == {"cases_pkey", "cases_department"}
    assert _held(store) == held and len(held) == 3
    assert sum(len(audit) for _, audit, _ in held) == 7
    assert store.next_number() == number + 1
    assert [c.id for c in store.query(open_only=True, department="roads")] == [held[0][0]["id"]]
    store.close()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE schema_version SET version = 4")
        db.execute("DROP INDEX cases_department")
    with pytest.raises(StoreError, match=r"schema version 4 is newer than this civiccc \(3\)"):
        PostgresStore(url)
    assert _pg_indexes(url) == {"cases_pkey"}
    with psycopg.connect(url) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(4,)]


def test_naive_time_refused(catalogue: Catalogue) -> None:
    """A naive datetime is rejected."""
    desk = _desk(catalogue, open_store())
    with pytest.raises(ValueError, match=r"naive|aware|time zone"):
        desk.create("info", by="c", at=dt.datetime(2025, 1, 1))


def test_batch_reads_its_own_writes(catalogue: Catalogue, store: Store) -> None:
    """Inside a batch, reads see the batch's changes (several changes of one case); after
    it, the case holds every change once, its audit trail in order."""
    desk = _desk(catalogue, store)
    c = desk.create("pothole", by="c")
    with desk.batch():
        desk.fire(c.id, "triage", by="c")
        desk.fire(c.id, "assign", by="c")
        inside = store.get(c.id)
        assert inside.state is CaseState.ASSIGNED and inside.version == 3
        assert [a.action for a in inside.audit] == ["created", "triage", "assign"]
        desk.fire(c.id, "start", by="c")
        desk.tag(c.id, "storm", by="c")
    final = store.get(c.id)
    assert final.state is CaseState.IN_PROGRESS and final.tags == ["storm"]
    assert [a.action for a in final.audit] == ["created", "triage", "assign", "start", "tagged"]
    assert final.version == 5 and final.to_dict() == desk.get(c.id).to_dict()


def test_sqlite_two_connections_lose_nothing(tmp_path: Path, catalogue: Catalogue) -> None:
    """Two SQLite connections (processes) on one file take turns changing a case, in batches
    and alone: each sees the other's commits, nothing is lost, a stale write is refused."""
    path = tmp_path / "two.db"
    s1, s2 = SqliteStore(path), SqliteStore(path)
    d1, d2 = _desk(catalogue, s1), _desk(catalogue, s2)
    c = d1.create("pothole", by="ann")
    for i in range(3):
        with d1.batch():
            d1.tag(c.id, f"a{i}", by="ann")
            d1.tag(c.id, f"b{i}", by="ann")
        d2.tag(c.id, f"z{i}", by="bob")
        d1.tag(c.id, f"c{i}", by="ann")
    final = s2.get(c.id)
    assert len(final.tags) == 12 and len(final.audit) == 13 and final.version == 13
    assert [a.by for a in final.audit].count("bob") == 3
    stale = s2.get(c.id)
    s1.save(s1.get(c.id))
    with pytest.raises(ConcurrencyError):
        s2.save(stale)
    assert s1.get(c.id).version == s2.get(c.id).version == 14
    s1.close(), s2.close()
