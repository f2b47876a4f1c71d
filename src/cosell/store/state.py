"""The whole database as rows and back (`tx.state`), for `cosell snapshot save|load`: every table of the one
MetaData, its columns by name and its rows as JSON values, so a snapshot taken on SQLite loads into
PostgreSQL and back.

A dump reads in one transaction: SQLite's read transactions see one snapshot of the database; on
PostgreSQL the transaction is made REPEATABLE READ first, so every table is read as of the same moment
while the server goes on writing. A restore replaces every table's rows in one write transaction, then
moves PostgreSQL's sequences past the ids it wrote (SQLite's rowids follow the largest one by themselves).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, Table, delete, func, insert, select, text

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)


def _portable(table: Table, row: tuple) -> list:
    """A row's values as JSON keeps them: booleans as booleans whatever the database returned (SQLite: 0/1)."""
    return [bool(value) if value is not None and isinstance(column.type, Boolean) else value
            for column, value in zip(table.columns, row, strict=True)]


def _stored(table: Table, columns: list[str], row: list) -> dict[str, Any]:
    values = dict(zip(columns, row, strict=True))
    for name, value in values.items():
        column_type = table.c[name].type
        if value is not None and isinstance(column_type, Boolean):
            values[name] = bool(value)
        elif value is not None and isinstance(column_type, Float):
            values[name] = float(value)
    return values


@repository("state")
class StateRepository:
    def __init__(self, tx):
        self._db = tx.db

    def dump(self) -> dict[str, dict[str, list]]:
        """{table: {"columns": [...], "rows": [[...], ...]}} of every table, as of one moment."""
        if self._db.dialect.name == "postgresql":
            self._db.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        tables: dict[str, dict[str, list]] = {}
        for table in _tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = self._db.tuples(Query(select(*table.columns).order_by(*order)))
            tables[table.name] = {"columns": [column.name for column in table.columns],
                                  "rows": [_portable(table, row) for row in rows]}
        return tables

    def restore(self, tables: dict[str, dict[str, list]]) -> dict[str, int]:
        """Every table's rows replaced by the snapshot's; how many rows each got. A table the snapshot does
        not have is left empty; a table or column the schema does not have is an error (ValueError)."""
        known = {table.name: table for table in _tables()}
        unknown = set(tables) - set(known)
        if unknown:
            raise ValueError(f"the snapshot has tables this cosell does not: {', '.join(sorted(unknown))}")
        for table in reversed(_tables()):
            self._db.execute(Query(delete(table)))
        counts = {}
        for table in _tables():
            content = tables.get(table.name) or {"columns": [], "rows": []}
            columns = list(content["columns"])
            missing = [name for name in columns if name not in table.c]
            if missing:
                raise ValueError(f"table {table.name} has no column {', '.join(missing)}")
            rows = [_stored(table, columns, row) for row in content["rows"]]
            if rows:
                self._db.execute_many(Query(insert(table)), rows)
            counts[table.name] = len(rows)
        if self._db.dialect.name == "postgresql":
            for table in _tables():
                column = table.autoincrement_column
                if column is not None:
                    largest = self._db.value(Query(select(func.max(column))))
                    self._db.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                          f"{int(largest or 0) + 1}, false)"))
        return counts
