"""Fixtures for the cases tests: the VAN calendar, a catalogue, and a PostgreSQL server.

The PostgreSQL server is started by the fixtures (initdb + pg_ctl on a loopback port in a temp
dir); as root it runs as the unprivileged system user ``civiccc-pg`` (created when missing).
Without the Debian binaries (/usr/lib/postgresql/<ver>/bin) the PostgreSQL tests skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from civiccc.cases import Catalogue, MemoryStore, PostgresStore, SqliteStore, Store

PG_USER = "civiccc-pg"
HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from cases_helpers import CATALOGUE  # noqa: E402


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue.from_dict(CATALOGUE)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Callable[[], str]]:
    """Start a throw-away PostgreSQL server; yields a factory of fresh databases (conninfo)."""
    pytest.importorskip("psycopg", reason="psycopg (extra 'postgres') is not installed")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = os.geteuid() == 0
    if root and subprocess.run(["id", "-u", PG_USER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
    base = Path(tempfile.mkdtemp(prefix="civiccc-pg-"))
    data = base / "data"
    if root:
        shutil.chown(base, PG_USER)
    prefix = ["runuser", "-u", PG_USER, "--"] if root else []
    port = _free_port()
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    import psycopg

    counter = itertools.count()
    admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def new_db() -> str:
        name = f"t{next(counter)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return f"host=127.0.0.1 port={port} user=postgres dbname={name}"

    try:
        yield new_db
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store implementation in turn (the shared behavioural suite)."""
    s: Store
    if request.param == "memory":
        s = MemoryStore()
    elif request.param == "sqlite":
        s = SqliteStore(tmp_path / "cases.db")
    else:
        s = PostgresStore(request.getfixturevalue("pg_server")())
    yield s
    s.close()
