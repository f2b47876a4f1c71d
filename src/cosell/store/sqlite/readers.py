"""SQLite's readers: a connection per thread, kept open, each a reusable read-transaction context."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from cosell.store.execution import Database
from cosell.store.sqlite.connections import connect_sqlite
from cosell.store.transaction import StoreTransaction


class SQLiteReaders:
    """A read connection per thread, kept open (opening one costs more than most reads). A read
    inside a read on the same thread shares its transaction."""

    def __init__(self, database: Path, dialect, transactions_begun: Iterator[int]):
        self._database = database
        self._dialect = dialect
        self._transactions_begun = transactions_begun  # GroupCommitWriter's count
        self._local = threading.local()
        self._all: weakref.WeakSet = weakref.WeakSet()  # to close them and to trace them
        self.trace: Callable[[str], None] | None = None

    def transaction(self) -> _Reader:
        """This thread's reader, a context manager for one read transaction (the object is reused:
        a read costs no generator and no new objects)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            connection = connect_sqlite(self._database)
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

    def __init__(self, connection: sqlite3.Connection, transaction: StoreTransaction,
                 transactions_begun: Iterator[int]):
        self.connection = connection
        self.transaction = transaction
        self.depth = 0
        self.transactions_begun = transactions_begun

    def __enter__(self) -> StoreTransaction:
        if not self.depth:
            next(self.transactions_begun)
            self.connection.execute("BEGIN")
        self.depth += 1
        return self.transaction

    def __exit__(self, *_exc) -> None:
        self.depth -= 1
        if not self.depth:
            self.connection.execute("COMMIT")
