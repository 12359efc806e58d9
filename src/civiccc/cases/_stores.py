"""Case stores: one interface, in memory, SQLite (default) and PostgreSQL (psycopg 3).

A case is stored as a JSON document plus indexed columns; its audit trail goes into an
append-only table (updates and deletes are refused by triggers). Every ``save`` checks the
version it read (optimistic concurrency): a concurrent change raises
:class:`~civiccc.errors.ConcurrencyError` instead of being overwritten.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from civiccc.cases._lifecycle import CLOSED_STATES
from civiccc.cases._model import AuditEntry, Case, ClockRecord
from civiccc.errors import ConcurrencyError, ConfigError, NotFoundError, StoreError

__all__ = ["MemoryStore", "PostgresStore", "SqliteStore", "Store", "open_store"]

_CLOSED = tuple(s.value for s in CLOSED_STATES)


@runtime_checkable
class Store(Protocol):
    """Where cases live. Implementations: :class:`MemoryStore`, :class:`SqliteStore`,
    :class:`PostgresStore`."""

    def next_number(self) -> int:
        """A new case number (unique, increasing)."""

    def insert(self, case: Case) -> None:
        """Store a new case (version 0 -> 1)."""

    def save(self, case: Case) -> None:
        """Store a changed case; ``ConcurrencyError`` if someone saved it since it was read."""

    def get(self, case_id: str, *, lock: bool = False) -> Case:
        """A fresh copy of the case; ``NotFoundError`` if there is none. ``lock`` (inside a
        transaction) holds the case's row until the transaction ends (PostgreSQL
        ``FOR UPDATE``; SQLite's write transaction already excludes other writers)."""

    def query(
        self,
        *,
        open_only: bool = False,
        department: str | None = None,
        tag: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Case]:
        """Cases matching every given filter (created in ``[since, until)``), by id."""

    def put_meta(self, key: str, value: Any) -> None:
        """Store a JSON-able value under ``key`` (emergencies, settings)."""

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Group writes: all or nothing (nested calls join the outer transaction)."""

    def close(self) -> None:
        """Release connections."""


_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
_ESC = json.encoder.encode_basestring_ascii
_INF = float("inf")
#: repr of recently written floats (timestamps repeat within and across documents)
_FLOATS: dict[float, str] = {}
_F = _FLOATS.get


class _Generic(TypeError):
    """A value the direct writer does not handle: the document takes the generic path."""


def _f(v: Any) -> str:
    """A finite float as json writes it (remembered); anything else -> :class:`_Generic`."""
    if v.__class__ is not float or not -_INF < v < _INF:
        raise _Generic
    r = float.__repr__(v)
    if v != 0.0:  # never remember 0.0: it equals -0.0
        if len(_FLOATS) >= 4096:
            _FLOATS.clear()
        _FLOATS[v] = r
    return r


def _clock_parts(clocks: Iterable[ClockRecord]) -> list[str]:
    """``_ENCODE(c.to_dict())`` of each clock, written directly (same keys, order and bytes).
    Hot path: no function calls while the floats are remembered."""
    v: Any
    w: Any
    out = []
    for c in clocks:
        v = c.seconds
        w = c.start
        s = (
            '{"kind":'
            + _ESC(c.kind)
            + ',"seconds":'
            + ((v.__class__ is float and _F(v)) or _f(v))
            + ',"start":'
            + ((w.__class__ is float and _F(w)) or _f(w))
        )
        if not c.business:
            s += ',"business":false'
        if c.pauses:
            s += ',"pauses":['
            first = True
            for p in c.pauses:
                if len(p) != 2:
                    raise _Generic
                v, w = p
                s += (
                    ("[" if first else ",[")
                    + ((v.__class__ is float and _F(v)) or _f(v))
                    + ","
                    + ("null" if w is None else (w.__class__ is float and _F(w)) or _f(w))
                    + "]"
                )
                first = False
            s += "]"
        v = c.stop
        if v is not None:
            s += ',"stop":' + ((v.__class__ is float and _F(v)) or _f(v))
        if c.cancelled:
            s += ',"cancelled":true'
        v = c.breached_at
        if v is not None:
            s += ',"breached_at":' + ((v.__class__ is float and _F(v)) or _f(v))
        if c.fired:
            s += ',"fired":[' + ",".join(map(_f, c.fired)) + "]"
        if c.note:
            s += ',"note":' + _ESC(c.note)
        out.append(s + "}")
    return out


_HEAD = ('"id":', '"service_code":', '"department":', '"priority":', '"state":')
_HEAD_FMT = ",".join(k + "%s" for k in _HEAD)


def _doc(case: Case) -> str:
    """The stored JSON document: byte for byte ``_ENCODE(case.to_dict())``, written field by
    field (about twice as fast; a case is written on every change). Values of other types
    than the fields declare (an int for a float, ...) take the generic path."""
    try:
        return _doc_fields(case)
    except TypeError:
        return _ENCODE(case.to_dict())


def _doc_fields(case: Case) -> str:
    v: Any
    w: Any
    i, c, d, p, s = case.id, case.service_code, case.department, case.priority, case.state._value_
    if not (i and c and d and p and s):  # one left out (or not a string)
        raise _Generic
    v = case.created_at.timestamp()
    w = case.updated_at.timestamp()
    out = [
        _HEAD_FMT % (_ESC(i), _ESC(c), _ESC(d), _ESC(p), _ESC(s))
        + ',"created_at":'
        + ((v.__class__ is float and _F(v)) or _f(v))
        + ',"updated_at":'
        + ((w.__class__ is float and _F(w)) or _f(w))
    ]
    # the filter of to_dict (leaves out None, "", [] and {}) is ``v or (v is not None and
    # v != "" and v != [] and v != {})``, inlined: truthy values skip the comparisons
    v = case.description
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"description":' + _ESC(v))
    v = case.channel
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"channel":' + _ESC(v))
    loc = case.location
    if loc is not None:
        out.append('"location":' + _ENCODE([loc.address, loc.lat, loc.lon]))
    v = case.attributes
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"attributes":' + _ENCODE(v))
    v = case.tags
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"tags":' + _ENCODE(v))
    if case.links or case.attachments or case.reporter is not None or case.followers:
        plain = case.to_dict()  # rare and small: the generic path
        for k in ("links", "attachments", "reporter", "followers"):
            if k in plain:
                out.append(f'"{k}":' + _ENCODE(plain[k]))
    v = case.assignee
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"assignee":' + _ESC(v))
    v = case.team
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"team":' + _ESC(v))
    v = case.master_id
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"master_id":' + _ESC(v))
    v = case.duplicate_ids
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"duplicate_ids":' + _ENCODE(v))
    v = case.status_notes
    if v or (v is not None and v != "" and v != [] and v != {}):
        out.append('"status_notes":' + _ESC(v))
    if case.resolved_at is not None:
        out.append('"resolved_at":' + _f(case.resolved_at.timestamp()))
    if case.closed_at is not None:
        out.append('"closed_at":' + _f(case.closed_at.timestamp()))
    clocks = case.clocks
    if clocks:
        text = '"clocks":{'
        first = True
        for k, j in zip(clocks, _clock_parts(clocks.values()), strict=True):
            text += ("" if first else ",") + _ESC(k) + ":" + j
            first = False
        out.append(text + "}")
    if case.clock_history:
        out.append('"clock_history":[' + ",".join(_clock_parts(case.clock_history)) + "]")
    v = case.unanswered_since
    if v is not None:
        out.append('"unanswered_since":' + _f(v))
    return "{" + ",".join(out) + "}"


def _tags(case: Case) -> str:
    return "," + ",".join(case.tags) + "," if case.tags else ""


class MemoryStore:
    """A store in memory (tests, simulations). Copies in and out like the SQL stores."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[int, str, list[dict[str, Any]]]] = {}
        self._meta: dict[str, str] = {}
        self._n = 0
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._depth = 0

    def next_number(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def insert(self, case: Case) -> None:
        with self._lock:
            if case.id in self._docs:
                raise ConcurrencyError(f"case {case.id!r} exists already")
            self._docs[case.id] = (1, _doc(case), [a.to_dict() for a in case.audit])
        case.version, case.saved_audit = 1, len(case.audit)

    def save(self, case: Case) -> None:
        with self._lock:
            old = self._docs.get(case.id)
            if old is None:
                raise NotFoundError(f"case {case.id!r} not found")
            if old[0] != case.version:
                msg = f"case {case.id!r} changed since read (version {case.version}, now {old[0]})"
                raise ConcurrencyError(msg)
            audit = old[2] + [a.to_dict() for a in case.audit[case.saved_audit :]]
            self._docs[case.id] = (old[0] + 1, _doc(case), audit)
        case.version, case.saved_audit = case.version + 1, len(case.audit)

    def get(self, case_id: str, *, lock: bool = False) -> Case:
        try:
            version, doc, audit = self._docs[case_id]
        except KeyError:
            raise NotFoundError(f"case {case_id!r} not found") from None
        return Case.from_dict(json.loads(doc), [AuditEntry.from_dict(a) for a in audit], version)

    def query(
        self,
        *,
        open_only: bool = False,
        department: str | None = None,
        tag: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Case]:
        out = []
        for cid in sorted(self._docs, key=_id_key):
            c = self.get(cid)
            if _matches(c, open_only, department, tag, since, until):
                out.append(c)
        return out

    def put_meta(self, key: str, value: Any) -> None:
        self._meta[key] = json.dumps(value)

    def get_meta(self, key: str, default: Any = None) -> Any:
        return json.loads(self._meta[key]) if key in self._meta else default

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth == 0:
            self._snapshot = (dict(self._docs), dict(self._meta), self._n)
        self._depth += 1
        try:
            yield
        except BaseException:
            if self._depth == 1:
                self._docs, self._meta, self._n = self._snapshot
            raise
        finally:
            self._depth -= 1

    def close(self) -> None:
        pass


def _id_key(cid: str) -> tuple[int, str]:
    tail = cid.rsplit("-", 1)[-1]
    return (int(tail), cid) if tail.isdigit() else (0, cid)


def _matches(
    c: Case,
    open_only: bool,
    department: str | None,
    tag: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> bool:
    return (
        (not open_only or c.is_open)
        and (department is None or c.department == department)
        and (tag is None or tag in c.tags)
        and (since is None or c.created_at >= since)
        and (until is None or c.created_at < until)
    )


#: Schema migrations, in order; ``user_version``/``schema_version`` counts those applied.
_SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE cases (id TEXT PRIMARY KEY, service_code TEXT NOT NULL, department TEXT NOT"
        " NULL, state TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,"
        " version INTEGER NOT NULL, doc TEXT NOT NULL)",
        "CREATE TABLE audit (case_id TEXT NOT NULL, n INTEGER NOT NULL, at REAL NOT NULL,"
        " by TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT, to_state TEXT, note TEXT,"
        " PRIMARY KEY (case_id, n))",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE counter (n INTEGER NOT NULL)",
        "INSERT INTO counter VALUES (0)",
    ),
    (
        "ALTER TABLE cases ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
        "UPDATE cases SET tags = coalesce((SELECT ',' || group_concat(j.value, ',') || ','"
        " FROM json_each(json_extract(cases.doc, '$.tags')) j), '')",
        "CREATE INDEX cases_open ON cases (state, department)",
        "CREATE INDEX cases_created ON cases (created)",
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
        " SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
        " SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    ),
    # 3: no query uses ``cases_open`` (``state NOT IN (...)`` cannot, and without ANALYZE the
    # planner never picks it for ``department = ?``), yet every transition rewrote it
    ("DROP INDEX IF EXISTS cases_open",),
)
SCHEMA_VERSION = len(_SQLITE_MIGRATIONS)


def _refuse_newer(where: str, current: int) -> None:
    """:class:`StoreError` for a database whose schema is newer than this code."""
    if current > SCHEMA_VERSION:
        msg = f"{where} schema version {current} is newer than this civiccc ({SCHEMA_VERSION})"
        raise StoreError(msg)


class _SqlStore(abc.ABC):
    """Shared SQL for SQLite and PostgreSQL (placeholders differ)."""

    _p = "?"
    _depth = 0
    #: audit rows of the open transaction, inserted in one go before it commits (or before
    #: anything reads the audit table)
    _audit_buffer: list[tuple[Any, ...]]

    @abc.abstractmethod
    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement and return its cursor."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """A (nestable) transaction."""

    def _q(self, sql: str) -> str:
        return sql if self._p == "?" else sql.replace("?", "%s")

    def next_number(self) -> int:
        with self.transaction():
            row = self._execute(self._q("UPDATE counter SET n = n + 1 RETURNING n")).fetchone()
        return int(row[0])

    def _audit_rows(self, case: Case, start: int) -> list[tuple[Any, ...]]:
        return [
            (case.id, i, a.at.timestamp(), a.by, a.action, a.from_state, a.to_state, a.note)
            for i, a in enumerate(case.audit[start:], start)
        ]

    @abc.abstractmethod
    def _insert_audit(self, rows: list[tuple[Any, ...]]) -> None:
        """Append audit rows (each backend batches them its own way)."""

    def _flush_audit(self) -> None:
        if self._audit_buffer:
            rows, self._audit_buffer = self._audit_buffer, []
            self._insert_audit(rows)

    def insert(self, case: Case) -> None:
        with self.transaction():
            try:
                self._execute(
                    self._q(
                        "INSERT INTO cases (id, service_code, department, state, created,"
                        " updated, version, doc, tags) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)"
                    ),
                    (
                        case.id,
                        case.service_code,
                        case.department,
                        case.state.value,
                        case.created_at.timestamp(),
                        case.updated_at.timestamp(),
                        _doc(case),
                        _tags(case),
                    ),
                )
            except Exception as e:
                if "unique" in str(e).lower() or "duplicate" in str(e).lower():
                    raise ConcurrencyError(f"case {case.id!r} exists already") from e
                raise
            self._audit_buffer += self._audit_rows(case, 0)
        case.version, case.saved_audit = 1, len(case.audit)

    def save(self, case: Case) -> None:
        if self._depth:  # inside a batch: no nested transaction bookkeeping
            self._save(case)
        else:
            with self.transaction():
                self._save(case)
        case.version, case.saved_audit = case.version + 1, len(case.audit)

    _UPDATE = (
        "UPDATE cases SET state = ?, department = ?, updated = ?, version = ?,"
        " doc = ?, tags = ? WHERE id = ? AND version = ?"
    )

    @staticmethod
    def _row(case: Case) -> tuple[Any, ...]:
        """The parameters of ``_UPDATE`` for a changed case (its document written now)."""
        return (
            case.state._value_,
            case.department,
            case.updated_at.timestamp(),
            case.version + 1,
            _doc(case),
            _tags(case),
            case.id,
            case.version,
        )

    def _before_read(self) -> None:
        """Write what the open transaction holds back, so that reads see it."""
        self._flush_audit()

    def _save(self, case: Case) -> None:
        cur = self._execute(self._q(self._UPDATE), self._row(case))
        if cur.rowcount != 1:
            row = self._execute(self._q("SELECT version FROM cases WHERE id = ?"), (case.id,))
            found = row.fetchone()
            if found is None:
                raise NotFoundError(f"case {case.id!r} not found")
            msg = f"case {case.id!r} changed since read (version {case.version}, now {found[0]})"
            raise ConcurrencyError(msg)
        self._audit_buffer += self._audit_rows(case, case.saved_audit)

    def _load(self, rows: list[tuple[Any, ...]]) -> list[Case]:
        if not rows:
            return []
        audits: dict[str, list[AuditEntry]] = {r[0]: [] for r in rows}
        ids = list(audits)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join([self._p] * len(chunk))
            for a in self._execute(
                f"SELECT case_id, at, by, action, from_state, to_state, note FROM audit"
                f" WHERE case_id IN ({marks}) ORDER BY case_id, n",
                tuple(chunk),
            ).fetchall():
                audits[a[0]].append(
                    AuditEntry(
                        at=dt.datetime.fromtimestamp(a[1], dt.UTC),
                        by=a[2],
                        action=a[3],
                        from_state=a[4],
                        to_state=a[5],
                        note=a[6] or "",
                    )
                )
        return [Case.from_dict(json.loads(r[2]), audits[r[0]], r[1]) for r in rows]

    def get(self, case_id: str, *, lock: bool = False) -> Case:
        self._before_read()
        sql = "SELECT id, version, doc FROM cases WHERE id = ?"
        if lock and self._p != "?":
            sql += " FOR UPDATE"
        rows = self._execute(self._q(sql), (case_id,)).fetchall()
        if not rows:
            raise NotFoundError(f"case {case_id!r} not found")
        return self._load(rows)[0]

    def query(
        self,
        *,
        open_only: bool = False,
        department: str | None = None,
        tag: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Case]:
        self._before_read()
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if open_only:
            where.append(f"state NOT IN ({', '.join([self._p] * len(_CLOSED))})")
            params += list(_CLOSED)
        if department is not None:
            where.append(f"department = {self._p}")
            params.append(department)
        if tag is not None:
            where.append(f"tags LIKE {self._p}")
            params.append(f"%,{tag},%")
        if since is not None:
            where.append(f"created >= {self._p}")
            params.append(since.timestamp())
        if until is not None:
            where.append(f"created < {self._p}")
            params.append(until.timestamp())
        rows = self._execute(
            f"SELECT id, version, doc FROM cases WHERE {' AND '.join(where)}", tuple(params)
        ).fetchall()
        return sorted(self._load(rows), key=lambda c: _id_key(c.id))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._execute(self._q("SELECT value FROM meta WHERE key = ?"), (key,)).fetchone()
        return default if row is None else json.loads(row[0])


class SqliteStore(_SqlStore):
    """The embedded default: one SQLite file (or ``":memory:"``), WAL, schema migrations.

    Args:
        path: The database file.
        durable: ``True`` (default) syncs every commit (``synchronous=FULL``); ``False`` uses
            ``NORMAL`` (WAL: a process crash loses nothing, a power cut may lose the last commits).
    """

    def __init__(self, path: str | Path = ":memory:", *, durable: bool = True) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open: {e}") from e
        self._lock = threading.RLock()
        self._audit_buffer = []
        #: case id -> its version in the database, as this connection wrote it; trusted while
        #: no other connection has committed (``PRAGMA data_version`` unchanged)
        self._known: dict[str, int] = {}
        #: case id -> ``_UPDATE`` parameters, written in one ``executemany`` before commit
        self._pending: dict[str, tuple[Any, ...]] = {}
        self._data_version: int | None = None
        try:
            # a database newer than this code is refused before anything is written to it (the
            # journal mode is stored in the file); _migrate checks again inside its transaction
            _refuse_newer(f"{self.path}:", self.schema_version)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.Error as e:
            self._db.close()
            raise StoreError(f"{self.path}: cannot open: {e}") from e
        except BaseException:
            self._db.close()
            raise

    @property
    def schema_version(self) -> int:
        """The number of migrations applied to this database."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction():
            current = self.schema_version
            _refuse_newer(f"{self.path}:", current)
            for version in range(current, SCHEMA_VERSION):
                for sql in _SQLITE_MIGRATIONS[version]:
                    self._db.execute(sql)
                self._db.execute(f"PRAGMA user_version={version + 1}")

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self._db.execute(sql, params)

    def _insert_audit(self, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:
            self._db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[0])
        else:
            self._db.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def insert(self, case: Case) -> None:
        super().insert(case)
        self._know(case.id, 1)

    def _know(self, case_id: str, version: int) -> None:
        if len(self._known) >= 200_000:
            self._known.clear()
        self._known[case_id] = version

    def _save(self, case: Case) -> None:
        """Called inside a write transaction. When this connection wrote the version the case
        was read at, and no other connection has committed since (checked when the
        transaction began, whose write lock keeps them out until it ends), the version check
        cannot fail: the row is kept for one ``executemany`` before commit (several changes
        of a case in one batch write it once). Otherwise the checked UPDATE runs at once."""
        if self._known.get(case.id) == case.version:
            row = self._row(case)  # the document is written now: later edits are not saved
            old = self._pending.get(case.id)
            if old is not None:  # keep the version the database holds in the WHERE clause
                row = (*row[:-1], old[-1])
            self._pending[case.id] = row
            self._known[case.id] = case.version + 1
            self._audit_buffer += self._audit_rows(case, case.saved_audit)
            return
        self._flush_rows()
        self._known.pop(case.id, None)
        super()._save(case)
        self._know(case.id, case.version + 1)

    def _flush_rows(self) -> None:
        if self._pending:
            rows = list(self._pending.values())
            self._pending.clear()
            cur = self._db.executemany(self._UPDATE, rows)
            if cur.rowcount != len(rows):  # cannot happen under the write lock
                msg = f"{self.path}: {len(rows) - cur.rowcount} case(s) changed under our lock"
                raise StoreError(msg)

    def _before_read(self) -> None:
        self._flush_rows()
        self._flush_audit()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                version = self._db.execute("PRAGMA data_version").fetchone()[0]
                if version != self._data_version:  # another connection committed
                    self._known.clear()
                    self._data_version = version
                yield
                self._flush_rows()
                self._flush_audit()
            except BaseException:
                self._audit_buffer = []
                self._pending.clear()
                self._known.clear()
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def put_meta(self, key: str, value: Any) -> None:
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def close(self) -> None:
        self._db.close()


#: The PostgreSQL schema at version 2 (idempotent, run on every open); later versions are
#: reached through ``_PG_MIGRATIONS``.
_PG_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cases (id TEXT PRIMARY KEY, service_code TEXT NOT NULL,"
    " department TEXT NOT NULL, state TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,"
    " updated DOUBLE PRECISION NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS audit (case_id TEXT NOT NULL, n INTEGER NOT NULL,"
    " at DOUBLE PRECISION NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT,"
    " to_state TEXT, note TEXT, PRIMARY KEY (case_id, n))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE SEQUENCE IF NOT EXISTS case_numbers",
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_append_only ON audit",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
)
#: version -> the statements that bring a PostgreSQL database from the version before to it.
_PG_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 3: ``cases_open (state, department)`` was used only as a scan of its second column
    # (``department = ?``), and its ``state`` made every transition update the index (no HOT
    # update); ``(department, created)`` serves the department filters, and a transition
    # changes none of its columns
    3: (
        "DROP INDEX IF EXISTS cases_open",
        "CREATE INDEX IF NOT EXISTS cases_department ON cases (department, created)",
    ),
}


class PostgresStore(_SqlStore):
    """Cases in PostgreSQL (several app servers sharing cases); needs ``psycopg`` (extra).

    One connection per store object (use one store per thread). Concurrent changes to a case
    are detected by its version (optimistic), :class:`CaseDesk` re-applies the change.
    """

    _p = "%s"

    def __init__(self, conninfo: str) -> None:
        import psycopg  # optional extra, imported lazily

        try:
            self._db = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL: {e}") from e
        self._lock = threading.RLock()
        self._audit_buffer = []
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _migrate(self) -> None:
        """Create the schema, or bring an older one up to ``SCHEMA_VERSION`` (one transaction,
        under an advisory lock: concurrent opens wait); a newer one is refused untouched."""
        with self.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(31100)")
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            if row is not None:
                _refuse_newer("PostgreSQL", row[0])
            for sql in _PG_SCHEMA:
                self._db.execute(sql)
            current = 2 if row is None else max(int(row[0]), 2)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for sql in _PG_MIGRATIONS.get(version, ()):  # a version may be SQLite's only
                    self._db.execute(sql)
            if row is None:
                self._db.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                self._db.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return 0 if row is None else int(row[0])

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self._db.execute(sql.replace("?", "%s") if "?" in sql else sql, params)

    def next_number(self) -> int:
        return int(self._db.execute("SELECT nextval('case_numbers')").fetchone()[0])  # type: ignore[index]

    def _insert_audit(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self._db.cursor() as cur:
                cur.executemany("INSERT INTO audit VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self._db.transaction():
                    yield
                    self._flush_audit()
            except BaseException:
                self._audit_buffer = []
                raise
            finally:
                self._depth = 0

    def put_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, json.dumps(value)),
        )

    def close(self) -> None:
        self._db.close()


def open_store(url: str | Path | None = None) -> Store:
    """A store from a URL: ``None``/``"memory:"``, a SQLite path or ``sqlite:///path``
    (``sqlite://`` alone: an in-memory SQLite database), ``postgresql://...``. An empty
    string or another ``scheme://`` is a :class:`ConfigError`.

    >>> type(open_store("memory:")).__name__
    'MemoryStore'
    >>> open_store("mysql://x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    civiccc.errors.ConfigError: store: unknown scheme 'mysql' in 'mysql://x' (supported: ...)
    """
    if url is None or (isinstance(url, str) and url == "memory:"):
        return MemoryStore()
    if isinstance(url, Path):
        return SqliteStore(url)
    if not isinstance(url, str) or not url.strip():
        msg = f"a store URL must be a non-empty string or a path, got {url!r}"
        raise ConfigError(msg, path="store", value=url)
    s = url
    scheme, sep, _ = s.partition("://")
    if sep and scheme.lower() in ("postgresql", "postgres"):
        return PostgresStore(s)
    if sep and scheme.lower() != "sqlite":
        msg = (
            f"unknown scheme {scheme!r} in {s!r} (supported: memory:, a SQLite path,"
            " sqlite:///path, postgresql://, postgres://)"
        )
        raise ConfigError(msg, path="store", value=s)
    return SqliteStore(s.removeprefix("sqlite:///").removeprefix("sqlite://") or ":memory:")
