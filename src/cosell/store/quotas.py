"""Request counters behind the per-account quotas (cosell/quotas.py decides the limits).

Two tables, both in the database so that every server process sharing it counts together:
`quota_seconds` holds one row per (account, group): the current one-second window and its count;
`quota_minutes` holds per-minute counts, summed over the last 24 hours for the rolling daily quota.
The per-second row is updated first, which locks it (the whole database on SQLite, where write
transactions begin IMMEDIATE; the row on PostgreSQL), so the day's sum read after it sees every
request charged before. Nothing here raises or decides; the caller rolls back a refused request.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, bindparam, case, delete, func, insert, select, update

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository

# The current one-second window of each (account, quota group): its start and the requests in it.
quota_seconds = Table(
    "quota_seconds",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("quota_group", String(16), primary_key=True),
    Column("epoch_second", BigInteger, nullable=False),
    Column("requests", BigInteger, nullable=False),
)

# Requests per minute of each (account, quota group), kept for 24 hours: the rolling daily quota.
quota_minutes = Table(
    "quota_minutes",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("quota_group", String(16), primary_key=True),
    Column("epoch_minute", BigInteger, primary_key=True),
    Column("requests", BigInteger, nullable=False),
)

# The daily window: the current minute and the 1,440 before it. A request stops counting between
# 24 h and 24 h + 1 min after it was made, so no rolling 24 hours ever holds more than the limit.
DAY_MINUTES = 24 * 60

_SECOND_KEY = (quota_seconds.c.account_id == bindparam("account_id"),
               quota_seconds.c.quota_group == bindparam("quota_group"))
_MINUTE_KEY = (quota_minutes.c.account_id == bindparam("account_id"),
               quota_minutes.c.quota_group == bindparam("quota_group"))
_in_current_second = quota_seconds.c.epoch_second >= bindparam("epoch_second")
# A request whose clock reading is older than the window already recorded (it waited for the lock)
# counts in that newer window.
_COUNT_IN_SECOND = Query(
    update(quota_seconds).where(*_SECOND_KEY)
    .values(requests=case((_in_current_second, quota_seconds.c.requests + 1), else_=1),
            epoch_second=case((_in_current_second, quota_seconds.c.epoch_second), else_=bindparam("epoch_second")))
    .returning(quota_seconds.c.requests))
_IN_DAY = Query(select(func.coalesce(func.sum(quota_minutes.c.requests), 0))
                .where(*_MINUTE_KEY, quota_minutes.c.epoch_minute >= bindparam("day_start")))
_COUNT_IN_MINUTE = Query(update(quota_minutes).where(*_MINUTE_KEY, quota_minutes.c.epoch_minute == bindparam("epoch_minute"))
                         .values(requests=quota_minutes.c.requests + 1))
_FORGET_MINUTES = Query(delete(quota_minutes).where(*_MINUTE_KEY, quota_minutes.c.epoch_minute < bindparam("day_start")))
_FIRST_SECOND = Query(insert(quota_seconds))
_FIRST_MINUTE = Query(insert(quota_minutes))


@repository("quotas")
class QuotaRepository:
    """`tx.quotas`."""

    def __init__(self, tx):
        self._db = tx.db

    def charge(self, account_id: str, group: str, now_ms: int, per_second: int, per_day: int) -> str | None:
        """Counts one request of `group`. Returns None within both limits, otherwise the limit it
        went over ("per_second" or "per_day"), having written nothing the caller must keep: the
        caller rolls the transaction back."""
        key = {"account_id": account_id, "quota_group": group}
        if self._count_in_second(key, now_ms // 1000) > per_second:
            return "per_second"
        minute = now_ms // 60_000
        in_day = self._db.value(_IN_DAY, {**key, "day_start": minute - DAY_MINUTES})
        if in_day >= per_day:
            return "per_day"
        self._count_in_minute(key, minute)
        return None

    def _count_in_second(self, key: dict, second: int) -> int:
        """This request's position in its one-second window."""
        params = {**key, "epoch_second": second}
        requests = self._db.value(_COUNT_IN_SECOND, params)
        if requests is not None:
            return requests
        if self._db.insert_if_absent(_FIRST_SECOND, {**params, "requests": 1}):
            return 1
        return self._db.value(_COUNT_IN_SECOND, params)

    def _count_in_minute(self, key: dict, minute: int) -> None:
        params = {**key, "epoch_minute": minute}
        if self._db.execute(_COUNT_IN_MINUTE, params).rowcount:
            return
        # Inserting the row is the one moment two charges are not serialized by a lock (PostgreSQL):
        # when another process inserted it first, count in its row.
        if not self._db.insert_if_absent(_FIRST_MINUTE, {**params, "requests": 1}):
            self._db.execute(_COUNT_IN_MINUTE, params)
            return
        # A new minute: the buckets that left the daily window go (once a minute, not per request).
        self._db.execute(_FORGET_MINUTES, {**key, "day_start": minute - DAY_MINUTES})
