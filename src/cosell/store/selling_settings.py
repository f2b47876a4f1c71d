"""Selling-system settings, per account and catalog: the IAM role that resource snapshot jobs run as
(`tx.selling_settings`; Get/PutSellingSystemSettings)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, String, Table, bindparam, insert, select, update

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import to_ms

selling_system_settings = Table(
    "selling_system_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("resource_snapshot_job_role_arn", String(2048)),
    Column("updated_ms", BigInteger, nullable=False),
)

_s = selling_system_settings.c
_KEY = (_s.account_id == bindparam("account_id"), _s.catalog == bindparam("catalog"))
_GET = Query(select(_s.resource_snapshot_job_role_arn).where(*_KEY))
_UPDATE = Query(update(selling_system_settings).where(*_KEY).values(
    resource_snapshot_job_role_arn=bindparam("role_arn"), updated_ms=bindparam("updated_ms")))
_INSERT = Query(insert(selling_system_settings).values(
    account_id=bindparam("account_id"), catalog=bindparam("catalog"), resource_snapshot_job_role_arn=bindparam("role_arn"),
    updated_ms=bindparam("updated_ms")))


@repository("selling_settings")
class SellingSettingsRepository:
    def __init__(self, tx):
        self._db = tx.db

    def job_role(self, account_id: str, catalog: str) -> str | None:
        """The account's ResourceSnapshotJobRoleArn in the catalog; None when none was put."""
        return self._db.value(_GET, {"account_id": account_id, "catalog": catalog})

    def put_job_role(self, account_id: str, catalog: str, role_arn: str | None, now: dt.datetime) -> None:
        params = {"account_id": account_id, "catalog": catalog, "role_arn": role_arn, "updated_ms": to_ms(now)}
        if self._db.execute(_UPDATE, params).rowcount == 0:
            self._db.execute(_INSERT, params)
