"""The SQLAlchemy store. One transaction per request; SQLite runs WAL with synchronous=FULL so
an acknowledged write survives a crash, and write transactions begin IMMEDIATE so concurrent
writers (threads or processes) serialize instead of racing.

On SQLite, writes are group-committed: every write unit runs, one after another, inside a SAVEPOINT
of one shared transaction on the process's writer connection, and a committer thread commits that
transaction (one fsync) for all the units that joined it. A unit's `with store.write()` block only
returns once its batch is on disk, so nothing is acknowledged before it is durable; a unit that
raises rolls back to its savepoint and leaves nothing; a failed commit fails every unit of the batch.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

from cosell.store.accounts import AccountQueries
from cosell.store.faults import FaultQueries
from cosell.store.listing import ListQueries
from cosell.store.opportunities import OpportunityQueries
from cosell.store.quotas import QuotaQueries
from cosell.store.schema import metadata
from cosell.store.solutions import SolutionQueries
from cosell.store.tags import TagQueries
from cosell.store.tasks import TaskQueries
from cosell.store.tokens import TokenQueries

def _sqlite_engine(url) -> Engine:
    database = url.database
    if database and database != ":memory:":
        path = Path(database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Only the owner may read it: it holds the accounts' secret keys. SQLite creates the -wal and
        # -shm files with the database file's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin listener below owns transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")  # first: another process may be setting the database up
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class _Batch:
    """Write units that share one transaction, and the outcome of its commit."""

    def __init__(self, transaction):
        self.transaction = transaction
        self.committed = threading.Event()
        self.error: BaseException | None = None


class GroupCommitWriter:
    """The process's one SQLite writer connection, shared by write units in turn (see module doc)."""

    def __init__(self, engine: Engine):
        self._connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        self._lock = threading.Lock()  # who may use the connection: one unit, or the committer
        self._batch: _Batch | None = None
        self._work = threading.Event()
        self._closed = False
        self._committer = threading.Thread(target=self._commit_batches, name="cosell-group-commit", daemon=True)
        self._committer.start()

    @contextmanager
    def unit(self) -> Iterator["StoreTransaction"]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            if self._batch is None:
                self._batch = _Batch(self._connection.begin())
            batch = self._batch
            savepoint = self._connection.begin_nested()
            try:
                yield StoreTransaction(self._connection)
            except BaseException:
                savepoint.rollback()
                raise
            else:
                savepoint.commit()
            finally:
                self._work.set()  # even a unit that left nothing must not leave the batch (and its lock) open
        batch.committed.wait()
        if batch.error is not None:
            raise batch.error

    def _commit_batches(self) -> None:
        while True:
            self._work.wait()
            self._work.clear()
            with self._lock:
                batch, self._batch = self._batch, None
                if batch is not None:
                    try:
                        batch.transaction.commit()
                    except BaseException as error:  # the disk refused it: no unit of the batch is kept
                        batch.error = error
                        self._discard(batch)
                stop = self._closed
            if batch is not None:
                batch.committed.set()
            if stop:
                return

    @staticmethod
    def _discard(batch: _Batch) -> None:
        try:
            batch.transaction.rollback()
        except Exception:
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._work.set()
        self._committer.join(timeout=10)
        self._connection.close()


class Store:
    def __init__(self, url: str):
        parsed = make_url(url)
        self.engine = _sqlite_engine(parsed) if parsed.get_backend_name() == "sqlite" else create_engine(url)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        self._create_schema()
        self._writer = GroupCommitWriter(self.engine) if self._is_sqlite else None

    def _create_schema(self) -> None:
        """Tables and indexes, in one write transaction so processes starting together take turns."""
        with self.engine.connect() as connection:
            if self._is_sqlite:
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                metadata.create_all(connection)
                for table in metadata.sorted_tables:  # create_all skips indexes added to an existing table
                    for index in table.indexes:
                        index.create(connection, checkfirst=True)

    @contextmanager
    def write(self) -> Iterator["StoreTransaction"]:
        """A write transaction: durable when the block ends, rolled back on any exception."""
        if self._writer is not None:
            with self._writer.unit() as tx:
                yield tx
            return
        with self.engine.connect() as connection:
            with connection.begin():
                yield StoreTransaction(connection)

    @contextmanager
    def read(self) -> Iterator["StoreTransaction"]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield StoreTransaction(connection)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.engine.dispose()


class StoreTransaction(OpportunityQueries, TokenQueries, SolutionQueries, TagQueries, TaskQueries, ListQueries,
                       AccountQueries, QuotaQueries, FaultQueries):
    """The operations' view of storage inside one transaction; one mixin of queries per resource."""

    def __init__(self, connection: Connection):
        self._c = connection
