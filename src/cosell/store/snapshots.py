"""Resource snapshots (`tx.snapshots`): one row per revision, immutable once written."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, bindparam, func, insert, select

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

resource_snapshots = Table(
    "resource_snapshots",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("engagement_id", String(32), primary_key=True),
    Column("resource_type", String(32), primary_key=True),
    Column("resource_id", String(32), primary_key=True),
    Column("template", String(64), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("created_by", String(12), nullable=False),  # the resource's owner
    Column("created_ms", BigInteger, nullable=False),
    Column("target_members", Text, nullable=False),  # JSON list: the members it was shared with
    Column("view", Text, nullable=False),  # JSON: the template's view of the resource
)

_r = resource_snapshots.c
_RESOURCE = (_r.catalog == bindparam("catalog"), _r.engagement_id == bindparam("engagement_id"),
             _r.resource_type == bindparam("resource_type"), _r.resource_id == bindparam("resource_id"),
             _r.template == bindparam("template"))
_LATEST = Query(select(func.max(_r.revision)).where(*_RESOURCE))
_GET = Query(select(resource_snapshots).where(*_RESOURCE, _r.revision == bindparam("revision")))
_OF_ENGAGEMENT = Query(select(resource_snapshots).where(_r.catalog == bindparam("catalog"),
                                                        _r.engagement_id == bindparam("engagement_id"))
                       .order_by(_r.resource_type, _r.resource_id, _r.template, _r.revision))
_INSERT = Query(insert(resource_snapshots))


def _snapshot(row) -> dict:
    snapshot = row._asdict()
    snapshot["created_at"] = from_ms(snapshot.pop("created_ms"))
    snapshot["target_members"] = json_text.loads(snapshot["target_members"])
    snapshot["view"] = json_text.loads(snapshot["view"])
    return snapshot


@repository("snapshots")
class SnapshotRepository:
    def __init__(self, tx):
        self._db = tx.db

    @staticmethod
    def _key(catalog: str, engagement_id: str, resource_type: str, resource_id: str, template: str) -> dict:
        return {"catalog": catalog, "engagement_id": engagement_id, "resource_type": resource_type,
                "resource_id": resource_id, "template": template}

    def latest_revision(self, catalog: str, engagement_id: str, resource_type: str, resource_id: str,
                        template: str) -> int:
        return self._db.value(_LATEST, self._key(catalog, engagement_id, resource_type, resource_id, template)) or 0

    def get(self, catalog: str, engagement_id: str, resource_type: str, resource_id: str, template: str,
            revision: int) -> dict | None:
        row = self._db.first(_GET, {**self._key(catalog, engagement_id, resource_type, resource_id, template),
                                    "revision": revision})
        return None if row is None else _snapshot(row)

    def add(self, catalog: str, engagement_id: str, resource_type: str, resource_id: str, template: str,
            revision: int, created_by: str, target_members: list[str], view: dict, now: dt.datetime) -> None:
        self._db.execute(_INSERT, {**self._key(catalog, engagement_id, resource_type, resource_id, template),
                                   "revision": revision, "created_by": created_by, "created_ms": to_ms(now),
                                   "target_members": json_text.compact(target_members),
                                   "view": json_text.compact(view)})

    def of_engagement(self, catalog: str, engagement_id: str) -> list[dict]:
        """Every revision of every resource and template of the engagement (an engagement has a few)."""
        return [_snapshot(row) for row in self._db.all(_OF_ENGAGEMENT, {"catalog": catalog,
                                                                        "engagement_id": engagement_id})]
