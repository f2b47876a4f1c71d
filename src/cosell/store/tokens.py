"""ClientToken results and identifier counters. Statements are built once (they run on every write)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import bindparam, insert, select, update

from cosell.store.execution import Query
from cosell.store.schema import client_tokens, id_counters, to_ms

FIRST_NUMBER = 1_000_000

_FIND_TOKEN = Query(select(client_tokens.c.request_hash, client_tokens.c.response).where(
    client_tokens.c.account_id == bindparam("account_id"),
    client_tokens.c.catalog == bindparam("catalog"),
    client_tokens.c.operation == bindparam("operation"),
    client_tokens.c.token == bindparam("token"),
))
_REMEMBER_TOKEN = Query(insert(client_tokens))
_NEXT_NUMBER = Query(update(id_counters).where(id_counters.c.name == bindparam("counter"))
                     .values(last_value=id_counters.c.last_value + 1).returning(id_counters.c.last_value))
_FIRST_NUMBER = Query(insert(id_counters))


class ClientTokenTaken(Exception):
    """A concurrent transaction remembered the same token first and has committed (PostgreSQL, where
    write transactions are not serialized): this one must roll back, and its request is a repeat."""


class TokenQueries:
    def find_client_token(self, account_id: str, catalog: str, operation: str, token: str):
        """(request_hash, response) remembered for this token, or None."""
        rows = self._db.tuples(_FIND_TOKEN, {"account_id": account_id, "catalog": catalog, "operation": operation,
                                             "token": token})
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def remember_client_token(self, account_id: str, catalog: str, operation: str, token: str,
                              request_hash: str, response: dict, now: dt.datetime) -> None:
        """Raises ClientTokenTaken when a concurrent transaction has remembered the token."""
        try:
            self._db.execute(_REMEMBER_TOKEN, {
                "account_id": account_id, "catalog": catalog, "operation": operation, "token": token,
                "request_hash": request_hash, "response": json.dumps(response), "created_ms": to_ms(now)})
        except self._db.integrity_error:
            raise ClientTokenTaken from None

    def next_number(self, name: str) -> int:
        number = self._db.value(_NEXT_NUMBER, {"counter": name})
        if number is not None:
            return number
        # The counter's first number; when another process took it meanwhile (PostgreSQL, where the
        # UPDATE above locked no row), the next one.
        if self._db.insert_if_absent(_FIRST_NUMBER, {"name": name, "last_value": FIRST_NUMBER}):
            return FIRST_NUMBER
        return self._db.value(_NEXT_NUMBER, {"counter": name})
