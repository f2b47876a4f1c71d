"""The Store facade: `Store(url)` with read and write transactions, on SQLite (the embedded default,
store/sqlite/) or another database SQLAlchemy knows (a pooled connection per transaction).

The schema is the Alembic migrations' (store/migrations/), applied when a Store opens a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from cosell.settings import StoreTuning
from cosell.store.execution import Database
from cosell.store.migrations import upgrade_to_head
from cosell.store.sqlite.connections import prepare_database_file, sqlite_engine
from cosell.store.sqlite.group_commit import GroupCommitWriter
from cosell.store.sqlite.readers import SQLiteReaders
from cosell.store.transaction import StoreTransaction


class TracingUnsupported(RuntimeError):
    """Store.trace on a database other than SQLite (psycopg has no statement-trace callback)."""


def database_engine(url: str) -> Engine:
    """The engine of a store's URL: SQLite in a file (made readable by its owner only), or the database
    SQLAlchemy connects to with its default pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url)
    if parsed.database in (None, "", ":memory:") or parsed.database.startswith("file:"):
        raise ValueError(f"cosell keeps SQLite in a file: give a path in the URL ({url!r} has none).")
    prepare_database_file(Path(parsed.database))
    return sqlite_engine(parsed)


class Store:
    """Opening it brings the database's schema to the newest revision (migrations/, upgrade_to_head);
    raises migrations.SchemaNotRecognised when the database holds some of cosell's tables but not a
    schema cosell knows how to upgrade."""

    def __init__(self, url: str, tuning: StoreTuning | None = None):
        self.engine = database_engine(url)
        self.dialect = self.engine.dialect
        self._is_sqlite = self.dialect.name == "sqlite"
        try:
            upgrade_to_head(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._writer: GroupCommitWriter | None = None
        self._readers: SQLiteReaders | None = None
        if self._is_sqlite:
            path = Path(str(self.engine.url.database))
            self._writer = GroupCommitWriter(path, self.dialect, tuning or StoreTuning())
            self._readers = SQLiteReaders(path, self.dialect, self._writer.transactions_begun)
        self._pagination_key: bytes | None = None

    def write(self, own_savepoint: bool = True) -> AbstractContextManager[StoreTransaction]:
        """A write transaction, `with store.write() as tx:`: durable when the block ends, rolled back
        on any exception. `own_savepoint=False` is for a block whose expected failures all come
        before its first write: cheaper on SQLite, where a failure after writing undoes the other
        requests of its group commit too (_WriteUnit)."""
        if self._writer is not None:
            return self._writer.unit(own_savepoint)
        return self._pooled()

    def read(self) -> AbstractContextManager[StoreTransaction]:
        """A read transaction: `with store.read() as tx:`."""
        if self._readers is not None:
            return self._readers.transaction()
        return self._pooled()

    @contextmanager
    def _pooled(self) -> Iterator[StoreTransaction]:
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
        writer, readers = self._writer, self._readers
        if writer is None or readers is None:
            raise TracingUnsupported("statement tracing uses sqlite3's trace callback: it needs the SQLite store")
        readers.trace = callback
        for connection in [writer._connection, *readers.connections()]:
            connection.set_trace_callback(callback)
        try:
            yield
        finally:
            readers.trace = None
            for connection in [writer._connection, *readers.connections()]:
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

    def forget_cached(self) -> None:
        """What this Store keeps of the database is read again (after a snapshot replaced it)."""
        self._pagination_key = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._readers is not None:
            for connection in self._readers.connections():
                connection.close()
        self.engine.dispose()
