"""Opening SQLite connections as cosell uses them: WAL, synchronous=FULL, a busy timeout, transactions
left to the caller, and a database file only its owner may read."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

BUSY_TIMEOUT_MS = 30_000  # how long a connection waits for another process's write lock


def prepare_database_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Only the owner may read it: it holds the accounts' secret keys. SQLite creates the -wal and
    # -shm files with the database file's permissions.
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


def configure_sqlite(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: another process may be setting it up
    _use_wal(connection)
    connection.execute("PRAGMA synchronous=FULL")
    # Deleted content is zeroed when that costs no extra I/O (FAST), not always (ON, the default of some
    # builds, Debian's among them): with ON, a reset of 10,000 opportunities took 90 ms, with FAST about
    # 15 (bench/devkit.py).
    connection.execute("PRAGMA secure_delete=FAST")


def _use_wal(connection: sqlite3.Connection) -> None:
    """PRAGMA journal_mode=WAL, waiting as long as the busy timeout. While other processes open a new,
    empty database file too and one of them creates its first tables, SQLite may answer this pragma
    "database is locked" at once, without calling the busy handler (2 to 3 times in 250 races of 4
    processes): it is tried again."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection that leaves transactions to us (BEGIN ... COMMIT), usable from any thread."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
    configure_sqlite(connection)
    return connection


def sqlite_engine(url) -> Engine:
    """For the schema and the dialect: statements are run on our own connections, with named
    parameters (sqlite3 binds them from the dict it is given, with no list built per statement)."""
    engine = create_engine(url, poolclass=NullPool, paramstyle="named")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        configure_sqlite(dbapi_connection)

    return engine
