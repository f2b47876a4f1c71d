"""The shared clock's setting (cosell/clock.py): `tx.clock`. One row: how far cosell's clock is from the
wall clock, or the instant it is frozen at."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, delete, insert, select

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository

CLOCK = "clock"

clock_state = Table(
    "clock_state",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("offset_ms", BigInteger, nullable=False),  # cosell's time minus wall time, while running
    Column("frozen_ms", BigInteger),  # the instant it is frozen at; NULL while it runs
)

_GET = Query(select(clock_state.c.offset_ms, clock_state.c.frozen_ms).where(clock_state.c.name == CLOCK))
_DELETE = Query(delete(clock_state).where(clock_state.c.name == CLOCK))
_PUT = Query(insert(clock_state))


@repository("clock")
class ClockRepository:
    def __init__(self, tx):
        self._db = tx.db

    def get(self) -> tuple[int, int | None]:
        """(offset_ms, frozen_ms): (0, None) when never set."""
        row = self._db.first(_GET)
        return (0, None) if row is None else (row.offset_ms, row.frozen_ms)

    def put(self, offset_ms: int, frozen_ms: int | None) -> None:
        self._db.execute(_DELETE)
        if offset_ms or frozen_ms is not None:
            self._db.execute(_PUT, {"name": CLOCK, "offset_ms": offset_ms, "frozen_ms": frozen_ms})
