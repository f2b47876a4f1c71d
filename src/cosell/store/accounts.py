"""Partner accounts and their access keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from cosell.store.execution import Query

from cosell.store.schema import access_keys, accounts, from_ms, to_ms


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    account_id: str
    secret_access_key: str
    catalogs: tuple[str, ...]
    read_only: bool
    revoked: bool
    created: dt.datetime

    def __repr__(self) -> str:  # never print the secret
        return f"AccessKey({self.access_key_id}, account={self.account_id})"


_GET_ACCESS_KEY = Query(select(access_keys).where(access_keys.c.access_key_id == bindparam("access_key_id")))


def _key(row) -> AccessKey:
    return AccessKey(row.access_key_id, row.account_id, row.secret_access_key, tuple(row.catalogs.split(",")),
                     bool(row.read_only), bool(row.revoked), from_ms(row.created_ms))


class AccountQueries:
    def insert_account(self, account_id: str, name: str, created: dt.datetime) -> None:
        self._db.execute(insert(accounts).values(account_id=account_id, name=name, created_ms=to_ms(created)))

    def account_exists(self, account_id: str) -> bool:
        return self._db.first(select(accounts.c.account_id).where(accounts.c.account_id == account_id)) is not None

    def insert_access_key(self, key: AccessKey) -> None:
        self._db.execute(insert(access_keys).values(
            access_key_id=key.access_key_id, account_id=key.account_id, secret_access_key=key.secret_access_key,
            catalogs=",".join(key.catalogs), read_only=key.read_only, revoked=key.revoked,
            created_ms=to_ms(key.created)))

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        row = self._db.first(_GET_ACCESS_KEY, {"access_key_id": access_key_id})
        return None if row is None else _key(row)

    def revoke_access_key(self, access_key_id: str) -> bool:
        cursor = self._db.execute(update(access_keys).where(access_keys.c.access_key_id == access_key_id)
                                 .values(revoked=True))
        return cursor.rowcount == 1

    def list_accounts(self) -> list[dict]:
        """Every account with its keys (without secrets)."""
        rows = self._db.all(
            select(accounts.c.account_id, accounts.c.name, access_keys.c.access_key_id, access_keys.c.catalogs,
                   access_keys.c.read_only, access_keys.c.revoked)
            .select_from(accounts.outerjoin(access_keys, access_keys.c.account_id == accounts.c.account_id))
            .order_by(accounts.c.created_ms, accounts.c.account_id, access_keys.c.created_ms))
        listed: dict[str, dict] = {}
        for row in rows:
            account = listed.setdefault(row.account_id, {"AccountId": row.account_id, "Name": row.name, "AccessKeys": []})
            if row.access_key_id:
                account["AccessKeys"].append({"AccessKeyId": row.access_key_id, "Catalogs": row.catalogs.split(","),
                                              "ReadOnly": bool(row.read_only), "Revoked": bool(row.revoked)})
        return list(listed.values())
