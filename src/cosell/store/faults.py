"""Injected faults (cosell/faults.py), kept in the database so every server process sees them.

Faults are returned in the admin endpoint's wire shape: {Operation, Error, Rate, LatencyMs, DropResponse}.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select

from cosell.store.schema import faults, to_ms


class FaultQueries:
    def put_fault(self, fault: dict, now: dt.datetime) -> None:
        """Sets the fault of `fault["Operation"]`, replacing the one it had."""
        self._db.execute(delete(faults).where(faults.c.operation == fault["Operation"]))
        self._db.execute(insert(faults).values(
            operation=fault["Operation"], error=fault["Error"], rate=fault["Rate"], latency_ms=fault["LatencyMs"],
            drop_response=fault["DropResponse"], set_ms=to_ms(now)))

    def delete_faults(self, operation: str | None) -> None:
        """Removes the fault of one operation name ("*" included), or every fault when None."""
        statement = delete(faults)
        if operation is not None:
            statement = statement.where(faults.c.operation == operation)
        self._db.execute(statement)

    def list_faults(self) -> list[dict]:
        rows = self._db.all(select(faults).order_by(faults.c.operation))
        return [{"Operation": row.operation, "Error": row.error, "Rate": row.rate, "LatencyMs": row.latency_ms,
                 "DropResponse": bool(row.drop_response)} for row in rows]
