"""Resource snapshot jobs (`tx.snapshot_jobs`): an account's jobs, each writing revisions of one
opportunity's view under one template in one engagement while it is Running."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, bindparam, delete, insert, select, update

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

RUNNING, STOPPED = "Running", "Stopped"

resource_snapshot_jobs = Table(
    "resource_snapshot_jobs",
    metadata,
    Column("account_id", String(12), primary_key=True),  # the owner: "jobs owned by the customer"
    Column("id", String(32), primary_key=True),
    Column("catalog", String(16), nullable=False),
    Column("engagement_id", String(32), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(32), nullable=False),
    Column("template", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_success_ms", BigInteger),
    Column("last_failure", Text),
)
# What a change of an opportunity looks up: its owner's jobs on it.
Index("resource_snapshot_jobs_by_resource", resource_snapshot_jobs.c.account_id, resource_snapshot_jobs.c.catalog,
      resource_snapshot_jobs.c.resource_id)

_j = resource_snapshot_jobs.c
_KEY = (_j.account_id == bindparam("account_id"), _j.id == bindparam("id"))
_GET = Query(select(resource_snapshot_jobs).where(*_KEY))
_OF_ACCOUNT = Query(select(resource_snapshot_jobs).where(_j.account_id == bindparam("account_id"),
                                                         _j.catalog == bindparam("catalog")))
_OF_RESOURCE = Query(select(resource_snapshot_jobs).where(
    _j.account_id == bindparam("account_id"), _j.catalog == bindparam("catalog"),
    _j.resource_id == bindparam("resource_id")))
_INSERT = Query(insert(resource_snapshot_jobs))
_SET_STATUS = Query(update(resource_snapshot_jobs).where(*_KEY).values(status=bindparam("status")))
_RECORD = Query(update(resource_snapshot_jobs).where(*_KEY).values(last_success_ms=bindparam("last_success_ms"),
                                                                    last_failure=bindparam("last_failure")))
_RECORD_FAILURE = Query(update(resource_snapshot_jobs).where(*_KEY).values(last_failure=bindparam("last_failure")))
_DELETE = Query(delete(resource_snapshot_jobs).where(*_KEY))


def _job(row) -> dict:
    job = row._asdict()
    job["created_at"] = from_ms(job["created_ms"])
    job["last_success"] = None if job["last_success_ms"] is None else from_ms(job["last_success_ms"])
    return job


@repository("snapshot_jobs")
class SnapshotJobRepository:
    def __init__(self, tx):
        self._db = tx.db

    def add(self, account_id: str, job_id: str, catalog: str, engagement_id: str, resource_type: str,
            resource_id: str, template: str, now: dt.datetime) -> None:
        self._db.execute(_INSERT, {"account_id": account_id, "id": job_id, "catalog": catalog,
                                   "engagement_id": engagement_id, "resource_type": resource_type,
                                   "resource_id": resource_id, "template": template, "status": STOPPED,
                                   "created_ms": to_ms(now), "last_success_ms": None, "last_failure": None})

    def get(self, account_id: str, job_id: str) -> dict | None:
        row = self._db.first(_GET, {"account_id": account_id, "id": job_id})
        return None if row is None else _job(row)

    def of_account(self, account_id: str, catalog: str) -> list[dict]:
        return [_job(row) for row in self._db.all(_OF_ACCOUNT, {"account_id": account_id, "catalog": catalog})]

    def of_resource(self, account_id: str, catalog: str, resource_id: str) -> list[dict]:
        return [_job(row) for row in self._db.all(_OF_RESOURCE, {"account_id": account_id, "catalog": catalog,
                                                                 "resource_id": resource_id})]

    def running_for(self, account_id: str, catalog: str, resource_id: str) -> list[dict]:
        return [job for job in self.of_resource(account_id, catalog, resource_id) if job["status"] == RUNNING]

    def set_status(self, account_id: str, job_id: str, status: str) -> None:
        self._db.execute(_SET_STATUS, {"account_id": account_id, "id": job_id, "status": status})

    def record(self, account_id: str, job_id: str, success: dt.datetime | None, failure: str | None) -> None:
        """An execution: its time when it succeeded (the failure cleared), or its failure."""
        if success is None:
            self._db.execute(_RECORD_FAILURE, {"account_id": account_id, "id": job_id, "last_failure": failure})
        else:
            self._db.execute(_RECORD, {"account_id": account_id, "id": job_id, "last_success_ms": to_ms(success),
                                       "last_failure": None})

    def delete(self, account_id: str, job_id: str) -> None:
        self._db.execute(_DELETE, {"account_id": account_id, "id": job_id})
