"""Tags of any taggable resource, by ARN (the ARN names account and catalog): `tx.tags`."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Column, String, Table, bindparam, delete, insert, select

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository

tags = Table(
    "tags",
    metadata,
    Column("resource_arn", String(1000), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

_INSERT = Query(insert(tags))


@lru_cache(maxsize=256)
def _delete_keys(count: int) -> Query:
    """DELETE of `count` keys of one resource (one statement per count: TagList has at most 200)."""
    return Query(delete(tags).where(tags.c.resource_arn == bindparam("arn"),
                                    tags.c.key.in_([bindparam(f"key{i}") for i in range(count)])))


def _keys(keys) -> dict:
    return {f"key{i}": key for i, key in enumerate(keys)}

_LIST = Query(select(tags.c.key, tags.c.value).where(tags.c.resource_arn == bindparam("arn")).order_by(tags.c.key))


@repository("tags")
class TagRepository:
    def __init__(self, tx):
        self._db = tx.db

    def put(self, resource_arn: str, new_tags: list) -> None:
        """Adds tags, replacing the value of keys the resource already has."""
        latest = {tag["Key"]: tag["Value"] for tag in new_tags}  # the last value of a repeated key wins
        self._db.execute(_delete_keys(len(latest)), {"arn": resource_arn, **_keys(latest)})
        self._db.execute_many(_INSERT, [{"resource_arn": resource_arn, "key": k, "value": v} for k, v in latest.items()])

    def remove(self, resource_arn: str, keys: list[str]) -> None:
        if not keys:
            return
        self._db.execute(_delete_keys(len(keys)), {"arn": resource_arn, **_keys(keys)})

    def list(self, resource_arn: str) -> list[dict]:
        return [{"Key": key, "Value": value} for key, value in self._db.tuples(_LIST, {"arn": resource_arn})]
