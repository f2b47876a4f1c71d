"""Engagement groups (`tx.engagement_groups`): AWS-curated sets of engagements, each defined by the
search that selects its engagements (a SearchEngagements Filter and Keyword). Groups belong to a catalog,
not to an account: every partner sees the active ones, each counting only its own engagements. A group
is never deleted, only made inactive, so a seeded default that a tester removed stays removed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, String, Table, Text, bindparam, insert, select, update

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

engagement_groups = Table(
    "engagement_groups",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("readiness_level", String(16)),
    Column("definition", Text, nullable=False),  # {"Filter": ..., "Keyword": ...}: the search it stands for, JSON
    Column("active", Boolean, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

_g = engagement_groups.c
_VALUES: dict[str, Any] = {name: bindparam(name) for name in
           ("catalog", "id", "name", "description", "readiness_level", "definition", "active", "updated_ms")}
_INSERT = Query(insert(engagement_groups).values(_VALUES))
_KEY = (_g.catalog == bindparam("catalog"), _g.id == bindparam("id"))
_COLUMNS = (_g.catalog, _g.id, _g.name, _g.description, _g.readiness_level, _g.definition, _g.active, _g.updated_ms)
_GET = Query(select(*_COLUMNS).where(*_KEY))
_OF_CATALOG = Query(select(*_COLUMNS).where(_g.catalog == bindparam("catalog")).order_by(_g.id))
_ALL = Query(select(*_COLUMNS).order_by(_g.catalog, _g.id))
_UPDATE = Query(update(engagement_groups).where(*_KEY).values(
    name=bindparam("name"), description=bindparam("description"), readiness_level=bindparam("readiness_level"),
    definition=bindparam("definition"), active=bindparam("active"), updated_ms=bindparam("updated_ms")))


def _group(row: tuple) -> dict:
    catalog, group_id, name, description, readiness_level, definition, active, updated_ms = row
    return {"catalog": catalog, "id": group_id, "name": name, "description": description,
            "readiness_level": readiness_level, "definition": json_text.loads(definition), "active": bool(active),
            "updated_at": from_ms(updated_ms)}


def _row(group: dict, updated: dt.datetime) -> dict:
    return {"catalog": group["catalog"], "id": group["id"], "name": group["name"], "description": group.get("description"),
            "readiness_level": group.get("readiness_level"), "definition": json_text.compact(group["definition"]),
            "active": group.get("active", True), "updated_ms": to_ms(updated)}


@repository("engagement_groups")
class EngagementGroupRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, group: dict, updated: dt.datetime, *, if_absent: bool = False) -> bool:
        """Adds the group ({catalog, id, name, description, readiness_level, definition, active}); with
        `if_absent`, keeps a group already there (False)."""
        if if_absent:
            return self._db.insert_if_absent(_INSERT, _row(group, updated))
        self._db.execute(_INSERT, _row(group, updated))
        return True

    def replace(self, group: dict, updated: dt.datetime) -> bool:
        return self._db.execute(_UPDATE, _row(group, updated)).rowcount == 1

    def get(self, catalog: str, group_id: str) -> dict | None:
        rows = self._db.tuples(_GET, {"catalog": catalog, "id": group_id})
        return _group(rows[0]) if rows else None

    def of_catalog(self, catalog: str | None = None) -> list[dict]:
        """The catalog's groups (every catalog's when None), active or not, by id."""
        if catalog is None:
            return [_group(row) for row in self._db.tuples(_ALL)]
        return [_group(row) for row in self._db.tuples(_OF_CATALOG, {"catalog": catalog})]
