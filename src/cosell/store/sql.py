"""The store: SQLAlchemy Core statements (store/execution.py) on SQLite, the embedded default, or
another database SQLAlchemy knows.

SQLite runs WAL with synchronous=FULL so an acknowledged write survives a crash. Each thread reads on
a connection of its own, kept open; the process writes on one connection (below). Other databases
take a pooled connection per transaction.

On SQLite, writes are group-committed: every write unit runs, one after another, inside a SAVEPOINT
of one shared transaction on the process's writer connection (or without one: _WriteUnit), and that
transaction is committed once for all the units that joined it (by the event loop, or the syncer
thread: GroupCommitWriter). The transaction begins IMMEDIATE, so writers in other processes wait
for it instead of racing. A unit's `with store.write()` block only returns (or, under
deferred_commits, its batch only settles) once the batch is on disk, so nothing is acknowledged
before it is durable; a unit that raises leaves nothing (its savepoint is rolled back, or, if it
had none and had written, its whole batch); a failed commit fails every unit of the batch.

The fsync happens outside the writer's lock, so the next batch's units can run while the last one
is being synced: the writer connection commits with synchronous=NORMAL (the WAL frames reach the OS)
and the WAL file itself is then fsynced before anything is acknowledged. That is synchronous=FULL's
guarantee ("the WAL file is synchronized after each transaction is committed"), paid once per batch
and without stopping the writers. Other connections keep synchronous=FULL. Who fsyncs: the syncer
thread, so that the event loop serves other requests meanwhile; or, while that has been seen to
leave the loop with nothing to do, the loop itself (GroupCommitWriter._commit).

Checkpoints (copying the WAL back into the database file, and syncing that) are not left to the
commit that crosses SQLite's threshold, which would hold the writer's lock through them and stall
every writer: the writer connection never checkpoints, and a checkpointer thread runs PASSIVE
checkpoints, which neither wait for nor block writers, on a connection of its own. Such a checkpoint
cannot catch up with a writer that never stops, and SQLite only starts the WAL file over once it
has: so when the WAL passes RESTART_WAL_FRAMES, the writer finishes the checkpoint itself right
after a commit, still holding the writer's lock, and the next batch starts the file over. Most
frames are already copied by then, so the writers wait for little more than a sync.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import threading
import weakref
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from cosell.store.accounts import AccountQueries
from cosell.store.execution import Database
from cosell.store.faults import FaultQueries
from cosell.store.listing import ListQueries
from cosell.store.opportunities import OpportunityQueries
from cosell.store.quotas import QuotaQueries
from cosell.store.schema import metadata
from cosell.store.solutions import SolutionQueries
from cosell.store.tags import TagQueries
from cosell.store.tasks import TaskQueries
from cosell.store.tokens import TokenQueries

BUSY_TIMEOUT_MS = 30_000  # how long a connection waits for another process's write lock
SCHEMA_LOCK_KEY = 0x636F73656C6C  # "cosell": PostgreSQL's advisory lock held while creating the schema


def _prepare_database_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Only the owner may read it: it holds the accounts' secret keys. SQLite creates the -wal and
    # -shm files with the database file's permissions.
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


def _configure_sqlite(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: another process may be setting it up
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection that leaves transactions to us (BEGIN ... COMMIT), usable from any thread."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
    _configure_sqlite(connection)
    return connection


def _sqlite_engine(url) -> Engine:
    """For the schema and the dialect: statements are run on our own connections, with named
    parameters (sqlite3 binds them from the dict it is given, with no list built per statement)."""
    engine = create_engine(url, poolclass=NullPool, paramstyle="named")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        _configure_sqlite(dbapi_connection)

    return engine


CHECKPOINT_INTERVAL_SECONDS = 0.25
# On an event loop, how long a batch stays open at most before the loop commits it; it is committed
# sooner once it has as many units as the last batch (GroupCommitWriter._commit_soon). Under wrk (16
# clients, creates): 0.5 ms ~4,000/s, 1 ms ~4,250/s, 2 ms ~4,800/s, 3 ms ~3,700/s (the clients all
# wait in the open batch and the loop runs dry). Sequential creates: 1 client ~1,500/s, 2 ~2,300/s.
GATHER_SECONDS = 0.002
RESTART_WAL_FRAMES = 4096  # pages: 16 MiB of WAL at SQLite's default page size
# How many batches a loop fsyncs itself after seeing it had nothing else to do (GroupCommitWriter).
LOOP_SYNCS_PER_PROBE = 15

_DEFERRED_COMMITS: ContextVar[list | None] = ContextVar("cosell_deferred_commits", default=None)


class deferred_commits:  # noqa: N801 - used as a context manager, like contextlib's
    """Within this block, a write unit does not wait for its batch to reach the disk: the batch is
    collected instead, and the caller must wait for every one (`result()` or `await wait()`) before
    it acknowledges anything. The server uses this to await durability without holding a thread.
    (A class, not a @contextmanager generator: it wraps every step of every request.)"""

    __slots__ = ("pending", "_token")

    def __enter__(self) -> list["Batch"]:
        self.pending: list[Batch] = []
        self._token = _DEFERRED_COMMITS.set(self.pending)
        return self.pending

    def __exit__(self, *_exc) -> None:
        _DEFERRED_COMMITS.reset(self._token)


class Batch:
    """Write units that share one transaction, and the outcome of its commit: waited for by threads
    (`result`) or by event loops (`wait`), each loop woken once per batch however many of its
    requests wait."""

    def __init__(self):
        self.committed_by_syncer = False  # opened on a thread without an event loop
        self.activity_mark: int | None = None  # handed to the syncer by a loop: see GroupCommitWriter._commit
        self.units = 0
        self.counters: dict[str, int] = {}  # the numbers its units took (TokenQueries.next_number)
        self._committed: Future = Future()
        self._guard = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}

    def result(self) -> None:
        """Blocks until the batch is on disk; raises what made its commit fail."""
        self._committed.result()

    def wait(self) -> "asyncio.Future[None]":
        """An awaitable on the running loop for the same outcome."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        with self._guard:
            if not self._committed.done():
                self._loops.setdefault(loop, []).append(waiter)
                return waiter
        _settle([waiter], self._committed.exception())
        return waiter

    def settle(self, error: BaseException | None) -> None:
        with self._guard:
            if error is None:
                self._committed.set_result(None)
            else:
                self._committed.set_exception(error)
            loops, self._loops = self._loops, {}
        running = asyncio._get_running_loop()
        for loop, waiters in loops.items():
            if loop is running:
                _settle(waiters, error)
                continue
            try:
                loop.call_soon_threadsafe(_settle, waiters, error)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass


class _WriteUnit:
    """GroupCommitWriter.unit: holds the writer from __enter__ to __exit__; the unit's writes are
    undone if its block raises, and its batch is awaited (or, under deferred_commits, collected) if
    not. (A class, not a @contextmanager generator: it wraps every write.)

    Undone how: a unit runs in a savepoint of its own, or, if `own_savepoint` is false, in none. A
    savepoint copies every page the unit changes first (~6 µs a create), so a unit whose expected
    failures all come before its first write can go without: when it raises having written nothing
    there is nothing to undo, and when it raises after writing (a bug, a full disk) the whole batch
    is rolled back, and every request in it fails with BatchUndone instead of being acknowledged."""

    __slots__ = ("_writer", "_batch", "_opens_batch", "_counters", "_own_savepoint", "_changes")

    def __init__(self, writer: GroupCommitWriter, own_savepoint: bool):
        self._writer = writer
        self._own_savepoint = own_savepoint

    def __enter__(self) -> "StoreTransaction":
        writer = self._writer
        next(writer.transactions_begun)
        writer._lock.acquire()
        try:
            if writer._closed:
                raise RuntimeError("the store is closed")
            batch = writer._batch
            self._opens_batch = batch is None
            if batch is None:
                writer._connection.execute("BEGIN IMMEDIATE")
                batch = writer._batch = Batch()
            self._batch = batch
            batch.units += 1
            if self._own_savepoint:
                writer._connection.execute("SAVEPOINT unit")
            else:
                self._changes = writer._connection.total_changes
        except BaseException:
            if self._opens_batch and writer._batch is not None:
                writer._schedule_commit(writer._batch)  # the batch (and its lock) must not stay open
            writer._lock.release()
            raise
        self._counters = batch.counters.copy()
        return StoreTransaction(writer._database, batch.counters)

    def __exit__(self, exc_type, _exc, _traceback) -> bool:
        writer, batch = self._writer, self._batch
        undone = False
        try:
            if not self._own_savepoint:
                if exc_type is not None:
                    if writer._connection.total_changes == self._changes:
                        batch.counters = self._counters  # nothing written: only its numbers to give back
                    else:
                        undone = True
                        writer._batch = None
                        writer._discard()
            elif exc_type is None:
                writer._connection.execute("RELEASE SAVEPOINT unit")
            else:
                writer._connection.execute("ROLLBACK TO SAVEPOINT unit")
                writer._connection.execute("RELEASE SAVEPOINT unit")
                batch.counters = self._counters  # the numbers it took are given back with its writes
        finally:
            if self._opens_batch:  # even if this unit left nothing: the batch (and its lock) must not stay open
                writer._schedule_commit(batch)
            if batch.units == writer._last_batch_units:
                writer._commit_soon(batch)
            writer._lock.release()
        if undone:
            batch.settle(BatchUndone("A write in the same group commit failed after writing; the batch was undone."))
        if exc_type is None:
            deferred = _DEFERRED_COMMITS.get()
            if deferred is not None:
                deferred.append(batch)
            else:
                batch.result()
        return False


class BatchUndone(RuntimeError):
    """The batch was rolled back before its commit: a unit without a savepoint of its own failed after
    writing (_WriteUnit). Nothing of the batch is kept."""


def _settle(waiters: list[asyncio.Future], error: BaseException | None) -> None:
    for waiter in waiters:
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


class GroupCommitWriter:
    """The process's one SQLite writer connection, shared by write units in turn (see module doc).

    Who commits a batch: on an event loop, the loop itself, GATHER_SECONDS after the batch opened (the
    requests it runs meanwhile join the batch); a batch opened on another thread, the syncer thread.
    The syncer thread fsyncs: every batch committed since its last fsync, with one fsync. Keeping the
    COMMIT on the loop's thread matters: each time the syncer needs the interpreter lock it takes it
    from the loop (a thread switch on each side), and a committer thread needed it ~4 times per request.

    A loop's batch is fsynced by the syncer while the loop has other work meanwhile, and by the loop
    itself while it has none (_commit): when every client is waiting for the batch, as under a steady
    load of writes, handing the fsync over and back only adds two thread wake-ups to the time the
    loop stands idle (~0.14 ms per batch here; creates/s went up ~10%). Whether the loop had other
    work is seen on the batches handed to the syncer: how many transactions began while one was
    being synced (`transactions_begun`). After one that saw fewer than half as many as the batch
    has units, the loop syncs the next LOOP_SYNCS_PER_PROBE batches itself, then hands one over
    again to look."""

    def __init__(self, database: Path, dialect):
        self._connection = _connect_sqlite(database)
        # The syncer fsyncs (module doc); set outside any transaction.
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job (module doc)
        # Each unit's savepoint keeps the pages it changes in a statement journal, a temporary file by
        # default: in memory, a unit's writes cost about half as much. It holds one unit's pages at most.
        self._connection.execute("PRAGMA temp_store=MEMORY")
        self._checkpoints = _Checkpointer(database)
        self._database = Database(self._connection, dialect)
        self._wal = Path(f"{database}-wal")
        self._wal_descriptor: int | None = None
        self._lock = threading.Lock()  # who may use the connection; guards the fields below
        self._batch: Batch | None = None  # open: units join it
        self._unsynced: list[Batch] = []  # committed, not yet fsynced
        self._last_batch_units = 0
        self._syncer_idle = False
        self._work = threading.Event()
        self._closed = False
        # Counts the transactions begun on this database in this process, reads and writes (one
        # next() each: atomic, and cheaper than a lock); see the class doc.
        self.transactions_begun = itertools.count()
        self._loop_syncs_left = 0  # batches the loop will still fsync itself before handing one over
        self._wal_lock = threading.Lock()  # opening the WAL's descriptor: the loop and the syncer both fsync
        self._syncer = threading.Thread(target=self._sync_batches, name="cosell-group-commit", daemon=True)
        self._syncer.start()

    def unit(self, own_savepoint: bool = True) -> "_WriteUnit":
        """`with writer.unit() as tx:` one write unit of the open batch (_WriteUnit)."""
        return _WriteUnit(self, own_savepoint)

    def _schedule_commit(self, batch: "Batch") -> None:
        """Under the lock, as the batch opens: who commits it, and when (class doc)."""
        loop = asyncio._get_running_loop()
        if loop is not None:
            loop.call_later(GATHER_SECONDS, self._commit, batch)
        else:
            batch.committed_by_syncer = True
            self._wake_syncer()

    def _commit_soon(self, batch: "Batch") -> None:
        """Under the lock: the batch has as many units as the last one, so the clients writing now
        have probably all joined it; a lone client (one unit a batch) then never waits for the
        gathering time. On an event loop, once the loop has run what was ready."""
        loop = asyncio._get_running_loop()
        if loop is not None:
            loop.call_soon(self._commit, batch)

    def _wake_syncer(self) -> None:
        """Under the lock."""
        if self._syncer_idle:
            self._syncer_idle = False
            self._work.set()

    def _commit(self, batch: "Batch") -> None:
        """Commits `batch` if it is still the open one, then fsyncs it here or hands it to the syncer
        (class doc)."""
        sync_here = False
        with self._lock:
            if self._batch is not batch:
                return  # committed already (by close)
            self._batch = None
            self._last_batch_units = batch.units
            try:
                if batch.counters:
                    StoreTransaction(self._database).save_counters(batch.counters)
                self._connection.execute("COMMIT")
            except BaseException as failure:  # the disk refused it: no unit of the batch is kept
                self._discard()
                error = failure
            else:
                error = None
                self._checkpoints.finish_if_wal_is_long(self._connection)
                if not batch.committed_by_syncer and self._loop_syncs_left > 0:
                    self._loop_syncs_left -= 1
                    sync_here = True
                else:
                    if not batch.committed_by_syncer:
                        batch.activity_mark = next(self.transactions_begun)
                    self._unsynced.append(batch)
                    self._wake_syncer()
        if sync_here:
            error = self._sync()
            if error is None:
                self._checkpoints.due()
        if error is not None or sync_here:
            batch.settle(error)

    def _note_loop_activity(self, synced: list["Batch"]) -> None:
        """After an fsync of batches a loop handed over: how many transactions began meanwhile? If
        fewer than half the batch's units, the loop had little else to do, and fsyncs its next
        batches itself (class doc)."""
        probes = [batch for batch in synced if batch.activity_mark is not None]
        if probes:
            probe = max(probes, key=lambda batch: batch.activity_mark)
            begun = next(self.transactions_begun) - probe.activity_mark - 1
            with self._lock:
                self._loop_syncs_left = LOOP_SYNCS_PER_PROBE if 2 * begun < probe.units else 0

    def _sync_batches(self) -> None:
        """The syncer thread: commits the batches opened on threads, fsyncs what was committed."""
        while True:
            with self._lock:
                batch = self._batch if self._batch is not None and self._batch.committed_by_syncer else None
            if batch is not None:
                self._commit(batch)
            with self._lock:
                synced, self._unsynced = self._unsynced, []
                stop = self._closed and self._batch is None
                self._syncer_idle = not synced and not stop and not (
                    self._batch is not None and self._batch.committed_by_syncer)
                idle = self._syncer_idle
            if synced:
                error = self._sync()
                if error is None:
                    self._checkpoints.due()
                    self._note_loop_activity(synced)
                for done in synced:
                    done.settle(error)
            elif stop:
                return
            elif idle:
                self._work.wait()
                self._work.clear()

    def _sync(self) -> BaseException | None:
        """fsync the WAL (and, once, its directory): the committed batches are then on disk. The WAL
        file stays the same file while this process has the database open (SQLite deletes it only when
        the last connection closes, and starts it over in place), so its descriptor is opened once."""
        try:
            if self._wal_descriptor is None:
                with self._wal_lock:
                    if self._wal_descriptor is None:
                        descriptor = os.open(self._wal, os.O_RDONLY)
                        directory = os.open(self._wal.parent, os.O_RDONLY)
                        try:
                            os.fsync(directory)
                        finally:
                            os.close(directory)
                        self._wal_descriptor = descriptor
            os.fsync(self._wal_descriptor)
        except OSError as error:
            return error
        return None

    def _discard(self) -> None:
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except Exception:
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            batch = self._batch
        if batch is not None:
            self._commit(batch)
        with self._lock:
            self._syncer_idle = False
        self._work.set()
        self._syncer.join(timeout=10)
        self._checkpoints.close()
        self._connection.close()
        if self._wal_descriptor is not None:
            os.close(self._wal_descriptor)


class _Checkpointer:
    """Copies committed WAL frames into the database file, on its own thread and connection, at
    most every CHECKPOINT_INTERVAL_SECONDS while there are commits (see the module doc)."""

    def __init__(self, database: Path):
        self._connection = _connect_sqlite(database)
        self._due = threading.Event()
        self._closing = threading.Event()
        self._wal_is_long = False  # set here, acted on by the writer after a commit
        self._thread = threading.Thread(target=self._run, name="cosell-checkpoint", daemon=True)
        self._thread.start()

    def due(self) -> None:
        self._due.set()

    def finish_if_wal_is_long(self, writer: sqlite3.Connection) -> None:
        """On the writer, between two batches: completes the checkpoint so that the WAL starts over."""
        if self._wal_is_long:
            self._wal_is_long = False
            try:
                writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # the next long WAL tries again

    def _run(self) -> None:
        while True:
            self._due.wait()
            if self._closing.wait(CHECKPOINT_INTERVAL_SECONDS):  # commits in the meantime share this checkpoint
                return
            self._due.clear()
            try:
                _busy, wal_frames, _copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                continue  # busy or failing: the WAL keeps the data, and the next checkpoint tries again
            if wal_frames >= RESTART_WAL_FRAMES:
                self._wal_is_long = True

    def close(self) -> None:
        self._closing.set()
        self._due.set()
        self._thread.join(timeout=10)
        self._connection.close()


class _SQLiteReaders:
    """A read connection per thread, kept open (opening one costs more than most reads). A read
    inside a read on the same thread shares its transaction."""

    def __init__(self, database: Path, dialect, transactions_begun: Iterator[int]):
        self._database = database
        self._dialect = dialect
        self._transactions_begun = transactions_begun  # GroupCommitWriter's count
        self._local = threading.local()
        self._all: weakref.WeakSet = weakref.WeakSet()  # to close them and to trace them
        self.trace: Callable[[str], None] | None = None

    def transaction(self) -> "_Reader":
        """This thread's reader, a context manager for one read transaction (the object is reused:
        a read costs no generator and no new objects)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            connection = _connect_sqlite(self._database)
            connection.set_trace_callback(self.trace)
            reader = self._local.reader = _Reader(connection, StoreTransaction(Database(connection, self._dialect)),
                                                  self._transactions_begun)
            self._all.add(reader)
        return reader

    def connections(self) -> list[sqlite3.Connection]:
        return [reader.connection for reader in list(self._all)]


class _Reader:
    """One thread's read connection; `with reader as tx:` is a read transaction, and one inside
    another on the same thread shares it."""

    __slots__ = ("connection", "transaction", "depth", "transactions_begun", "__weakref__")

    def __init__(self, connection: sqlite3.Connection, transaction: "StoreTransaction",
                 transactions_begun: Iterator[int]):
        self.connection = connection
        self.transaction = transaction
        self.depth = 0
        self.transactions_begun = transactions_begun

    def __enter__(self) -> "StoreTransaction":
        if not self.depth:
            next(self.transactions_begun)
            self.connection.execute("BEGIN")
        self.depth += 1
        return self.transaction

    def __exit__(self, *_exc) -> None:
        self.depth -= 1
        if not self.depth:
            self.connection.execute("COMMIT")


class Store:
    def __init__(self, url: str):
        parsed = make_url(url)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        if self._is_sqlite:
            if parsed.database in (None, "", ":memory:") or parsed.database.startswith("file:"):
                raise ValueError(f"cosell keeps SQLite in a file: give a path in the URL ({url!r} has none).")
            path = Path(parsed.database)
            _prepare_database_file(path)
            self.engine = _sqlite_engine(parsed)
        else:
            self.engine = create_engine(url)
        self.dialect = self.engine.dialect
        self._create_schema()
        self._writer = GroupCommitWriter(path, self.dialect) if self._is_sqlite else None
        self._readers = _SQLiteReaders(path, self.dialect, self._writer.transactions_begun) if self._is_sqlite else None
        self._pagination_key: bytes | None = None

    def _create_schema(self) -> None:
        """Tables and indexes, in one write transaction so processes starting together take turns."""
        with self.engine.connect() as connection:
            if self._is_sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.begin()
                if self.dialect.name == "postgresql":  # CREATE TABLE takes no lock that would order them
                    connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            metadata.create_all(connection)
            for table in metadata.sorted_tables:  # create_all skips indexes added to an existing table
                for index in table.indexes:
                    index.create(connection, checkfirst=True)
            connection.commit()

    def write(self, own_savepoint: bool = True) -> ContextManager["StoreTransaction"]:
        """A write transaction, `with store.write() as tx:`: durable when the block ends, rolled back
        on any exception. `own_savepoint=False` is for a block whose expected failures all come
        before its first write: cheaper on SQLite, where a failure after writing undoes the other
        requests of its group commit too (_WriteUnit)."""
        if self._writer is not None:
            return self._writer.unit(own_savepoint)
        return self._pooled()

    def read(self) -> ContextManager["StoreTransaction"]:
        """A read transaction: `with store.read() as tx:`."""
        if self._readers is not None:
            return self._readers.transaction()
        return self._pooled()

    @contextmanager
    def _pooled(self) -> Iterator["StoreTransaction"]:
        """A transaction on a pooled connection (databases other than SQLite)."""
        connection = self.engine.raw_connection()
        try:
            yield StoreTransaction(Database(connection.dbapi_connection, self.dialect))
        except BaseException:
            connection.rollback()
            raise
        else:
            connection.commit()
        finally:
            connection.close()

    @contextmanager
    def trace(self, callback: Callable[[str], None]) -> Iterator[None]:
        """SQLite: `callback` gets the text of every statement this store runs within the block
        (values written in), as sqlite3's trace callback gives it. For tests and debugging."""
        if not self._is_sqlite:
            raise NotImplementedError("statement tracing is implemented for SQLite only")
        connections = [self._writer._connection, *self._readers.connections()]
        self._readers.trace = callback
        for connection in connections:
            connection.set_trace_callback(callback)
        try:
            yield
        finally:
            self._readers.trace = None
            for connection in [self._writer._connection, *self._readers.connections()]:
                connection.set_trace_callback(None)

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
        if self._readers is not None:
            for connection in self._readers.connections():
                connection.close()
        self.engine.dispose()


class StoreTransaction(OpportunityQueries, TokenQueries, SolutionQueries, TagQueries, TaskQueries, ListQueries,
                       AccountQueries, QuotaQueries, FaultQueries):
    """The operations' view of storage inside one transaction; one mixin of queries per resource."""

    def __init__(self, database: Database, counters: dict[str, int] | None = None):
        self._db = database
        self._counters = counters
