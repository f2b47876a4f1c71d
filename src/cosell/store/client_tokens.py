"""ClientToken answers (reference §4), kept per (account, catalog, operation): `tx.client_tokens`.
Statements are built once: they run on every create."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, String, Table, Text, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import to_ms

client_tokens = Table(
    "client_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("token", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

_FIND = Query(select(client_tokens.c.request_hash, client_tokens.c.response).where(
    client_tokens.c.account_id == bindparam("account_id"),
    client_tokens.c.catalog == bindparam("catalog"),
    client_tokens.c.operation == bindparam("operation"),
    client_tokens.c.token == bindparam("token"),
))
_REMEMBER = Query(insert(client_tokens))
# Where the database can skip a row whose key is taken (a concurrent transaction's row is waited for).
_REMEMBER_NEW = {
    "sqlite": Query(sqlite.insert(client_tokens).on_conflict_do_nothing()),
    "postgresql": Query(postgresql.insert(client_tokens).on_conflict_do_nothing()),
}


@repository("client_tokens")
class ClientTokenRepository:
    def __init__(self, tx):
        self._db = tx.db

    def find(self, account_id: str, catalog: str, operation: str, token: str) -> tuple[str, dict] | None:
        """(request fingerprint, answer) remembered for this token, or None."""
        rows = self._db.tuples(_FIND, {"account_id": account_id, "catalog": catalog, "operation": operation,
                                       "token": token})
        return (rows[0][0], json_text.loads(rows[0][1])) if rows else None

    def remember(self, account_id: str, catalog: str, operation: str, token: str, request_hash: str, answer: dict,
                 now: dt.datetime) -> bool:
        """Remembers the token's answer; False, and nothing written, when the token is remembered
        already (also by a concurrent transaction, once that has committed)."""
        row = {"account_id": account_id, "catalog": catalog, "operation": operation, "token": token,
               "request_hash": request_hash, "response": json_text.compact(answer), "created_ms": to_ms(now)}
        statement = _REMEMBER_NEW.get(self._db.dialect.name)
        if statement is None:
            return self._db.insert_if_absent(_REMEMBER, row)
        return self._db.execute(statement, row).rowcount == 1
