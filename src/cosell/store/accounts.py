"""Partner accounts and their access keys (`cosell accounts ...`): `tx.accounts`. The secret is kept as
issued: SigV4 verification needs it (the database file is created with mode 0600)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, Column, String, Table, bindparam, insert, select, update

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(255), nullable=False),  # the company name engagement members and invitations show
    Column("created_ms", BigInteger, nullable=False),
    Column("website_url", String(255)),
)

# Partners connected in Partner Central, who may invite each other into engagements (DG-mp): one row
# each way.
partner_connections = Table(
    "partner_connections",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("partner_id", String(12), primary_key=True),
    Column("created_ms", BigInteger, nullable=False),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("secret_access_key", String(64), nullable=False),
    Column("catalogs", String(64), nullable=False),  # comma-separated: "AWS,Sandbox"
    Column("read_only", Boolean, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)


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


_INSERT_ACCOUNT = Query(insert(accounts).values({name: bindparam(name) for name in
                                                ("account_id", "name", "created_ms", "website_url")}))
_PROFILE = Query(select(accounts.c.name, accounts.c.website_url).where(accounts.c.account_id == bindparam("account_id")))
_CONNECT = Query(insert(partner_connections))
_CONNECTED = Query(select(partner_connections.c.partner_id).where(
    partner_connections.c.account_id == bindparam("account_id"), partner_connections.c.partner_id == bindparam("partner_id")))
_ACCOUNT_EXISTS = Query(select(accounts.c.account_id).where(accounts.c.account_id == bindparam("account_id")))
_INSERT_KEY = Query(insert(access_keys))
_GET_KEY = Query(select(access_keys).where(access_keys.c.access_key_id == bindparam("access_key_id")))
_WRITING_KEY = Query(select(access_keys.c.access_key_id).where(
    access_keys.c.account_id == bindparam("account_id"), access_keys.c.revoked.is_(False),
    access_keys.c.read_only.is_(False)).order_by(access_keys.c.created_ms).limit(1))
_REVOKE_KEY = Query(update(access_keys).where(access_keys.c.access_key_id == bindparam("access_key_id"))
                    .values(revoked=True))
_LIST = Query(select(accounts.c.account_id, accounts.c.name, accounts.c.website_url, access_keys.c.access_key_id,
                     access_keys.c.catalogs,
                     access_keys.c.read_only, access_keys.c.revoked)
              .select_from(accounts.outerjoin(access_keys, access_keys.c.account_id == accounts.c.account_id))
              .order_by(accounts.c.created_ms, accounts.c.account_id, access_keys.c.created_ms))


@repository("accounts")
class AccountRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, account_id: str, name: str, created: dt.datetime, website_url: str | None = None) -> None:
        self._db.execute(_INSERT_ACCOUNT, {"account_id": account_id, "name": name, "created_ms": to_ms(created),
                                           "website_url": website_url})

    def profile(self, account_id: str) -> tuple[str, str | None] | None:
        """(company name, website) of a created account; None for an account that was never created."""
        row = self._db.first(_PROFILE, {"account_id": account_id})
        return None if row is None else (row.name, row.website_url)

    def connect(self, account_id: str, partner_id: str, now: dt.datetime) -> None:
        """Connects two partners, both ways (connecting them again changes nothing)."""
        for one, other in ((account_id, partner_id), (partner_id, account_id)):
            self._db.insert_if_absent(_CONNECT, {"account_id": one, "partner_id": other, "created_ms": to_ms(now)})

    def connected(self, account_id: str, partner_id: str) -> bool:
        return self._db.value(_CONNECTED, {"account_id": account_id, "partner_id": partner_id}) is not None

    def exists(self, account_id: str) -> bool:
        return self._db.value(_ACCOUNT_EXISTS, {"account_id": account_id}) is not None

    def insert_key(self, key: AccessKey) -> None:
        self._db.execute(_INSERT_KEY, {
            "access_key_id": key.access_key_id, "account_id": key.account_id,
            "secret_access_key": key.secret_access_key, "catalogs": ",".join(key.catalogs),
            "read_only": key.read_only, "revoked": key.revoked, "created_ms": to_ms(key.created)})

    def get_key(self, access_key_id: str) -> AccessKey | None:
        row = self._db.first(_GET_KEY, {"access_key_id": access_key_id})
        if row is None:
            return None
        return AccessKey(row.access_key_id, row.account_id, row.secret_access_key, tuple(row.catalogs.split(",")),
                         bool(row.read_only), bool(row.revoked), from_ms(row.created_ms))

    def writing_key(self, account_id: str) -> AccessKey | None:
        """The account's oldest key that may write (not revoked, not read-only), if it has one."""
        access_key_id = self._db.value(_WRITING_KEY, {"account_id": account_id})
        return None if access_key_id is None else self.get_key(access_key_id)

    def revoke_key(self, access_key_id: str) -> bool:
        return self._db.execute(_REVOKE_KEY, {"access_key_id": access_key_id}).rowcount == 1

    def list(self) -> list[dict]:
        """Every account with its keys (without secrets)."""
        listed: dict[str, dict] = {}
        for row in self._db.all(_LIST):
            account = listed.setdefault(row.account_id, {"AccountId": row.account_id, "Name": row.name,
                                                         "WebsiteUrl": row.website_url, "AccessKeys": []})
            if row.access_key_id:
                account["AccessKeys"].append({"AccessKeyId": row.access_key_id, "Catalogs": row.catalogs.split(","),
                                              "ReadOnly": bool(row.read_only), "Revoked": bool(row.revoked)})
        return list(listed.values())
