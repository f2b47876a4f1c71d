"""The SQLAlchemy store. One transaction per request; SQLite runs WAL with synchronous=FULL so
an acknowledged write survives a crash, and write transactions begin IMMEDIATE so concurrent
writers (threads or processes) serialize instead of racing.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, insert, select, update
from sqlalchemy.engine import Connection, Engine, make_url

from cosell.store.schema import client_tokens, id_counters, metadata, opportunities

FIRST_OPPORTUNITY_NUMBER = 1_000_000


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def to_ms(value: dt.datetime) -> int:
    return (value - EPOCH) // dt.timedelta(milliseconds=1)


def _sqlite_engine(url) -> Engine:
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
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


class StoreTransaction:
    """The operations' view of storage inside one transaction."""

    def __init__(self, connection: Connection):
        self._c = connection

    # ClientToken results
    def find_client_token(self, account_id: str, catalog: str, operation: str, token: str):
        """(request_hash, response) remembered for this token, or None."""
        row = self._c.execute(
            select(client_tokens.c.request_hash, client_tokens.c.response).where(
                client_tokens.c.account_id == account_id,
                client_tokens.c.catalog == catalog,
                client_tokens.c.operation == operation,
                client_tokens.c.token == token,
            )
        ).first()
        return None if row is None else (row.request_hash, json.loads(row.response))

    def remember_client_token(self, account_id: str, catalog: str, operation: str, token: str,
                              request_hash: str, response: dict, now: dt.datetime) -> None:
        self._c.execute(insert(client_tokens).values(
            account_id=account_id, catalog=catalog, operation=operation, token=token,
            request_hash=request_hash, response=json.dumps(response), created_ms=to_ms(now)))

    # Identifiers
    def next_number(self, name: str) -> int:
        row = self._c.execute(
            update(id_counters).where(id_counters.c.name == name)
            .values(last_value=id_counters.c.last_value + 1).returning(id_counters.c.last_value)
        ).first()
        if row is not None:
            return row.last_value
        self._c.execute(insert(id_counters).values(name=name, last_value=FIRST_OPPORTUNITY_NUMBER))
        return FIRST_OPPORTUNITY_NUMBER

    # Opportunities
    def insert_opportunity(self, account_id: str, opportunity: dict, created: dt.datetime,
                           last_modified: dt.datetime) -> None:
        self._c.execute(insert(opportunities).values(
            catalog=opportunity["Catalog"],
            id=opportunity["Id"],
            account_id=account_id,
            created_ms=to_ms(created),
            last_modified_ms=to_ms(last_modified),
            stage=(opportunity.get("LifeCycle") or {}).get("Stage"),
            review_status=(opportunity.get("LifeCycle") or {}).get("ReviewStatus"),
            company_name=((opportunity.get("Customer") or {}).get("Account") or {}).get("CompanyName"),
            target_close_date=(opportunity.get("LifeCycle") or {}).get("TargetCloseDate"),
            document=json.dumps(opportunity, separators=(",", ":")),
        ))

    def get_opportunity(self, account_id: str, catalog: str, opportunity_id: str) -> dict | None:
        row = self._c.execute(
            select(opportunities.c.document).where(
                opportunities.c.catalog == catalog,
                opportunities.c.id == opportunity_id,
                opportunities.c.account_id == account_id,
            )
        ).first()
        return None if row is None else json.loads(row.document)

    def opportunity_exists(self, account_id: str, catalog: str, opportunity_id: str) -> bool:
        return self._c.execute(
            select(opportunities.c.id).where(
                opportunities.c.catalog == catalog,
                opportunities.c.id == opportunity_id,
                opportunities.c.account_id == account_id,
            )
        ).first() is not None
