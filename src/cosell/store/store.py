"""The Store facade: `Store(url)` with read and write transactions, on SQLite (the embedded default,
store/sqlite/) or another database SQLAlchemy knows (a pooled connection per transaction).

The schema is the Alembic migrations' (store/migrations/), applied when a Store opens a database.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from cosell.store.execution import Database
from cosell.store.metadata import metadata
from cosell.store.sqlite.connections import prepare_database_file, sqlite_engine
from cosell.store.sqlite.group_commit import GroupCommitWriter
from cosell.store.sqlite.readers import SQLiteReaders
from cosell.store.transaction import StoreTransaction
from cosell.settings import StoreTuning

SCHEMA_LOCK_KEY = 0x636F73656C6C  # "cosell": PostgreSQL's advisory lock held while creating the schema


class TracingUnsupported(RuntimeError):
    """Store.trace on a database other than SQLite (psycopg has no statement-trace callback)."""


class Store:
    def __init__(self, url: str, tuning: StoreTuning = StoreTuning()):
        parsed = make_url(url)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        if self._is_sqlite:
            if parsed.database in (None, "", ":memory:") or parsed.database.startswith("file:"):
                raise ValueError(f"cosell keeps SQLite in a file: give a path in the URL ({url!r} has none).")
            path = Path(parsed.database)
            prepare_database_file(path)
            self.engine = sqlite_engine(parsed)
        else:
            self.engine = create_engine(url)
        self.dialect = self.engine.dialect
        self._create_schema()
        self._writer = GroupCommitWriter(path, self.dialect, tuning) if self._is_sqlite else None
        self._readers = SQLiteReaders(path, self.dialect, self._writer.transactions_begun) if self._is_sqlite else None
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
            raise TracingUnsupported("statement tracing uses sqlite3's trace callback: it needs the SQLite store")
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
                key = tx.pagination_keys.get()
            if key is None:  # the first list call on this database
                with self.write() as tx:
                    key = tx.pagination_keys.ensure()
            self._pagination_key = key
        return self._pagination_key

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._readers is not None:
            for connection in self._readers.connections():
                connection.close()
        self.engine.dispose()
