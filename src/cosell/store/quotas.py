"""Request counters behind the per-account quotas (cosell/quotas.py decides the limits).

Two tables, both in the database so that every server process sharing it counts together:
`quota_seconds` holds one row per (account, group): the current one-second window and its count;
`quota_minutes` holds per-minute counts, summed over the last 24 hours for the rolling daily quota.
The per-second row is updated first, which locks it (the whole database on SQLite, where write
transactions begin IMMEDIATE; the row on PostgreSQL), so the day's sum read after it sees every
request charged before. Nothing here raises or decides; the caller rolls back a refused request.
"""

from __future__ import annotations

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cosell.store.schema import quota_minutes, quota_seconds

# The daily window: the current minute and the 1,440 before it. A request stops counting between
# 24 h and 24 h + 1 min after it was made, so no rolling 24 hours ever holds more than the limit.
DAY_MINUTES = 24 * 60


class QuotaQueries:
    def charge_quota(self, account_id: str, group: str, now_ms: int, per_second: int, per_day: int) -> str | None:
        """Counts one request of `group`. Returns None within both limits, otherwise the limit it
        went over ("per_second" or "per_day"), having written nothing the caller must keep: the
        caller rolls the transaction back."""
        if self._count_in_second(account_id, group, now_ms // 1000) > per_second:
            return "per_second"
        minute = now_ms // 60_000
        in_day = self._c.execute(
            select(func.coalesce(func.sum(quota_minutes.c.requests), 0)).where(
                quota_minutes.c.account_id == account_id, quota_minutes.c.quota_group == group,
                quota_minutes.c.epoch_minute >= minute - DAY_MINUTES)
        ).scalar_one()
        if in_day >= per_day:
            return "per_day"
        self._count_in_minute(account_id, group, minute)
        return None

    def _count_in_second(self, account_id: str, group: str, second: int) -> int:
        """This request's position in its one-second window. A request whose clock reading is older
        than the window already recorded (it waited for the lock) counts in that newer window."""
        current = quota_seconds.c.epoch_second >= second
        statement = (
            update(quota_seconds)
            .where(quota_seconds.c.account_id == account_id, quota_seconds.c.quota_group == group)
            .values(requests=case((current, quota_seconds.c.requests + 1), else_=1),
                    epoch_second=case((current, quota_seconds.c.epoch_second), else_=second))
            .returning(quota_seconds.c.requests)
        )
        row = self._c.execute(statement).first()
        if row is not None:
            return row.requests
        if self._insert_first(quota_seconds, account_id=account_id, quota_group=group, epoch_second=second,
                              requests=1):
            return 1
        return self._c.execute(statement).one().requests

    def _count_in_minute(self, account_id: str, group: str, minute: int) -> None:
        key = (quota_minutes.c.account_id == account_id, quota_minutes.c.quota_group == group)
        bumped = self._c.execute(
            update(quota_minutes).where(*key, quota_minutes.c.epoch_minute == minute)
            .values(requests=quota_minutes.c.requests + 1)
        ).rowcount
        if bumped:
            return
        if not self._insert_first(quota_minutes, account_id=account_id, quota_group=group, epoch_minute=minute,
                                  requests=1):
            self._c.execute(update(quota_minutes).where(*key, quota_minutes.c.epoch_minute == minute)
                            .values(requests=quota_minutes.c.requests + 1))
            return
        # A new minute: the buckets that left the daily window go (once a minute, not per request).
        self._c.execute(delete(quota_minutes).where(*key, quota_minutes.c.epoch_minute < minute - DAY_MINUTES))

    def _insert_first(self, table, **values) -> bool:
        """Inserts a counter row; False when another process inserted it first (PostgreSQL, where
        row creation is the one moment two charges are not serialized by a lock)."""
        try:
            with self._c.begin_nested():
                self._c.execute(insert(table).values(**values))
        except IntegrityError:
            return False
        return True
