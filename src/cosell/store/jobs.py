"""Scheduled work (cosell/jobs.py): `tx.jobs`. A job is a row until it has run: it is deleted in the
transaction that does its work, so it runs once even with several processes, and a crash leaves it due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

PENDING, FAILED = "pending", "failed"

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),  # which handler runs it
    Column("job_key", String(255), unique=True),  # at most one job per key (None: any number)
    Column("state", String(16), nullable=False),  # pending | failed (after its last attempt)
    Column("due_ms", BigInteger, nullable=False),  # on cosell's clock
    Column("payload", Text, nullable=False),  # JSON
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_ms", BigInteger, nullable=False),
)
Index("jobs_due", jobs.c.state, jobs.c.due_ms)

_VALUES: dict[str, Any] = {name: bindparam(name) for name in
           ("kind", "job_key", "state", "due_ms", "payload", "attempts", "last_error", "created_ms")}  # the id is made
_INSERT_IF_ABSENT = {
    "sqlite": Query(sqlite.insert(jobs).values(_VALUES).on_conflict_do_nothing(index_elements=[jobs.c.job_key])),
    "postgresql": Query(postgresql.insert(jobs).values(_VALUES).on_conflict_do_nothing(index_elements=[jobs.c.job_key])),
}
_INSERT = Query(insert(jobs).values(_VALUES))
_DUE = Query(select(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.due_ms)
             .where(jobs.c.state == PENDING, jobs.c.due_ms <= bindparam("now_ms"))
             .order_by(jobs.c.due_ms, jobs.c.id).limit(bindparam("limit")))
_NEXT_DUE = Query(select(jobs.c.due_ms).where(jobs.c.state == PENDING).order_by(jobs.c.due_ms).limit(1))
_TAKE = Query(delete(jobs).where(jobs.c.id == bindparam("id"), jobs.c.state == PENDING))
_RETRY = Query(update(jobs).where(jobs.c.id == bindparam("id"))
               .values(attempts=bindparam("attempts"), due_ms=bindparam("due_ms"), state=bindparam("state"),
                       last_error=bindparam("last_error")))
_LIST = Query(select(jobs.c.id, jobs.c.kind, jobs.c.job_key, jobs.c.state, jobs.c.due_ms, jobs.c.payload,
                     jobs.c.attempts, jobs.c.last_error).order_by(jobs.c.due_ms, jobs.c.id))


@repository("jobs")
class JobRepository:
    def __init__(self, tx):
        self._db = tx.db

    def add(self, kind: str, due: dt.datetime, payload: dict, key: str | None, now: dt.datetime) -> bool:
        """Schedules a job; False (and nothing written) when a job with the same key is already there."""
        row = {"kind": kind, "job_key": key, "state": PENDING, "due_ms": to_ms(due), "payload": json_text.compact(payload),
               "attempts": 0, "last_error": None, "created_ms": to_ms(now)}
        statement = _INSERT_IF_ABSENT.get(self._db.dialect.name)
        if key is None or statement is None:
            if key is None:
                self._db.execute(_INSERT, row)
                return True
            return self._db.insert_if_absent(_INSERT, row)
        return self._db.execute(statement, row).rowcount == 1

    def due(self, now: dt.datetime, limit: int) -> list[tuple]:
        """(id, kind, payload, attempts, due) of pending jobs due by `now`, the earliest first."""
        return [(job_id, kind, json_text.loads(payload), attempts, from_ms(due_ms))
                for job_id, kind, payload, attempts, due_ms in self._db.tuples(_DUE, {"now_ms": to_ms(now), "limit": limit})]

    def next_due(self) -> dt.datetime | None:
        due_ms = self._db.value(_NEXT_DUE)
        return None if due_ms is None else from_ms(due_ms)

    def take(self, job_id: int) -> bool:
        """Removes the pending job, in the transaction that runs it; False when another got it first."""
        return self._db.execute(_TAKE, {"id": job_id}).rowcount == 1

    def retry(self, job_id: int, attempts: int, due: dt.datetime, error: str, give_up: bool) -> None:
        self._db.execute(_RETRY, {"id": job_id, "attempts": attempts, "due_ms": to_ms(due),
                                  "state": FAILED if give_up else PENDING, "last_error": error[:2000]})

    def list(self) -> list[dict]:
        return [{"Id": job_id, "Kind": kind, "Key": key, "State": state, "Due": from_ms(due_ms),
                 "Payload": json_text.loads(payload), "Attempts": attempts, "LastError": last_error}
                for job_id, kind, key, state, due_ms, payload, attempts, last_error in self._db.tuples(_LIST)]
