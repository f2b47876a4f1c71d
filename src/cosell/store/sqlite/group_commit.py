"""Group commit on SQLite: every write unit runs, one after another, inside a SAVEPOINT of one shared
transaction on the process's writer connection (or without one: _WriteUnit), and that transaction is
committed once for all the units that joined it (by the event loop, or the syncer thread:
GroupCommitWriter). The transaction begins IMMEDIATE, so writers in other processes wait for it
instead of racing. A unit's `with store.write()` block only returns (or, under deferred_commits, its
batch only settles) once the batch is on disk, so nothing is acknowledged before it is durable; a unit
that raises leaves nothing (its savepoint is rolled back, or, if it had none and had written, its whole
batch); a failed commit fails every unit of the batch.

The fsync happens outside the writer's lock, so the next batch's units can run while the last one
is being synced: the writer connection commits with synchronous=NORMAL (the WAL frames reach the OS)
and the WAL file itself is then fsynced before anything is acknowledged. That is synchronous=FULL's
guarantee ("the WAL file is synchronized after each transaction is committed"), paid once per batch
and without stopping the writers. Who fsyncs: the syncer thread, so that the event loop serves other
requests meanwhile; or, while that has been seen to leave the loop with nothing to do, the loop itself
(GroupCommitWriter._commit). How long a batch gathers and how often the loop syncs are settings
(StoreTuning); the measurements behind their defaults are in bench/README.md.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from concurrent.futures import Future
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from cosell.settings import StoreTuning
from cosell.store.execution import Database
from cosell.store.sqlite.checkpoints import Checkpointer
from cosell.store.sqlite.connections import connect_sqlite
from cosell.store.transaction import StoreTransaction

_DEFERRED_COMMITS: ContextVar[list | None] = ContextVar("cosell_deferred_commits", default=None)


class deferred_commits:  # noqa: N801 - used as a context manager, like contextlib's
    """Within this block, a write unit does not wait for its batch to reach the disk: the batch is
    collected instead, and the caller must wait for every one (`result()` or `await wait()`) before
    it acknowledges anything. The server uses this to await durability without holding a thread.
    (A class, not a @contextmanager generator: it wraps every step of every request.)"""

    __slots__ = ("pending", "_token")

    def __enter__(self) -> list[Batch]:
        self.pending: list[Batch] = []
        self._token = _DEFERRED_COMMITS.set(self.pending)
        return self.pending

    def __exit__(self, *_exc) -> None:
        _DEFERRED_COMMITS.reset(self._token)


class Batch:
    """Write units that share one transaction, and the outcome of its commit: waited for by threads
    (`result`) or by event loops (`wait`), each loop woken once per batch however many of its
    requests wait."""

    def __init__(self, database: Database):
        self.transaction = StoreTransaction(database, self)  # every unit of the batch writes through it
        self.committed_by_syncer = False  # opened on a thread without an event loop
        self.activity_mark: int | None = None  # handed to the syncer by a loop: see GroupCommitWriter._commit
        self.units = 0
        self.counters: dict[str, int] = {}  # the numbers its units took (CounterRepository.next)
        self._committed: Future = Future()
        self._guard = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}

    def result(self) -> None:
        """Blocks until the batch is on disk; raises what made its commit fail."""
        self._committed.result()

    def wait(self) -> asyncio.Future[None]:
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
    savepoint copies every page the unit changes first (a measurable share of a create), so a unit whose expected
    failures all come before its first write can go without: when it raises having written nothing
    there is nothing to undo, and when it raises after writing (a bug, a full disk) the whole batch
    is rolled back, and every request in it fails with BatchUndone instead of being acknowledged."""

    __slots__ = ("_writer", "_batch", "_opens_batch", "_counters", "_own_savepoint", "_changes")

    def __init__(self, writer: GroupCommitWriter, own_savepoint: bool):
        self._writer = writer
        self._own_savepoint = own_savepoint

    def __enter__(self) -> StoreTransaction:
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
                batch = writer._batch = Batch(writer._database)
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
        return batch.transaction

    def __exit__(self, exc_type, _exc, _traceback) -> Literal[False]:
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

    Who commits a batch: on an event loop, the loop itself, StoreTuning.gather_seconds after the batch opened (the
    requests it runs meanwhile join the batch); a batch opened on another thread, the syncer thread.
    The syncer thread fsyncs: every batch committed since its last fsync, with one fsync. Keeping the
    COMMIT on the loop's thread matters: each time the syncer needs the interpreter lock it takes it
    from the loop (a thread switch on each side), and a committer thread needed it several times per request.

    A loop's batch is fsynced by the syncer while the loop has other work meanwhile, and by the loop
    itself while it has none (_commit): when every client is waiting for the batch, as under a steady
    load of writes, handing the fsync over and back only adds two thread wake-ups to the time the
    loop stands idle (bench/README.md, "Measurements behind the code"). Whether the loop had other
    work is seen on the batches handed to the syncer: how many transactions began while one was
    being synced (`transactions_begun`). After one that saw fewer than half as many as the batch
    has units, the loop syncs the next StoreTuning.loop_syncs_per_probe batches itself, then hands one over
    again to look."""

    def __init__(self, database: Path, dialect, tuning: StoreTuning):
        self._tuning = tuning
        self._connection = connect_sqlite(database)
        # The syncer fsyncs (module doc); set outside any transaction.
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job (module doc)
        # Each unit's savepoint keeps the pages it changes in a statement journal, a temporary file by
        # default: in memory, a unit's writes cost less. It holds one unit's pages at most.
        self._connection.execute("PRAGMA temp_store=MEMORY")
        self._checkpoints = Checkpointer(database, tuning.checkpoint_interval_seconds, tuning.restart_wal_frames)
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

    def unit(self, own_savepoint: bool = True) -> _WriteUnit:
        """`with writer.unit() as tx:` one write unit of the open batch (_WriteUnit)."""
        return _WriteUnit(self, own_savepoint)

    def _schedule_commit(self, batch: Batch) -> None:
        """Under the lock, as the batch opens: who commits it, and when (class doc)."""
        loop = asyncio._get_running_loop()
        if loop is not None:
            loop.call_later(self._tuning.gather_seconds, self._commit, batch)
        else:
            batch.committed_by_syncer = True
            self._wake_syncer()

    def _commit_soon(self, batch: Batch) -> None:
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

    def _commit(self, batch: Batch) -> None:
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
                    batch.transaction.counters.save(batch.counters)
                self._connection.execute("COMMIT")
            except BaseException as failure:  # the disk refused it: no unit of the batch is kept
                self._discard()
                error: BaseException | None = failure
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

    def _note_loop_activity(self, synced: list[Batch]) -> None:
        """After an fsync of batches a loop handed over: how many transactions began meanwhile? If
        fewer than half the batch's units, the loop had little else to do, and fsyncs its next
        batches itself (class doc)."""
        marked = [(batch.activity_mark, batch) for batch in synced if batch.activity_mark is not None]
        if marked:
            mark, probe = max(marked, key=lambda pair: pair[0])
            begun = next(self.transactions_begun) - mark - 1
            with self._lock:
                self._loop_syncs_left = self._tuning.loop_syncs_per_probe if 2 * begun < probe.units else 0

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
