"""Identifier counters (opportunity and solution numbers): `tx.counters`."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import sqlite

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository

FIRST_NUMBER = 1_000_000

# Numbers increase per name (e.g. opportunities per catalog, as the real identifiers appear to).
id_counters = Table(
    "id_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

_NEXT = Query(update(id_counters).where(id_counters.c.name == bindparam("counter"))
              .values(last_value=id_counters.c.last_value + 1).returning(id_counters.c.last_value))
_FIRST = Query(insert(id_counters))
_LAST = Query(select(id_counters.c.last_value).where(id_counters.c.name == bindparam("counter")))
_counter_upsert = sqlite.insert(id_counters)
# SQLite's writer only (store/sqlite/group_commit.py): the numbers a batch handed out, saved as it commits.
_SAVE_LAST = Query(_counter_upsert.on_conflict_do_update(
    index_elements=[id_counters.c.name],
    set_={"last_value": func.max(id_counters.c.last_value, _counter_upsert.excluded.last_value)}))


@repository("counters")
class CounterRepository:
    """On SQLite's group-committing writer, the last number of each counter handed out in the open
    batch is kept in the batch (`batch.counters`): the batch holds the database's write lock from its
    BEGIN IMMEDIATE to its COMMIT, so nobody else can take a number meanwhile, and one statement per
    counter and batch saves them (save) instead of an UPDATE per number. Elsewhere, a number is one
    UPDATE ... RETURNING."""

    def __init__(self, tx):
        self._db = tx.db
        self._tx = tx

    def next(self, name: str) -> int:
        """The counter's next number: FIRST_NUMBER, then one more each time; a transaction that is
        rolled back gives its numbers back."""
        batch = self._tx.batch
        if batch is not None:
            counters = batch.counters
            last = counters.get(name)
            if last is None:
                last = self._db.value(_LAST, {"counter": name})
                last = FIRST_NUMBER - 1 if last is None else last
            counters[name] = last + 1
            return last + 1
        number = self._db.value(_NEXT, {"counter": name})
        if number is not None:
            return number
        # The counter's first number; when another process took it meanwhile (PostgreSQL, where the
        # UPDATE above locked no row), the next one.
        if self._db.insert_if_absent(_FIRST, {"name": name, "last_value": FIRST_NUMBER}):
            return FIRST_NUMBER
        return self._db.value(_NEXT, {"counter": name})

    def save(self, last_numbers: dict[str, int]) -> None:
        """Stores the last numbers handed out on SQLite's writer; never moves one back."""
        self._db.execute_many(_SAVE_LAST, [{"name": name, "last_value": last} for name, last in last_numbers.items()])
