"""ClientToken results and identifier counters. Statements are built once (they run on every write)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import bindparam, insert, select, update

from cosell.store.schema import client_tokens, id_counters, to_ms

FIRST_NUMBER = 1_000_000

_FIND_TOKEN = select(client_tokens.c.request_hash, client_tokens.c.response).where(
    client_tokens.c.account_id == bindparam("account_id"),
    client_tokens.c.catalog == bindparam("catalog"),
    client_tokens.c.operation == bindparam("operation"),
    client_tokens.c.token == bindparam("token"),
)
_REMEMBER_TOKEN = insert(client_tokens)
_NEXT_NUMBER = (update(id_counters).where(id_counters.c.name == bindparam("counter"))
                .values(last_value=id_counters.c.last_value + 1).returning(id_counters.c.last_value))
_FIRST_NUMBER = insert(id_counters)


class TokenQueries:
    def find_client_token(self, account_id: str, catalog: str, operation: str, token: str):
        """(request_hash, response) remembered for this token, or None."""
        row = self._c.execute(_FIND_TOKEN, {"account_id": account_id, "catalog": catalog, "operation": operation,
                                            "token": token}).first()
        return None if row is None else (row.request_hash, json.loads(row.response))

    def remember_client_token(self, account_id: str, catalog: str, operation: str, token: str,
                              request_hash: str, response: dict, now: dt.datetime) -> None:
        self._c.execute(_REMEMBER_TOKEN, {
            "account_id": account_id, "catalog": catalog, "operation": operation, "token": token,
            "request_hash": request_hash, "response": json.dumps(response), "created_ms": to_ms(now)})

    def next_number(self, name: str) -> int:
        row = self._c.execute(_NEXT_NUMBER, {"counter": name}).first()
        if row is not None:
            return row.last_value
        self._c.execute(_FIRST_NUMBER, {"name": name, "last_value": FIRST_NUMBER})
        return FIRST_NUMBER
