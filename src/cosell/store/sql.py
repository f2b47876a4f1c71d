"""The SQLAlchemy store. One transaction per request; SQLite runs WAL with synchronous=FULL so
an acknowledged write survives a crash, and write transactions begin IMMEDIATE so concurrent
writers (threads or processes) serialize instead of racing.

On SQLite, writes are group-committed: every write unit runs, one after another, inside a SAVEPOINT
of one shared transaction on the process's writer connection, and a committer thread commits that
transaction for all the units that joined it. A unit's `with store.write()` block only returns (or,
under deferred_commits, its Future only resolves) once its batch is on disk, so nothing is
acknowledged before it is durable; a unit that raises rolls back to its savepoint and leaves
nothing; a failed commit fails every unit of the batch.

The fsync happens outside the writer's lock, so the next batch's units run while the last one is
being synced: the writer connection commits with synchronous=NORMAL (the WAL frames reach the OS)
and the committer then fsyncs the WAL file itself before acknowledging. That is synchronous=FULL's
guarantee ("the WAL file is synchronized after each transaction is committed"), paid once per batch
and without stopping the writers. Other connections keep synchronous=FULL.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
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


# Group commit: a batch is committed once no unit has joined it for GATHER_QUIET_SECONDS, or after
# MAX_GATHER_SECONDS at most. Both are far below one fsync plus a network round trip.
GATHER_QUIET_SECONDS = 0.0003
MAX_GATHER_SECONDS = 0.003

_DEFERRED_COMMITS: ContextVar[list | None] = ContextVar("cosell_deferred_commits", default=None)


@contextmanager
def deferred_commits() -> Iterator[list[Future]]:
    """Within this block, a write unit does not wait for its batch to reach the disk: the commit's
    Future is collected instead, and the caller must wait for every one (sync or async) before it
    acknowledges anything. The server uses this to await durability without holding a thread."""
    pending: list[Future] = []
    token = _DEFERRED_COMMITS.set(pending)
    try:
        yield pending
    finally:
        _DEFERRED_COMMITS.reset(token)


class _Batch:
    """Write units that share one transaction, and the outcome of its commit."""

    def __init__(self, transaction):
        self.transaction = transaction
        self.committed: Future = Future()


class GroupCommitWriter:
    """The process's one SQLite writer connection, shared by write units in turn (see module doc)."""

    def __init__(self, engine: Engine, database: Path):
        self._connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        # The committer fsyncs (module doc); set on the DBAPI connection, outside any transaction.
        self._connection.connection.dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        self._wal = Path(f"{database}-wal")
        self._directory_synced = False
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
        deferred = _DEFERRED_COMMITS.get()
        if deferred is not None:
            deferred.append(batch.committed)
        else:
            batch.committed.result()

    def _commit_batches(self) -> None:
        while True:
            self._work.wait()
            self._gather()
            with self._lock:
                batch, self._batch = self._batch, None
                error = None
                if batch is not None:
                    try:
                        batch.transaction.commit()
                    except BaseException as failure:  # the disk refused it: no unit of the batch is kept
                        error = failure
                        self._discard(batch)
                stop = self._closed
            if batch is not None:
                if error is None:
                    error = self._sync()
                if error is None:
                    batch.committed.set_result(None)
                else:
                    batch.committed.set_exception(error)
            if stop:
                return

    def _sync(self) -> BaseException | None:
        """fsync the WAL (and, once, its directory): the committed batch is then on disk."""
        try:
            descriptor = os.open(self._wal, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            if not self._directory_synced:
                descriptor = os.open(self._wal.parent, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
                self._directory_synced = True
        except OSError as error:
            return error
        return None

    def _gather(self) -> None:
        """Let more units join the batch while they keep coming (a server answering many clients
        runs them back to back), so that one fsync serves them all; never longer than MAX_GATHER."""
        deadline = time.monotonic() + MAX_GATHER_SECONDS
        self._work.clear()
        while time.monotonic() < deadline and self._work.wait(GATHER_QUIET_SECONDS):
            self._work.clear()

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
        file_backed = self._is_sqlite and parsed.database not in (None, "", ":memory:")
        self._writer = GroupCommitWriter(self.engine, Path(parsed.database)) if file_backed else None
        self._pagination_key: bytes | None = None

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

    def pagination_key(self) -> bytes:
        """The key that signs NextTokens: made once per database, then kept here (it never changes)."""
        if self._pagination_key is None:
            with self.read() as tx:
                key = tx.pagination_key()
            if key is None:  # the first list call on this database
                with self.write() as tx:
                    key = tx.ensure_pagination_key()
            self._pagination_key = key
        return self._pagination_key

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.engine.dispose()


class StoreTransaction(OpportunityQueries, TokenQueries, SolutionQueries, TagQueries, TaskQueries, ListQueries,
                       AccountQueries, QuotaQueries, FaultQueries):
    """The operations' view of storage inside one transaction; one mixin of queries per resource."""

    def __init__(self, connection: Connection):
        self._c = connection
