"""The SQLAlchemy store. One transaction per request; SQLite runs WAL with synchronous=FULL so
an acknowledged write survives a crash, and write transactions begin IMMEDIATE so concurrent
writers (threads or processes) serialize instead of racing.
"""

from __future__ import annotations

import os
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
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    def __init__(self, url: str):
        parsed = make_url(url)
        self.engine = _sqlite_engine(parsed) if parsed.get_backend_name() == "sqlite" else create_engine(url)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        metadata.create_all(self.engine)
        for table in metadata.sorted_tables:  # create_all skips indexes added to an existing table
            for index in table.indexes:
                index.create(self.engine, checkfirst=True)

    @contextmanager
    def write(self) -> Iterator["StoreTransaction"]:
        """A write transaction: committed when the block ends, rolled back on any exception."""
        with self.engine.connect() as connection:
            if self._is_sqlite:
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                yield StoreTransaction(connection)

    @contextmanager
    def read(self) -> Iterator["StoreTransaction"]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield StoreTransaction(connection)

    def close(self) -> None:
        self.engine.dispose()


class StoreTransaction(OpportunityQueries, TokenQueries, SolutionQueries, TagQueries, TaskQueries, ListQueries,
                       AccountQueries, QuotaQueries, FaultQueries):
    """The operations' view of storage inside one transaction; one mixin of queries per resource."""

    def __init__(self, connection: Connection):
        self._c = connection
