"""Tags by resource ARN."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from cosell.store.execution import Query
from cosell.store.schema import tags

_INSERT = Query(insert(tags))


class TagQueries:
    def put_tags(self, resource_arn: str, new_tags: list[dict]) -> None:
        """Add tags, replacing the value of keys the resource already has."""
        keys = [tag["Key"] for tag in new_tags]
        self._db.execute(delete(tags).where(tags.c.resource_arn == resource_arn, tags.c.key.in_(keys)))
        latest = {tag["Key"]: tag["Value"] for tag in new_tags}  # the last value of a repeated key wins
        self._db.execute_many(_INSERT, [{"resource_arn": resource_arn, "key": k, "value": v} for k, v in latest.items()])

    def remove_tags(self, resource_arn: str, keys: list[str]) -> None:
        self._db.execute(delete(tags).where(tags.c.resource_arn == resource_arn, tags.c.key.in_(keys)))

    def list_tags(self, resource_arn: str) -> list[dict]:
        rows = self._db.all(select(tags.c.key, tags.c.value).where(tags.c.resource_arn == resource_arn)
                               .order_by(tags.c.key))
        return [{"Key": row.key, "Value": row.value} for row in rows]
