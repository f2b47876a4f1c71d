"""ClientToken results and identifier counters. Statements are built once (they run on every write)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cosell import json_text
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
# Where the database can skip a row whose key is taken (a concurrent transaction's row is waited for).
_REMEMBER_NEW_TOKEN = {
    "sqlite": Query(sqlite.insert(client_tokens).on_conflict_do_nothing()),
    "postgresql": Query(postgresql.insert(client_tokens).on_conflict_do_nothing()),
}
_NEXT_NUMBER = Query(update(id_counters).where(id_counters.c.name == bindparam("counter"))
                     .values(last_value=id_counters.c.last_value + 1).returning(id_counters.c.last_value))
_FIRST_NUMBER = Query(insert(id_counters))
_LAST_NUMBER = Query(select(id_counters.c.last_value).where(id_counters.c.name == bindparam("counter")))
_counter_upsert = sqlite.insert(id_counters)
# SQLite's writer only (GroupCommitWriter): the numbers a batch handed out, saved as it commits.
_SAVE_LAST_NUMBER = Query(_counter_upsert.on_conflict_do_update(
    index_elements=[id_counters.c.name],
    set_={"last_value": func.max(id_counters.c.last_value, _counter_upsert.excluded.last_value)}))


class TokenQueries:
    # On SQLite's group-committing writer, the last number of each counter handed out in the open
    # batch (GroupCommitWriter): the batch holds the database's write lock from its BEGIN IMMEDIATE to
    # its COMMIT, so nobody else can take a number meanwhile, and one statement per counter and batch
    # saves them (save_counters) instead of an UPDATE per number. None elsewhere.
    _counters: dict[str, int] | None = None

    def find_client_token(self, account_id: str, catalog: str, operation: str, token: str):
        """(request_hash, response) remembered for this token, or None."""
        rows = self._db.tuples(_FIND_TOKEN, {"account_id": account_id, "catalog": catalog, "operation": operation,
                                             "token": token})
        return (rows[0][0], json_text.loads(rows[0][1])) if rows else None

    def remember_client_token(self, account_id: str, catalog: str, operation: str, token: str,
                              request_hash: str, response: dict, now: dt.datetime) -> bool:
        """Remembers the token's answer; False, and nothing written, when the token is remembered
        already (also by a concurrent transaction, once that has committed)."""
        row = {"account_id": account_id, "catalog": catalog, "operation": operation, "token": token,
               "request_hash": request_hash, "response": json_text.compact(response), "created_ms": to_ms(now)}
        statement = _REMEMBER_NEW_TOKEN.get(self._db.dialect.name)
        if statement is None:
            return self._db.insert_if_absent(_REMEMBER_TOKEN, row)
        return self._db.execute(statement, row).rowcount == 1

    def next_number(self, name: str) -> int:
        """The counter's next number: FIRST_NUMBER, then one more each time; a transaction that is
        rolled back gives its numbers back."""
        counters = self._counters
        if counters is not None:
            last = counters.get(name)
            if last is None:
                last = self._db.value(_LAST_NUMBER, {"counter": name})
                last = FIRST_NUMBER - 1 if last is None else last
            counters[name] = last + 1
            return last + 1
        number = self._db.value(_NEXT_NUMBER, {"counter": name})
        if number is not None:
            return number
        # The counter's first number; when another process took it meanwhile (PostgreSQL, where the
        # UPDATE above locked no row), the next one.
        if self._db.insert_if_absent(_FIRST_NUMBER, {"name": name, "last_value": FIRST_NUMBER}):
            return FIRST_NUMBER
        return self._db.value(_NEXT_NUMBER, {"counter": name})

    def save_counters(self, last_numbers: dict[str, int]) -> None:
        """Stores the last numbers handed out (next_number on SQLite's writer); never moves one back."""
        self._db.execute_many(_SAVE_LAST_NUMBER, [{"name": name, "last_value": last}
                                                  for name, last in last_numbers.items()])
