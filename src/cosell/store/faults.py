"""Injected faults (cosell/faults.py), kept in the database so every server process sees them:
`tx.faults`. Faults are returned in the admin endpoint's wire shape: {Operation, Error, Rate,
LatencyMs, DropResponse}."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Column, Float, String, Table, bindparam, delete, insert, select

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import to_ms

# One per operation name (or "*" for every operation), server-wide.
faults = Table(
    "faults",
    metadata,
    Column("operation", String(64), primary_key=True),
    Column("error", String(32)),  # ThrottlingException | InternalServerException | NULL
    Column("rate", Float, nullable=False),  # share of requests affected, 0..1
    Column("latency_ms", BigInteger),
    Column("drop_response", Boolean, nullable=False),
    Column("set_ms", BigInteger, nullable=False),
)

_DELETE_ONE = Query(delete(faults).where(faults.c.operation == bindparam("operation")))
_DELETE_ALL = Query(delete(faults))
_INSERT = Query(insert(faults))
_LIST = Query(select(faults.c.operation, faults.c.error, faults.c.rate, faults.c.latency_ms, faults.c.drop_response)
              .order_by(faults.c.operation))


@repository("faults")
class FaultRepository:
    def __init__(self, tx):
        self._db = tx.db

    def put(self, fault: dict, now: dt.datetime) -> None:
        """Sets the fault of `fault["Operation"]`, replacing the one it had."""
        self._db.execute(_DELETE_ONE, {"operation": fault["Operation"]})
        self._db.execute(_INSERT, {"operation": fault["Operation"], "error": fault["Error"], "rate": fault["Rate"],
                                   "latency_ms": fault["LatencyMs"], "drop_response": fault["DropResponse"],
                                   "set_ms": to_ms(now)})

    def delete(self, operation: str | None) -> None:
        """Removes the fault of one operation name ("*" included), or every fault when None."""
        if operation is None:
            self._db.execute(_DELETE_ALL)
        else:
            self._db.execute(_DELETE_ONE, {"operation": operation})

    def list(self) -> list[dict]:
        return [{"Operation": operation, "Error": error, "Rate": rate, "LatencyMs": latency_ms,
                 "DropResponse": bool(drop_response)}
                for operation, error, rate, latency_ms, drop_response in self._db.tuples(_LIST)]
