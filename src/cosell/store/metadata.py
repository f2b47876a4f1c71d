"""The one MetaData every table is defined on (each beside its repository), and column helpers.

Timestamps are integer milliseconds since the epoch (sortable, exact; cosell.timestamps.to_ms).
"""

from __future__ import annotations

from sqlalchemy import MetaData, String

metadata = MetaData()


def sortable(length: int) -> String:
    """A string column that lists sort by: in code-point order on every database, as SQLite's BINARY
    collation orders it (a PostgreSQL database's default collation may follow a language's rules)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")
